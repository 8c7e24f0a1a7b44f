/* db_sqlite.c — the SQLite driver of store.h.
 *
 * One connection per handle. WAL journal, synchronous=FULL (a commit that returned is on disk), foreign keys
 * on, STRICT tables, busy timeout. Schema migrations are the embedded src/store/sql/NNN_*.sql files, applied
 * in order inside one transaction each, with PRAGMA user_version as the schema version. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../audit/chain.h"
#include "../common/jdump.h"
#include "../common/embedded.h"
#include "../common/timeutil.h"
#include "store_int.h"

#define STMT_CACHE 96 /* prepared statements kept per connection (the service repeats the same few dozen) */

typedef struct cached_stmt {
  char *sql;
  uint64_t hash; /* of sql: compared before the text */
  sqlite3_stmt *s;
  int busy;
} cached_stmt;

typedef struct sq_store {
  struct store base;
  sqlite3 *db;
  cached_stmt cache[STMT_CACHE];
  int ncache;
  int level; /* open transaction levels: 0 none, 1 BEGIN, n > 1 savepoint s<n> */
  /* The audit chain's head, valid inside the current write transaction until a rollback. */
  int64_t head_id;
  char head_hash[AUDIT_HASH_HEX];
  int head_ok;
} sq_store;

#define DB(st) (((sq_store *)(st))->db)

static int db_err(store *st, cirs_err *e, const char *what) {
  sqlite3 *db = DB(st);
  int code = sqlite3_extended_errcode(db);
  char m[400];
  snprintf(m, sizeof m, "%s: %s", what, sqlite3_errmsg(db));
  if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) return err_set(e, "conflict", "", m);
  if (strstr(sqlite3_errmsg(db), "retention:")) return err_set(e, "retention", "", m);
  return err_set(e, "db_error", "", m);
}

/* Prepared statements are cached per connection by their text: preparing costs more than running most of them.
 * A statement in use is not handed out twice (a nested use of the same text gets a fresh, uncached one). */
static int prep(store *st, const char *sql, sqlite3_stmt **s, cirs_err *e) {
  sq_store *q = (sq_store *)st;
  uint64_t h = store_sql_hash(sql);
  for (int i = 0; i < q->ncache; i++)
    if (q->cache[i].hash == h && !q->cache[i].busy && !strcmp(q->cache[i].sql, sql)) {
      q->cache[i].busy = 1;
      *s = q->cache[i].s;
      return 0;
    }
  int keep = q->ncache < STMT_CACHE;
  if (sqlite3_prepare_v3(q->db, sql, -1, keep ? SQLITE_PREPARE_PERSISTENT : 0, s, NULL) != SQLITE_OK) return db_err(st, e, "prepare");
  if (keep) q->cache[q->ncache++] = (cached_stmt){strdup(sql), h, *s, 1};
  return 0;
}

/* Done with a statement: a cached one is reset for the next use, any other finalized. */
static void release(store *st, sqlite3_stmt *s) {
  sq_store *q = (sq_store *)st;
  for (int i = 0; i < q->ncache; i++)
    if (q->cache[i].s == s) {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
      q->cache[i].busy = 0;
      return;
    }
  sqlite3_finalize(s);
}

static void bind_text(sqlite3_stmt *s, int i, const char *v) {
  if (v) sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
  else sqlite3_bind_null(s, i);
}

static void bind_json(sqlite3_stmt *s, int i, const json_t *j) {
  char *t = j ? jdump(j) : NULL;
  if (t) sqlite3_bind_text(s, i, t, -1, free);
  else sqlite3_bind_null(s, i);
}

static void bind_time(sqlite3_stmt *s, int i, int64_t ms) {
  if (ms == MODEL_NO_TIME) sqlite3_bind_null(s, i);
  else sqlite3_bind_int64(s, i, ms);
}

/* Runs a statement that returns no rows. */
static int step_done(store *st, sqlite3_stmt *s, const char *what, cirs_err *e) {
  int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE) {
    db_err(st, e, what);
    release(st, s);
    return -1;
  }
  release(st, s);
  return 0;
}

static int exec(store *st, const char *sql, cirs_err *e) {
  char *msg = NULL;
  if (sqlite3_exec(DB(st), sql, NULL, NULL, &msg) != SQLITE_OK) {
    err_set(e, "db_error", "", msg ? msg : "exec");
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

/* Columns holding JSON text, returned parsed. */
static int is_json_col(const char *name) {
  static const char *const cols[] = {"kinds",   "regimes", "to",      "to_parties", "to_authorities", "content", "assessment",
                                     "payload", "measures", "scope", "decider",    NULL};
  for (const char *const *c = cols; *c; c++)
    if (!strcmp(name, *c)) return 1;
  return 0;
}

/* The current row as an object: integers, text, null; JSON columns parsed. */
static json_t *row_json(sqlite3_stmt *s) {
  json_t *o = json_object();
  int n = sqlite3_column_count(s);
  for (int i = 0; i < n; i++) {
    const char *name = sqlite3_column_name(s, i);
    switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER: json_object_set_new(o, name, json_integer(sqlite3_column_int64(s, i))); break;
    case SQLITE_FLOAT: json_object_set_new(o, name, json_real(sqlite3_column_double(s, i))); break;
    case SQLITE_NULL: json_object_set_new(o, name, json_null()); break;
    default: {
      const char *t = (const char *)sqlite3_column_text(s, i);
      json_t *v = is_json_col(name) ? json_loads(t, JSON_DECODE_ANY, NULL) : NULL;
      json_object_set_new(o, name, v ? v : json_string(t));
    }
    }
  }
  return o;
}

/* All rows of a prepared statement as an array; finalizes it. */
static int rows_json(store *st, sqlite3_stmt *s, json_t **out, cirs_err *e) {
  json_t *arr = json_array();
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) json_array_append_new(arr, row_json(s));
  if (rc != SQLITE_DONE) {
    db_err(st, e, "query");
    json_decref(arr);
    release(st, s);
    return -1;
  }
  release(st, s);
  *out = arr;
  return 0;
}

/* The single row of a prepared statement as an object; not_found (field, what) when there is none. */
static int one_row(store *st, sqlite3_stmt *s, const char *field, const char *what, json_t **out, cirs_err *e) {
  json_t *rows;
  if (rows_json(st, s, &rows, e)) return -1;
  if (json_array_size(rows) == 0) {
    json_decref(rows);
    return err_set(e, "not_found", field, what);
  }
  *out = json_incref(json_array_get(rows, 0));
  json_decref(rows);
  return 0;
}

static int sq_schema_version(store *st) {
  sqlite3_stmt *s;
  int v = -1;
  if (sqlite3_prepare_v2(DB(st), "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
    v = sqlite3_column_int(s, 0);
  release(st, s);
  return v;
}

/* Rows of PRAGMA foreign_key_check (0 = none), or -1. */
static int fk_violations(store *st) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(DB(st), "PRAGMA foreign_key_check", -1, &s, NULL) != SQLITE_OK) return -1;
  int n = 0;
  while (sqlite3_step(s) == SQLITE_ROW) n++;
  sqlite3_finalize(s);
  return n;
}

static int migrate(store *st, cirs_err *e) {
  int have = sq_schema_version(st);
  for (const embedded_file *f = embedded_files; f->name; f++) {
    if (strncmp(f->name, "src/store/sql/", 14) || strchr(f->name + 14, '/')) continue; /* sql/pg/: the PostgreSQL driver's */
    int v = atoi(f->name + 14);
    if (v <= have) continue;
    /* Foreign keys are checked once at the end (PRAGMA foreign_key_check), so a migration may rebuild a table
     * that others refer to (SQLite's table-rebuild procedure); the pragma is a no-op inside a transaction. */
    if (exec(st, "PRAGMA foreign_keys=OFF", e) || exec(st, "BEGIN IMMEDIATE", e)) return -1;
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v);
    int fk_bad = 0;
    if (exec(st, (const char *)f->data, e) || (fk_bad = fk_violations(st)) != 0 || exec(st, pragma, e)) {
      if (fk_bad) err_set(e, "db_error", "", fk_bad < 0 ? "foreign_key_check failed" : "foreign key violations after the migration");
      char m[ERR_MSG_MAX];
      snprintf(m, sizeof m, "migration %.60s: %.400s", f->name, e->msg);
      err_set(e, "db_error", "", m);
      exec(st, "ROLLBACK", NULL);
      exec(st, "PRAGMA foreign_keys=ON", NULL);
      return -1;
    }
    if (exec(st, "COMMIT", e) || exec(st, "PRAGMA foreign_keys=ON", e)) return -1;
    have = v;
  }
  return 0;
}

static void sq_close(store *st) {
  sq_store *q = (sq_store *)st;
  for (int i = 0; i < q->ncache; i++) {
    sqlite3_finalize(q->cache[i].s);
    free(q->cache[i].sql);
  }
  sqlite3_close_v2(DB(st));
  free(st);
}

/* Process-wide: no memory statistics (they take a global mutex on every allocation, which the service's
 * threads would contend for). */
static void sq_configure(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

static void sql_now(sqlite3_context *c, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  sqlite3_result_int64(c, time_now_ms());
}

static int sq_open(const char *path, int create, store **out, cirs_err *e) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, sq_configure);
  int exists = access(path, F_OK) == 0;
  if (create && exists) return err_set(e, "conflict", "db", L("数据库文件已存在", "database file already exists"));
  if (!create && !exists) {
    char m[600];
    snprintf(m, sizeof m, L("%s 不存在（先运行 cirs init --db %s）", "%s does not exist (run cirs init --db %s first)"), path, path);
    return err_set(e, "not_found", "db", m);
  }
  sq_store *s = calloc(1, sizeof *s);
  s->base.drv = &store_sqlite_driver;
  int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
    err_set(e, "db_error", "db", s->db ? sqlite3_errmsg(s->db) : "open");
    sqlite3_close_v2(s->db);
    free(s);
    return -1;
  }
  store *st = &s->base;
  sqlite3_busy_timeout(s->db, 5000);
  sqlite3_create_function(s->db, "cirs_now", 0, SQLITE_UTF8, NULL, sql_now, NULL, NULL);
  /* No mmap: it spared the readers' pread copies (about 5 % of the service's CPU under intake load) but made no
   * measurable difference to throughput, while every connection's mapping counted in RSS (bench/clocks: 1.5 GiB
   * instead of 93 MiB after its burst), which misleads whoever watches the process's memory. */
  if (exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", e) || migrate(st, e)) {
    sq_close(st);
    return -1;
  }
  *out = st;
  return 0;
}

/* Transactions nest: the outermost level is BEGIN IMMEDIATE ... COMMIT, inner levels are savepoints, so a
 * command that opens its own transaction can run inside the writer's batch (group commit). */
#define LEVEL(st) (((sq_store *)(st))->level)

static int sq_begin(store *st, cirs_err *e) {
  char sql[40];
  if (LEVEL(st) == 0) snprintf(sql, sizeof sql, "BEGIN IMMEDIATE");
  else snprintf(sql, sizeof sql, "SAVEPOINT s%d", LEVEL(st) + 1);
  if (exec(st, sql, e)) return -1;
  LEVEL(st)++;
  return 0;
}

static int sq_commit(store *st, cirs_err *e) {
  sq_store *q = (sq_store *)st;
  if (LEVEL(st) == 0) return err_set(e, "internal", "", "commit without a transaction");
  char sql[40];
  if (LEVEL(st) == 1) snprintf(sql, sizeof sql, "COMMIT");
  else snprintf(sql, sizeof sql, "RELEASE s%d", LEVEL(st));
  if (exec(st, sql, e)) return -1;
  LEVEL(st)--;
  if (LEVEL(st) == 0) q->head_ok = 0;
  return 0;
}

static void sq_rollback(store *st) {
  sq_store *q = (sq_store *)st;
  char sql[64];
  q->head_ok = 0;
  if (LEVEL(st) <= 1) {
    if (!sqlite3_get_autocommit(DB(st))) exec(st, "ROLLBACK", NULL);
    LEVEL(st) = 0;
    return;
  }
  snprintf(sql, sizeof sql, "ROLLBACK TO s%d; RELEASE s%d", LEVEL(st), LEVEL(st));
  exec(st, sql, NULL);
  LEVEL(st)--;
}

static int sq_level(store *st) { return LEVEL(st); }

/* WAL with synchronous=NORMAL: a COMMIT appends its frames to the -wal file without fsync (checkpoints still
 * sync in order), so fdatasync of the -wal file after COMMIT returns is what makes it durable. */
static int sq_defer_sync(store *st, char *path, size_t n, cirs_err *e) {
  const char *db = sqlite3_db_filename(DB(st), "main");
  if (!db || !*db || (size_t)snprintf(path, n, "%s-wal", db) >= n) return err_set(e, "internal", "", "database path");
  /* The writer checkpoints every 8 000 pages (32 MiB of WAL) instead of SQLite's 1 000: the pages a batch rewrites
   * (index leaves, the full-text segments, the tables' last pages) are rewritten by the next batches too, and a
   * checkpoint copies each page once however often it changed: bench/intake wrote 69 KiB per report instead of 82. */
  if (exec(st, "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=8000", e)) return -1;
  return 1;
}

/* Id of a row by code in `table`, 0 when absent. */
static int64_t id_by_code(store *st, const char *table, const char *code) {
  if (!code) return 0;
  char sql[128];
  snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE code = ?", table);
  sqlite3_stmt *s;
  int64_t id = 0;
  if (sqlite3_prepare_v2(DB(st), sql, -1, &s, NULL) != SQLITE_OK) return 0;
  bind_text(s, 1, code);
  if (sqlite3_step(s) == SQLITE_ROW) id = sqlite3_column_int64(s, 0);
  release(st, s);
  return id;
}

static int sq_authority_insert(store *st, model_authority *a, cirs_err *e) {
  int64_t parent = 0;
  if (a->parent && !(parent = id_by_code(st, "authorities", a->parent))) return err_set(e, "not_found", "parent", a->parent);
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO authorities(code,type,name,name_en,province,sector,department,parent_id,created_ms,city) VALUES(?,?,?,?,?,?,?,?,?,?)", &s, e))
    return -1;
  bind_text(s, 10, a->city);
  bind_text(s, 1, a->code);
  bind_text(s, 2, a->type);
  bind_text(s, 3, a->name);
  bind_text(s, 4, a->name_en);
  bind_text(s, 5, a->province);
  bind_text(s, 6, a->sector);
  bind_text(s, 7, a->department);
  if (parent) sqlite3_bind_int64(s, 8, parent);
  else sqlite3_bind_null(s, 8);
  sqlite3_bind_int64(s, 9, time_now_ms());
  if (step_done(st, s, a->code, e)) return -1;
  a->id = sqlite3_last_insert_rowid(DB(st));
  return 0;
}

