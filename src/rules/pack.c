/* pack.c — loading and validating rule packs (cirs-rules/1) and the taxonomy (cirs-taxonomy/1).
 *
 * Validation is strict: an unknown key is a problem (a misspelt key would otherwise silently drop a rule),
 * every reference (fact, level, route, recipient) must resolve, every criterion and obligation carries a
 * source and a confidence. Problems are collected as {file, path, reason}; nothing stops at the first. */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/embedded.h"
#include "../common/timeutil.h"
#include "rules_int.h"

typedef struct vctx {
  json_t *problems;
  const char *file;
  int count;
} vctx;

static void prob(vctx *v, const char *path, const char *fmt, ...) {
  char reason[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  v->count++;
  if (v->problems)
    json_array_append_new(v->problems, json_pack("{s:s, s:s, s:s}", "file", v->file, "path", path, "reason", reason));
}

/* Formats a JSON path into buf. */
static const char *P(char *buf, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, n, fmt, ap);
  va_end(ap);
  return buf;
}

#define PATH_MAX_LEN 256

static int in_list(const char *s, const char *const *list) {
  for (; *list; list++)
    if (strcmp(s, *list) == 0) return 1;
  return 0;
}

/* Reports keys of `obj` not in `allowed`. */
static void only_keys(vctx *v, const char *path, const json_t *obj, const char *const *allowed) {
  const char *k;
  json_t *val;
  char p[PATH_MAX_LEN];
  json_object_foreach((json_t *)obj, k, val) {
    (void)val;
    if (!in_list(k, allowed)) prob(v, P(p, sizeof p, "%s.%s", path, k), L("未知的键", "unknown key"));
  }
}

/* Starts checking element i of the array at `arr`: sets the element's path in p, reports a non-object and
 * unknown keys. Returns -1 when the element is not an object (nothing more to check). */
static int row_begin(vctx *v, char *p, size_t n, const char *arr, size_t i, const json_t *row, const char *const *keys) {
  P(p, n, "%s[%zu]", arr, i);
  if (!json_is_object(row)) {
    prob(v, p, L("必须是对象", "must be an object"));
    return -1;
  }
  only_keys(v, p, row, keys);
  return 0;
}

static const char *req_str(vctx *v, const char *path, const json_t *obj, const char *key, size_t maxlen) {
  char p[PATH_MAX_LEN];
  json_t *x = json_object_get(obj, key);
  P(p, sizeof p, "%s.%s", path, key);
  if (!x) {
    prob(v, p, L("缺少必填键", "required key missing"));
    return NULL;
  }
  if (!json_is_string(x) || json_string_length(x) == 0) {
    prob(v, p, L("必须是非空字符串", "must be a non-empty string"));
    return NULL;
  }
  if (json_string_length(x) > maxlen) {
    prob(v, p, L("字符串过长（上限 %zu）", "string too long (limit %zu)"), maxlen);
    return NULL;
  }
  return json_string_value(x);
}

static const char *const CONFIDENCES[] = {"confirmed", "secondary", "unconfirmed", NULL};
static const char *const CLOCK_STARTS[] = {"aware_at", "receipt", "handling_end", "initial_report", "notification", NULL};
static const char *const OPERATOR_KINDS[] = {"cii", "central_organ", "other", NULL};

static void check_source(vctx *v, const char *path, const json_t *obj) {
  char p[PATH_MAX_LEN];
  req_str(v, path, obj, "source", 1000);
  const char *c = req_str(v, path, obj, "confidence", 20);
  if (c && !in_list(c, CONFIDENCES))
    prob(v, P(p, sizeof p, "%s.confidence", path),
         L("必须是 confirmed、secondary 或 unconfirmed", "must be confirmed, secondary or unconfirmed"));
}

/* Effective period of a pack or row: returns 0 when valid. Missing from = open start. */
static int check_period(vctx *v, const char *path, const json_t *obj, int required, int64_t *from, int64_t *to) {
  char p[PATH_MAX_LEN];
  json_t *f = json_object_get(obj, "effective_from"), *t = json_object_get(obj, "effective_to");
  *from = INT64_MIN;
  *to = INT64_MAX;
  int bad = 0;
  if (!f || json_is_null(f)) {
    if (required) prob(v, P(p, sizeof p, "%s.effective_from", path), L("缺少生效时间", "effective_from missing")), bad = 1;
  } else if (!json_is_string(f) || time_parse_rfc3339(json_string_value(f), from, NULL)) {
    prob(v, P(p, sizeof p, "%s.effective_from", path), L("必须是带时区的 RFC 3339 时间", "must be an RFC 3339 time with offset"));
    bad = 1;
  }
  if (t && !json_is_null(t)) {
    if (!json_is_string(t) || time_parse_rfc3339(json_string_value(t), to, NULL)) {
      prob(v, P(p, sizeof p, "%s.effective_to", path), L("必须是带时区的 RFC 3339 时间", "must be an RFC 3339 time with offset"));
      bad = 1;
    } else if (*to <= *from) {
      prob(v, P(p, sizeof p, "%s.effective_to", path), L("必须晚于 effective_from", "must be after effective_from"));
      bad = 1;
    }
  }
  return bad ? -1 : 0;
}

static json_t *find_by_id(const json_t *arr, const char *id) {
  size_t i;
  json_t *x;
  json_array_foreach((json_t *)arr, i, x) {
    json_t *xi = json_object_get(x, "id");
    if (json_is_string(xi) && strcmp(json_string_value(xi), id) == 0) return x;
  }
  return NULL;
}

