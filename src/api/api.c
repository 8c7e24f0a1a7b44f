/* api.c — see api.h. Every route is a row of `routes`: method, path pattern, who may call it, handler, and
 * its description — the OpenAPI document is generated from the same table. Errors leave through api_error,
 * the one place that maps error codes to HTTP statuses and {"error":{code,message,field}}. */
#include "api.h"
#include "../common/jdump.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../auth/auth.h"
#include "../common/embedded.h"
#include "../common/timeutil.h"
#include "../model/commands.h"
#include "../model/compliance.h"
#include "../audit/chain.h"
#include "../store/store.h"
#include "../store/writer.h"
#include "../notify/notify.h"
#include "../notify/deliver.h"
#include "../clock/lease.h"
#include "../clock/sched.h"
#include "../pdf/pdf.h"
#include "../export/export.h"
#include "../web/web.h"
#include "guard.h"

#define MAX_CONNS 256
#define QUERY_ENUM_MAX 20     /* status, grade (UTF-8: 特别重大 is 12 bytes) */
#define QUERY_CATEGORY_MAX 16 /* a GB/T 20986 code */
#define QUERY_Q_MAX 200       /* full-text query, bytes */
#define QUERY_TIME_MAX 40     /* RFC 3339 */
#define JSON_DEPTH_MAX 16     /* nesting of request bodies */
#define JSON_ARRAY_MAX 1000   /* elements of any array in a body */
#define JSON_NODES_MAX 20000  /* values in one body */
#define IDEM_KEY_MAX 128
#define IDEM_KEEP_MS (24LL * 3600 * 1000) /* retries within a day get the first answer */
#define CLEANUP_EVERY_MS (10LL * 60 * 1000)
#define ACCESS_FLUSH_MS 1000  /* access-log entries wait at most this long in memory ... */
#define ACCESS_FLUSH_N 500    /* ... or until this many are queued */
#define WEBHOOK_URL_MAX 500   /* bytes of a webhook address */
#define WAIVE_REASON_MAX 2000 /* bytes of a waiver's reason */
#define SEARCH_INDEX_MS 100   /* the search queue moves into the full-text index this often ... */
#define SEARCH_INDEX_N 400    /* ... at most this many texts at a time (small steps keep the tail latency low) */

/* --- per-thread store connections ---------------------------------------------------------------------------- */

static _Thread_local store *tl_store;
static store *all_stores[MAX_CONNS];
static int nstores;
static pthread_mutex_t stores_lock = PTHREAD_MUTEX_INITIALIZER;

static store *thread_store(const api_ctx *ctx, cirs_err *e) {
  if (tl_store) return tl_store;
  if (store_open(ctx->db_path, 0, &tl_store, e)) return NULL;
  pthread_mutex_lock(&stores_lock);
  if (nstores < MAX_CONNS) all_stores[nstores++] = tl_store;
  pthread_mutex_unlock(&stores_lock);
  return tl_store;
}

/* --- responses ------------------------------------------------------------------------------------------------ */