static int sq_org_insert(store *st, model_org *o, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO organisations(code,name,name_en,kinds,province,sector,department,regimes,contact_email,created_ms,city) VALUES(?,?,?,?,?,?,?,?,?,?,?)", &s, e))
    return -1;
  bind_text(s, 11, o->city);
  bind_text(s, 1, o->code);
  bind_text(s, 2, o->name);
  bind_text(s, 3, o->name_en);
  bind_json(s, 4, o->kinds);
  bind_text(s, 5, o->province);
  bind_text(s, 6, o->sector);
  bind_text(s, 7, o->department);
  bind_json(s, 8, o->regimes);
  bind_text(s, 9, o->contact_email);
  sqlite3_bind_int64(s, 10, time_now_ms());
  if (step_done(st, s, o->code, e)) return -1;
  o->id = sqlite3_last_insert_rowid(DB(st));
  return 0;
}

static int sq_user_insert(store *st, model_user *u, cirs_err *e) {
  int64_t org = 0, auth = 0;
  if (u->organisation && !(org = id_by_code(st, "organisations", u->organisation))) return err_set(e, "not_found", "organisation", u->organisation);
  if (u->authority && !(auth = id_by_code(st, "authorities", u->authority))) return err_set(e, "not_found", "authority", u->authority);
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO users(username,name,role,organisation_id,authority_id,email,password_hash,created_ms) VALUES(?,?,?,?,?,?,?,?)", &s, e))
    return -1;
  bind_text(s, 1, u->username);
  bind_text(s, 2, u->name);
  bind_text(s, 3, u->role);
  if (org) sqlite3_bind_int64(s, 4, org);
  else sqlite3_bind_null(s, 4);
  if (auth) sqlite3_bind_int64(s, 5, auth);
  else sqlite3_bind_null(s, 5);
  bind_text(s, 6, u->email);
  bind_text(s, 7, u->password_hash);
  sqlite3_bind_int64(s, 8, time_now_ms());
  if (step_done(st, s, u->username, e)) return -1;
  u->id = sqlite3_last_insert_rowid(DB(st));
  return 0;
}

static int sq_org_get(store *st, const char *code, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT id, code, name, name_en, kinds, province, city, sector, department, regimes, contact_email, created_ms FROM organisations WHERE code = ?", &s, e))
    return -1;
  bind_text(s, 1, code);
  return one_row(st, s, "org", code, out, e);
}

static int sq_authority_match(store *st, const char *type, const char *province, const char *city, const char *sector, const char *department,
                              char *code, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st,
           "SELECT code FROM authorities WHERE type = ?1 AND (province IS NULL OR province = ?2) AND (sector IS NULL OR sector = ?3)"
           " AND (department IS NULL OR department = ?4) AND (city IS NULL OR city = ?5)"
           " ORDER BY (city IS NULL), (province IS NULL), (sector IS NULL), (department IS NULL), id LIMIT 1",
           &s, e))
    return -1;
  bind_text(s, 5, city);
  bind_text(s, 1, type);
  bind_text(s, 2, province);
  bind_text(s, 3, sector);
  bind_text(s, 4, department);
  int rc = sqlite3_step(s), found = 0;
  if (rc == SQLITE_ROW) {
    snprintf(code, MODEL_CODE_MAX, "%s", (const char *)sqlite3_column_text(s, 0));
    found = 1;
  } else if (rc != SQLITE_DONE) {
    db_err(st, e, "authority match");
    found = -1;
  }
  release(st, s);
  return found;
}

static int64_t next_id(store *st, const char *table) {
  char sql[96];
  snprintf(sql, sizeof sql, "SELECT coalesce(max(id), 0) + 1 FROM %s", table);
  sqlite3_stmt *s;
  int64_t id = 1;
  cirs_err ignore = {0};
  if (prep(st, sql, &s, &ignore)) return id;
  if (sqlite3_step(s) == SQLITE_ROW) id = sqlite3_column_int64(s, 0);
  release(st, s);
  return id;
}

static int sq_incident_insert(store *st, model_incident *inc, cirs_err *e) {
  int64_t id = next_id(st, "incidents"), now = time_now_ms();
  char t[TIME_STR_MAX];
  time_format(inc->aware_ms, 480, t);
  snprintf(inc->ref, sizeof inc->ref, "CIRS-%.4s-%06lld", t, (long long)id);
  sqlite3_stmt *s;
  if (prep(st,
           "INSERT INTO incidents(id,ref,organisation_id,title,category,grade,reportable,status,aware_ms,occurred_ms,drill,created_ms,updated_ms)"
           " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
           &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, id);
  bind_text(s, 2, inc->ref);
  sqlite3_bind_int64(s, 3, inc->organisation_id);
  bind_text(s, 4, inc->title);
  bind_text(s, 5, inc->category);
  bind_text(s, 6, inc->grade);
  sqlite3_bind_int(s, 7, inc->reportable);
  bind_text(s, 8, inc->status);
  sqlite3_bind_int64(s, 9, inc->aware_ms);
  bind_time(s, 10, inc->occurred_ms);
  sqlite3_bind_int(s, 11, inc->drill);
  sqlite3_bind_int64(s, 12, now);
  sqlite3_bind_int64(s, 13, now);
  if (step_done(st, s, "incident", e)) return -1;
  inc->id = id;
  return 0;
}

static int sq_report_insert(store *st, model_report *r, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT coalesce(max(version), 0) + 1 FROM report_versions WHERE incident_id = ?", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, r->incident_id);
  r->version = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 1;
  release(st, s);
  char *content = r->content_json ? strdup(r->content_json) : jdump(r->content);
  char hash[AUDIT_HASH_HEX];
  audit_sha256_hex(content, strlen(content), hash);
  if (prep(st,
           "INSERT INTO report_versions(incident_id,version,kind,submitted_ms,submitted_by,channel,content,assessment,content_sha256)"
           " VALUES(?,?,?,?,?,?,?,?,?)",
           &s, e)) {
    free(content);
    return -1;
  }
  sqlite3_bind_int64(s, 1, r->incident_id);
  sqlite3_bind_int(s, 2, r->version);
  bind_text(s, 3, r->kind);
  sqlite3_bind_int64(s, 4, time_now_ms());
  bind_text(s, 5, r->submitted_by);
  bind_text(s, 6, r->channel);
  sqlite3_bind_text(s, 7, content, -1, free);
  if (r->assessment_json) sqlite3_bind_text(s, 8, r->assessment_json, -1, SQLITE_STATIC);
  else bind_json(s, 8, r->assessment);
  bind_text(s, 9, hash);
  if (step_done(st, s, "report", e)) return -1;
  r->id = sqlite3_last_insert_rowid(DB(st));
  return 0;
}

static int sq_obligation_insert(store *st, model_obligation *o, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st,
           "INSERT INTO obligations(incident_id,regime,route,kind,from_party,to_parties,to_authorities,max,relative_to,due_ms,hard,policy,"
           "status,source,confidence,created_ms,met_ms,from_authority_id,warning_id,response_id,organisation_id)"
           " VALUES(nullif(?1,0),?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,"
           "(SELECT id FROM authorities WHERE code = ?18),nullif(?19,0),nullif(?20,0),nullif(?21,0))",
           &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, o->incident_id);
  bind_text(s, 2, o->regime);
  bind_text(s, 3, o->route);
  bind_text(s, 4, o->kind);
  bind_text(s, 5, o->from_party);
  bind_json(s, 6, o->to_parties);
  bind_json(s, 7, o->to_authorities);
  bind_text(s, 8, o->max);
  bind_text(s, 9, o->relative_to);
  bind_time(s, 10, o->due_ms);
  sqlite3_bind_int(s, 11, o->hard);
  sqlite3_bind_int(s, 12, o->policy);
  bind_text(s, 13, o->status);
  bind_text(s, 14, o->source);
  bind_text(s, 15, o->confidence);
  sqlite3_bind_int64(s, 16, time_now_ms());
  bind_time(s, 17, o->met_ms);
  bind_text(s, 18, o->from_authority);
  sqlite3_bind_int64(s, 19, o->warning_id);
  sqlite3_bind_int64(s, 20, o->response_id);
  sqlite3_bind_int64(s, 21, o->organisation_id);
  if (step_done(st, s, "obligation", e)) return -1;
  o->id = sqlite3_last_insert_rowid(DB(st));
  return 0;
}

/* The visibility condition on incidents `i`, with named parameters :s_all, :s_org, :s_auth. */
#define SUBTREE_SQL(param) \
  "WITH RECURSIVE sub(id) AS (SELECT " param " UNION SELECT a.id FROM authorities a JOIN sub ON a.parent_id = sub.id) SELECT id FROM sub"
#define SCOPE_SQL                                                                                                   \
  "(:s_all = 1 OR i.organisation_id = :s_org OR (:s_auth <> 0 AND EXISTS (SELECT 1 FROM incident_routes r"          \
  " WHERE r.incident_id = i.id AND r.authority_id IN (" SUBTREE_SQL(":s_auth") "))))"

static void bind_named_int(sqlite3_stmt *s, const char *name, int64_t v) {
  int i = sqlite3_bind_parameter_index(s, name);
  if (i) sqlite3_bind_int64(s, i, v);
}

static void bind_named_text(sqlite3_stmt *s, const char *name, const char *v) {
  int i = sqlite3_bind_parameter_index(s, name);
  if (i) bind_text(s, i, v);
}

static void bind_scope(sqlite3_stmt *s, const store_scope *sc) {
  bind_named_int(s, ":s_all", sc ? sc->all : 0);
  bind_named_int(s, ":s_org", sc ? sc->organisation_id : 0);
  bind_named_int(s, ":s_auth", sc ? sc->authority_id : 0);
}

/* Incidents with a pending obligation past due, or one marked overdue. */
#define OVERDUE_SQL                                                                                             \
  "EXISTS (SELECT 1 FROM obligations b WHERE b.incident_id = i.id AND (b.status = 'overdue' OR"               \
  " (b.status = 'pending' AND b.due_ms IS NOT NULL AND b.due_ms < :now)))"

static int sq_incident_list(store *st, const store_filter *f, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  /* Search: trigram index for three characters or more, a substring scan of the same text for shorter queries. */
  const char *search = "";
  if (f->q) {
    const unsigned char *p = (const unsigned char *)f->q;
    size_t chars = 0;
    for (; *p; p++) chars += (*p & 0xC0) != 0x80;
    search = chars >= 3 ? " AND (i.id IN (SELECT rowid FROM incident_fts WHERE incident_fts MATCH :fts)"
                          " OR i.id IN (SELECT incident_id FROM search_queue WHERE instr(lower(body), lower(:q)) > 0))"
                        : " AND (i.id IN (SELECT rowid FROM incident_fts WHERE instr(lower(body), lower(:q)) > 0)"
                          " OR i.id IN (SELECT incident_id FROM search_queue WHERE instr(lower(body), lower(:q)) > 0))";
  }
  char sql[3000];
  snprintf(sql, sizeof sql,
           "SELECT i.id, i.ref, o.code AS organisation, o.province, i.title, i.category, i.grade, i.reportable, i.status, i.aware_ms,"
           " i.drill, i.created_ms, i.updated_ms FROM incidents i JOIN organisations o ON o.id = i.organisation_id"
           " WHERE i.id > :after AND (:org = 0 OR i.organisation_id = :org) AND (:status IS NULL OR i.status = :status)"
           " AND (:grade IS NULL OR i.grade = :grade) AND (:cat IS NULL OR i.category = :cat OR i.category LIKE :cat || '%%')"
           " AND (:province IS NULL OR o.province = :province) AND (:from IS NULL OR i.aware_ms >= :from)"
           " AND (:to IS NULL OR i.aware_ms < :to) AND (:overdue = 0 OR " OVERDUE_SQL ") AND (:drill = 0 OR i.drill = :drill - 1)"
           "%s AND " SCOPE_SQL " ORDER BY i.id LIMIT :limit",
           search);
  if (prep(st, sql, &s, e)) return -1;
  bind_named_int(s, ":after", f->after_id);
  bind_named_int(s, ":org", f->organisation_id);
  bind_named_text(s, ":status", f->status);
  bind_named_text(s, ":grade", f->grade);
  bind_named_text(s, ":cat", f->category);
  bind_named_text(s, ":province", f->province);
  if (f->from_ms != MODEL_NO_TIME && f->from_ms) bind_named_int(s, ":from", f->from_ms);
  if (f->to_ms != MODEL_NO_TIME && f->to_ms) bind_named_int(s, ":to", f->to_ms);
  bind_named_int(s, ":overdue", f->overdue_only);
  bind_named_int(s, ":now", f->now_ms);
  bind_named_int(s, ":drill", f->drill);
  bind_named_text(s, ":q", f->q);
  if (f->q) {
    /* One FTS5 phrase: the query with its double quotes doubled. */
    size_t n = strlen(f->q);
    char *phrase = malloc(2 * n + 3), *w = phrase;
    *w++ = '"';
    for (const char *c = f->q; *c; c++) {
      if (*c == '"') *w++ = '"';
      *w++ = *c;
    }
    *w++ = '"';
    *w = 0;
    int i = sqlite3_bind_parameter_index(s, ":fts");
    if (i) sqlite3_bind_text(s, i, phrase, -1, free);
    else free(phrase);
  }
  bind_named_int(s, ":limit", f->limit);
  bind_scope(s, &f->scope);
  return rows_json(st, s, out, e);
}

/* Now in epoch ms inside SQL (obligations past due read as overdue until the scheduler records it). */
/* cirs_now(): the program's clock (time_now_ms: CIRS_NOW and the test clock included), so what SQL reads as overdue
 * agrees with what the program computes. */
#define NOW_SQL "cirs_now()"
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

static int sq_incident_get(store *st, const char *key, const store_scope *scope, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st,
           "SELECT i.id, i.ref, o.code AS organisation, o.name AS organisation_name, i.title, i.category, i.grade, i.reportable, i.status,"
           " i.aware_ms, i.occurred_ms, i.handling_end_ms, i.drill, i.created_ms, i.updated_ms"
           " FROM incidents i JOIN organisations o ON o.id = i.organisation_id WHERE (i.ref = :key OR CAST(i.id AS TEXT) = :key) AND " SCOPE_SQL,
           &s, e))
    return -1;
  bind_named_text(s, ":key", key);
  bind_scope(s, scope);
  json_t *inc;
  if (one_row(st, s, "id", key, &inc, e)) return -1;
  json_int_t id = json_integer_value(json_object_get(inc, "id"));
  json_t *reports, *obls;
  if (prep(st,
           "SELECT id, version, kind, submitted_ms, submitted_by, channel, content, assessment, content_sha256 FROM report_versions"
           " WHERE incident_id = ? ORDER BY version",
           &s, e) ||
      (sqlite3_bind_int64(s, 1, id), rows_json(st, s, &reports, e))) {
    json_decref(inc);
    return -1;
  }
  json_object_set_new(inc, "reports", reports);
  char sql[1024];
  snprintf(sql, sizeof sql, "%s WHERE b.incident_id = ? ORDER BY b.id", OBLIGATION_COLS);
  if (prep(st, sql, &s, e) || (sqlite3_bind_int64(s, 1, id), rows_json(st, s, &obls, e))) {
    json_decref(inc);
    return -1;
  }
  json_object_set_new(inc, "obligations", obls);
  *out = inc;
  return 0;
}

