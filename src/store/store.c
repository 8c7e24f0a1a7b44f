/* store.c — picks the driver for a target and forwards every call to it. */
#include "store_int.h"

#include <string.h>

int store_open(const char *target, int create, store **out, cirs_err *e) {
  *out = NULL;
  if (!target || !*target) return err_set(e, "usage", "db", L("需要 --db PATH", "--db PATH is required"));
  if (!strncmp(target, "postgresql://", 13) || !strncmp(target, "postgres://", 11)) return store_pg_driver.open(target, create, out, e);
  return store_sqlite_driver.open(target, create, out, e);
}

void store_close(store *st) {
  if (st) st->drv->close(st);
}
int store_schema_version(store *st) { return st->drv->schema_version(st); }
const char *store_backend(store *st) { return st->drv->name; }
int store_begin(store *st, cirs_err *e) { return st->drv->begin(st, e); }
int store_commit(store *st, cirs_err *e) { return st->drv->commit(st, e); }
int store_defer_sync(store *st, char *path, size_t n, cirs_err *e) {
  if (!st->drv->defer_sync) {
    if (n) path[0] = 0;
    return 0;
  }
  return st->drv->defer_sync(st, path, n, e);
}
void store_rollback(store *st) { st->drv->rollback(st); }
int store_level(store *st) { return st->drv->level(st); }
void store_unwind(store *st, int level) {
  while (store_level(st) > level) store_rollback(st);
}
int store_authority_insert(store *st, model_authority *a, cirs_err *e) { return st->drv->authority_insert(st, a, e); }
int store_org_insert(store *st, model_org *o, cirs_err *e) { return st->drv->org_insert(st, o, e); }
int store_user_insert(store *st, model_user *u, cirs_err *e) { return st->drv->user_insert(st, u, e); }
int store_org_get(store *st, const char *code, json_t **out, cirs_err *e) { return st->drv->org_get(st, code, out, e); }
int store_authority_match(store *st, const char *type, const char *province, const char *city, const char *sector, const char *department, char *code,
                          cirs_err *e) {
  return st->drv->authority_match(st, type, province, city, sector, department, code, e);
}
int store_incident_insert(store *st, model_incident *inc, cirs_err *e) { return st->drv->incident_insert(st, inc, e); }
int store_report_insert(store *st, model_report *r, cirs_err *e) { return st->drv->report_insert(st, r, e); }
static store_obligation_hook obligation_hook;
void store_set_obligation_hook(store_obligation_hook fn) { obligation_hook = fn; }
int store_obligation_insert(store *st, model_obligation *o, cirs_err *e) {
  int rc = st->drv->obligation_insert(st, o, e);
  if (!rc && obligation_hook && o->due_ms != MODEL_NO_TIME && !strcmp(o->status, "pending")) obligation_hook(o->id, o->due_ms, o->max);
  return rc;
}
int store_incident_list(store *st, const store_filter *f, json_t **out, cirs_err *e) { return st->drv->incident_list(st, f, out, e); }
int store_incident_get(store *st, const char *id_or_ref, const store_scope *scope, json_t **out, cirs_err *e) {
  return st->drv->incident_get(st, id_or_ref, scope, out, e);
}
int store_principal_by_username(store *st, const char *username, json_t **out, cirs_err *e) { return st->drv->principal_by_username(st, username, out, e); }
int store_principal_by_session(store *st, const char *token_hash, int64_t now_ms, json_t **out, cirs_err *e) {
  return st->drv->principal_by_session(st, token_hash, now_ms, out, e);
}
int store_principal_by_token(store *st, const char *token_hash, json_t **out, cirs_err *e) { return st->drv->principal_by_token(st, token_hash, out, e); }
int store_session_insert(store *st, const char *token_hash, int64_t user_id, const char *csrf, int64_t expires_ms, cirs_err *e) {
  return st->drv->session_insert(st, token_hash, user_id, csrf, expires_ms, e);
}
int store_session_delete(store *st, const char *token_hash, cirs_err *e) { return st->drv->session_delete(st, token_hash, e); }
int store_token_insert(store *st, const char *token_hash, int64_t user_id, const char *name, int64_t *id, cirs_err *e) {
  return st->drv->token_insert(st, token_hash, user_id, name, id, e);
}
int store_token_revoke(store *st, int64_t id, int64_t now_ms, json_t **out, cirs_err *e) { return st->drv->token_revoke(st, id, now_ms, out, e); }
int store_token_list(store *st, const char *username, json_t **out, cirs_err *e) { return st->drv->token_list(st, username, out, e); }
int store_obligation_list(store *st, const store_filter *f, json_t **out, cirs_err *e) { return st->drv->obligation_list(st, f, out, e); }
int store_compliance(store *st, const store_compliance_q *q, json_t **out, cirs_err *e) { return st->drv->compliance(st, q, out, e); }
int store_statistics(store *st, const store_filter *f, json_t **out, cirs_err *e) { return st->drv->statistics(st, f, out, e); }
int store_inbox(store *st, const store_inbox_q *q, json_t **out, cirs_err *e) { return st->drv->inbox(st, q, out, e); }
int store_event_append(store *st, model_event *ev, cirs_err *e) { return st->drv->event_append(st, ev, e); }
int store_event_scan(store *st, store_event_fn fn, void *ctx, cirs_err *e) { return st->drv->event_scan(st, fn, ctx, e); }
int store_chain_anchor(store *st, int64_t *last_id, char hash[65], cirs_err *e) { return st->drv->chain_anchor(st, last_id, hash, e); }
int store_purge(store *st, int64_t before_ms, json_t **counts, cirs_err *e) { return st->drv->purge(st, before_ms, counts, e); }
int store_route_add(store *st, int64_t incident_id, const char *authority, const char *via, int64_t from_authority_id, int64_t at_ms, cirs_err *e) {
  return st->drv->route_add(st, incident_id, authority, via, from_authority_id, at_ms, e);
}
int store_routed_to(store *st, int64_t incident_id, int64_t authority_id) { return st->drv->routed_to(st, incident_id, authority_id); }
int store_search_set(store *st, int64_t incident_id, const char *text, cirs_err *e) { return st->drv->search_set(st, incident_id, text, e); }
int store_search_catchup(store *st, int max, int *done, cirs_err *e) { return st->drv->search_catchup(st, max, done, e); }
int store_receipt_insert(store *st, int64_t incident_id, int64_t authority_id, int64_t user_id, const char *how, int64_t at_ms, const char *note,
                         int64_t *id, cirs_err *e) {
  return st->drv->receipt_insert(st, incident_id, authority_id, user_id, how, at_ms, note, id, e);
}
int store_receipt_get(store *st, int64_t incident_id, int64_t authority_id, json_t **out, cirs_err *e) {
  return st->drv->receipt_get(st, incident_id, authority_id, out, e);
}
int store_obligation_update(store *st, int64_t id, const char *status, int64_t due_ms, int64_t met_ms, cirs_err *e) {
  int rc = st->drv->obligation_update(st, id, status, due_ms, met_ms, e);
  if (!rc && obligation_hook && due_ms != MODEL_NO_TIME && status && !strcmp(status, "pending")) obligation_hook(id, due_ms, NULL);
  return rc;
}
int store_incident_update(store *st, const model_incident *inc, int64_t handling_end_ms, cirs_err *e) {
  return st->drv->incident_update(st, inc, handling_end_ms, e);
}
int store_tip_insert(store *st, const json_t *content, const char *addr_hash, int64_t at_ms, int64_t *id, char ref[40], cirs_err *e) {
  return st->drv->tip_insert(st, content, addr_hash, at_ms, id, ref, e);
}
int store_tip_list(store *st, int64_t after_id, int limit, json_t **out, cirs_err *e) { return st->drv->tip_list(st, after_id, limit, out, e); }
int store_idem_get(store *st, int64_t user_id, const char *key, json_t **out, cirs_err *e) { return st->drv->idem_get(st, user_id, key, out, e); }
int store_idem_put(store *st, int64_t user_id, const char *key, const char *request_hash, int status, const char *response, cirs_err *e) {
  return st->drv->idem_put(st, user_id, key, request_hash, status, response, e);
}
int store_access_log(store *st, const json_t *entries, cirs_err *e) { return st->drv->access_log(st, entries, e); }
int store_access_list(store *st, int64_t incident_id, int64_t after_id, int limit, json_t **out, cirs_err *e) {
  return st->drv->access_list(st, incident_id, after_id, limit, out, e);
}
int store_incident_events(store *st, int64_t incident_id, json_t **out, cirs_err *e) { return st->drv->incident_events(st, incident_id, out, e); }
int store_cleanup(store *st, int64_t now_ms, int64_t idem_before_ms, json_t **counts, cirs_err *e) {
  return st->drv->cleanup(st, now_ms, idem_before_ms, counts, e);
}
int store_obligation_counts(store *st, json_t **out, cirs_err *e) { return st->drv->obligation_counts(st, out, e); }

