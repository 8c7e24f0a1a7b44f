/* store_int.h — the driver table a backend fills in. Only store.c and the drivers include this. */
#ifndef CIRS_STORE_INT_H
#define CIRS_STORE_INT_H

#include "store.h"

typedef struct store_driver {
  const char *name;
  int (*open)(const char *target, int create, store **out, cirs_err *e);
  void (*close)(store *st);
  int (*schema_version)(store *st);
  int (*begin)(store *st, cirs_err *e);
  int (*commit)(store *st, cirs_err *e);
  void (*rollback)(store *st);
  int (*level)(store *st);
  int (*defer_sync)(store *st, char *path, size_t n, cirs_err *e);
  int (*authority_insert)(store *st, model_authority *a, cirs_err *e);
  int (*org_insert)(store *st, model_org *o, cirs_err *e);
  int (*user_insert)(store *st, model_user *u, cirs_err *e);
  int (*org_get)(store *st, const char *code, json_t **out, cirs_err *e);
  int (*authority_match)(store *st, const char *type, const char *province, const char *city, const char *sector, const char *department, char *code,
                         cirs_err *e);
  int (*incident_insert)(store *st, model_incident *inc, cirs_err *e);
  int (*report_insert)(store *st, model_report *r, cirs_err *e);
  int (*obligation_insert)(store *st, model_obligation *o, cirs_err *e);
  int (*incident_list)(store *st, const store_filter *f, json_t **out, cirs_err *e);
  int (*incident_get)(store *st, const char *id_or_ref, const store_scope *scope, json_t **out, cirs_err *e);
  int (*principal_by_username)(store *st, const char *username, json_t **out, cirs_err *e);
  int (*principal_by_session)(store *st, const char *token_hash, int64_t now_ms, json_t **out, cirs_err *e);
  int (*principal_by_token)(store *st, const char *token_hash, json_t **out, cirs_err *e);
  int (*session_insert)(store *st, const char *token_hash, int64_t user_id, const char *csrf, int64_t expires_ms, cirs_err *e);
  int (*session_delete)(store *st, const char *token_hash, cirs_err *e);
  int (*token_insert)(store *st, const char *token_hash, int64_t user_id, const char *name, int64_t *id, cirs_err *e);
  int (*token_revoke)(store *st, int64_t id, int64_t now_ms, json_t **out, cirs_err *e);
  int (*token_list)(store *st, const char *username, json_t **out, cirs_err *e);
  int (*obligation_list)(store *st, const store_filter *f, json_t **out, cirs_err *e);
  int (*compliance)(store *st, const store_compliance_q *q, json_t **out, cirs_err *e);
  int (*statistics)(store *st, const store_filter *f, json_t **out, cirs_err *e);
  int (*inbox)(store *st, const store_inbox_q *q, json_t **out, cirs_err *e);
  int (*event_append)(store *st, model_event *ev, cirs_err *e);
  int (*event_scan)(store *st, store_event_fn fn, void *ctx, cirs_err *e);
  int (*chain_anchor)(store *st, int64_t *last_id, char hash[65], cirs_err *e);
  int (*purge)(store *st, int64_t before_ms, json_t **counts, cirs_err *e);
  int (*route_add)(store *st, int64_t incident_id, const char *authority, const char *via, int64_t from_authority_id, int64_t at_ms, cirs_err *e);
  int (*routed_to)(store *st, int64_t incident_id, int64_t authority_id);
  int (*search_set)(store *st, int64_t incident_id, const char *text, cirs_err *e);
  int (*search_catchup)(store *st, int max, int *done, cirs_err *e);
  int (*deadlines)(store *st, store_deadline_fn fn, void *ctx, cirs_err *e);
  int (*deadlines_after)(store *st, int64_t after, int limit, store_deadline_fn fn, void *ctx, int64_t *last, cirs_err *e);
  int (*obligation_get)(store *st, int64_t id, json_t **out, cirs_err *e);
  int (*reminder_mark)(store *st, int64_t obligation_id, const char *step, int64_t now, cirs_err *e);
  int (*obligation_waive)(store *st, int64_t id, const char *reason, const char *by, cirs_err *e);
  int (*recipients)(store *st, int64_t authority_id, int64_t organisation_id, json_t **out, cirs_err *e);
  int (*notification_add)(store *st, const store_notification *n, cirs_err *e);
  int (*notification_list)(store *st, int64_t user_id, int unread, int64_t after, int limit, json_t **out, cirs_err *e);
  int (*notification_read)(store *st, int64_t user_id, int64_t id, int64_t now, cirs_err *e);
  int (*outbox_add)(store *st, const store_outbox_row *r, cirs_err *e);
  int (*outbox_due)(store *st, int64_t now, int with_email, int limit, json_t **out, int64_t *next_ms, cirs_err *e);
  int (*outbox_attempt)(store *st, int64_t id, int ok, const char *detail, int64_t now, int64_t retry_ms, cirs_err *e);
  int (*outbox_list)(store *st, const store_outbox_q *q, json_t **out, cirs_err *e);
  int (*outbox_attempts)(store *st, int64_t outbox_id, json_t **out, cirs_err *e);
  int (*webhook_add)(store *st, int64_t authority_id, int64_t organisation_id, const char *url, const char *secret, int confirms_receipt,
                     const char *by, int64_t now, int64_t *id, cirs_err *e);
  int (*webhook_list)(store *st, int64_t authority_id, int64_t organisation_id, int all, json_t **out, cirs_err *e);
  int (*webhook_disable)(store *st, int64_t id, int64_t authority_id, int64_t organisation_id, int all, cirs_err *e);
  int (*incident_authorities)(store *st, int64_t incident_id, const char *via, json_t **out, cirs_err *e);
  int64_t (*id_of)(store *st, const char *what, const char *code);
  int (*receipt_insert)(store *st, int64_t incident_id, int64_t authority_id, int64_t user_id, const char *how, int64_t at_ms, const char *note,
                        int64_t *id, cirs_err *e);
  int (*receipt_get)(store *st, int64_t incident_id, int64_t authority_id, json_t **out, cirs_err *e);
  int (*obligation_update)(store *st, int64_t id, const char *status, int64_t due_ms, int64_t met_ms, cirs_err *e);
  int (*incident_update)(store *st, const model_incident *inc, int64_t handling_end_ms, cirs_err *e);
  int (*tip_insert)(store *st, const json_t *content, const char *addr_hash, int64_t at_ms, int64_t *id, char ref[40], cirs_err *e);
  int (*tip_list)(store *st, int64_t after_id, int limit, json_t **out, cirs_err *e);
  int (*idem_get)(store *st, int64_t user_id, const char *key, json_t **out, cirs_err *e);
  int (*idem_put)(store *st, int64_t user_id, const char *key, const char *request_hash, int status, const char *response, cirs_err *e);
  int (*access_log)(store *st, const json_t *entries, cirs_err *e);
  int (*access_list)(store *st, int64_t incident_id, int64_t after_id, int limit, json_t **out, cirs_err *e);
  int (*incident_events)(store *st, int64_t incident_id, json_t **out, cirs_err *e);
  int (*cleanup)(store *st, int64_t now_ms, int64_t idem_before_ms, json_t **counts, cirs_err *e);
  int (*obligation_counts)(store *st, json_t **out, cirs_err *e);
  /* mail intake (issue 7) */
  int (*mail_insert)(store *st, const store_mail *m, int64_t *id, char ref[40], cirs_err *e);
  int (*mail_seen)(store *st, const char *message_id, const char *sha256, json_t **out, cirs_err *e);
  int (*mail_attachment_add)(store *st, int64_t mail_id, const char *filename, const char *content_type, const void *data, size_t size,
                             const char *sha256, cirs_err *e);
  int (*mail_draft_add)(store *st, const store_mail_draft *d, int64_t *id, cirs_err *e);
  int (*mail_draft_triage)(store *st, int64_t draft_id, const char *by, const char *note, int64_t now, int64_t *mail_id, cirs_err *e);
  int (*mail_sender_org)(store *st, const char *address, char *code, cirs_err *e);
  int (*mail_sender_add)(store *st, const char *org_code, const char *address, int64_t now, cirs_err *e);
  int (*mail_senders)(store *st, json_t **out, cirs_err *e);
  int (*mail_list)(store *st, const char *what, int open_only, int64_t after, int limit, json_t **out, cirs_err *e);
  int (*mail_get)(store *st, const char *id_or_ref, json_t **out, cirs_err *e);
  int (*mail_raw)(store *st, int64_t id, unsigned char **data, size_t *len, cirs_err *e);
  /* leadership among instances sharing one database (NULL: a single instance, always the leader) */
  int (*lease)(store *st, int *held, cirs_err *e);
  int (*listen)(store *st, cirs_err *e);
  int (*wait)(store *st, int timeout_ms, store_notice_fn fn, void *ctx, cirs_err *e);
  /* warnings and responses (store.h, "emergency") */
  int (*warning_insert)(store *st, const json_t *w, int64_t *id, char ref[40], cirs_err *e);
  int (*warning_recipients_fill)(store *st, int64_t warning_id, int64_t issuer_id, const json_t *scope, int64_t *count, cirs_err *e);
  int (*warning_get)(store *st, const char *id_or_ref, json_t **out, cirs_err *e);
  int (*warning_list)(store *st, const store_em_q *q, json_t **out, cirs_err *e);
  int (*warning_set)(store *st, int64_t id, const json_t *changes, cirs_err *e);
  int (*warning_ack)(store *st, int64_t warning_id, int64_t authority_id, int64_t organisation_id, const char *by, int64_t now, cirs_err *e);
  int (*response_insert)(store *st, const json_t *r, int64_t *id, char ref[40], cirs_err *e);
  int (*response_get)(store *st, const char *id_or_ref, json_t **out, cirs_err *e);
  int (*response_list)(store *st, const store_em_q *q, json_t **out, cirs_err *e);
  int (*response_set)(store *st, int64_t id, const json_t *changes, cirs_err *e);
  int (*response_update_add)(store *st, int64_t response_id, const char *kind, const char *text, const char *by, int64_t now, cirs_err *e);
  int (*investigation_insert)(store *st, int64_t response_id, const json_t *content, const char *by, int64_t now, int64_t *id, cirs_err *e);
  int (*authority_get)(store *st, const char *code, json_t **out, cirs_err *e);
  int (*contacts_replace)(store *st, int64_t authority_id, const json_t *rows, const char *by, int64_t now, cirs_err *e);
  int (*contacts_list)(store *st, int64_t authority_id, json_t **out, cirs_err *e);
} store_driver;