/* "Mine": an operator's own obligations, an authority's (and those of the authorities below it), or all. */
static int sq_obligation_list(store *st, const store_filter *f, json_t **out, cirs_err *e) {
  char sql[3000];
  snprintf(sql, sizeof sql,
           "%s WHERE b.id > :after AND (:org = 0 OR " OB_ORG_SQL " = :org)"
           " AND (:overdue = 0 OR b.status = 'overdue' OR (b.status = 'pending' AND b.due_ms IS NOT NULL AND b.due_ms < :now))"
           " AND (:status IS NULL OR (CASE WHEN b.status = 'pending' AND b.due_ms < :now THEN 'overdue' ELSE b.status END) = :status)"
           " AND (:due_before IS NULL OR (b.status = 'pending' AND b.due_ms >= :now AND b.due_ms < :due_before))"
           " AND (:drill = 0 OR " OB_DRILL_SQL " = :drill - 1) AND (:s_all = 1"
           " OR (:s_org <> 0 AND " OB_ORG_SQL " = :s_org AND b.from_party = 'operator')"
           " OR (:s_auth <> 0 AND b.from_authority_id IN (" SUBTREE_SQL(":s_auth") ")))"
           " ORDER BY b.id LIMIT :limit",
           OBLIGATION_COLS);
  sqlite3_stmt *s;
  if (prep(st, sql, &s, e)) return -1;
  bind_named_int(s, ":after", f->after_id);
  bind_named_int(s, ":org", f->organisation_id);
  bind_named_int(s, ":overdue", f->overdue_only);
  bind_named_int(s, ":now", f->now_ms);
  bind_named_text(s, ":status", f->status);
  if (f->to_ms != MODEL_NO_TIME && f->to_ms) bind_named_int(s, ":due_before", f->to_ms);
  bind_named_int(s, ":drill", f->drill);
  bind_named_int(s, ":limit", f->limit);
  bind_scope(s, &f->scope);
  return rows_json(st, s, out, e);
}

/* --- statistics and the inbox (the web UI's pages) --------------------------------------------------------------- */

/* The selection of store_statistics: incidents i (with organisations o) by period, drill and scope. */
#define STATS_WHERE                                                                                                       \
  " WHERE (:from IS NULL OR i.aware_ms >= :from) AND (:to IS NULL OR i.aware_ms < :to) AND (:drill = 0 OR i.drill = :drill - 1)" \
  " AND " SCOPE_SQL

static void stats_bind(sqlite3_stmt *s, const store_filter *f) {
  if (f->from_ms != MODEL_NO_TIME && f->from_ms) bind_named_int(s, ":from", f->from_ms);
  if (f->to_ms != MODEL_NO_TIME && f->to_ms) bind_named_int(s, ":to", f->to_ms);
  bind_named_int(s, ":drill", f->drill);
  bind_named_int(s, ":now", f->now_ms);
  bind_scope(s, &f->scope);
}

/* Counters of store_statistics: one per dimension and key (a few hundred at most), found by hash. */
#define STATS_KEYS_MAX 2048 /* a power of two */
typedef struct stats_acc {
  struct {
    char dim[40], key[40];
    int64_t n;
    double ms;
    int used;
  } c[STATS_KEYS_MAX];
  int n;
} stats_acc;

static void stats_count(stats_acc *a, const char *dim, const char *key, int64_t n, double ms) {
  if (!key) key = "";
  uint32_t hsh = 2166136261u;
  for (const char *p = dim; *p; p++) hsh = (hsh ^ (unsigned char)*p) * 16777619u;
  for (const char *p = key; *p; p++) hsh = (hsh ^ (unsigned char)*p) * 16777619u;
  for (uint32_t probe = 0; probe < STATS_KEYS_MAX; probe++) {
    uint32_t i = (hsh + probe) & (STATS_KEYS_MAX - 1);
    if (!a->c[i].used) {
      if (a->n >= STATS_KEYS_MAX / 2) return; /* more distinct keys than any taxonomy has: not counted */
      a->c[i].used = 1;
      snprintf(a->c[i].dim, sizeof a->c[i].dim, "%s", dim);
      snprintf(a->c[i].key, sizeof a->c[i].key, "%s", key);
      a->n++;
    } else if (strcmp(a->c[i].key, key) || strcmp(a->c[i].dim, dim)) {
      continue;
    }
    a->c[i].n += n;
    a->c[i].ms += ms;
    return;
  }
}

/* Two passes, counted here (cheaper than one sort per dimension in SQL): the selected incidents, then their
 * obligations. */
static int sq_statistics(store *st, const store_filter *f, json_t **out, cirs_err *e) {
  static const char *const buckets[] = {"<1h", "1-2h", "2-4h", "4-24h", ">24h"};
  static const int64_t bounds[] = {3600000, 7200000, 14400000, 86400000};
  sqlite3_stmt *s;
  if (prep(st,
           "SELECT i.category, i.grade, o.province, i.aware_ms, i.created_ms - i.aware_ms FROM incidents i"
           " JOIN organisations o ON o.id = i.organisation_id" STATS_WHERE,
           &s, e))
    return -1;
  stats_bind(s, f);
  stats_acc *acc = calloc(1, sizeof *acc);
  if (!acc) {
    release(st, s);
    return err_set(e, "internal", "", "out of memory");
  }
  int64_t total = 0;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    total++;
    stats_count(acc, "category", (const char *)sqlite3_column_text(s, 0), 1, 0);
    stats_count(acc, "grade", (const char *)sqlite3_column_text(s, 1), 1, 0);
    stats_count(acc, "province", (const char *)sqlite3_column_text(s, 2), 1, 0);
    time_t t = (time_t)(sqlite3_column_int64(s, 3) / 1000 + 8 * 3600); /* Beijing time */
    struct tm tm;
    char month[16];
    gmtime_r(&t, &tm);
    strftime(month, sizeof month, "%Y-%m", &tm);
    stats_count(acc, "month", month, 1, 0);
    int64_t d = sqlite3_column_int64(s, 4);
    size_t b = 0;
    while (b < 4 && d >= bounds[b]) b++;
    stats_count(acc, "time_to_report", buckets[b], 1, (double)d);
  }
  if (rc != SQLITE_DONE) {
    db_err(st, e, "statistics");
    release(st, s);
    free(acc);
    return -1;
  }
  release(st, s);
  if (prep(st,
           "SELECT b.kind, CASE WHEN b.status = 'pending' AND b.due_ms < :now THEN 'overdue' ELSE b.status END, 1"
           " FROM obligations b JOIN incidents i ON i.id = b.incident_id JOIN organisations o ON o.id = i.organisation_id" STATS_WHERE,
           &s, e)) {
    free(acc);
    return -1;
  }
  stats_bind(s, f);
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    char dim[40];
    snprintf(dim, sizeof dim, "obligation:%s", (const char *)sqlite3_column_text(s, 0));
    stats_count(acc, dim, (const char *)sqlite3_column_text(s, 1), sqlite3_column_int64(s, 2), 0);
  }
  if (rc != SQLITE_DONE) {
    db_err(st, e, "statistics");
    release(st, s);
    free(acc);
    return -1;
  }
  release(st, s);
  json_t *rows = json_array();
  json_array_append_new(rows, json_pack("{s:s, s:s, s:I, s:n}", "dim", "total", "key", "", "n", (json_int_t)total, "sum_ms"));
  for (int i = 0; i < STATS_KEYS_MAX; i++) {
    if (!acc->c[i].used) continue;
    json_t *row = json_pack("{s:s, s:s, s:I}", "dim", acc->c[i].dim, "key", acc->c[i].key, "n", (json_int_t)acc->c[i].n);
    json_object_set_new(row, "sum_ms", strcmp(acc->c[i].dim, "time_to_report") ? json_null() : json_integer((json_int_t)acc->c[i].ms));
    json_array_append_new(rows, row);
  }
  free(acc);
  *out = rows;
  return 0;
}

/* Whose clocks the caller watches (as store_obligation_list): b = obligations, i = incidents. */
#define WHOSE_SQL                                                                                   \
  "(:s_all = 1 OR (:s_org <> 0 AND i.organisation_id = :s_org AND b.from_party = 'operator')"      \
  " OR (:s_auth <> 0 AND b.from_authority_id IN (" SUBTREE_SQL(":s_auth") ")))"

/* Appends the first column of each row to ids (a JSON array of unique integers) while it holds fewer than max. */
static int collect_ids(store *st, sqlite3_stmt *s, json_t *ids, json_t *seen, size_t max, cirs_err *e) {
  int rc;
  while (json_array_size(ids) < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    char k[24];
    snprintf(k, sizeof k, "%lld", (long long)sqlite3_column_int64(s, 0));
    if (json_object_get(seen, k)) continue;
    json_object_set_new(seen, k, json_true());
    json_array_append_new(ids, json_integer(sqlite3_column_int64(s, 0)));
  }
  if (json_array_size(ids) < max && rc != SQLITE_DONE) {
    db_err(st, e, "inbox");
    release(st, s);
    return -1;
  }
  release(st, s);
  return 0;
}

static int sq_inbox(store *st, const store_inbox_q *q, json_t **out, cirs_err *e) {
  json_t *ids = json_array(), *seen = json_object();
  size_t max = (size_t)q->limit;
  sqlite3_stmt *s;
  int rc = 0;
  /* 1. Routed to the caller's authority and not yet received by it. */
  if (q->authority_id) {
    rc = prep(st,
              "SELECT r.incident_id FROM incident_routes r JOIN incidents i ON i.id = r.incident_id WHERE r.authority_id = :auth"
              " AND i.status <> 'closed' AND NOT EXISTS (SELECT 1 FROM receipts c WHERE c.incident_id = r.incident_id AND c.authority_id = :auth)"
              " ORDER BY r.at_ms DESC LIMIT :n",
              &s, e);
    if (!rc) {
      bind_named_int(s, ":auth", q->authority_id);
      bind_named_int(s, ":n", q->limit);
      rc = collect_ids(st, s, ids, seen, max, e);
    }
  }
  /* 2. The earliest clocks: stored overdue first, then pending, each in due order (the due index). */
  static const char *const statuses[] = {"overdue", "pending"};
  for (int k = 0; !rc && k < 2 && json_array_size(ids) < max; k++) {
    rc = prep(st,
              "SELECT b.incident_id FROM obligations b JOIN incidents i ON i.id = b.incident_id WHERE b.status = :st AND b.due_ms IS NOT NULL"
              " AND " WHOSE_SQL " ORDER BY b.due_ms LIMIT :n",
              &s, e);
    if (rc) break;
    bind_named_text(s, ":st", statuses[k]);
    bind_named_int(s, ":n", 4LL * q->limit);
    bind_scope(s, &q->scope);
    rc = collect_ids(st, s, ids, seen, max, e);
  }
  /* 3. The newest others. */
  if (!rc && json_array_size(ids) < max) {
    rc = prep(st, "SELECT i.id FROM incidents i WHERE " SCOPE_SQL " ORDER BY i.id DESC LIMIT :n", &s, e);
    if (!rc) {
      bind_named_int(s, ":n", 2LL * q->limit);
      bind_scope(s, &q->scope);
      rc = collect_ids(st, s, ids, seen, max, e);
    }
  }
  json_decref(seen);
  if (!rc)
    rc = prep(st,
              "SELECT i.id, i.ref, o.code AS organisation, o.name AS organisation_name, o.province, i.title, i.category, i.grade, i.status,"
              " i.aware_ms, i.created_ms, i.drill, n.due_ms AS next_due_ms, n.kind AS next_kind,"
              " (SELECT c.at_ms FROM receipts c WHERE c.incident_id = i.id AND c.authority_id = :auth) AS received_ms,"
              " (EXISTS (SELECT 1 FROM incident_routes r WHERE r.incident_id = i.id AND r.authority_id = :auth)"
              "  AND NOT EXISTS (SELECT 1 FROM receipts c WHERE c.incident_id = i.id AND c.authority_id = :auth)) AS needs_receipt"
              " FROM incidents i JOIN organisations o ON o.id = i.organisation_id"
              " LEFT JOIN obligations n ON n.id = (SELECT b.id FROM obligations b WHERE b.incident_id = i.id AND b.status IN ('pending', 'overdue')"
              " AND b.due_ms IS NOT NULL AND " WHOSE_SQL " ORDER BY b.due_ms LIMIT 1)"
              " WHERE i.id IN (SELECT value FROM json_each(:ids))"
              " ORDER BY needs_receipt DESC, next_due_ms IS NULL, next_due_ms, i.id DESC",
              &s, e);
  if (rc) {
    json_decref(ids);
    return -1;
  }
  bind_json(s, sqlite3_bind_parameter_index(s, ":ids"), ids);
  json_decref(ids);
  bind_named_int(s, ":auth", q->authority_id);
  bind_scope(s, &q->scope);
  return rows_json(st, s, out, e);
}

/* --- compliance ledger: raw rows, one statement per list, the same selection in each ----------------------------- */

/* The authority :auth, and with :subtree = 1 every authority below it. */
#define CMP_AUTHS_SQL \
  "WITH RECURSIVE sub(id) AS (SELECT :auth UNION SELECT a.id FROM authorities a JOIN sub ON a.parent_id = sub.id WHERE :subtree = 1)" \
  " SELECT id FROM sub"
/* Incidents `i` in the period (aware_ms in [:from, :to), NULL = open) and real unless :drills = 1. */
#define CMP_PERIOD_SQL "(:drills = 1 OR i.drill = 0) AND (:from IS NULL OR i.aware_ms >= :from) AND (:to IS NULL OR i.aware_ms < :to)"
/* An authority's incidents: those it has an obligation on, or that were routed to it. */
#define CMP_AUTH_INCIDENTS_SQL                                                                                          \
  "(i.id IN (SELECT b2.incident_id FROM obligations b2 WHERE b2.from_authority_id IN (" CMP_AUTHS_SQL "))"              \
  " OR i.id IN (SELECT r2.incident_id FROM incident_routes r2 WHERE r2.authority_id IN (" CMP_AUTHS_SQL ")))"
#define CMP_INCIDENTS_SQL(where)                                                                                        \
  "SELECT i.id, i.ref, i.aware_ms, i.drill, (SELECT min(r.submitted_ms) FROM report_versions r WHERE r.incident_id = i.id" \
  " AND r.kind = 'initial') AS initial_ms FROM incidents i WHERE " where " AND " CMP_PERIOD_SQL " ORDER BY i.id LIMIT :max"
#define CMP_OBLIGATIONS_SQL(where)                                                                                      \
  "SELECT b.id, b.incident_id, i.ref, b.kind, b.status, b.due_ms, b.met_ms FROM obligations b JOIN incidents i ON i.id = b.incident_id" \
  " WHERE " where " AND " CMP_PERIOD_SQL " ORDER BY b.id LIMIT :max"
