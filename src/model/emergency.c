/* emergency.c — warnings (预警), emergency responses (应急响应) and investigations (调查评估), issue 5.
 *
 * Who may do what comes from the rule packs (rules_warning_rule, rules_response_rule): the issuer's authority type
 * decides the highest warning level and the scope it may cover; the starter's type decides the response levels it
 * may start, who must decide (municipal plans name deciders) and how it ends ("谁启动，谁结束"; level I: proposed
 * by the emergency office, approved by the command). Each command is one transaction with its events and its
 * notifications (outbox). A warning's measures with time limits become obligations of every recipient; ending a
 * response creates the investigation obligation (30 days), met by submitting the investigation report. Drills run
 * the same way, labelled in every message and kept out of statistics and the compliance ledger. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/timeutil.h"
#include "../notify/notify.h"
#include "commands.h"

#define OFFSET_MIN 480
#define TEXT_MAX 5000       /* matters, update texts, summaries (bytes) */
#define TITLE_MAX 200
#define MEASURES_MAX 20
#define SCOPE_ITEMS_MAX 40
#define RESPONSE_INCIDENTS_MAX 50
#define INVESTIGATION_MAX (64 * 1024) /* bytes of the report document */

static const char *jstr(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static int64_t jint(const json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

static int only(const json_t *doc, const char *const *keys, cirs_err *e) {
  if (!json_is_object(doc)) return err_set(e, "wrong_type", "", L("应为 JSON 对象", "a JSON object expected"));
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)doc, k, v) {
    int ok = 0;
    for (const char *const *x = keys; *x; x++) ok |= !strcmp(*x, k);
    if (!ok) return err_set(e, "unknown_field", k, k);
  }
  return 0;
}

/* A string field: required or not, 1..max bytes. */
static int text(const json_t *doc, const char *k, int required, size_t max, const char **out, cirs_err *e) {
  json_t *v = json_object_get(doc, k);
  *out = NULL;
  if (!v || json_is_null(v)) return required ? err_set(e, "missing_field", k, k) : 0;
  if (!json_is_string(v)) return err_set(e, "wrong_type", k, L("应为字符串", "string expected"));
  if (!json_string_length(v)) return err_set_msg(e, "bad_value", k, L("不能为空", "must not be empty"));
  if (json_string_length(v) > max) {
    char m[24];
    snprintf(m, sizeof m, "%zu", max);
    return err_set(e, "too_large", k, m);
  }
  *out = json_string_value(v);
  return 0;
}

static int flag(const json_t *doc, const char *k, int *out, cirs_err *e) {
  json_t *v = json_object_get(doc, k);
  if (v && !json_is_boolean(v)) return err_set(e, "wrong_type", k, L("应为 true 或 false", "true or false expected"));
  *out = json_is_true(v);
  return 0;
}

static int finish(store *st, int rc, cirs_err *e) {
  if (!rc) rc = store_commit(st, e);
  if (rc) store_rollback(st);
  return rc;
}

/* The caller's authority row (with its ancestors), or forbidden for callers without one. */
static int my_authority(store *st, const json_t *who, json_t **auth, cirs_err *e) {
  const char *code = jstr(who, "authority");
  if (!code) return err_set_msg(e, "forbidden", "", L("只有机关用户可以这样做", "only users of an authority can do this"));
  return store_authority_get(st, code, auth, e);
}

static int is_ancestor(const json_t *auth, int64_t id) {
  size_t i;
  json_t *x;
  json_array_foreach(json_object_get(auth, "ancestors"), i, x) if (json_integer_value(x) == id) return 1;
  return 0;
}

/* --- warnings ------------------------------------------------------------------------------------------------- */

/* scope {provinces, sectors, departments}: arrays of short codes, at least one entry in all. */
static int check_scope(const json_t *scope, cirs_err *e) {
  static const char *const keys[] = {"provinces", "sectors", "departments", NULL};
  if (!scope) return err_set(e, "missing_field", "scope", "scope");
  if (only(scope, keys, e)) {
    if (strcmp(e->code, "unknown_field") == 0) {
      char f[ERR_FIELD_MAX];
      snprintf(f, sizeof f, "scope.%.60s", e->field);
      snprintf(e->field, sizeof e->field, "%s", f);
    } else snprintf(e->field, sizeof e->field, "scope");
    return -1;
  }
  size_t total = 0;
  for (const char *const *k = keys; *k; k++) {
    json_t *a = json_object_get(scope, *k), *x;
    char f[64];
    snprintf(f, sizeof f, "scope.%s", *k);
    if (!a) continue;
    if (!json_is_array(a)) return err_set(e, "wrong_type", f, L("应为字符串数组", "array of strings expected"));
    if (json_array_size(a) > SCOPE_ITEMS_MAX) return err_set(e, "too_large", f, "40");
    size_t i;
    json_array_foreach(a, i, x) {
      if (!json_is_string(x) || !json_string_length(x) || json_string_length(x) > MODEL_CODE_MAX)
        return err_set_msg(e, "bad_value", f, L("应为代码（如省份 140000、行业 energy）", "codes expected (a province 140000, a sector energy)"));
      if (!strcmp(*k, "provinces") && (json_string_length(x) != 6 || strspn(json_string_value(x), "0123456789") != 6 || strcmp(json_string_value(x) + 2, "0000")))
        return err_set_msg(e, "bad_value", f, L("省份应为 6 位代码，如 140000", "provinces are 6-digit codes such as 140000"));
    }
    total += json_array_size(a);
  }
  if (!total) return err_set_msg(e, "bad_value", "scope", L("预警须写明可能影响的省份、行业或部门", "a warning names the provinces, sectors or departments it may affect"));
  return 0;
}