int store_deadlines(store *st, store_deadline_fn fn, void *ctx, cirs_err *e) { return st->drv->deadlines(st, fn, ctx, e); }
int store_deadlines_after(store *st, int64_t after, int limit, store_deadline_fn fn, void *ctx, int64_t *last, cirs_err *e) {
  return st->drv->deadlines_after(st, after, limit, fn, ctx, last, e);
}
int store_obligation_get(store *st, int64_t id, json_t **out, cirs_err *e) { return st->drv->obligation_get(st, id, out, e); }
int store_reminder_mark(store *st, int64_t obligation_id, const char *step, int64_t now, cirs_err *e) {
  return st->drv->reminder_mark(st, obligation_id, step, now, e);
}
int store_obligation_waive(store *st, int64_t id, const char *reason, const char *by, cirs_err *e) {
  return st->drv->obligation_waive(st, id, reason, by, e);
}
int store_recipients(store *st, int64_t authority_id, int64_t organisation_id, json_t **out, cirs_err *e) {
  return st->drv->recipients(st, authority_id, organisation_id, out, e);
}
int store_notification_add(store *st, const store_notification *n, cirs_err *e) { return st->drv->notification_add(st, n, e); }
int store_notification_list(store *st, int64_t user_id, int unread, int64_t after, int limit, json_t **out, cirs_err *e) {
  return st->drv->notification_list(st, user_id, unread, after, limit, out, e);
}
int store_notification_read(store *st, int64_t user_id, int64_t id, int64_t now, cirs_err *e) {
  return st->drv->notification_read(st, user_id, id, now, e);
}
int store_outbox_add(store *st, const store_outbox_row *r, cirs_err *e) { return st->drv->outbox_add(st, r, e); }
int store_outbox_due(store *st, int64_t now, int with_email, int limit, json_t **out, int64_t *next_ms, cirs_err *e) {
  return st->drv->outbox_due(st, now, with_email, limit, out, next_ms, e);
}
int store_outbox_attempt(store *st, int64_t id, int ok, const char *detail, int64_t now, int64_t retry_ms, cirs_err *e) {
  return st->drv->outbox_attempt(st, id, ok, detail, now, retry_ms, e);
}
int store_outbox_list(store *st, const store_outbox_q *q, json_t **out, cirs_err *e) { return st->drv->outbox_list(st, q, out, e); }
int store_outbox_attempts(store *st, int64_t outbox_id, json_t **out, cirs_err *e) { return st->drv->outbox_attempts(st, outbox_id, out, e); }
int store_webhook_add(store *st, int64_t authority_id, int64_t organisation_id, const char *url, const char *secret, int confirms_receipt,
                      const char *by, int64_t now, int64_t *id, cirs_err *e) {
  return st->drv->webhook_add(st, authority_id, organisation_id, url, secret, confirms_receipt, by, now, id, e);
}
int store_webhook_list(store *st, int64_t authority_id, int64_t organisation_id, int all, json_t **out, cirs_err *e) {
  return st->drv->webhook_list(st, authority_id, organisation_id, all, out, e);
}
int store_webhook_disable(store *st, int64_t id, int64_t authority_id, int64_t organisation_id, int all, cirs_err *e) {
  return st->drv->webhook_disable(st, id, authority_id, organisation_id, all, e);
}
int store_incident_authorities(store *st, int64_t incident_id, const char *via, json_t **out, cirs_err *e) {
  return st->drv->incident_authorities(st, incident_id, via, out, e);
}
int64_t store_id_of(store *st, const char *what, const char *code) { return st->drv->id_of(st, what, code); }

