/* api.c — see api.h. Every route is a row of `routes`: method, path pattern, who may call it, handler, and
 * its description — the OpenAPI document is generated from the same table. Errors leave through api_error,
 * the one place that maps error codes to HTTP statuses and {"error":{code,message,field}}. */
#include "api.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../auth/auth.h"
#include "../common/timeutil.h"
#include "../model/commands.h"
#include "../store/store.h"

#define MAX_CONNS 256
#define QUERY_ENUM_MAX 20     /* status, grade (UTF-8: 特别重大 is 12 bytes) */
#define QUERY_CATEGORY_MAX 16 /* a GB/T 20986 code */

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

void api_shutdown(void) {
  pthread_mutex_lock(&stores_lock);
  for (int i = 0; i < nstores; i++) store_close(all_stores[i]);
  nstores = 0;
  pthread_mutex_unlock(&stores_lock);
}

/* --- responses ------------------------------------------------------------------------------------------------ */

static int status_of(const char *code) {
  static const struct {
    const char *code;
    int status;
  } map[] = {{"unauthenticated", 401}, {"forbidden", 403}, {"not_found", 404}, {"conflict", 409}, {"too_large", 413},
             {"unsupported_media_type", 415}, {"db_error", 500}, {"internal", 500}, {"io_error", 500}, {"rules_invalid", 500}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (!strcmp(map[i].code, code)) return map[i].status;
  return 400;
}

static int api_error(http_response *rs, const cirs_err *e) {
  rs->status = status_of(e->code);
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

/* Parses a JSON object body; checks the content type. NULL with the response set on failure. */
static json_t *body_object(const http_request *rq, http_response *rs) {
  const char *ct = http_header(rq, "Content-Type");
  if (!ct || strncmp(ct, "application/json", 16)) {
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
    api_error(rs, &e);
    return NULL;
  }
  if (!json_is_object(j)) {
    json_decref(j);
    fail(rs, "wrong_type", "", "请求体应为 JSON 对象", "the body must be a JSON object");
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
  store *st;
  caller *c;
  const http_request *rq;
  http_response *rs;
  const char *param; /* the {id} of the path, if any */
} hctx;

static int h_healthz(hctx *h) {
  return ok(h->rs, 200, json_pack("{s:s, s:s, s:i}", "status", "ok", "db", store_backend(h->st), "schema", store_schema_version(h->st)));
}

static int h_openapi(hctx *h) { return ok(h->rs, 200, api_openapi()); }

static int event_tx(store *st, const char *actor, const char *type, int64_t user_id, json_t *payload, cirs_err *e) {
  model_event ev = {0, time_now_ms(), actor, type, "user", user_id, payload};
  int rc = store_event_append(st, &ev, e);
  json_decref(payload);
  return rc;
}

static int h_login(hctx *h) {
  json_t *b = body_object(h->rq, h->rs);
  if (!b) return -1;
  const char *user = json_string_value(json_object_get(b, "username")), *pw = json_string_value(json_object_get(b, "password"));
  if (!user || !*user || strlen(user) > MODEL_CODE_MAX) {
    json_decref(b);
    return fail(h->rs, "missing_field", "username", "需要用户名", "username required");
  }
  if (!pw || !*pw || strlen(pw) > AUTH_PASSWORD_MAX) {
    json_decref(b);
    return fail(h->rs, "missing_field", "password", "需要密码", "password required");
  }
  json_t *p = NULL;
  cirs_err e = {0};
  int found = store_principal_by_username(h->st, user, &p, &e) == 0;
  int good = auth_password_verify(found ? json_string_value(json_object_get(p, "password_hash")) : NULL, pw) && found &&
             !json_integer_value(json_object_get(p, "disabled"));
  if (!good) {
    /* Record the failure (who tried which name, from the request id); same answer whether the name exists or not. */
    if (!store_begin(h->st, &e) && !event_tx(h->st, user, "user.login_failed", found ? json_integer_value(json_object_get(p, "id")) : 0,
                                             json_pack("{s:s, s:s}", "username", user, "req_id", h->rq->req_id), &e))
      store_commit(h->st, &e);
    else store_rollback(h->st);
    json_decref(p);
    json_decref(b);
    return fail(h->rs, "unauthenticated", "password", "用户名或密码错误", "wrong username or password");
  }
  char token[AUTH_TOKEN_HEX], hash[AUTH_TOKEN_HEX], csrf[AUTH_TOKEN_HEX];
  auth_random_hex(token, 32);
  auth_random_hex(csrf, 32);
  auth_token_hash(token, hash);
  int64_t uid = json_integer_value(json_object_get(p, "id"));
  if (store_begin(h->st, &e) || store_session_insert(h->st, hash, uid, csrf, time_now_ms() + API_SESSION_TTL_MS, &e) ||
      event_tx(h->st, user, "user.login", uid, json_pack("{s:s, s:s}", "method", "password", "req_id", h->rq->req_id), &e) ||
      store_commit(h->st, &e)) {
    store_rollback(h->st);
    api_error(h->rs, &e);
  } else {
    snprintf(h->rs->cookie, sizeof h->rs->cookie, "cirs_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld", token,
             API_SESSION_TTL_MS / 1000);
    json_object_del(p, "password_hash");
    json_object_del(p, "disabled");
    snprintf(h->rs->user, sizeof h->rs->user, "%s", user);
    ok(h->rs, 201, json_pack("{s:O, s:s}", "user", p, "csrf_token", csrf));
  }
  json_decref(p);
  json_decref(b);
  return 0;
}

static int h_whoami(hctx *h) {
  json_t *u = json_deep_copy(h->c->p);
  json_t *csrf = json_object_get(u, "csrf");
  json_t *out = json_pack("{s:O, s:O?}", "user", u, "csrf_token", csrf);
  json_object_del(u, "csrf");
  json_object_del(u, "disabled");
  json_object_del(json_object_get(out, "user"), "csrf");
  json_object_del(json_object_get(out, "user"), "disabled");
  json_decref(u);
  return ok(h->rs, 200, out);
}

static int h_logout(hctx *h) {
  cirs_err e = {0};
  if (!h->c->via_cookie) return fail(h->rs, "bad_value", "cirs_session", "没有可注销的浏览器会话", "no browser session to end");
  if (store_begin(h->st, &e) || store_session_delete(h->st, h->c->token_hash, &e) ||
      event_tx(h->st, pstr(h->c, "username"), "user.logout", pint(h->c, "id"), json_pack("{s:s}", "req_id", h->rq->req_id), &e) ||
      store_commit(h->st, &e)) {
    store_rollback(h->st);
    return api_error(h->rs, &e);
  }
  snprintf(h->rs->cookie, sizeof h->rs->cookie, "cirs_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  h->rs->status = 204;
  return 0;
}

static int h_assess(hctx *h) {
  json_t *b = body_object(h->rq, h->rs), *out = NULL;
  if (!b) return -1;
  cirs_err e = {0};
  rules_opts o = {RULES_NO_TIME};
  int rc = rules_assess(h->ctx->rules, b, &o, &out, &e) ? api_error(h->rs, &e) : ok(h->rs, 200, out);
  json_decref(b);
  return rc;
}

static int h_incident_create(hctx *h) {
  json_t *b = body_object(h->rq, h->rs), *out = NULL;
  if (!b) return -1;
  cirs_err e = {0};
  int rc = model_report_submit(h->st, h->ctx->rules, pstr(h->c, "organisation"), b, pstr(h->c, "username"), "api", &out, &e)
               ? api_error(h->rs, &e)
               : ok(h->rs, 201, out);
  json_decref(b);
  return rc;
}

static int h_incident_list(hctx *h) {
  long long limit, after;
  const char *status, *grade, *category;
  if (query_int(h->rq, h->rs, "limit", 1, API_PAGE_MAX, API_PAGE_DEFAULT, &limit) || query_int(h->rq, h->rs, "after", 0, INT64_MAX, 0, &after) ||
      query_str(h->rq, h->rs, "status", QUERY_ENUM_MAX, &status) || query_str(h->rq, h->rs, "grade", QUERY_ENUM_MAX, &grade) ||
      query_str(h->rq, h->rs, "category", QUERY_CATEGORY_MAX, &category))
    return -1;
  store_filter f = {.scope = scope_of(h->c), .after_id = after, .limit = (int)limit, .status = status, .grade = grade, .category = category,
                    .now_ms = time_now_ms()};
  json_t *rows;
  cirs_err e = {0};
  if (store_incident_list(h->st, &f, &rows, &e)) return api_error(h->rs, &e);
  json_t *last = json_array_get(rows, json_array_size(rows) - 1);
  return ok(h->rs, 200, json_pack("{s:o, s:O?}", "items", rows, "next_after", json_array_size(rows) == (size_t)limit ? json_object_get(last, "id") : NULL));
}

static int h_incident_get(hctx *h) {
  store_scope sc = scope_of(h->c);
  json_t *inc;
  cirs_err e = {0};
  if (strlen(h->param) > 40) return fail(h->rs, "not_found", "id", "事件不存在", "no such incident");
  if (store_incident_get(h->st, h->param, &sc, &inc, &e)) {
    /* An incident the caller may not see does not exist for the caller: the same 404. */
    if (!strcmp(e.code, "not_found")) return fail(h->rs, "not_found", "id", "事件不存在", "no such incident");
    return api_error(h->rs, &e);
  }
  return ok(h->rs, 200, inc);
}

/* --- the route table ------------------------------------------------------------------------------------------ */

#define OPERATORS "operator_reporter", "operator_admin"
#define READERS "operator_reporter", "operator_admin", "authority_officer", "authority_admin", "duty_officer", "national_emergency_office"

typedef struct route {
  const char *method, *pattern; /* "{id}" matches one path segment */
  int auth;                     /* 0 anonymous, 1 any logged-in user */
  const char *roles[9];         /* allowed roles; empty = every role */
  int (*fn)(hctx *h);
  const char *summary_zh, *summary_en, *tag;
  int body;                     /* 1 when it takes a JSON body */
} route;

static const route routes[] = {
    {"GET", "/healthz", 0, {0}, h_healthz, "健康检查", "health check", "service", 0},
    {"GET", "/api/v1/openapi.json", 0, {0}, h_openapi, "本 API 的 OpenAPI 文档", "this API's OpenAPI document", "service", 0},
    {"POST", "/api/v1/session", 0, {0}, h_login, "登录（设置会话 Cookie，返回 CSRF 令牌）", "log in (sets the session cookie, returns the CSRF token)", "session", 1},
    {"GET", "/api/v1/session", 1, {0}, h_whoami, "当前用户", "the current user", "session", 0},
    {"DELETE", "/api/v1/session", 1, {0}, h_logout, "注销", "log out", "session", 0},
    {"POST", "/api/v1/assess", 1, {0}, h_assess, "评估事件级别与报告义务（不存储）", "grade an incident and list its obligations (nothing stored)", "rules", 1},
    {"POST", "/api/v1/incidents", 1, {OPERATORS}, h_incident_create, "提交事件初报", "file an initial report", "incidents", 1},
    {"GET", "/api/v1/incidents", 1, {READERS}, h_incident_list, "事件列表（按权限范围，游标分页）", "incidents in the caller's scope, cursor-paged", "incidents", 0},
    {"GET", "/api/v1/incidents/{id}", 1, {READERS}, h_incident_get, "事件详情（含全部报告版本与义务）", "one incident with every report version and obligation", "incidents", 0},
};

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

static int dispatch(const api_ctx *ctx, const http_request *rq, http_response *rs) {
  const char *al = http_header(rq, "Accept-Language");
  lang_set(al && !strncmp(al, "en", 2) ? LANG_EN : LANG_ZH);
  char param[64] = "";
  const route *r = NULL;
  int path_known = 0;
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
    if (match(routes[i].pattern, rq->path, param, sizeof param)) {
      path_known = 1;
      if (!strcmp(routes[i].method, rq->method)) {
        r = &routes[i];
        break;
      }
    }
  if (!r) {
    if (!path_known) return fail(rs, "not_found", "", "没有这个路径", "no such route");
    fail(rs, "method_not_allowed", "", "该路径不支持此方法", "method not allowed on this path");
    rs->status = 405;
    return -1;
  }
  cirs_err e = {0};
  store *st = thread_store(ctx, &e);
  if (!st) return api_error(rs, &e);
  caller c;
  if (authenticate(st, rq, &c, &e)) return api_error(rs, &e);
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
  hctx h = {ctx, st, &c, rq, rs, param};
  int rc = r->fn(&h);
  json_decref(c.p);
  return rc;
}

void api_handle(void *app, const http_request *rq, http_response *rs) { dispatch(app, rq, rs); }

json_t *api_openapi(void) {
  json_t *paths = json_object();
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    const route *r = &routes[i];
    json_t *item = json_object_get(paths, r->pattern);
    if (!item) json_object_set_new(paths, r->pattern, item = json_object());
    char lower[8];
    size_t n = strlen(r->method);
    for (size_t k = 0; k <= n && k < sizeof lower; k++) lower[k] = (char)(r->method[k] >= 'A' && r->method[k] <= 'Z' ? r->method[k] + 32 : r->method[k]);
    json_t *op = json_pack("{s:s, s:s, s:[s], s:{s:{s:s}, s:{s:s, s:{s:{s:{s:s}}}}}}", "summary", r->summary_en, "description", r->summary_zh,
                           "tags", r->tag, "responses", "200", "description", "success", "default", "description",
                           "error: {\"error\":{code,message,field}}", "content", "application/json", "schema", "$ref",
                           "#/components/schemas/Error");
    char opid[96];
    snprintf(opid, sizeof opid, "%s_%zu", lower, i);
    json_object_set_new(op, "operationId", json_string(opid));
    if (r->auth) json_object_set_new(op, "security", json_pack("[{s:[]}, {s:[]}]", "bearer", "session"));
    else json_object_set_new(op, "security", json_array());
    if (r->roles[0]) {
      json_t *roles = json_array();
      for (int k = 0; r->roles[k]; k++) json_array_append_new(roles, json_string(r->roles[k]));
      json_object_set_new(op, "x-roles", roles);
    }
    if (strstr(r->pattern, "{id}"))
      json_object_set_new(op, "parameters", json_pack("[{s:s, s:s, s:b, s:{s:s}}]", "name", "id", "in", "path", "required", 1, "schema", "type", "string"));
    if (r->body)
      json_object_set_new(op, "requestBody", json_pack("{s:b, s:{s:{s:{s:s}}}}", "required", 1, "content", "application/json", "schema", "type", "object"));
    json_object_set_new(item, lower, op);
  }
  return json_pack("{s:s, s:{s:s, s:s, s:s}, s:o, s:{s:{s:{s:s, s:{s:{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}}}}}}, s:{s:{s:s, s:s}, s:{s:s, s:s, s:s}}}}",
                   "openapi", "3.0.3", "info", "title", "CIRS API", "version", "1", "description",
                   "网络安全事件报告与应急处置系统 — cybersecurity incident reporting and emergency response", "paths", paths, "components",
                   "schemas", "Error", "type", "object", "properties", "error", "type", "object", "properties", "code", "type", "string", "message",
                   "type", "string", "field", "type", "string", "securitySchemes", "bearer", "type", "http", "scheme", "bearer", "session", "type",
                   "apiKey", "in", "cookie", "name", "cirs_session");
}