static void check_levels(vctx *v, json_t *doc) {
  static const char *const keys[] = {"id", "en", "rank", NULL};
  char p[PATH_MAX_LEN];
  json_t *levels = json_object_get(doc, "levels");
  if (!json_is_array(levels) || json_array_size(levels) == 0) {
    prob(v, "$.levels", L("必须是非空数组", "must be a non-empty array"));
    return;
  }
  size_t i;
  json_t *l;
  json_array_foreach(levels, i, l) {
    if (row_begin(v, p, sizeof p, "$.levels", i, l, keys)) continue;
    const char *id = req_str(v, p, l, "id", 40);
    req_str(v, p, l, "en", 40);
    json_t *r = json_object_get(l, "rank");
    if (!json_is_integer(r) || json_integer_value(r) < 1 || json_integer_value(r) > 100)
      prob(v, P(p, sizeof p, "$.levels[%zu].rank", i), L("必须是 1 到 100 的整数", "must be an integer from 1 to 100"));
    for (size_t j = 0; j < i && id; j++) {
      json_t *o = json_array_get(levels, j);
      if (json_is_string(json_object_get(o, "id")) && strcmp(json_string_value(json_object_get(o, "id")), id) == 0)
        prob(v, P(p, sizeof p, "$.levels[%zu].id", i), L("级别重复", "duplicate level"));
      if (json_is_integer(r) && json_equal(json_object_get(o, "rank"), r))
        prob(v, P(p, sizeof p, "$.levels[%zu].rank", i), L("级别序号重复", "duplicate rank"));
    }
  }
  const char *lk[] = {"default_level", "reportable_from"};
  for (int k = 0; k < 2; k++) {
    const char *s = req_str(v, "$", doc, lk[k], 40);
    if (s && !find_by_id(levels, s)) prob(v, P(p, sizeof p, "$.%s", lk[k]), L("不是已定义的级别：%s", "not a defined level: %s"), s);
  }
}

static void check_facts(vctx *v, json_t *doc) {
  static const char *const keys[] = {"type", "unit", "max", "values", "zh", "en", "qualitative", NULL};
  static const char *const types[] = {"number", "enum", "boolean", "ransom", NULL};
  char p[PATH_MAX_LEN];
  json_t *facts = json_object_get(doc, "facts");
  if (!json_is_object(facts)) {
    prob(v, "$.facts", L("必须是对象", "must be an object"));
    return;
  }
  const char *name;
  json_t *f;
  json_object_foreach(facts, name, f) {
    P(p, sizeof p, "$.facts.%s", name);
    if (!json_is_object(f)) {
      prob(v, p, L("必须是对象", "must be an object"));
      continue;
    }
    only_keys(v, p, f, keys);
    const char *t = req_str(v, p, f, "type", 20);
    req_str(v, p, f, "zh", 200);
    req_str(v, p, f, "en", 200);
    char q[PATH_MAX_LEN];
    if (t && !in_list(t, types)) prob(v, P(q, sizeof q, "%s.type", p), L("未知类型：%s", "unknown type: %s"), t);
    if (t && strcmp(t, "number") == 0) {
      json_t *mx = json_object_get(f, "max");
      if (!json_is_number(mx) || json_number_value(mx) <= 0)
        prob(v, P(q, sizeof q, "%s.max", p), L("数值事实必须有正的上限", "a number fact needs a positive max"));
    }
    if (t && strcmp(t, "enum") == 0) {
      json_t *vals = json_object_get(f, "values");
      size_t i;
      json_t *x;
      if (!json_is_array(vals) || json_array_size(vals) == 0)
        prob(v, P(q, sizeof q, "%s.values", p), L("枚举事实需要非空的 values 数组", "an enum fact needs a non-empty values array"));
      else
        json_array_foreach(vals, i, x) if (!json_is_string(x))
            prob(v, P(q, sizeof q, "%s.values[%zu]", p, i), L("必须是字符串", "must be a string"));
    }
  }
}

/* Is `val` one of the enum values of fact `fact`? */
static int enum_has(const json_t *fact, const char *val) {
  size_t i;
  json_t *x;
  json_array_foreach(json_object_get(fact, "values"), i, x) if (json_is_string(x) && strcmp(json_string_value(x), val) == 0) return 1;
  return 0;
}

static void check_criteria(vctx *v, json_t *doc) {
  static const char *const keys[] = {"id", "fact", "op", "threshold", "values", "when", "level", "qualitative",
                                     "source", "confidence", "note", "effective_from", "effective_to", NULL};
  char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
  json_t *crit = json_object_get(doc, "criteria"), *facts = json_object_get(doc, "facts"),
         *levels = json_object_get(doc, "levels");
  if (!json_is_array(crit)) {
    prob(v, "$.criteria", L("必须是数组", "must be an array"));
    return;
  }
  size_t i;
  json_t *c;
  json_array_foreach(crit, i, c) {
    if (row_begin(v, p, sizeof p, "$.criteria", i, c, keys)) continue;
    const char *id = req_str(v, p, c, "id", 80);
    if (id && find_by_id(crit, id) != c) prob(v, P(q, sizeof q, "%s.id", p), L("标识重复：%s", "duplicate id: %s"), id);
    const char *fname = req_str(v, p, c, "fact", 80);
    json_t *fact = fname ? json_object_get(facts, fname) : NULL;
    if (fname && !fact) prob(v, P(q, sizeof q, "%s.fact", p), L("未在 facts 中声明：%s", "not declared in facts: %s"), fname);
    const char *ftype = fact ? json_string_value(json_object_get(fact, "type")) : NULL;
    const char *op = req_str(v, p, c, "op", 10);
    if (op && strcmp(op, ">=") == 0) {
      json_t *t = json_object_get(c, "threshold");
      if (!json_is_number(t) || json_number_value(t) < 0)
        prob(v, P(q, sizeof q, "%s.threshold", p), L("必须是非负数", "must be a non-negative number"));
      if (ftype && strcmp(ftype, "number") != 0)
        prob(v, P(q, sizeof q, "%s.op", p), L("“>=” 只能用于数值事实", "'>=' needs a number fact"));
    } else if (op && strcmp(op, "in") == 0) {
      json_t *vals = json_object_get(c, "values");
      size_t j;
      json_t *x;
      if (!json_is_array(vals) || json_array_size(vals) == 0)
        prob(v, P(q, sizeof q, "%s.values", p), L("必须是非空数组", "must be a non-empty array"));
      else if (ftype && strcmp(ftype, "enum") != 0)
        prob(v, P(q, sizeof q, "%s.op", p), L("“in” 只能用于枚举事实", "'in' needs an enum fact"));
      else if (fact)
        json_array_foreach(vals, j, x) if (!json_is_string(x) || !enum_has(fact, json_string_value(x)))
            prob(v, P(q, sizeof q, "%s.values[%zu]", p, j), L("不是该事实的取值", "not a value of this fact"));
    } else if (op && strcmp(op, "is_true") == 0) {
      if (ftype && strcmp(ftype, "boolean") != 0)
        prob(v, P(q, sizeof q, "%s.op", p), L("“is_true” 只能用于布尔事实", "'is_true' needs a boolean fact"));
    } else if (op) {
      prob(v, P(q, sizeof q, "%s.op", p), L("未知运算符 %s（可用 >=、in、is_true）", "unknown op %s (use >=, in, is_true)"), op);
    }
    json_t *when = json_object_get(c, "when");
    if (when) {
      const char *wk;
      json_t *wv;
      if (!json_is_object(when)) prob(v, P(q, sizeof q, "%s.when", p), L("必须是对象", "must be an object"));
      else
        json_object_foreach(when, wk, wv) {
          json_t *wf = json_object_get(facts, wk);
          P(q, sizeof q, "%s.when.%s", p, wk);
          if (!wf || !json_is_string(json_object_get(wf, "type")) ||
              strcmp(json_string_value(json_object_get(wf, "type")), "enum") != 0) {
            prob(v, q, L("条件必须引用已声明的枚举事实", "a condition must name a declared enum fact"));
            continue;
          }
          size_t j;
          json_t *x;
          if (!json_is_array(wv) || json_array_size(wv) == 0) prob(v, q, L("必须是非空数组", "must be a non-empty array"));
          else
            json_array_foreach(wv, j, x) if (!json_is_string(x) || !enum_has(wf, json_string_value(x)))
                prob(v, q, L("不是该事实的取值", "not a value of this fact"));
        }
    }
    const char *lv = req_str(v, p, c, "level", 40);
    if (lv && json_is_array(levels) && !find_by_id(levels, lv))
      prob(v, P(q, sizeof q, "%s.level", p), L("不是已定义的级别：%s", "not a defined level: %s"), lv);
    json_t *qual = json_object_get(c, "qualitative");
    if (qual && !json_is_boolean(qual)) prob(v, P(q, sizeof q, "%s.qualitative", p), L("必须是布尔值", "must be a boolean"));
    check_source(v, p, c);
    int64_t f, t;
    check_period(v, p, c, 0, &f, &t);
  }
}