/* Does `scope` stay inside what an issuer with rule scope `kind` and jurisdiction `auth` may cover? */
static int scope_allowed(const char *kind, const json_t *auth, const json_t *scope, cirs_err *e) {
  if (!strcmp(kind, "any")) return 0;
  static const struct {
    const char *kind, *list, *col, *zh, *en;
  } rules[] = {{"own_province", "provinces", "province", "本机关只能对本省（区、市）发布预警；跨省、跨行业的预警由国家应急办发布",
                "your authority issues warnings for its own province only; warnings across provinces or sectors are issued by the national emergency office"},
               {"own_sector", "sectors", "sector", "本机关只能对本行业发布预警", "your authority issues warnings for its own sector only"},
               {"own_department", "departments", "department", "本机关只能对本部门发布预警", "your authority issues warnings for its own department only"}};
  for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
    if (strcmp(kind, rules[r].kind)) continue;
    const char *mine = jstr(auth, rules[r].col);
    char f[40];
    snprintf(f, sizeof f, "scope.%s", rules[r].list);
    json_t *a = json_object_get(scope, rules[r].list);
    int bad = !mine || json_array_size(a) != 1 || strcmp(json_string_value(json_array_get(a, 0)), mine);
    static const char *const lists[] = {"provinces", "sectors", "departments"};
    for (int k = 0; k < 3; k++)
      if (strcmp(lists[k], rules[r].list) && json_array_size(json_object_get(scope, lists[k]))) {
        bad = 1;
        snprintf(f, sizeof f, "scope.%s", lists[k]);
      }
    return bad ? err_set_msg(e, "forbidden", f, L(rules[r].zh, rules[r].en)) : 0;
  }
  return err_set(e, "internal", "scope", kind);
}

/* measures [{text, within?}]: within an ISO 8601 duration. */
static int check_measures(const json_t *m, cirs_err *e) {
  static const char *const keys[] = {"text", "within", NULL};
  if (!m) return 0;
  if (!json_is_array(m)) return err_set(e, "wrong_type", "measures", L("应为数组", "array expected"));
  if (json_array_size(m) > MEASURES_MAX) return err_set(e, "too_large", "measures", "20");
  size_t i;
  json_t *x;
  json_array_foreach(m, i, x) {
    char f[40];
    snprintf(f, sizeof f, "measures[%zu]", i);
    if (only(x, keys, e)) {
      snprintf(e->field, sizeof e->field, "%s", f);
      return -1;
    }
    const char *t, *w;
    if (text(x, "text", 1, 1000, &t, e) || text(x, "within", 0, 20, &w, e)) {
      char g[ERR_FIELD_MAX];
      snprintf(g, sizeof g, "%s.%.30s", f, e->field);
      snprintf(e->field, sizeof e->field, "%s", g);
      return -1;
    }
    time_dur d;
    if (w && (time_parse_duration(w, &d) || (d.ms <= 0 && d.days <= 0 && d.months <= 0 && d.years <= 0))) {
      snprintf(f, sizeof f, "measures[%zu].within", i);
      return err_set_msg(e, "bad_value", f, L("应为 ISO 8601 时长，如 PT24H、P3D", "an ISO 8601 duration such as PT24H or P3D"));
    }
  }
  return 0;
}

static json_t *warning_vars(const json_t *w, const json_t *rule_level, const char *issuer_name) {
  char mz[2000] = "", me[2000] = "";
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(w, "measures"), i, m) {
    const char *within = jstr(m, "within");
    size_t lz = strlen(mz), le = strlen(me);
    snprintf(mz + lz, sizeof mz - lz, "%s%zu. %s%s%s%s", i ? "；" : "", i + 1, jstr(m, "text"), within ? "（时限 " : "", within ? within : "", within ? "）" : "");
    snprintf(me + le, sizeof me - le, "%s%zu. %s%s%s%s", i ? "; " : "", i + 1, jstr(m, "text"), within ? " (within " : "", within ? within : "", within ? ")" : "");
  }
  return json_pack("{s:O, s:O, s:s, s:O?, s:O?, s:O, s:b, s:s, s:s, s:s, s:s}", "ref", json_object_get(w, "ref"), "title", json_object_get(w, "title"),
                   "grade", "", "level_zh", json_object_get(rule_level, "zh"), "level_en", json_object_get(rule_level, "en"), "matters",
                   json_object_get(w, "matters"), "drill", json_is_true(json_object_get(w, "drill")) || jint(w, "drill") == 1, "issuer",
                   issuer_name ? issuer_name : "", "measures_zh", *mz ? mz : "无", "measures_en", *me ? me : "none", "reason", "");
}

/* Notifies every recipient of warning `w` (as stored, with recipients). */
static int notify_recipients(store *st, const char *kind, const json_t *w, const json_t *vars, cirs_err *e) {
  size_t n = json_array_size(json_object_get(w, "recipients")), i;
  if (!n) return 0;
  notify_target *t = calloc(n, sizeof *t);
  json_t *r;
  json_array_foreach(json_object_get(w, "recipients"), i, r) t[i] = (notify_target){jint(r, "authority_id"), jint(r, "organisation_id")};
  int rc = notify_send(st, model_last_event_id(), kind, 0, t, (int)n, vars, e);
  free(t);
  return rc;
}

/* The warning level row of `level` in the grading pack (a new reference, or NULL). */
static json_t *level_row(const rules_set *rs, int64_t at, const char *level) {
  json_t *levels = rules_warning_levels(rs, at), *x, *found = NULL;
  size_t i;
  json_array_foreach(levels, i, x) if (!strcmp(jstr(x, "id"), level)) found = json_incref(x);
  json_decref(levels);
  return found;
}

