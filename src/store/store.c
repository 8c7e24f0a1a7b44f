/* store.c — picks the driver for a target and forwards every call to it. */
#include "store_int.h"

#include <string.h>

int store_open(const char *target, int create, store **out, cirs_err *e) {
  *out = NULL;
  if (!target || !*target) return err_set(e, "usage", "db", L("需要 --db PATH", "--db PATH is required"));
  if (!strncmp(target, "postgresql://", 13) || !strncmp(target, "postgres://", 11))
    return err_set(e, "usage", "db", L("本版本尚不支持 PostgreSQL，请使用 SQLite 文件路径", "PostgreSQL is not supported by this build yet; use an SQLite file path"));
  return store_sqlite_driver.open(target, create, out, e);
}

void store_close(store *st) {
  if (st) st->drv->close(st);
}
int store_schema_version(store *st) { return st->drv->schema_version(st); }
const char *store_backend(store *st) { return st->drv->name; }
int store_begin(store *st, cirs_err *e) { return st->drv->begin(st, e); }
int store_commit(store *st, cirs_err *e) { return st->drv->commit(st, e); }
void store_rollback(store *st) { st->drv->rollback(st); }
int store_authority_insert(store *st, model_authority *a, cirs_err *e) { return st->drv->authority_insert(st, a, e); }
int store_org_insert(store *st, model_org *o, cirs_err *e) { return st->drv->org_insert(st, o, e); }
int store_user_insert(store *st, model_user *u, cirs_err *e) { return st->drv->user_insert(st, u, e); }
int store_org_get(store *st, const char *code, json_t **out, cirs_err *e) { return st->drv->org_get(st, code, out, e); }
int store_authority_match(store *st, const char *type, const char *province, const char *sector, const char *department, char *code,
                          cirs_err *e) {
  return st->drv->authority_match(st, type, province, sector, department, code, e);
}
int store_incident_insert(store *st, model_incident *inc, cirs_err *e) { return st->drv->incident_insert(st, inc, e); }
int store_report_insert(store *st, model_report *r, cirs_err *e) { return st->drv->report_insert(st, r, e); }
int store_obligation_insert(store *st, model_obligation *o, cirs_err *e) { return st->drv->obligation_insert(st, o, e); }
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
int store_event_append(store *st, model_event *ev, cirs_err *e) { return st->drv->event_append(st, ev, e); }
int store_event_scan(store *st, store_event_fn fn, void *ctx, cirs_err *e) { return st->drv->event_scan(st, fn, ctx, e); }
int store_chain_anchor(store *st, int64_t *last_id, char hash[65], cirs_err *e) { return st->drv->chain_anchor(st, last_id, hash, e); }
int store_purge(store *st, int64_t before_ms, json_t **counts, cirs_err *e) { return st->drv->purge(st, before_ms, counts, e); }