int store_mail_insert(store *st, const store_mail *m, int64_t *id, char ref[40], cirs_err *e) { return st->drv->mail_insert(st, m, id, ref, e); }
int store_mail_seen(store *st, const char *message_id, const char *sha256, json_t **out, cirs_err *e) {
  return st->drv->mail_seen(st, message_id, sha256, out, e);
}
int store_mail_attachment_add(store *st, int64_t mail_id, const char *filename, const char *content_type, const void *data, size_t size,
                              const char *sha256, cirs_err *e) {
  return st->drv->mail_attachment_add(st, mail_id, filename, content_type, data, size, sha256, e);
}
int store_mail_draft_add(store *st, const store_mail_draft *d, int64_t *id, cirs_err *e) { return st->drv->mail_draft_add(st, d, id, e); }
int store_mail_draft_triage(store *st, int64_t draft_id, const char *by, const char *note, int64_t now, int64_t *mail_id, cirs_err *e) {
  return st->drv->mail_draft_triage(st, draft_id, by, note, now, mail_id, e);
}
int store_mail_sender_org(store *st, const char *address, char *code, cirs_err *e) { return st->drv->mail_sender_org(st, address, code, e); }
int store_mail_sender_add(store *st, const char *org_code, const char *address, int64_t now, cirs_err *e) {
  return st->drv->mail_sender_add(st, org_code, address, now, e);
}
int store_mail_senders(store *st, json_t **out, cirs_err *e) { return st->drv->mail_senders(st, out, e); }
int store_mail_list(store *st, const char *what, int open_only, int64_t after, int limit, json_t **out, cirs_err *e) {
  return st->drv->mail_list(st, what, open_only, after, limit, out, e);
}
int store_mail_get(store *st, const char *id_or_ref, json_t **out, cirs_err *e) { return st->drv->mail_get(st, id_or_ref, out, e); }
int store_mail_raw(store *st, int64_t id, unsigned char **data, size_t *len, cirs_err *e) { return st->drv->mail_raw(st, id, data, len, e); }