int model_warning_issue(store *st, const rules_set *rs, const json_t *who, const json_t *doc, json_t **result, cirs_err *e) {
  static const char *const keys[] = {"level", "title", "matters", "category", "scope", "measures", "starts_at", "drill", NULL};
  *result = NULL;
  const char *level, *title, *matters, *category, *starts;
  int drill = 0;
  int64_t now = time_now_ms(), starts_ms = now;
  if (only(doc, keys, e) || text(doc, "level", 1, 20, &level, e) || text(doc, "title", 1, TITLE_MAX, &title, e) ||
      text(doc, "matters", 1, TEXT_MAX, &matters, e) || text(doc, "category", 0, 64, &category, e) || text(doc, "starts_at", 0, 40, &starts, e) ||
      flag(doc, "drill", &drill, e) || check_scope(json_object_get(doc, "scope"), e) || check_measures(json_object_get(doc, "measures"), e))
    return -1;
  if (starts && time_parse_rfc3339(starts, &starts_ms, NULL))
    return err_set_msg(e, "bad_value", "starts_at", L("应为带时区的 RFC 3339 时间", "an RFC 3339 time with offset expected"));
  json_t *cat = NULL;
  if (category && !(cat = rules_category(rs, category)))
    return err_set_msg(e, "bad_value", "category", L("未知的事件分类（GB/T 20986-2023 代码或名称）", "unknown category (a GB/T 20986-2023 code or name)"));
  json_t *auth = NULL, *rule = NULL;
  if (my_authority(st, who, &auth, e) || rules_warning_rule(rs, now, jstr(auth, "type"), level, &rule, e) ||
      scope_allowed(jstr(rule, "scope"), auth, json_object_get(doc, "scope"), e)) {
    json_decref(auth);
    json_decref(rule);
    json_decref(cat);
    return -1;
  }
  json_t *measures = json_object_get(doc, "measures") ? json_incref(json_object_get(doc, "measures")) : json_array();
  json_t *w = json_pack("{s:O, s:O, s:s, s:s?, s:s, s:s, s:O, s:O, s:I, s:b, s:s, s:I}", "issuer_id", json_object_get(auth, "id"), "scheme",
                        json_object_get(rule, "scheme"), "level", level, "category", cat ? jstr(cat, "code") : NULL, "title", title, "matters",
                        matters, "measures", measures, "scope", json_object_get(doc, "scope"), "starts_ms", (json_int_t)starts_ms, "drill", drill,
                        "created_by", jstr(who, "username"), "now", (json_int_t)now);
  int64_t id = 0, count = 0;
  char ref[40] = "";
  json_t *stored = NULL;
  int rc = store_begin(st, e) || store_warning_insert(st, w, &id, ref, e) ||
           store_warning_recipients_fill(st, id, jint(auth, "id"), json_object_get(doc, "scope"), &count, e) ||
           model_event_add(st, jstr(who, "username"), "warning.issued", "warning", id,
                           json_pack("{s:s, s:s, s:s, s:O, s:O, s:I, s:b}", "ref", ref, "issuer", jstr(auth, "code"), "level", level, "scope",
                                     json_object_get(doc, "scope"), "measures", measures, "recipients", (json_int_t)count, "drill", drill),
                           e) ||
           store_warning_get(st, ref, &stored, e);
  if (!rc) {
    json_t *vars = warning_vars(stored, json_object_get(rule, "level"), jstr(auth, "name"));
    rc = notify_recipients(st, "warning.issued", stored, vars, e);
    json_decref(vars);
  }
  /* The measures' time limits: one obligation per recipient and measure, towards the issuer. */
  size_t i, k;
  json_t *m, *r;
  json_array_foreach(measures, i, m) {
    time_dur d;
    if (rc || !jstr(m, "within") || time_parse_duration(jstr(m, "within"), &d)) continue;
    json_array_foreach(json_object_get(stored, "recipients"), k, r) {
      if (rc) break;
      char route[48], src[200];
      snprintf(route, sizeof route, "WARNING/%zu", i + 1); /* the measure's number */
      snprintf(src, sizeof src, "%s 措施 %zu / measure %zu", ref, i + 1, i + 1);
      json_t *to = json_pack("[s]", jstr(auth, "type")), *to_auth = json_pack("[{s:s, s:s}]", "recipient", jstr(auth, "type"), "authority", jstr(auth, "code"));
      int is_org = jint(r, "organisation_id") != 0;
      model_obligation o = {.regime = "CN", .route = route, .kind = "warning_measure", .from_party = is_org ? "operator" : "warning_recipient",
                            .from_authority = is_org ? NULL : jstr(r, "authority"), .to_parties = to, .to_authorities = to_auth,
                            .max = jstr(m, "within"), .relative_to = "warning", .due_ms = time_add(starts_ms, &d, OFFSET_MIN), .hard = 0,
                            .status = "pending", .met_ms = MODEL_NO_TIME, .source = src, .confidence = "confirmed", .warning_id = id,
                            .organisation_id = jint(r, "organisation_id")};
      rc = store_obligation_insert(st, &o, e);
      json_decref(to);
      json_decref(to_auth);
    }
  }
  rc = finish(st, rc, e);
  json_decref(stored);
  json_decref(w);
  json_decref(measures);
  json_decref(auth);
  json_decref(cat);
  if (rc) {
    json_decref(rule);
    return -1;
  }
  if (store_warning_get(st, ref, result, e)) {
    json_decref(rule);
    return -1;
  }
  json_object_set(*result, "rule", rule);
  json_decref(rule);
  return 0;
}