static int status_of(const char *code) {
  static const struct {
    const char *code;
    int status;
  } map[] = {{"unauthenticated", 401}, {"forbidden", 403}, {"not_found", 404}, {"conflict", 409}, {"too_large", 413},
             {"unsupported_media_type", 415}, {"rate_limited", 429}, {"unavailable", 503},
             {"method_not_allowed", 405}, {"idempotency_mismatch", 422}, {"db_error", 500}, {"internal", 500}, {"io_error", 500}, {"rules_invalid", 500}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (!strcmp(map[i].code, code)) return map[i].status;
  return 400;
}

static int api_error(http_response *rs, const cirs_err *e) {
  rs->status = status_of(e->code);
  if (rs->status == 503) rs->retry_after = 5;
  json_decref(rs->json);
  rs->json = json_pack("{s:{s:s, s:s, s:s}}", "error", "code", e->code, "message", e->msg, "field", e->field);
  return -1;
}

static int fail(http_response *rs, const char *code, const char *field, const char *zh, const char *en) {
  cirs_err e;
  err_set_msg(&e, code, field, L(zh, en));
  return api_error(rs, &e);
}

static int ok(http_response *rs, int status, json_t *body) {
  rs->status = status;
  rs->json = body;
  return 0;
}

/* --- callers -------------------------------------------------------------------------------------------------- */

typedef struct caller {
  json_t *p;          /* principal, or NULL when anonymous */
  int via_cookie;     /* authenticated by session cookie (CSRF applies) */
  char token_hash[AUTH_TOKEN_HEX];
} caller;

static const char *pstr(const caller *c, const char *k) { return json_string_value(json_object_get(c->p, k)); }
static int64_t pint(const caller *c, const char *k) { return json_integer_value(json_object_get(c->p, k)); }

/* Resolves the caller from a Bearer token or the session cookie. 0 = anonymous or known, -1 = error set. */
static int authenticate(store *st, const http_request *rq, caller *c, cirs_err *e) {
  memset(c, 0, sizeof *c);
  const char *authz = http_header(rq, "Authorization");
  const char *cookie = http_cookie(rq, "cirs_session");
  if (authz) {
    if (strncmp(authz, "Bearer ", 7) || strlen(authz + 7) > 200)
      return err_set_msg(e, "unauthenticated", "Authorization", L("应为 Bearer 令牌", "a Bearer token is expected"));
    auth_token_hash(authz + 7, c->token_hash);
    if (store_principal_by_token(st, c->token_hash, &c->p, e))
      return err_set_msg(e, "unauthenticated", "Authorization", L("令牌无效或已吊销", "token invalid or revoked"));
  } else if (cookie) {
    if (strlen(cookie) > 200) return err_set_msg(e, "unauthenticated", "cirs_session", L("会话无效", "invalid session"));
    auth_token_hash(cookie, c->token_hash);
    if (store_principal_by_session(st, c->token_hash, time_now_ms(), &c->p, e))
      return err_set_msg(e, "unauthenticated", "cirs_session", L("会话无效或已过期，请重新登录", "session invalid or expired; log in again"));
    c->via_cookie = 1;
  }
  if (c->p && json_integer_value(json_object_get(c->p, "disabled"))) {
    json_decref(c->p);
    c->p = NULL;
    return err_set_msg(e, "unauthenticated", "", L("账号已停用", "account disabled"));
  }
  return 0;
}

/* What the caller may see. Operators: their organisation. Authority staff: their authority's subtree.
 * National emergency office: everything. Others (auditor, system admin): no incidents. */
static store_scope scope_of(const caller *c) {
  store_scope s = {0};
  const char *role = pstr(c, "role");
  if (!strcmp(role, "operator_reporter") || !strcmp(role, "operator_admin")) s.organisation_id = pint(c, "organisation_id");
  else if (!strcmp(role, "national_emergency_office")) s.all = 1;
  else if (!strcmp(role, "authority_officer") || !strcmp(role, "authority_admin") || !strcmp(role, "duty_officer")) s.authority_id = pint(c, "authority_id");
  return s;
}

/* --- request helpers ------------------------------------------------------------------------------------------ */

/* Checks the shape limits of a parsed body: nesting, array sizes, number of values. Returns NULL when within
 * them, else which limit, with the path of the offending value in `where`. */
static const char *json_limits(const json_t *j, int depth, size_t *nodes, char *where, size_t n) {
  if (++*nodes > JSON_NODES_MAX) return "20000 values";
  if (depth > JSON_DEPTH_MAX) return "nesting 16";
  size_t len = strlen(where), i;
  const char *k, *bad = NULL;
  json_t *v;
  if (json_is_array(j)) {
    if (json_array_size(j) > JSON_ARRAY_MAX) return "1000 elements";
    json_array_foreach(j, i, v) {
      snprintf(where + len, n - len, "[%zu]", i);
      if ((bad = json_limits(v, depth + 1, nodes, where, n))) return bad;
    }
  } else if (json_is_object(j)) {
    json_object_foreach((json_t *)j, k, v) {
      snprintf(where + len, n - len, "%s%.60s", len ? "." : "", k);
      if ((bad = json_limits(v, depth + 1, nodes, where, n))) return bad;
    }
  }
  where[len] = 0;
  return NULL;
}

/* Parses a JSON object body; checks the content type. NULL with the response set on failure. */
static json_t *body_object(const http_request *rq, http_response *rs) {
  const char *ct = http_header(rq, "Content-Type");
  if (!ct || strncmp(ct, "application/json", 16) || (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
    fail(rs, "unsupported_media_type", "Content-Type", "请求体必须是 application/json", "the body must be application/json");
    return NULL;
  }
  json_error_t je;
  json_t *j = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je);
  if (!j) {
    cirs_err e;
    char m[300];
    snprintf(m, sizeof m, L("第 %d 行第 %d 列：%s", "line %d column %d: %s"), je.line, je.column, je.text);
    err_set(&e, "invalid_json", "", m);
    /* Name the member whose value failed to parse: the last `"key":` before the error position. */
    for (size_t p = (size_t)je.position < rq->body_len ? (size_t)je.position : rq->body_len; p > 1; p--)
      if (rq->body[p - 1] == ':') {
        size_t end = p - 1;
        while (end > 0 && (rq->body[end - 1] == ' ' || rq->body[end - 1] == '\t' || rq->body[end - 1] == '\n' || rq->body[end - 1] == '\r')) end--;
        if (end == 0 || rq->body[end - 1] != '"') break;
        size_t start = end - 1;
        while (start > 0 && rq->body[start - 1] != '"') start--;
        if (start > 0 && end - 1 - start < sizeof e.field) snprintf(e.field, sizeof e.field, "%.*s", (int)(end - 1 - start), rq->body + start);
        break;
      }
    api_error(rs, &e);
    return NULL;
  }
  if (!json_is_object(j)) {
    json_decref(j);
    fail(rs, "wrong_type", "", "请求体应为 JSON 对象", "the body must be a JSON object");
    return NULL;
  }
  size_t nodes = 0;
  char where[ERR_FIELD_MAX] = "";
  const char *what = json_limits(j, 0, &nodes, where, sizeof where);
  if (what) {
    json_decref(j);
    cirs_err e;
    err_set(&e, "too_large", where, what);
    api_error(rs, &e);
    return NULL;
  }
  return j;
}

/* Optional bounded string query parameter: 0 ok (*out NULL when absent), -1 with the response set. */
static int query_str(const http_request *rq, http_response *rs, const char *name, size_t max, const char **out) {
  *out = http_query(rq, name);
  if (*out && (strlen(*out) == 0 || strlen(*out) > max)) {
    char f[64];
    snprintf(f, sizeof f, "%s", name);
    fail(rs, "bad_value", f, "查询参数长度无效", "query parameter has an invalid length");
    return -1;
  }
  return 0;
}

static int query_int(const http_request *rq, http_response *rs, const char *name, long long lo, long long hi, long long dflt, long long *out) {
  const char *v = http_query(rq, name);
  *out = dflt;
  if (!v) return 0;
  char *end;
  long long n = strtoll(v, &end, 10);
  if (!*v || *end || n < lo || n > hi) {
    cirs_err e;
    char m[120];
    snprintf(m, sizeof m, L("%s 应为 %lld 到 %lld 的整数", "%s must be an integer from %lld to %lld"), name, lo, hi);
    err_set_msg(&e, "bad_value", name, m);
    api_error(rs, &e);
    return -1;
  }
  *out = n;
  return 0;
}

/* --- handlers ------------------------------------------------------------------------------------------------- */

typedef struct hctx {
  const api_ctx *ctx;
  store *st;          /* the worker's reading connection; for write routes, the writer's connection */
  caller *c;
  const http_request *rq;
  http_response *rs;
  const char *param;  /* the {id} of the path, if any */
  json_t *body;       /* parsed body of routes that take one (borrowed) */
  void *plan;         /* what a write route's prep (on the worker) hands to its handler (on the writer) */
  void (*plan_free)(void *plan);
} hctx;

static int h_healthz(hctx *h) {
  return ok(h->rs, 200, json_pack("{s:s, s:s, s:i}", "status", "ok", "db", store_backend(h->st), "schema", store_schema_version(h->st)));
}

static int h_openapi(hctx *h) { return ok(h->rs, 200, api_openapi()); }

static int user_event(store *st, const char *actor, const char *type, int64_t user_id, json_t *payload, cirs_err *e) {
  return model_event_add(st, actor, type, "user", user_id, payload, e);
}

/* Login's writes run on the writer; the password check (argon2id, tens of ms) stays on the worker. */
typedef struct login_job {
  const char *user, *req_id, *addr;
  int64_t uid;
  int good;
  char hash[AUTH_TOKEN_HEX], csrf[AUTH_TOKEN_HEX];
} login_job;

static int login_write(store *st, void *arg, cirs_err *e) {
  login_job *j = arg;
  if (!j->good)
    return user_event(st, j->user, "user.login_failed", j->uid, json_pack("{s:s, s:s, s:s}", "username", j->user, "req_id", j->req_id, "addr", j->addr), e);
  return store_session_insert(st, j->hash, j->uid, j->csrf, time_now_ms() + API_SESSION_TTL_MS, e) ||
                 user_event(st, j->user, "user.login", j->uid, json_pack("{s:s, s:s, s:s}", "method", "password", "req_id", j->req_id, "addr", j->addr), e)
             ? -1
             : 0;
}

static limiter *login_limiter, *tip_limiter;

static int h_login(hctx *h) {
  json_t *b = h->body;
  const char *user = json_string_value(json_object_get(b, "username")), *pw = json_string_value(json_object_get(b, "password"));
  const char *k;
  json_t *v;
  json_object_foreach(b, k, v) if (strcmp(k, "username") && strcmp(k, "password")) {
    cirs_err e;
    err_set(&e, "unknown_field", k, k);
    return api_error(h->rs, &e);
  }
  static const char *const fields[] = {"username", "password"};
  for (int i = 0; i < 2; i++) {
    json_t *x = json_object_get(b, fields[i]);
    if (x && !json_is_string(x)) return fail(h->rs, "wrong_type", fields[i], "应为字符串", "string expected");
  }
  if (!user || !*user) return fail(h->rs, "missing_field", "username", "需要用户名", "username required");
  if (strlen(user) > MODEL_CODE_MAX) return fail(h->rs, "too_large", "username", "用户名过长", "username too long");
  if (!pw || !*pw) return fail(h->rs, "missing_field", "password", "需要密码", "password required");
  if (strlen(pw) > AUTH_PASSWORD_MAX) return fail(h->rs, "too_large", "password", "密码过长", "password too long");
  char key[160];
  snprintf(key, sizeof key, "%s|%s", h->rq->addr, user);
  int wait = limiter_blocked(login_limiter, key, time_now_ms());
  if (wait) {
    h->rs->retry_after = wait;
    return fail(h->rs, "rate_limited", "username", "登录失败次数过多，请稍后再试", "too many failed logins; try again later");
  }
  json_t *p = NULL;
  cirs_err e = {0};
  int found = store_principal_by_username(h->st, user, &p, &e) == 0;
  login_job j = {user, h->rq->req_id, h->rq->addr, found ? json_integer_value(json_object_get(p, "id")) : 0, 0, "", ""};
  j.good = auth_password_verify(found ? json_string_value(json_object_get(p, "password_hash")) : NULL, pw) && found &&
           !json_integer_value(json_object_get(p, "disabled"));
  char token[AUTH_TOKEN_HEX];
  if (j.good) {
    auth_random_hex(token, 32);
    auth_random_hex(j.csrf, 32);
    auth_token_hash(token, j.hash);
  }
  int rc = writer_run(login_write, &j, &e);
  if (!j.good) {
    /* Same answer whether the name exists or not; the failure is recorded and counted against the address. */
    limiter_hit(login_limiter, key, time_now_ms());
    json_decref(p);
    return fail(h->rs, "unauthenticated", "password", "用户名或密码错误", "wrong username or password");
  }
  if (rc) {
    json_decref(p);
    return api_error(h->rs, &e);
  }
  snprintf(h->rs->cookie, sizeof h->rs->cookie, "cirs_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld", token, API_SESSION_TTL_MS / 1000);
  json_object_del(p, "password_hash");
  json_object_del(p, "disabled");
  snprintf(h->rs->user, sizeof h->rs->user, "%s", user);
  ok(h->rs, 201, json_pack("{s:O, s:s}", "user", p, "csrf_token", j.csrf));
  json_decref(p);
  return 0;
}

static int h_whoami(hctx *h) {
  json_t *u = json_deep_copy(h->c->p);
  json_t *csrf = json_incref(json_object_get(u, "csrf"));
  json_object_del(u, "csrf");
  json_object_del(u, "disabled");
  return ok(h->rs, 200, json_pack("{s:o, s:o?}", "user", u, "csrf_token", csrf));
}

static int h_logout(hctx *h) {
  cirs_err e = {0};
  if (!h->c->via_cookie) return fail(h->rs, "bad_value", "cirs_session", "没有可注销的浏览器会话", "no browser session to end");
  if (store_session_delete(h->st, h->c->token_hash, &e) ||
      user_event(h->st, pstr(h->c, "username"), "user.logout", pint(h->c, "id"), json_pack("{s:s}", "req_id", h->rq->req_id), &e))
    return api_error(h->rs, &e);
  snprintf(h->rs->cookie, sizeof h->rs->cookie, "cirs_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  h->rs->status = 204;
  return 0;
}

static int h_assess(hctx *h) {
  json_t *out = NULL;
  cirs_err e = {0};
  rules_opts o = {RULES_NO_TIME};
  const char *org = pstr(h->c, "organisation");
  if (org && !json_object_get(h->body, "operator")) {
    /* An operator's preview (the web wizard): the profile of its own organisation, as filing will use. */
    json_t *p = NULL;
    if (store_org_get(h->st, org, &p, &e)) return api_error(h->rs, &e);
    json_object_set_new(h->body, "operator", json_pack("{s:O, s:O?, s:O?, s:O?, s:O}", "kind", json_object_get(p, "kinds"), "province", json_object_get(p, "province"),
                                                       "sector", json_object_get(p, "sector"), "department", json_object_get(p, "department"), "regimes",
                                                       json_object_get(p, "regimes")));
    json_decref(p);
  }
  return rules_assess(h->ctx->rules, h->body, &o, &out, &e) ? api_error(h->rs, &e) : ok(h->rs, 200, out);
}

static int is_role(const caller *c, const char *role) { return c->p && !strcmp(pstr(c, "role"), role); }

/* Initial report. Operators file for their own organisation; a duty officer enters a phone/fax/in-person report
 * on an operator's behalf (its `organisation` and `channel` are then required, and the operator must be within
 * the officer's jurisdiction). */
/* POST /incidents runs in two steps: the worker checks, reads and grades (incident_prep, on its own
 * connection); the writer only stores (h_incident_create). */
typedef struct create_plan {
  model_submit *submit;
  int duty;
  const char *channel;
} create_plan;

static void create_plan_free(void *p) {
  create_plan *c = p;
  model_submit_free(c->submit);
  free(c);
}

static int incident_prep(hctx *h) {
  json_t *doc = h->body;
  cirs_err e = {0};
  /* The channel recorded with the report: the web form (a browser session) or the API (a token). */
  const char *org = pstr(h->c, "organisation"), *channel = h->c->via_cookie ? "web" : "api";
  int duty = is_role(h->c, "duty_officer");
  json_t *copy = NULL;
  if (duty) {
    static const char *const channels[] = {"phone", "fax", "in_person", "email", NULL};
    org = json_string_value(json_object_get(doc, "organisation"));
    channel = json_string_value(json_object_get(doc, "channel"));
    if (!org || !*org || strlen(org) > MODEL_CODE_MAX)
      return fail(h->rs, "missing_field", "organisation", "代为录入须注明报告单位（运营者代码）", "entry on an operator's behalf needs its organisation code");
    if (!channel) return fail(h->rs, "missing_field", "channel", "代为录入须注明报告方式（phone、fax、in_person 或 email）", "entry on an operator's behalf needs its channel (phone, fax, in_person or email)");
    int okc = 0;
    for (const char *const *c = channels; *c; c++)
      if (!strcmp(*c, channel)) {
        okc = 1;
        channel = *c; /* static: outlives the body */
      }
    if (!okc) return fail(h->rs, "bad_value", "channel", "channel 应为 phone、fax、in_person 或 email", "channel must be phone, fax, in_person or email");
  } else if (json_object_get(doc, "organisation") || json_object_get(doc, "channel")) {
    return fail(h->rs, "unknown_field", json_object_get(doc, "organisation") ? "organisation" : "channel", "只有值班员代为录入时可指定",
                "only a duty officer entering a report on an operator's behalf sets this");
  }
  if (duty) {
    /* The officer enters reports only for operators within the jurisdiction of the officer's authority. */
    json_t *o = NULL;
    const char *ap = pstr(h->c, "authority_province"), *as = pstr(h->c, "authority_sector");
    if (store_org_get(h->st, org, &o, &e))
      return strcmp(e.code, "not_found") ? api_error(h->rs, &e) : fail(h->rs, "not_found", "organisation", "没有这个运营者", "no such operator");
    const char *op = json_string_value(json_object_get(o, "province")), *os = json_string_value(json_object_get(o, "sector"));
    int inside = (!ap || (op && !strcmp(ap, op))) && (!as || (os && !strcmp(as, os)));
    json_decref(o);
    if (!inside) return fail(h->rs, "forbidden", "organisation", "该运营者不在本机关管辖范围内", "this operator is outside your authority's jurisdiction");
    copy = json_deep_copy(doc);
    json_object_del(copy, "organisation");
    json_object_del(copy, "channel");
    doc = copy;
  }
  create_plan *cp = calloc(1, sizeof *cp);
  cp->duty = duty;
  cp->channel = channel;
  int rc = model_report_prepare(h->st, h->ctx->rules, org, doc, pstr(h->c, "username"), channel, &cp->submit, &e);
  json_decref(copy);
  if (rc) {
    free(cp);
    return api_error(h->rs, &e);
  }
  h->plan = cp;
  h->plan_free = create_plan_free;
  return 0;
}

static int h_incident_create(hctx *h) {
  create_plan *cp = h->plan;
  json_t *out = NULL;
  cirs_err e = {0};
  if (model_report_apply(h->st, cp->submit, &out, &e)) return api_error(h->rs, &e);
  if (cp->duty) {
    /* The report reached CIRS through this authority's duty desk: it may see what it entered. */
    if (store_route_add(h->st, json_integer_value(json_object_get(out, "id")), pstr(h->c, "authority"), "report", 0, time_now_ms(), &e)) {
      json_decref(out);
      return api_error(h->rs, &e);
    }
    json_object_set_new(out, "entered_by", json_string(pstr(h->c, "username")));
    json_object_set_new(out, "channel", json_string(cp->channel));
  }
  return ok(h->rs, 201, out);
}

static int query_time(const http_request *rq, http_response *rs, const char *name, int64_t *out) {
  const char *v;
  *out = 0;
  if (query_str(rq, rs, name, QUERY_TIME_MAX, &v)) return -1;
  if (v && time_parse_rfc3339(v, out, NULL)) {
    cirs_err e;
    err_set(&e, "bad_time", name, v);
    return api_error(rs, &e);
  }
  return 0;
}

static int query_bool(const http_request *rq, http_response *rs, const char *name, int *out) {
  const char *v = http_query(rq, name);
  *out = 0;
  if (!v) return 0;
  if (!strcmp(v, "true") || !strcmp(v, "1")) *out = 1;
  else if (strcmp(v, "false") && strcmp(v, "0")) {
    char f[64];
    snprintf(f, sizeof f, "%s", name);
    return fail(rs, "bad_value", f, "应为 true 或 false", "true or false expected");
  }
  return 0;
}

static int query_drill(const http_request *rq, http_response *rs, int *out) {
  const char *v = http_query(rq, "drill");
  *out = 0;
  if (!v || !strcmp(v, "any")) return 0;
  if (!strcmp(v, "false") || !strcmp(v, "real")) *out = 1;
  else if (!strcmp(v, "true") || !strcmp(v, "only")) *out = 2;
  else return fail(rs, "bad_value", "drill", "drill 应为 any、real 或 only", "drill must be any, real or only");
  return 0;
}

/* The page and its cursor: next_after is the last id when the page is full. */
static int page(http_response *rs, json_t *rows, long long limit) {
  json_t *last = json_array_get(rows, json_array_size(rows) - 1);
  return ok(rs, 200, json_pack("{s:o, s:O?}", "items", rows, "next_after", json_array_size(rows) == (size_t)limit ? json_object_get(last, "id") : NULL));
}

static int h_incident_list(hctx *h) {
  long long limit, after;
  store_filter f = {.scope = scope_of(h->c), .now_ms = time_now_ms()};
  if (query_int(h->rq, h->rs, "limit", 1, API_PAGE_MAX, API_PAGE_DEFAULT, &limit) || query_int(h->rq, h->rs, "after", 0, INT64_MAX, 0, &after) ||
      query_str(h->rq, h->rs, "status", QUERY_ENUM_MAX, &f.status) || query_str(h->rq, h->rs, "grade", QUERY_ENUM_MAX, &f.grade) ||
      query_str(h->rq, h->rs, "category", QUERY_CATEGORY_MAX, &f.category) || query_str(h->rq, h->rs, "q", QUERY_Q_MAX, &f.q) ||
      query_str(h->rq, h->rs, "province", 6, &f.province) || query_time(h->rq, h->rs, "from", &f.from_ms) ||
      query_time(h->rq, h->rs, "to", &f.to_ms) || query_bool(h->rq, h->rs, "overdue", &f.overdue_only) || query_drill(h->rq, h->rs, &f.drill))
    return -1;
  static const char *const statuses[] = {"open", "handling_ended", "closed", NULL};
  int okst = !f.status;
  for (const char *const *s = statuses; f.status && *s; s++) okst |= !strcmp(*s, f.status);
  if (!okst) return fail(h->rs, "bad_value", "status", "status 应为 open、handling_ended 或 closed", "status must be open, handling_ended or closed");
  if (f.province && (strlen(f.province) != 6 || strspn(f.province, "0123456789") != 6))
    return fail(h->rs, "bad_value", "province", "province 应为 6 位行政区划代码", "province must be a 6-digit division code");
  f.after_id = after;
  f.limit = (int)limit;
  json_t *rows;
  cirs_err e = {0};
  if (store_incident_list(h->st, &f, &rows, &e)) return api_error(h->rs, &e);
  return page(h->rs, rows, limit);
}

/* --- the access log of authority reads, written in batches by the writer's tick --- */

static pthread_mutex_t access_mu = PTHREAD_MUTEX_INITIALIZER;
static json_t *access_queue;
static int64_t access_oldest_ms;

static void access_note(const hctx *h, int64_t incident_id, const char *what) {
  const char *role = pstr(h->c, "role");
  if (strncmp(role, "authority_", 10) && strcmp(role, "duty_officer") && strcmp(role, "national_emergency_office")) return;
  json_t *x = json_pack("{s:I, s:I, s:s, s:I, s:I, s:s, s:s}", "at_ms", (json_int_t)time_now_ms(), "user_id", (json_int_t)pint(h->c, "id"), "username",
                        pstr(h->c, "username"), "authority_id", (json_int_t)pint(h->c, "authority_id"), "incident_id", (json_int_t)incident_id, "what", what,
                        "req_id", h->rq->req_id);
  pthread_mutex_lock(&access_mu);
  if (!access_queue) access_queue = json_array();
  if (!json_array_size(access_queue)) access_oldest_ms = time_now_ms();
  json_array_append_new(access_queue, x);
  pthread_mutex_unlock(&access_mu);
}

static void api_tick(store *st, int64_t now, int final) {
  static int64_t last_cleanup;
  json_t *batch = NULL;
  pthread_mutex_lock(&access_mu);
  size_t n = json_array_size(access_queue);
  if (n && (final || n >= ACCESS_FLUSH_N || now - access_oldest_ms >= ACCESS_FLUSH_MS)) {
    batch = access_queue;
    access_queue = NULL;
  }
  pthread_mutex_unlock(&access_mu);
  cirs_err e = {0};
  if (batch && store_access_log(st, batch, &e)) http_log("error", "msg=\"access log not written\" entries=%zu err=\"%s\"", json_array_size(batch), e.msg);
  json_decref(batch);
  /* The full-text index follows the search queue in bulk (searches read the queue meanwhile). */
  static int64_t last_index;
  if (final || now - last_index >= SEARCH_INDEX_MS) {
    int done = 0;
    do {
      if (store_search_catchup(st, SEARCH_INDEX_N, &done, &e)) {
        http_log("error", "msg=\"search index not updated\" err=\"%s\"", e.msg);
        break;
      }
    } while (final && done == SEARCH_INDEX_N);
    last_index = now;
  }
  if (now - last_cleanup >= CLEANUP_EVERY_MS) {
    json_t *counts = NULL;
    if (!store_cleanup(st, now, now - IDEM_KEEP_MS, &counts, &e))
      http_log("info", "msg=cleanup expired_sessions=%lld idempotency=%lld", (long long)json_integer_value(json_object_get(counts, "sessions")),
               (long long)json_integer_value(json_object_get(counts, "idempotency")));
    json_decref(counts);
    last_cleanup = now;
  }
}

/* The incident of the path, if the caller may see it (else the 404 an unknown id gets). */
static int visible_incident(hctx *h, json_t **inc) {
  store_scope sc = scope_of(h->c);
  cirs_err e = {0};
  if (strlen(h->param) > 40 || store_incident_get(h->st, h->param, &sc, inc, &e)) {
    if (strlen(h->param) > 40 || !strcmp(e.code, "not_found")) return fail(h->rs, "not_found", "id", "事件不存在", "no such incident");
    return api_error(h->rs, &e);
  }
  return 0;
}

static int64_t inc_id(const json_t *inc) { return json_integer_value(json_object_get(inc, "id")); }

static int h_incident_get(hctx *h) {
  json_t *inc;
  if (visible_incident(h, &inc)) return -1;
  access_note(h, inc_id(inc), "incident");
  return ok(h->rs, 200, inc);
}

/* The official PDF of an incident (src/pdf/): ?form=report (the report form, default) | final (the final report). */
static int h_incident_pdf(hctx *h) {
  const char *fs;
  if (query_str(h->rq, h->rs, "form", 8, &fs)) return -1;
  int form = pdf_form_parse(fs);
  if (form < 0) return fail(h->rs, "bad_value", "form", "form 应为 report 或 final", "form must be report or final");
  json_t *inc, *events = NULL;
  if (visible_incident(h, &inc)) return -1;
  cirs_err e = {0};
  pdf_doc doc = {0};
  pdf_meta m = {time_now_ms(), pstr(h->c, "username")};
  int rc = form == PDF_FORM_FINAL ? store_incident_events(h->st, inc_id(inc), &events, &e) : 0;
  if (!rc) rc = pdf_render((pdf_form)form, inc, events, &m, &doc, &e);
  json_decref(events);
  if (rc) {
    json_decref(inc);
    return api_error(h->rs, &e);
  }
  access_note(h, inc_id(inc), "pdf");
  char name[120];
  pdf_file_name(inc, (pdf_form)form, name, sizeof name);
  json_decref(inc);
  snprintf(h->rs->disposition, sizeof h->rs->disposition, "attachment; filename=\"%s\"", name);
  h->rs->status = 200;
  h->rs->raw = (const char *)doc.data;
  h->rs->raw_len = doc.len;
  h->rs->raw_owned = 1;
  h->rs->content_type = "application/pdf";
  return 0;
}

static int h_history(hctx *h) {
  json_t *inc, *events;
  if (visible_incident(h, &inc)) return -1;
  cirs_err e = {0};
  if (store_incident_events(h->st, inc_id(inc), &events, &e)) {
    json_decref(inc);
    return api_error(h->rs, &e);
  }
  access_note(h, inc_id(inc), "history");
  json_t *versions = json_array(), *reports = json_object_get(inc, "reports"), *prev = NULL, *r;
  size_t i;
  json_array_foreach(reports, i, r) {
    json_t *grade = json_object_get(json_object_get(json_object_get(r, "assessment"), "result"), "grade");
    json_t *v = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O?}", "version", json_object_get(r, "version"), "kind", json_object_get(r, "kind"), "submitted_ms",
                          json_object_get(r, "submitted_ms"), "submitted_by", json_object_get(r, "submitted_by"), "channel", json_object_get(r, "channel"),
                          "grade", grade);
    json_object_set_new(v, "changes", prev ? model_version_diff(json_object_get(prev, "content"), json_object_get(r, "content")) : json_array());
    json_array_append_new(versions, v);
    prev = r;
  }
  json_t *out = json_pack("{s:O, s:O, s:o, s:o}", "id", json_object_get(inc, "id"), "ref", json_object_get(inc, "ref"), "events", events, "versions", versions);
  json_decref(inc);
  return ok(h->rs, 200, out);
}

