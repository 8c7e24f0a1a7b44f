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

/* Opens (and migrates to the newest schema) the database at `target`: a file path for SQLite, or a libpq URL
 * (postgresql://... or postgres://...) for PostgreSQL. With `create`, the database must not exist yet (SQLite) or
 * hold no CIRS schema yet (PostgreSQL: the database itself is the administrator's) and is created; without it, it
 * must exist. */
int store_open(const char *target, int create, store **out, cirs_err *e);
void store_close(store *st);
int store_schema_version(store *st);
const char *store_backend(store *st); /* "sqlite" | "postgresql" */
/* Pipelined durability for a service's single writer: after this call, a COMMIT on `st` returns before its
 * data is forced to disk, and fdatasync() of the file named in `path` (written there) makes every commit
 * returned so far durable. Returns 1 when set up, 0 when the backend's commits are durable anyway (path ""),
 * -1 on error. */
int store_defer_sync(store *st, char *path, size_t n, cirs_err *e);

/* Transactions nest: begin inside an open transaction opens a savepoint, commit releases it, rollback undoes
 * only the innermost level. Only the outermost commit makes the work durable (fsync). */
int store_begin(store *st, cirs_err *e);
int store_commit(store *st, cirs_err *e);
void store_rollback(store *st);
int store_level(store *st);               /* open levels, 0 = none */
void store_unwind(store *st, int level);  /* rolls back until `level` levels remain */

/* Reference data. Inserts fill ->id. `code` values must be unique (conflict otherwise). */
int store_authority_insert(store *st, model_authority *a, cirs_err *e);
int store_org_insert(store *st, model_org *o, cirs_err *e);
int store_user_insert(store *st, model_user *u, cirs_err *e);
/* Organisation by code: {id, code, name, kinds, province, sector, department, regimes, contact_email, created_ms}. not_found if none. */
int store_org_get(store *st, const char *code, json_t **out, cirs_err *e);
/* The authority of `type` whose jurisdiction covers (province, sector, department): an authority matches when
 * each of its jurisdiction columns is NULL or equal. Writes its code into `code` (size MODEL_CODE_MAX) and
 * returns 1, or returns 0 when none matches, -1 on error. */
int store_authority_match(store *st, const char *type, const char *province, const char *city, const char *sector, const char *department,
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
  int overdue_only;        /* pending with due_ms < now_ms, or status overdue (incidents: any such obligation) */
  int64_t now_ms;
  const char *province;    /* incidents: the organisation's province code; NULL = any */
  int64_t from_ms, to_ms;  /* incidents: aware_ms in [from, to); obligations: to_ms = due before. 0 = open */
  const char *q;           /* incidents: substring of the title or any report text (Chinese works); NULL = none */
  int drill;               /* 0 any, 1 real only, 2 drills only */
} store_filter;

/* Incidents, newest first is not needed: ascending id, for stable cursors. Rows: {id, ref, organisation, title,
 * category, grade, reportable, status, aware_at_ms, created_ms}. */
int store_incident_list(store *st, const store_filter *f, json_t **out, cirs_err *e);
/* One incident by id or ref, with "reports" (all versions, oldest first) and "obligations". */
int store_incident_get(store *st, const char *id_or_ref, const store_scope *scope, json_t **out, cirs_err *e);
/* Obligations joined with their incident: {id, incident_id, ref, regime, route, kind, from, to, to_authorities,
 * max, relative_to, due_ms, hard, policy, status, met_ms, source, confidence, from_authority, drill}. The scope picks
 * whose: an operator's own (from operator), an authority's and its subordinates' (from_authority), or all.
 * Filters: status, overdue_only, to_ms (due before), drill. */
int store_obligation_list(store *st, const store_filter *f, json_t **out, cirs_err *e);

/* Statistics of the incidents in f->scope whose aware time is in [f->from_ms, f->to_ms) (0 = open), f->drill as in
 * the incident list: rows {dim, key, n, sum_ms} — dim "total" (key ""), "grade", "category" (GB/T 20986 code), "province",
 * "month" (YYYY-MM in Beijing time), "obligation:KIND" (key: status, with past-due pending read as overdue) and
 * "time_to_report" (key: a bucket "<1h", "1-2h", "2-4h", "4-24h", ">24h" of the incident's creation by its first report -
 * aware time; sum_ms the
 * sum of those times). The SQLite driver counts the incidents in one pass and groups the obligations in SQL. */
int store_statistics(store *st, const store_filter *f, json_t **out, cirs_err *e);