static int is_recipient(const json_t *doc, const char *id) {
  return json_object_get(json_object_get(doc, "recipients"), id) != NULL;
}

static void check_routes_obligations(vctx *v, json_t *doc) {
  static const char *const rkeys[] = {"id", "zh", "en", "applies_when", "source", "confidence", "note", NULL};
  static const char *const wkeys[] = {"operator_kind_any", "operator_kind_none", "operator_sector_any", "suspected_crime", NULL};
  static const char *const okeys[] = {"route", "kind", "from", "to", "min_level", "max", "relative_to", "hard", "policy", "met_by",
                                      "source", "confidence", "note", "effective_from", "effective_to", NULL};
  char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
  json_t *recips = json_object_get(doc, "recipients");
  if (!json_is_object(recips)) prob(v, "$.recipients", L("必须是对象", "must be an object"));
  else {
    const char *k;
    json_t *r;
    json_object_foreach(recips, k, r) {
      P(p, sizeof p, "$.recipients.%s", k);
      if (!json_is_object(r)) {
        prob(v, p, L("必须是对象", "must be an object"));
        continue;
      }
      req_str(v, p, r, "zh", 200);
      req_str(v, p, r, "en", 200);
    }
  }
  json_t *routes = json_object_get(doc, "routes"), *levels = json_object_get(doc, "levels");
  if (!json_is_array(routes) || json_array_size(routes) == 0) {
    prob(v, "$.routes", L("必须是非空数组", "must be a non-empty array"));
    return;
  }
  size_t i;
  json_t *r;
  json_array_foreach(routes, i, r) {
    if (row_begin(v, p, sizeof p, "$.routes", i, r, rkeys)) continue;
    const char *id = req_str(v, p, r, "id", 40);
    if (id && find_by_id(routes, id) != r) prob(v, P(q, sizeof q, "%s.id", p), L("标识重复：%s", "duplicate id: %s"), id);
    req_str(v, p, r, "zh", 200);
    req_str(v, p, r, "en", 200);
    check_source(v, p, r);
    json_t *w = json_object_get(r, "applies_when");
    P(q, sizeof q, "%s.applies_when", p);
    if (!json_is_object(w)) {
      prob(v, q, L("必须是对象（空对象表示总是适用）", "must be an object (empty = always)"));
      continue;
    }
    only_keys(v, q, w, wkeys);
    const char *lk[] = {"operator_kind_any", "operator_kind_none"};
    for (int k = 0; k < 2; k++) {
      json_t *a = json_object_get(w, lk[k]);
      size_t j;
      json_t *x;
      if (!a) continue;
      if (!json_is_array(a)) prob(v, q, L("%s 必须是数组", "%s must be an array"), lk[k]);
      else
        json_array_foreach(a, j, x) if (!json_is_string(x) || !in_list(json_string_value(x), OPERATOR_KINDS))
            prob(v, q, L("%s 含未知的运营者类型", "%s holds an unknown operator kind"), lk[k]);
    }
    json_t *sa = json_object_get(w, "operator_sector_any");
    if (sa && !json_is_array(sa)) prob(v, q, L("operator_sector_any 必须是数组", "operator_sector_any must be an array"));
    json_t *sc = json_object_get(w, "suspected_crime");
    if (sc && !json_is_boolean(sc)) prob(v, q, L("suspected_crime 必须是布尔值", "suspected_crime must be a boolean"));
  }
  json_t *obls = json_object_get(doc, "obligations");
  if (!json_is_array(obls)) {
    prob(v, "$.obligations", L("必须是数组", "must be an array"));
    return;
  }
  json_t *o;
  json_array_foreach(obls, i, o) {
    if (row_begin(v, p, sizeof p, "$.obligations", i, o, okeys)) continue;
    const char *route = req_str(v, p, o, "route", 40);
    if (route && !find_by_id(routes, route)) prob(v, P(q, sizeof q, "%s.route", p), L("未定义的路径：%s", "undefined route: %s"), route);
    req_str(v, p, o, "kind", 40);
    const char *from = req_str(v, p, o, "from", 60);
    if (from && strcmp(from, "operator") != 0 && !is_recipient(doc, from))
      prob(v, P(q, sizeof q, "%s.from", p), L("既不是 operator 也不是已定义的接收方：%s", "neither operator nor a defined recipient: %s"), from);
    json_t *to = json_object_get(o, "to");
    size_t j;
    json_t *x;
    if (!json_is_array(to) || json_array_size(to) == 0) prob(v, P(q, sizeof q, "%s.to", p), L("必须是非空数组", "must be a non-empty array"));
    else
      json_array_foreach(to, j, x) if (!json_is_string(x) || !is_recipient(doc, json_string_value(x)))
          prob(v, P(q, sizeof q, "%s.to[%zu]", p, j), L("不是已定义的接收方", "not a defined recipient"));
    json_t *ml = json_object_get(o, "min_level");
    if (ml && !(json_is_string(ml) && json_is_array(levels) && find_by_id(levels, json_string_value(ml))))
      prob(v, P(q, sizeof q, "%s.min_level", p), L("不是已定义的级别", "not a defined level"));
    json_t *mx = json_object_get(o, "max");
    time_dur d;
    if (!mx) prob(v, P(q, sizeof q, "%s.max", p), L("缺少 max（无固定时限时写 null）", "max missing (null when there is no fixed limit)"));
    else if (!json_is_null(mx) && (!json_is_string(mx) || time_parse_duration(json_string_value(mx), &d)))
      prob(v, P(q, sizeof q, "%s.max", p), L("必须是 ISO 8601 时长（如 PT4H、P30D）或 null", "must be an ISO 8601 duration (PT4H, P30D) or null"));
    const char *rel = req_str(v, p, o, "relative_to", 40);
    if (rel && !in_list(rel, CLOCK_STARTS))
      prob(v, P(q, sizeof q, "%s.relative_to", p), L("未知的起算事件：%s", "unknown clock start: %s"), rel);
    if (!json_is_boolean(json_object_get(o, "hard"))) prob(v, P(q, sizeof q, "%s.hard", p), L("必须是布尔值", "must be a boolean"));
    json_t *mb = json_object_get(o, "met_by");
    if (mb && !(json_is_string(mb) && in_list(json_string_value(mb), CLOCK_STARTS)))
      prob(v, P(q, sizeof q, "%s.met_by", p), L("必须是起算事件之一（如 initial_report）", "must be one of the clock events (e.g. initial_report)"));
    json_t *pol = json_object_get(o, "policy");
    if (pol && !json_is_boolean(pol)) prob(v, P(q, sizeof q, "%s.policy", p), L("必须是布尔值", "must be a boolean"));
    check_source(v, p, o);
    int64_t f, t;
    check_period(v, p, o, 0, &f, &t);
  }
}

