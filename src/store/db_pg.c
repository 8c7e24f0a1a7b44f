/* db_pg.c — the PostgreSQL driver of store.h (libpq).
 *
 * One connection per handle (the service opens one per worker thread, one for the writer, one each for the
 * scheduler, the deliverer and the leadership lease). Statements are prepared once per connection and cached by
 * their text; parameters are typed (int8, text, bytea) so PostgreSQL never has to guess.
 *
 * Semantics follow db_sqlite.c: the same rows, the same JSON shapes (integers as numbers, JSON text columns
 * parsed), the same error codes (unique violation = conflict, retention trigger = retention, no row = not_found).
 * Differences that matter:
 *  - Transactions: the outermost level is BEGIN plus a transaction-scoped advisory lock (PG_LOCK_WRITE), so the
 *    write transactions of every instance on the database run one after the other, as SQLite's single writer
 *    does. The hash chain needs that (each event hashes the previous one), and writers never deadlock on rows.
 *    Inner levels are savepoints; after an error PostgreSQL refuses further statements until the caller rolls
 *    back, which the store contract already asks for.
 *  - Ids come from identity sequences (incidents, tips and mails take nextval first: their ref carries the id).
 *    A rolled-back insert leaves a gap in the numbers, never a duplicate across instances.
 *  - Search: incident_search holds the searchable text, matched with ILIKE '%q%' (pg_trgm GIN index for three
 *    characters or more). It is written in the same transaction, so there is no queue to catch up.
 *  - Round trips: inside a transaction, inserts whose result nobody reads (events, routes, search text, outbox,
 *    notifications, access log) are deferred and sent together in one libpq pipeline before the next statement that
 *    needs an answer, the next savepoint or the commit (defer, flush); a rollback drops them unsent.
 *  - Leadership: store_lease takes a session advisory lock (PG_LOCK_LEADER) on a dedicated connection; whoever
 *    holds it runs the scheduler and the deliverer. Deadlines and outbox rows committed by any instance are
 *    announced by triggers (pg_notify, delivered at commit) to the leader's LISTEN (store_wait).
 * Schema migrations are the embedded src/store/sql/pg/NNN_*.sql, numbered like the SQLite ones; the version is
 * the row of schema_version, and a migration runs under an advisory lock so that instances starting together
 * migrate once. */
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/chain.h"
#include "../common/jdump.h"
#include "../common/embedded.h"
#include "../common/timeutil.h"
#include "store_int.h"

#define PG_STMT_CACHE 160   /* prepared statements kept per connection */
#define PG_PARAMS_MAX 32    /* parameters of one statement */
#define PG_LOCK_SPACE 1129468499 /* "CIRS": first key of every advisory lock of CIRS */
#define PG_LOCK_WRITE 1     /* transaction lock: one write transaction at a time */
#define PG_LOCK_LEADER 2    /* session lock: the instance that runs the scheduler and the deliverer */
#define PG_LOCK_MIGRATE 3   /* transaction lock: schema migrations */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_TEXT 25
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700

typedef struct pg_store {
  struct store base;
  PGconn *c;
  char *sql[PG_STMT_CACHE]; /* cached statement texts; statement i is named "c<i>" */
  uint64_t hash[PG_STMT_CACHE]; /* of each text, compared first */
  int ncache;
  int level;                /* open transaction levels: 0 none, 1 BEGIN, n > 1 savepoint s<n> */
  int64_t head_id;          /* the chain head, valid inside the current write transaction */
  char head_hash[AUDIT_HASH_HEX];
  int head_ok;
  int leader;               /* this connection holds PG_LOCK_LEADER */
  struct deferred *dq;      /* statements sent later, in one pipeline (see defer) */
  int ndq, capdq;
} pg_store;

/* A write whose result nobody reads (an event row, a route, an outbox row ...), kept until the next statement
 * that needs an answer, the next savepoint or the commit, and then sent with the others in one round trip. */
typedef struct deferred {
  int slot;                 /* prepared statement c<slot> */
  int n;
  char *v[32];              /* copies of the parameter values (NULL = SQL NULL) */
  int len[32], fmt[32];
} deferred;
#define PG_DEFER_MAX 64     /* more are sent at once */

#define PG(st) ((pg_store *)(st))

/* --- parameters ------------------------------------------------------------------------------------------------ */

typedef struct pp {
  int n;
  const char *v[PG_PARAMS_MAX];
  int len[PG_PARAMS_MAX], fmt[PG_PARAMS_MAX];
  Oid type[PG_PARAMS_MAX];
  char num[PG_PARAMS_MAX][24];
  char *own[PG_PARAMS_MAX];
} pp;

static void p_add(pp *p, Oid type, const char *v, int len, int fmt, char *own) {
  if (p->n >= PG_PARAMS_MAX) { /* a programming error: the statement then fails for its missing parameter */
    free(own);
    return;
  }
  p->type[p->n] = type;
  p->v[p->n] = v;
  p->len[p->n] = len;
  p->fmt[p->n] = fmt;
  p->own[p->n] = own;
  p->n++;
}

static void p_i(pp *p, int64_t x) {
  if (p->n >= PG_PARAMS_MAX) return;
  snprintf(p->num[p->n], sizeof p->num[p->n], "%lld", (long long)x);
  p_add(p, OID_INT8, p->num[p->n], 0, 0, NULL);
}
static void p_null_i(pp *p) { p_add(p, OID_INT8, NULL, 0, 0, NULL); }
/* A time: MODEL_NO_TIME is NULL. */
static void p_t(pp *p, int64_t ms) {
  if (ms == MODEL_NO_TIME) p_null_i(p);
  else p_i(p, ms);
}
static void p_s(pp *p, const char *s) { p_add(p, OID_TEXT, s, 0, 0, NULL); }
static void p_j(pp *p, const json_t *j) {
  char *t = j ? jdump(j) : NULL;
  p_add(p, OID_TEXT, t, 0, 0, t);
}
static void p_b(pp *p, const void *d, size_t n) { p_add(p, OID_BYTEA, d ? (n ? d : "") : NULL, (int)n, 1, NULL); }

static void p_free(pp *p) {
  for (int i = 0; i < p->n; i++) free(p->own[i]);
  p->n = 0;
}

/* --- errors, statements, results ------------------------------------------------------------------------------- */

static int pg_fail(store *st, PGresult *r, cirs_err *e, const char *what) {
  const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  if (!msg) msg = PQerrorMessage(PG(st)->c);
  char m[400];
  snprintf(m, sizeof m, "%s: %s", what, msg ? msg : "?");
  size_t n = strlen(m);
  while (n && (m[n - 1] == '\n' || m[n - 1] == ' ')) m[--n] = 0;
  int unique = state && !strcmp(state, "23505");
  if (r) PQclear(r); /* state and msg point into r */
  if (unique) return err_set(e, "conflict", "", m);
  if (strstr(m, "retention:")) return err_set(e, "retention", "", m);
  return err_set(e, "db_error", "", m);
}

static void drop_deferred(pg_store *q) {
  for (int i = 0; i < q->ndq; i++)
    for (int k = 0; k < q->dq[i].n; k++) free(q->dq[i].v[k]);
  q->ndq = 0;
}

/* Sends the deferred statements in one pipeline and reads their answers. The first failure is returned (and the
 * transaction is then aborted, as if that statement had run alone); the caller rolls back. */
static int flush(store *st, cirs_err *e) {
  pg_store *q = PG(st);
  if (!q->ndq) return 0;
  PGconn *c = q->c;
  int rc = 0, sent = 0;
  PGresult *bad = NULL;
  if (!PQenterPipelineMode(c)) {
    drop_deferred(q);
    return err_set(e, "db_error", "", "pipeline mode");
  }
  char name[16];
  for (int i = 0; i < q->ndq; i++) {
    deferred *d = &q->dq[i];
    snprintf(name, sizeof name, "c%d", d->slot);
    if (!PQsendQueryPrepared(c, name, d->n, (const char *const *)d->v, d->len, d->fmt, 0)) break;
    sent++;
  }
  if (!PQpipelineSync(c)) sent = -1;
  /* Answers: per statement its result then NULL, then the sync. */
  for (int synced = sent < 0; !synced;) {
    PGresult *r = PQgetResult(c);
    if (!r) {
      if (PQstatus(c) != CONNECTION_OK) break;
      continue;
    }
    ExecStatusType s = PQresultStatus(r);
    if (s == PGRES_PIPELINE_SYNC) synced = 1;
    else if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_PIPELINE_ABORTED && !bad) {
      bad = r;
      continue;
    }
    PQclear(r);
  }
  PQexitPipelineMode(c);
  if (bad) rc = pg_fail(st, bad, e, "query");
  else if (sent != q->ndq) rc = err_set(e, "db_error", "", PQerrorMessage(c));
  drop_deferred(q);
  return rc;
}

/* The prepared statement of `sql` on this connection (prepared now if new): its slot, -1 when the cache is full
 * (run it unprepared), -2 on error (e set). */
static int slot_of(store *st, const char *sql, const pp *p, cirs_err *e) {
  pg_store *q = PG(st);
  uint64_t h = store_sql_hash(sql);
  for (int i = 0; i < q->ncache; i++)
    if (q->hash[i] == h && !strcmp(q->sql[i], sql)) return i;
  if (q->ncache >= PG_STMT_CACHE) return -1;
  char name[16];
  snprintf(name, sizeof name, "c%d", q->ncache);
  PGresult *r = PQprepare(q->c, name, sql, p->n, p->type);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    pg_fail(st, r, e, "prepare");
    return -2;
  }
  PQclear(r);
  q->sql[q->ncache] = strdup(sql);
  q->hash[q->ncache] = h;
  return q->ncache++;
}

/* Runs `sql` with the parameters of `p` (freed here) as a prepared statement of this connection. Returns the
 * result (PGRES_TUPLES_OK or PGRES_COMMAND_OK; the caller PQclears it) or NULL with `e` set. */
static PGresult *run(store *st, const char *sql, pp *p, cirs_err *e) {
  pg_store *q = PG(st);
  pp none = {0};
  if (!p) p = &none;
  if (PQstatus(q->c) != CONNECTION_OK && q->level == 0) {
    /* The server went away (restart, fail-over): reconnect between transactions; prepared statements are gone. */
    PQreset(q->c);
    for (int i = 0; i < q->ncache; i++) free(q->sql[i]);
    q->ncache = 0;
  }
  if (flush(st, e)) {
    p_free(p);
    return NULL;
  }
  int slot = slot_of(st, sql, p, e);
  if (slot == -2) {
    p_free(p);
    return NULL;
  }
  char name[16];
  PGresult *r;
  if (slot >= 0) {
    snprintf(name, sizeof name, "c%d", slot);
    r = PQexecPrepared(q->c, name, p->n, p->v, p->len, p->fmt, 0);
  } else {
    r = PQexecParams(q->c, sql, p->n, p->type, p->v, p->len, p->fmt, 0);
  }
  p_free(p);
  ExecStatusType s = PQresultStatus(r);
  if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
    pg_fail(st, r, e, "query");
    return NULL;
  }
  return r;
}

/* Runs a statement that returns nothing of interest. */
static int run_done(store *st, const char *sql, pp *p, cirs_err *e) {
  PGresult *r = run(st, sql, p, e);
  if (!r) return -1;
  PQclear(r);
  return 0;
}

/* The same, inside a transaction sent later with other such statements (group commit for round trips): a
 * failure then surfaces at the next statement, savepoint or commit of the transaction, which fails and is rolled
 * back as a whole (the contract asks callers to roll back after any failed call anyway). Only for statements
 * whose failure the caller does not tell apart from others (no conflict handling). */
static int defer(store *st, const char *sql, pp *p, cirs_err *e) {
  pg_store *q = PG(st);
  if (q->level == 0) return run_done(st, sql, p, e);
  int slot = slot_of(st, sql, p, e);
  if (slot == -2) {
    p_free(p);
    return -1;
  }
  if (slot < 0 || p->n > 32) return run_done(st, sql, p, e);
  if (q->ndq == q->capdq) {
    int cap = q->capdq ? 2 * q->capdq : 16;
    deferred *d = realloc(q->dq, (size_t)cap * sizeof *d);
    if (!d) return run_done(st, sql, p, e);
    q->dq = d;
    q->capdq = cap;
  }
  deferred *d = &q->dq[q->ndq++];
  d->slot = slot;
  d->n = p->n;
  for (int i = 0; i < p->n; i++) {
    d->fmt[i] = p->fmt[i];
    d->len[i] = p->len[i];
    if (!p->v[i]) d->v[i] = NULL;
    else if (p->fmt[i]) {
      d->v[i] = malloc((size_t)p->len[i] + 1);
      if (d->v[i]) memcpy(d->v[i], p->v[i], (size_t)p->len[i]);
    } else {
      d->v[i] = strdup(p->v[i]);
    }
  }
  p_free(p);
  return q->ndq >= PG_DEFER_MAX ? flush(st, e) : 0;
}

/* Rows a statement changed (-1 on error). */
static int64_t run_changes(store *st, const char *sql, pp *p, cirs_err *e) {
  PGresult *r = run(st, sql, p, e);
  if (!r) return -1;
  int64_t n = atoll(PQcmdTuples(r));
  PQclear(r);
  return n;
}

/* The first column of the first row as an integer into *out; `dflt` when there is no row or it is NULL.
 * Returns 0, or -1 with e set. */
static int run_int(store *st, const char *sql, pp *p, int64_t dflt, int64_t *out, cirs_err *e) {
  PGresult *r = run(st, sql, p, e);
  if (!r) return -1;
  *out = PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? atoll(PQgetvalue(r, 0, 0)) : dflt;
  PQclear(r);
  return 0;
}

/* Simple statements without parameters, outside the cache (transaction control, DDL). */
static int exec_simple(store *st, const char *sql, cirs_err *e) {
  if (flush(st, e)) return -1;
  PGresult *r = PQexec(PG(st)->c, sql);
  ExecStatusType s = PQresultStatus(r);
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) return pg_fail(st, r, e, "exec");
  PQclear(r);
  return 0;
}

/* Columns holding JSON text, returned parsed (the same list as db_sqlite.c). */
static int is_json_col(const char *name) {
  static const char *const cols[] = {"kinds",   "regimes",  "to",    "to_parties", "to_authorities", "content", "assessment",
                                     "payload", "measures", "scope", "decider",    NULL};
  for (const char *const *c = cols; *c; c++)
    if (!strcmp(name, *c)) return 1;
  return 0;
}

static json_t *cell_json(const PGresult *r, int row, int col) {
  if (PQgetisnull(r, row, col)) return json_null();
  const char *v = PQgetvalue(r, row, col);
  switch (PQftype(r, col)) {
  case OID_INT8:
  case OID_INT4:
  case OID_INT2: return json_integer(atoll(v));
  case OID_BOOL: return json_integer(v[0] == 't');
  case OID_FLOAT4:
  case OID_FLOAT8:
  case OID_NUMERIC: return json_real(strtod(v, NULL));
  default: {
    json_t *j = is_json_col(PQfname(r, col)) ? json_loads(v, JSON_DECODE_ANY, NULL) : NULL;
    return j ? j : json_string(v);
  }
  }
}

static json_t *row_json(const PGresult *r, int row) {
  json_t *o = json_object();
  int n = PQnfields(r);
  for (int i = 0; i < n; i++) json_object_set_new(o, PQfname(r, i), cell_json(r, row, i));
  return o;
}