static int h_report_followup(hctx *h) {
  json_t *inc, *out;
  if (visible_incident(h, &inc)) return -1;
  cirs_err e = {0};
  int rc = model_report_followup(h->st, h->ctx->rules, inc_id(inc), h->body, pstr(h->c, "username"), h->c->via_cookie ? "web" : "api",
                                 &out, &e);
  json_decref(inc);
  return rc ? api_error(h->rs, &e) : ok(h->rs, 201, out);
}

/* Receipt and escalation act for the caller's authority, which must be one the incident was routed to. */
static int authority_action(hctx *h, int escalate) {
  json_t *inc, *out;
  if (visible_incident(h, &inc)) return -1;
  const char *k;
  json_t *v;
  json_object_foreach(h->body, k, v) {
    if (strcmp(k, "note")) {
      json_decref(inc);
      cirs_err e;
      err_set(&e, "unknown_field", k, k);
      return api_error(h->rs, &e);
    }
    if (!json_is_string(v)) {
      json_decref(inc);
      return fail(h->rs, "wrong_type", "note", "应为字符串", "string expected");
    }
  }
  int64_t id = inc_id(inc), aid = pint(h->c, "authority_id");
  json_decref(inc);
  if (!store_routed_to(h->st, id, aid))
    return fail(h->rs, "forbidden", "", "该事件未报送至本机关，只有接收机关可以登记接收或上报",
                "this incident was not sent to your authority; only a receiving authority records receipt or escalates");
  cirs_err e = {0};
  const char *note = json_string_value(json_object_get(h->body, "note"));
  int rc = escalate ? model_escalate(h->st, id, aid, pstr(h->c, "authority"), pint(h->c, "id"), pstr(h->c, "username"), note, &out, &e)
                    : model_receipt(h->st, id, aid, pstr(h->c, "authority"), pint(h->c, "id"), pstr(h->c, "username"), "officer", note, &out, &e);
  return rc ? api_error(h->rs, &e) : ok(h->rs, 201, out);
}

static int h_receipt(hctx *h) { return authority_action(h, 0); }

/* 通报: the caller's authority tells other departments; meets its notify obligations. */
static int h_notice(hctx *h) {
  json_t *inc, *out;
  if (visible_incident(h, &inc)) return -1;
  int64_t id = inc_id(inc), aid = pint(h->c, "authority_id");
  json_decref(inc);
  if (!store_routed_to(h->st, id, aid))
    return fail(h->rs, "forbidden", "", "该事件未报送至本机关，只有接收机关可以通报", "this incident was not sent to your authority; only a receiving authority sends notices");
  cirs_err e = {0};
  return model_notice(h->st, id, aid, pstr(h->c, "authority"), pint(h->c, "id"), pstr(h->c, "username"), h->body, &out, &e) ? api_error(h->rs, &e)
                                                                                                                          : ok(h->rs, 201, out);
}
static int h_escalate(hctx *h) { return authority_action(h, 1); }

static int h_obligation_list(hctx *h) {
  long long limit, after, within;
  store_filter f = {.scope = scope_of(h->c), .now_ms = time_now_ms()};
  if (query_int(h->rq, h->rs, "limit", 1, API_PAGE_MAX, API_PAGE_DEFAULT, &limit) || query_int(h->rq, h->rs, "after", 0, INT64_MAX, 0, &after) ||
      query_str(h->rq, h->rs, "status", QUERY_ENUM_MAX, &f.status) || query_bool(h->rq, h->rs, "overdue", &f.overdue_only) ||
      query_int(h->rq, h->rs, "due_within_min", 1, 60LL * 24 * 366, 0, &within) || query_drill(h->rq, h->rs, &f.drill))
    return -1;
  static const char *const statuses[] = {"pending", "met", "late", "overdue", "waived", NULL};
  int okst = !f.status;
  for (const char *const *s = statuses; f.status && *s; s++) okst |= !strcmp(*s, f.status);
  if (!okst) return fail(h->rs, "bad_value", "status", "status 应为 pending、met、late、overdue 或 waived", "status must be pending, met, late, overdue or waived");
  if (within) f.to_ms = f.now_ms + within * 60000;
  f.after_id = after;
  f.limit = (int)limit;
  json_t *rows;
  cirs_err e = {0};
  if (store_obligation_list(h->st, &f, &rows, &e)) return api_error(h->rs, &e);
  return page(h->rs, rows, limit);
}

/* Anonymous tips: limited per address; the stored address is a keyed hash, not the address. */
static unsigned char addr_key[32];
static pthread_once_t addr_key_once = PTHREAD_ONCE_INIT;
static void make_addr_key(void) { auth_random_hex((char *)addr_key, 15); }

static int h_tip(hctx *h) {
  int wait = limiter_hit(tip_limiter, h->rq->addr, time_now_ms());
  if (wait) {
    h->rs->retry_after = wait;
    return fail(h->rs, "rate_limited", "", "提交过于频繁，请稍后再试", "too many tips from your address; try again later");
  }
  pthread_once(&addr_key_once, make_addr_key);
  char material[200], hash[AUDIT_HASH_HEX];
  snprintf(material, sizeof material, "%s|%s", (const char *)addr_key, h->rq->addr);
  audit_sha256_hex(material, strlen(material), hash);
  json_t *out;
  cirs_err e = {0};
  return model_tip_submit(h->st, h->body, hash, &out, &e) ? api_error(h->rs, &e) : ok(h->rs, 201, out);
}

static int h_tip_list(hctx *h) {
  long long limit, after;
  if (query_int(h->rq, h->rs, "limit", 1, API_PAGE_MAX, API_PAGE_DEFAULT, &limit) || query_int(h->rq, h->rs, "after", 0, INT64_MAX, 0, &after)) return -1;
  json_t *rows;
  cirs_err e = {0};
  if (store_tip_list(h->st, after, (int)limit, &rows, &e)) return api_error(h->rs, &e);
  return page(h->rs, rows, limit);
}

static int h_access_log(hctx *h) {
  long long limit, after, incident;
  if (query_int(h->rq, h->rs, "limit", 1, API_PAGE_MAX, API_PAGE_DEFAULT, &limit) || query_int(h->rq, h->rs, "after", 0, INT64_MAX, 0, &after) ||
      query_int(h->rq, h->rs, "incident", 0, INT64_MAX, 0, &incident))
    return -1;
  json_t *rows;
  cirs_err e = {0};
  if (store_access_list(h->st, incident, after, (int)limit, &rows, &e)) return api_error(h->rs, &e);
  return page(h->rs, rows, limit);
}

/* --- clocks and notifications (issue 4) ------------------------------------------------------------------ */

static int h_notification_list(hctx *h) {
  long long limit, after;
  const char *unread;
  if (query_int(h->rq, h->rs, "limit", 1, API_PAGE_MAX, API_PAGE_DEFAULT, &limit) || query_int(h->rq, h->rs, "after", 0, INT64_MAX, 0, &after) ||
      query_str(h->rq, h->rs, "unread", QUERY_ENUM_MAX, &unread))
    return -1;
  int u = unread && (!strcmp(unread, "1") || !strcmp(unread, "true"));
  if (unread && !u && strcmp(unread, "0") && strcmp(unread, "false"))
    return fail(h->rs, "bad_value", "unread", "unread 应为 true 或 false", "unread must be true or false");
  json_t *rows;
  cirs_err e = {0};
  if (store_notification_list(h->st, pint(h->c, "id"), u, after, (int)limit, &rows, &e)) return api_error(h->rs, &e);
  return page(h->rs, rows, limit);
}

static int param_id(hctx *h, int64_t *id) {
  char *end;
  long long v = strtoll(h->param, &end, 10);
  if (!*h->param || *end || v <= 0 || strlen(h->param) > 19) return fail(h->rs, "not_found", "id", "不存在", "no such object");
  *id = v;
  return 0;
}

static int h_notification_read(hctx *h) {
  int64_t id;
  cirs_err e = {0};
  if (param_id(h, &id)) return -1;
  if (store_notification_read(h->st, pint(h->c, "id"), id, time_now_ms(), &e)) return api_error(h->rs, &e);
  return ok(h->rs, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "read", 1));
}

/* Waiving: an authority admin or the national emergency office, for an obligation of an incident it may see. */
static int h_waive(hctx *h) {
  int64_t id;
  cirs_err e = {0};
  if (param_id(h, &id)) return -1;
  json_t *reason = json_object_get(h->body, "reason");
  const char *k;
  json_t *v;
  json_object_foreach(h->body, k, v) if (strcmp(k, "reason")) return fail(h->rs, "unknown_field", k, k, k);
  if (!json_is_string(reason) || json_string_length(reason) < 2)
    return fail(h->rs, "missing_field", "reason", "免除须写明理由", "a waiver needs its reason");
  if (json_string_length(reason) > WAIVE_REASON_MAX) return fail(h->rs, "too_large", "reason", "理由过长（至多 2000 字节）", "reason too long (at most 2000 bytes)");
  json_t *ob, *inc;
  if (store_obligation_get(h->st, id, &ob, &e)) return api_error(h->rs, &e);
  store_scope sc = scope_of(h->c);
  char iid[24];
  snprintf(iid, sizeof iid, "%lld", (long long)json_integer_value(json_object_get(ob, "incident_id")));
  if (store_incident_get(h->st, iid, &sc, &inc, &e)) {
    json_decref(ob);
    return fail(h->rs, "not_found", "id", "没有这项义务", "no such obligation");
  }
  json_decref(inc);
  const char *by = pstr(h->c, "username");
  int rc = store_obligation_waive(h->st, id, json_string_value(reason), by, &e) ||
           model_event_add(h->st, by, "obligation.waived", "obligation", id,
                           json_pack("{s:O, s:O, s:O, s:s}", "incident_id", json_object_get(ob, "incident_id"), "kind", json_object_get(ob, "kind"),
                                     "reason", reason, "by", by),
                           &e);
  if (!rc) {
    json_t *vars = json_pack("{s:O, s:O, s:O, s:s, s:b, s:O, s:O, s:s}", "ref", json_object_get(ob, "ref"), "title", json_object_get(ob, "title"),
                             "grade", json_object_get(ob, "grade"), "grade_en", model_grade_en(json_string_value(json_object_get(ob, "grade"))), "drill",
                             json_integer_value(json_object_get(ob, "drill")) == 1, "kind", json_object_get(ob, "kind"), "reason", reason, "by", by);
    notify_target t = {0, 0};
    if (!strcmp(json_string_value(json_object_get(ob, "from_party")), "operator")) t.organisation_id = json_integer_value(json_object_get(ob, "organisation_id"));
    else t.authority_id = json_integer_value(json_object_get(ob, "from_authority_id"));
    rc = notify_send(h->st, model_last_event_id(), "obligation.waived", json_integer_value(json_object_get(ob, "incident_id")), &t,
                     t.organisation_id || t.authority_id ? 1 : 0, vars, &e);
    json_decref(vars);
  }
  json_decref(ob);
  if (rc) return api_error(h->rs, &e);
  if (store_obligation_get(h->st, id, &ob, &e)) return api_error(h->rs, &e);
  return ok(h->rs, 200, ob);
}