#define CMP_REPORTS_SQL(where)                                                                                          \
  "SELECT r.incident_id, i.ref, r.version, r.kind, r.submitted_ms, json_extract(r.content, '$.facts') AS facts FROM report_versions r" \
  " JOIN incidents i ON i.id = r.incident_id WHERE " where " AND " CMP_PERIOD_SQL " ORDER BY r.incident_id, r.version LIMIT :max"

static int sq_compliance(store *st, const store_compliance_q *q, json_t **out, cirs_err *e) {
  static const char *const names[] = {"incidents", "obligations", "reports"};
  /* [0]: an organisation (its incidents, the operator's obligations); [1]: an authority (its own obligations). */
  static const char *const sqls[2][3] = {
      {CMP_INCIDENTS_SQL("i.organisation_id = :org"), CMP_OBLIGATIONS_SQL("i.organisation_id = :org AND b.from_party = 'operator'"),
       CMP_REPORTS_SQL("i.organisation_id = :org")},
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
    sqlite3_stmt *s;
    json_t *rows;
    if (prep(st, sqls[auth != 0][k], &s, e)) goto fail;
    bind_named_int(s, ":org", org);
    bind_named_int(s, ":auth", auth);
    bind_named_int(s, ":subtree", q->subtree ? 1 : 0);
    bind_named_int(s, ":drills", q->drills ? 1 : 0);
    if (q->from_ms != MODEL_NO_TIME) bind_named_int(s, ":from", q->from_ms);
    if (q->to_ms != MODEL_NO_TIME) bind_named_int(s, ":to", q->to_ms);
    bind_named_int(s, ":max", (int64_t)STORE_COMPLIANCE_MAX + 1);
    if (rows_json(st, s, &rows, e)) goto fail;
    json_object_set_new(res, names[k], rows);
    if (json_array_size(rows) > STORE_COMPLIANCE_MAX) {
      snprintf(m, sizeof m, L("结果超过 %d 行（%s），请缩短时间范围", "more than %d rows (%s); narrow the period"), STORE_COMPLIANCE_MAX, names[k]);
      err_set(e, "too_large", "period", m);
      goto fail;
    }
  }
  /* content.facts arrives as JSON text (or a bare value when facts is not an object): parsed, anything else null. */
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(res, "reports"), i, r) {
    json_t *f = json_object_get(r, "facts");
    json_t *parsed = json_is_string(f) ? json_loads(json_string_value(f), 0, NULL) : NULL;
    if (parsed && !json_is_object(parsed)) json_decref(parsed), parsed = NULL;
    json_object_set_new(r, "facts", parsed ? parsed : json_null());
  }
  *out = res;
  return 0;
fail:
  json_decref(res);
  return -1;
}

#define PRINCIPAL_SQL                                                                                                         \
  "SELECT u.id, u.username, u.name, u.role, u.organisation_id, o.code AS organisation, u.authority_id, a.code AS authority,"      \
  " a.type AS authority_type, a.province AS authority_province, a.sector AS authority_sector, u.disabled"

/* One principal: `extra` adds columns, `from_where` names the tables after u/o/a and the condition on ?1 (text)
 * and ?2 (integer, when has_int). */
static int principal(store *st, const char *extra, const char *from_where, const char *key, int has_int, int64_t n, const char *what,
                     json_t **out, cirs_err *e) {
  char sql[1024];
  snprintf(sql, sizeof sql, PRINCIPAL_SQL "%s %s", extra, from_where);
  sqlite3_stmt *s;
  if (prep(st, sql, &s, e)) return -1;
  bind_text(s, 1, key);
  if (has_int) sqlite3_bind_int64(s, 2, n);
  return one_row(st, s, "", what, out, e);
}

#define PRINCIPAL_JOINS " LEFT JOIN organisations o ON o.id = u.organisation_id LEFT JOIN authorities a ON a.id = u.authority_id"

static int sq_principal_by_username(store *st, const char *username, json_t **out, cirs_err *e) {
  return principal(st, ", u.password_hash", "FROM users u" PRINCIPAL_JOINS " WHERE u.username = ?1", username, 0, 0, "user", out, e);
}

static int sq_principal_by_session(store *st, const char *token_hash, int64_t now_ms, json_t **out, cirs_err *e) {
  return principal(st, ", se.csrf", "FROM sessions se JOIN users u ON u.id = se.user_id" PRINCIPAL_JOINS
                   " WHERE se.token_hash = ?1 AND se.expires_ms > ?2", token_hash, 1, now_ms, "session", out, e);
}

static int sq_principal_by_token(store *st, const char *token_hash, json_t **out, cirs_err *e) {
  return principal(st, "", "FROM api_tokens t JOIN users u ON u.id = t.user_id" PRINCIPAL_JOINS
                   " WHERE t.token_hash = ?1 AND t.revoked_ms IS NULL", token_hash, 0, 0, "token", out, e);
}

static int sq_session_insert(store *st, const char *token_hash, int64_t user_id, const char *csrf, int64_t expires_ms, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO sessions(token_hash,user_id,csrf,created_ms,expires_ms) VALUES(?,?,?,?,?)", &s, e)) return -1;
  bind_text(s, 1, token_hash);
  sqlite3_bind_int64(s, 2, user_id);
  bind_text(s, 3, csrf);
  sqlite3_bind_int64(s, 4, time_now_ms());
  sqlite3_bind_int64(s, 5, expires_ms);
  return step_done(st, s, "session", e);
}

static int sq_session_delete(store *st, const char *token_hash, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "DELETE FROM sessions WHERE token_hash = ?", &s, e)) return -1;
  bind_text(s, 1, token_hash);
  return step_done(st, s, "session", e);
}

static int sq_token_insert(store *st, const char *token_hash, int64_t user_id, const char *name, int64_t *id, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO api_tokens(token_hash,user_id,name,created_ms) VALUES(?,?,?,?)", &s, e)) return -1;
  bind_text(s, 1, token_hash);
  sqlite3_bind_int64(s, 2, user_id);
  bind_text(s, 3, name);
  sqlite3_bind_int64(s, 4, time_now_ms());
  if (step_done(st, s, "token", e)) return -1;
  *id = sqlite3_last_insert_rowid(DB(st));
  return 0;
}

static int sq_token_revoke(store *st, int64_t id, int64_t now_ms, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "UPDATE api_tokens SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, id);
  sqlite3_bind_int64(s, 2, now_ms);
  if (step_done(st, s, "token", e)) return -1;
  if (sqlite3_changes(DB(st)) == 0) return err_set(e, "not_found", "id", L("没有这个有效令牌", "no such active token"));
  if (prep(st, "SELECT t.id, u.username, t.name FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, id);
  return one_row(st, s, "id", "token", out, e);
}

static int sq_token_list(store *st, const char *username, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT t.id, u.username, t.name, t.created_ms, t.revoked_ms FROM api_tokens t JOIN users u ON u.id = t.user_id"
               " WHERE ?1 IS NULL OR u.username = ?1 ORDER BY t.id", &s, e))
    return -1;
  bind_text(s, 1, username);
  return rows_json(st, s, out, e);
}

static int sq_chain_anchor(store *st, int64_t *last_id, char hash[65], cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT last_purged_id, last_purged_hash FROM chain_anchor WHERE id = 1", &s, e)) return -1;
  *last_id = 0;
  snprintf(hash, AUDIT_HASH_HEX, "%s", AUDIT_GENESIS);
  if (sqlite3_step(s) == SQLITE_ROW) {
    *last_id = sqlite3_column_int64(s, 0);
    snprintf(hash, AUDIT_HASH_HEX, "%s", (const char *)sqlite3_column_text(s, 1));
  }
  release(st, s);
  return 0;
}

static int sq_event_append(store *st, model_event *ev, cirs_err *e) {
  sq_store *q = (sq_store *)st;
  int64_t last_id;
  char prev[AUDIT_HASH_HEX], hash[AUDIT_HASH_HEX];
  sqlite3_stmt *s;
  if (q->head_ok && LEVEL(st) > 0) {
    last_id = q->head_id;
    memcpy(prev, q->head_hash, sizeof prev);
  } else {
    if (sq_chain_anchor(st, &last_id, prev, e)) return -1;
    if (prep(st, "SELECT id, hash FROM events ORDER BY id DESC LIMIT 1", &s, e)) return -1;
    if (sqlite3_step(s) == SQLITE_ROW) {
      last_id = sqlite3_column_int64(s, 0);
      snprintf(prev, sizeof prev, "%s", (const char *)sqlite3_column_text(s, 1));
    }
    release(st, s);
  }
  int64_t id = last_id + 1;
  char *payload = ev->payload ? jdump(ev->payload) : strdup("{}");
  if (!payload || audit_hash(id, ev->at_ms, ev->actor, ev->type, ev->entity, ev->entity_id, payload, prev, hash)) {
    free(payload);
    return err_set(e, "internal", "", "event hash");
  }
  if (prep(st, "INSERT INTO events(id,at_ms,actor,type,entity,entity_id,payload,prev_hash,hash) VALUES(?,?,?,?,?,?,?,?,?)", &s, e)) {
    free(payload);
    return -1;
  }
  sqlite3_bind_int64(s, 1, id);
  sqlite3_bind_int64(s, 2, ev->at_ms);
  bind_text(s, 3, ev->actor);
  bind_text(s, 4, ev->type);
  bind_text(s, 5, ev->entity);
  sqlite3_bind_int64(s, 6, ev->entity_id);
  sqlite3_bind_text(s, 7, payload, -1, free);
  bind_text(s, 8, prev);
  bind_text(s, 9, hash);
  if (step_done(st, s, "event", e)) return -1;
  ev->id = id;
  q->head_id = id;
  memcpy(q->head_hash, hash, sizeof hash);
  q->head_ok = LEVEL(st) > 0;
  return 0;
}

static const char *col_text(sqlite3_stmt *s, int i) {
  const char *t = (const char *)sqlite3_column_text(s, i);
  return t ? t : "";
}

static int sq_event_scan(store *st, store_event_fn fn, void *ctx, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT id, at_ms, actor, type, entity, entity_id, payload, prev_hash, hash FROM events ORDER BY id", &s, e)) return -1;
  int rc, r = 0;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    r = fn(ctx, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), col_text(s, 2), col_text(s, 3), col_text(s, 4),
           sqlite3_column_int64(s, 5), col_text(s, 6), col_text(s, 7), col_text(s, 8));
    if (r) break;
  }
  if (!r && rc != SQLITE_DONE) {
    db_err(st, e, "event scan");
    r = -1;
  }
  release(st, s);
  return r;
}

static int64_t count_where(store *st, const char *sql, int64_t arg) {
  sqlite3_stmt *s;
  int64_t n = 0;
  if (sqlite3_prepare_v2(DB(st), sql, -1, &s, NULL) != SQLITE_OK) return 0;
  sqlite3_bind_int64(s, 1, arg);
  if (sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int64(s, 0);
  release(st, s);
  return n;
}

static int run1(store *st, const char *sql, int64_t arg, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, sql, &s, e)) return -1;
  sqlite3_bind_int64(s, 1, arg);
  return step_done(st, s, "purge", e);
}

static int sq_purge(store *st, int64_t before_ms, json_t **counts, cirs_err *e) {
  /* Events go as a prefix of the chain: everything below the first event at or after `before_ms`. */
  int64_t cut = count_where(st, "SELECT coalesce(min(id), (SELECT coalesce(max(id), 0) + 1 FROM events)) FROM events WHERE at_ms >= ?", before_ms);
  int64_t nev = count_where(st, "SELECT count(*) FROM events WHERE id < ?", cut);
  /* Incidents whose every record is older than `before_ms`. */
  const char *old = "SELECT id FROM incidents WHERE updated_ms < ?1";
  char sql[1024];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM report_versions WHERE incident_id IN (%s)", old);
  int64_t nrep = count_where(st, sql, before_ms);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM obligations WHERE incident_id IN (%s)", old);
  int64_t nobl = count_where(st, sql, before_ms);
  int64_t ninc = count_where(st, "SELECT count(*) FROM incidents WHERE updated_ms < ?1", before_ms);
  if (nev > 0) {
    sqlite3_stmt *s;
    if (prep(st, "SELECT id, hash FROM events WHERE id = ?", &s, e)) return -1;
    sqlite3_bind_int64(s, 1, cut - 1);
    int64_t lid = 0;
    char lhash[AUDIT_HASH_HEX] = "";
    if (sqlite3_step(s) == SQLITE_ROW) {
      lid = sqlite3_column_int64(s, 0);
      snprintf(lhash, sizeof lhash, "%s", (const char *)sqlite3_column_text(s, 1));
    }
    release(st, s);
    if (prep(st, "INSERT INTO chain_anchor(id,last_purged_id,last_purged_hash) VALUES(1,?,?)"
                 " ON CONFLICT(id) DO UPDATE SET last_purged_id = excluded.last_purged_id, last_purged_hash = excluded.last_purged_hash",
             &s, e))
      return -1;
    sqlite3_bind_int64(s, 1, lid);
    bind_text(s, 2, lhash);
    if (step_done(st, s, "anchor", e) || run1(st, "DELETE FROM events WHERE id < ?", cut, e)) return -1;
  }
  json_t *more = json_object();
  static const store_purge_step steps[] = STORE_PURGE_STEPS("?1");
  for (const store_purge_step *p = steps; p->table; p++) {
    if (p->count_key) {
      snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s", p->table, p->where);
      json_object_set_new(more, p->count_key, json_integer(count_where(st, sql, before_ms)));
    }
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE %s", p->table, p->where);
    if (run1(st, sql, before_ms, e)) goto fail;
  }
  snprintf(sql, sizeof sql, "DELETE FROM report_versions WHERE incident_id IN (%s)", old);
  if (run1(st, sql, before_ms, e)) goto fail;
  static const char *const dependents[] = {"obligations", "incident_routes", "receipts", "access_log", NULL};
  for (const char *const *t = dependents; *t; t++) {
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE incident_id IN (%s)", *t, old);
    if (run1(st, sql, before_ms, e)) goto fail;
  }
  snprintf(sql, sizeof sql, "DELETE FROM incident_fts WHERE rowid IN (%s)", old);
  if (run1(st, sql, before_ms, e)) goto fail;
  snprintf(sql, sizeof sql, "DELETE FROM search_queue WHERE incident_id IN (%s)", old);
  if (run1(st, sql, before_ms, e) || run1(st, "DELETE FROM incidents WHERE updated_ms < ?1", before_ms, e)) goto fail;
  *counts = json_pack("{s:I, s:I, s:I, s:I}", "events", (json_int_t)nev, "incidents", (json_int_t)ninc, "reports", (json_int_t)nrep,
                      "obligations", (json_int_t)nobl);
  json_object_update(*counts, more);
  json_decref(more);
  return 0;
fail:
  json_decref(more);
  return -1;
}

/* --- follow-up records: routes, receipts, updates, tips, idempotency, access log, history ---------------------- */