/* The emergency rules of a pack or overlay: warning levels and who may issue them, response levels and who may
 * start them, the investigation clock. */
static void check_emergency(vctx *v, const json_t *em) {
  static const char *const keys[] = {"warning_levels", "warning_issuers", "response_levels", "response_starters", "investigation", NULL};
  static const char *const lkeys[] = {"id", "zh", "en", "rank", "grade", NULL};
  static const char *const ikeys[] = {"type", "max_level", "scope", "source", "confidence", "note", NULL};
  static const char *const skeys[] = {"level", "type", "deciders", "end", "source", "confidence", "note", NULL};
  static const char *const vkeys[] = {"max", "by", "report_to", "source", "confidence", "note", NULL};
  static const char *const scopes[] = {"any", "own_province", "own_sector", "own_department", NULL};
  static const char *const ends[] = {"starter", "proposal_and_approval", NULL};
  char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
  if (!json_is_object(em)) {
    prob(v, "$.emergency", L("必须是对象", "must be an object"));
    return;
  }
  only_keys(v, "$.emergency", em, keys);
  const char *lists[2] = {"warning_levels", "response_levels"};
  for (int k = 0; k < 2; k++) {
    json_t *a = json_object_get(em, lists[k]);
    size_t i;
    json_t *r;
    if (!a) continue;
    P(q, sizeof q, "$.emergency.%s", lists[k]);
    if (!json_is_array(a)) {
      prob(v, q, L("必须是数组", "must be an array"));
      continue;
    }
    json_array_foreach(a, i, r) {
      if (row_begin(v, p, sizeof p, q, i, r, lkeys)) continue;
      const char *id = req_str(v, p, r, "id", 20);
      if (id && find_by_id(a, id) != r) prob(v, p, L("标识重复：%s", "duplicate id: %s"), id);
      req_str(v, p, r, "zh", 100);
      req_str(v, p, r, "en", 100);
      if (!json_is_integer(json_object_get(r, "rank"))) prob(v, P(q, sizeof q, "%s.rank", p), L("必须是整数", "must be an integer"));
    }
  }
  json_t *wl = json_object_get(em, "warning_levels"), *rl = json_object_get(em, "response_levels"), *r;
  size_t i;
  json_array_foreach(json_object_get(em, "warning_issuers"), i, r) {
    if (row_begin(v, p, sizeof p, "$.emergency.warning_issuers", i, r, ikeys)) continue;
    req_str(v, p, r, "type", 60);
    const char *ml = req_str(v, p, r, "max_level", 20);
    if (ml && !find_by_id(wl, ml)) prob(v, P(q, sizeof q, "%s.max_level", p), L("不是已定义的预警级别", "not a defined warning level"));
    const char *sc = req_str(v, p, r, "scope", 20);
    if (sc && !in_list(sc, scopes))
      prob(v, P(q, sizeof q, "%s.scope", p), L("必须是 any、own_province、own_sector 或 own_department", "must be any, own_province, own_sector or own_department"));
    check_source(v, p, r);
  }
  json_array_foreach(json_object_get(em, "response_starters"), i, r) {
    if (row_begin(v, p, sizeof p, "$.emergency.response_starters", i, r, skeys)) continue;
    const char *lv = req_str(v, p, r, "level", 20);
    if (lv && !find_by_id(rl, lv)) prob(v, P(q, sizeof q, "%s.level", p), L("不是已定义的响应级别", "not a defined response level"));
    req_str(v, p, r, "type", 60);
    const char *en = req_str(v, p, r, "end", 40);
    if (en && !in_list(en, ends)) prob(v, P(q, sizeof q, "%s.end", p), L("必须是 starter 或 proposal_and_approval", "must be starter or proposal_and_approval"));
    json_t *d = json_object_get(r, "deciders"), *x;
    size_t j;
    if (d && !json_is_array(d)) prob(v, P(q, sizeof q, "%s.deciders", p), L("必须是字符串数组", "must be an array of strings"));
    json_array_foreach(d, j, x) if (!json_is_string(x)) prob(v, P(q, sizeof q, "%s.deciders[%zu]", p, j), L("必须是字符串", "must be a string"));
    check_source(v, p, r);
  }
  json_t *inv = json_object_get(em, "investigation");
  if (inv) {
    time_dur d;
    if (!json_is_object(inv)) prob(v, "$.emergency.investigation", L("必须是对象", "must be an object"));
    else {
      only_keys(v, "$.emergency.investigation", inv, vkeys);
      const char *mx = req_str(v, "$.emergency.investigation", inv, "max", 20);
      if (mx && time_parse_duration(mx, &d))
        prob(v, "$.emergency.investigation.max", L("必须是 ISO 8601 时长（如 P30D）", "must be an ISO 8601 duration (P30D)"));
      check_source(v, "$.emergency.investigation", inv);
    }
  }
}

