/* store.h — the storage interface. Callers never see SQL; a driver (db_sqlite.c now, db_pg.c later)
 * implements the operations below for one backend, with the same semantics and error codes.
 *
 * Ownership: model structs passed in are borrowed; JSON results (json_t **out) are new references the caller
 * must json_decref. Writes happen inside store_begin/store_commit; a failed call leaves the transaction open
 * for the caller to roll back. Every state change must append an event (store_event_append) in the same
 * transaction — the command layer (src/model/) does that, the store does not decide what an event is. */
#ifndef CIRS_STORE_H
#define CIRS_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "../common/err.h"
#include "../model/model.h"

#define STORE_LIST_MAX 1000   /* largest page a list returns */
#define STORE_RETENTION_DAYS 180

typedef struct store store;

/* Opens (and migrates to the newest schema) the database at `target`: a file path for SQLite.
 * With `create`, the database must not exist yet and is created; without it, it must exist. */
int store_open(const char *target, int create, store **out, cirs_err *e);
void store_close(store *st);
int store_schema_version(store *st);
const char *store_backend(store *st); /* "sqlite" */

int store_begin(store *st, cirs_err *e);
int store_commit(store *st, cirs_err *e);
void store_rollback(store *st);

/* Reference data. Inserts fill ->id. `code` values must be unique (conflict otherwise). */
int store_authority_insert(store *st, model_authority *a, cirs_err *e);
int store_org_insert(store *st, model_org *o, cirs_err *e);
int store_user_insert(store *st, model_user *u, cirs_err *e);
/* Organisation by code: {id, code, name, kinds, province, sector, department, regimes, contact_email}. not_found if none. */
int store_org_get(store *st, const char *code, json_t **out, cirs_err *e);
/* The authority of `type` whose jurisdiction covers (province, sector, department): an authority matches when
 * each of its jurisdiction columns is NULL or equal. Writes its code into `code` (size MODEL_CODE_MAX) and
 * returns 1, or returns 0 when none matches, -1 on error. */
int store_authority_match(store *st, const char *type, const char *province, const char *sector, const char *department,
                          char *code, cirs_err *e);

/* Incidents and their records. */
int store_incident_insert(store *st, model_incident *inc, cirs_err *e); /* fills id and ref */
int store_report_insert(store *st, model_report *r, cirs_err *e);       /* fills id and version */
int store_obligation_insert(store *st, model_obligation *o, cirs_err *e);

/* Who may see what. Exactly one of the three grants access; all zero = nothing. */
typedef struct store_scope {
  int all;                 /* every incident (CLI on the database file, national emergency office) */
  int64_t organisation_id; /* an operator: its own organisation's incidents */
  int64_t authority_id;    /* an authority: incidents routed to it or to any authority below it */
} store_scope;

typedef struct store_filter {
  store_scope scope;       /* what the caller may see */
  int64_t organisation_id; /* 0 = any */
  const char *status, *grade, *category; /* NULL = any */
  int64_t after_id;        /* cursor: rows with id > after_id; 0 = from the start */
  int limit;               /* 1..STORE_LIST_MAX */
  int overdue_only;        /* obligations: pending with due_ms < now_ms, or status overdue */
  int64_t now_ms;
} store_filter;

/* Incidents, newest first is not needed: ascending id, for stable cursors. Rows: {id, ref, organisation, title,
 * category, grade, reportable, status, aware_at_ms, created_ms}. */
int store_incident_list(store *st, const store_filter *f, json_t **out, cirs_err *e);
/* One incident by id or ref, with "reports" (all versions, oldest first) and "obligations". */
int store_incident_get(store *st, const char *id_or_ref, const store_scope *scope, json_t **out, cirs_err *e);
/* Obligations joined with their incident: {id, incident_id, ref, regime, route, kind, from, to, to_authorities,
 * max, relative_to, due_ms, hard, policy, status, source, confidence}. */
int store_obligation_list(store *st, const store_filter *f, json_t **out, cirs_err *e);

/* Accounts. A principal is {id, username, name, role, organisation_id, organisation, authority_id, authority,
 * authority_type, disabled}; by_username adds password_hash, by_session adds csrf. not_found when none. */
int store_principal_by_username(store *st, const char *username, json_t **out, cirs_err *e);
int store_principal_by_session(store *st, const char *token_hash, int64_t now_ms, json_t **out, cirs_err *e);
int store_principal_by_token(store *st, const char *token_hash, json_t **out, cirs_err *e);
int store_session_insert(store *st, const char *token_hash, int64_t user_id, const char *csrf, int64_t expires_ms, cirs_err *e);
int store_session_delete(store *st, const char *token_hash, cirs_err *e);
int store_token_insert(store *st, const char *token_hash, int64_t user_id, const char *name, int64_t *id, cirs_err *e);
/* Revokes token `id` (sets revoked_ms; not_found when there is no such unrevoked token). Fills *out with
 * {id, username, name} of the revoked token. */
int store_token_revoke(store *st, int64_t id, int64_t now_ms, json_t **out, cirs_err *e);
/* Tokens of `username` (NULL = every user): [{id, username, name, created_ms, revoked_ms}] by id. Never the hash. */
int store_token_list(store *st, const char *username, json_t **out, cirs_err *e);

/* The event log. Append computes the chain hash from the previous row (or the purge anchor). */
int store_event_append(store *st, model_event *ev, cirs_err *e);
/* Calls `fn` for every event in id order until it returns non-zero (which is then returned). */
typedef int (*store_event_fn)(void *ctx, int64_t id, int64_t at_ms, const char *actor, const char *type, const char *entity,
                              int64_t entity_id, const char *payload, const char *prev_hash, const char *hash);
int store_event_scan(store *st, store_event_fn fn, void *ctx, cirs_err *e);
/* The chain's starting point: AUDIT_GENESIS and id 0, or the last purged event. */
int store_chain_anchor(store *st, int64_t *last_id, char hash[65], cirs_err *e);

/* Deletes events, and incidents with every record, whose time is before `before_ms`. The caller has checked
 * the retention period; the database refuses younger rows as well. Fills counts {events, incidents, reports, obligations}. */
int store_purge(store *st, int64_t before_ms, json_t **counts, cirs_err *e);

#endif