static int see_all(const caller *c) {
  const char *r = pstr(c, "role");
  return !strcmp(r, "national_emergency_office") || !strcmp(r, "system_admin") || !strcmp(r, "auditor");
}

static int h_outbox_list(hctx *h) {
  long long limit, after, incident;
  store_outbox_q q = {.all = see_all(h->c), .authority_id = pint(h->c, "authority_id"), .organisation_id = pint(h->c, "organisation_id")};
  if (query_int(h->rq, h->rs, "limit", 1, API_PAGE_MAX, API_PAGE_DEFAULT, &limit) || query_int(h->rq, h->rs, "after", 0, INT64_MAX, 0, &after) ||
      query_int(h->rq, h->rs, "incident", 0, INT64_MAX, 0, &incident) || query_str(h->rq, h->rs, "status", QUERY_ENUM_MAX, &q.status))
    return -1;
  if (q.status && strcmp(q.status, "pending") && strcmp(q.status, "delivered") && strcmp(q.status, "dead"))
    return fail(h->rs, "bad_value", "status", "status 应为 pending、delivered 或 dead", "status must be pending, delivered or dead");
  q.after = after;
  q.incident_id = incident;
  q.limit = (int)limit;
  json_t *rows;
  cirs_err e = {0};
  if (store_outbox_list(h->st, &q, &rows, &e)) return api_error(h->rs, &e);
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r) {
    json_t *att;
    if (!store_outbox_attempts(h->st, json_integer_value(json_object_get(r, "id")), &att, &e)) json_object_set_new(r, "attempt_log", att);
  }
  return page(h->rs, rows, limit);
}

/* Webhooks belong to the caller's authority (authority admin) or organisation (operator admin). */
static int h_webhook_add(hctx *h) {
  const char *k;
  json_t *v;
  json_object_foreach(h->body, k, v) if (strcmp(k, "url") && strcmp(k, "confirms_receipt")) return fail(h->rs, "unknown_field", k, k, k);
  const char *url = json_string_value(json_object_get(h->body, "url"));
  json_t *cr = json_object_get(h->body, "confirms_receipt");
  if (cr && !json_is_boolean(cr)) return fail(h->rs, "wrong_type", "confirms_receipt", "应为 true 或 false", "true or false expected");
  int confirms = json_is_true(cr);
  if (!url) return fail(h->rs, "missing_field", "url", "需要 url", "url is required");
  if (strlen(url) > WEBHOOK_URL_MAX || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) || strpbrk(url, " \r\n\t"))
    return fail(h->rs, "bad_value", "url", "url 应为 http:// 或 https:// 地址（至多 500 字节）", "url must be an http:// or https:// address (at most 500 bytes)");
  unsigned char raw[24];
  char secret[49];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2hex(secret, sizeof secret, raw, sizeof raw);
  int64_t id;
  cirs_err e = {0};
  int64_t aid = pint(h->c, "authority_id"), oid = aid ? 0 : pint(h->c, "organisation_id");
  if (!aid && !oid) return fail(h->rs, "forbidden", "", "只有机关或运营者的管理员可登记回调地址", "only an authority's or operator's admin registers webhooks");
  if (confirms && !aid)
    return fail(h->rs, "bad_value", "confirms_receipt", "只有机关的回调地址可以确认接收", "only an authority's webhook confirms receipt");
  if (store_webhook_add(h->st, aid, oid, url, secret, confirms, pstr(h->c, "username"), time_now_ms(), &id, &e) ||
      model_event_add(h->st, pstr(h->c, "username"), "webhook.created", "webhook", id, json_pack("{s:s, s:b}", "url", url, "confirms_receipt", confirms), &e))
    return api_error(h->rs, &e);
  return ok(h->rs, 201, json_pack("{s:I, s:s, s:s, s:b, s:s?, s:s?}", "id", (json_int_t)id, "url", url, "secret", secret, "confirms_receipt", confirms,
                                  "authority", pstr(h->c, "authority"), "organisation", aid ? NULL : pstr(h->c, "organisation")));
}

static int h_webhook_list(hctx *h) {
  json_t *rows;
  cirs_err e = {0};
  if (store_webhook_list(h->st, pint(h->c, "authority_id"), pint(h->c, "organisation_id"), see_all(h->c), &rows, &e)) return api_error(h->rs, &e);
  return ok(h->rs, 200, json_pack("{s:o, s:n}", "items", rows, "next_after"));
}

static int h_webhook_delete(hctx *h) {
  int64_t id;
  cirs_err e = {0};
  if (param_id(h, &id)) return -1;
  if (store_webhook_disable(h->st, id, pint(h->c, "authority_id"), pint(h->c, "organisation_id"), !strcmp(pstr(h->c, "role"), "system_admin"), &e) ||
      model_event_add(h->st, pstr(h->c, "username"), "webhook.disabled", "webhook", id, json_object(), &e))
    return api_error(h->rs, &e);
  return ok(h->rs, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "active", 0));
}

/* --- warnings and emergency responses (issue 5) --------------------------------------------------------------- */

/* Who the caller is for warnings and responses: everything (national office, auditor, system admin), its authority
 * (issued or started by its subtree, addressed to it, covering incidents routed to it) or its organisation. */
static store_em_q em_q(const caller *c) {
  store_em_q q = {0};
  if (see_all(c)) q.all = 1;
  else if (pint(c, "authority_id")) q.authority_id = pint(c, "authority_id");
  else q.organisation_id = pint(c, "organisation_id");
  return q;
}

static int em_list(hctx *h, int responses) {
  long long limit, after;
  store_em_q q = em_q(h->c);
  if (query_int(h->rq, h->rs, "limit", 1, API_PAGE_MAX, API_PAGE_DEFAULT, &limit) || query_int(h->rq, h->rs, "after", 0, INT64_MAX, 0, &after) ||
      query_str(h->rq, h->rs, "status", QUERY_ENUM_MAX, &q.status) || query_drill(h->rq, h->rs, &q.drill))
    return -1;
  static const char *const ws[] = {"active", "lifted", NULL}, *const rs_[] = {"active", "end_proposed", "ended", NULL};
  int okst = !q.status;
  for (const char *const *s = responses ? rs_ : ws; q.status && *s; s++) okst |= !strcmp(*s, q.status);
  if (!okst)
    return responses ? fail(h->rs, "bad_value", "status", "status 应为 active、end_proposed 或 ended", "status must be active, end_proposed or ended")
                     : fail(h->rs, "bad_value", "status", "status 应为 active 或 lifted", "status must be active or lifted");
  q.after = after;
  q.limit = (int)limit;
  json_t *rows;
  cirs_err e = {0};
  if ((responses ? store_response_list : store_warning_list)(h->st, &q, &rows, &e)) return api_error(h->rs, &e);
  return page(h->rs, rows, limit);
}

static int h_warning_list(hctx *h) { return em_list(h, 0); }
static int h_response_list(hctx *h) { return em_list(h, 1); }

/* One warning the caller may see (404 otherwise); a recipient sees only its own entry of the recipient list. */
static int visible_warning(hctx *h, json_t **w) {
  cirs_err e = {0};
  *w = NULL;
  if (strlen(h->param) > 40 || store_warning_get(h->st, h->param, w, &e)) {
    if (strlen(h->param) > 40 || !strcmp(e.code, "not_found")) return fail(h->rs, "not_found", "id", "预警不存在", "no such warning");
    return api_error(h->rs, &e);
  }
  if (see_all(h->c)) return 0;
  int64_t aid = pint(h->c, "authority_id"), oid = aid ? 0 : pint(h->c, "organisation_id");
  json_t *auth = NULL, *mine = json_array(), *r;
  int manage = 0, addressed = 0;
  if (aid && !store_authority_get(h->st, pstr(h->c, "authority"), &auth, &e)) {
    json_t *issuer = NULL;
    manage = json_integer_value(json_object_get(*w, "issuer_id")) == aid;
    if (!manage && !store_authority_get(h->st, json_string_value(json_object_get(*w, "issuer")), &issuer, &e)) {
      size_t i;
      json_t *x;
      json_array_foreach(json_object_get(issuer, "ancestors"), i, x) manage |= json_integer_value(x) == aid;
    }
    json_decref(issuer);
  }
  json_decref(auth);
  size_t i;
  json_array_foreach(json_object_get(*w, "recipients"), i, r) if ((aid && json_integer_value(json_object_get(r, "authority_id")) == aid) ||
                                                                  (oid && json_integer_value(json_object_get(r, "organisation_id")) == oid)) {
    addressed = 1;
    json_array_append(mine, r);
  }
  if (!manage && !addressed) {
    json_decref(mine);
    json_decref(*w);
    *w = NULL;
    return fail(h->rs, "not_found", "id", "预警不存在", "no such warning");
  }
  if (!manage) json_object_set_new(*w, "recipients", mine);
  else json_decref(mine);
  return 0;
}

static int h_warning_get(hctx *h) {
  json_t *w;
  return visible_warning(h, &w) ? -1 : ok(h->rs, 200, w);
}

static int h_warning_issue(hctx *h) {
  json_t *out;
  cirs_err e = {0};
  return model_warning_issue(h->st, h->ctx->rules, h->c->p, h->body, &out, &e) ? api_error(h->rs, &e) : ok(h->rs, 201, out);
}

static int warning_action(hctx *h, int what) {
  json_t *w, *out;
  if (visible_warning(h, &w)) return -1;
  int64_t id = json_integer_value(json_object_get(w, "id"));
  json_decref(w);
  cirs_err e = {0};
  int rc = what == 2 ? model_warning_ack(h->st, h->c->p, id, h->body, &out, &e)
                     : model_warning_change(h->st, h->ctx->rules, h->c->p, id, h->body, what == 1, &out, &e);
  if (rc) return api_error(h->rs, &e);
  if (what == 2) { /* a recipient gets back its own view */
    json_decref(out);
    if (visible_warning(h, &out)) return -1;
    return ok(h->rs, 201, out);
  }
  return ok(h->rs, 200, out);
}
static int h_warning_update(hctx *h) { return warning_action(h, 0); }
static int h_warning_lift(hctx *h) { return warning_action(h, 1); }
static int h_warning_ack(hctx *h) { return warning_action(h, 2); }

/* Responses: visible when listed for the caller (em_q), checked by fetching the one row through the list query. */
static int visible_response(hctx *h, json_t **r) {
  cirs_err e = {0};
  *r = NULL;
  if (strlen(h->param) > 40 || store_response_get(h->st, h->param, r, &e)) {
    if (strlen(h->param) > 40 || !strcmp(e.code, "not_found")) return fail(h->rs, "not_found", "id", "应急响应不存在", "no such response");
    return api_error(h->rs, &e);
  }
  store_em_q q = em_q(h->c);
  q.after = json_integer_value(json_object_get(*r, "id")) - 1;
  q.limit = 1;
  json_t *rows = NULL;
  int seen = !store_response_list(h->st, &q, &rows, &e) && json_array_size(rows) &&
             json_integer_value(json_object_get(json_array_get(rows, 0), "id")) == json_integer_value(json_object_get(*r, "id"));
  json_decref(rows);
  if (!seen) {
    json_decref(*r);
    *r = NULL;
    return fail(h->rs, "not_found", "id", "应急响应不存在", "no such response");
  }
  return 0;
}

/* A response shows its starter's duty contacts while it runs (联络表, shown during active responses). */
static int h_response_get(hctx *h) {
  json_t *r, *auth = NULL, *contacts = NULL;
  if (visible_response(h, &r)) return -1;
  cirs_err e = {0};
  if (strcmp(json_string_value(json_object_get(r, "status")), "ended") &&
      !store_authority_get(h->st, json_string_value(json_object_get(r, "starter")), &auth, &e) &&
      !store_contacts_list(h->st, json_integer_value(json_object_get(auth, "id")), &contacts, &e))
    json_object_set_new(r, "contacts", contacts);
  json_decref(auth);
  return ok(h->rs, 200, r);
}

/* Duty contacts of an authority (?authority=CODE, default the caller's): its staff, the authorities above it, the
 * national office, auditors and system admins read; its admins (and system admins) replace the list. */
static int contacts_target(hctx *h, const char *code, json_t **auth, int write) {
  cirs_err e = {0};
  if (!code) code = pstr(h->c, "authority");
  if (!code) return fail(h->rs, "missing_field", "authority", "需要 authority", "authority is required");
  if (strlen(code) >= MODEL_CODE_MAX || store_authority_get(h->st, code, auth, &e))
    return fail(h->rs, "not_found", "authority", "机构不存在", "no such authority");
  int64_t me = pint(h->c, "authority_id");
  const char *role = pstr(h->c, "role");
  int above = 0;
  size_t i;
  json_t *x;
  json_array_foreach(json_object_get(*auth, "ancestors"), i, x) above |= me && json_integer_value(x) == me;
  int own = me && me == json_integer_value(json_object_get(*auth, "id"));
  int allowed = write ? (!strcmp(role, "system_admin") || (own && !strcmp(role, "authority_admin"))) : (own || above || see_all(h->c));
  if (!allowed) {
    json_decref(*auth);
    *auth = NULL;
    return write ? fail(h->rs, "forbidden", "authority", "只有本机关管理员可以修改联络表", "only the authority's admin changes its contact list")
                 : fail(h->rs, "not_found", "authority", "机构不存在", "no such authority");
  }
  return 0;
}