/* The inbox: incidents in the caller's scope that need attention, at most `limit`: first those routed to the caller's
 * own authority without its receipt (newest first), then those with the earliest pending or overdue clock of the
 * caller (scope as store_obligation_list), then the newest others. Rows: {id, ref, organisation, organisation_name,
 * province, title, category, grade, status, aware_ms, created_ms, drill, next_due_ms, next_kind, received_ms, needs_receipt},
 * needs_receipt first, then by next_due_ms (none last), then newest. */
typedef struct store_inbox_q {
  store_scope scope;    /* which incidents and whose clocks */
  int64_t authority_id; /* the caller's own authority (receipts are per authority), or 0 */
  int64_t now_ms;
  int limit;            /* 1..STORE_LIST_MAX */
} store_inbox_q;
int store_inbox(store *st, const store_inbox_q *q, json_t **out, cirs_err *e);

/* The compliance ledger's selection (src/model/compliance.c does the arithmetic). Exactly one of organisation and
 * authority is set. */
#define STORE_COMPLIANCE_MAX 200000 /* rows per result list; more is too_large (narrow the period) */
typedef struct store_compliance_q {
  const char *organisation; /* operator code: its incidents and its own obligations (from operator) */
  const char *authority;    /* authority code: its own obligations (from_authority) and the incidents routed to it */
  int subtree;              /* with authority: the authorities below it as well */
  int64_t from_ms, to_ms;   /* incidents whose aware time is in [from, to); MODEL_NO_TIME = open */
  int drills;               /* 1: exercises (drill incidents) too; 0: real incidents only */
} store_compliance_q;
/* Raw rows of the incidents in the selection, oldest id first: {"incidents": [{id, ref, aware_ms, drill, initial_ms
 * (first initial report's submitted_ms or null)}], "obligations": [{id, incident_id, ref, kind, status (as stored),
 * due_ms, met_ms}], "reports": [{incident_id, ref, version, kind, submitted_ms, facts (content.facts, or null)}]}, reports
 * by incident then version. not_found (field organisation/authority) for an unknown code. */
int store_compliance(store *st, const store_compliance_q *q, json_t **out, cirs_err *e);

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

/* --- follow-up records ---------------------------------------------------------------------------------------- */

/* Records that an incident reached `authority` (code) by a report or an escalation (idempotent). */
int store_route_add(store *st, int64_t incident_id, const char *authority, const char *via, int64_t from_authority_id, int64_t at_ms, cirs_err *e);
int store_routed_to(store *st, int64_t incident_id, int64_t authority_id); /* 1 when a route row exists */
/* Replaces the searchable text of an incident: queued at once (searches see it), indexed by store_search_catchup. */
int store_search_set(store *st, int64_t incident_id, const char *text, cirs_err *e);
/* Moves up to `max` queued texts into the full-text index; *done says how many. */
int store_search_catchup(store *st, int max, int *done, cirs_err *e);
/* One receipt per incident and authority (conflict on a second). */
int store_receipt_insert(store *st, int64_t incident_id, int64_t authority_id, int64_t user_id, const char *how, int64_t at_ms, const char *note,
                         int64_t *id, cirs_err *e);
int store_receipt_get(store *st, int64_t incident_id, int64_t authority_id, json_t **out, cirs_err *e); /* {id, at_ms, how, username} */
int store_obligation_update(store *st, int64_t id, const char *status, int64_t due_ms, int64_t met_ms, cirs_err *e);
/* Writes title, category, grade, reportable, status and handling_end_ms of inc->id. */
int store_incident_update(store *st, const model_incident *inc, int64_t handling_end_ms, cirs_err *e);
int store_tip_insert(store *st, const json_t *content, const char *addr_hash, int64_t at_ms, int64_t *id, char ref[40], cirs_err *e);
int store_tip_list(store *st, int64_t after_id, int limit, json_t **out, cirs_err *e);
/* Idempotency records: {request_hash, status, response} or not_found. */
int store_idem_get(store *st, int64_t user_id, const char *key, json_t **out, cirs_err *e);
int store_idem_put(store *st, int64_t user_id, const char *key, const char *request_hash, int status, const char *response, cirs_err *e);
/* Appends access-log entries [{at_ms, user_id, username, authority_id, incident_id, what, req_id}]. */
int store_access_log(store *st, const json_t *entries, cirs_err *e);
int store_access_list(store *st, int64_t incident_id, int64_t after_id, int limit, json_t **out, cirs_err *e);
/* The events of one incident (its own and its reports' and obligations'), oldest first. */
int store_incident_events(store *st, int64_t incident_id, json_t **out, cirs_err *e);
/* Deletes expired sessions and idempotency records older than idem_before_ms; counts {sessions, idempotency}. */
int store_cleanup(store *st, int64_t now_ms, int64_t idem_before_ms, json_t **counts, cirs_err *e);
int store_obligation_counts(store *st, json_t **out, cirs_err *e); /* {status: count} */