static int sq_route_add(store *st, int64_t incident_id, const char *authority, const char *via, int64_t from_authority_id, int64_t at_ms,
                        cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "INSERT OR IGNORE INTO incident_routes(incident_id, authority_id, via, from_authority_id, at_ms)"
               " SELECT ?1, id, ?3, nullif(?4, 0), ?5 FROM authorities WHERE code = ?2", &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, incident_id);
  bind_text(s, 2, authority);
  bind_text(s, 3, via);
  sqlite3_bind_int64(s, 4, from_authority_id);
  sqlite3_bind_int64(s, 5, at_ms);
  return step_done(st, s, "route", e);
}

static int sq_routed_to(store *st, int64_t incident_id, int64_t authority_id) {
  sqlite3_stmt *s;
  int found = 0;
  if (sqlite3_prepare_v2(DB(st), "SELECT 1 FROM incident_routes WHERE incident_id = ? AND authority_id = ?", -1, &s, NULL) != SQLITE_OK) return 0;
  sqlite3_bind_int64(s, 1, incident_id);
  sqlite3_bind_int64(s, 2, authority_id);
  found = sqlite3_step(s) == SQLITE_ROW;
  release(st, s);
  return found;
}

/* The search index is kept off the write path: a write queues the incident's text (one plain row), and the
 * writer's tick moves the queue into the FTS5 index in bulk (FTS5 writes a segment per transaction and per
 * savepoint, which per request would cost more than the rest of an intake). Searches read both. */
static int sq_search_set(store *st, int64_t incident_id, const char *text, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO search_queue(incident_id, body) VALUES(?, ?)", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, incident_id);
  bind_text(s, 2, text ? text : "");
  return step_done(st, s, "search", e);
}

static int sq_search_catchup(store *st, int max, int *done, cirs_err *e) {
  sqlite3_stmt *s;
  *done = 0;
  int64_t last = 0;
  if (prep(st, "SELECT seq, incident_id, body FROM search_queue ORDER BY seq LIMIT ?", &s, e)) return -1;
  sqlite3_bind_int(s, 1, max);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(s, 1);
    sqlite3_stmt *d, *i;
    if (prep(st, "DELETE FROM incident_fts WHERE rowid = ?", &d, e)) break;
    sqlite3_bind_int64(d, 1, id);
    if (step_done(st, d, "search", e)) break;
    if (prep(st, "INSERT INTO incident_fts(rowid, body) VALUES(?, ?)", &i, e)) break;
    sqlite3_bind_int64(i, 1, id);
    sqlite3_bind_text(i, 2, (const char *)sqlite3_column_text(s, 2), sqlite3_column_bytes(s, 2), SQLITE_TRANSIENT);
    if (step_done(st, i, "search", e)) break;
    last = sqlite3_column_int64(s, 0);
    (*done)++;
  }
  int failed = rc != SQLITE_DONE && rc != SQLITE_ROW ? (db_err(st, e, "search queue"), 1) : rc == SQLITE_ROW;
  release(st, s);
  if (failed) return -1;
  return last ? run1(st, "DELETE FROM search_queue WHERE seq <= ?", last, e) : 0;
}

static int sq_receipt_insert(store *st, int64_t incident_id, int64_t authority_id, int64_t user_id, const char *how, int64_t at_ms,
                             const char *note, int64_t *id, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO receipts(incident_id, authority_id, user_id, how, at_ms, note) VALUES(?, ?, nullif(?, 0), ?, ?, ?)", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, incident_id);
  sqlite3_bind_int64(s, 2, authority_id);
  sqlite3_bind_int64(s, 3, user_id);
  bind_text(s, 4, how);
  sqlite3_bind_int64(s, 5, at_ms);
  bind_text(s, 6, note);
  if (step_done(st, s, "receipt", e)) return -1;
  *id = sqlite3_last_insert_rowid(DB(st));
  return 0;
}

static int sq_receipt_get(store *st, int64_t incident_id, int64_t authority_id, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT r.id, r.at_ms, r.how, u.username FROM receipts r LEFT JOIN users u ON u.id = r.user_id"
               " WHERE r.incident_id = ? AND r.authority_id = ?", &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, incident_id);
  sqlite3_bind_int64(s, 2, authority_id);
  return one_row(st, s, "receipt", "receipt", out, e);
}

static int sq_obligation_update(store *st, int64_t id, const char *status, int64_t due_ms, int64_t met_ms, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "UPDATE obligations SET status = ?2, due_ms = ?3, met_ms = ?4 WHERE id = ?1", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, id);
  bind_text(s, 2, status);
  bind_time(s, 3, due_ms);
  bind_time(s, 4, met_ms);
  return step_done(st, s, "obligation", e);
}

static int sq_incident_update(store *st, const model_incident *inc, int64_t handling_end_ms, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "UPDATE incidents SET title = ?2, category = ?3, grade = ?4, reportable = ?5, status = ?6, handling_end_ms = ?7,"
               " updated_ms = ?8 WHERE id = ?1", &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, inc->id);
  bind_text(s, 2, inc->title);
  bind_text(s, 3, inc->category);
  bind_text(s, 4, inc->grade);
  sqlite3_bind_int(s, 5, inc->reportable);
  bind_text(s, 6, inc->status);
  bind_time(s, 7, handling_end_ms);
  sqlite3_bind_int64(s, 8, time_now_ms());
  return step_done(st, s, "incident", e);
}

static int sq_tip_insert(store *st, const json_t *content, const char *addr_hash, int64_t at_ms, int64_t *id, char ref[40], cirs_err *e) {
  int64_t n = next_id(st, "tips");
  char t[TIME_STR_MAX];
  time_format(at_ms, 480, t);
  snprintf(ref, 40, "TIP-%.4s-%06lld", t, (long long)n);
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO tips(id, ref, received_ms, content, addr_hash) VALUES(?, ?, ?, ?, ?)", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, n);
  bind_text(s, 2, ref);
  sqlite3_bind_int64(s, 3, at_ms);
  bind_json(s, 4, content);
  bind_text(s, 5, addr_hash);
  if (step_done(st, s, "tip", e)) return -1;
  *id = n;
  return 0;
}

static int sq_tip_list(store *st, int64_t after_id, int limit, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT id, ref, received_ms, content, status FROM tips WHERE id > ? ORDER BY id LIMIT ?", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, after_id);
  sqlite3_bind_int(s, 2, limit);
  return rows_json(st, s, out, e);
}

static int sq_idem_get(store *st, int64_t user_id, const char *key, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT request_hash, status, response FROM idempotency WHERE user_id = ? AND key = ?", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, user_id);
  bind_text(s, 2, key);
  return one_row(st, s, "Idempotency-Key", key, out, e);
}

static int sq_idem_put(store *st, int64_t user_id, const char *key, const char *request_hash, int status, const char *response, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO idempotency(user_id, key, request_hash, status, response, created_ms) VALUES(?, ?, ?, ?, ?, ?)", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, user_id);
  bind_text(s, 2, key);
  bind_text(s, 3, request_hash);
  sqlite3_bind_int(s, 4, status);
  bind_text(s, 5, response);
  sqlite3_bind_int64(s, 6, time_now_ms());
  return step_done(st, s, "idempotency", e);
}

static int sq_access_log(store *st, const json_t *entries, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO access_log(at_ms, user_id, username, authority_id, incident_id, what, req_id) VALUES(?, ?, ?, nullif(?, 0), ?, ?, ?)",
           &s, e))
    return -1;
  size_t i;
  json_t *x;
  json_array_foreach(entries, i, x) {
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, json_integer_value(json_object_get(x, "at_ms")));
    sqlite3_bind_int64(s, 2, json_integer_value(json_object_get(x, "user_id")));
    bind_text(s, 3, json_string_value(json_object_get(x, "username")));
    sqlite3_bind_int64(s, 4, json_integer_value(json_object_get(x, "authority_id")));
    sqlite3_bind_int64(s, 5, json_integer_value(json_object_get(x, "incident_id")));
    bind_text(s, 6, json_string_value(json_object_get(x, "what")));
    bind_text(s, 7, json_string_value(json_object_get(x, "req_id")));
    if (sqlite3_step(s) != SQLITE_DONE) {
      db_err(st, e, "access log");
      release(st, s);
      return -1;
    }
  }
  release(st, s);
  return 0;
}

static int sq_access_list(store *st, int64_t incident_id, int64_t after_id, int limit, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT l.id, l.at_ms, l.username, a.code AS authority, l.incident_id, l.what, l.req_id FROM access_log l"
               " LEFT JOIN authorities a ON a.id = l.authority_id WHERE (?1 = 0 OR l.incident_id = ?1) AND l.id > ?2 ORDER BY l.id LIMIT ?3",
           &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, incident_id);
  sqlite3_bind_int64(s, 2, after_id);
  sqlite3_bind_int(s, 3, limit);
  return rows_json(st, s, out, e);
}

static int sq_incident_events(store *st, int64_t incident_id, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT id, at_ms, actor, type, entity, entity_id, payload FROM events WHERE (entity = 'incident' AND entity_id = ?1)"
               " OR (json_extract(payload, '$.incident_id') IS NOT NULL AND json_extract(payload, '$.incident_id') = ?1) ORDER BY id",
           &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, incident_id);
  return rows_json(st, s, out, e);
}

static int sq_cleanup(store *st, int64_t now_ms, int64_t idem_before_ms, json_t **counts, cirs_err *e) {
  if (run1(st, "DELETE FROM sessions WHERE expires_ms <= ?", now_ms, e)) return -1;
  int sessions = sqlite3_changes(DB(st));
  if (run1(st, "DELETE FROM idempotency WHERE created_ms < ?", idem_before_ms, e)) return -1;
  *counts = json_pack("{s:i, s:i}", "sessions", sessions, "idempotency", sqlite3_changes(DB(st)));
  return 0;
}

static int sq_obligation_counts(store *st, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT CASE WHEN status = 'pending' AND due_ms < " NOW_SQL " THEN 'overdue' ELSE status END AS st, count(*) FROM obligations GROUP BY st",
           &s, e))
    return -1;
  json_t *o = json_object();
  while (sqlite3_step(s) == SQLITE_ROW)
    json_object_set_new(o, (const char *)sqlite3_column_text(s, 0), json_integer(sqlite3_column_int64(s, 1)));
  release(st, s);
  *out = o;
  return 0;
}

/* --- clocks and notifications (005): deadlines, reminders, waivers, webhooks, outbox, in-app list ------------ */

static int sq_deadlines(store *st, store_deadline_fn fn, void *ctx, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT id, due_ms, max FROM obligations WHERE status = 'pending' AND due_ms IS NOT NULL", &s, e)) return -1;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) fn(ctx, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), (const char *)sqlite3_column_text(s, 2));
  if (rc != SQLITE_DONE) {
    db_err(st, e, "deadlines");
    release(st, s);
    return -1;
  }
  release(st, s);
  return 0;
}

static int sq_deadlines_after(store *st, int64_t after, int limit, store_deadline_fn fn, void *ctx, int64_t *last, cirs_err *e) {
  sqlite3_stmt *s;
  *last = after;
  /* By rowid: only the rows above `after` are read (no status index, which would step over every pending row). */
  if (prep(st, "SELECT id, due_ms, max, status = 'pending' AND due_ms IS NOT NULL FROM obligations WHERE id > ?1 ORDER BY id LIMIT ?2", &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, after);
  sqlite3_bind_int(s, 2, limit);
  int rc, n = 0;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    n++;
    *last = sqlite3_column_int64(s, 0);
    if (sqlite3_column_int(s, 3)) fn(ctx, *last, sqlite3_column_int64(s, 1), (const char *)sqlite3_column_text(s, 2));
  }
  if (rc != SQLITE_DONE) n = db_err(st, e, "deadlines");
  release(st, s);
  /* A purge may have removed the highest ids, which SQLite then gives out again: read from below them (only when the
   * table's highest id is known to be lower; a failed read changes nothing). */
  if (n == 0 && !prep(st, "SELECT max(id) FROM obligations", &s, e)) {
    if (sqlite3_step(s) == SQLITE_ROW) {
      int64_t top = sqlite3_column_type(s, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 0);
      if (top < after) *last = top;
    }
    release(st, s);
  }
  return n;
}

static int sq_obligation_get(store *st, int64_t id, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT b.id, b.incident_id, b.kind, b.regime, b.from_party, b.to_authorities, b.max, b.relative_to, b.due_ms, b.status,"
               " b.met_ms, b.hard, b.created_ms, b.waived_reason, b.waived_by, " OB_REF_SQL " AS ref,"
               " coalesce(i.title, (SELECT title FROM warnings WHERE id = b.warning_id), (SELECT title FROM responses WHERE id = b.response_id)) AS title,"
               " coalesce(i.grade, '') AS grade, " OB_DRILL_SQL " AS drill, " OB_ORG_SQL " AS organisation_id, b.warning_id, b.response_id,"
               " b.from_authority_id, (SELECT code FROM authorities WHERE id = b.from_authority_id) AS from_authority"
               " FROM obligations b LEFT JOIN incidents i ON i.id = b.incident_id WHERE b.id = ?",
           &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, id);
  return one_row(st, s, "id", L("没有这项义务", "no such obligation"), out, e);
}

static int sq_reminder_mark(store *st, int64_t obligation_id, const char *step, int64_t now, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "INSERT OR IGNORE INTO reminders(obligation_id, step, at_ms) VALUES(?, ?, ?)", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, obligation_id);
  bind_text(s, 2, step);
  sqlite3_bind_int64(s, 3, now);
  if (step_done(st, s, "reminder", e)) return -1;
  return sqlite3_changes(DB(st)) > 0;
}

static int sq_obligation_waive(store *st, int64_t id, const char *reason, const char *by, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "UPDATE obligations SET status = 'waived', waived_reason = ?2, waived_by = ?3 WHERE id = ?1 AND status IN ('pending', 'overdue')",
           &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, id);
  bind_text(s, 2, reason);
  bind_text(s, 3, by);
  if (step_done(st, s, "waive", e)) return -1;
  if (sqlite3_changes(DB(st)) == 0) return err_set_msg(e, "conflict", "", L("该义务已履行或已免除", "the obligation is already met or waived"));
  return 0;
}