static int h_contacts_get(hctx *h) {
  const char *code, *format;
  json_t *auth, *rows;
  if (query_str(h->rq, h->rs, "authority", MODEL_CODE_MAX, &code) || query_str(h->rq, h->rs, "format", QUERY_ENUM_MAX, &format)) return -1;
  if (format && strcmp(format, "json") && strcmp(format, "csv")) return fail(h->rs, "bad_value", "format", "format 应为 json 或 csv", "format must be json or csv");
  if (contacts_target(h, code, &auth, 0)) return -1;
  cirs_err e = {0};
  int rc = store_contacts_list(h->st, json_integer_value(json_object_get(auth, "id")), &rows, &e);
  char name[MODEL_CODE_MAX + 32];
  snprintf(name, sizeof name, "contacts-%s.csv", json_string_value(json_object_get(auth, "code")));
  json_t *out = rc ? NULL : json_pack("{s:O, s:o}", "authority", json_object_get(auth, "code"), "items", rows);
  json_decref(auth);
  if (rc) return api_error(h->rs, &e);
  if (!format || !strcmp(format, "json")) return ok(h->rs, 200, out);
  size_t len = 0;
  char *csv = export_contacts_csv(json_object_get(out, "items"), &len);
  json_decref(out);
  if (!csv) return fail(h->rs, "internal", "", "内存不足", "out of memory");
  snprintf(h->rs->disposition, sizeof h->rs->disposition, "attachment; filename=\"%s\"", name);
  h->rs->status = 200;
  h->rs->raw = csv;
  h->rs->raw_len = len;
  h->rs->raw_owned = 1;
  h->rs->content_type = "text/csv; charset=utf-8";
  return 0;
}

static int h_contacts_set(hctx *h) {
  const char *k;
  json_t *v, *auth;
  json_object_foreach(h->body, k, v) if (strcmp(k, "authority") && strcmp(k, "contacts")) return fail(h->rs, "unknown_field", k, k, k);
  json_t *a = json_object_get(h->body, "authority"), *rows = json_object_get(h->body, "contacts");
  if (a && !json_is_string(a)) return fail(h->rs, "wrong_type", "authority", "应为字符串", "string expected");
  if (!rows) return fail(h->rs, "missing_field", "contacts", "需要 contacts", "contacts is required");
  if (contacts_target(h, json_string_value(a), &auth, 1)) return -1;
  cirs_err e = {0};
  int rc = model_contacts_set(h->st, json_string_value(json_object_get(auth, "code")), rows, pstr(h->c, "username"), &e);
  json_t *out = rc ? NULL : json_pack("{s:O, s:O}", "authority", json_object_get(auth, "code"), "items", rows);
  json_decref(auth);
  return rc ? api_error(h->rs, &e) : ok(h->rs, 200, out);
}

/* model_response_start's check that an incident is the caller's to see. */
static int incident_visible_cb(void *ctx, const char *key, json_t **inc, cirs_err *e) {
  hctx *h = ctx;
  store_scope sc = scope_of(h->c);
  if (store_incident_get(h->st, key, &sc, inc, e)) {
    if (!strcmp(e->code, "not_found")) err_set_msg(e, "not_found", "incidents", L("事件不存在或不在本机关管辖范围内", "no such incident within your jurisdiction"));
    return -1;
  }
  return 0;
}

static int h_response_start(hctx *h) {
  json_t *out;
  cirs_err e = {0};
  return model_response_start(h->st, h->ctx->rules, h->c->p, incident_visible_cb, h, h->body, &out, &e) ? api_error(h->rs, &e) : ok(h->rs, 201, out);
}

static int response_action(hctx *h, int what) {
  json_t *r, *out;
  if (visible_response(h, &r)) return -1;
  int64_t id = json_integer_value(json_object_get(r, "id"));
  json_decref(r);
  cirs_err e = {0};
  int rc = what == 0   ? model_response_update(h->st, h->c->p, id, h->body, &out, &e)
           : what == 3 ? model_investigation_submit(h->st, h->c->p, id, h->body, &out, &e)
                       : model_response_end(h->st, h->ctx->rules, h->c->p, id, h->body, what == 2, &out, &e);
  return rc ? api_error(h->rs, &e) : ok(h->rs, what == 0 || what == 3 ? 201 : 200, out);
}
static int h_response_update(hctx *h) { return response_action(h, 0); }
static int h_response_end(hctx *h) { return response_action(h, 1); }
static int h_response_approve(hctx *h) { return response_action(h, 2); }
static int h_investigation(hctx *h) { return response_action(h, 3); }

/* The compliance ledger: an operator's own organisation; an authority's own obligations (and, with subtree, those
 * below it); the national emergency office, auditors and system admins any organisation or authority. */
static int h_compliance(hctx *h) {
  const char *org, *auth, *sub, *drills;
  long long from_ms = 0, to_ms = 0;
  if (query_str(h->rq, h->rs, "organisation", QUERY_ENUM_MAX, &org) || query_str(h->rq, h->rs, "authority", QUERY_ENUM_MAX, &auth) ||
      query_str(h->rq, h->rs, "subtree", QUERY_ENUM_MAX, &sub) || query_str(h->rq, h->rs, "drills", QUERY_ENUM_MAX, &drills))
    return -1;
  int64_t f, t;
  if (query_time(h->rq, h->rs, "from", &f) || query_time(h->rq, h->rs, "to", &t)) return -1;
  from_ms = f;
  to_ms = t;
  const char *role = pstr(h->c, "role");
  int operator = !strcmp(role, "operator_reporter") || !strcmp(role, "operator_admin");
  if (operator) {
    if (auth || (org && strcmp(org, pstr(h->c, "organisation")))) return fail(h->rs, "forbidden", org ? "organisation" : "authority", "运营者只能查看本单位的台账", "an operator sees its own ledger only");
    org = pstr(h->c, "organisation");
  } else if (!see_all(h->c)) {
    if (org) return fail(h->rs, "forbidden", "organisation", "请按本机关查询（authority）", "query your authority's ledger (authority)");
    if (auth && strcmp(auth, pstr(h->c, "authority"))) return fail(h->rs, "forbidden", "authority", "只能查看本机关的台账", "you may see your own authority's ledger only");
    auth = pstr(h->c, "authority");
  }
  if (!!org == !!auth) return fail(h->rs, "missing_field", "organisation", "需要 organisation 或 authority 之一", "give organisation or authority (one of them)");
  model_compliance_q q = {{org, auth, sub && (!strcmp(sub, "1") || !strcmp(sub, "true")), from_ms ? from_ms : MODEL_NO_TIME, to_ms ? to_ms : MODEL_NO_TIME,
                           drills && (!strcmp(drills, "1") || !strcmp(drills, "true"))},
                          time_now_ms()};
  json_t *out;
  cirs_err e = {0};
  if (model_compliance(h->st, &q, &out, &e)) return api_error(h->rs, &e);
  return ok(h->rs, 200, out);
}

/* Statistics for the web UI's charts: the incidents of GET /incidents' scope, by grade, category, province and month, the
 * obligations' on-time rates by kind and the time from awareness to the first report; drills only with drills=true. */
static json_t *stat_add(json_t *obj, const char *name) {
  json_t *a = json_object_get(obj, name);
  if (!a) json_object_set_new(obj, name, a = json_array());
  return a;
}

static int by_count_desc(const void *a, const void *b) {
  json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "count")), y = json_integer_value(json_object_get(*(json_t *const *)b, "count"));
  return x < y ? 1 : x > y ? -1 : 0;
}

static int by_key(const void *a, const void *b) {
  return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "key")), json_string_value(json_object_get(*(json_t *const *)b, "key")));
}

static void sort_rows(json_t *arr, int (*cmp)(const void *, const void *)) {
  size_t n = json_array_size(arr);
  if (n < 2) return;
  json_t **v = malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = json_incref(json_array_get(arr, i));
  qsort(v, n, sizeof *v, cmp);
  json_array_clear(arr);
  for (size_t i = 0; i < n; i++) json_array_append_new(arr, v[i]);
  free(v);
}

static int h_statistics(hctx *h) {
  int drills;
  store_filter f = {.scope = scope_of(h->c), .now_ms = time_now_ms()};
  if (query_time(h->rq, h->rs, "from", &f.from_ms) || query_time(h->rq, h->rs, "to", &f.to_ms) || query_bool(h->rq, h->rs, "drills", &drills)) return -1;
  f.drill = drills ? 0 : 1;
  json_t *rows;
  cirs_err e = {0};
  if (store_statistics(h->st, &f, &rows, &e)) return api_error(h->rs, &e);
  static const char *const buckets[] = {"<1h", "1-2h", "2-4h", "4-24h", ">24h"};
  json_t *out = json_pack("{s:i, s:b, s:o, s:o, s:[], s:[], s:[], s:[], s:{}, s:{s:i, s:n, s:[]}}", "total", 0, "drills_included", drills, "from",
                          f.from_ms ? json_string(http_query(h->rq, "from")) : json_null(), "to", f.to_ms ? json_string(http_query(h->rq, "to")) : json_null(),
                          "by_grade", "by_category", "by_province", "by_month", "obligations", "time_to_report", "count", 0, "mean_ms", "buckets");
  json_t *obls = json_object_get(out, "obligations"), *ttr = json_object_get(out, "time_to_report");
  json_t *bk = json_object_get(ttr, "buckets");
  for (size_t i = 0; i < sizeof buckets / sizeof buckets[0]; i++) json_array_append_new(bk, json_pack("{s:s, s:i}", "key", buckets[i], "count", 0));
  json_int_t ttr_n = 0;
  double ttr_sum = 0;
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r) {
    const char *dim = json_string_value(json_object_get(r, "dim")), *key = json_string_value(json_object_get(r, "key"));
    json_int_t n = json_integer_value(json_object_get(r, "n"));
    if (!dim || !key) continue;
    if (!strcmp(dim, "total")) json_object_set_new(out, "total", json_integer(n));
    else if (!strcmp(dim, "grade") || !strcmp(dim, "category") || !strcmp(dim, "province") || !strcmp(dim, "month")) {
      char name[24];
      snprintf(name, sizeof name, "by_%s", dim);
      json_array_append_new(stat_add(out, name), json_pack("{s:s, s:I}", "key", key, "count", n));
    } else if (!strncmp(dim, "obligation:", 11)) {
      json_t *k = json_object_get(obls, dim + 11);
      if (!k) json_object_set_new(obls, dim + 11, k = json_pack("{s:i, s:i, s:i, s:i, s:i}", "pending", 0, "met", 0, "late", 0, "overdue", 0, "waived", 0));
      json_object_set_new(k, key, json_integer(n));
    } else if (!strcmp(dim, "time_to_report")) {
      for (size_t b = 0; b < sizeof buckets / sizeof buckets[0]; b++)
        if (!strcmp(buckets[b], key)) json_object_set_new(json_array_get(bk, b), "count", json_integer(n));
      ttr_n += n;
      ttr_sum += json_number_value(json_object_get(r, "sum_ms"));
    }
  }
  json_decref(rows);
  const char *k;
  json_t *v;
  json_object_foreach(obls, k, v) {
    json_int_t met = json_integer_value(json_object_get(v, "met")), due = met + json_integer_value(json_object_get(v, "late")) + json_integer_value(json_object_get(v, "overdue"));
    json_object_set_new(v, "on_time_rate", due ? json_real((double)met / (double)due) : json_null());
  }
  json_object_set_new(ttr, "count", json_integer(ttr_n));
  if (ttr_n) json_object_set_new(ttr, "mean_ms", json_integer((json_int_t)(ttr_sum / (double)ttr_n)));
  static const char *const grades[] = {"特别重大", "重大", "较大", "一般"};
  json_t *bg = json_object_get(out, "by_grade"), *sorted = json_array();
  for (size_t g = 0; g < 4; g++)
    json_array_foreach(bg, i, r) if (!strcmp(json_string_value(json_object_get(r, "key")), grades[g])) json_array_append(sorted, r);
  json_object_set_new(out, "by_grade", sorted);
  sort_rows(json_object_get(out, "by_category"), by_count_desc);
  sort_rows(json_object_get(out, "by_province"), by_count_desc);
  sort_rows(json_object_get(out, "by_month"), by_key);
  return ok(h->rs, 200, out);
}

/* The inbox: what needs the caller now (store_inbox), sorted by time left. */
static int h_inbox(hctx *h) {
  long long limit;
  if (query_int(h->rq, h->rs, "limit", 1, API_PAGE_MAX, 100, &limit)) return -1;
  store_inbox_q q = {scope_of(h->c), pint(h->c, "authority_id"), time_now_ms(), (int)limit};
  json_t *rows;
  cirs_err e = {0};
  if (store_inbox(h->st, &q, &rows, &e)) return api_error(h->rs, &e);
  return ok(h->rs, 200, json_pack("{s:o, s:I}", "items", rows, "now_ms", (json_int_t)q.now_ms));
}

/* Exports (src/export/): the caller's incidents — the scope of GET /incidents — as CSV, JSON, STIX 2.1 or MISP, built in
 * memory up to EXPORT_HTTP_MAX_INCIDENTS / EXPORT_HTTP_MAX_BYTES (413 beyond: narrow the period, or `cirs export` streams). */
typedef struct export_buf {
  char *p;
  size_t len, cap;
} export_buf;

static int export_buf_write(void *ctx, const char *p, size_t n, cirs_err *e) {
  export_buf *b = ctx;
  if (b->len + n > EXPORT_HTTP_MAX_BYTES)
    return err_set_msg(e, "too_large", "", L("导出超过 32 MiB，请缩小范围（如 from/to），或使用命令行 cirs export", "the export exceeds 32 MiB; narrow it (from/to) or use cirs export"));
  if (b->len + n > b->cap) {
    size_t c = b->cap ? b->cap : 65536;
    while (c < b->len + n) c *= 2;
    char *q = realloc(b->p, c);
    if (!q) return err_set(e, "internal", "", "out of memory");
    b->p = q;
    b->cap = c;
  }
  memcpy(b->p + b->len, p, n);
  b->len += n;
  return 0;
}

static void export_seen(void *ctx, int64_t incident_id) { access_note(ctx, incident_id, "export"); }