/* The warning `id` and whether the caller's authority issued it or is above its issuer. */
static int load_warning(store *st, int64_t id, json_t **w, cirs_err *e) {
  char key[24];
  snprintf(key, sizeof key, "%lld", (long long)id);
  return store_warning_get(st, key, w, e);
}

int model_warning_change(store *st, const rules_set *rs, const json_t *who, int64_t id, const json_t *doc, int lift, json_t **result, cirs_err *e) {
  static const char *const ukeys[] = {"level", "title", "matters", NULL}, *const lkeys[] = {"reason", NULL};
  *result = NULL;
  const char *level = NULL, *title = NULL, *matters = NULL, *reason = NULL;
  if (lift ? (only(doc, lkeys, e) || text(doc, "reason", 1, TEXT_MAX, &reason, e))
           : (only(doc, ukeys, e) || text(doc, "level", 0, 20, &level, e) || text(doc, "title", 0, TITLE_MAX, &title, e) ||
              text(doc, "matters", 0, TEXT_MAX, &matters, e)))
    return -1;
  if (!lift && !level && !title && !matters) return err_set_msg(e, "missing_field", "", L("没有要调整的内容（level、title、matters）", "nothing to change (level, title, matters)"));
  json_t *w = NULL, *auth = NULL, *issuer = NULL, *rule = NULL;
  int64_t now = time_now_ms();
  int rc = load_warning(st, id, &w, e) || my_authority(st, who, &auth, e);
  if (!rc) {
    /* the caller must be the issuer or above it: the issuer's ancestors include the caller */
    rc = store_authority_get(st, jstr(w, "issuer"), &issuer, e);
    if (!rc && jint(auth, "id") != jint(w, "issuer_id") && !is_ancestor(issuer, jint(auth, "id")))
      rc = err_set_msg(e, "forbidden", "", L("只有发布预警的机关（或其上级）可以调整或解除预警", "only the issuing authority (or its superior) changes or lifts a warning"));
  }
  if (!rc && strcmp(jstr(w, "status"), "active"))
    rc = err_set_msg(e, "conflict", "", L("预警已解除", "the warning has been lifted"));
  /* A changed level must still be within the issuer's power. */
  if (!rc && level) rc = rules_warning_rule(rs, now, jstr(w, "issuer_type"), level, &rule, e);
  json_t *changes = lift ? json_pack("{s:s, s:I, s:s, s:s, s:I}", "status", "lifted", "lifted_ms", (json_int_t)now, "lifted_by", jstr(who, "username"),
                                     "lift_reason", reason, "updated_ms", (json_int_t)now)
                         : json_pack("{s:I}", "updated_ms", (json_int_t)now);
  if (level) json_object_set_new(changes, "level", json_string(level));
  if (title) json_object_set_new(changes, "title", json_string(title));
  if (matters) json_object_set_new(changes, "matters", json_string(matters));
  if (!rc) rc = store_begin(st, e);
  else {
    json_decref(changes);
    json_decref(w);
    json_decref(auth);
    json_decref(issuer);
    json_decref(rule);
    return -1;
  }
  rc = store_warning_set(st, id, changes, e) ||
       model_event_add(st, jstr(who, "username"), lift ? "warning.lifted" : "warning.updated", "warning", id,
                       json_pack("{s:O, s:O}", "ref", json_object_get(w, "ref"), "changes", changes), e);
  json_t *now_w = NULL;
  if (!rc) rc = load_warning(st, id, &now_w, e);
  if (!rc) {
    json_t *lv = level_row(rs, now, jstr(now_w, "level")), *vars = warning_vars(now_w, lv, jstr(issuer, "name"));
    json_decref(lv);
    if (reason) json_object_set_new(vars, "reason", json_string(reason));
    rc = notify_recipients(st, lift ? "warning.lifted" : "warning.updated", now_w, vars, e);
    json_decref(vars);
  }
  rc = finish(st, rc, e);
  json_decref(changes);
  json_decref(w);
  json_decref(auth);
  json_decref(issuer);
  json_decref(rule);
  if (rc) {
    json_decref(now_w);
    return -1;
  }
  *result = now_w;
  return 0;
}