/* Every row of a query as an array of objects. */
static int rows_json(store *st, const char *sql, pp *p, json_t **out, cirs_err *e) {
  PGresult *r = run(st, sql, p, e);
  if (!r) return -1;
  json_t *arr = json_array();
  for (int i = 0, n = PQntuples(r); i < n; i++) json_array_append_new(arr, row_json(r, i));
  PQclear(r);
  *out = arr;
  return 0;
}

/* The single row of a query; not_found (field, what) when there is none. */
static int one_row(store *st, const char *sql, pp *p, const char *field, const char *what, json_t **out, cirs_err *e) {
  PGresult *r = run(st, sql, p, e);
  if (!r) return -1;
  if (PQntuples(r) == 0) {
    PQclear(r);
    return err_set(e, "not_found", field, what);
  }
  *out = row_json(r, 0);
  PQclear(r);
  return 0;
}

/* --- open, migrations, transactions ---------------------------------------------------------------------------- */

static int pg_schema_version(store *st) {
  PGresult *r = PQexec(PG(st)->c, "SELECT version FROM schema_version");
  int v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? atoi(PQgetvalue(r, 0, 0)) : (PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1);
  PQclear(r);
  return v;
}

/* Applies the embedded src/store/sql/pg/NNN_*.sql newer than the database, each in its own transaction. */
static int migrate(store *st, cirs_err *e) {
  static const char prefix[] = "src/store/sql/pg/";
  char sql[160];
  int newest = 0;
  for (const embedded_file *f = embedded_files; f->name; f++)
    if (!strncmp(f->name, prefix, sizeof prefix - 1) && atoi(f->name + sizeof prefix - 1) > newest) newest = atoi(f->name + sizeof prefix - 1);
  if (pg_schema_version(st) >= newest) return 0; /* the common case: one query, no lock */
  for (const embedded_file *f = embedded_files; f->name; f++) {
    if (strncmp(f->name, prefix, sizeof prefix - 1)) continue;
    int v = atoi(f->name + sizeof prefix - 1);
    snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock(%d, %d)", PG_LOCK_SPACE, PG_LOCK_MIGRATE);
    if (exec_simple(st, sql, e)) return -1;
    int have = pg_schema_version(st); /* re-read under the lock: another instance may have migrated meanwhile */
    if (have < 0) {
      exec_simple(st, "ROLLBACK", NULL);
      return err_set(e, "db_error", "", "schema_version");
    }
    if (v <= have) {
      exec_simple(st, "ROLLBACK", NULL);
      continue;
    }
    snprintf(sql, sizeof sql, "UPDATE schema_version SET version = %d", v);
    if (exec_simple(st, (const char *)f->data, e) || exec_simple(st, sql, e)) {
      char m[ERR_MSG_MAX];
      snprintf(m, sizeof m, "migration %.60s: %.400s", f->name, e->msg);
      err_set(e, "db_error", "", m);
      exec_simple(st, "ROLLBACK", NULL);
      return -1;
    }
    if (exec_simple(st, "COMMIT", e)) return -1;
  }
  return 0;
}

static void pg_close(store *st) {
  pg_store *q = PG(st);
  drop_deferred(q);
  free(q->dq);
  for (int i = 0; i < q->ncache; i++) free(q->sql[i]);
  PQfinish(q->c);
  free(q);
}

/* Opens a connection. `create`: the database must exist (CREATE DATABASE is the administrator's) and hold no
 * CIRS schema yet; it is created. Without it the schema must be there (else not_found, as a missing file). */
static int pg_open(const char *target, int create, store **out, cirs_err *e) {
  pg_store *q = calloc(1, sizeof *q);
  if (!q) return err_set(e, "internal", "", "out of memory");
  q->base.drv = &store_pg_driver;
  store *st = &q->base;
  q->c = PQconnectdb(target);
  if (PQstatus(q->c) != CONNECTION_OK) {
    char m[400];
    snprintf(m, sizeof m, "%s", PQerrorMessage(q->c));
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' ')) m[--n] = 0;
    for (char *c = m; *c; c++)
      if (*c == '\n' || *c == '\t') *c = ' ';
    pg_close(st);
    return err_set(e, "db_error", "db", m);
  }
  /* Quiet notices (CREATE EXTENSION IF NOT EXISTS ...), UTC, and statements that cannot hang forever on a lock. */
  if (exec_simple(st, "SET client_min_messages = warning; SET TIME ZONE 'UTC'", e)) {
    pg_close(st);
    return -1;
  }
  PGresult *r = PQexec(q->c, "SELECT to_regclass('schema_version') IS NOT NULL");
  int exists = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
  PQclear(r);
  if (create && exists) {
    pg_close(st);
    return err_set(e, "conflict", "db", L("数据库中已有 CIRS 表结构", "the database already holds a CIRS schema"));
  }
  if (!create && !exists) {
    char m[600];
    snprintf(m, sizeof m, L("%s 中没有 CIRS 表结构（先运行 cirs init --db URL）", "%s holds no CIRS schema (run cirs init --db URL first)"), PQdb(q->c));
    pg_close(st);
    return err_set(e, "not_found", "db", m);
  }
  if (create) {
    char sql[320];
    snprintf(sql, sizeof sql,
             "BEGIN; SELECT pg_advisory_xact_lock(%d, %d); CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);"
             " INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version); COMMIT",
             PG_LOCK_SPACE, PG_LOCK_MIGRATE);
    if (exec_simple(st, sql, e)) {
      exec_simple(st, "ROLLBACK", NULL);
      pg_close(st);
      return -1;
    }
  }
  if (migrate(st, e)) {
    pg_close(st);
    return -1;
  }
  *out = st;
  return 0;
}

static int pg_begin(store *st, cirs_err *e) {
  pg_store *q = PG(st);
  char sql[96];
  if (q->level == 0) snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock(%d, %d)", PG_LOCK_SPACE, PG_LOCK_WRITE);
  else snprintf(sql, sizeof sql, "SAVEPOINT s%d", q->level + 1);
  if (exec_simple(st, sql, e)) {
    if (q->level == 0) exec_simple(st, "ROLLBACK", NULL);
    return -1;
  }
  q->level++;
  return 0;
}

static int pg_commit(store *st, cirs_err *e) {
  pg_store *q = PG(st);
  if (q->level == 0) return err_set(e, "internal", "", "commit without a transaction");
  if (flush(st, e)) {
    if (q->level == 1) {
      exec_simple(st, "ROLLBACK", NULL);
      q->level = 0;
      q->head_ok = 0;
    }
    return -1;
  }
  char sql[40];
  if (q->level == 1) snprintf(sql, sizeof sql, "COMMIT");
  else snprintf(sql, sizeof sql, "RELEASE s%d", q->level);
  PGresult *r = PQexec(q->c, sql);
  ExecStatusType s = PQresultStatus(r);
  /* COMMIT of a failed transaction "succeeds" as a ROLLBACK: that is a failure here. */
  if (s != PGRES_COMMAND_OK || (q->level == 1 && strcmp(PQcmdStatus(r), "COMMIT"))) {
    int was = q->level;
    pg_fail(st, r, e, "commit");
    if (was == 1) {
      exec_simple(st, "ROLLBACK", NULL);
      q->level = 0;
      q->head_ok = 0;
    }
    return -1;
  }
  PQclear(r);
  q->level--;
  if (q->level == 0) q->head_ok = 0;
  return 0;
}

static void pg_rollback(store *st) {
  pg_store *q = PG(st);
  char sql[96];
  q->head_ok = 0;
  drop_deferred(q); /* they belong to the innermost level (every savepoint sends what waits): undone unsent */
  if (q->level <= 1) {
    if (PQtransactionStatus(q->c) != PQTRANS_IDLE) exec_simple(st, "ROLLBACK", NULL);
    q->level = 0;
    return;
  }
  snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT s%d; RELEASE SAVEPOINT s%d", q->level, q->level);
  exec_simple(st, sql, NULL);
  q->level--;
}

static int pg_level(store *st) { return PG(st)->level; }

/* --- reference data -------------------------------------------------------------------------------------------- */

static int64_t id_by_code(store *st, const char *table, const char *code) {
  if (!code) return 0;
  char sql[128];
  snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE code = $1", table);
  pp p = {0};
  p_s(&p, code);
  int64_t id = 0;
  cirs_err e = {0};
  if (run_int(st, sql, &p, 0, &id, &e)) return 0;
  return id;
}

/* An INSERT ... RETURNING id. */
static int insert_id(store *st, const char *sql, pp *p, const char *what, int64_t *id, cirs_err *e) {
  PGresult *r = run(st, sql, p, e);
  if (!r) {
    char m[ERR_MSG_MAX];
    snprintf(m, sizeof m, "%.100s: %.380s", what, e->msg);
    snprintf(e->msg, sizeof e->msg, "%s", m);
    return -1;
  }
  *id = PQntuples(r) ? atoll(PQgetvalue(r, 0, 0)) : 0;
  PQclear(r);
  return 0;
}

static int pg_authority_insert(store *st, model_authority *a, cirs_err *e) {
  int64_t parent = 0;
  if (a->parent && !(parent = id_by_code(st, "authorities", a->parent))) return err_set(e, "not_found", "parent", a->parent);
  pp p = {0};
  p_s(&p, a->code);
  p_s(&p, a->type);
  p_s(&p, a->name);
  p_s(&p, a->name_en);
  p_s(&p, a->province);
  p_s(&p, a->sector);
  p_s(&p, a->department);
  p_i(&p, parent);
  p_i(&p, time_now_ms());
  p_s(&p, a->city);
  return insert_id(st,
                   "INSERT INTO authorities(code,type,name,name_en,province,sector,department,parent_id,created_ms,city)"
                   " VALUES($1,$2,$3,$4,$5,$6,$7,nullif($8,0),$9,$10) RETURNING id",
                   &p, a->code, &a->id, e);
}

static int pg_org_insert(store *st, model_org *o, cirs_err *e) {
  pp p = {0};
  p_s(&p, o->code);
  p_s(&p, o->name);
  p_s(&p, o->name_en);
  p_j(&p, o->kinds);
  p_s(&p, o->province);
  p_s(&p, o->sector);
  p_s(&p, o->department);
  p_j(&p, o->regimes);
  p_s(&p, o->contact_email);
  p_i(&p, time_now_ms());
  p_s(&p, o->city);
  return insert_id(st,
                   "INSERT INTO organisations(code,name,name_en,kinds,province,sector,department,regimes,contact_email,created_ms,city)"
                   " VALUES($1,$2,$3,$4,$5,$6,$7,coalesce($8,'[\"CN\"]'),$9,$10,$11) RETURNING id",
                   &p, o->code, &o->id, e);
}

static int pg_user_insert(store *st, model_user *u, cirs_err *e) {
  int64_t org = 0, auth = 0;
  if (u->organisation && !(org = id_by_code(st, "organisations", u->organisation))) return err_set(e, "not_found", "organisation", u->organisation);
  if (u->authority && !(auth = id_by_code(st, "authorities", u->authority))) return err_set(e, "not_found", "authority", u->authority);
  pp p = {0};
  p_s(&p, u->username);
  p_s(&p, u->name);
  p_s(&p, u->role);
  p_i(&p, org);
  p_i(&p, auth);
  p_s(&p, u->email);
  p_s(&p, u->password_hash);
  p_i(&p, time_now_ms());
  return insert_id(st,
                   "INSERT INTO users(username,name,role,organisation_id,authority_id,email,password_hash,created_ms)"
                   " VALUES($1,$2,$3,nullif($4,0),nullif($5,0),$6,$7,$8) RETURNING id",
                   &p, u->username, &u->id, e);
}

static int pg_org_get(store *st, const char *code, json_t **out, cirs_err *e) {
  pp p = {0};
  p_s(&p, code);
  return one_row(st, "SELECT id, code, name, name_en, kinds, province, city, sector, department, regimes, contact_email, created_ms FROM organisations WHERE code = $1",
                 &p, "org", code, out, e);
}

static int pg_authority_match(store *st, const char *type, const char *province, const char *city, const char *sector, const char *department,
                              char *code, cirs_err *e) {
  pp p = {0};
  p_s(&p, type);
  p_s(&p, province);
  p_s(&p, sector);
  p_s(&p, department);
  p_s(&p, city);
  PGresult *r = run(st,
                    "SELECT code FROM authorities WHERE type = $1 AND (province IS NULL OR province = $2) AND (sector IS NULL OR sector = $3)"
                    " AND (department IS NULL OR department = $4) AND (city IS NULL OR city = $5)"
                    " ORDER BY (city IS NULL), (province IS NULL), (sector IS NULL), (department IS NULL), id LIMIT 1",
                    &p, e);
  if (!r) return -1;
  int found = PQntuples(r) > 0;
  if (found) snprintf(code, MODEL_CODE_MAX, "%s", PQgetvalue(r, 0, 0));
  PQclear(r);
  return found;
}

/* --- incidents and their records -------------------------------------------------------------------------------- */

static int next_id(store *st, const char *seq, int64_t *id, cirs_err *e) {
  char sql[96];
  snprintf(sql, sizeof sql, "SELECT nextval('%s')", seq);
  return run_int(st, sql, NULL, 1, id, e);
}

static int pg_incident_insert(store *st, model_incident *inc, cirs_err *e) {
  int64_t id, now = time_now_ms();
  if (next_id(st, "incidents_id_seq", &id, e)) return -1;
  char t[TIME_STR_MAX];
  time_format(inc->aware_ms, 480, t);
  snprintf(inc->ref, sizeof inc->ref, "CIRS-%.4s-%06lld", t, (long long)id);
  pp p = {0};
  p_i(&p, id);
  p_s(&p, inc->ref);
  p_i(&p, inc->organisation_id);
  p_s(&p, inc->title);
  p_s(&p, inc->category);
  p_s(&p, inc->grade);
  p_i(&p, inc->reportable);
  p_s(&p, inc->status);
  p_i(&p, inc->aware_ms);
  p_t(&p, inc->occurred_ms);
  p_i(&p, inc->drill);
  p_i(&p, now);
  if (defer(st,
               "INSERT INTO incidents(id,ref,organisation_id,title,category,grade,reportable,status,aware_ms,occurred_ms,drill,created_ms,updated_ms)"
               " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$12)",
               &p, e))
    return -1;
  inc->id = id;
  return 0;
}

static int pg_report_insert(store *st, model_report *r, cirs_err *e) {
  pp p = {0};
  int64_t v;
  p_i(&p, r->incident_id);
  if (run_int(st, "SELECT coalesce(max(version), 0) + 1 FROM report_versions WHERE incident_id = $1", &p, 1, &v, e)) return -1;
  r->version = (int)v;
  char *content = r->content_json ? strdup(r->content_json) : jdump(r->content);
  char hash[AUDIT_HASH_HEX];
  audit_sha256_hex(content, strlen(content), hash);
  p_i(&p, r->incident_id);
  p_i(&p, r->version);
  p_s(&p, r->kind);
  p_i(&p, time_now_ms());
  p_s(&p, r->submitted_by);
  p_s(&p, r->channel);
  p_add(&p, OID_TEXT, content, 0, 0, content);
  if (r->assessment_json) p_s(&p, r->assessment_json);
  else p_j(&p, r->assessment);
  p_s(&p, hash);
  return insert_id(st,
                   "INSERT INTO report_versions(incident_id,version,kind,submitted_ms,submitted_by,channel,content,assessment,content_sha256)"
                   " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id",
                   &p, "report", &r->id, e);
}