static int h_export(hctx *h) {
  const char *format, *what, *one;
  export_q q = {.now_ms = time_now_ms(), .max_incidents = EXPORT_HTTP_MAX_INCIDENTS, .seen = export_seen, .cb_ctx = h};
  store_filter *f = &q.filter;
  f->scope = scope_of(h->c);
  f->now_ms = q.now_ms;
  if (query_str(h->rq, h->rs, "format", QUERY_ENUM_MAX, &format) || query_str(h->rq, h->rs, "what", QUERY_ENUM_MAX, &what) ||
      query_str(h->rq, h->rs, "ref", 40, &one) || query_str(h->rq, h->rs, "status", QUERY_ENUM_MAX, &f->status) ||
      query_str(h->rq, h->rs, "grade", QUERY_ENUM_MAX, &f->grade) || query_str(h->rq, h->rs, "category", QUERY_CATEGORY_MAX, &f->category) ||
      query_str(h->rq, h->rs, "q", QUERY_Q_MAX, &f->q) || query_str(h->rq, h->rs, "province", 6, &f->province) ||
      query_time(h->rq, h->rs, "from", &f->from_ms) || query_time(h->rq, h->rs, "to", &f->to_ms) || query_drill(h->rq, h->rs, &f->drill))
    return -1;
  static const char *const statuses[] = {"open", "handling_ended", "closed", NULL};
  int okst = !f->status;
  for (const char *const *s = statuses; f->status && *s; s++) okst |= !strcmp(*s, f->status);
  if (!okst) return fail(h->rs, "bad_value", "status", "status 应为 open、handling_ended 或 closed", "status must be open, handling_ended or closed");
  cirs_err e = {0};
  if (export_parse_format(format, &q.format, &e) || export_parse_what(what, &q.what, &e)) return api_error(h->rs, &e);
  q.incident = one;
  export_buf b = {0};
  export_sink sink = {export_buf_write, &b};
  int64_t count;
  if (export_run(h->st, &q, &sink, &count, &e)) {
    free(b.p);
    return api_error(h->rs, &e);
  }
  char day[TIME_STR_MAX], name[80];
  time_format(q.now_ms, 480, day);
  snprintf(name, sizeof name, "cirs-%s-%.4s%.2s%.2s.%s", q.what == EXPORT_OBLIGATIONS ? "obligations" : "incidents", day, day + 5, day + 8, export_suffix(q.format));
  snprintf(h->rs->disposition, sizeof h->rs->disposition, "attachment; filename=\"%s\"", name);
  h->rs->status = 200;
  h->rs->raw = b.p ? b.p : "";
  h->rs->raw_len = b.len;
  h->rs->raw_owned = b.p != NULL;
  h->rs->content_type = export_content_type(q.format);
  return 0;
}

static int h_metrics(hctx *h);

/* --- the route table ------------------------------------------------------------------------------------------ */

#define OPERATORS "operator_reporter", "operator_admin"
#define AUTHORITY_STAFF "authority_officer", "authority_admin", "duty_officer"
#define READERS OPERATORS, AUTHORITY_STAFF, "national_emergency_office"

typedef struct route {
  const char *method, *pattern; /* "{id}" matches one path segment */
  int auth;                     /* 0 anonymous, 1 any logged-in user */
  const char *roles[9];         /* allowed roles; empty = every role */
  int (*fn)(hctx *h);
  const char *summary_zh, *summary_en, *tag;
  const char *body;             /* schema name of the JSON body, or NULL */
  const char *reply;            /* schema name of the success body, or NULL */
  int write;                    /* runs on the writer (group commit; Idempotency-Key honoured) */
  int status;                   /* success status */
  const char *query;            /* query parameters, comma-separated (documented in OpenAPI) */
  int (*prep)(hctx *h);         /* write routes: checking and reading done on the worker before the writer runs fn */
} route;

static const route routes[] = {
    {"GET", "/healthz", 0, {0}, h_healthz, "健康检查", "health check", "service", NULL, "Health", 0, 200, NULL, NULL},
    {"GET", "/metrics", 0, {0}, h_metrics, "Prometheus 指标（仅本机或系统管理员、审计员）", "Prometheus metrics (loopback, or system admin / auditor)", "service", NULL, NULL, 0, 200, NULL, NULL},
    {"GET", "/api/v1/openapi.json", 0, {0}, h_openapi, "本 API 的 OpenAPI 文档", "this API's OpenAPI document", "service", NULL, NULL, 0, 200, NULL, NULL},
    {"POST", "/api/v1/session", 0, {0}, h_login, "登录（设置会话 Cookie，返回 CSRF 令牌）", "log in (sets the session cookie, returns the CSRF token)", "session", "Login", "Session", 0, 201, NULL, NULL},
    {"GET", "/api/v1/session", 1, {0}, h_whoami, "当前用户", "the current user", "session", NULL, "Session", 0, 200, NULL, NULL},
    {"DELETE", "/api/v1/session", 1, {0}, h_logout, "注销", "log out", "session", NULL, NULL, 1, 204, NULL, NULL},
    {"POST", "/api/v1/assess", 1, {0}, h_assess, "评估事件级别与报告义务（不存储）", "grade an incident and list its obligations (nothing stored)", "rules", "AssessInput", "Assessment", 0, 200, NULL, NULL},
    {"POST", "/api/v1/incidents", 1, {OPERATORS, "duty_officer"}, h_incident_create, "提交事件初报（值班员可代运营者录入电话、传真报告）",
     "file an initial report (a duty officer may enter a phone or fax report on an operator's behalf)", "incidents", "Report", "Filed", 1, 201, NULL,
     incident_prep},
    {"GET", "/api/v1/incidents", 1, {READERS}, h_incident_list, "事件列表（按权限范围；筛选、全文检索、游标分页）",
     "incidents in the caller's scope: filters, full-text search, cursor pages", "incidents", NULL, "IncidentPage", 0, 200, "limit,after,status,grade,category,q,province,from,to,overdue,drill", NULL},
    {"GET", "/api/v1/export", 1, {READERS}, h_export, "导出本人范围内的事件：CSV（UTF-8 带 BOM）、JSON、STIX 2.1、MISP（每次至多 10000 起、32 MiB）",
     "export the incidents in the caller's scope: CSV (UTF-8 with BOM), JSON, STIX 2.1, MISP (at most 10000 incidents, 32 MiB per request)", "incidents", NULL,
     NULL, 0, 200, "format,what,ref,status,grade,category,q,province,from,to,drill", NULL},
    {"GET", "/api/v1/incidents/{id}", 1, {READERS}, h_incident_get, "事件详情（含全部报告版本与义务）", "one incident with every report version and obligation", "incidents", NULL, "Incident", 0, 200, NULL, NULL},
    {"POST", "/api/v1/incidents/{id}/reports", 1, {OPERATORS}, h_report_followup, "续报或总结报告（新的不可变版本）", "a supplement or the final report (a new immutable version)", "incidents", "FollowUp", "FollowUpFiled", 1, 201, NULL, NULL},
    {"GET", "/api/v1/incidents/{id}/pdf", 1, {READERS}, h_incident_pdf, "事件的正式文书 PDF：网络安全事件报告表（form=report）或总结报告（form=final）",
     "the incident's official document as PDF: the report form (form=report) or the final report (form=final)", "incidents", NULL, NULL, 0, 200, "form", NULL},
    {"GET", "/api/v1/incidents/{id}/history", 1, {READERS}, h_history, "事件经过：审计事件与各版本之间的变化", "what happened: events and the changes between versions", "incidents", NULL, "History", 0, 200, NULL, NULL},
    {"POST", "/api/v1/incidents/{id}/receipts", 1, {AUTHORITY_STAFF}, h_receipt, "接收机关登记接收（起算本机关时限）", "a receiving authority records receipt (starts its own clocks)", "authorities", "Note", "Receipt", 1, 201, NULL, NULL},
    {"POST", "/api/v1/incidents/{id}/escalations", 1, {AUTHORITY_STAFF}, h_escalate, "按规则向上级报告", "forward upward as the rules require", "authorities", "Note", "Escalation", 1, 201, NULL, NULL},
    {"POST", "/api/v1/incidents/{id}/notices", 1, {AUTHORITY_STAFF}, h_notice, "通报同级有关部门（已登记的机关可收到事件）",
     "notify other departments (registered authorities receive the incident)", "authorities", "Notice", "NoticeFiled", 1, 201, NULL, NULL},
    {"GET", "/api/v1/obligations", 1, {READERS}, h_obligation_list, "我的报告义务（将到期、已超时、已履行、迟报）", "my obligations: due soon, overdue, met, late", "obligations", NULL, "ObligationPage", 0, 200, "limit,after,status,overdue,due_within_min,drill", NULL},
    {"POST", "/api/v1/tips", 0, {0}, h_tip, "匿名举报线索（按地址限频，返回受理编号）", "anonymous public tip (rate-limited per address; returns a receipt number)", "tips", "Tip", "TipReceipt", 1, 201, NULL, NULL},
    {"GET", "/api/v1/tips", 1, {"national_emergency_office", "duty_officer"}, h_tip_list, "举报线索列表", "received tips", "tips", NULL, "Page", 0, 200, "limit,after", NULL},
    {"GET", "/api/v1/notifications", 1, {0}, h_notification_list, "我的站内通知（最新在前）", "my in-app notifications (newest first)", "notifications", NULL, "Page", 0, 200, "limit,after,unread", NULL},
    {"POST", "/api/v1/notifications/{id}/read", 1, {0}, h_notification_read, "标记通知为已读", "mark a notification read", "notifications", NULL, "Marked", 1, 200, NULL, NULL},
    {"POST", "/api/v1/obligations/{id}/waive", 1, {"authority_admin", "national_emergency_office"}, h_waive, "免除一项义务（写明理由）", "waive an obligation (with the reason)", "obligations", "Waive", "Obligation", 1, 200, NULL, NULL},
    {"GET", "/api/v1/outbox", 1, {OPERATORS, AUTHORITY_STAFF, "national_emergency_office", "system_admin", "auditor"}, h_outbox_list, "通知投递记录（含失败与死信）", "notification deliveries (with failures and dead letters)", "notifications", NULL, "Page", 0, 200, "limit,after,status,incident", NULL},
    {"POST", "/api/v1/webhooks", 1, {"authority_admin", "operator_admin"}, h_webhook_add, "登记回调地址（返回签名密钥，仅显示一次）", "register a webhook (returns its signing secret once)", "notifications", "WebhookNew", "Webhook", 1, 201, NULL, NULL},
    {"GET", "/api/v1/webhooks", 1, {"authority_admin", "operator_admin", "system_admin"}, h_webhook_list, "回调地址列表", "webhooks", "notifications", NULL, "Page", 0, 200, NULL, NULL},
    {"DELETE", "/api/v1/webhooks/{id}", 1, {"authority_admin", "operator_admin", "system_admin"}, h_webhook_delete, "停用回调地址", "disable a webhook", "notifications", NULL, "Marked", 1, 200, NULL, NULL},
    {"POST", "/api/v1/warnings", 1, {AUTHORITY_STAFF, "national_emergency_office"}, h_warning_issue, "发布预警（级别与范围按规则包的发布权限）",
     "issue a warning (level and scope within the rule pack's powers)", "emergency", "WarningNew", "Warning", 1, 201, NULL, NULL},
    {"GET", "/api/v1/warnings", 1, {READERS, "auditor", "system_admin"}, h_warning_list, "预警列表（本机关及下级发布的、发给我的）",
     "warnings: issued by my authority or below, or addressed to me", "emergency", NULL, "Page", 0, 200, "limit,after,status,drill", NULL},
    {"GET", "/api/v1/warnings/{id}", 1, {READERS, "auditor", "system_admin"}, h_warning_get, "预警详情（发布方可见谁已确认）",
     "one warning (its issuer sees who has acknowledged)", "emergency", NULL, "Warning", 0, 200, NULL, NULL},
    {"POST", "/api/v1/warnings/{id}/updates", 1, {AUTHORITY_STAFF, "national_emergency_office"}, h_warning_update, "调整预警（发布机关或其上级）",
     "change a warning (its issuer or a superior)", "emergency", "WarningChange", "Warning", 1, 200, NULL, NULL},
    {"POST", "/api/v1/warnings/{id}/lift", 1, {AUTHORITY_STAFF, "national_emergency_office"}, h_warning_lift, "解除预警（发布机关或其上级）",
     "lift a warning (its issuer or a superior)", "emergency", "WarningLift", "Warning", 1, 200, NULL, NULL},
    {"POST", "/api/v1/warnings/{id}/acknowledgements", 1, {READERS}, h_warning_ack, "确认收到预警（可同时报告已落实的措施）",
     "acknowledge a warning (and report measures done)", "emergency", "WarningAck", "Warning", 1, 201, NULL, NULL},
    {"POST", "/api/v1/responses", 1, {AUTHORITY_STAFF, "national_emergency_office"}, h_response_start, "启动应急响应（级别按规则包的启动权限）",
     "start an emergency response (levels within the rule pack's powers)", "emergency", "ResponseNew", "Response", 1, 201, NULL, NULL},
    {"GET", "/api/v1/responses", 1, {READERS, "auditor", "system_admin"}, h_response_list, "应急响应列表", "emergency responses", "emergency", NULL,
     "Page", 0, 200, "limit,after,status,drill", NULL},
    {"GET", "/api/v1/responses/{id}", 1, {READERS, "auditor", "system_admin"}, h_response_get, "应急响应详情（事件、进展、调查评估）",
     "one response with its incidents, updates and investigation", "emergency", NULL, "Response", 0, 200, NULL, NULL},
    {"POST", "/api/v1/responses/{id}/updates", 1, {READERS}, h_response_update, "报告事态发展或处置进展", "report the situation or the progress",
     "emergency", "ResponseUpdate", "Response", 1, 201, NULL, NULL},
    {"POST", "/api/v1/responses/{id}/end", 1, {AUTHORITY_STAFF, "national_emergency_office"}, h_response_end, "结束应急响应（谁启动，谁结束；Ⅰ级为提出结束）",
     "end a response (whoever starts it ends it; level I: propose the end)", "emergency", "ResponseEnd", "Response", 1, 200, NULL, NULL},
    {"POST", "/api/v1/responses/{id}/end-approval", 1, {"authority_admin"}, h_response_approve, "批准结束Ⅰ级应急响应（上级领导机构）",
     "approve the proposed end of a level I response (the command above)", "emergency", "ResponseEnd", "Response", 1, 200, NULL, NULL},
    {"POST", "/api/v1/responses/{id}/investigation", 1, {AUTHORITY_STAFF, "national_emergency_office"}, h_investigation, "提交调查评估报告（履行 30 日义务）",
     "submit the investigation report (meets the 30-day obligation)", "emergency", "Investigation", "Response", 1, 201, NULL, NULL},
    {"GET", "/api/v1/contacts", 1, {READERS, "auditor", "system_admin"}, h_contacts_get, "机构的应急联络表（format=csv 下载，带 BOM）",
     "an authority's duty contact list (format=csv downloads it, with BOM)", "emergency", NULL, "Contacts", 0, 200, "authority,format", NULL},
    {"POST", "/api/v1/contacts", 1, {"authority_admin", "system_admin"}, h_contacts_set, "整表替换本机关的应急联络表", "replace the authority's duty contact list",
     "emergency", "ContactsSet", "Contacts", 1, 200, NULL, NULL},
    {"GET", "/api/v1/compliance", 1, {READERS, "auditor", "system_admin"}, h_compliance, "合规台账：按时率、迟报与超时清单、平均报告用时、后续报告调高的数值", "compliance ledger: on-time rate, late and overdue lists, mean time to report, facts raised by later versions", "obligations", NULL, "Compliance", 0, 200, "organisation,authority,subtree,from,to,drills", NULL},
    {"GET", "/api/v1/statistics", 1, {READERS}, h_statistics, "统计：按类别、级别、省份、月份的事件数，各类义务的按时率，报告用时（默认不含演练）",
     "statistics: incidents by category, grade, province and month, on-time rates by obligation kind, time to report (drills excluded unless asked)",
     "incidents", NULL, "Statistics", 0, 200, "from,to,drills", NULL},
    {"GET", "/api/v1/inbox", 1, {READERS}, h_inbox, "待办：待接收的事件与按剩余时间排序的时限", "inbox: incidents awaiting receipt, then by time left on the caller's clocks",
     "incidents", NULL, "Inbox", 0, 200, "limit", NULL},
    {"GET", "/api/v1/access-log", 1, {"auditor", "system_admin"}, h_access_log, "机关用户查阅事件的记录", "who of an authority read which incident, when", "audit", NULL, "Page", 0, 200, "limit,after,incident", NULL},
};
#define NROUTES ((int)(sizeof routes / sizeof routes[0]))