/* An overlay (cirs-overlay/1): obligations that apply to operators of some cities on top of the regime it extends,
 * and its own emergency rules (a municipal plan). */
static void validate_overlay(vctx *v, json_t *doc, rules_pack *pk) {
  static const char *const keys[] = {"format", "id", "extends", "title", "title_en", "version", "effective_from", "effective_to", "source",
                                     "confidence", "applies_when", "recipients", "obligations", "emergency", NULL};
  static const char *const wkeys[] = {"operator_city_any", NULL};
  static const char *const okeys[] = {"kind", "from", "to", "min_level", "or_undetermined", "max", "relative_to", "hard", "policy", "met_by",
                                      "source", "confidence", "note", "effective_from", "effective_to", NULL};
  char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
  only_keys(v, "$", doc, keys);
  pk->overlay = 1;
  pk->id = req_str(v, "$", doc, "id", 64);
  pk->regime = req_str(v, "$", doc, "extends", 16);
  req_str(v, "$", doc, "title", 300);
  req_str(v, "$", doc, "version", 40);
  check_source(v, "$", doc);
  check_period(v, "$", doc, 1, &pk->from_ms, &pk->to_ms);
  pk->offset_min = 480;
  json_t *w = json_object_get(doc, "applies_when"), *cities = json_object_get(w, "operator_city_any"), *x;
  size_t i;
  if (!json_is_object(w)) prob(v, "$.applies_when", L("必须是对象", "must be an object"));
  else only_keys(v, "$.applies_when", w, wkeys);
  if (!json_is_array(cities) || !json_array_size(cities))
    prob(v, "$.applies_when.operator_city_any", L("需要非空的城市代码数组", "a non-empty array of city codes is needed"));
  json_array_foreach(cities, i, x) if (!json_is_string(x) || json_string_length(x) != 6 || strspn(json_string_value(x), "0123456789") != 6)
      prob(v, P(p, sizeof p, "$.applies_when.operator_city_any[%zu]", i), L("需要 6 位行政区划代码", "a 6-digit division code is needed"));
  json_t *recips = json_object_get(doc, "recipients");
  if (recips && !json_is_object(recips)) prob(v, "$.recipients", L("必须是对象", "must be an object"));
  json_t *o;
  json_array_foreach(json_object_get(doc, "obligations"), i, o) {
    if (row_begin(v, p, sizeof p, "$.obligations", i, o, okeys)) continue;
    req_str(v, p, o, "kind", 40);
    const char *from = req_str(v, p, o, "from", 60);
    if (from && strcmp(from, "operator")) prob(v, P(q, sizeof q, "%s.from", p), L("叠加规则只能给运营者加义务", "an overlay only adds obligations of operators"));
    json_t *to = json_object_get(o, "to");
    size_t j;
    if (!json_is_array(to) || !json_array_size(to)) prob(v, P(q, sizeof q, "%s.to", p), L("必须是非空数组", "must be a non-empty array"));
    json_array_foreach(to, j, x) if (!json_is_string(x) || !json_object_get(recips, json_string_value(x)))
        prob(v, P(q, sizeof q, "%s.to[%zu]", p, j), L("不是本文件定义的接收方", "not a recipient defined in this file"));
    time_dur d;
    json_t *mx = json_object_get(o, "max");
    if (!json_is_string(mx) || time_parse_duration(json_string_value(mx), &d))
      prob(v, P(q, sizeof q, "%s.max", p), L("必须是 ISO 8601 时长", "must be an ISO 8601 duration"));
    const char *rel = req_str(v, p, o, "relative_to", 40);
    if (rel && strcmp(rel, "aware_at")) prob(v, P(q, sizeof q, "%s.relative_to", p), L("叠加规则的时限从 aware_at 起算", "overlay clocks run from aware_at"));
    if (!json_is_boolean(json_object_get(o, "hard"))) prob(v, P(q, sizeof q, "%s.hard", p), L("必须是布尔值", "must be a boolean"));
    json_t *ou = json_object_get(o, "or_undetermined");
    if (ou && !json_is_boolean(ou)) prob(v, P(q, sizeof q, "%s.or_undetermined", p), L("必须是布尔值", "must be a boolean"));
    check_source(v, p, o);
    int64_t f, t;
    check_period(v, p, o, 0, &f, &t);
  }
  if (json_object_get(doc, "emergency")) check_emergency(v, json_object_get(doc, "emergency"));
}