/* --- clocks and notifications (issue 4) ------------------------------------------------------------------- */

/* Every pending obligation with a deadline: fn(ctx, id, due_ms, max) (max = ISO 8601 duration or NULL). */
typedef void (*store_deadline_fn)(void *ctx, int64_t id, int64_t due_ms, const char *max);
int store_deadlines(store *st, store_deadline_fn fn, void *ctx, cirs_err *e);
/* The pending deadlines among obligations with an id above `after` (in id order, at most `limit` rows read; *last
 * = the highest id read, `after` when none): how the scheduler finds obligations committed by other processes
 * (`cirs mail ingest` from an MTA pipe, `cirs import`) while `cirs serve` runs. Returns the rows read, or -1. */
int store_deadlines_after(store *st, int64_t after, int limit, store_deadline_fn fn, void *ctx, int64_t *last, cirs_err *e);
/* One obligation with its incident's ref, title, grade, drill, organisation_id and from_authority (code). */
int store_obligation_get(store *st, int64_t id, json_t **out, cirs_err *e);
/* Records that reminder `step` of an obligation fired: 1 when recorded now, 0 when it had fired before. */
int store_reminder_mark(store *st, int64_t obligation_id, const char *step, int64_t now, cirs_err *e);
/* pending/overdue -> waived with reason and who; conflict otherwise. */
int store_obligation_waive(store *st, int64_t id, const char *reason, const char *by, cirs_err *e);
/* Who hears about an authority or organisation (pass one id, the other 0): {users:[{id,username,email}], webhooks:[{id,url}]}. */
int store_recipients(store *st, int64_t authority_id, int64_t organisation_id, json_t **out, cirs_err *e);
/* Changes of obligations reach this hook (the service's scheduler): after an insert or a new deadline. */
typedef void (*store_obligation_hook)(int64_t id, int64_t due_ms, const char *max);
void store_set_obligation_hook(store_obligation_hook fn);

typedef struct store_notification {
  int64_t user_id, event_id, incident_id, at_ms;
  const char *kind, *title, *body;
} store_notification;
/* In-app notifications: one per user and event (a repeat is ignored). List newest first; `after` = id cursor. */
int store_notification_add(store *st, const store_notification *n, cirs_err *e);
int store_notification_list(store *st, int64_t user_id, int unread, int64_t after, int limit, json_t **out, cirs_err *e);
int store_notification_read(store *st, int64_t user_id, int64_t id, int64_t now, cirs_err *e);

typedef struct store_outbox_row {
  int64_t event_id, authority_id, organisation_id, incident_id, at_ms;
  const char *kind, *channel, *target, *subject, *body; /* channel email | webhook; target address or webhook id */
} store_outbox_row;
/* Queues one message; the same event, channel and target again is ignored (idempotency key). */
int store_outbox_add(store *st, const store_outbox_row *r, cirs_err *e);
/* Pending messages due at `now` (with the webhook's url and secret); *next_ms = the next later one, or 0.
 * with_email 0: webhooks only (no mail server configured: e-mails wait, untried). */
int store_outbox_due(store *st, int64_t now, int with_email, int limit, json_t **out, int64_t *next_ms, cirs_err *e);
/* Records an attempt: delivered when ok; else retried at retry_ms, or dead when retry_ms is 0. */
int store_outbox_attempt(store *st, int64_t id, int ok, const char *detail, int64_t now, int64_t retry_ms, cirs_err *e);
typedef struct store_outbox_q {
  int all;                      /* every row (national office, system admin, auditor) */
  int64_t authority_id, organisation_id, incident_id, after;
  const char *status;           /* pending | delivered | dead | NULL */
  int limit;
} store_outbox_q;
int store_outbox_list(store *st, const store_outbox_q *q, json_t **out, cirs_err *e);
int store_outbox_attempts(store *st, int64_t outbox_id, json_t **out, cirs_err *e);

/* confirms_receipt: the webhook's 2xx answer to report.received / incident.forwarded records the authority's receipt. */
int store_webhook_add(store *st, int64_t authority_id, int64_t organisation_id, const char *url, const char *secret, int confirms_receipt,
                      const char *by, int64_t now, int64_t *id, cirs_err *e);