int model_warning_ack(store *st, const json_t *who, int64_t id, const json_t *doc, json_t **result, cirs_err *e) {
  static const char *const keys[] = {"measures_done", "note", NULL};
  *result = NULL;
  const char *note;
  if (only(doc, keys, e) || text(doc, "note", 0, TEXT_MAX, &note, e)) return -1;
  json_t *done = json_object_get(doc, "measures_done"), *x;
  size_t i;
  if (done && !json_is_array(done)) return err_set(e, "wrong_type", "measures_done", L("应为措施序号数组（从 1 起）", "an array of measure numbers (from 1)"));
  json_t *w = NULL;
  if (load_warning(st, id, &w, e)) return -1;
  json_array_foreach(done, i, x) if (!json_is_integer(x) || json_integer_value(x) < 1 || (size_t)json_integer_value(x) > json_array_size(json_object_get(w, "measures"))) {
    json_decref(w);
    return err_set_msg(e, "bad_value", "measures_done", L("措施序号超出范围", "measure number out of range"));
  }
  int64_t aid = jint(who, "authority_id"), oid = aid ? 0 : jint(who, "organisation_id"), now = time_now_ms();
  int first = 1;
  int rc = store_begin(st, e);
  if (!rc && store_warning_ack(st, id, aid, oid, jstr(who, "username"), now, e)) {
    /* Already acknowledged: a later call may still report measures done. */
    if (!strcmp(e->code, "conflict") && json_array_size(done)) first = 0;
    else rc = -1;
  }
  if (!rc && first)
    rc = model_event_add(st, jstr(who, "username"), "warning.acknowledged", "warning", id,
                         json_pack("{s:O, s:s?, s:s?, s:s?}", "ref", json_object_get(w, "ref"), "authority", jstr(who, "authority"), "organisation",
                                   aid ? NULL : jstr(who, "organisation"), "note", note),
                         e);
  /* Measures reported done meet this recipient's obligations for them. */
  if (!rc && json_array_size(done)) {
    store_filter f = {.scope = {.organisation_id = oid, .authority_id = aid}, .limit = STORE_LIST_MAX, .now_ms = now};
    json_t *obls = json_array(), *page = NULL, *o;
    do { /* every page of the caller's obligations */
      json_decref(page);
      page = NULL;
      rc = store_obligation_list(st, &f, &page, e);
      if (!rc) json_array_extend(obls, page);
      if (!rc && json_array_size(page)) f.after_id = jint(json_array_get(page, json_array_size(page) - 1), "id");
    } while (!rc && json_array_size(page) == STORE_LIST_MAX);
    json_decref(page);
    size_t k;
    json_array_foreach(obls, k, o) {
      if (rc) break;
      if (jint(o, "warning_id") != id || (strcmp(jstr(o, "status"), "pending") && strcmp(jstr(o, "status"), "overdue"))) continue;
      if (aid && (!jstr(o, "from_authority") || strcmp(jstr(o, "from_authority"), jstr(who, "authority")))) continue;
      int hit = 0;
      json_array_foreach(done, i, x) {
        char route[48];
        snprintf(route, sizeof route, "WARNING/%lld", (long long)json_integer_value(x));
        hit |= !strcmp(jstr(o, "route"), route);
      }
      if (!hit) continue;
      int late = json_is_integer(json_object_get(o, "due_ms")) && now > jint(o, "due_ms");
      rc = store_obligation_update(st, jint(o, "id"), late ? "late" : "met", json_is_integer(json_object_get(o, "due_ms")) ? jint(o, "due_ms") : MODEL_NO_TIME,
                                   now, e) ||
           model_event_add(st, jstr(who, "username"), "obligation.met", "obligation", jint(o, "id"),
                           json_pack("{s:s, s:s, s:O}", "kind", "warning_measure", "status", late ? "late" : "met", "warning", json_object_get(w, "ref")), e);
    }
    json_decref(obls);
  }
  rc = finish(st, rc, e);
  json_decref(w);
  if (rc || load_warning(st, id, &w, e)) return -1;
  *result = w;
  return 0;
}

/* --- responses ------------------------------------------------------------------------------------------------ */

static int load_response(store *st, int64_t id, json_t **r, cirs_err *e) {
  char key[24];
  snprintf(key, sizeof key, "%lld", (long long)id);
  return store_response_get(st, key, r, e);
}

static int notify_orgs(store *st, const char *kind, const json_t *resp, const json_t *vars, cirs_err *e) {
  size_t n = json_array_size(json_object_get(resp, "incidents")), i, m = 0;
  notify_target *t = calloc(n + 1, sizeof *t);
  json_t *x;
  json_array_foreach(json_object_get(resp, "incidents"), i, x) {
    int seen = 0;
    for (size_t k = 0; k < m; k++) seen |= t[k].organisation_id == jint(x, "organisation_id");
    if (!seen) t[m++] = (notify_target){0, jint(x, "organisation_id")};
  }
  int rc = m ? notify_send(st, model_last_event_id(), kind, jint(json_array_get(json_object_get(resp, "incidents"), 0), "id"), t, (int)m, vars, e) : 0;
  free(t);
  return rc;
}

static json_t *response_vars(const json_t *r, const char *starter) {
  char list[600] = "";
  size_t i;
  json_t *x;
  json_array_foreach(json_object_get(r, "incidents"), i, x) {
    size_t n = strlen(list);
    snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", jstr(x, "ref"));
  }
  return json_pack("{s:O, s:O, s:s, s:b, s:O, s:O, s:s, s:s, s:s}", "ref", json_object_get(r, "ref"), "title", json_object_get(r, "title"), "grade", "",
                   "drill", jint(r, "drill") == 1, "level_zh", json_object_get(r, "level"), "level_en", json_object_get(r, "level"), "starter",
                   starter ? starter : "", "incidents", list, "due", "");
}