static int pg_obligation_insert(store *st, model_obligation *o, cirs_err *e) {
  pp p = {0};
  p_i(&p, o->incident_id);
  p_s(&p, o->regime);
  p_s(&p, o->route);
  p_s(&p, o->kind);
  p_s(&p, o->from_party);
  p_j(&p, o->to_parties);
  p_j(&p, o->to_authorities);
  p_s(&p, o->max);
  p_s(&p, o->relative_to);
  p_t(&p, o->due_ms);
  p_i(&p, o->hard);
  p_i(&p, o->policy);
  p_s(&p, o->status);
  p_s(&p, o->source);
  p_s(&p, o->confidence);
  p_i(&p, time_now_ms());
  p_t(&p, o->met_ms);
  p_s(&p, o->from_authority);
  p_i(&p, o->warning_id);
  p_i(&p, o->response_id);
  p_i(&p, o->organisation_id);
  return insert_id(st,
                   "INSERT INTO obligations(incident_id,regime,route,kind,from_party,to_parties,to_authorities,max,relative_to,due_ms,hard,policy,"
                   "status,source,confidence,created_ms,met_ms,from_authority_id,warning_id,response_id,organisation_id)"
                   " VALUES(nullif($1,0),$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,"
                   "(SELECT id FROM authorities WHERE code = $18),nullif($19,0),nullif($20,0),nullif($21,0)) RETURNING id",
                   &p, "obligation", &o->id, e);
}

/* The authorities below (and including) the authority of parameter `param`. */
#define SUBTREE_SQL(param) \
  "WITH RECURSIVE sub(id) AS (SELECT " param "::bigint UNION SELECT a.id FROM authorities a JOIN sub ON a.parent_id = sub.id) SELECT id FROM sub"
/* Visibility of incident `i`: $1 all, $2 organisation, $3 authority (the first three parameters). */
#define SCOPE_SQL                                                                                                 \
  "($1 = 1 OR i.organisation_id = $2 OR ($3 <> 0 AND EXISTS (SELECT 1 FROM incident_routes r"                     \
  " WHERE r.incident_id = i.id AND r.authority_id IN (" SUBTREE_SQL("$3") "))))"

static void p_scope(pp *p, const store_scope *sc) {
  p_i(p, sc ? sc->all : 0);
  p_i(p, sc ? sc->organisation_id : 0);
  p_i(p, sc ? sc->authority_id : 0);
}

/* Now in epoch ms inside SQL. */
#define NOW_SQL "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

/* A LIKE pattern matching `q` anywhere: %q% with \ % _ escaped. */
static char *like_pattern(const char *q) {
  size_t n = strlen(q);
  char *s = malloc(2 * n + 3), *w = s;
  if (!s) return NULL;
  *w++ = '%';
  for (; *q; q++) {
    if (*q == '\\' || *q == '%' || *q == '_') *w++ = '\\';
    *w++ = *q;
  }
  *w++ = '%';
  *w = 0;
  return s;
}

static int pg_incident_list(store *st, const store_filter *f, json_t **out, cirs_err *e) {
  static const char sql[] =
      "SELECT i.id, i.ref, o.code AS organisation, o.province, i.title, i.category, i.grade, i.reportable, i.status, i.aware_ms,"
      " i.drill, i.created_ms, i.updated_ms FROM incidents i JOIN organisations o ON o.id = i.organisation_id"
      " WHERE i.id > $4 AND ($5 = 0 OR i.organisation_id = $5) AND ($6::text IS NULL OR i.status = $6)"
      " AND ($7::text IS NULL OR i.grade = $7) AND ($8::text IS NULL OR i.category = $8 OR i.category ILIKE $8 || '%')"
      " AND ($9::text IS NULL OR o.province = $9) AND ($10::bigint IS NULL OR i.aware_ms >= $10)"
      " AND ($11::bigint IS NULL OR i.aware_ms < $11) AND ($12 = 0 OR EXISTS (SELECT 1 FROM obligations b WHERE b.incident_id = i.id"
      " AND (b.status = 'overdue' OR (b.status = 'pending' AND b.due_ms IS NOT NULL AND b.due_ms < $13)))) AND ($14 = 0 OR i.drill = $14 - 1)"
      " AND ($15::text IS NULL OR i.id IN (SELECT incident_id FROM incident_search WHERE body ILIKE $15))"
      " AND " SCOPE_SQL " ORDER BY i.id LIMIT $16";
  pp p = {0};
  p_scope(&p, &f->scope);
  p_i(&p, f->after_id);
  p_i(&p, f->organisation_id);
  p_s(&p, f->status);
  p_s(&p, f->grade);
  p_s(&p, f->category);
  p_s(&p, f->province);
  if (f->from_ms != MODEL_NO_TIME && f->from_ms) p_i(&p, f->from_ms);
  else p_null_i(&p);
  if (f->to_ms != MODEL_NO_TIME && f->to_ms) p_i(&p, f->to_ms);
  else p_null_i(&p);
  p_i(&p, f->overdue_only);
  p_i(&p, f->now_ms);
  p_i(&p, f->drill);
  char *pat = f->q ? like_pattern(f->q) : NULL;
  p_add(&p, OID_TEXT, pat, 0, 0, pat);
  p_i(&p, f->limit);
  return rows_json(st, sql, &p, out, e);
}

/* An obligation's incident, or the warning or response it belongs to: its reference, drill flag and operator. */
#define OB_REF_SQL "coalesce(i.ref, (SELECT ref FROM warnings WHERE id = b.warning_id), (SELECT ref FROM responses WHERE id = b.response_id))"
#define OB_DRILL_SQL \
  "coalesce(i.drill, (SELECT drill FROM warnings WHERE id = b.warning_id), (SELECT drill FROM responses WHERE id = b.response_id), 0)"
#define OB_ORG_SQL "coalesce(i.organisation_id, b.organisation_id)"
static const char OBLIGATION_COLS[] =
    "SELECT b.id, b.incident_id, " OB_REF_SQL " AS ref, b.regime, b.route, b.kind, b.from_party AS \"from\", b.to_parties AS \"to\","
    " b.to_authorities, b.max, b.relative_to, b.due_ms, b.hard, b.policy,"
    " CASE WHEN b.status = 'pending' AND b.due_ms < " NOW_SQL " THEN 'overdue' ELSE b.status END AS status,"
    " b.met_ms, b.source, b.confidence,"
    " (SELECT code FROM authorities WHERE id = b.from_authority_id) AS from_authority, " OB_DRILL_SQL " AS drill, b.warning_id, b.response_id,"
    " (SELECT code FROM organisations WHERE id = b.organisation_id) AS organisation"
    " FROM obligations b LEFT JOIN incidents i ON i.id = b.incident_id ";

static int pg_incident_get(store *st, const char *key, const store_scope *scope, json_t **out, cirs_err *e) {
  pp p = {0};
  p_scope(&p, scope);
  p_s(&p, key);
  json_t *inc;
  if (one_row(st,
              "SELECT i.id, i.ref, o.code AS organisation, o.name AS organisation_name, i.title, i.category, i.grade, i.reportable, i.status,"
              " i.aware_ms, i.occurred_ms, i.handling_end_ms, i.drill, i.created_ms, i.updated_ms"
              " FROM incidents i JOIN organisations o ON o.id = i.organisation_id WHERE (i.ref = $4 OR CAST(i.id AS TEXT) = $4) AND " SCOPE_SQL,
              &p, "id", key, &inc, e))
    return -1;
  json_int_t id = json_integer_value(json_object_get(inc, "id"));
  json_t *reports, *obls;
  p_i(&p, id);
  if (rows_json(st,
                "SELECT id, version, kind, submitted_ms, submitted_by, channel, content, assessment, content_sha256 FROM report_versions"
                " WHERE incident_id = $1 ORDER BY version",
                &p, &reports, e)) {
    json_decref(inc);
    return -1;
  }
  json_object_set_new(inc, "reports", reports);
  char sql[1024];
  snprintf(sql, sizeof sql, "%s WHERE b.incident_id = $1 ORDER BY b.id", OBLIGATION_COLS);
  p_i(&p, id);
  if (rows_json(st, sql, &p, &obls, e)) {
    json_decref(inc);
    return -1;
  }
  json_object_set_new(inc, "obligations", obls);
  *out = inc;
  return 0;
}

static int pg_obligation_list(store *st, const store_filter *f, json_t **out, cirs_err *e) {
  char sql[3000];
  snprintf(sql, sizeof sql,
           "%s WHERE b.id > $4 AND ($5 = 0 OR " OB_ORG_SQL " = $5)"
           " AND ($6 = 0 OR b.status = 'overdue' OR (b.status = 'pending' AND b.due_ms IS NOT NULL AND b.due_ms < $7))"
           " AND ($8::text IS NULL OR (CASE WHEN b.status = 'pending' AND b.due_ms < $7 THEN 'overdue' ELSE b.status END) = $8)"
           " AND ($9::bigint IS NULL OR (b.status = 'pending' AND b.due_ms >= $7 AND b.due_ms < $9))"
           " AND ($10 = 0 OR " OB_DRILL_SQL " = $10 - 1) AND ($1 = 1"
           " OR ($2 <> 0 AND " OB_ORG_SQL " = $2 AND b.from_party = 'operator')"
           " OR ($3 <> 0 AND b.from_authority_id IN (" SUBTREE_SQL("$3") ")))"
           " ORDER BY b.id LIMIT $11",
           OBLIGATION_COLS);
  pp p = {0};
  p_scope(&p, &f->scope);
  p_i(&p, f->after_id);
  p_i(&p, f->organisation_id);
  p_i(&p, f->overdue_only);
  p_i(&p, f->now_ms);
  p_s(&p, f->status);
  if (f->to_ms != MODEL_NO_TIME && f->to_ms) p_i(&p, f->to_ms);
  else p_null_i(&p);
  p_i(&p, f->drill);
  p_i(&p, f->limit);
  return rows_json(st, sql, &p, out, e);
}

/* --- statistics and the inbox (the web UI's pages) ------------------------------------------------------------- */

static int pg_statistics(store *st, const store_filter *f, json_t **out, cirs_err *e) {
  pp p = {0};
  p_scope(&p, &f->scope);
  if (f->from_ms != MODEL_NO_TIME && f->from_ms) p_i(&p, f->from_ms);
  else p_null_i(&p);
  if (f->to_ms != MODEL_NO_TIME && f->to_ms) p_i(&p, f->to_ms);
  else p_null_i(&p);
  p_i(&p, f->drill);
  p_i(&p, f->now_ms);
  return rows_json(st,
                   "WITH sel AS MATERIALIZED (SELECT i.id, i.category, i.grade, o.province, i.aware_ms FROM incidents i"
                   " JOIN organisations o ON o.id = i.organisation_id WHERE ($4::bigint IS NULL OR i.aware_ms >= $4) AND ($5::bigint IS NULL OR i.aware_ms < $5)"
                   " AND ($6 = 0 OR i.drill = $6 - 1) AND " SCOPE_SQL ")"
                   " SELECT 'total' AS dim, '' AS key, count(*) AS n, NULL::bigint AS sum_ms FROM sel"
                   " UNION ALL SELECT 'grade', grade, count(*), NULL FROM sel GROUP BY grade"
                   " UNION ALL SELECT 'category', category, count(*), NULL FROM sel GROUP BY category"
                   " UNION ALL SELECT 'province', coalesce(province, ''), count(*), NULL FROM sel GROUP BY province"
                   " UNION ALL SELECT 'month', to_char(to_timestamp(aware_ms / 1000 + 28800) AT TIME ZONE 'UTC', 'YYYY-MM'), count(*), NULL FROM sel GROUP BY 2"
                   " UNION ALL SELECT 'obligation:' || b.kind, CASE WHEN b.status = 'pending' AND b.due_ms < $7 THEN 'overdue' ELSE b.status END,"
                   " count(*), NULL FROM obligations b JOIN sel ON sel.id = b.incident_id GROUP BY 1, 2"
                   " UNION ALL SELECT 'time_to_report', CASE WHEN d < 3600000 THEN '<1h' WHEN d < 7200000 THEN '1-2h' WHEN d < 14400000 THEN '2-4h'"
                   " WHEN d < 86400000 THEN '4-24h' ELSE '>24h' END, count(*), sum(d)::bigint"
                   " FROM (SELECT r.submitted_ms - sel.aware_ms AS d FROM report_versions r JOIN sel ON r.incident_id = sel.id WHERE r.version = 1) t GROUP BY 2",
                   &p, out, e);
}

/* Whose clocks the caller watches (as pg_obligation_list): b = obligations, i = incidents; scope in $1..$3. */
#define WHOSE_SQL                                                                           \
  "($1 = 1 OR ($2 <> 0 AND i.organisation_id = $2 AND b.from_party = 'operator')"          \
  " OR ($3 <> 0 AND b.from_authority_id IN (" SUBTREE_SQL("$3") ")))"

/* Appends the first column of each row to ids (unique, while it holds fewer than max). */
static int collect_ids(store *st, const char *sql, pp *p, json_t *ids, json_t *seen, size_t max, cirs_err *e) {
  PGresult *r = run(st, sql, p, e);
  if (!r) return -1;
  for (int i = 0, n = PQntuples(r); i < n && json_array_size(ids) < max; i++) {
    const char *k = PQgetvalue(r, i, 0);
    if (json_object_get(seen, k)) continue;
    json_object_set_new(seen, k, json_true());
    json_array_append_new(ids, json_integer(atoll(k)));
  }
  PQclear(r);
  return 0;
}

static int pg_inbox(store *st, const store_inbox_q *q, json_t **out, cirs_err *e) {
  json_t *ids = json_array(), *seen = json_object();
  size_t max = (size_t)q->limit;
  int rc = 0;
  pp p = {0};
  /* 1. Routed to the caller's authority and not yet received by it. */
  if (q->authority_id) {
    p_i(&p, q->authority_id);
    p_i(&p, q->limit);
    rc = collect_ids(st,
                     "SELECT r.incident_id FROM incident_routes r JOIN incidents i ON i.id = r.incident_id WHERE r.authority_id = $1"
                     " AND i.status <> 'closed' AND NOT EXISTS (SELECT 1 FROM receipts c WHERE c.incident_id = r.incident_id AND c.authority_id = $1)"
                     " ORDER BY r.at_ms DESC LIMIT $2",
                     &p, ids, seen, max, e);
  }
  /* 2. The earliest clocks: stored overdue first, then pending, each in due order. */
  static const char *const statuses[] = {"overdue", "pending"};
  for (int k = 0; !rc && k < 2 && json_array_size(ids) < max; k++) {
    p_scope(&p, &q->scope);
    p_s(&p, statuses[k]);
    p_i(&p, 4LL * q->limit);
    rc = collect_ids(st,
                     "SELECT b.incident_id FROM obligations b JOIN incidents i ON i.id = b.incident_id WHERE b.status = $4 AND b.due_ms IS NOT NULL"
                     " AND " WHOSE_SQL " ORDER BY b.due_ms LIMIT $5",
                     &p, ids, seen, max, e);
  }
  /* 3. The newest others. */
  if (!rc && json_array_size(ids) < max) {
    p_scope(&p, &q->scope);
    p_i(&p, 2LL * q->limit);
    rc = collect_ids(st, "SELECT i.id FROM incidents i WHERE " SCOPE_SQL " ORDER BY i.id DESC LIMIT $4", &p, ids, seen, max, e);
  }
  json_decref(seen);
  if (rc) {
    json_decref(ids);
    return -1;
  }
  p_scope(&p, &q->scope);
  p_i(&p, q->authority_id);
  p_j(&p, ids);
  json_decref(ids);
  return rows_json(st,
                   "SELECT i.id, i.ref, o.code AS organisation, o.name AS organisation_name, o.province, i.title, i.category, i.grade, i.status,"
                   " i.aware_ms, i.created_ms, i.drill, n.due_ms AS next_due_ms, n.kind AS next_kind,"
                   " (SELECT c.at_ms FROM receipts c WHERE c.incident_id = i.id AND c.authority_id = $4) AS received_ms,"
                   " (EXISTS (SELECT 1 FROM incident_routes r WHERE r.incident_id = i.id AND r.authority_id = $4)"
                   "  AND NOT EXISTS (SELECT 1 FROM receipts c WHERE c.incident_id = i.id AND c.authority_id = $4)) AS needs_receipt"
                   " FROM incidents i JOIN organisations o ON o.id = i.organisation_id"
                   " LEFT JOIN obligations n ON n.id = (SELECT b.id FROM obligations b WHERE b.incident_id = i.id AND b.status IN ('pending', 'overdue')"
                   " AND b.due_ms IS NOT NULL AND " WHOSE_SQL " ORDER BY b.due_ms LIMIT 1)"
                   " WHERE i.id IN (SELECT value::bigint FROM json_array_elements_text($5::json))"
                   " ORDER BY needs_receipt DESC, n.due_ms IS NULL, n.due_ms, i.id DESC",
                   &p, out, e);
}