static void validate_pack(vctx *v, json_t *doc, rules_pack *pk) {
  static const char *const keys[] = {"format", "id", "regime", "title", "title_en", "version", "effective_from", "effective_to",
                                     "timezone", "source", "confidence", "grading", "taxonomy", "levels", "default_level",
                                     "reportable_from", "semantics", "provinces", "recipients", "facts", "criteria", "routes",
                                     "obligations", "emergency", NULL};
  only_keys(v, "$", doc, keys);
  pk->id = req_str(v, "$", doc, "id", 64);
  pk->regime = req_str(v, "$", doc, "regime", 16);
  req_str(v, "$", doc, "title", 300);
  req_str(v, "$", doc, "version", 40);
  check_source(v, "$", doc);
  check_period(v, "$", doc, 1, &pk->from_ms, &pk->to_ms);
  json_t *tz = json_object_get(doc, "timezone");
  const char *off = tz ? json_string_value(json_object_get(tz, "utc_offset")) : NULL;
  if (!off || time_parse_offset(off, &pk->offset_min))
    prob(v, "$.timezone.utc_offset", L("需要时区偏移，如 +08:00 或 Z", "a UTC offset such as +08:00 or Z is required"));
  json_t *g = json_object_get(doc, "grading");
  if (!json_is_boolean(g)) prob(v, "$.grading", L("必须是布尔值", "must be a boolean"));
  pk->grading = json_is_true(g);
  if (pk->grading && !json_is_string(json_object_get(doc, "taxonomy")))
    prob(v, "$.taxonomy", L("定级规则包必须指明分类标准", "a grading pack must name its taxonomy"));
  json_t *prov = json_object_get(doc, "provinces");
  if (prov) {
    const char *k;
    json_t *x;
    char p[PATH_MAX_LEN];
    if (!json_is_object(prov)) prob(v, "$.provinces", L("必须是对象", "must be an object"));
    else
      json_object_foreach(prov, k, x) if (strlen(k) != 6 || strspn(k, "0123456789") != 6 || !json_is_string(x))
          prob(v, P(p, sizeof p, "$.provinces.%s", k), L("需要 6 位行政区划代码和名称", "needs a 6-digit division code and a name"));
  }
  check_levels(v, doc);
  check_facts(v, doc);
  check_criteria(v, doc);
  check_routes_obligations(v, doc);
  if (json_object_get(doc, "emergency")) check_emergency(v, json_object_get(doc, "emergency"));
}

static void validate_taxonomy(vctx *v, json_t *doc, rules_set *rs) {
  static const char *const keys[] = {"format", "id", "title", "title_en", "effective_from", "source", "confidence", "categories", "legacy", NULL};
  static const char *const ckeys[] = {"code", "zh", "en", "source", "confidence", "subcategories", NULL};
  static const char *const skeys[] = {"code", "zh", "en", "confidence", "note", NULL};
  char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
  only_keys(v, "$", doc, keys);
  const char *tid = req_str(v, "$", doc, "id", 64);
  int64_t f, t;
  check_period(v, "$", doc, 1, &f, &t);
  check_source(v, "$", doc);
  json_t *cats = json_object_get(doc, "categories");
  if (!json_is_array(cats) || json_array_size(cats) == 0) {
    prob(v, "$.categories", L("必须是非空数组", "must be a non-empty array"));
    return;
  }
  size_t i, j;
  json_t *c, *s;
  json_array_foreach(cats, i, c) {
    P(p, sizeof p, "$.categories[%zu]", i);
    only_keys(v, p, c, ckeys);
    const char *code = req_str(v, p, c, "code", 16), *zh = req_str(v, p, c, "zh", 100), *en = req_str(v, p, c, "en", 200);
    check_source(v, p, c);
    if (code) {
      if (json_object_get(rs->by_code, code)) prob(v, P(q, sizeof q, "%s.code", p), L("代码重复：%s", "duplicate code: %s"), code);
      json_object_set_new(rs->by_code, code, json_pack("{s:s, s:s?, s:s?, s:n, s:s?}", "code", code, "zh", zh, "en", en,
                                                        "parent", "taxonomy", tid));
      if (zh) json_object_set_new(rs->by_name, zh, json_string(code));
    }
    json_t *subs = json_object_get(c, "subcategories");
    if (!json_is_array(subs)) {
      prob(v, P(q, sizeof q, "%s.subcategories", p), L("必须是数组", "must be an array"));
      continue;
    }
    json_array_foreach(subs, j, s) {
      P(q, sizeof q, "%s.subcategories[%zu]", p, j);
      only_keys(v, q, s, skeys);
      const char *sc = req_str(v, q, s, "code", 16), *szh = req_str(v, q, s, "zh", 100), *sen = req_str(v, q, s, "en", 200);
      const char *conf = req_str(v, q, s, "confidence", 20);
      if (conf && !in_list(conf, CONFIDENCES)) prob(v, q, L("confidence 取值无效", "invalid confidence"));
      if (!sc) continue;
      if (code && strncmp(sc, code, strlen(code)) != 0)
        prob(v, q, L("子类代码 %s 必须以类别代码 %s 开头", "subcategory code %s must start with its category code %s"), sc, code);
      if (json_object_get(rs->by_code, sc)) prob(v, q, L("代码重复：%s", "duplicate code: %s"), sc);
      json_object_set_new(rs->by_code, sc, json_pack("{s:s, s:s?, s:s?, s:s?, s:s?}", "code", sc, "zh", szh, "en", sen,
                                                      "parent", code, "taxonomy", tid));
      if (szh) json_object_set_new(rs->by_name, szh, json_string(sc));
    }
  }
  json_t *legacy = json_object_get(doc, "legacy");
  json_t *maps = legacy ? json_object_get(legacy, "mappings") : NULL;
  if (legacy && !json_is_array(maps)) prob(v, "$.legacy.mappings", L("必须是数组", "must be an array"));
  json_array_foreach(maps, i, c) {
    P(p, sizeof p, "$.legacy.mappings[%zu]", i);
    const char *zh = req_str(v, p, c, "zh", 100), *code = req_str(v, p, c, "code", 16);
    if (code && !json_object_get(rs->by_code, code)) prob(v, P(q, sizeof q, "%s.code", p), L("映射到不存在的代码：%s", "maps to an unknown code: %s"), code);
    /* A 2023 name wins over an identical 2007 name; both point at the same code in practice. */
    if (zh && code && !json_object_get(rs->by_name, zh)) json_object_set_new(rs->by_name, zh, json_pack("{s:s, s:b}", "code", code, "legacy", 1));
  }
}