static const char *route_name(int i, const char **method) {
  *method = routes[i].method;
  return routes[i].pattern;
}

static int h_metrics(hctx *h) {
  const char *role = h->c->p ? pstr(h->c, "role") : NULL;
  int loopback = !strcmp(h->rq->addr, "127.0.0.1") || !strcmp(h->rq->addr, "::1");
  if (!loopback && !(role && (!strcmp(role, "system_admin") || !strcmp(role, "auditor"))))
    return fail(h->rs, h->c->p ? "forbidden" : "unauthenticated", "", "仅本机或系统管理员、审计员可读取指标", "metrics are for loopback, system admins and auditors");
  char *text = metrics_http_text(NROUTES, route_name);
  writer_stats ws;
  writer_get_stats(&ws);
  static const uint64_t bounds[8] = WRITER_BATCH_BOUNDS;
  size_t len = strlen(text), cap = len + 8192;
  text = realloc(text, cap);
  len += (size_t)snprintf(text + len, cap - len,
                          "# HELP cirs_db_commits_total Committed write batches.\n# TYPE cirs_db_commits_total counter\n"
                          "cirs_db_commits_total %llu\n# HELP cirs_db_syncs_total fdatasync calls that made committed batches durable (pipelined; 0 when each commit syncs itself).\n"
                          "# TYPE cirs_db_syncs_total counter\ncirs_db_syncs_total %llu\n# HELP cirs_db_commit_failures_total Write batches whose commit failed (their requests got 500).\n"
                          "# TYPE cirs_db_commit_failures_total counter\ncirs_db_commit_failures_total %llu\n"
                          "# HELP cirs_db_batch_size Write jobs per committed batch (group commit).\n# TYPE cirs_db_batch_size histogram\n",
                          (unsigned long long)ws.commits, (unsigned long long)ws.syncs, (unsigned long long)ws.failed_commits);
  for (int i = 0; i < 8; i++)
    len += (size_t)snprintf(text + len, cap - len, "cirs_db_batch_size_bucket{le=\"%llu\"} %llu\n", (unsigned long long)bounds[i],
                            (unsigned long long)ws.batch_le[i]);
  len += (size_t)snprintf(text + len, cap - len, "cirs_db_batch_size_bucket{le=\"+Inf\"} %llu\ncirs_db_batch_size_sum %llu\ncirs_db_batch_size_count %llu\n",
                          (unsigned long long)ws.commits, (unsigned long long)ws.batch_sum, (unsigned long long)ws.commits);
  sched_stats ss;
  sched_get_stats(&ss);
  deliver_stats ds;
  deliver_get_stats(&ds);
  static const int64_t lag_bounds[SCHED_LAG_NBUCKETS] = SCHED_LAG_BUCKETS;
  len += (size_t)snprintf(text + len, cap - len,
                          "# HELP cirs_clock_deadlines Pending obligation deadlines held by the scheduler.\n# TYPE cirs_clock_deadlines gauge\ncirs_clock_deadlines %lld\n"
                          "# HELP cirs_clock_due_within_1h Of those, due within the next hour.\n# TYPE cirs_clock_due_within_1h gauge\ncirs_clock_due_within_1h %lld\n"
                          "# HELP cirs_clock_fired_total Deadline instants fired (overdue transitions and reminders checked).\n# TYPE cirs_clock_fired_total counter\n"
                          "cirs_clock_fired_total %lld\ncirs_clock_overdue_total %lld\ncirs_clock_reminders_total %lld\n"
                          "# HELP cirs_clock_polled_total Deadlines found by the scheduler's poll: committed by another process (mail ingest, import).\n"
                          "# TYPE cirs_clock_polled_total counter\ncirs_clock_polled_total %lld\n"
                          "# HELP cirs_clock_firing_lag_seconds From the instant a deadline was due to its firing being committed.\n"
                          "# TYPE cirs_clock_firing_lag_seconds histogram\n",
                          (long long)ss.pending, (long long)ss.due_1h, (long long)ss.fired, (long long)ss.overdue, (long long)ss.reminders,
                          (long long)ss.polled);
  for (int i = 0; i < SCHED_LAG_NBUCKETS; i++)
    len += (size_t)snprintf(text + len, cap - len, "cirs_clock_firing_lag_seconds_bucket{le=\"%g\"} %llu\n", (double)lag_bounds[i] / 1000.0,
                            (unsigned long long)ss.lag_le[i]);
  len += (size_t)snprintf(text + len, cap - len,
                          "cirs_clock_firing_lag_seconds_bucket{le=\"+Inf\"} %llu\ncirs_clock_firing_lag_seconds_sum %.3f\ncirs_clock_firing_lag_seconds_count %llu\n"
                          "# HELP cirs_notify_deliveries_total Outbox delivery attempts by result.\n# TYPE cirs_notify_deliveries_total counter\n"
                          "cirs_notify_deliveries_total{result=\"delivered\"} %llu\ncirs_notify_deliveries_total{result=\"retry\"} %llu\n"
                          "cirs_notify_deliveries_total{result=\"dead\"} %llu\n"
                          "# HELP cirs_leader 1 while this instance runs the scheduler and the deliverer (several instances on one PostgreSQL: exactly one).\n"
                          "# TYPE cirs_leader gauge\ncirs_leader %d\n"
                          "# HELP cirs_leader_changes_total Times this instance took or lost the lead.\n# TYPE cirs_leader_changes_total counter\n"
                          "cirs_leader_changes_total %ld\n",
                          (unsigned long long)ss.lag_count, ss.lag_sum_s, (unsigned long long)ss.lag_count, (unsigned long long)ds.sent,
                          (unsigned long long)ds.failed, (unsigned long long)ds.dead, lease_is_leader(), lease_changes());
  json_t *counts = NULL;
  cirs_err e = {0};
  if (!store_obligation_counts(h->st, &counts, &e)) {
    len += (size_t)snprintf(text + len, cap - len, "# HELP cirs_obligations Obligations by status.\n# TYPE cirs_obligations gauge\n");
    static const char *const st[] = {"pending", "met", "late", "overdue", "waived", NULL};
    for (const char *const *s = st; *s; s++)
      len += (size_t)snprintf(text + len, cap - len, "cirs_obligations{status=\"%s\"} %lld\n", *s, (long long)json_integer_value(json_object_get(counts, *s)));
    json_decref(counts);
  }
  h->rs->status = 200;
  h->rs->raw = text;
  h->rs->raw_len = len;
  h->rs->raw_owned = 1;
  h->rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
  return 0;
}

/* Matches `path` against `pattern`; copies the {id} segment into param. */
static int match(const char *pattern, const char *path, char *param, size_t n) {
  while (*pattern && *path) {
    if (!strncmp(pattern, "{id}", 4)) {
      size_t len = strcspn(path, "/");
      if (len == 0 || len >= n) return 0;
      memcpy(param, path, len);
      param[len] = 0;
      pattern += 4;
      path += len;
      continue;
    }
    if (*pattern++ != *path++) return 0;
  }
  return !*pattern && !*path;
}

static int role_allowed(const route *r, const char *role) {
  if (!r->roles[0]) return 1;
  for (int i = 0; r->roles[i]; i++)
    if (!strcmp(r->roles[i], role)) return 1;
  return 0;
}

/* A write route's handler runs on the writer thread, inside the batch transaction: its 2xx leaves only after the
 * batch is committed. With an Idempotency-Key, the first answer is stored in the same transaction and returned
 * again for a retry with the same request; the same key with a different request is refused. */
typedef struct write_job {
  hctx *h;
  const route *r;
  const char *key;
  int64_t uid;
  char req_hash[AUDIT_HASH_HEX];
  int prep_failed; /* the route's prep refused the request: its error stands unless a stored answer replays */
} write_job;

static int run_write(store *wst, void *arg, cirs_err *e) {
  write_job *j = arg;
  hctx *h = j->h;
  if (j->key) {
    json_t *prev = NULL;
    if (!store_idem_get(wst, j->uid, j->key, &prev, e)) {
      if (strcmp(json_string_value(json_object_get(prev, "request_hash")), j->req_hash)) {
        json_decref(prev);
        fail(h->rs, "idempotency_mismatch", "Idempotency-Key", "该 Idempotency-Key 已用于另一个请求", "this Idempotency-Key was used for a different request");
        return -1;
      }
      h->rs->status = (int)json_integer_value(json_object_get(prev, "status"));
      json_decref(h->rs->json);
      h->rs->json = json_loads(json_string_value(json_object_get(prev, "response")), JSON_DECODE_ANY, NULL);
      h->rs->replayed = 1;
      json_decref(prev);
      return 0;
    }
    if (strcmp(e->code, "not_found")) return -1;
  }
  if (j->prep_failed) return -1;
  h->st = wst;
  if (j->r->fn(h) || h->rs->status >= 300) return -1;
  if (j->key) {
    char *resp = h->rs->json ? jdump(h->rs->json) : strdup("null");
    int rc = store_idem_put(wst, j->uid, j->key, j->req_hash, h->rs->status, resp, e);
    free(resp);
    if (rc) return -1;
  }
  return 0;
}

static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static const api_ctx *start_ctx;
static int started;

static void start_writer(void) {
  cirs_err e = {0};
  login_limiter = limiter_new(API_LOGIN_FAILURES_MAX, API_LOGIN_WINDOW_S);
  tip_limiter = limiter_new(API_TIPS_MAX, API_TIPS_WINDOW_S);
  if (writer_start(start_ctx->db_path, api_tick, &e)) http_log("error", "msg=\"writer did not start\" err=\"%s\"", e.msg);
  else started = 1;
}

/* A write request between its check (on a pool thread) and its answer (after the writer's commit). */
typedef struct pending_write {
  hctx h;
  caller c;
  write_job j;
  char param[64];
  cirs_lang lang;
  int route_index, rc;
  cirs_err err;
  struct timespec t0;
} pending_write;