int store_webhook_list(store *st, int64_t authority_id, int64_t organisation_id, int all, json_t **out, cirs_err *e);
int store_webhook_disable(store *st, int64_t id, int64_t authority_id, int64_t organisation_id, int all, cirs_err *e);
/* The authorities an incident is routed to ({id, code, type, at_ms}), optionally only those of one `via`. */
int store_incident_authorities(store *st, int64_t incident_id, const char *via, json_t **out, cirs_err *e);
/* Id of an authority ("authority") or organisation ("organisation") by code; 0 when none. */
int64_t store_id_of(store *st, const char *what, const char *code);

/* --- mail intake (issue 7; src/intake/) ----------------------------------------------------------------------
 * Tables: sql/006_intake.sql (sql/pg/006_intake.sql). */

typedef struct store_mail {
  const char *message_id;   /* Message-ID without <>, or "sha256:<hex>" */
  const char *source;       /* "stdin" | "maildir:<name>" */
  const char *sender, *sender_name, *subject, *charset; /* or NULL */
  const char *sha256;       /* of the bytes as received */
  const char *content_sha256; /* of sender, subject, date and body (trace headers excluded) */
  int64_t received_ms, size;
  const char *status;       /* accepted | quarantined */
  const char *kind;         /* report | tip | draft, NULL when quarantined */
  int64_t organisation_id, incident_id, tip_id; /* 0 = none */
  const char *result_ref;   /* receipt number sent back; NULL = the row's own ref (drafts) */
  const char *reason_code, *reason; /* or NULL */
  const char *reply;        /* queued | skipped | none */
  const void *raw;          /* quarantined: bytes kept (borrowed), else NULL */
  size_t raw_len;
} store_mail;
/* Inserts an intake_mails row; fills id and ref (MAIL-YYYY-NNNNNN). conflict when an accepted row has the Message-ID. */
int store_mail_insert(store *st, const store_mail *m, int64_t *id, char ref[40], cirs_err *e);
/* The earlier row of a Message-ID: the accepted row with it, else a quarantined row with it and the same sha256.
 * {id, ref, status, kind, result_ref, reason_code, content_sha256} or not_found. */
int store_mail_seen(store *st, const char *message_id, const char *sha256, json_t **out, cirs_err *e);
/* Stores one decoded attachment (data borrowed) of mail `mail_id`. */
int store_mail_attachment_add(store *st, int64_t mail_id, const char *filename, const char *content_type, const void *data, size_t size,
                              const char *sha256, cirs_err *e);
typedef struct store_mail_draft {
  int64_t mail_id, organisation_id, created_ms; /* organisation 0 = unknown sender */
  const char *sender, *subject, *text;
  const json_t *parsed;     /* report document read from a template, or NULL */
} store_mail_draft;
int store_mail_draft_add(store *st, const store_mail_draft *d, int64_t *id, cirs_err *e);
/* new -> triaged with who and a note; not_found (no such draft), conflict (already triaged). Fills *mail_id. */
int store_mail_draft_triage(store *st, int64_t draft_id, const char *by, const char *note, int64_t now, int64_t *mail_id, cirs_err *e);
/* The organisation mail from `address` (lower case) speaks for: an exact address (org_senders, an organisation's
 * contact_email, an enabled operator user's email), else its domain in org_senders ("@example.cn"). Writes the code
 * (MODEL_CODE_MAX) and returns 1; 0 when none; 2 when several organisations match (ambiguous); -1 on error. */
int store_mail_sender_org(store *st, const char *address, char *code, cirs_err *e);
/* Registers an address or "@domain" for an organisation (not_found: org; conflict: already registered). */
int store_mail_sender_add(store *st, const char *org_code, const char *address, int64_t now, cirs_err *e);
/* [{address, organisation}] by address. */
int store_mail_senders(store *st, json_t **out, cirs_err *e);
/* Mails by id, after the cursor: what = "all" | "quarantined" | "drafts" (drafts with their mail's ref and status;
 * `open_only` = status new). Never the raw bytes or attachment data. */
int store_mail_list(store *st, const char *what, int open_only, int64_t after, int limit, json_t **out, cirs_err *e);
/* One mail by id or ref with "attachments" [{id, filename, content_type, size, sha256}] and "draft" (or null). */
int store_mail_get(store *st, const char *id_or_ref, json_t **out, cirs_err *e);
/* The raw bytes kept of a quarantined mail (malloc'd into *data; *len 0 and NULL when none). */
int store_mail_raw(store *st, int64_t id, unsigned char **data, size_t *len, cirs_err *e);

/* --- several instances on one database (issue 8; src/clock/lease.c) -------------------------------------------
 * With PostgreSQL several `cirs serve` share a database; exactly one, the leader, runs the scheduler and the
 * deliverer. Use a connection of its own for these three calls. SQLite has one instance: always the leader. */