/* --- compliance ledger ------------------------------------------------------------------------------------------ */

/* Parameters: $1 organisation, $2 authority, $3 subtree, $4 drills, $5 from, $6 to, $7 max rows. */
#define CMP_AUTHS_SQL \
  "WITH RECURSIVE sub(id) AS (SELECT $2::bigint UNION SELECT a.id FROM authorities a JOIN sub ON a.parent_id = sub.id WHERE $3 = 1)" \
  " SELECT id FROM sub"
#define CMP_PERIOD_SQL "($4 = 1 OR i.drill = 0) AND ($5::bigint IS NULL OR i.aware_ms >= $5) AND ($6::bigint IS NULL OR i.aware_ms < $6)"
#define CMP_AUTH_INCIDENTS_SQL                                                                                          \
  "(i.id IN (SELECT b2.incident_id FROM obligations b2 WHERE b2.from_authority_id IN (" CMP_AUTHS_SQL "))"              \
  " OR i.id IN (SELECT r2.incident_id FROM incident_routes r2 WHERE r2.authority_id IN (" CMP_AUTHS_SQL ")))"
#define CMP_INCIDENTS_SQL(where)                                                                                        \
  "SELECT i.id, i.ref, i.aware_ms, i.drill, (SELECT min(r.submitted_ms) FROM report_versions r WHERE r.incident_id = i.id" \
  " AND r.kind = 'initial') AS initial_ms FROM incidents i WHERE " where " AND " CMP_PERIOD_SQL " ORDER BY i.id LIMIT $7"
#define CMP_OBLIGATIONS_SQL(where)                                                                                      \
  "SELECT b.id, b.incident_id, i.ref, b.kind, b.status, b.due_ms, b.met_ms FROM obligations b JOIN incidents i ON i.id = b.incident_id" \
  " WHERE " where " AND " CMP_PERIOD_SQL " ORDER BY b.id LIMIT $7"
#define CMP_REPORTS_SQL(where)                                                                                          \
  "SELECT r.incident_id, i.ref, r.version, r.kind, r.submitted_ms, ((r.content::json) -> 'facts')::text AS facts FROM report_versions r" \
  " JOIN incidents i ON i.id = r.incident_id WHERE " where " AND " CMP_PERIOD_SQL " ORDER BY r.incident_id, r.version LIMIT $7"

static int pg_compliance(store *st, const store_compliance_q *q, json_t **out, cirs_err *e) {
  static const char *const names[] = {"incidents", "obligations", "reports"};
  static const char *const sqls[2][3] = {
      {CMP_INCIDENTS_SQL("i.organisation_id = $1"),
       CMP_OBLIGATIONS_SQL("i.organisation_id = $1 AND b.from_party = 'operator'"),
       CMP_REPORTS_SQL("i.organisation_id = $1")},
      {CMP_INCIDENTS_SQL(CMP_AUTH_INCIDENTS_SQL), CMP_OBLIGATIONS_SQL("b.from_authority_id IN (" CMP_AUTHS_SQL ")"),
       CMP_REPORTS_SQL(CMP_AUTH_INCIDENTS_SQL)},
  };
  int64_t org = 0, auth = 0;
  char m[200];
  *out = NULL;
  if (q->organisation && !(org = id_by_code(st, "organisations", q->organisation))) {
    snprintf(m, sizeof m, L("没有代码为 %.80s 的运营者", "no organisation with code %.80s"), q->organisation);
    return err_set_msg(e, "not_found", "organisation", m);
  }
  if (q->authority && !(auth = id_by_code(st, "authorities", q->authority))) {
    snprintf(m, sizeof m, L("没有代码为 %.80s 的机构", "no authority with code %.80s"), q->authority);
    return err_set_msg(e, "not_found", "authority", m);
  }
  if (!org == !auth) return err_set(e, "usage", "", "store_compliance: exactly one of organisation and authority");
  json_t *res = json_object();
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
    json_t *rows;
    pp p = {0};
    p_i(&p, org);
    p_i(&p, auth);
    p_i(&p, q->subtree ? 1 : 0);
    p_i(&p, q->drills ? 1 : 0);
    p_t(&p, q->from_ms);
    p_t(&p, q->to_ms);
    p_i(&p, (int64_t)STORE_COMPLIANCE_MAX + 1);
    if (rows_json(st, sqls[auth != 0][k], &p, &rows, e)) goto fail;
    json_object_set_new(res, names[k], rows);
    if (json_array_size(rows) > STORE_COMPLIANCE_MAX) {
      snprintf(m, sizeof m, L("结果超过 %d 行（%s），请缩短时间范围", "more than %d rows (%s); narrow the period"), STORE_COMPLIANCE_MAX, names[k]);
      err_set(e, "too_large", "period", m);
      goto fail;
    }
  }
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(res, "reports"), i, r) {
    json_t *f = json_object_get(r, "facts");
    json_t *parsed = json_is_string(f) ? json_loads(json_string_value(f), JSON_DECODE_ANY, NULL) : NULL;
    if (parsed && !json_is_object(parsed)) json_decref(parsed), parsed = NULL;
    json_object_set_new(r, "facts", parsed ? parsed : json_null());
  }
  *out = res;
  return 0;
fail:
  json_decref(res);
  return -1;
}

/* --- accounts --------------------------------------------------------------------------------------------------- */

#define PRINCIPAL_SQL                                                                                                         \
  "SELECT u.id, u.username, u.name, u.role, u.organisation_id, o.code AS organisation, u.authority_id, a.code AS authority,"      \
  " a.type AS authority_type, a.province AS authority_province, a.sector AS authority_sector, u.disabled"
#define PRINCIPAL_JOINS " LEFT JOIN organisations o ON o.id = u.organisation_id LEFT JOIN authorities a ON a.id = u.authority_id"

static int pg_principal_by_username(store *st, const char *username, json_t **out, cirs_err *e) {
  pp p = {0};
  p_s(&p, username);
  return one_row(st, PRINCIPAL_SQL ", u.password_hash FROM users u" PRINCIPAL_JOINS " WHERE u.username = $1", &p, "", "user", out, e);
}

static int pg_principal_by_session(store *st, const char *token_hash, int64_t now_ms, json_t **out, cirs_err *e) {
  pp p = {0};
  p_s(&p, token_hash);
  p_i(&p, now_ms);
  return one_row(st, PRINCIPAL_SQL ", se.csrf FROM sessions se JOIN users u ON u.id = se.user_id" PRINCIPAL_JOINS " WHERE se.token_hash = $1 AND se.expires_ms > $2",
                 &p, "", "session", out, e);
}

static int pg_principal_by_token(store *st, const char *token_hash, json_t **out, cirs_err *e) {
  pp p = {0};
  p_s(&p, token_hash);
  return one_row(st, PRINCIPAL_SQL " FROM api_tokens t JOIN users u ON u.id = t.user_id" PRINCIPAL_JOINS " WHERE t.token_hash = $1 AND t.revoked_ms IS NULL",
                 &p, "", "token", out, e);
}

static int pg_session_insert(store *st, const char *token_hash, int64_t user_id, const char *csrf, int64_t expires_ms, cirs_err *e) {
  pp p = {0};
  p_s(&p, token_hash);
  p_i(&p, user_id);
  p_s(&p, csrf);
  p_i(&p, time_now_ms());
  p_i(&p, expires_ms);
  return run_done(st, "INSERT INTO sessions(token_hash,user_id,csrf,created_ms,expires_ms) VALUES($1,$2,$3,$4,$5)", &p, e);
}

static int pg_session_delete(store *st, const char *token_hash, cirs_err *e) {
  pp p = {0};
  p_s(&p, token_hash);
  return run_done(st, "DELETE FROM sessions WHERE token_hash = $1", &p, e);
}

static int pg_token_insert(store *st, const char *token_hash, int64_t user_id, const char *name, int64_t *id, cirs_err *e) {
  pp p = {0};
  p_s(&p, token_hash);
  p_i(&p, user_id);
  p_s(&p, name);
  p_i(&p, time_now_ms());
  return insert_id(st, "INSERT INTO api_tokens(token_hash,user_id,name,created_ms) VALUES($1,$2,$3,$4) RETURNING id", &p, "token", id, e);
}

static int pg_token_revoke(store *st, int64_t id, int64_t now_ms, json_t **out, cirs_err *e) {
  pp p = {0};
  p_i(&p, id);
  p_i(&p, now_ms);
  int64_t n = run_changes(st, "UPDATE api_tokens SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL", &p, e);
  if (n < 0) return -1;
  if (n == 0) return err_set(e, "not_found", "id", L("没有这个有效令牌", "no such active token"));
  p_i(&p, id);
  return one_row(st, "SELECT t.id, u.username, t.name FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1", &p, "id", "token", out, e);
}

static int pg_token_list(store *st, const char *username, json_t **out, cirs_err *e) {
  pp p = {0};
  p_s(&p, username);
  return rows_json(st,
                   "SELECT t.id, u.username, t.name, t.created_ms, t.revoked_ms FROM api_tokens t JOIN users u ON u.id = t.user_id"
                   " WHERE $1::text IS NULL OR u.username = $1 ORDER BY t.id",
                   &p, out, e);
}

/* --- the event log ---------------------------------------------------------------------------------------------- */

static int pg_chain_anchor(store *st, int64_t *last_id, char hash[65], cirs_err *e) {
  *last_id = 0;
  snprintf(hash, AUDIT_HASH_HEX, "%s", AUDIT_GENESIS);
  PGresult *r = run(st, "SELECT last_purged_id, last_purged_hash FROM chain_anchor WHERE id = 1", NULL, e);
  if (!r) return -1;
  if (PQntuples(r)) {
    *last_id = atoll(PQgetvalue(r, 0, 0));
    snprintf(hash, AUDIT_HASH_HEX, "%s", PQgetvalue(r, 0, 1));
  }
  PQclear(r);
  return 0;
}

/* Inside a write transaction (which holds PG_LOCK_WRITE) the head read here cannot move under us. */
static int pg_event_append(store *st, model_event *ev, cirs_err *e) {
  pg_store *q = PG(st);
  int64_t last_id;
  char prev[AUDIT_HASH_HEX], hash[AUDIT_HASH_HEX];
  if (q->head_ok && q->level > 0) {
    last_id = q->head_id;
    memcpy(prev, q->head_hash, sizeof prev);
  } else {
    if (pg_chain_anchor(st, &last_id, prev, e)) return -1;
    PGresult *r = run(st, "SELECT id, hash FROM events ORDER BY id DESC LIMIT 1", NULL, e);
    if (!r) return -1;
    if (PQntuples(r)) {
      last_id = atoll(PQgetvalue(r, 0, 0));
      snprintf(prev, sizeof prev, "%s", PQgetvalue(r, 0, 1));
    }
    PQclear(r);
  }
  int64_t id = last_id + 1;
  char *payload = ev->payload ? jdump(ev->payload) : strdup("{}");
  if (!payload || audit_hash(id, ev->at_ms, ev->actor, ev->type, ev->entity, ev->entity_id, payload, prev, hash)) {
    free(payload);
    return err_set(e, "internal", "", "event hash");
  }
  pp p = {0};
  p_i(&p, id);
  p_i(&p, ev->at_ms);
  p_s(&p, ev->actor);
  p_s(&p, ev->type);
  p_s(&p, ev->entity);
  p_i(&p, ev->entity_id);
  p_add(&p, OID_TEXT, payload, 0, 0, payload);
  p_s(&p, prev);
  p_s(&p, hash);
  if (defer(st, "INSERT INTO events(id,at_ms,actor,type,entity,entity_id,payload,prev_hash,hash) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9)", &p, e))
    return -1;
  ev->id = id;
  q->head_id = id;
  memcpy(q->head_hash, hash, sizeof hash);
  q->head_ok = q->level > 0;
  return 0;
}

/* Reads the log in pages (a cursor would need a transaction; pages keep memory bounded). */
static int pg_event_scan(store *st, store_event_fn fn, void *ctx, cirs_err *e) {
  int64_t after = -1;
  for (;;) {
    pp p = {0};
    p_i(&p, after);
    PGresult *r = run(st, "SELECT id, at_ms, actor, type, entity, coalesce(entity_id, 0), payload, prev_hash, hash FROM events WHERE id > $1 ORDER BY id LIMIT 5000",
                      &p, e);
    if (!r) return -1;
    int n = PQntuples(r), rc = 0;
    for (int i = 0; i < n && !rc; i++) {
      after = atoll(PQgetvalue(r, i, 0));
      rc = fn(ctx, after, atoll(PQgetvalue(r, i, 1)), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), atoll(PQgetvalue(r, i, 5)),
              PQgetvalue(r, i, 6), PQgetvalue(r, i, 7), PQgetvalue(r, i, 8));
    }
    PQclear(r);
    if (rc) return rc;
    if (n < 5000) return 0;
  }
}

static int64_t count1(store *st, const char *sql, int64_t arg) {
  pp p = {0};
  p_i(&p, arg);
  int64_t n = 0;
  cirs_err e = {0};
  if (run_int(st, sql, &p, 0, &n, &e)) return 0;
  return n;
}

static int run1(store *st, const char *sql, int64_t arg, cirs_err *e) {
  pp p = {0};
  p_i(&p, arg);
  return run_done(st, sql, &p, e);
}