/* Every driver's handle starts with this. */
struct store {
  const store_driver *drv;
};

/* Hash of a statement's text (FNV-1a): the drivers' statement caches compare it before the text. */
static inline uint64_t store_sql_hash(const char *sql) {
  uint64_t h = 1469598103934665603ull;
  for (const unsigned char *p = (const unsigned char *)sql; *p; p++) h = (h ^ *p) * 1099511628211ull;
  return h;
}

/* What a purge (store_purge) deletes besides the audit events, the purged incidents and their versions, obligations,
 * routes, receipts and search text: what is tied to those incidents, and personal records older than the cut.
 * P is the driver's placeholder for the cut ("?1" or "$1"). Run in this order, before the incidents themselves. */
#define STORE_PURGE_OLD(P) "SELECT id FROM incidents WHERE updated_ms < " P
#define STORE_PURGE_MSGS(P) "incident_id IN (" STORE_PURGE_OLD(P) ") OR (created_ms < " P " AND status <> 'pending')"
/* A copy of a mail is kept while the incident it became is kept: it is the evidence of how the report came in. */
#define STORE_PURGE_MAILS(P) "received_ms < " P " AND (incident_id IS NULL OR incident_id NOT IN (SELECT id FROM incidents WHERE updated_ms >= " P "))"
typedef struct store_purge_step {
  const char *count_key; /* the count reported for it, or NULL */
  const char *table, *where;
} store_purge_step;
#define STORE_PURGE_STEPS(P)                                                                                            \
  {{NULL, "reminders", "obligation_id IN (SELECT id FROM obligations WHERE incident_id IN (" STORE_PURGE_OLD(P) "))"},  \
   {NULL, "response_incidents", "incident_id IN (" STORE_PURGE_OLD(P) ")"},                                            \
   {"notifications", "notifications", "incident_id IN (" STORE_PURGE_OLD(P) ") OR created_ms < " P},                  \
   {NULL, "outbox_attempts", "outbox_id IN (SELECT id FROM outbox WHERE " STORE_PURGE_MSGS(P) ")"},                    \
   {"messages", "outbox", STORE_PURGE_MSGS(P)},                                                                         \
   {NULL, "intake_attachments", "mail_id IN (SELECT id FROM intake_mails WHERE " STORE_PURGE_MAILS(P) ")"},             \
   {NULL, "intake_drafts", "mail_id IN (SELECT id FROM intake_mails WHERE " STORE_PURGE_MAILS(P) ")"},                  \
   {"mails", "intake_mails", STORE_PURGE_MAILS(P)},                                                                     \
   {"tips", "tips", "received_ms < " P},                                                                                \
   {NULL, "access_log", "at_ms < " P},                                                                                  \
   {NULL, NULL, NULL}}

extern const store_driver store_sqlite_driver;
extern const store_driver store_pg_driver;

#endif