rules_set *rules_new(void) {
  rules_set *rs = calloc(1, sizeof *rs);
  if (!rs) return NULL;
  rs->by_code = json_object();
  rs->by_name = json_object();
  return rs;
}

void rules_free(rules_set *rs) {
  if (!rs) return;
  for (int i = 0; i < rs->npacks; i++) {
    json_decref(rs->packs[i].doc);
    free(rs->packs[i].file);
  }
  json_decref(rs->taxonomy);
  free(rs->taxonomy_file);
  json_decref(rs->by_code);
  json_decref(rs->by_name);
  free(rs);
}

void rules_add_buffer(rules_set *rs, const char *name, const char *data, size_t len, json_t *problems) {
  vctx v = {problems, name, 0};
  char p[PATH_MAX_LEN];
  if (len > RULES_MAX_FILE_BYTES) {
    prob(&v, "$", L("文件过大（上限 %d 字节）", "file too large (limit %d bytes)"), RULES_MAX_FILE_BYTES);
    return;
  }
  json_error_t je;
  json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
  if (!doc) {
    prob(&v, P(p, sizeof p, "line %d column %d", je.line, je.column), L("JSON 语法错误：%s", "JSON syntax error: %s"), je.text);
    return;
  }
  if (!json_is_object(doc)) {
    prob(&v, "$", L("顶层必须是对象", "top level must be an object"));
    json_decref(doc);
    return;
  }
  const char *fmt = json_string_value(json_object_get(doc, "format"));
  if (fmt && strcmp(fmt, "cirs-taxonomy/1") == 0) {
    if (rs->taxonomy) {
      prob(&v, "$.format", L("只能有一个分类标准文件（已有 %s）", "only one taxonomy file allowed (already %s)"), rs->taxonomy_file);
      json_decref(doc);
      return;
    }
    validate_taxonomy(&v, doc, rs);
    rs->taxonomy = doc;
    rs->taxonomy_file = strdup(name);
    return;
  }
  int overlay = fmt && !strcmp(fmt, "cirs-overlay/1");
  if (!fmt || (strcmp(fmt, "cirs-rules/1") != 0 && !overlay)) {
    prob(&v, "$.format", L("必须是 \"cirs-rules/1\"、\"cirs-overlay/1\" 或 \"cirs-taxonomy/1\"",
                           "must be \"cirs-rules/1\", \"cirs-overlay/1\" or \"cirs-taxonomy/1\""));
    json_decref(doc);
    return;
  }
  if (rs->npacks >= RULES_MAX_PACKS) {
    prob(&v, "$", L("规则包过多（上限 %d）", "too many packs (limit %d)"), RULES_MAX_PACKS);
    json_decref(doc);
    return;
  }
  rules_pack *pk = &rs->packs[rs->npacks];
  memset(pk, 0, sizeof *pk);
  if (overlay) validate_overlay(&v, doc, pk);
  else validate_pack(&v, doc, pk);
  pk->doc = doc;
  pk->file = strdup(name);
  rs->npacks++;
}

int rules_finish(rules_set *rs, json_t *problems) {
  vctx v = {problems, "(rule set)", 0};
  if (!rs->taxonomy) prob(&v, "$", L("缺少分类标准文件（format cirs-taxonomy/1）", "no taxonomy file (format cirs-taxonomy/1)"));
  int grading = 0;
  for (int i = 0; i < rs->npacks; i++) {
    rules_pack *a = &rs->packs[i];
    if (!a->regime || !a->id) continue;
    grading += a->grading;
    if (a->grading && rs->taxonomy) {
      const char *want = json_string_value(json_object_get(a->doc, "taxonomy"));
      const char *have = json_string_value(json_object_get(rs->taxonomy, "id"));
      if (want && have && strcmp(want, have) != 0) {
        v.file = a->file;
        prob(&v, "$.taxonomy", L("引用的分类标准 %s 未加载（已加载 %s）", "taxonomy %s not loaded (loaded: %s)"), want, have);
      }
    }
    for (int j = 0; j < i; j++) {
      rules_pack *b = &rs->packs[j];
      if (!b->regime || !b->id) continue;
      v.file = a->file;
      if (strcmp(a->id, b->id) == 0) prob(&v, "$.id", L("与 %s 的 id 重复", "same id as %s"), b->file);
      if (!a->overlay && !b->overlay && strcmp(a->regime, b->regime) == 0 && a->from_ms < b->to_ms && b->from_ms < a->to_ms)
        prob(&v, "$.effective_from", L("与 %s 的同一制度生效期重叠", "effective period overlaps %s of the same regime"), b->file);
      if (a->grading && b->grading && a->from_ms < b->to_ms && b->from_ms < a->to_ms)
        prob(&v, "$.grading", L("与 %s 同时作为定级规则包生效", "grading pack in force at the same time as %s"), b->file);
      /* A fact declared by two packs must mean the same thing. */
      const char *fname;
      json_t *fa;
      json_object_foreach(json_object_get(a->doc, "facts"), fname, fa) {
        json_t *fb = json_object_get(json_object_get(b->doc, "facts"), fname);
        if (fb && !json_equal(json_object_get(fa, "type"), json_object_get(fb, "type"))) {
          char p[PATH_MAX_LEN];
          prob(&v, P(p, sizeof p, "$.facts.%s", fname), L("与 %s 中同名事实的类型不同", "type differs from the same fact in %s"), b->file);
        }
      }
    }
  }
  for (int i = 0; i < rs->npacks; i++) {
    rules_pack *a = &rs->packs[i];
    if (!a->overlay || !a->regime) continue;
    int found = 0;
    for (int j = 0; j < rs->npacks; j++) found |= !rs->packs[j].overlay && rs->packs[j].regime && !strcmp(rs->packs[j].regime, a->regime);
    v.file = a->file;
    if (!found) prob(&v, "$.extends", L("没有制度为 %s 的规则包", "no pack of regime %s"), a->regime);
  }
  v.file = "(rule set)";
  if (grading == 0) prob(&v, "$", L("没有定级规则包（grading: true）", "no grading pack (grading: true)"));
  return v.count;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static rules_set *finish_or_fail(rules_set *rs, json_t *probs, json_t **problems, cirs_err *e) {
  rules_finish(rs, probs);
  if (json_array_size(probs) > 0) {
    json_t *p0 = json_array_get(probs, 0);
    char m[400];
    snprintf(m, sizeof m, "%s: %s: %s", json_string_value(json_object_get(p0, "file")), json_string_value(json_object_get(p0, "path")),
             json_string_value(json_object_get(p0, "reason")));
    err_set(e, "rules_invalid", "", m);
    if (problems) *problems = probs;
    else json_decref(probs);
    rules_free(rs);
    return NULL;
  }
  if (problems) *problems = probs;
  else json_decref(probs);
  return rs;
}

rules_set *rules_load_dir(const char *dir, json_t **problems, cirs_err *e) {
  DIR *d = opendir(dir);
  if (!d) {
    err_set(e, "io_error", "rules", dir);
    return NULL;
  }
  char *names[256];
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) && n < 256) {
    size_t l = strlen(de->d_name);
    if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0 && de->d_name[0] != '.') names[n++] = strdup(de->d_name);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], cmp_str);
  rules_set *rs = rules_new();
  json_t *probs = json_array();
  for (int i = 0; i < n; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    FILE *f = fopen(path, "rb");
    vctx v = {probs, names[i], 0};
    if (!f) {
      prob(&v, "$", L("无法打开", "cannot open"));
      free(names[i]);
      continue;
    }
    char *buf = malloc(RULES_MAX_FILE_BYTES + 1);
    size_t len = buf ? fread(buf, 1, RULES_MAX_FILE_BYTES + 1, f) : 0;
    fclose(f);
    if (buf) rules_add_buffer(rs, names[i], buf, len, probs);
    free(buf);
    free(names[i]);
  }
  return finish_or_fail(rs, probs, problems, e);
}