static int pg_purge(store *st, int64_t before_ms, json_t **counts, cirs_err *e) {
  int64_t cut = count1(st, "SELECT coalesce(min(id), (SELECT coalesce(max(id), 0) + 1 FROM events)) FROM events WHERE at_ms >= $1", before_ms);
  int64_t nev = count1(st, "SELECT count(*) FROM events WHERE id < $1", cut);
  const char *old = "SELECT id FROM incidents WHERE updated_ms < $1";
  char sql[1024];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM report_versions WHERE incident_id IN (%s)", old);
  int64_t nrep = count1(st, sql, before_ms);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM obligations WHERE incident_id IN (%s)", old);
  int64_t nobl = count1(st, sql, before_ms);
  int64_t ninc = count1(st, "SELECT count(*) FROM incidents WHERE updated_ms < $1", before_ms);
  if (nev > 0) {
    pp p = {0};
    p_i(&p, cut - 1);
    if (run_done(st,
                 "INSERT INTO chain_anchor(id, last_purged_id, last_purged_hash) SELECT 1, id, hash FROM events WHERE id = $1"
                 " ON CONFLICT (id) DO UPDATE SET last_purged_id = excluded.last_purged_id, last_purged_hash = excluded.last_purged_hash",
                 &p, e) ||
        run1(st, "DELETE FROM events WHERE id < $1", cut, e))
      return -1;
  }
  json_t *more = json_object();
  static const store_purge_step steps[] = STORE_PURGE_STEPS("$1");
  for (const store_purge_step *p = steps; p->table; p++) {
    if (p->count_key) {
      snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s", p->table, p->where);
      json_object_set_new(more, p->count_key, json_integer(count1(st, sql, before_ms)));
    }
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE %s", p->table, p->where);
    if (run1(st, sql, before_ms, e)) goto fail;
  }
  snprintf(sql, sizeof sql, "DELETE FROM report_versions WHERE incident_id IN (%s)", old);
  if (run1(st, sql, before_ms, e)) goto fail;
  static const char *const dependents[] = {"obligations", "incident_routes", "receipts", "access_log", "incident_search", NULL};
  for (const char *const *t = dependents; *t; t++) {
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE incident_id IN (%s)", *t, old);
    if (run1(st, sql, before_ms, e)) goto fail;
  }
  if (run1(st, "DELETE FROM incidents WHERE updated_ms < $1", before_ms, e)) goto fail;
  *counts = json_pack("{s:I, s:I, s:I, s:I}", "events", (json_int_t)nev, "incidents", (json_int_t)ninc, "reports", (json_int_t)nrep,
                      "obligations", (json_int_t)nobl);
  json_object_update(*counts, more);
  json_decref(more);
  return 0;
fail:
  json_decref(more);
  return -1;
}

/* --- routes, search, receipts, updates, tips, idempotency, access log, history --------------------------------- */

static int pg_route_add(store *st, int64_t incident_id, const char *authority, const char *via, int64_t from_authority_id, int64_t at_ms,
                        cirs_err *e) {
  pp p = {0};
  p_i(&p, incident_id);
  p_s(&p, authority);
  p_s(&p, via);
  p_i(&p, from_authority_id);
  p_i(&p, at_ms);
  return defer(st,
                  "INSERT INTO incident_routes(incident_id, authority_id, via, from_authority_id, at_ms)"
                  " SELECT $1, id, $3, nullif($4, 0), $5 FROM authorities WHERE code = $2 ON CONFLICT DO NOTHING",
                  &p, e);
}

static int pg_routed_to(store *st, int64_t incident_id, int64_t authority_id) {
  pp p = {0};
  p_i(&p, incident_id);
  p_i(&p, authority_id);
  int64_t n = 0;
  cirs_err e = {0};
  if (run_int(st, "SELECT count(*) FROM incident_routes WHERE incident_id = $1 AND authority_id = $2", &p, 0, &n, &e)) return 0;
  return n > 0;
}

static int pg_search_set(store *st, int64_t incident_id, const char *text, cirs_err *e) {
  pp p = {0};
  p_i(&p, incident_id);
  p_s(&p, text ? text : "");
  return defer(st, "INSERT INTO incident_search(incident_id, body) VALUES($1, $2) ON CONFLICT (incident_id) DO UPDATE SET body = excluded.body", &p, e);
}

static int pg_search_catchup(store *st, int max, int *done, cirs_err *e) {
  (void)st, (void)max, (void)e;
  *done = 0; /* written in place by pg_search_set */
  return 0;
}

static int pg_receipt_insert(store *st, int64_t incident_id, int64_t authority_id, int64_t user_id, const char *how, int64_t at_ms,
                             const char *note, int64_t *id, cirs_err *e) {
  pp p = {0};
  p_i(&p, incident_id);
  p_i(&p, authority_id);
  p_i(&p, user_id);
  p_s(&p, how);
  p_i(&p, at_ms);
  p_s(&p, note);
  return insert_id(st, "INSERT INTO receipts(incident_id, authority_id, user_id, how, at_ms, note) VALUES($1, $2, nullif($3, 0), $4, $5, $6) RETURNING id",
                   &p, "receipt", id, e);
}

static int pg_receipt_get(store *st, int64_t incident_id, int64_t authority_id, json_t **out, cirs_err *e) {
  pp p = {0};
  p_i(&p, incident_id);
  p_i(&p, authority_id);
  return one_row(st,
                 "SELECT r.id, r.at_ms, r.how, u.username FROM receipts r LEFT JOIN users u ON u.id = r.user_id"
                 " WHERE r.incident_id = $1 AND r.authority_id = $2",
                 &p, "receipt", "receipt", out, e);
}

static int pg_obligation_update(store *st, int64_t id, const char *status, int64_t due_ms, int64_t met_ms, cirs_err *e) {
  pp p = {0};
  p_i(&p, id);
  p_s(&p, status);
  p_t(&p, due_ms);
  p_t(&p, met_ms);
  return run_done(st, "UPDATE obligations SET status = $2, due_ms = $3, met_ms = $4 WHERE id = $1", &p, e);
}

static int pg_incident_update(store *st, const model_incident *inc, int64_t handling_end_ms, cirs_err *e) {
  pp p = {0};
  p_i(&p, inc->id);
  p_s(&p, inc->title);
  p_s(&p, inc->category);
  p_s(&p, inc->grade);
  p_i(&p, inc->reportable);
  p_s(&p, inc->status);
  p_t(&p, handling_end_ms);
  p_i(&p, time_now_ms());
  return run_done(st,
                  "UPDATE incidents SET title = $2, category = $3, grade = $4, reportable = $5, status = $6, handling_end_ms = $7,"
                  " updated_ms = $8 WHERE id = $1",
                  &p, e);
}

static int pg_tip_insert(store *st, const json_t *content, const char *addr_hash, int64_t at_ms, int64_t *id, char ref[40], cirs_err *e) {
  int64_t n;
  if (next_id(st, "tips_id_seq", &n, e)) return -1;
  char t[TIME_STR_MAX];
  time_format(at_ms, 480, t);
  snprintf(ref, 40, "TIP-%.4s-%06lld", t, (long long)n);
  pp p = {0};
  p_i(&p, n);
  p_s(&p, ref);
  p_i(&p, at_ms);
  p_j(&p, content);
  p_s(&p, addr_hash);
  if (run_done(st, "INSERT INTO tips(id, ref, received_ms, content, addr_hash) VALUES($1, $2, $3, $4, $5)", &p, e)) return -1;
  *id = n;
  return 0;
}

static int pg_tip_list(store *st, int64_t after_id, int limit, json_t **out, cirs_err *e) {
  pp p = {0};
  p_i(&p, after_id);
  p_i(&p, limit);
  return rows_json(st, "SELECT id, ref, received_ms, content, status FROM tips WHERE id > $1 ORDER BY id LIMIT $2", &p, out, e);
}

static int pg_idem_get(store *st, int64_t user_id, const char *key, json_t **out, cirs_err *e) {
  pp p = {0};
  p_i(&p, user_id);
  p_s(&p, key);
  return one_row(st, "SELECT request_hash, status, response FROM idempotency WHERE user_id = $1 AND key = $2", &p, "Idempotency-Key", key, out, e);
}

static int pg_idem_put(store *st, int64_t user_id, const char *key, const char *request_hash, int status, const char *response, cirs_err *e) {
  pp p = {0};
  p_i(&p, user_id);
  p_s(&p, key);
  p_s(&p, request_hash);
  p_i(&p, status);
  p_s(&p, response);
  p_i(&p, time_now_ms());
  return run_done(st, "INSERT INTO idempotency(user_id, key, request_hash, status, response, created_ms) VALUES($1, $2, $3, $4, $5, $6)", &p, e);
}

static int pg_access_log(store *st, const json_t *entries, cirs_err *e) {
  size_t i;
  json_t *x;
  json_array_foreach(entries, i, x) {
    pp p = {0};
    p_i(&p, json_integer_value(json_object_get(x, "at_ms")));
    p_i(&p, json_integer_value(json_object_get(x, "user_id")));
    p_s(&p, json_string_value(json_object_get(x, "username")));
    p_i(&p, json_integer_value(json_object_get(x, "authority_id")));
    p_i(&p, json_integer_value(json_object_get(x, "incident_id")));
    p_s(&p, json_string_value(json_object_get(x, "what")));
    p_s(&p, json_string_value(json_object_get(x, "req_id")));
    if (defer(st, "INSERT INTO access_log(at_ms, user_id, username, authority_id, incident_id, what, req_id) VALUES($1, $2, $3, nullif($4, 0), $5, $6, $7)",
                 &p, e))
      return -1;
  }
  return 0;
}

static int pg_access_list(store *st, int64_t incident_id, int64_t after_id, int limit, json_t **out, cirs_err *e) {
  pp p = {0};
  p_i(&p, incident_id);
  p_i(&p, after_id);
  p_i(&p, limit);
  return rows_json(st,
                   "SELECT l.id, l.at_ms, l.username, a.code AS authority, l.incident_id, l.what, l.req_id FROM access_log l"
                   " LEFT JOIN authorities a ON a.id = l.authority_id WHERE ($1 = 0 OR l.incident_id = $1) AND l.id > $2 ORDER BY l.id LIMIT $3",
                   &p, out, e);
}

static int pg_incident_events(store *st, int64_t incident_id, json_t **out, cirs_err *e) {
  pp p = {0};
  p_i(&p, incident_id);
  return rows_json(st,
                   "SELECT id, at_ms, actor, type, entity, entity_id, payload FROM events WHERE (entity = 'incident' AND entity_id = $1)"
                   " OR ((payload::jsonb) ->> 'incident_id') = $1::text ORDER BY id",
                   &p, out, e);
}

static int pg_cleanup(store *st, int64_t now_ms, int64_t idem_before_ms, json_t **counts, cirs_err *e) {
  pp p = {0};
  p_i(&p, now_ms);
  int64_t s = run_changes(st, "DELETE FROM sessions WHERE expires_ms <= $1", &p, e);
  if (s < 0) return -1;
  p_i(&p, idem_before_ms);
  int64_t i = run_changes(st, "DELETE FROM idempotency WHERE created_ms < $1", &p, e);
  if (i < 0) return -1;
  *counts = json_pack("{s:I, s:I}", "sessions", (json_int_t)s, "idempotency", (json_int_t)i);
  return 0;
}

static int pg_obligation_counts(store *st, json_t **out, cirs_err *e) {
  PGresult *r = run(st, "SELECT CASE WHEN status = 'pending' AND due_ms < " NOW_SQL " THEN 'overdue' ELSE status END AS st, count(*) FROM obligations GROUP BY 1",
                    NULL, e);
  if (!r) return -1;
  json_t *o = json_object();
  for (int i = 0, n = PQntuples(r); i < n; i++) json_object_set_new(o, PQgetvalue(r, i, 0), json_integer(atoll(PQgetvalue(r, i, 1))));
  PQclear(r);
  *out = o;
  return 0;
}

/* --- clocks and notifications ---------------------------------------------------------------------------------- */

/* Every pending deadline, read in pages by id (a million rows would otherwise be held twice in memory). */
static int pg_deadlines(store *st, store_deadline_fn fn, void *ctx, cirs_err *e) {
  int64_t after = 0;
  for (;;) {
    pp p = {0};
    p_i(&p, after);
    PGresult *r = run(st, "SELECT id, due_ms, max FROM obligations WHERE status = 'pending' AND due_ms IS NOT NULL AND id > $1 ORDER BY id LIMIT 50000", &p, e);
    if (!r) return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
      after = atoll(PQgetvalue(r, i, 0));
      fn(ctx, after, atoll(PQgetvalue(r, i, 1)), PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2));
    }
    PQclear(r);
    if (n < 50000) return 0;
  }
}

static int pg_deadlines_after(store *st, int64_t after, int limit, store_deadline_fn fn, void *ctx, int64_t *last, cirs_err *e) {
  pp p = {0};
  *last = after;
  p_i(&p, after);
  p_i(&p, limit);
  PGresult *r = run(st, "SELECT id, due_ms, max, status = 'pending' AND due_ms IS NOT NULL FROM obligations WHERE id > $1 ORDER BY id LIMIT $2", &p, e);
  if (!r) return -1;
  int n = PQntuples(r);
  for (int i = 0; i < n; i++) {
    *last = atoll(PQgetvalue(r, i, 0));
    if (!strcmp(PQgetvalue(r, i, 3), "t")) fn(ctx, *last, atoll(PQgetvalue(r, i, 1)), PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2));
  }
  PQclear(r);
  return n; /* (a sequence never gives an id out twice, so a purge cannot hide new rows below `after` here) */
}

static int pg_obligation_get(store *st, int64_t id, json_t **out, cirs_err *e) {
  pp p = {0};
  p_i(&p, id);
  return one_row(st,
                 "SELECT b.id, b.incident_id, b.kind, b.regime, b.from_party, b.to_authorities, b.max, b.relative_to, b.due_ms, b.status,"
                 " b.met_ms, b.hard, b.created_ms, b.waived_reason, b.waived_by, " OB_REF_SQL " AS ref,"
                 " coalesce(i.title, (SELECT title FROM warnings WHERE id = b.warning_id), (SELECT title FROM responses WHERE id = b.response_id)) AS title,"
                 " coalesce(i.grade, '') AS grade, " OB_DRILL_SQL " AS drill, " OB_ORG_SQL " AS organisation_id, b.warning_id, b.response_id,"
                 " b.from_authority_id, (SELECT code FROM authorities WHERE id = b.from_authority_id) AS from_authority"
                 " FROM obligations b LEFT JOIN incidents i ON i.id = b.incident_id WHERE b.id = $1",
                 &p, "id", L("没有这项义务", "no such obligation"), out, e);
}

static int pg_reminder_mark(store *st, int64_t obligation_id, const char *step, int64_t now, cirs_err *e) {
  pp p = {0};
  p_i(&p, obligation_id);
  p_s(&p, step);
  p_i(&p, now);
  int64_t n = run_changes(st, "INSERT INTO reminders(obligation_id, step, at_ms) VALUES($1, $2, $3) ON CONFLICT DO NOTHING", &p, e);
  return n < 0 ? -1 : n > 0;
}

static int pg_obligation_waive(store *st, int64_t id, const char *reason, const char *by, cirs_err *e) {
  pp p = {0};
  p_i(&p, id);
  p_s(&p, reason);
  p_s(&p, by);
  int64_t n = run_changes(st, "UPDATE obligations SET status = 'waived', waived_reason = $2, waived_by = $3 WHERE id = $1 AND status IN ('pending', 'overdue')",
                          &p, e);
  if (n < 0) return -1;
  if (n == 0) return err_set_msg(e, "conflict", "", L("该义务已履行或已免除", "the obligation is already met or waived"));
  return 0;
}