/* 1 when the backend can be shared by several instances (then the calls below mean something). */
int store_shared(store *st);
/* Takes the leader lease on this connection, or confirms it still holds it: *held = 1 when it does. An error
 * means the connection (and with it any lease) is gone: close it and open a new one. */
int store_lease(store *st, int *held, cirs_err *e);
/* Subscribes this connection to change notices: "cirs_deadline" (payload "ID DUE_MS MAX": a pending deadline was
 * committed by any instance) and "cirs_outbox" (messages were queued). */
typedef void (*store_notice_fn)(void *ctx, const char *channel, const char *payload);
int store_listen(store *st, cirs_err *e);
/* Waits up to timeout_ms for notices and calls fn for each; an error as for store_lease. */
int store_wait(store *st, int timeout_ms, store_notice_fn fn, void *ctx, cirs_err *e);
/* --- emergency: warnings (预警) and responses (应急响应), issue 5 ------------------------------------------------------- */

/* Who asks: everything (all), an authority (what it or the authorities below it issued or started, and what is
 * addressed to it or covers incidents routed to it), or an operator (what is addressed to it or covers its incidents). */
typedef struct store_em_q {
  int all;
  int64_t authority_id, organisation_id;
  const char *status;  /* warnings: active | lifted; responses: active | end_proposed | ended; NULL = any */
  int drill;           /* 0 any, 1 real only, 2 drills only */
  int64_t after;       /* cursor: id > after */
  int limit;
} store_em_q;

/* A warning {issuer_id, scheme, level, category?, title, matters, measures, scope, starts_ms, drill, created_by, now}:
 * fills id and ref (WARN-YYYY-NNNNNN). */
int store_warning_insert(store *st, const json_t *w, int64_t *id, char ref[40], cirs_err *e);
/* Addresses warning `warning_id` to every operator and authority in `scope` {provinces, sectors, departments} (an
 * operator of a listed province, sector or department; an authority whose jurisdiction is one of them), never the
 * issuer. *count = recipients added. */
int store_warning_recipients_fill(store *st, int64_t warning_id, int64_t issuer_id, const json_t *scope, int64_t *count, cirs_err *e);
/* One warning by id or ref with "issuer" (code), "issuer_type", "recipients" [{authority, organisation, acked_ms, acked_by}]. */
int store_warning_get(store *st, const char *id_or_ref, json_t **out, cirs_err *e);
int store_warning_list(store *st, const store_em_q *q, json_t **out, cirs_err *e);
/* Applies {level?, title?, matters?, measures?, status?, lifted_ms?, lifted_by?, lift_reason?, updated_ms} and bumps version. */
int store_warning_set(store *st, int64_t id, const json_t *changes, cirs_err *e);
/* Records an acknowledgement; not_found when not a recipient, conflict when already acknowledged. */
int store_warning_ack(store *st, int64_t warning_id, int64_t authority_id, int64_t organisation_id, const char *by, int64_t now, cirs_err *e);
/* A response {starter_id, scheme, level, title, decider?, drill, warning_id?, started_by, now, incidents: [ids]}: fills id, ref. */
int store_response_insert(store *st, const json_t *r, int64_t *id, char ref[40], cirs_err *e);
/* One response with "starter" (code), "starter_type", "incidents" [{id, ref, organisation_id, drill}], "updates", "investigation". */
int store_response_get(store *st, const char *id_or_ref, json_t **out, cirs_err *e);
int store_response_list(store *st, const store_em_q *q, json_t **out, cirs_err *e);
/* Applies {status?, end_proposed_by?, end_proposed_ms?, ended_by?, ended_ms?, summary?}. */
int store_response_set(store *st, int64_t id, const json_t *changes, cirs_err *e);
int store_response_update_add(store *st, int64_t response_id, const char *kind, const char *text, const char *by, int64_t now, cirs_err *e);
/* An authority by code: {id, code, type, name, name_en, province, city, sector, department, parent, ancestors: [ids of
 * every authority above it]}; not_found when none. */
int store_authority_get(store *st, const char *code, json_t **out, cirs_err *e);
/* Duty contacts (应急联络表) of an authority: replaces the whole list with `rows` [{unit, duty_phone?, contact?, mobile?,
 * email?, note?}] (in order); lists it in order. */
int store_contacts_replace(store *st, int64_t authority_id, const json_t *rows, const char *by, int64_t now, cirs_err *e);
int store_contacts_list(store *st, int64_t authority_id, json_t **out, cirs_err *e);
/* conflict when the response has an investigation report already. */
int store_investigation_insert(store *st, int64_t response_id, const json_t *content, const char *by, int64_t now, int64_t *id, cirs_err *e);

#endif