int model_response_start(store *st, const rules_set *rs, const json_t *who, const scope_check_fn visible, void *vctx, const json_t *doc,
                         json_t **result, cirs_err *e) {
  static const char *const keys[] = {"level", "title", "incidents", "decider", "warning", NULL};
  *result = NULL;
  const char *level, *title, *warning;
  if (only(doc, keys, e) || text(doc, "level", 1, 20, &level, e) || text(doc, "title", 1, TITLE_MAX, &title, e) ||
      text(doc, "warning", 0, 40, &warning, e))
    return -1;
  json_t *incs = json_object_get(doc, "incidents"), *x;
  if (!incs) return err_set(e, "missing_field", "incidents", "incidents");
  if (!json_is_array(incs) || !json_array_size(incs))
    return err_set_msg(e, "bad_value", "incidents", L("应急响应须写明涉及的事件（编号或受理号）", "a response names the incidents it covers (ids or refs)"));
  if (json_array_size(incs) > RESPONSE_INCIDENTS_MAX) return err_set(e, "too_large", "incidents", "50");
  int64_t now = time_now_ms();
  json_t *auth = NULL, *rule = NULL, *ids = json_array(), *warn = NULL;
  int rc = my_authority(st, who, &auth, e) || rules_response_rule(rs, now, jstr(auth, "type"), level, &rule, e);
  /* Every incident must be one the caller may see; drills and real incidents do not mix. */
  size_t i;
  int drills = 0;
  json_array_foreach(incs, i, x) {
    if (rc) break;
    char key[64], f[32];
    snprintf(f, sizeof f, "incidents[%zu]", i);
    if (json_is_integer(x)) snprintf(key, sizeof key, "%lld", (long long)json_integer_value(x));
    else if (json_is_string(x) && json_string_length(x) < sizeof key) snprintf(key, sizeof key, "%s", json_string_value(x));
    else {
      rc = err_set(e, "wrong_type", f, L("应为事件编号或受理号", "an incident id or ref expected"));
      break;
    }
    json_t *inc = NULL;
    if (visible(vctx, key, &inc, e)) {
      snprintf(e->field, sizeof e->field, "%s", f);
      rc = -1;
      break;
    }
    drills += jint(inc, "drill") == 1;
    json_array_append_new(ids, json_integer(jint(inc, "id")));
    json_decref(inc);
  }
  if (!rc && drills && drills != (int)json_array_size(ids))
    rc = err_set_msg(e, "bad_value", "incidents", L("演练事件与真实事件不能放在同一个应急响应中", "drill and real incidents do not share a response"));
  /* Plans that name deciders (Jincheng: 指挥长 / 副指挥长 / 办公室主任) need the decision recorded. */
  json_t *decider = json_object_get(doc, "decider");
  if (!rc && json_is_array(json_object_get(rule, "deciders"))) {
    static const char *const dkeys[] = {"role", "name", NULL};
    const char *role, *name;
    if (!decider) rc = err_set_msg(e, "missing_field", "decider", L("该级响应须写明决定人 {role, name}", "this level needs its decider {role, name}"));
    else if (only(decider, dkeys, e) || text(decider, "role", 1, 40, &role, e) || text(decider, "name", 1, MODEL_NAME_MAX, &name, e)) {
      char g[ERR_FIELD_MAX];
      snprintf(g, sizeof g, "decider.%.40s", e->field);
      snprintf(e->field, sizeof e->field, "%s", g);
      rc = -1;
    } else {
      int ok = 0;
      json_array_foreach(json_object_get(rule, "deciders"), i, x) ok |= !strcmp(json_string_value(x), role);
      if (!ok) {
        char m[300], *d = json_dumps(json_object_get(rule, "deciders"), JSON_COMPACT);
        snprintf(m, sizeof m, L("该级响应应由 %s 决定（%s）", "this level is decided by %s (%s)"), d, jstr(rule, "source"));
        free(d);
        rc = err_set_msg(e, "forbidden", "decider.role", m);
      }
    }
  } else if (!rc && decider)
    rc = err_set_msg(e, "bad_value", "decider", L("该预案未规定决定人", "this plan names no deciders"));
  if (!rc && warning && store_warning_get(st, warning, &warn, e)) {
    snprintf(e->field, sizeof e->field, "warning");
    rc = -1;
  }
  int64_t id = 0;
  char ref[40] = "";
  json_t *r = NULL, *stored = NULL;
  if (!rc) {
    r = json_pack("{s:O, s:O, s:s, s:s, s:O?, s:b, s:I, s:s, s:I, s:O}", "starter_id", json_object_get(auth, "id"), "scheme",
                  json_object_get(rule, "scheme"), "level", level, "title", title, "decider", decider, "drill", drills > 0, "warning_id",
                  (json_int_t)(warn ? jint(warn, "id") : 0), "started_by", jstr(who, "username"), "now", (json_int_t)now, "incidents", ids);
    rc = store_begin(st, e);
    if (!rc) {
      rc = store_response_insert(st, r, &id, ref, e) ||
           model_event_add(st, jstr(who, "username"), "response.started", "response", id,
                           json_pack("{s:s, s:s, s:O, s:O, s:O, s:O?, s:b}", "ref", ref, "starter", jstr(auth, "code"), "scheme",
                                     json_object_get(rule, "scheme"), "level", json_object_get(rule, "level"), "incidents", ids, "decider", decider,
                                     "drill", drills > 0),
                           e) ||
           load_response(st, id, &stored, e);
      if (!rc) {
        json_t *vars = response_vars(stored, jstr(auth, "name"));
        json_object_set(vars, "level_zh", json_object_get(json_object_get(rule, "level"), "zh"));
        json_object_set(vars, "level_en", json_object_get(json_object_get(rule, "level"), "en"));
        rc = notify_orgs(st, "response.started", stored, vars, e);
        json_decref(vars);
      }
      rc = finish(st, rc, e);
    }
  }
  json_decref(r);
  json_decref(ids);
  json_decref(warn);
  json_decref(auth);
  if (rc) {
    json_decref(rule);
    json_decref(stored);
    return -1;
  }
  json_object_set(stored, "rule", rule);
  json_decref(rule);
  *result = stored;
  return 0;
}

/* Staff of the starting authority. */
static int is_starter(const json_t *who, const json_t *resp) { return jint(who, "authority_id") && jint(who, "authority_id") == jint(resp, "starter_id"); }