static int pg_recipients(store *st, int64_t authority_id, int64_t organisation_id, json_t **out, cirs_err *e) {
  json_t *users, *hooks;
  pp p = {0};
  p_i(&p, authority_id);
  p_i(&p, organisation_id);
  if (rows_json(st,
                "SELECT id, username, email FROM users WHERE disabled = 0 AND (($1 > 0 AND authority_id = $1) OR ($2 > 0 AND organisation_id = $2))"
                " ORDER BY id",
                &p, &users, e))
    return -1;
  p_i(&p, authority_id);
  p_i(&p, organisation_id);
  if (rows_json(st, "SELECT id, url FROM webhooks WHERE active = 1 AND (($1 > 0 AND authority_id = $1) OR ($2 > 0 AND organisation_id = $2)) ORDER BY id", &p,
                &hooks, e)) {
    json_decref(users);
    return -1;
  }
  *out = json_pack("{s:o, s:o}", "users", users, "webhooks", hooks);
  return 0;
}

static int pg_notification_add(store *st, const store_notification *n, cirs_err *e) {
  pp p = {0};
  p_i(&p, n->user_id);
  p_i(&p, n->event_id);
  p_s(&p, n->kind);
  p_i(&p, n->incident_id);
  p_s(&p, n->title);
  p_s(&p, n->body);
  p_i(&p, n->at_ms);
  return defer(st,
                  "INSERT INTO notifications(user_id, event_id, kind, incident_id, title, body, created_ms) VALUES($1,$2,$3,nullif($4,0),$5,$6,$7)"
                  " ON CONFLICT DO NOTHING",
                  &p, e);
}

static int pg_notification_list(store *st, int64_t user_id, int unread, int64_t after, int limit, json_t **out, cirs_err *e) {
  pp p = {0};
  p_i(&p, user_id);
  p_i(&p, unread);
  p_i(&p, after);
  p_i(&p, limit);
  return rows_json(st,
                   "SELECT id, kind, incident_id, title, body, created_ms, read_ms FROM notifications WHERE user_id = $1 AND ($2 = 0 OR read_ms IS NULL)"
                   " AND ($3 = 0 OR id < $3) ORDER BY id DESC LIMIT $4",
                   &p, out, e);
}

static int pg_notification_read(store *st, int64_t user_id, int64_t id, int64_t now, cirs_err *e) {
  pp p = {0};
  p_i(&p, id);
  p_i(&p, user_id);
  p_i(&p, now);
  int64_t n = run_changes(st, "UPDATE notifications SET read_ms = coalesce(read_ms, $3) WHERE id = $1 AND user_id = $2", &p, e);
  if (n < 0) return -1;
  if (n == 0) return err_set(e, "not_found", "id", L("没有这条通知", "no such notification"));
  return 0;
}

static int pg_outbox_add(store *st, const store_outbox_row *r, cirs_err *e) {
  char key[160];
  snprintf(key, sizeof key, "%lld:%s:%s", (long long)r->event_id, r->channel, r->target);
  pp p = {0};
  p_i(&p, r->event_id);
  p_s(&p, r->kind);
  p_s(&p, r->channel);
  p_s(&p, r->target);
  p_s(&p, key);
  p_i(&p, r->authority_id);
  p_i(&p, r->organisation_id);
  p_i(&p, r->incident_id);
  p_s(&p, r->subject);
  p_s(&p, r->body);
  p_i(&p, r->at_ms);
  return defer(st,
                  "INSERT INTO outbox(event_id, kind, channel, target, idem_key, authority_id, organisation_id, incident_id, subject, body,"
                  " status, next_ms, created_ms) VALUES($1,$2,$3,$4,$5,nullif($6,0),nullif($7,0),nullif($8,0),$9,$10,'pending',$11,$11)"
                  " ON CONFLICT DO NOTHING",
                  &p, e);
}

static int pg_outbox_due(store *st, int64_t now, int with_email, int limit, json_t **out, int64_t *next_ms, cirs_err *e) {
  pp p = {0};
  p_i(&p, now);
  p_i(&p, limit);
  /* Two statements, so that each reads its own index (as on SQLite): webhooks only when no SMTP server is configured. */
#define DUE_SELECT                                                                                                    \
  "SELECT o.id, o.kind, o.channel, o.target, o.idem_key, o.subject, o.body, o.attempts, w.url, w.secret,"              \
  " coalesce(w.confirms_receipt, 0) AS confirms_receipt, o.incident_id, o.authority_id,"                               \
  " (SELECT code FROM authorities WHERE id = o.authority_id) AS authority FROM outbox o"                                \
  " LEFT JOIN webhooks w ON o.channel = 'webhook' AND w.id::text = o.target"
  if (rows_json(st,
                with_email ? DUE_SELECT " WHERE o.status = 'pending' AND o.next_ms <= $1 ORDER BY o.next_ms, o.id LIMIT $2"
                           : DUE_SELECT " WHERE o.status = 'pending' AND o.channel = 'webhook' AND o.next_ms <= $1 ORDER BY o.next_ms, o.id LIMIT $2",
                &p, out, e))
    return -1;
#undef DUE_SELECT
  *next_ms = 0;
  p_i(&p, now);
  cirs_err ignore = {0};
  if (run_int(st,
              with_email ? "SELECT min(next_ms) FROM outbox WHERE status = 'pending' AND next_ms > $1"
                         : "SELECT min(next_ms) FROM outbox WHERE status = 'pending' AND channel = 'webhook' AND next_ms > $1",
              &p, 0, next_ms, &ignore))
    *next_ms = 0;
  return 0;
}

static int pg_outbox_attempt(store *st, int64_t id, int ok, const char *detail, int64_t now, int64_t retry_ms, cirs_err *e) {
  pp p = {0};
  p_i(&p, id);
  p_i(&p, now);
  p_i(&p, ok);
  p_s(&p, detail ? detail : "");
  if (run_done(st, "INSERT INTO outbox_attempts(outbox_id, at_ms, ok, detail) VALUES($1, $2, $3, $4)", &p, e)) return -1;
  p_i(&p, id);
  p_i(&p, ok);
  p_i(&p, now);
  p_i(&p, retry_ms);
  p_s(&p, detail ? detail : "");
  return run_done(st,
                  "UPDATE outbox SET attempts = attempts + 1, status = CASE WHEN $2 <> 0 THEN 'delivered' WHEN $4 = 0 THEN 'dead' ELSE 'pending' END,"
                  " delivered_ms = CASE WHEN $2 <> 0 THEN $3 END, next_ms = CASE WHEN $2 <> 0 OR $4 = 0 THEN next_ms ELSE $4 END,"
                  " last_error = CASE WHEN $2 <> 0 THEN last_error ELSE $5 END WHERE id = $1 AND status = 'pending'",
                  &p, e);
}

static int pg_outbox_list(store *st, const store_outbox_q *q, json_t **out, cirs_err *e) {
  pp p = {0};
  p_i(&p, q->all);
  p_i(&p, q->authority_id);
  p_i(&p, q->organisation_id);
  p_s(&p, q->status);
  p_i(&p, q->incident_id);
  p_i(&p, q->after);
  p_i(&p, q->limit);
  return rows_json(st,
                   "SELECT o.id, o.event_id, o.kind, o.channel, o.target, o.incident_id, o.subject, o.status, o.attempts, o.next_ms, o.last_error,"
                   " o.created_ms, o.delivered_ms, (SELECT code FROM authorities WHERE id = o.authority_id) AS authority,"
                   " (SELECT code FROM organisations WHERE id = o.organisation_id) AS organisation FROM outbox o"
                   " WHERE ($1 <> 0 OR ($2 > 0 AND o.authority_id = $2) OR ($3 > 0 AND o.organisation_id = $3)) AND ($4::text IS NULL OR o.status = $4)"
                   " AND ($5 = 0 OR o.incident_id = $5) AND ($6 = 0 OR o.id < $6) ORDER BY o.id DESC LIMIT $7",
                   &p, out, e);
}

static int pg_outbox_attempts(store *st, int64_t outbox_id, json_t **out, cirs_err *e) {
  pp p = {0};
  p_i(&p, outbox_id);
  return rows_json(st, "SELECT at_ms, ok, detail FROM outbox_attempts WHERE outbox_id = $1 ORDER BY id", &p, out, e);
}

static int pg_webhook_add(store *st, int64_t authority_id, int64_t organisation_id, const char *url, const char *secret, int confirms_receipt,
                          const char *by, int64_t now, int64_t *id, cirs_err *e) {
  pp p = {0};
  p_i(&p, authority_id);
  p_i(&p, organisation_id);
  p_s(&p, url);
  p_s(&p, secret);
  p_s(&p, by);
  p_i(&p, now);
  p_i(&p, confirms_receipt ? 1 : 0);
  return insert_id(st,
                   "INSERT INTO webhooks(authority_id, organisation_id, url, secret, created_by, created_ms, confirms_receipt)"
                   " VALUES(nullif($1,0), nullif($2,0), $3, $4, $5, $6, $7) RETURNING id",
                   &p, "webhook", id, e);
}

static int pg_webhook_list(store *st, int64_t authority_id, int64_t organisation_id, int all, json_t **out, cirs_err *e) {
  pp p = {0};
  p_i(&p, authority_id);
  p_i(&p, organisation_id);
  p_i(&p, all);
  return rows_json(st,
                   "SELECT w.id, w.url, w.active, w.confirms_receipt, w.created_by, w.created_ms, (SELECT code FROM authorities WHERE id = w.authority_id) AS authority,"
                   " (SELECT code FROM organisations WHERE id = w.organisation_id) AS organisation FROM webhooks w"
                   " WHERE $3 <> 0 OR ($1 > 0 AND w.authority_id = $1) OR ($2 > 0 AND w.organisation_id = $2) ORDER BY w.id",
                   &p, out, e);
}

static int pg_webhook_disable(store *st, int64_t id, int64_t authority_id, int64_t organisation_id, int all, cirs_err *e) {
  pp p = {0};
  p_i(&p, id);
  p_i(&p, authority_id);
  p_i(&p, organisation_id);
  p_i(&p, all);
  int64_t n = run_changes(st,
                          "UPDATE webhooks SET active = 0 WHERE id = $1 AND active = 1 AND ($4 <> 0 OR ($2 > 0 AND authority_id = $2) OR ($3 > 0 AND organisation_id = $3))",
                          &p, e);
  if (n < 0) return -1;
  if (n == 0) return err_set(e, "not_found", "id", L("没有这个回调地址", "no such webhook"));
  return 0;
}

static int pg_incident_authorities(store *st, int64_t incident_id, const char *via, json_t **out, cirs_err *e) {
  pp p = {0};
  p_i(&p, incident_id);
  p_s(&p, via);
  return rows_json(st,
                   "SELECT a.id, a.code, a.type, r.at_ms FROM incident_routes r JOIN authorities a ON a.id = r.authority_id"
                   " WHERE r.incident_id = $1 AND ($2::text IS NULL OR r.via = $2) ORDER BY r.at_ms, a.id",
                   &p, out, e);
}

static int64_t pg_id_of(store *st, const char *what, const char *code) {
  return id_by_code(st, !strcmp(what, "authority") ? "authorities" : "organisations", code);
}

/* --- mail intake ------------------------------------------------------------------------------------------------ */

static int pg_mail_insert(store *st, const store_mail *m, int64_t *id, char ref[40], cirs_err *e) {
  int64_t n;
  if (next_id(st, "intake_mails_id_seq", &n, e)) return -1;
  char t[TIME_STR_MAX];
  time_format(m->received_ms, 480, t);
  snprintf(ref, 40, "MAIL-%.4s-%06lld", t, (long long)n);
  pp p = {0};
  p_i(&p, n);
  p_s(&p, ref);
  p_s(&p, m->message_id);
  p_i(&p, m->received_ms);
  p_s(&p, m->source);
  p_s(&p, m->sender);
  p_s(&p, m->sender_name);
  p_s(&p, m->subject);
  p_i(&p, m->size);
  p_s(&p, m->sha256);
  p_s(&p, m->charset);
  p_s(&p, m->status);
  p_s(&p, m->kind);
  p_i(&p, m->organisation_id);
  p_i(&p, m->incident_id);
  p_i(&p, m->tip_id);
  p_s(&p, m->result_ref);
  p_s(&p, m->reason_code);
  p_s(&p, m->reason);
  p_s(&p, m->reply);
  p_b(&p, m->raw, m->raw ? m->raw_len : 0);
  p_s(&p, m->content_sha256);
  if (run_done(st,
               "INSERT INTO intake_mails(id, ref, message_id, received_ms, source, sender, sender_name, subject, size, sha256, charset, status, kind,"
               " organisation_id, incident_id, tip_id, result_ref, reason_code, reason, reply, raw, content_sha256)"
               " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,nullif($14,0),nullif($15,0),nullif($16,0),coalesce($17,$2),$18,$19,$20,$21,$22)",
               &p, e))
    return -1;
  *id = n;
  return 0;
}

static int pg_mail_seen(store *st, const char *message_id, const char *sha256, json_t **out, cirs_err *e) {
  pp p = {0};
  p_s(&p, message_id);
  p_s(&p, sha256);
  return one_row(st,
                 "SELECT id, ref, status, kind, result_ref, reason_code, content_sha256 FROM intake_mails"
                 " WHERE message_id = $1 AND (status = 'accepted' OR sha256 = $2)"
                 " ORDER BY status = 'accepted' DESC, id LIMIT 1",
                 &p, "message_id", message_id, out, e);
}

static int pg_mail_attachment_add(store *st, int64_t mail_id, const char *filename, const char *content_type, const void *data, size_t size,
                                  const char *sha256, cirs_err *e) {
  pp p = {0};
  p_i(&p, mail_id);
  p_s(&p, filename);
  p_s(&p, content_type);
  p_i(&p, (int64_t)size);
  p_s(&p, sha256);
  p_b(&p, size ? data : "", size);
  return run_done(st, "INSERT INTO intake_attachments(mail_id, filename, content_type, size, sha256, data) VALUES($1,$2,$3,$4,$5,$6)", &p, e);
}

static int pg_mail_draft_add(store *st, const store_mail_draft *d, int64_t *id, cirs_err *e) {
  pp p = {0};
  p_i(&p, d->mail_id);
  p_i(&p, d->organisation_id);
  p_s(&p, d->sender);
  p_s(&p, d->subject);
  p_s(&p, d->text ? d->text : "");
  p_j(&p, d->parsed);
  p_i(&p, d->created_ms);
  return insert_id(st,
                   "INSERT INTO intake_drafts(mail_id, organisation_id, sender, subject, text, parsed, created_ms) VALUES($1,nullif($2,0),$3,$4,$5,$6,$7)"
                   " RETURNING id",
                   &p, "intake_drafts", id, e);
}

static int pg_mail_draft_triage(store *st, int64_t draft_id, const char *by, const char *note, int64_t now, int64_t *mail_id, cirs_err *e) {
  pp p = {0};
  p_i(&p, draft_id);
  json_t *row;
  char idtext[32];
  snprintf(idtext, sizeof idtext, "%lld", (long long)draft_id);
  if (one_row(st, "SELECT status, mail_id FROM intake_drafts WHERE id = $1", &p, "id", idtext, &row, e)) return -1;
  int open = !strcmp(json_string_value(json_object_get(row, "status")), "new");
  *mail_id = json_integer_value(json_object_get(row, "mail_id"));
  json_decref(row);
  if (!open) return err_set(e, "conflict", "id", idtext);
  p_i(&p, now);
  p_s(&p, by);
  p_s(&p, note);
  p_i(&p, draft_id);
  return run_done(st, "UPDATE intake_drafts SET status = 'triaged', triaged_ms = $1, triaged_by = $2, note = $3 WHERE id = $4", &p, e);
}