/* Leadership: a backend without it has one instance, which always leads. */
int store_shared(store *st) { return st->drv->lease != NULL; }
int store_lease(store *st, int *held, cirs_err *e) {
  if (!st->drv->lease) {
    *held = 1;
    return 0;
  }
  return st->drv->lease(st, held, e);
}
int store_listen(store *st, cirs_err *e) { return st->drv->listen ? st->drv->listen(st, e) : 0; }
int store_wait(store *st, int timeout_ms, store_notice_fn fn, void *ctx, cirs_err *e) {
  if (!st->drv->wait) return 0;
  return st->drv->wait(st, timeout_ms, fn, ctx, e);
}
int store_warning_insert(store *st, const json_t *w, int64_t *id, char ref[40], cirs_err *e) { return st->drv->warning_insert(st, w, id, ref, e); }
int store_warning_recipients_fill(store *st, int64_t warning_id, int64_t issuer_id, const json_t *scope, int64_t *count, cirs_err *e) {
  return st->drv->warning_recipients_fill(st, warning_id, issuer_id, scope, count, e);
}
int store_warning_get(store *st, const char *id_or_ref, json_t **out, cirs_err *e) { return st->drv->warning_get(st, id_or_ref, out, e); }
int store_warning_list(store *st, const store_em_q *q, json_t **out, cirs_err *e) { return st->drv->warning_list(st, q, out, e); }
int store_warning_set(store *st, int64_t id, const json_t *changes, cirs_err *e) { return st->drv->warning_set(st, id, changes, e); }
int store_warning_ack(store *st, int64_t warning_id, int64_t authority_id, int64_t organisation_id, const char *by, int64_t now, cirs_err *e) {
  return st->drv->warning_ack(st, warning_id, authority_id, organisation_id, by, now, e);
}
int store_response_insert(store *st, const json_t *r, int64_t *id, char ref[40], cirs_err *e) { return st->drv->response_insert(st, r, id, ref, e); }
int store_response_get(store *st, const char *id_or_ref, json_t **out, cirs_err *e) { return st->drv->response_get(st, id_or_ref, out, e); }
int store_response_list(store *st, const store_em_q *q, json_t **out, cirs_err *e) { return st->drv->response_list(st, q, out, e); }
int store_response_set(store *st, int64_t id, const json_t *changes, cirs_err *e) { return st->drv->response_set(st, id, changes, e); }
int store_response_update_add(store *st, int64_t response_id, const char *kind, const char *text, const char *by, int64_t now, cirs_err *e) {
  return st->drv->response_update_add(st, response_id, kind, text, by, now, e);
}
int store_investigation_insert(store *st, int64_t response_id, const json_t *content, const char *by, int64_t now, int64_t *id, cirs_err *e) {
  return st->drv->investigation_insert(st, response_id, content, by, now, id, e);
}
int store_authority_get(store *st, const char *code, json_t **out, cirs_err *e) { return st->drv->authority_get(st, code, out, e); }
int store_contacts_replace(store *st, int64_t authority_id, const json_t *rows, const char *by, int64_t now, cirs_err *e) {
  return st->drv->contacts_replace(st, authority_id, rows, by, now, e);
}
int store_contacts_list(store *st, int64_t authority_id, json_t **out, cirs_err *e) { return st->drv->contacts_list(st, authority_id, out, e); }