static int sq_recipients(store *st, int64_t authority_id, int64_t organisation_id, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  json_t *users, *hooks;
  if (prep(st, "SELECT id, username, email FROM users WHERE disabled = 0 AND ((?1 > 0 AND authority_id = ?1) OR (?2 > 0 AND organisation_id = ?2))"
               " ORDER BY id",
           &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, authority_id);
  sqlite3_bind_int64(s, 2, organisation_id);
  if (rows_json(st, s, &users, e)) return -1;
  if (prep(st, "SELECT id, url FROM webhooks WHERE active = 1 AND ((?1 > 0 AND authority_id = ?1) OR (?2 > 0 AND organisation_id = ?2)) ORDER BY id",
           &s, e)) {
    json_decref(users);
    return -1;
  }
  sqlite3_bind_int64(s, 1, authority_id);
  sqlite3_bind_int64(s, 2, organisation_id);
  if (rows_json(st, s, &hooks, e)) {
    json_decref(users);
    return -1;
  }
  *out = json_pack("{s:o, s:o}", "users", users, "webhooks", hooks);
  return 0;
}

static int sq_notification_add(store *st, const store_notification *n, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "INSERT OR IGNORE INTO notifications(user_id, event_id, kind, incident_id, title, body, created_ms) VALUES(?,?,?,nullif(?,0),?,?,?)", &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, n->user_id);
  sqlite3_bind_int64(s, 2, n->event_id);
  bind_text(s, 3, n->kind);
  sqlite3_bind_int64(s, 4, n->incident_id);
  bind_text(s, 5, n->title);
  bind_text(s, 6, n->body);
  sqlite3_bind_int64(s, 7, n->at_ms);
  return step_done(st, s, "notification", e);
}

static int sq_notification_list(store *st, int64_t user_id, int unread, int64_t after, int limit, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT id, kind, incident_id, title, body, created_ms, read_ms FROM notifications WHERE user_id = ?1 AND (?2 = 0 OR read_ms IS NULL)"
               " AND (?3 = 0 OR id < ?3) ORDER BY id DESC LIMIT ?4",
           &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, user_id);
  sqlite3_bind_int(s, 2, unread);
  sqlite3_bind_int64(s, 3, after);
  sqlite3_bind_int(s, 4, limit);
  return rows_json(st, s, out, e);
}

static int sq_notification_read(store *st, int64_t user_id, int64_t id, int64_t now, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "UPDATE notifications SET read_ms = coalesce(read_ms, ?3) WHERE id = ?1 AND user_id = ?2", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, id);
  sqlite3_bind_int64(s, 2, user_id);
  sqlite3_bind_int64(s, 3, now);
  if (step_done(st, s, "notification", e)) return -1;
  if (sqlite3_changes(DB(st)) == 0) return err_set(e, "not_found", "id", L("没有这条通知", "no such notification"));
  return 0;
}

static int sq_outbox_add(store *st, const store_outbox_row *r, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "INSERT OR IGNORE INTO outbox(event_id, kind, channel, target, idem_key, authority_id, organisation_id, incident_id, subject, body,"
               " status, next_ms, created_ms) VALUES(?,?,?,?,?,nullif(?,0),nullif(?,0),nullif(?,0),?,?,'pending',?,?)",
           &s, e))
    return -1;
  char key[160];
  snprintf(key, sizeof key, "%lld:%s:%s", (long long)r->event_id, r->channel, r->target);
  sqlite3_bind_int64(s, 1, r->event_id);
  bind_text(s, 2, r->kind);
  bind_text(s, 3, r->channel);
  bind_text(s, 4, r->target);
  bind_text(s, 5, key);
  sqlite3_bind_int64(s, 6, r->authority_id);
  sqlite3_bind_int64(s, 7, r->organisation_id);
  sqlite3_bind_int64(s, 8, r->incident_id);
  bind_text(s, 9, r->subject);
  bind_text(s, 10, r->body);
  sqlite3_bind_int64(s, 11, r->at_ms);
  sqlite3_bind_int64(s, 12, r->at_ms);
  return step_done(st, s, "outbox", e);
}

static int sq_outbox_due(store *st, int64_t now, int with_email, int limit, json_t **out, int64_t *next_ms, cirs_err *e) {
  sqlite3_stmt *s;
  /* Two statements, so that each reads its own index: every channel (outbox_due), or webhooks only (outbox_due_channel)
   * when no SMTP server is configured and e-mails wait. */
#define DUE_SELECT                                                                                                    \
  "SELECT o.id, o.kind, o.channel, o.target, o.idem_key, o.subject, o.body, o.attempts, w.url, w.secret,"              \
  " coalesce(w.confirms_receipt, 0) AS confirms_receipt, o.incident_id, o.authority_id,"                               \
  " (SELECT code FROM authorities WHERE id = o.authority_id) AS authority FROM outbox o LEFT JOIN webhooks w ON o.channel = 'webhook' AND w.id = CAST(o.target AS INTEGER)"
  if (prep(st,
           with_email ? DUE_SELECT " WHERE o.status = 'pending' AND o.next_ms <= ?1 ORDER BY o.next_ms, o.id LIMIT ?2"
                      : DUE_SELECT " WHERE o.status = 'pending' AND o.channel = 'webhook' AND o.next_ms <= ?1 ORDER BY o.next_ms, o.id LIMIT ?2",
           &s, e))
    return -1;
#undef DUE_SELECT
  sqlite3_bind_int64(s, 1, now);
  sqlite3_bind_int(s, 2, limit);
  if (rows_json(st, s, out, e)) return -1;
  *next_ms = 0;
  if (prep(st,
           with_email ? "SELECT min(next_ms) FROM outbox WHERE status = 'pending' AND next_ms > ?1"
                      : "SELECT min(next_ms) FROM outbox WHERE status = 'pending' AND channel = 'webhook' AND next_ms > ?1",
           &s, e))
    return 0;
  sqlite3_bind_int64(s, 1, now);
  if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_INTEGER) *next_ms = sqlite3_column_int64(s, 0);
  release(st, s);
  return 0;
}

static int sq_outbox_attempt(store *st, int64_t id, int ok, const char *detail, int64_t now, int64_t retry_ms, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO outbox_attempts(outbox_id, at_ms, ok, detail) VALUES(?, ?, ?, ?)", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, id);
  sqlite3_bind_int64(s, 2, now);
  sqlite3_bind_int(s, 3, ok);
  bind_text(s, 4, detail ? detail : "");
  if (step_done(st, s, "outbox attempt", e)) return -1;
  if (prep(st, "UPDATE outbox SET attempts = attempts + 1, status = CASE WHEN ?2 THEN 'delivered' WHEN ?4 = 0 THEN 'dead' ELSE 'pending' END,"
               " delivered_ms = CASE WHEN ?2 THEN ?3 END, next_ms = CASE WHEN ?2 OR ?4 = 0 THEN next_ms ELSE ?4 END,"
               " last_error = CASE WHEN ?2 THEN last_error ELSE ?5 END WHERE id = ?1 AND status = 'pending'",
           &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, id);
  sqlite3_bind_int(s, 2, ok);
  sqlite3_bind_int64(s, 3, now);
  sqlite3_bind_int64(s, 4, retry_ms);
  bind_text(s, 5, detail ? detail : "");
  return step_done(st, s, "outbox", e);
}

static int sq_outbox_list(store *st, const store_outbox_q *q, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT o.id, o.event_id, o.kind, o.channel, o.target, o.incident_id, o.subject, o.status, o.attempts, o.next_ms, o.last_error,"
               " o.created_ms, o.delivered_ms, (SELECT code FROM authorities WHERE id = o.authority_id) AS authority,"
               " (SELECT code FROM organisations WHERE id = o.organisation_id) AS organisation FROM outbox o"
               " WHERE (?1 OR (?2 > 0 AND o.authority_id = ?2) OR (?3 > 0 AND o.organisation_id = ?3)) AND (?4 IS NULL OR o.status = ?4)"
               " AND (?5 = 0 OR o.incident_id = ?5) AND (?6 = 0 OR o.id < ?6) ORDER BY o.id DESC LIMIT ?7",
           &s, e))
    return -1;
  sqlite3_bind_int(s, 1, q->all);
  sqlite3_bind_int64(s, 2, q->authority_id);
  sqlite3_bind_int64(s, 3, q->organisation_id);
  bind_text(s, 4, q->status);
  sqlite3_bind_int64(s, 5, q->incident_id);
  sqlite3_bind_int64(s, 6, q->after);
  sqlite3_bind_int(s, 7, q->limit);
  return rows_json(st, s, out, e);
}

static int sq_outbox_attempts(store *st, int64_t outbox_id, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT at_ms, ok, detail FROM outbox_attempts WHERE outbox_id = ? ORDER BY id", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, outbox_id);
  return rows_json(st, s, out, e);
}

static int sq_webhook_add(store *st, int64_t authority_id, int64_t organisation_id, const char *url, const char *secret, int confirms_receipt,
                          const char *by, int64_t now, int64_t *id, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO webhooks(authority_id, organisation_id, url, secret, created_by, created_ms, confirms_receipt)"
               " VALUES(nullif(?,0), nullif(?,0), ?, ?, ?, ?, ?)", &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, authority_id);
  sqlite3_bind_int64(s, 2, organisation_id);
  bind_text(s, 3, url);
  bind_text(s, 4, secret);
  bind_text(s, 5, by);
  sqlite3_bind_int64(s, 6, now);
  sqlite3_bind_int(s, 7, confirms_receipt ? 1 : 0);
  if (step_done(st, s, "webhook", e)) return -1;
  *id = sqlite3_last_insert_rowid(DB(st));
  return 0;
}

static int sq_webhook_list(store *st, int64_t authority_id, int64_t organisation_id, int all, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT w.id, w.url, w.active, w.confirms_receipt, w.created_by, w.created_ms, (SELECT code FROM authorities WHERE id = w.authority_id) AS authority,"
               " (SELECT code FROM organisations WHERE id = w.organisation_id) AS organisation FROM webhooks w"
               " WHERE ?3 OR (?1 > 0 AND w.authority_id = ?1) OR (?2 > 0 AND w.organisation_id = ?2) ORDER BY w.id",
           &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, authority_id);
  sqlite3_bind_int64(s, 2, organisation_id);
  sqlite3_bind_int(s, 3, all);
  return rows_json(st, s, out, e);
}

static int sq_webhook_disable(store *st, int64_t id, int64_t authority_id, int64_t organisation_id, int all, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "UPDATE webhooks SET active = 0 WHERE id = ?1 AND active = 1 AND (?4 OR (?2 > 0 AND authority_id = ?2) OR (?3 > 0 AND organisation_id = ?3))",
           &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, id);
  sqlite3_bind_int64(s, 2, authority_id);
  sqlite3_bind_int64(s, 3, organisation_id);
  sqlite3_bind_int(s, 4, all);
  if (step_done(st, s, "webhook", e)) return -1;
  if (sqlite3_changes(DB(st)) == 0) return err_set(e, "not_found", "id", L("没有这个回调地址", "no such webhook"));
  return 0;
}

static int sq_incident_authorities(store *st, int64_t incident_id, const char *via, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT a.id, a.code, a.type, r.at_ms FROM incident_routes r JOIN authorities a ON a.id = r.authority_id"
               " WHERE r.incident_id = ?1 AND (?2 IS NULL OR r.via = ?2) ORDER BY r.at_ms, a.id",
           &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, incident_id);
  bind_text(s, 2, via);
  return rows_json(st, s, out, e);
}

static int64_t sq_id_of(store *st, const char *what, const char *code) {
  return id_by_code(st, !strcmp(what, "authority") ? "authorities" : "organisations", code);
}

/* --- emergency: warnings and responses ------------------------------------------------------------------------- */