rules_set *rules_load_embedded(json_t **problems, cirs_err *e) {
  rules_set *rs = rules_new();
  json_t *probs = json_array();
  for (const embedded_file *f = embedded_files; f->name; f++)
    if (strncmp(f->name, "rules/", 6) == 0) rules_add_buffer(rs, f->name + 6, (const char *)f->data, f->len, probs);
  return finish_or_fail(rs, probs, problems, e);
}

rules_set *rules_load(const char *dir, cirs_err *e) {
  return dir ? rules_load_dir(dir, NULL, e) : rules_load_embedded(NULL, e);
}

int rules_pack_count(const rules_set *rs) { return rs->npacks; }

json_t *rules_pack_summary(const rules_set *rs, int i) {
  const rules_pack *p = &rs->packs[i];
  json_t *d = p->doc;
  json_t *s = json_pack("{s:s, s:s, s:s, s:O, s:O, s:O, s:b, s:O, s:O}", "file", p->file, "id", p->id, "regime", p->regime, "version",
                        json_object_get(d, "version"), "effective_from", json_object_get(d, "effective_from"), "effective_to",
                        json_object_get(d, "effective_to") ? json_object_get(d, "effective_to") : json_null(), "grading", p->grading,
                        "title", json_object_get(d, "title"), "confidence", json_object_get(d, "confidence"));
  if (p->overlay) json_object_set_new(s, "overlay", json_true());
  return s;
}

const rules_pack *rules_pack_at(const rules_set *rs, const char *regime, int64_t at_ms) {
  for (int i = 0; i < rs->npacks; i++)
    if (!rs->packs[i].overlay && strcmp(rs->packs[i].regime, regime) == 0 && rs->packs[i].from_ms <= at_ms && at_ms < rs->packs[i].to_ms)
      return &rs->packs[i];
  return NULL;
}

const rules_pack *rules_grading_pack_at(const rules_set *rs, int64_t at_ms) {
  for (int i = 0; i < rs->npacks; i++)
    if (rs->packs[i].grading && rs->packs[i].from_ms <= at_ms && at_ms < rs->packs[i].to_ms) return &rs->packs[i];
  return NULL;
}

int rules_row_in_force(const json_t *row, int64_t at_ms) {
  int64_t f = INT64_MIN, t = INT64_MAX;
  json_t *x = json_object_get(row, "effective_from");
  if (json_is_string(x)) time_parse_rfc3339(json_string_value(x), &f, NULL);
  x = json_object_get(row, "effective_to");
  if (json_is_string(x)) time_parse_rfc3339(json_string_value(x), &t, NULL);
  return f <= at_ms && at_ms < t;
}

json_t *rules_category(const rules_set *rs, const char *text) {
  char up[64];
  size_t n = strlen(text);
  if (n == 0 || n >= sizeof up) return NULL;
  for (size_t i = 0; i <= n; i++) up[i] = (char)((text[i] >= 'a' && text[i] <= 'z') ? text[i] - 32 : text[i]);
  json_t *c = json_object_get(rs->by_code, up);
  int legacy = 0;
  if (!c) {
    json_t *m = json_object_get(rs->by_name, text);
    if (!m) return NULL;
    const char *code = json_is_string(m) ? json_string_value(m) : json_string_value(json_object_get(m, "code"));
    legacy = json_is_object(m);
    c = json_object_get(rs->by_code, code);
    if (!c) return NULL;
  }
  json_t *out = json_deep_copy(c);
  json_object_set_new(out, "input", json_string(text));
  if (legacy)
    json_object_set_new(out, "mapped_from", json_string(json_string_value(json_object_get(json_object_get(rs->taxonomy, "legacy"), "id"))));
  return out;
}