int model_response_update(store *st, const json_t *who, int64_t id, const json_t *doc, json_t **result, cirs_err *e) {
  static const char *const keys[] = {"kind", "text", NULL};
  *result = NULL;
  const char *kind, *t;
  if (only(doc, keys, e) || text(doc, "kind", 1, 20, &kind, e) || text(doc, "text", 1, TEXT_MAX, &t, e)) return -1;
  if (strcmp(kind, "situation") && strcmp(kind, "progress"))
    return err_set_msg(e, "bad_value", "kind", L("kind 应为 situation（事态发展）或 progress（处置进展）", "kind must be situation or progress"));
  json_t *resp = NULL;
  if (load_response(st, id, &resp, e)) return -1;
  int rc = 0;
  if (!strcmp(jstr(resp, "status"), "ended")) rc = err_set_msg(e, "conflict", "", L("应急响应已结束", "the response has ended"));
  int64_t now = time_now_ms();
  if (!rc) {
    rc = store_begin(st, e) || store_response_update_add(st, id, kind, t, jstr(who, "username"), now, e) ||
         model_event_add(st, jstr(who, "username"), "response.updated", "response", id,
                         json_pack("{s:O, s:s, s:s, s:s?, s:s?}", "ref", json_object_get(resp, "ref"), "kind", kind, "text", t, "authority",
                                   jstr(who, "authority"), "organisation", jstr(who, "organisation")),
                         e);
    rc = finish(st, rc, e);
  }
  json_decref(resp);
  if (rc || load_response(st, id, result, e)) return -1;
  return 0;
}

int model_response_end(store *st, const rules_set *rs, const json_t *who, int64_t id, const json_t *doc, int approve, json_t **result, cirs_err *e) {
  static const char *const keys[] = {"summary", NULL};
  *result = NULL;
  const char *summary;
  if (only(doc, keys, e) || text(doc, "summary", !approve, TEXT_MAX, &summary, e)) return -1;
  json_t *resp = NULL, *rule = NULL, *auth = NULL;
  if (load_response(st, id, &resp, e)) return -1;
  int64_t now = time_now_ms();
  int rc = rules_response_rule(rs, jint(resp, "started_ms"), jstr(resp, "starter_type"), jstr(resp, "level"), &rule, e);
  const char *status = jstr(resp, "status");
  int two_step = !rc && !strcmp(jstr(rule, "end"), "proposal_and_approval");
  if (!rc && !strcmp(status, "ended")) rc = err_set_msg(e, "conflict", "", L("应急响应已结束", "the response has ended"));
  if (!rc && !approve && !is_starter(who, resp))
    rc = err_set_msg(e, "forbidden", "", L("谁启动，谁结束：只有启动该响应的机关可以结束它", "whoever starts it ends it: only the authority that started this response ends it"));
  if (!rc && !approve && two_step && !strcmp(status, "end_proposed")) rc = err_set_msg(e, "conflict", "", L("已提出结束，待批准", "the end is proposed and awaits approval"));
  if (!rc && approve) {
    /* Level I: the command (the leading body above the emergency office) approves the proposed end. */
    json_t *starter = NULL;
    if (!two_step) rc = err_set_msg(e, "conflict", "", L("该级响应无需批准，由启动机关直接结束", "this level needs no approval; its starter ends it"));
    else if (strcmp(status, "end_proposed")) rc = err_set_msg(e, "conflict", "", L("尚未提出结束", "no end has been proposed"));
    else if (strcmp(jstr(who, "role"), "authority_admin") || !jstr(who, "authority") || store_authority_get(st, jstr(resp, "starter"), &starter, e) ||
             !is_ancestor(starter, jint(who, "authority_id")))
      rc = err_set_msg(e, "forbidden", "", L("只有上级领导机构的管理员可以批准结束Ⅰ级响应", "only an admin of the leading body above the starter approves ending a level I response"));
    json_decref(starter);
  }
  if (rc) {
    json_decref(resp);
    json_decref(rule);
    return -1;
  }
  int proposing = two_step && !approve;
  json_t *changes = proposing ? json_pack("{s:s, s:s, s:I, s:s}", "status", "end_proposed", "end_proposed_by", jstr(who, "username"), "end_proposed_ms",
                                          (json_int_t)now, "summary", summary)
                              : json_pack("{s:s, s:s, s:I}", "status", "ended", "ended_by", jstr(who, "username"), "ended_ms", (json_int_t)now);
  if (!proposing && summary) json_object_set_new(changes, "summary", json_string(summary));
  rc = store_begin(st, e) || store_response_set(st, id, changes, e) ||
       model_event_add(st, jstr(who, "username"), proposing ? "response.end_proposed" : "response.ended", "response", id,
                       json_pack("{s:O, s:O}", "ref", json_object_get(resp, "ref"), "changes", changes), e);
  char due_s[TIME_STR_MAX] = "";
  if (!rc && !proposing) {
    /* The investigation and assessment: within 30 days of the end; 特别重大 by the emergency office, others by the
     * starter; 重大 reported to the emergency office. */
    const json_t *inv = rules_investigation(rs, now);
    time_dur d;
    const char *mx = inv ? jstr(inv, "max") : "P30D";
    time_parse_duration(mx, &d);
    const char *worst = "";
    size_t i;
    json_t *x;
    int worst_rank = 0;
    json_array_foreach(json_object_get(resp, "incidents"), i, x) {
      int r = rules_grade_rank(rs, now, jstr(x, "grade"));
      if (r > worst_rank) worst_rank = r, worst = jstr(x, "grade");
    }
    const char *by_type = inv ? jstr(json_object_get(inv, "by"), worst) : NULL, *to_type = inv ? jstr(json_object_get(inv, "report_to"), worst) : NULL;
    char by_code[MODEL_CODE_MAX] = "", to_code[MODEL_CODE_MAX] = "";
    if (by_type) rc = store_authority_match(st, by_type, NULL, NULL, NULL, NULL, by_code, e) < 0;
    if (!rc && to_type) rc = store_authority_match(st, to_type, NULL, NULL, NULL, NULL, to_code, e) < 0;
    if (!rc && !to_type && store_authority_get(st, jstr(resp, "starter"), &auth, e) == 0 && jstr(auth, "parent"))
      snprintf(to_code, sizeof to_code, "%s", jstr(auth, "parent"));
    const char *from_code = *by_code ? by_code : jstr(resp, "starter");
    json_t *to = json_pack("[s]", to_type ? to_type : "superior"), *to_auth = json_pack("[{s:s, s:s?}]", "recipient", to_type ? to_type : "superior",
                                                                                     "authority", *to_code ? to_code : NULL);
    char src[300];
    snprintf(src, sizeof src, "%s", inv ? jstr(inv, "source") : "国家网络安全事件应急预案 5.2");
    model_obligation o = {.incident_id = jint(json_array_get(json_object_get(resp, "incidents"), 0), "id"), .regime = "CN", .route = "RESPONSE",
                          .kind = "investigation", .from_party = by_type ? by_type : jstr(resp, "starter_type"), .from_authority = from_code,
                          .to_parties = to, .to_authorities = to_auth, .max = mx, .relative_to = "response_end",
                          .due_ms = time_add(now, &d, OFFSET_MIN), .hard = 1, .status = "pending", .met_ms = MODEL_NO_TIME, .source = src,
                          .confidence = inv ? jstr(inv, "confidence") : "confirmed", .response_id = id};
    if (!rc) rc = store_obligation_insert(st, &o, e);
    time_format(o.due_ms, OFFSET_MIN, due_s);
    json_decref(to);
    json_decref(to_auth);
  }
  json_t *now_r = NULL;
  if (!rc) rc = load_response(st, id, &now_r, e);
  if (!rc && !proposing) {
    json_t *vars = response_vars(now_r, jstr(resp, "starter"));
    json_object_set_new(vars, "due", json_string(due_s));
    rc = notify_orgs(st, "response.ended", now_r, vars, e);
    json_decref(vars);
  }
  rc = finish(st, rc, e);
  json_decref(changes);
  json_decref(resp);
  json_decref(rule);
  json_decref(auth);
  if (rc) {
    json_decref(now_r);
    return -1;
  }
  *result = now_r;
  return 0;
}