static const char *jget_s(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static int64_t jget_i(const json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

static int ref_insert(store *st, const char *table, const char *prefix, int64_t at_ms, int64_t *id, char ref[40]) {
  *id = next_id(st, table);
  char t[TIME_STR_MAX];
  time_format(at_ms, 480, t);
  snprintf(ref, 40, "%s-%.4s-%06lld", prefix, t, (long long)*id);
  return 0;
}

static int sq_warning_insert(store *st, const json_t *w, int64_t *id, char ref[40], cirs_err *e) {
  int64_t now = jget_i(w, "now");
  ref_insert(st, "warnings", "WARN", now, id, ref);
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO warnings(id, ref, issuer_id, scheme, level, category, title, matters, measures, scope, starts_ms, status, drill,"
               " created_by, created_ms, updated_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'active', ?12, ?13, ?14, ?14)",
           &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, *id);
  bind_text(s, 2, ref);
  sqlite3_bind_int64(s, 3, jget_i(w, "issuer_id"));
  bind_text(s, 4, jget_s(w, "scheme"));
  bind_text(s, 5, jget_s(w, "level"));
  bind_text(s, 6, jget_s(w, "category"));
  bind_text(s, 7, jget_s(w, "title"));
  bind_text(s, 8, jget_s(w, "matters"));
  bind_json(s, 9, json_object_get(w, "measures"));
  bind_json(s, 10, json_object_get(w, "scope"));
  sqlite3_bind_int64(s, 11, jget_i(w, "starts_ms"));
  sqlite3_bind_int(s, 12, json_is_true(json_object_get(w, "drill")));
  bind_text(s, 13, jget_s(w, "created_by"));
  sqlite3_bind_int64(s, 14, now);
  return step_done(st, s, "warning", e);
}

#define SCOPE_IN(col, key) col " IN (SELECT value FROM json_each(?2, '$." key "'))"
static int sq_warning_recipients_fill(store *st, int64_t warning_id, int64_t issuer_id, const json_t *scope, int64_t *count, cirs_err *e) {
  static const char *const sql[2] = {
      "INSERT OR IGNORE INTO warning_recipients(warning_id, organisation_id) SELECT ?1, o.id FROM organisations o WHERE "
      SCOPE_IN("o.province", "provinces") " OR " SCOPE_IN("o.sector", "sectors") " OR " SCOPE_IN("o.department", "departments"),
      "INSERT OR IGNORE INTO warning_recipients(warning_id, authority_id) SELECT ?1, a.id FROM authorities a WHERE a.id <> ?3 AND ("
      SCOPE_IN("a.province", "provinces") " OR " SCOPE_IN("a.sector", "sectors") " OR " SCOPE_IN("a.department", "departments") ")"};
  *count = 0;
  for (int i = 0; i < 2; i++) {
    sqlite3_stmt *s;
    if (prep(st, sql[i], &s, e)) return -1;
    sqlite3_bind_int64(s, 1, warning_id);
    bind_json(s, 2, scope);
    sqlite3_bind_int64(s, 3, issuer_id);
    if (step_done(st, s, "warning recipients", e)) return -1;
    *count += sqlite3_changes(DB(st));
  }
  return 0;
}

static const char WARNING_COLS[] =
    "SELECT w.id, w.ref, a.code AS issuer, a.type AS issuer_type, w.issuer_id, w.scheme, w.level, w.category, w.title, w.matters, w.measures,"
    " w.scope, w.starts_ms, w.status, w.drill, w.version, w.created_by, w.created_ms, w.updated_ms, w.lifted_ms, w.lifted_by, w.lift_reason,"
    " (SELECT count(*) FROM warning_recipients r WHERE r.warning_id = w.id) AS recipients_total,"
    " (SELECT count(*) FROM warning_recipients r WHERE r.warning_id = w.id AND r.acked_ms IS NOT NULL) AS acknowledged"
    " FROM warnings w JOIN authorities a ON a.id = w.issuer_id ";

static int sq_warning_get(store *st, const char *key, json_t **out, cirs_err *e) {
  char sql[2048];
  snprintf(sql, sizeof sql, "%s WHERE w.ref = ?1 OR CAST(w.id AS TEXT) = ?1", WARNING_COLS);
  sqlite3_stmt *s;
  if (prep(st, sql, &s, e)) return -1;
  bind_text(s, 1, key);
  if (one_row(st, s, "id", key, out, e)) return -1;
  json_t *rows;
  if (prep(st, "SELECT (SELECT code FROM authorities WHERE id = r.authority_id) AS authority, r.authority_id,"
               " (SELECT code FROM organisations WHERE id = r.organisation_id) AS organisation, r.organisation_id, r.acked_ms, r.acked_by"
               " FROM warning_recipients r WHERE r.warning_id = ? ORDER BY r.authority_id IS NULL, r.authority_id, r.organisation_id",
           &s, e) ||
      (sqlite3_bind_int64(s, 1, jget_i(*out, "id")), rows_json(st, s, &rows, e))) {
    json_decref(*out);
    *out = NULL;
    return -1;
  }
  json_object_set_new(*out, "recipients", rows);
  return 0;
}

/* Bindings shared by the two list queries: ?1 all, ?2 authority, ?3 organisation, ?4 status, ?5 after, ?6 limit, ?7 drill. */
static void bind_em(sqlite3_stmt *s, const store_em_q *q) {
  sqlite3_bind_int(s, 1, q->all);
  sqlite3_bind_int64(s, 2, q->authority_id);
  sqlite3_bind_int64(s, 3, q->organisation_id);
  bind_text(s, 4, q->status);
  sqlite3_bind_int64(s, 5, q->after);
  sqlite3_bind_int(s, 6, q->limit);
  sqlite3_bind_int(s, 7, q->drill);
}

static int sq_warning_list(store *st, const store_em_q *q, json_t **out, cirs_err *e) {
  char sql[4096];
  snprintf(sql, sizeof sql,
           "%s WHERE w.id > ?5 AND (?4 IS NULL OR w.status = ?4) AND (?7 = 0 OR w.drill = ?7 - 1) AND (?1"
           " OR (?2 <> 0 AND (w.issuer_id IN (" SUBTREE_SQL("?2") ")"
           "   OR EXISTS (SELECT 1 FROM warning_recipients r WHERE r.warning_id = w.id AND r.authority_id = ?2)))"
           " OR (?3 <> 0 AND EXISTS (SELECT 1 FROM warning_recipients r WHERE r.warning_id = w.id AND r.organisation_id = ?3)))"
           " ORDER BY w.id LIMIT ?6",
           WARNING_COLS);
  sqlite3_stmt *s;
  if (prep(st, sql, &s, e)) return -1;
  bind_em(s, q);
  return rows_json(st, s, out, e);
}

/* UPDATE table SET <each key of changes> = value, from a fixed list of settable columns. */
static int set_columns(store *st, const char *table, int64_t id, const json_t *changes, const char *const *allowed, const char *extra, cirs_err *e) {
  char sql[1024];
  size_t n = (size_t)snprintf(sql, sizeof sql, "UPDATE %s SET %s", table, extra);
  const char *k;
  json_t *v;
  int cols = 0;
  json_object_foreach((json_t *)changes, k, v) {
    int ok = 0;
    for (const char *const *a = allowed; *a; a++) ok |= !strcmp(*a, k);
    if (!ok) return err_set(e, "internal", k, "not a settable column");
    n += (size_t)snprintf(sql + n, sizeof sql - n, "%s%s = ?%d", cols || *extra ? ", " : "", k, cols + 1);
    cols++;
  }
  snprintf(sql + n, sizeof sql - n, " WHERE id = ?%d", cols + 1);
  sqlite3_stmt *s;
  if (prep(st, sql, &s, e)) return -1;
  int i = 1;
  json_object_foreach((json_t *)changes, k, v) {
    if (json_is_integer(v)) sqlite3_bind_int64(s, i, json_integer_value(v));
    else if (json_is_string(v)) bind_text(s, i, json_string_value(v));
    else if (json_is_null(v)) sqlite3_bind_null(s, i);
    else bind_json(s, i, v);
    i++;
  }
  sqlite3_bind_int64(s, i, id);
  if (step_done(st, s, table, e)) return -1;
  return sqlite3_changes(DB(st)) ? 0 : err_set(e, "not_found", "id", table);
}

static int sq_warning_set(store *st, int64_t id, const json_t *changes, cirs_err *e) {
  static const char *const cols[] = {"level", "title", "matters", "measures", "status", "lifted_ms", "lifted_by", "lift_reason", "updated_ms", NULL};
  if (set_columns(st, "warnings", id, changes, cols, "version = version + 1", e)) return -1;
  if (!jget_s(changes, "status") || strcmp(jget_s(changes, "status"), "lifted")) return 0;
  /* A lifted warning's measures are no longer due. */
  sqlite3_stmt *s;
  if (prep(st, "UPDATE obligations SET status = 'waived', waived_reason = ?2, waived_by = ?3 WHERE warning_id = ?1 AND status = 'pending'", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, id);
  bind_text(s, 2, "预警已解除 / warning lifted");
  bind_text(s, 3, jget_s(changes, "lifted_by"));
  return step_done(st, s, "obligations of the warning", e);
}

static int sq_warning_ack(store *st, int64_t warning_id, int64_t authority_id, int64_t organisation_id, const char *by, int64_t now, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT acked_ms FROM warning_recipients WHERE warning_id = ?1 AND coalesce(authority_id, 0) = ?2 AND coalesce(organisation_id, 0) = ?3",
           &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, warning_id);
  sqlite3_bind_int64(s, 2, authority_id);
  sqlite3_bind_int64(s, 3, organisation_id);
  json_t *row;
  if (one_row(st, s, "id", L("本单位不是该预警的接收方", "your authority or organisation is not a recipient of this warning"), &row, e)) return -1;
  int done = !json_is_null(json_object_get(row, "acked_ms"));
  json_decref(row);
  if (done) return err_set_msg(e, "conflict", "", L("已确认收到该预警", "the warning was acknowledged already"));
  if (prep(st, "UPDATE warning_recipients SET acked_ms = ?4, acked_by = ?5 WHERE warning_id = ?1 AND coalesce(authority_id, 0) = ?2"
               " AND coalesce(organisation_id, 0) = ?3",
           &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, warning_id);
  sqlite3_bind_int64(s, 2, authority_id);
  sqlite3_bind_int64(s, 3, organisation_id);
  sqlite3_bind_int64(s, 4, now);
  bind_text(s, 5, by);
  return step_done(st, s, "warning acknowledgement", e);
}

static int sq_response_insert(store *st, const json_t *r, int64_t *id, char ref[40], cirs_err *e) {
  int64_t now = jget_i(r, "now");
  ref_insert(st, "responses", "RESP", now, id, ref);
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO responses(id, ref, starter_id, scheme, level, title, decider, status, drill, warning_id, started_by, started_ms)"
               " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 'active', ?8, nullif(?9, 0), ?10, ?11)",
           &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, *id);
  bind_text(s, 2, ref);
  sqlite3_bind_int64(s, 3, jget_i(r, "starter_id"));
  bind_text(s, 4, jget_s(r, "scheme"));
  bind_text(s, 5, jget_s(r, "level"));
  bind_text(s, 6, jget_s(r, "title"));
  bind_json(s, 7, json_object_get(r, "decider"));
  sqlite3_bind_int(s, 8, json_is_true(json_object_get(r, "drill")));
  sqlite3_bind_int64(s, 9, jget_i(r, "warning_id"));
  bind_text(s, 10, jget_s(r, "started_by"));
  sqlite3_bind_int64(s, 11, now);
  if (step_done(st, s, "response", e)) return -1;
  size_t i;
  json_t *x;
  json_array_foreach(json_object_get(r, "incidents"), i, x) {
    if (prep(st, "INSERT OR IGNORE INTO response_incidents(response_id, incident_id) VALUES(?, ?)", &s, e)) return -1;
    sqlite3_bind_int64(s, 1, *id);
    sqlite3_bind_int64(s, 2, json_integer_value(x));
    if (step_done(st, s, "response incident", e)) return -1;
  }
  return 0;
}

static const char RESPONSE_COLS[] =
    "SELECT p.id, p.ref, a.code AS starter, a.type AS starter_type, p.starter_id, p.scheme, p.level, p.title, p.decider, p.status, p.drill,"
    " (SELECT ref FROM warnings WHERE id = p.warning_id) AS warning, p.started_by, p.started_ms, p.end_proposed_by, p.end_proposed_ms,"
    " p.ended_by, p.ended_ms, p.summary FROM responses p JOIN authorities a ON a.id = p.starter_id ";

static int sq_response_get(store *st, const char *key, json_t **out, cirs_err *e) {
  char sql[2048];
  snprintf(sql, sizeof sql, "%s WHERE p.ref = ?1 OR CAST(p.id AS TEXT) = ?1", RESPONSE_COLS);
  sqlite3_stmt *s;
  if (prep(st, sql, &s, e)) return -1;
  bind_text(s, 1, key);
  if (one_row(st, s, "id", key, out, e)) return -1;
  static const char *const parts[3][2] = {
      {"incidents", "SELECT i.id, i.ref, i.title, i.grade, i.organisation_id, i.drill FROM response_incidents x JOIN incidents i ON i.id = x.incident_id"
                    " WHERE x.response_id = ? ORDER BY i.id"},
      {"updates", "SELECT id, kind, text, at_ms, by_user FROM response_updates WHERE response_id = ? ORDER BY id"},
      {"investigation", "SELECT id, content, submitted_by, submitted_ms FROM investigations WHERE response_id = ?"}};
  for (int k = 0; k < 3; k++) {
    json_t *rows;
    if (prep(st, parts[k][1], &s, e) || (sqlite3_bind_int64(s, 1, jget_i(*out, "id")), rows_json(st, s, &rows, e))) {
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

static int sq_response_list(store *st, const store_em_q *q, json_t **out, cirs_err *e) {
  char sql[4096];
  snprintf(sql, sizeof sql,
           "%s WHERE p.id > ?5 AND (?4 IS NULL OR p.status = ?4) AND (?7 = 0 OR p.drill = ?7 - 1) AND (?1"
           " OR (?2 <> 0 AND (p.starter_id IN (" SUBTREE_SQL("?2") ") OR EXISTS (SELECT 1 FROM response_incidents x JOIN incident_routes r"
           "   ON r.incident_id = x.incident_id WHERE x.response_id = p.id AND r.authority_id IN (" SUBTREE_SQL("?2") "))))"
           " OR (?3 <> 0 AND EXISTS (SELECT 1 FROM response_incidents x JOIN incidents i ON i.id = x.incident_id"
           "   WHERE x.response_id = p.id AND i.organisation_id = ?3)))"
           " ORDER BY p.id LIMIT ?6",
           RESPONSE_COLS);
  sqlite3_stmt *s;
  if (prep(st, sql, &s, e)) return -1;
  bind_em(s, q);
  return rows_json(st, s, out, e);
}

static int sq_response_set(store *st, int64_t id, const json_t *changes, cirs_err *e) {
  static const char *const cols[] = {"status", "end_proposed_by", "end_proposed_ms", "ended_by", "ended_ms", "summary", NULL};
  return set_columns(st, "responses", id, changes, cols, "", e);
}

static int sq_response_update_add(store *st, int64_t response_id, const char *kind, const char *text, const char *by, int64_t now, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO response_updates(response_id, kind, text, at_ms, by_user) VALUES(?, ?, ?, ?, ?)", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, response_id);
  bind_text(s, 2, kind);
  bind_text(s, 3, text);
  sqlite3_bind_int64(s, 4, now);
  bind_text(s, 5, by);
  return step_done(st, s, "response update", e);
}

static int sq_authority_get(store *st, const char *code, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT a.id, a.code, a.type, a.name, a.name_en, a.province, a.city, a.sector, a.department, p.code AS parent FROM authorities a"
               " LEFT JOIN authorities p ON p.id = a.parent_id WHERE a.code = ?",
           &s, e))
    return -1;
  bind_text(s, 1, code);
  if (one_row(st, s, "authority", code, out, e)) return -1;
  json_t *rows;
  if (prep(st, "WITH RECURSIVE up(id) AS (SELECT parent_id FROM authorities WHERE code = ?1 UNION SELECT a.parent_id FROM authorities a JOIN up ON a.id = up.id)"
               " SELECT id FROM up WHERE id IS NOT NULL",
           &s, e) ||
      (bind_text(s, 1, code), rows_json(st, s, &rows, e))) {
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

static int sq_contacts_replace(store *st, int64_t authority_id, const json_t *rows, const char *by, int64_t now, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "DELETE FROM duty_contacts WHERE authority_id = ?", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, authority_id);
  if (step_done(st, s, "contacts", e)) return -1;
  size_t i;
  json_t *r;
  json_array_foreach((json_t *)rows, i, r) {
    if (prep(st, "INSERT INTO duty_contacts(authority_id, position, unit, duty_phone, contact, mobile, email, note, updated_by, updated_ms)"
                 " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
             &s, e))
      return -1;
    sqlite3_bind_int64(s, 1, authority_id);
    sqlite3_bind_int64(s, 2, (int64_t)i + 1);
    bind_text(s, 3, jget_s(r, "unit"));
    bind_text(s, 4, jget_s(r, "duty_phone"));
    bind_text(s, 5, jget_s(r, "contact"));
    bind_text(s, 6, jget_s(r, "mobile"));
    bind_text(s, 7, jget_s(r, "email"));
    bind_text(s, 8, jget_s(r, "note"));
    bind_text(s, 9, by);
    sqlite3_bind_int64(s, 10, now);
    if (step_done(st, s, "contact", e)) return -1;
  }
  return 0;
}

static int sq_contacts_list(store *st, int64_t authority_id, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT unit, duty_phone, contact, mobile, email, note, updated_by, updated_ms FROM duty_contacts WHERE authority_id = ? ORDER BY position",
           &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, authority_id);
  return rows_json(st, s, out, e);
}

static int sq_investigation_insert(store *st, int64_t response_id, const json_t *content, const char *by, int64_t now, int64_t *id, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO investigations(response_id, content, submitted_by, submitted_ms) VALUES(?, ?, ?, ?)", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, response_id);
  bind_json(s, 2, content);
  bind_text(s, 3, by);
  sqlite3_bind_int64(s, 4, now);
  if (step_done(st, s, "investigation", e)) return -1;
  *id = sqlite3_last_insert_rowid(DB(st));
  return 0;
}


/* --- mail intake (issue 7): the tables are sql/006_intake.sql ---------------------------------------------------- */

static int sq_mail_insert(store *st, const store_mail *m, int64_t *id, char ref[40], cirs_err *e) {
  int64_t n = next_id(st, "intake_mails");
  char t[TIME_STR_MAX];
  time_format(m->received_ms, 480, t);
  snprintf(ref, 40, "MAIL-%.4s-%06lld", t, (long long)n);
  sqlite3_stmt *s;
  if (prep(st,
           "INSERT INTO intake_mails(id, ref, message_id, received_ms, source, sender, sender_name, subject, size, sha256, charset, status, kind,"
           " organisation_id, incident_id, tip_id, result_ref, reason_code, reason, reply, raw, content_sha256)"
           " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,nullif(?,0),nullif(?,0),nullif(?,0),coalesce(?,?2),?,?,?,?,?)",
           &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, n);
  bind_text(s, 2, ref);
  bind_text(s, 3, m->message_id);
  sqlite3_bind_int64(s, 4, m->received_ms);
  bind_text(s, 5, m->source);
  bind_text(s, 6, m->sender);
  bind_text(s, 7, m->sender_name);
  bind_text(s, 8, m->subject);
  sqlite3_bind_int64(s, 9, m->size);
  bind_text(s, 10, m->sha256);
  bind_text(s, 11, m->charset);
  bind_text(s, 12, m->status);
  bind_text(s, 13, m->kind);
  sqlite3_bind_int64(s, 14, m->organisation_id);
  sqlite3_bind_int64(s, 15, m->incident_id);
  sqlite3_bind_int64(s, 16, m->tip_id);
  bind_text(s, 17, m->result_ref);
  bind_text(s, 18, m->reason_code);
  bind_text(s, 19, m->reason);
  bind_text(s, 20, m->reply);
  if (m->raw) sqlite3_bind_blob64(s, 21, m->raw, m->raw_len, SQLITE_TRANSIENT);
  else sqlite3_bind_null(s, 21);
  bind_text(s, 22, m->content_sha256);
  if (step_done(st, s, "intake_mails", e)) return -1;
  *id = n;
  return 0;
}

static int sq_mail_seen(store *st, const char *message_id, const char *sha256, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st,
           "SELECT id, ref, status, kind, result_ref, reason_code, content_sha256 FROM intake_mails"
           " WHERE message_id = ?1 AND (status = 'accepted' OR sha256 = ?2)"
           " ORDER BY status = 'accepted' DESC, id LIMIT 1",
           &s, e))
    return -1;
  bind_text(s, 1, message_id);
  bind_text(s, 2, sha256);
  return one_row(st, s, "message_id", message_id, out, e);
}

static int sq_mail_attachment_add(store *st, int64_t mail_id, const char *filename, const char *content_type, const void *data, size_t size,
                                  const char *sha256, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO intake_attachments(mail_id, filename, content_type, size, sha256, data) VALUES(?,?,?,?,?,?)", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, mail_id);
  bind_text(s, 2, filename);
  bind_text(s, 3, content_type);
  sqlite3_bind_int64(s, 4, (sqlite3_int64)size);
  bind_text(s, 5, sha256);
  sqlite3_bind_blob64(s, 6, size ? data : "", size, SQLITE_TRANSIENT);
  return step_done(st, s, "intake_attachments", e);
}

static int sq_mail_draft_add(store *st, const store_mail_draft *d, int64_t *id, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO intake_drafts(mail_id, organisation_id, sender, subject, text, parsed, created_ms) VALUES(?,nullif(?,0),?,?,?,?,?)", &s, e))
    return -1;
  sqlite3_bind_int64(s, 1, d->mail_id);
  sqlite3_bind_int64(s, 2, d->organisation_id);
  bind_text(s, 3, d->sender);
  bind_text(s, 4, d->subject);
  bind_text(s, 5, d->text ? d->text : "");
  bind_json(s, 6, d->parsed);
  sqlite3_bind_int64(s, 7, d->created_ms);
  if (step_done(st, s, "intake_drafts", e)) return -1;
  *id = sqlite3_last_insert_rowid(DB(st));
  return 0;
}

static int sq_mail_draft_triage(store *st, int64_t draft_id, const char *by, const char *note, int64_t now, int64_t *mail_id, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT status, mail_id FROM intake_drafts WHERE id = ?", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, draft_id);
  json_t *row;
  char idtext[32];
  snprintf(idtext, sizeof idtext, "%lld", (long long)draft_id);
  if (one_row(st, s, "id", idtext, &row, e)) return -1;
  int open = !strcmp(json_string_value(json_object_get(row, "status")), "new");
  *mail_id = json_integer_value(json_object_get(row, "mail_id"));
  json_decref(row);
  if (!open) return err_set(e, "conflict", "id", idtext);
  if (prep(st, "UPDATE intake_drafts SET status = 'triaged', triaged_ms = ?, triaged_by = ?, note = ? WHERE id = ?", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, now);
  bind_text(s, 2, by);
  bind_text(s, 3, note);
  sqlite3_bind_int64(s, 4, draft_id);
  return step_done(st, s, "intake_drafts", e);
}

/* Distinct organisation codes of a query with one bound text; 1 (code written), 0 none, 2 several, -1 error. */
static int sender_codes(store *st, const char *sql, const char *arg, char *code, cirs_err *e) {
  sqlite3_stmt *s;
  json_t *rows;
  if (prep(st, sql, &s, e)) return -1;
  bind_text(s, 1, arg);
  if (rows_json(st, s, &rows, e)) return -1;
  size_t n = json_array_size(rows);
  if (n == 1) snprintf(code, MODEL_CODE_MAX, "%s", json_string_value(json_object_get(json_array_get(rows, 0), "code")));
  json_decref(rows);
  return n == 0 ? 0 : n == 1 ? 1 : 2;
}

static int sq_mail_sender_org(store *st, const char *address, char *code, cirs_err *e) {
  if (!address || !*address) return 0;
  int rc = sender_codes(st,
                        "SELECT o.code FROM org_senders s JOIN organisations o ON o.id = s.organisation_id WHERE s.address = ?1"
                        " UNION SELECT code FROM organisations WHERE lower(contact_email) = ?1"
                        " UNION SELECT o.code FROM users u JOIN organisations o ON o.id = u.organisation_id"
                        " WHERE lower(u.email) = ?1 AND u.disabled = 0 AND u.role IN ('operator_reporter','operator_admin')",
                        address, code, e);
  if (rc) return rc;
  const char *at = strrchr(address, '@');
  if (!at) return 0;
  return sender_codes(st, "SELECT o.code FROM org_senders s JOIN organisations o ON o.id = s.organisation_id WHERE s.address = ?1", at, code, e);
}

static int sq_mail_sender_add(store *st, const char *org_code, const char *address, int64_t now, cirs_err *e) {
  int64_t org = id_by_code(st, "organisations", org_code);
  if (!org) return err_set(e, "not_found", "org", org_code);
  sqlite3_stmt *s;
  if (prep(st, "INSERT INTO org_senders(address, organisation_id, created_ms) VALUES(?,?,?)", &s, e)) return -1;
  bind_text(s, 1, address);
  sqlite3_bind_int64(s, 2, org);
  sqlite3_bind_int64(s, 3, now);
  return step_done(st, s, "org_senders", e);
}

static int sq_mail_senders(store *st, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT s.address, o.code AS organisation, s.created_ms FROM org_senders s JOIN organisations o ON o.id = s.organisation_id ORDER BY s.address",
           &s, e))
    return -1;
  return rows_json(st, s, out, e);
}

#define MAIL_COLS                                                                                                                            \
  "m.id, m.ref, m.message_id, m.received_ms, m.source, m.sender, m.sender_name, m.subject, m.size, m.sha256, m.charset, m.status, m.kind,"   \
  " o.code AS organisation, m.incident_id, m.tip_id, m.result_ref, m.reason_code, m.reason, m.reply, length(m.raw) AS raw_size"

static int sq_mail_list(store *st, const char *what, int open_only, int64_t after, int limit, json_t **out, cirs_err *e) {
  const char *sql;
  if (!strcmp(what, "drafts"))
    sql = "SELECT d.id, d.mail_id, m.ref, d.status, o.code AS organisation, d.sender, d.subject, d.created_ms, d.triaged_ms, d.triaged_by, d.note,"
          " m.reason_code, m.reason, substr(d.text, 1, 200) AS excerpt FROM intake_drafts d JOIN intake_mails m ON m.id = d.mail_id"
          " LEFT JOIN organisations o ON o.id = d.organisation_id WHERE d.id > ?1 AND (?3 = 0 OR d.status = 'new') ORDER BY d.id LIMIT ?2";
  else if (!strcmp(what, "quarantined"))
    sql = "SELECT " MAIL_COLS " FROM intake_mails m LEFT JOIN organisations o ON o.id = m.organisation_id"
          " WHERE m.id > ?1 AND m.status = 'quarantined' AND ?3 >= 0 ORDER BY m.id LIMIT ?2";
  else
    sql = "SELECT " MAIL_COLS " FROM intake_mails m LEFT JOIN organisations o ON o.id = m.organisation_id WHERE m.id > ?1 AND ?3 >= 0 ORDER BY m.id LIMIT ?2";
  sqlite3_stmt *s;
  if (prep(st, sql, &s, e)) return -1;
  sqlite3_bind_int64(s, 1, after);
  sqlite3_bind_int(s, 2, limit);
  sqlite3_bind_int(s, 3, open_only);
  return rows_json(st, s, out, e);
}

static int sq_mail_get(store *st, const char *id_or_ref, json_t **out, cirs_err *e) {
  sqlite3_stmt *s;
  if (prep(st, "SELECT " MAIL_COLS " FROM intake_mails m LEFT JOIN organisations o ON o.id = m.organisation_id WHERE m.ref = ?1 OR m.id = ?1", &s, e))
    return -1;
  bind_text(s, 1, id_or_ref);
  json_t *m;
  if (one_row(st, s, "id", id_or_ref, &m, e)) return -1;
  int64_t id = json_integer_value(json_object_get(m, "id"));
  json_t *att = NULL, *drafts = NULL;
  if (prep(st, "SELECT id, filename, content_type, size, sha256 FROM intake_attachments WHERE mail_id = ? ORDER BY id", &s, e) ||
      (sqlite3_bind_int64(s, 1, id), rows_json(st, s, &att, e)) ||
      prep(st,
           "SELECT d.id, d.status, o.code AS organisation, d.text, d.parsed, d.created_ms, d.triaged_ms, d.triaged_by, d.note FROM intake_drafts d"
           " LEFT JOIN organisations o ON o.id = d.organisation_id WHERE d.mail_id = ?",
           &s, e) ||
      (sqlite3_bind_int64(s, 1, id), rows_json(st, s, &drafts, e))) {
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

static int sq_mail_raw(store *st, int64_t id, unsigned char **data, size_t *len, cirs_err *e) {
  *data = NULL;
  *len = 0;
  sqlite3_stmt *s;
  if (prep(st, "SELECT raw FROM intake_mails WHERE id = ?", &s, e)) return -1;
  sqlite3_bind_int64(s, 1, id);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_BLOB) {
    int n = sqlite3_column_bytes(s, 0);
    *data = malloc((size_t)n + 1);
    if (*data) {
      memcpy(*data, sqlite3_column_blob(s, 0), (size_t)n);
      *len = (size_t)n;
    }
  } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    db_err(st, e, "intake_mails");
    release(st, s);
    return -1;
  }
  release(st, s);
  return 0;
}

const store_driver store_sqlite_driver = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .defer_sync = sq_defer_sync,
    .schema_version = sq_schema_version,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .level = sq_level,
    .authority_insert = sq_authority_insert,
    .org_insert = sq_org_insert,
    .user_insert = sq_user_insert,
    .org_get = sq_org_get,
    .authority_match = sq_authority_match,
    .incident_insert = sq_incident_insert,
    .report_insert = sq_report_insert,
    .obligation_insert = sq_obligation_insert,
    .incident_list = sq_incident_list,
    .incident_get = sq_incident_get,
    .principal_by_username = sq_principal_by_username,
    .principal_by_session = sq_principal_by_session,
    .principal_by_token = sq_principal_by_token,
    .session_insert = sq_session_insert,
    .session_delete = sq_session_delete,
    .token_insert = sq_token_insert,
    .token_revoke = sq_token_revoke,
    .token_list = sq_token_list,
    .obligation_list = sq_obligation_list,
    .compliance = sq_compliance,
    .statistics = sq_statistics,
    .inbox = sq_inbox,
    .event_append = sq_event_append,
    .event_scan = sq_event_scan,
    .chain_anchor = sq_chain_anchor,
    .purge = sq_purge,
    .route_add = sq_route_add,
    .routed_to = sq_routed_to,
    .search_set = sq_search_set,
    .search_catchup = sq_search_catchup,
    .deadlines = sq_deadlines,
    .deadlines_after = sq_deadlines_after,
    .obligation_get = sq_obligation_get,
    .reminder_mark = sq_reminder_mark,
    .obligation_waive = sq_obligation_waive,
    .recipients = sq_recipients,
    .notification_add = sq_notification_add,
    .notification_list = sq_notification_list,
    .notification_read = sq_notification_read,
    .outbox_add = sq_outbox_add,
    .outbox_due = sq_outbox_due,
    .outbox_attempt = sq_outbox_attempt,
    .outbox_list = sq_outbox_list,
    .outbox_attempts = sq_outbox_attempts,
    .webhook_add = sq_webhook_add,
    .webhook_list = sq_webhook_list,
    .webhook_disable = sq_webhook_disable,
    .incident_authorities = sq_incident_authorities,
    .id_of = sq_id_of,
    .receipt_insert = sq_receipt_insert,
    .receipt_get = sq_receipt_get,
    .obligation_update = sq_obligation_update,
    .incident_update = sq_incident_update,
    .tip_insert = sq_tip_insert,
    .tip_list = sq_tip_list,
    .idem_get = sq_idem_get,
    .idem_put = sq_idem_put,
    .access_log = sq_access_log,
    .access_list = sq_access_list,
    .incident_events = sq_incident_events,
    .cleanup = sq_cleanup,
    .obligation_counts = sq_obligation_counts,
    .mail_insert = sq_mail_insert,
    .mail_seen = sq_mail_seen,
    .mail_attachment_add = sq_mail_attachment_add,
    .mail_draft_add = sq_mail_draft_add,
    .mail_draft_triage = sq_mail_draft_triage,
    .mail_sender_org = sq_mail_sender_org,
    .mail_sender_add = sq_mail_sender_add,
    .mail_senders = sq_mail_senders,
    .mail_list = sq_mail_list,
    .mail_get = sq_mail_get,
    .mail_raw = sq_mail_raw,
    .warning_insert = sq_warning_insert,
    .warning_recipients_fill = sq_warning_recipients_fill,
    .warning_get = sq_warning_get,
    .warning_list = sq_warning_list,
    .warning_set = sq_warning_set,
    .warning_ack = sq_warning_ack,
    .response_insert = sq_response_insert,
    .response_get = sq_response_get,
    .response_list = sq_response_list,
    .response_set = sq_response_set,
    .response_update_add = sq_response_update_add,
    .investigation_insert = sq_investigation_insert,
    .authority_get = sq_authority_get,
    .contacts_replace = sq_contacts_replace,
    .contacts_list = sq_contacts_list,
};