static int sender_codes(store *st, const char *sql, const char *arg, char *code, cirs_err *e) {
  json_t *rows;
  pp p = {0};
  p_s(&p, arg);
  if (rows_json(st, sql, &p, &rows, e)) return -1;
  size_t n = json_array_size(rows);
  if (n == 1) snprintf(code, MODEL_CODE_MAX, "%s", json_string_value(json_object_get(json_array_get(rows, 0), "code")));
  json_decref(rows);
  return n == 0 ? 0 : n == 1 ? 1 : 2;
}

static int pg_mail_sender_org(store *st, const char *address, char *code, cirs_err *e) {
  if (!address || !*address) return 0;
  int rc = sender_codes(st,
                        "SELECT o.code FROM org_senders s JOIN organisations o ON o.id = s.organisation_id WHERE s.address = $1"
                        " UNION SELECT code FROM organisations WHERE lower(contact_email) = $1"
                        " UNION SELECT o.code FROM users u JOIN organisations o ON o.id = u.organisation_id"
                        " WHERE lower(u.email) = $1 AND u.disabled = 0 AND u.role IN ('operator_reporter','operator_admin')",
                        address, code, e);
  if (rc) return rc;
  const char *at = strrchr(address, '@');
  if (!at) return 0;
  return sender_codes(st, "SELECT o.code FROM org_senders s JOIN organisations o ON o.id = s.organisation_id WHERE s.address = $1", at, code, e);
}

static int pg_mail_sender_add(store *st, const char *org_code, const char *address, int64_t now, cirs_err *e) {
  int64_t org = id_by_code(st, "organisations", org_code);
  if (!org) return err_set(e, "not_found", "org", org_code);
  pp p = {0};
  p_s(&p, address);
  p_i(&p, org);
  p_i(&p, now);
  return run_done(st, "INSERT INTO org_senders(address, organisation_id, created_ms) VALUES($1,$2,$3)", &p, e);
}

static int pg_mail_senders(store *st, json_t **out, cirs_err *e) {
  return rows_json(st, "SELECT s.address, o.code AS organisation, s.created_ms FROM org_senders s JOIN organisations o ON o.id = s.organisation_id ORDER BY s.address",
                   NULL, out, e);
}

#define MAIL_COLS                                                                                                                            \
  "m.id, m.ref, m.message_id, m.received_ms, m.source, m.sender, m.sender_name, m.subject, m.size, m.sha256, m.charset, m.status, m.kind,"   \
  " o.code AS organisation, m.incident_id, m.tip_id, m.result_ref, m.reason_code, m.reason, m.reply, octet_length(m.raw)::bigint AS raw_size"

static int pg_mail_list(store *st, const char *what, int open_only, int64_t after, int limit, json_t **out, cirs_err *e) {
  const char *sql;
  if (!strcmp(what, "drafts"))
    sql = "SELECT d.id, d.mail_id, m.ref, d.status, o.code AS organisation, d.sender, d.subject, d.created_ms, d.triaged_ms, d.triaged_by, d.note,"
          " m.reason_code, m.reason, substr(d.text, 1, 200) AS excerpt FROM intake_drafts d JOIN intake_mails m ON m.id = d.mail_id"
          " LEFT JOIN organisations o ON o.id = d.organisation_id WHERE d.id > $1 AND ($3 = 0 OR d.status = 'new') ORDER BY d.id LIMIT $2";
  else if (!strcmp(what, "quarantined"))
    sql = "SELECT " MAIL_COLS " FROM intake_mails m LEFT JOIN organisations o ON o.id = m.organisation_id"
          " WHERE m.id > $1 AND m.status = 'quarantined' AND $3 >= 0 ORDER BY m.id LIMIT $2";
  else
    sql = "SELECT " MAIL_COLS " FROM intake_mails m LEFT JOIN organisations o ON o.id = m.organisation_id WHERE m.id > $1 AND $3 >= 0 ORDER BY m.id LIMIT $2";
  pp p = {0};
  p_i(&p, after);
  p_i(&p, limit);
  p_i(&p, open_only);
  return rows_json(st, sql, &p, out, e);
}

static int pg_mail_get(store *st, const char *id_or_ref, json_t **out, cirs_err *e) {
  pp p = {0};
  p_s(&p, id_or_ref);
  json_t *m;
  if (one_row(st, "SELECT " MAIL_COLS " FROM intake_mails m LEFT JOIN organisations o ON o.id = m.organisation_id WHERE m.ref = $1 OR m.id::text = $1", &p,
              "id", id_or_ref, &m, e))
    return -1;
  int64_t id = json_integer_value(json_object_get(m, "id"));
  json_t *att = NULL, *drafts = NULL;
  p_i(&p, id);
  if (rows_json(st, "SELECT id, filename, content_type, size, sha256 FROM intake_attachments WHERE mail_id = $1 ORDER BY id", &p, &att, e) ||
      (p_i(&p, id), rows_json(st,
                              "SELECT d.id, d.status, o.code AS organisation, d.text, d.parsed, d.created_ms, d.triaged_ms, d.triaged_by, d.note FROM intake_drafts d"
                              " LEFT JOIN organisations o ON o.id = d.organisation_id WHERE d.mail_id = $1",
                              &p, &drafts, e))) {
    json_decref(att);
    json_decref(m);
    return -1;
  }
  json_t *d = json_array_get(drafts, 0);
  if (d && json_is_string(json_object_get(d, "parsed")))
    json_object_set_new(d, "parsed", json_loads(json_string_value(json_object_get(d, "parsed")), 0, NULL));
  json_object_set_new(m, "attachments", att);
  json_object_set(m, "draft", d ? d : json_null());
  json_decref(drafts);
  *out = m;
  return 0;
}

static int pg_mail_raw(store *st, int64_t id, unsigned char **data, size_t *len, cirs_err *e) {
  *data = NULL;
  *len = 0;
  pp p = {0};
  p_i(&p, id);
  PGresult *r = run(st, "SELECT raw FROM intake_mails WHERE id = $1", &p, e);
  if (!r) return -1;
  if (PQntuples(r) && !PQgetisnull(r, 0, 0)) {
    size_t n = 0;
    unsigned char *u = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), &n);
    if (u) {
      *data = malloc(n + 1);
      if (*data) {
        memcpy(*data, u, n);
        *len = n;
      }
      PQfreemem(u);
    }
  }
  PQclear(r);
  return 0;
}

/* --- emergency: warnings and responses -------------------------------------------------------------------------- */