int model_investigation_submit(store *st, const json_t *who, int64_t id, const json_t *doc, json_t **result, cirs_err *e) {
  static const char *const keys[] = {"summary", "causes", "losses", "responsibility", "lessons", "improvements", NULL};
  *result = NULL;
  const char *summary, *v;
  if (only(doc, keys, e) || text(doc, "summary", 1, TEXT_MAX, &summary, e)) return -1;
  for (const char *const *k = keys + 1; *k; k++)
    if (text(doc, *k, 0, TEXT_MAX, &v, e)) return -1;
  json_t *resp = NULL;
  if (load_response(st, id, &resp, e)) return -1;
  int rc = 0;
  if (strcmp(jstr(resp, "status"), "ended")) rc = err_set_msg(e, "conflict", "", L("应急响应结束后才能提交调查评估报告", "the investigation report follows the end of the response"));
  /* The investigation obligation of this response says who reports. */
  json_t *inc = json_array_get(json_object_get(resp, "incidents"), 0), *obls = NULL, *ob = NULL, *o;
  (void)inc;
  /* the response's first incident carries it */
  char key[24];
  snprintf(key, sizeof key, "%lld", (long long)jint(json_array_get(json_object_get(resp, "incidents"), 0), "id"));
  store_scope all = {.all = 1};
  json_t *full = NULL;
  if (!rc) rc = store_incident_get(st, key, &all, &full, e);
  obls = full ? json_incref(json_object_get(full, "obligations")) : NULL;
  json_decref(full);
  size_t i;
  json_array_foreach(obls, i, o) if (jint(o, "response_id") == id && !strcmp(jstr(o, "kind"), "investigation")) ob = o;
  if (!rc && !ob) rc = err_set(e, "not_found", "", L("没有调查评估义务", "no investigation obligation"));
  if (!rc && (!jstr(who, "authority") || strcmp(jstr(who, "authority"), jstr(ob, "from_authority"))))
    rc = err_set_msg(e, "forbidden", "", L("调查评估报告由负责调查的机关提交", "the authority in charge of the investigation submits the report"));
  int64_t now = time_now_ms(), rid = 0;
  if (!rc) {
    const char *st_now = jstr(ob, "status");
    int late = json_is_integer(json_object_get(ob, "due_ms")) && now > jint(ob, "due_ms");
    rc = store_begin(st, e) || store_investigation_insert(st, id, doc, jstr(who, "username"), now, &rid, e);
    if (rc && !strcmp(e->code, "conflict")) err_set_msg(e, "conflict", "", L("调查评估报告已提交", "the investigation report was submitted already"));
    if (!rc && (!strcmp(st_now, "pending") || !strcmp(st_now, "overdue")))
      rc = store_obligation_update(st, jint(ob, "id"), late ? "late" : "met", jint(ob, "due_ms"), now, e) ||
           model_event_add(st, jstr(who, "username"), "obligation.met", "obligation", jint(ob, "id"),
                           json_pack("{s:I, s:s, s:s, s:s}", "incident_id", jint(ob, "incident_id"), "kind", "investigation", "status",
                                     late ? "late" : "met", "by", "investigation"),
                           e);
    if (!rc)
      rc = model_event_add(st, jstr(who, "username"), "investigation.submitted", "response", id,
                           json_pack("{s:O, s:I, s:s}", "ref", json_object_get(resp, "ref"), "investigation_id", (json_int_t)rid, "status", late ? "late" : "met"),
                           e);
    rc = finish(st, rc, e);
  }
  json_decref(obls);
  json_decref(resp);
  if (rc || load_response(st, id, result, e)) return -1;
  return 0;
}