static void observe(int route_index, int status, const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  metrics_observe(route_index, status, (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9);
}

/* Completes a write's answer from its result and frees it. */
static int write_end(pending_write *p, int rc) {
  http_response *rs = p->h.rs;
  if (p->h.plan_free) p->h.plan_free(p->h.plan);
  if (p->j.prep_failed || (rs->status >= 400 && rc)) {
    /* the refusal (prep's, the handler's, or the replayed answer that replaced it) is in rs */
  } else if (rc) {
    /* no answer yet, or the handler succeeded but its batch did not commit: nothing it answered is true */
    api_error(rs, &p->err);
  }
  if (rs->replayed) rs->status = rs->status ? rs->status : 200;
  json_decref(p->h.body);
  json_decref(p->c.p);
  free(p);
  return rc;
}

static void write_done(void *arg, int rc, const cirs_err *e) {
  pending_write *p = arg;
  p->rc = rc;
  if (rc) p->err = *e;
  http_wake(p->h.rq->wake);
  if (!rc) deliver_poke(); /* whatever the write queued in the outbox is committed now */
}

static void write_later(void *arg, http_response *rs) {
  pending_write *p = arg;
  (void)rs;
  lang_set(p->lang);
  int ri = p->route_index;
  struct timespec t0 = p->t0;
  write_end(p, p->rc);
  observe(ri, rs->status, &t0);
}

static int dispatch(const api_ctx *ctx, const http_request *rq, http_response *rs, int *route_index) {
  const char *al = http_header(rq, "Accept-Language");
  lang_set(al && !strncmp(al, "en", 2) ? LANG_EN : LANG_ZH);
  char param[64] = "";
  const route *r = NULL;
  int path_known = 0;
  for (int i = 0; i < NROUTES; i++)
    if (match(routes[i].pattern, rq->path, param, sizeof param)) {
      path_known = 1;
      if (!strcmp(routes[i].method, rq->method)) {
        r = &routes[i];
        *route_index = i;
        break;
      }
    }
  if (!r) {
    if (!path_known) return fail(rs, "not_found", "", "没有这个路径", "no such route");
    return fail(rs, "method_not_allowed", "", "该路径不支持此方法", "method not allowed on this path");
  }
  start_ctx = ctx;
  pthread_once(&start_once, start_writer);
  if (!started) return fail(rs, "unavailable", "", "写入线程未启动", "the writer is not running");
  cirs_err e = {0};
  store *st = thread_store(ctx, &e);
  if (!st) return api_error(rs, &e);
  caller c;
  if (authenticate(st, rq, &c, &e)) {
    /* A stale cookie or token must not lock anyone out of the public routes, the login above all. */
    if (r->auth) return api_error(rs, &e);
    memset(&c, 0, sizeof c);
  }
  if (r->fn == h_login && c.p) {
    json_decref(c.p); /* logging in again replaces the session; the credentials decide, not the old cookie */
    memset(&c, 0, sizeof c);
  }
  if (c.p) snprintf(rs->user, sizeof rs->user, "%s", pstr(&c, "username"));
  if (r->auth && !c.p) return fail(rs, "unauthenticated", "", "请先登录", "log in first");
  if (c.p && !role_allowed(r, pstr(&c, "role"))) {
    json_decref(c.p);
    return fail(rs, "forbidden", "", "当前角色无权执行此操作", "your role may not do this");
  }
  /* A browser (cookie) must prove the request comes from our page: the CSRF token echoes the session's. */
  if (c.via_cookie && strcmp(rq->method, "GET")) {
    const char *tok = http_header(rq, "X-CSRF-Token");
    if (!tok || !auth_equal(tok, pstr(&c, "csrf"))) {
      json_decref(c.p);
      return fail(rs, "forbidden", "X-CSRF-Token", "缺少或错误的 CSRF 令牌", "missing or wrong CSRF token");
    }
  }
  if (!r->write) {
    hctx h = {ctx, st, &c, rq, rs, param, NULL, NULL, NULL};
    int rc = -1;
    if (!r->body || (h.body = body_object(rq, rs))) rc = r->fn(&h);
    json_decref(h.body);
    json_decref(c.p);
    return rc;
  }
  /* A write: checked here, run by the writer; the connection is parked (no pool thread waits) until the
   * batch holding it is committed, then write_later answers. */
  pending_write *p = calloc(1, sizeof *p);
  p->c = c;
  snprintf(p->param, sizeof p->param, "%s", param);
  p->h = (hctx){ctx, st, &p->c, rq, rs, p->param, NULL, NULL, NULL};
  p->j = (write_job){&p->h, r, http_header(rq, "Idempotency-Key"), c.p ? pint(&c, "id") : 0, "", 0};
  p->lang = lang_get();
  p->route_index = *route_index;
  clock_gettime(CLOCK_MONOTONIC, &p->t0);
  write_job *j = &p->j;
  if (r->body && !(p->h.body = body_object(rq, rs))) return write_end(p, -1);
  if (j->key && (!c.p || !*j->key || strlen(j->key) > IDEM_KEY_MAX)) {
    if (!c.p) fail(rs, "bad_value", "Idempotency-Key", "匿名请求不支持 Idempotency-Key", "Idempotency-Key needs an authenticated caller");
    else fail(rs, "bad_value", "Idempotency-Key", "Idempotency-Key 长度应为 1 到 128", "Idempotency-Key must be 1 to 128 bytes");
    return write_end(p, -1);
  }
  if (j->key) {
    size_t n = strlen(rq->method) + strlen(rq->path) + rq->body_len + 3;
    char *m = malloc(n);
    int len = snprintf(m, n, "%s %s\n", rq->method, rq->path);
    memcpy(m + len, rq->body, rq->body_len);
    audit_sha256_hex(m, (size_t)len + rq->body_len, j->req_hash);
    free(m);
  }
  /* The route's prep reads and checks on this worker; a refusal is final unless a retry's first answer exists. */
  if (r->prep && r->prep(&p->h)) j->prep_failed = 1;
  if (j->prep_failed && !j->key) return write_end(p, -1);
  if (writer_submit(run_write, j, write_done, p, &p->err)) return write_end(p, -1);
  rs->later = write_later;
  rs->later_arg = p;
  return 0;
}

void api_handle(void *app, const http_request *rq, http_response *rs) {
  if (web_handle(rq, rs)) return; /* the web UI's embedded files (src/web/) */
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int ri = -1;
  dispatch(app, rq, rs, &ri);
  if (!rs->later) observe(ri, rs->status, &t0); /* a parked write is observed when answered */
}

/* The deliverer's hook, in the transaction that records a delivered message: a webhook that confirms receipt
 * answered 2xx to a new report for its authority, so the authority has it; its receipt starts its clocks. A receipt
 * recorded before (by an officer) stays as it is. */
static int receipt_on_delivery(store *st, const json_t *row, cirs_err *e) {
  const char *kind = json_string_value(json_object_get(row, "kind")), *authority = json_string_value(json_object_get(row, "authority"));
  int64_t incident = json_integer_value(json_object_get(row, "incident_id")), aid = json_integer_value(json_object_get(row, "authority_id"));
  if (json_integer_value(json_object_get(row, "confirms_receipt")) != 1) return 0;
  if (!kind || (strcmp(kind, "report.received") && strcmp(kind, "incident.forwarded")) || !authority || !incident || !aid) return 0;
  json_t *rec = NULL, *out = NULL;
  cirs_err ignore = {0};
  if (!store_receipt_get(st, incident, aid, &rec, &ignore)) {
    json_decref(rec);
    return 0;
  }
  char note[80];
  snprintf(note, sizeof note, "webhook %s", json_string_value(json_object_get(row, "target")));
  /* model_receipt undoes its own part when it fails; the delivery stays recorded (it did happen). */
  if (model_receipt(st, incident, aid, authority, 0, "system:delivery", "delivery", note, &out, e))
    http_log("error", "msg=\"receipt on delivery not recorded\" incident=%lld authority=%s err=\"%s\"", (long long)incident, authority, e->msg);
  json_decref(out);
  return 0;
}

/* The leader's part (src/clock/lease.c): the scheduler and the deliverer. */
static int lead_start(void *arg, cirs_err *e) {
  const api_ctx *ctx = arg;
  if (sched_start(ctx->db_path, ctx->reminders, e)) return -1;
  deliver_config dc = ctx->deliver;
  dc.on_delivered = receipt_on_delivery;
  if (deliver_start(ctx->db_path, &dc, e)) {
    sched_stop();
    return -1;
  }
  return 0;
}

static void lead_stop(void *arg) {
  (void)arg;
  sched_stop();
  deliver_stop();
}

int api_start(const api_ctx *ctx, cirs_err *e) {
  start_ctx = ctx;
  pthread_once(&start_once, start_writer);
  if (!started) return err_set(e, "internal", "", "the writer did not start");
  return lease_start(ctx->db_path, lead_start, lead_stop, (void *)ctx, e);
}

void api_shutdown(void) {
  lease_stop();
  writer_stop();
  pthread_mutex_lock(&stores_lock);
  for (int i = 0; i < nstores; i++) store_close(all_stores[i]);
  nstores = 0;
  pthread_mutex_unlock(&stores_lock);
  limiter_free(login_limiter);
  limiter_free(tip_limiter);
  login_limiter = tip_limiter = NULL;
}

/* --- the OpenAPI document: generated from the route table and the schemas of src/api/openapi-schemas.json --- */

static json_t *query_param(const char *name) {
  static const struct {
    const char *name, *type, *format, *zh, *en;
  } params[] = {
      {"limit", "integer", NULL, "每页条数（1–200，默认 50）", "page size (1-200, default 50)"},
      {"after", "integer", NULL, "游标：上一页的 next_after", "cursor: next_after of the previous page"},
      {"status", "string", NULL, "状态", "status"},
      {"grade", "string", NULL, "级别（特别重大、重大、较大、一般）", "grade (特别重大, 重大, 较大, 一般)"},
      {"category", "string", NULL, "GB/T 20986-2023 类别代码（前缀匹配）", "GB/T 20986-2023 category code (prefix)"},
      {"q", "string", NULL, "全文检索（标题与报告内容，支持中文）", "full-text query over title and report text (Chinese works)"},
      {"province", "string", NULL, "运营者所在省级行政区代码（6 位）", "the operator's province code (6 digits)"},
      {"from", "string", "date-time", "发现时间不早于", "aware at or after"},
      {"to", "string", "date-time", "发现时间早于", "aware before"},
      {"overdue", "boolean", NULL, "仅含超时义务的", "only those with an overdue obligation"},
      {"drill", "string", NULL, "any（默认）、real 或 only（演练）", "any (default), real, or only (drills)"},
      {"due_within_min", "integer", NULL, "在此分钟数内到期", "due within this many minutes"},
      {"incident", "integer", NULL, "事件编号", "incident id"},
      {"unread", "boolean", NULL, "仅未读", "unread only"},
      {"organisation", "string", NULL, "运营者代码", "organisation code"},
      {"authority", "string", NULL, "机关代码", "authority code"},
      {"subtree", "boolean", NULL, "含下级机关", "with the authorities below"},
      {"drills", "boolean", NULL, "含演练", "include drills"},
      {"form", "string", NULL, "report（报告表，默认）或 final（总结报告）", "report (the report form, default) or final (the final report)"},
      {"format", "string", NULL, "格式：导出为 csv、json、stix 或 misp（必填）；联络表为 json（默认）或 csv", "format: for exports csv, json, stix or misp (required); for contacts json (default) or csv"},
      {"what", "string", NULL, "incidents（默认，每起事件一行）或 obligations（每项义务一行；仅 csv、json）", "incidents (default, one row per incident) or obligations (one row per obligation; csv and json only)"},
      {"ref", "string", NULL, "只导出这一起事件（id 或受理编号；MISP 输出单个 Event）", "this one incident only (id or receipt number; MISP answers one Event)"},
  };
  for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
    if (!strcmp(params[i].name, name)) {
      json_t *schema = json_pack("{s:s}", "type", params[i].type);
      if (params[i].format) json_object_set_new(schema, "format", json_string(params[i].format));
      return json_pack("{s:s, s:s, s:b, s:o, s:s}", "name", name, "in", "query", "required", 0, "schema", schema, "description", params[i].en);
    }
  return NULL;
}

static json_t *ref(const char *schema) {
  char r[128];
  snprintf(r, sizeof r, "#/components/schemas/%s", schema);
  return json_pack("{s:{s:{s:{s:s}}}}", "content", "application/json", "schema", "$ref", r);
}

json_t *api_openapi(void) {
  json_t *paths = json_object();
  for (int i = 0; i < NROUTES; i++) {
    const route *r = &routes[i];
    json_t *item = json_object_get(paths, r->pattern);
    if (!item) json_object_set_new(paths, r->pattern, item = json_object());
    char lower[8], opid[96], status[8];
    size_t n = strlen(r->method);
    for (size_t k = 0; k <= n && k < sizeof lower; k++) lower[k] = (char)(r->method[k] >= 'A' && r->method[k] <= 'Z' ? r->method[k] + 32 : r->method[k]);
    snprintf(status, sizeof status, "%d", r->status);
    json_t *ok_resp = r->reply ? ref(r->reply) : json_object();
    json_object_set_new(ok_resp, "description", json_string(r->status == 204 ? "no content" : "success"));
    if (!r->reply && r->status != 204) {
      const char *ct = !strcmp(r->pattern, "/metrics") ? "text/plain" : "application/json";
      if (strstr(r->pattern, "/pdf")) ct = "application/pdf";
      json_object_set_new(ok_resp, "content", json_pack("{s:{s:{s:s}}}", ct, "schema", "type", strcmp(ct, "application/json") ? "string" : "object"));
      if (!strcmp(ct, "application/pdf"))
        json_object_set_new(json_object_get(json_object_get(json_object_get(ok_resp, "content"), ct), "schema"), "format", json_string("binary"));
    }
    if (r->fn == h_export) json_object_set_new(ok_resp, "content", export_openapi_content()); /* csv, json, stix+json */
    json_t *err = ref("Error");
    json_object_set_new(err, "description", json_string("error: {\"error\":{code,message,field}}; 400 invalid input, 401 not logged in, 403 role, "
                                                        "404 unknown or outside your scope, 409 conflict, 413 too large, 415 content type, 422 "
                                                        "idempotency key reuse, 429 rate limited"));
    json_t *server_err = ref("Error");
    json_object_set_new(server_err, "description", json_string("server error (database, writer stopping: 503 with Retry-After)"));
    json_t *op = json_pack("{s:s, s:s, s:[s], s:{s:o, s:o, s:o}}", "summary", r->summary_en, "description", r->summary_zh, "tags", r->tag, "responses",
                           status, ok_resp, "4XX", err, "5XX", server_err);
    snprintf(opid, sizeof opid, "%s_%d", lower, i);
    json_object_set_new(op, "operationId", json_string(opid));
    if (r->auth) json_object_set_new(op, "security", json_pack("[{s:[]}, {s:[]}]", "bearer", "session"));
    else json_object_set_new(op, "security", json_array());
    if (r->roles[0]) {
      json_t *roles = json_array();
      for (int k = 0; r->roles[k]; k++) json_array_append_new(roles, json_string(r->roles[k]));
      json_object_set_new(op, "x-roles", roles);
    }
    json_t *params = json_array();
    if (strstr(r->pattern, "{id}"))
      json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:{s:s}, s:s}", "name", "id", "in", "path", "required", 1, "schema", "type", "string",
                                              "description", "incident id or receipt number (CIRS-YYYY-NNNNNN)"));
    if (r->query) {
      char q[200];
      snprintf(q, sizeof q, "%s", r->query);
      for (char *save, *t = strtok_r(q, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        json_t *p = query_param(t);
        if (p) json_array_append_new(params, p);
      }
    }
    if (r->write && r->auth && strcmp(r->method, "DELETE"))
      json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:{s:s, s:i}, s:s}", "name", "Idempotency-Key", "in", "header", "required", 0, "schema", "type",
                                              "string", "maxLength", IDEM_KEY_MAX, "description", "a retry with the same key and request returns the first answer"));
    if (json_array_size(params)) json_object_set_new(op, "parameters", params);
    else json_decref(params);
    if (r->body) {
      json_t *rb = ref(r->body);
      json_object_set_new(rb, "required", json_true());
      json_object_set_new(op, "requestBody", rb);
    }
    json_object_set_new(item, lower, op);
  }
  const embedded_file *f = embedded_find("src/api/openapi-schemas.json");
  json_t *schemas = f ? json_loadb((const char *)f->data, f->len, 0, NULL) : NULL;
  if (!schemas) schemas = json_object();
  return json_pack("{s:s, s:{s:s, s:s, s:s}, s:[{s:s}], s:o, s:{s:o, s:{s:{s:s, s:s}, s:{s:s, s:s, s:s}}}}", "openapi", "3.0.3", "info", "title",
                   "CIRS API", "version", "1", "description", "网络安全事件报告与应急处置系统 — cybersecurity incident reporting and emergency response",
                   "servers", "url", "/", "paths", paths, "components", "schemas", schemas, "securitySchemes", "bearer", "type", "http", "scheme", "bearer",
                   "session", "type", "apiKey", "in", "cookie", "name", "cirs_session");
}