static const char *jget_s(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static int64_t jget_i(const json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

/* The next id of `seq` and the reference PREFIX-YYYY-NNNNNN (year in Beijing time of at_ms). */
static int ref_next(store *st, const char *seq, const char *prefix, int64_t at_ms, int64_t *id, char ref[40], cirs_err *e) {
  if (next_id(st, seq, id, e)) return -1;
  char t[TIME_STR_MAX];
  time_format(at_ms, 480, t);
  snprintf(ref, 40, "%s-%.4s-%06lld", prefix, t, (long long)*id);
  return 0;
}

static int pg_warning_insert(store *st, const json_t *w, int64_t *id, char ref[40], cirs_err *e) {
  int64_t now = jget_i(w, "now");
  if (ref_next(st, "warnings_id_seq", "WARN", now, id, ref, e)) return -1;
  pp p = {0};
  p_i(&p, *id);
  p_s(&p, ref);
  p_i(&p, jget_i(w, "issuer_id"));
  p_s(&p, jget_s(w, "scheme"));
  p_s(&p, jget_s(w, "level"));
  p_s(&p, jget_s(w, "category"));
  p_s(&p, jget_s(w, "title"));
  p_s(&p, jget_s(w, "matters"));
  p_j(&p, json_object_get(w, "measures"));
  p_j(&p, json_object_get(w, "scope"));
  p_i(&p, jget_i(w, "starts_ms"));
  p_i(&p, json_is_true(json_object_get(w, "drill")));
  p_s(&p, jget_s(w, "created_by"));
  p_i(&p, now);
  return run_done(st,
                  "INSERT INTO warnings(id, ref, issuer_id, scheme, level, category, title, matters, measures, scope, starts_ms, status, drill,"
                  " created_by, created_ms, updated_ms) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'active', $12, $13, $14, $14)",
                  &p, e);
}

#define SCOPE_IN(col, key) col " IN (SELECT json_array_elements_text(($2::json) -> '" key "'))"
static int pg_warning_recipients_fill(store *st, int64_t warning_id, int64_t issuer_id, const json_t *scope, int64_t *count, cirs_err *e) {
  static const char *const sql[2] = {
      "INSERT INTO warning_recipients(warning_id, organisation_id) SELECT $1, o.id FROM organisations o WHERE $3 >= 0 AND ("
      SCOPE_IN("o.province", "provinces") " OR " SCOPE_IN("o.sector", "sectors") " OR " SCOPE_IN("o.department", "departments") ") ON CONFLICT DO NOTHING",
      "INSERT INTO warning_recipients(warning_id, authority_id) SELECT $1, a.id FROM authorities a WHERE a.id <> $3 AND ("
      SCOPE_IN("a.province", "provinces") " OR " SCOPE_IN("a.sector", "sectors") " OR " SCOPE_IN("a.department", "departments") ") ON CONFLICT DO NOTHING"};
  *count = 0;
  for (int i = 0; i < 2; i++) {
    pp p = {0};
    p_i(&p, warning_id);
    p_j(&p, scope);
    p_i(&p, issuer_id);
    int64_t n = run_changes(st, sql[i], &p, e);
    if (n < 0) return -1;
    *count += n;
  }
  return 0;
}

static const char WARNING_COLS[] =
    "SELECT w.id, w.ref, a.code AS issuer, a.type AS issuer_type, w.issuer_id, w.scheme, w.level, w.category, w.title, w.matters, w.measures,"
    " w.scope, w.starts_ms, w.status, w.drill, w.version, w.created_by, w.created_ms, w.updated_ms, w.lifted_ms, w.lifted_by, w.lift_reason,"
    " (SELECT count(*) FROM warning_recipients r WHERE r.warning_id = w.id) AS recipients_total,"
    " (SELECT count(*) FROM warning_recipients r WHERE r.warning_id = w.id AND r.acked_ms IS NOT NULL) AS acknowledged"
    " FROM warnings w JOIN authorities a ON a.id = w.issuer_id ";

static int pg_warning_get(store *st, const char *key, json_t **out, cirs_err *e) {
  char sql[2048];
  snprintf(sql, sizeof sql, "%s WHERE w.ref = $1 OR CAST(w.id AS TEXT) = $1", WARNING_COLS);
  pp p = {0};
  p_s(&p, key);
  if (one_row(st, sql, &p, "id", key, out, e)) return -1;
  json_t *rows;
  p_i(&p, jget_i(*out, "id"));
  if (rows_json(st,
                "SELECT (SELECT code FROM authorities WHERE id = r.authority_id) AS authority, r.authority_id,"
                " (SELECT code FROM organisations WHERE id = r.organisation_id) AS organisation, r.organisation_id, r.acked_ms, r.acked_by"
                " FROM warning_recipients r WHERE r.warning_id = $1 ORDER BY r.authority_id IS NULL, r.authority_id, r.organisation_id",
                &p, &rows, e)) {
    json_decref(*out);
    *out = NULL;
    return -1;
  }
  json_object_set_new(*out, "recipients", rows);
  return 0;
}

/* Parameters of the two list queries: $1 all, $2 authority, $3 organisation, $4 status, $5 after, $6 limit, $7 drill. */
static void p_em(pp *p, const store_em_q *q) {
  p_i(p, q->all);
  p_i(p, q->authority_id);
  p_i(p, q->organisation_id);
  p_s(p, q->status);
  p_i(p, q->after);
  p_i(p, q->limit);
  p_i(p, q->drill);
}

static int pg_warning_list(store *st, const store_em_q *q, json_t **out, cirs_err *e) {
  char sql[4096];
  snprintf(sql, sizeof sql,
           "%s WHERE w.id > $5 AND ($4::text IS NULL OR w.status = $4) AND ($7 = 0 OR w.drill = $7 - 1) AND ($1 <> 0"
           " OR ($2 <> 0 AND (w.issuer_id IN (" SUBTREE_SQL("$2") ")"
           "   OR EXISTS (SELECT 1 FROM warning_recipients r WHERE r.warning_id = w.id AND r.authority_id = $2)))"
           " OR ($3 <> 0 AND EXISTS (SELECT 1 FROM warning_recipients r WHERE r.warning_id = w.id AND r.organisation_id = $3)))"
           " ORDER BY w.id LIMIT $6",
           WARNING_COLS);
  pp p = {0};
  p_em(&p, q);
  return rows_json(st, sql, &p, out, e);
}

/* UPDATE table SET <each key of changes> = value, from a fixed list of settable columns. Values go untyped, so
 * PostgreSQL takes each column's type (a NULL, a number or a text). */
static int set_columns(store *st, const char *table, int64_t id, const json_t *changes, const char *const *allowed, const char *extra, cirs_err *e) {
  char sql[1024];
  size_t n = (size_t)snprintf(sql, sizeof sql, "UPDATE %s SET %s", table, extra);
  const char *k;
  json_t *v;
  int cols = 0;
  pp p = {0};
  json_object_foreach((json_t *)changes, k, v) {
    int ok = 0;
    for (const char *const *a = allowed; *a; a++) ok |= !strcmp(*a, k);
    if (!ok) {
      p_free(&p);
      return err_set(e, "internal", k, "not a settable column");
    }
    n += (size_t)snprintf(sql + n, sizeof sql - n, "%s%s = $%d", cols || *extra ? ", " : "", k, cols + 1);
    cols++;
    if (json_is_integer(v)) {
      char *t = malloc(24);
      if (t) snprintf(t, 24, "%lld", (long long)json_integer_value(v));
      p_add(&p, 0, t, 0, 0, t);
    } else if (json_is_string(v)) p_add(&p, 0, json_string_value(v), 0, 0, NULL);
    else if (json_is_null(v)) p_add(&p, 0, NULL, 0, 0, NULL);
    else {
      char *t = jdump(v);
      p_add(&p, 0, t, 0, 0, t);
    }
  }
  snprintf(sql + n, sizeof sql - n, " WHERE id = $%d", cols + 1);
  p_i(&p, id);
  int64_t changed = run_changes(st, sql, &p, e);
  if (changed < 0) return -1;
  return changed ? 0 : err_set(e, "not_found", "id", table);
}

static int pg_warning_set(store *st, int64_t id, const json_t *changes, cirs_err *e) {
  static const char *const cols[] = {"level", "title", "matters", "measures", "status", "lifted_ms", "lifted_by", "lift_reason", "updated_ms", NULL};
  if (set_columns(st, "warnings", id, changes, cols, "version = version + 1", e)) return -1;
  if (!jget_s(changes, "status") || strcmp(jget_s(changes, "status"), "lifted")) return 0;
  /* A lifted warning's measures are no longer due. */
  pp p = {0};
  p_i(&p, id);
  p_s(&p, "预警已解除 / warning lifted");
  p_s(&p, jget_s(changes, "lifted_by"));
  return run_done(st, "UPDATE obligations SET status = 'waived', waived_reason = $2, waived_by = $3 WHERE warning_id = $1 AND status = 'pending'", &p, e);
}

static int pg_warning_ack(store *st, int64_t warning_id, int64_t authority_id, int64_t organisation_id, const char *by, int64_t now, cirs_err *e) {
  pp p = {0};
  p_i(&p, warning_id);
  p_i(&p, authority_id);
  p_i(&p, organisation_id);
  json_t *row;
  if (one_row(st, "SELECT acked_ms FROM warning_recipients WHERE warning_id = $1 AND coalesce(authority_id, 0) = $2 AND coalesce(organisation_id, 0) = $3",
              &p, "id", L("本单位不是该预警的接收方", "your authority or organisation is not a recipient of this warning"), &row, e))
    return -1;
  int done = !json_is_null(json_object_get(row, "acked_ms"));
  json_decref(row);
  if (done) return err_set_msg(e, "conflict", "", L("已确认收到该预警", "the warning was acknowledged already"));
  p_i(&p, warning_id);
  p_i(&p, authority_id);
  p_i(&p, organisation_id);
  p_i(&p, now);
  p_s(&p, by);
  return run_done(st,
                  "UPDATE warning_recipients SET acked_ms = $4, acked_by = $5 WHERE warning_id = $1 AND coalesce(authority_id, 0) = $2"
                  " AND coalesce(organisation_id, 0) = $3",
                  &p, e);
}

static int pg_response_insert(store *st, const json_t *r, int64_t *id, char ref[40], cirs_err *e) {
  int64_t now = jget_i(r, "now");
  if (ref_next(st, "responses_id_seq", "RESP", now, id, ref, e)) return -1;
  pp p = {0};
  p_i(&p, *id);
  p_s(&p, ref);
  p_i(&p, jget_i(r, "starter_id"));
  p_s(&p, jget_s(r, "scheme"));
  p_s(&p, jget_s(r, "level"));
  p_s(&p, jget_s(r, "title"));
  p_j(&p, json_object_get(r, "decider"));
  p_i(&p, json_is_true(json_object_get(r, "drill")));
  p_i(&p, jget_i(r, "warning_id"));
  p_s(&p, jget_s(r, "started_by"));
  p_i(&p, now);
  if (run_done(st,
               "INSERT INTO responses(id, ref, starter_id, scheme, level, title, decider, status, drill, warning_id, started_by, started_ms)"
               " VALUES($1, $2, $3, $4, $5, $6, $7, 'active', $8, nullif($9, 0), $10, $11)",
               &p, e))
    return -1;
  size_t i;
  json_t *x;
  json_array_foreach(json_object_get(r, "incidents"), i, x) {
    p_i(&p, *id);
    p_i(&p, json_integer_value(x));
    if (run_done(st, "INSERT INTO response_incidents(response_id, incident_id) VALUES($1, $2) ON CONFLICT DO NOTHING", &p, e)) return -1;
  }
  return 0;
}

static const char RESPONSE_COLS[] =
    "SELECT p.id, p.ref, a.code AS starter, a.type AS starter_type, p.starter_id, p.scheme, p.level, p.title, p.decider, p.status, p.drill,"
    " (SELECT ref FROM warnings WHERE id = p.warning_id) AS warning, p.started_by, p.started_ms, p.end_proposed_by, p.end_proposed_ms,"
    " p.ended_by, p.ended_ms, p.summary FROM responses p JOIN authorities a ON a.id = p.starter_id ";

static int pg_response_get(store *st, const char *key, json_t **out, cirs_err *e) {
  char sql[2048];
  snprintf(sql, sizeof sql, "%s WHERE p.ref = $1 OR CAST(p.id AS TEXT) = $1", RESPONSE_COLS);
  pp p = {0};
  p_s(&p, key);
  if (one_row(st, sql, &p, "id", key, out, e)) return -1;
  static const char *const parts[3][2] = {
      {"incidents", "SELECT i.id, i.ref, i.title, i.grade, i.organisation_id, i.drill FROM response_incidents x JOIN incidents i ON i.id = x.incident_id"
                    " WHERE x.response_id = $1 ORDER BY i.id"},
      {"updates", "SELECT id, kind, text, at_ms, by_user FROM response_updates WHERE response_id = $1 ORDER BY id"},
      {"investigation", "SELECT id, content, submitted_by, submitted_ms FROM investigations WHERE response_id = $1"}};
  for (int k = 0; k < 3; k++) {
    json_t *rows;
    p_i(&p, jget_i(*out, "id"));
    if (rows_json(st, parts[k][1], &p, &rows, e)) {
      json_decref(*out);
      *out = NULL;
      return -1;
    }
    if (k == 2) {
      json_object_set(*out, parts[k][0], json_array_size(rows) ? json_array_get(rows, 0) : json_null());
      json_decref(rows);
    } else json_object_set_new(*out, parts[k][0], rows);
  }
  return 0;
}

static int pg_response_list(store *st, const store_em_q *q, json_t **out, cirs_err *e) {
  char sql[4096];
  snprintf(sql, sizeof sql,
           "%s WHERE p.id > $5 AND ($4::text IS NULL OR p.status = $4) AND ($7 = 0 OR p.drill = $7 - 1) AND ($1 <> 0"
           " OR ($2 <> 0 AND (p.starter_id IN (" SUBTREE_SQL("$2") ") OR EXISTS (SELECT 1 FROM response_incidents x JOIN incident_routes r"
           "   ON r.incident_id = x.incident_id WHERE x.response_id = p.id AND r.authority_id IN (" SUBTREE_SQL("$2") "))))"
           " OR ($3 <> 0 AND EXISTS (SELECT 1 FROM response_incidents x JOIN incidents i ON i.id = x.incident_id"
           "   WHERE x.response_id = p.id AND i.organisation_id = $3)))"
           " ORDER BY p.id LIMIT $6",
           RESPONSE_COLS);
  pp p = {0};
  p_em(&p, q);
  return rows_json(st, sql, &p, out, e);
}

static int pg_response_set(store *st, int64_t id, const json_t *changes, cirs_err *e) {
  static const char *const cols[] = {"status", "end_proposed_by", "end_proposed_ms", "ended_by", "ended_ms", "summary", NULL};
  return set_columns(st, "responses", id, changes, cols, "", e);
}

static int pg_response_update_add(store *st, int64_t response_id, const char *kind, const char *text, const char *by, int64_t now, cirs_err *e) {
  pp p = {0};
  p_i(&p, response_id);
  p_s(&p, kind);
  p_s(&p, text);
  p_i(&p, now);
  p_s(&p, by);
  return run_done(st, "INSERT INTO response_updates(response_id, kind, text, at_ms, by_user) VALUES($1, $2, $3, $4, $5)", &p, e);
}

static int pg_investigation_insert(store *st, int64_t response_id, const json_t *content, const char *by, int64_t now, int64_t *id, cirs_err *e) {
  pp p = {0};
  p_i(&p, response_id);
  p_j(&p, content);
  p_s(&p, by);
  p_i(&p, now);
  return insert_id(st, "INSERT INTO investigations(response_id, content, submitted_by, submitted_ms) VALUES($1, $2, $3, $4) RETURNING id", &p,
                   "investigation", id, e);
}

static int pg_authority_get(store *st, const char *code, json_t **out, cirs_err *e) {
  pp p = {0};
  p_s(&p, code);
  if (one_row(st,
              "SELECT a.id, a.code, a.type, a.name, a.name_en, a.province, a.city, a.sector, a.department, p.code AS parent FROM authorities a"
              " LEFT JOIN authorities p ON p.id = a.parent_id WHERE a.code = $1",
              &p, "authority", code, out, e))
    return -1;
  json_t *rows;
  p_s(&p, code);
  if (rows_json(st,
                "WITH RECURSIVE up(id) AS (SELECT parent_id FROM authorities WHERE code = $1 UNION SELECT a.parent_id FROM authorities a JOIN up ON a.id = up.id)"
                " SELECT id FROM up WHERE id IS NOT NULL",
                &p, &rows, e)) {
    json_decref(*out);
    *out = NULL;
    return -1;
  }
  json_t *ids = json_array(), *r;
  size_t i;
  json_array_foreach(rows, i, r) json_array_append(ids, json_object_get(r, "id"));
  json_decref(rows);
  json_object_set_new(*out, "ancestors", ids);
  return 0;
}

static int pg_contacts_replace(store *st, int64_t authority_id, const json_t *rows, const char *by, int64_t now, cirs_err *e) {
  pp p = {0};
  p_i(&p, authority_id);
  if (run_done(st, "DELETE FROM duty_contacts WHERE authority_id = $1", &p, e)) return -1;
  size_t i;
  json_t *r;
  json_array_foreach((json_t *)rows, i, r) {
    p_i(&p, authority_id);
    p_i(&p, (int64_t)i + 1);
    p_s(&p, jget_s(r, "unit"));
    p_s(&p, jget_s(r, "duty_phone"));
    p_s(&p, jget_s(r, "contact"));
    p_s(&p, jget_s(r, "mobile"));
    p_s(&p, jget_s(r, "email"));
    p_s(&p, jget_s(r, "note"));
    p_s(&p, by);
    p_i(&p, now);
    if (run_done(st,
                 "INSERT INTO duty_contacts(authority_id, position, unit, duty_phone, contact, mobile, email, note, updated_by, updated_ms)"
                 " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                 &p, e))
      return -1;
  }
  return 0;
}

static int pg_contacts_list(store *st, int64_t authority_id, json_t **out, cirs_err *e) {
  pp p = {0};
  p_i(&p, authority_id);
  return rows_json(st, "SELECT unit, duty_phone, contact, mobile, email, note, updated_by, updated_ms FROM duty_contacts WHERE authority_id = $1 ORDER BY position",
                   &p, out, e);
}

/* --- leadership and change notices ------------------------------------------------------------------------------ */

/* Tries to take (or confirms holding) the leader lock on this connection. A broken connection is an error: the
 * lock went with it. */
static int pg_lease(store *st, int *held, cirs_err *e) {
  pg_store *q = PG(st);
  *held = 0;
  if (PQstatus(q->c) != CONNECTION_OK) {
    q->leader = 0;
    return err_set(e, "db_error", "", "lease connection lost");
  }
  char sql[96];
  if (q->leader) snprintf(sql, sizeof sql, "SELECT true");
  else snprintf(sql, sizeof sql, "SELECT pg_try_advisory_lock(%d, %d)", PG_LOCK_SPACE, PG_LOCK_LEADER);
  PGresult *r = PQexec(q->c, sql);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    q->leader = 0;
    return pg_fail(st, r, e, "lease");
  }
  q->leader = *held = PQgetvalue(r, 0, 0)[0] == 't';
  PQclear(r);
  return 0;
}

static int pg_listen(store *st, cirs_err *e) { return exec_simple(st, "LISTEN cirs_deadline; LISTEN cirs_outbox", e); }

/* Waits up to `timeout_ms` for notices and hands each to fn(ctx, channel, payload). */
static int pg_wait(store *st, int timeout_ms, store_notice_fn fn, void *ctx, cirs_err *e) {
  PGconn *c = PG(st)->c;
  struct pollfd pfd = {PQsocket(c), POLLIN, 0};
  if (pfd.fd < 0) return err_set(e, "db_error", "", "lease connection lost");
  int rc = poll(&pfd, 1, timeout_ms);
  if (rc < 0) return 0; /* EINTR */
  if (rc > 0 && !PQconsumeInput(c)) return err_set(e, "db_error", "", "lease connection lost");
  PGnotify *n;
  while ((n = PQnotifies(c))) {
    fn(ctx, n->relname, n->extra);
    PQfreemem(n);
  }
  return PQstatus(c) == CONNECTION_OK ? 0 : err_set(e, "db_error", "", "lease connection lost");
}

const store_driver store_pg_driver = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .defer_sync = NULL,
    .schema_version = pg_schema_version,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .level = pg_level,
    .authority_insert = pg_authority_insert,
    .org_insert = pg_org_insert,
    .user_insert = pg_user_insert,
    .org_get = pg_org_get,
    .authority_match = pg_authority_match,
    .incident_insert = pg_incident_insert,
    .report_insert = pg_report_insert,
    .obligation_insert = pg_obligation_insert,
    .incident_list = pg_incident_list,
    .incident_get = pg_incident_get,
    .principal_by_username = pg_principal_by_username,
    .principal_by_session = pg_principal_by_session,
    .principal_by_token = pg_principal_by_token,
    .session_insert = pg_session_insert,
    .session_delete = pg_session_delete,
    .token_insert = pg_token_insert,
    .token_revoke = pg_token_revoke,
    .token_list = pg_token_list,
    .obligation_list = pg_obligation_list,
    .compliance = pg_compliance,
    .statistics = pg_statistics,
    .inbox = pg_inbox,
    .event_append = pg_event_append,
    .event_scan = pg_event_scan,
    .chain_anchor = pg_chain_anchor,
    .purge = pg_purge,
    .route_add = pg_route_add,
    .routed_to = pg_routed_to,
    .search_set = pg_search_set,
    .search_catchup = pg_search_catchup,
    .deadlines = pg_deadlines,
    .deadlines_after = pg_deadlines_after,
    .obligation_get = pg_obligation_get,
    .reminder_mark = pg_reminder_mark,
    .obligation_waive = pg_obligation_waive,
    .recipients = pg_recipients,
    .notification_add = pg_notification_add,
    .notification_list = pg_notification_list,
    .notification_read = pg_notification_read,
    .outbox_add = pg_outbox_add,
    .outbox_due = pg_outbox_due,
    .outbox_attempt = pg_outbox_attempt,
    .outbox_list = pg_outbox_list,
    .outbox_attempts = pg_outbox_attempts,
    .webhook_add = pg_webhook_add,
    .webhook_list = pg_webhook_list,
    .webhook_disable = pg_webhook_disable,
    .incident_authorities = pg_incident_authorities,
    .id_of = pg_id_of,
    .receipt_insert = pg_receipt_insert,
    .receipt_get = pg_receipt_get,
    .obligation_update = pg_obligation_update,
    .incident_update = pg_incident_update,
    .tip_insert = pg_tip_insert,
    .tip_list = pg_tip_list,
    .idem_get = pg_idem_get,
    .idem_put = pg_idem_put,
    .access_log = pg_access_log,
    .access_list = pg_access_list,
    .incident_events = pg_incident_events,
    .cleanup = pg_cleanup,
    .obligation_counts = pg_obligation_counts,
    .mail_insert = pg_mail_insert,
    .mail_seen = pg_mail_seen,
    .mail_attachment_add = pg_mail_attachment_add,
    .mail_draft_add = pg_mail_draft_add,
    .mail_draft_triage = pg_mail_draft_triage,
    .mail_sender_org = pg_mail_sender_org,
    .mail_sender_add = pg_mail_sender_add,
    .mail_senders = pg_mail_senders,
    .mail_list = pg_mail_list,
    .mail_get = pg_mail_get,
    .mail_raw = pg_mail_raw,
    .lease = pg_lease,
    .listen = pg_listen,
    .wait = pg_wait,
    .warning_insert = pg_warning_insert,
    .warning_recipients_fill = pg_warning_recipients_fill,
    .warning_get = pg_warning_get,
    .warning_list = pg_warning_list,
    .warning_set = pg_warning_set,
    .warning_ack = pg_warning_ack,
    .response_insert = pg_response_insert,
    .response_get = pg_response_get,
    .response_list = pg_response_list,
    .response_set = pg_response_set,
    .response_update_add = pg_response_update_add,
    .investigation_insert = pg_investigation_insert,
    .authority_get = pg_authority_get,
    .contacts_replace = pg_contacts_replace,
    .contacts_list = pg_contacts_list,
};
