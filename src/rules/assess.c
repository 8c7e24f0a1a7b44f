/* assess.c — the pure assessment: input JSON + rule set + time -> grade, reasons, obligations.
 *
 * Semantics (网络安全事件分级指南): a criterion is met when the fact is >= its threshold (inclusive); any one
 * criterion suffices; the highest level met wins. Qualitative criteria are never decided by the machine:
 * they are listed under decisions_needed until a person declares a grade with a reason. A declared grade may
 * raise the computed one, never lower it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/timeutil.h"
#include "rules_int.h"

#define MAX_REGIMES 8
#define MAX_STR_FIELD 64

static const char *const INPUT_KEYS[] = {"aware_at", "operator", "category", "facts", "suspected_crime", "declared_grade",
                                         "declared_reason", NULL};
static const char *const OPERATOR_KEYS[] = {"kind", "province", "city", "sector", "department", "regimes", NULL};
static const char *const RANSOM_KEYS[] = {"amount", "currency", "method", "demanded_at", NULL};

typedef struct input {
  int64_t aware_ms;
  int kind_cii, kind_central, kind_other;
  const char *province, *city, *sector, *department;
  const char *regimes[MAX_REGIMES];
  int nregimes;
  json_t *category; /* resolved category (owned) */
  const json_t *facts;
  int suspected_crime;
  const char *declared, *declared_reason;
} input;

static int in_list(const char *s, const char *const *l) {
  for (; *l; l++)
    if (strcmp(s, *l) == 0) return 1;
  return 0;
}

static int check_keys(const json_t *obj, const char *const *allowed, const char *prefix, cirs_err *e) {
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)obj, k, v) {
    (void)v;
    if (!in_list(k, allowed)) {
      char f[ERR_FIELD_MAX];
      snprintf(f, sizeof f, "%s%s", prefix, k);
      return err_set(e, "unknown_field", f, f);
    }
  }
  return 0;
}

/* An optional short string field; NULL/absent gives *out = NULL. */
static int opt_str(const json_t *obj, const char *key, const char *field, size_t maxlen, const char **out, cirs_err *e) {
  json_t *x = json_object_get(obj, key);
  *out = NULL;
  if (!x || json_is_null(x)) return 0;
  if (!json_is_string(x)) return err_set(e, "wrong_type", field, L("应为字符串", "string expected"));
  if (json_string_length(x) > maxlen || json_string_length(x) == 0)
    return err_set(e, "bad_value", field, L("长度应为 1 到 64 个字符", "length must be 1 to 64 characters"));
  *out = json_string_value(x);
  return 0;
}

/* Every fact name any loaded pack declares, with its declaration. */
static const json_t *fact_decl(const rules_set *rs, const char *name) {
  for (int i = 0; i < rs->npacks; i++) {
    json_t *f = json_object_get(json_object_get(rs->packs[i].doc, "facts"), name);
    if (f) return f;
  }
  return NULL;
}

static int check_number(const json_t *x, double max, const char *field, cirs_err *e) {
  if (!json_is_number(x)) return err_set(e, "wrong_type", field, L("应为数值", "number expected"));
  double v = json_number_value(x);
  if (!isfinite(v)) return err_set(e, "bad_value", field, field);
  if (v < 0) return err_set(e, "negative_number", field, field);
  if (v > max) {
    char m[120];
    snprintf(m, sizeof m, L("%s 超过上限 %.15g", "%s exceeds its maximum %.15g"), field, max);
    return err_set(e, "bad_value", field, m);
  }
  return 0;
}

static int check_ransom(const json_t *r, cirs_err *e) {
  if (!json_is_object(r)) return err_set(e, "wrong_type", "facts.ransom", L("应为对象", "object expected"));
  if (check_keys(r, RANSOM_KEYS, "facts.ransom.", e)) return -1;
  json_t *x;
  if ((x = json_object_get(r, "amount")) && check_number(x, 1e15, "facts.ransom.amount", e)) return -1;
  if ((x = json_object_get(r, "currency"))) {
    const char *c = json_string_value(x);
    if (!c) return err_set(e, "wrong_type", "facts.ransom.currency", L("应为字符串", "string expected"));
    size_t n = strlen(c);
    if (n < 3 || n > 5 || strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != n)
      return err_set(e, "bad_value", "facts.ransom.currency", L("币种代码应为 3–5 个大写字母或数字（如 CNY、BTC、USDT）", "currency code must be 3-5 capital letters or digits (CNY, BTC, USDT)"));
  }
  if ((x = json_object_get(r, "method"))) {
    if (!json_is_string(x)) return err_set(e, "wrong_type", "facts.ransom.method", L("应为字符串", "string expected"));
    if (json_string_length(x) > 200) return err_set(e, "too_large", "facts.ransom.method", "200");
  }
  if ((x = json_object_get(r, "demanded_at"))) {
    int64_t t;
    if (!json_is_string(x) || time_parse_rfc3339(json_string_value(x), &t, NULL))
      return err_set(e, "bad_time", "facts.ransom.demanded_at", json_is_string(x) ? json_string_value(x) : "?");
  }
  return 0;
}

static int check_facts(const rules_set *rs, const json_t *facts, cirs_err *e) {
  const char *k;
  json_t *v;
  char field[ERR_FIELD_MAX];
  if (json_object_size(facts) > 64) return err_set(e, "too_large", "facts", "64");
  json_object_foreach((json_t *)facts, k, v) {
    snprintf(field, sizeof field, "facts.%s", k);
    const json_t *d = fact_decl(rs, k);
    if (!d) return err_set(e, "unknown_fact", field, k);
    if (json_is_null(v)) continue; /* null = unknown, same as absent */
    const char *t = json_string_value(json_object_get(d, "type"));
    if (strcmp(t, "number") == 0) {
      if (check_number(v, json_number_value(json_object_get(d, "max")), field, e)) return -1;
    } else if (strcmp(t, "enum") == 0) {
      if (!json_is_string(v)) return err_set(e, "wrong_type", field, L("应为字符串", "string expected"));
      int ok = 0;
      size_t i;
      json_t *x;
      json_array_foreach(json_object_get(d, "values"), i, x) if (strcmp(json_string_value(x), json_string_value(v)) == 0) ok = 1;
      if (!ok) {
        char m[300];
        char *dump = json_dumps(json_object_get(d, "values"), JSON_COMPACT | JSON_ENSURE_ASCII);
        snprintf(m, sizeof m, "%s = \"%.40s\" (%s %s)", field, json_string_value(v), L("可选", "allowed"), dump ? dump : "");
        free(dump);
        return err_set(e, "bad_value", field, m);
      }
    } else if (strcmp(t, "boolean") == 0) {
      if (!json_is_boolean(v)) return err_set(e, "wrong_type", field, L("应为 true 或 false", "true or false expected"));
    } else if (strcmp(t, "ransom") == 0) {
      if (check_ransom(v, e)) return -1;
    }
  }
  return 0;
}

static int parse_operator(const rules_set *rs, const json_t *op, input *in, cirs_err *e) {
  if (!op) return err_set(e, "missing_field", "operator", "operator");
  if (!json_is_object(op)) return err_set(e, "wrong_type", "operator", L("应为对象", "object expected"));
  if (check_keys(op, OPERATOR_KEYS, "operator.", e)) return -1;
  json_t *k = json_object_get(op, "kind");
  if (!k || json_is_null(k)) return err_set(e, "missing_field", "operator.kind", "operator.kind");
  json_t *kinds = json_is_string(k) ? json_pack("[O]", k) : json_incref(k);
  if (!json_is_array(kinds) || json_array_size(kinds) == 0 || json_array_size(kinds) > 3) {
    json_decref(kinds);
    return err_set(e, "wrong_type", "operator.kind", L("应为字符串或字符串数组", "string or array of strings expected"));
  }
  size_t i;
  json_t *x;
  char kf[ERR_FIELD_MAX];
  json_array_foreach(kinds, i, x) {
    const char *s = json_string_value(x);
    if (json_is_array(k)) snprintf(kf, sizeof kf, "operator.kind[%zu]", i);
    else snprintf(kf, sizeof kf, "operator.kind");
    if (!s) {
      json_decref(kinds);
      return err_set(e, "wrong_type", kf, L("应为字符串", "string expected"));
    }
    if (strcmp(s, "cii") == 0) in->kind_cii = 1;
    else if (strcmp(s, "central_organ") == 0) in->kind_central = 1;
    else if (strcmp(s, "other") == 0) in->kind_other = 1;
    else {
      char m[120];
      snprintf(m, sizeof m, "\"%.40s\" (cii | central_organ | other)", s);
      json_decref(kinds);
      return err_set(e, "bad_value", kf, m);
    }
  }
  json_decref(kinds);
  if (in->kind_other && (in->kind_cii || in->kind_central))
    return err_set(e, "bad_value", "operator.kind", L("other 不能与 cii 或 central_organ 同时出现", "other cannot be combined with cii or central_organ"));
  if (opt_str(op, "province", "operator.province", 6, &in->province, e)) return -1;
  if (in->province) {
    int known = 0;
    for (int p = 0; p < rs->npacks && !known; p++)
      if (json_object_get(json_object_get(rs->packs[p].doc, "provinces"), in->province)) known = 1;
    if (!known) return err_set(e, "bad_value", "operator.province", L("应为 31 个省级行政区之一的 6 位代码，如 140000", "must be the 6-digit code of one of the 31 provincial-level divisions, e.g. 140000"));
  }
  if (opt_str(op, "city", "operator.city", 6, &in->city, e)) return -1;
  if (in->city && (strlen(in->city) != 6 || strspn(in->city, "0123456789") != 6 || strcmp(in->city + 4, "00") || !strcmp(in->city + 2, "0000") ||
                   (in->province && strncmp(in->city, in->province, 2))))
    return err_set(e, "bad_value", "operator.city", L("应为所在省份下地级市的 6 位代码，如 140500（晋城市）", "must be the 6-digit code of a prefecture-level city in the operator's province, e.g. 140500 (Jincheng)"));
  if (opt_str(op, "sector", "operator.sector", MAX_STR_FIELD, &in->sector, e)) return -1;
  if (opt_str(op, "department", "operator.department", MAX_STR_FIELD, &in->department, e)) return -1;
  json_t *regs = json_object_get(op, "regimes");
  if (!regs || json_is_null(regs)) {
    in->regimes[0] = "CN";
    in->nregimes = 1;
    return 0;
  }
  if (!json_is_array(regs)) return err_set(e, "wrong_type", "operator.regimes", L("应为字符串数组", "array of strings expected"));
  if (json_array_size(regs) > MAX_REGIMES) return err_set(e, "too_large", "operator.regimes", "8");
  if (json_array_size(regs) == 0)
    return err_set(e, "bad_value", "operator.regimes", L("至少需要一个监管制度（省略时默认为 [\"CN\"]）", "at least one regime is needed (omit it for [\"CN\"])"));
  json_array_foreach(regs, i, x) {
    char f[ERR_FIELD_MAX];
    snprintf(f, sizeof f, "operator.regimes[%zu]", i);
    const char *s = json_string_value(x);
    if (!s) return err_set(e, "wrong_type", f, L("应为字符串", "string expected"));
    int known = 0;
    for (int p = 0; p < rs->npacks; p++)
      if (strcmp(rs->packs[p].regime, s) == 0) known = 1;
    if (!known) return err_set(e, "unknown_regime", f, s);
    for (int j = 0; j < in->nregimes; j++)
      if (strcmp(in->regimes[j], s) == 0) return err_set(e, "bad_value", f, L("重复的制度", "duplicate regime"));
    in->regimes[in->nregimes++] = s;
  }
  return 0;
}

static int parse_input(const rules_set *rs, const json_t *j, input *in, cirs_err *e) {
  memset(in, 0, sizeof *in);
  if (!json_is_object(j)) return err_set(e, "wrong_type", "", L("顶层应为 JSON 对象", "top level must be a JSON object"));
  if (check_keys(j, INPUT_KEYS, "", e)) return -1;
  json_t *a = json_object_get(j, "aware_at");
  if (!a || json_is_null(a)) return err_set(e, "missing_field", "aware_at", "aware_at");
  if (!json_is_string(a)) return err_set(e, "wrong_type", "aware_at", L("应为 RFC 3339 时间字符串", "RFC 3339 time string expected"));
  if (time_parse_rfc3339(json_string_value(a), &in->aware_ms, NULL)) return err_set(e, "bad_time", "aware_at", json_string_value(a));
  if (parse_operator(rs, json_object_get(j, "operator"), in, e)) return -1;
  json_t *c = json_object_get(j, "category");
  if (!c || json_is_null(c)) return err_set(e, "missing_field", "category", "category");
  if (!json_is_string(c)) return err_set(e, "wrong_type", "category", L("应为字符串", "string expected"));
  in->category = rules_category(rs, json_string_value(c));
  if (!in->category) return err_set(e, "unknown_category", "category", json_string_value(c));
  json_t *f = json_object_get(j, "facts");
  if (f && !json_is_null(f)) {
    if (!json_is_object(f)) return err_set(e, "wrong_type", "facts", L("应为对象", "object expected"));
    if (check_facts(rs, f, e)) return -1;
    in->facts = f;
  }
  json_t *sc = json_object_get(j, "suspected_crime");
  if (sc && !json_is_null(sc)) {
    if (!json_is_boolean(sc)) return err_set(e, "wrong_type", "suspected_crime", L("应为 true 或 false", "true or false expected"));
    in->suspected_crime = json_is_true(sc);
  }
  json_t *dg = json_object_get(j, "declared_grade");
  if (dg && !json_is_null(dg)) {
    if (!json_is_string(dg)) return err_set(e, "wrong_type", "declared_grade", L("应为字符串", "string expected"));
    in->declared = json_string_value(dg);
  }
  json_t *dr = json_object_get(j, "declared_reason");
  if (dr && !json_is_null(dr)) {
    if (!json_is_string(dr)) return err_set(e, "wrong_type", "declared_reason", L("应为字符串", "string expected"));
    if (json_string_length(dr) > RULES_TEXT_MAX) return err_set(e, "too_large", "declared_reason", "2000");
    in->declared_reason = json_string_value(dr);
  }
  if (in->declared && (!in->declared_reason || !*in->declared_reason))
    return err_set(e, "missing_field", "declared_reason", L("申报级别时必须说明理由", "a declared grade needs a reason"));
  return 0;
}

/* Level lookup inside one pack: rank (0 = unknown) and the level object. */
static json_t *level_of(const rules_pack *pk, const char *id) {
  size_t i;
  json_t *l;
  if (!id) return NULL;
  json_array_foreach(json_object_get(pk->doc, "levels"), i, l) {
    if (strcmp(json_string_value(json_object_get(l, "id")), id) == 0 || strcmp(json_string_value(json_object_get(l, "en")), id) == 0)
      return l;
  }
  return NULL;
}

static int rank_of(const rules_pack *pk, const char *id) {
  json_t *l = level_of(pk, id);
  return l ? (int)json_integer_value(json_object_get(l, "rank")) : 0;
}

static json_t *level_by_rank(const rules_pack *pk, int rank) {
  size_t i;
  json_t *l;
  json_array_foreach(json_object_get(pk->doc, "levels"), i, l) if (json_integer_value(json_object_get(l, "rank")) == rank) return l;
  return NULL;
}

typedef struct evaluation {
  int rank;
  json_t *reasons;   /* array, best per fact, highest first */
  json_t *decisions; /* qualitative criteria awaiting a human decision */
} evaluation;

static int cmp_reason(const void *a, const void *b) {
  const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
  json_int_t rx = json_integer_value(json_object_get(x, "_rank")), ry = json_integer_value(json_object_get(y, "_rank"));
  if (rx != ry) return rx > ry ? -1 : 1;
  json_int_t ox = json_integer_value(json_object_get(x, "_order")), oy = json_integer_value(json_object_get(y, "_order"));
  return ox < oy ? -1 : ox > oy;
}

/* Evaluates the criteria of one pack against the facts. */
static int evaluate(const rules_pack *pk, const json_t *facts, int64_t at, evaluation *ev, cirs_err *e) {
  ev->rank = rank_of(pk, json_string_value(json_object_get(pk->doc, "default_level")));
  ev->reasons = json_array();
  ev->decisions = json_array();
  json_t *best = json_object(); /* fact -> reason */
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(pk->doc, "criteria"), i, c) {
    if (!rules_row_in_force(c, at)) continue;
    const char *fname = json_string_value(json_object_get(c, "fact"));
    json_t *v = facts ? json_object_get(facts, fname) : NULL;
    if (!v || json_is_null(v)) continue;
    /* Conditions: the condition fact must be given, or the number cannot be graded at all. */
    json_t *when = json_object_get(c, "when"), *cond = NULL;
    int ok = 1;
    if (when) {
      const char *wk;
      json_t *wv;
      cond = json_object();
      json_object_foreach(when, wk, wv) {
        json_t *have = facts ? json_object_get(facts, wk) : NULL;
        if (!have || json_is_null(have)) {
          char f[ERR_FIELD_MAX], m[200];
          snprintf(f, sizeof f, "facts.%s", wk);
          snprintf(m, sizeof m, L("给出 facts.%s 时必须同时给出 %s", "facts.%s needs %s as well"), fname, f);
          json_decref(cond);
          json_decref(best);
          json_decref(ev->reasons);
          json_decref(ev->decisions);
          ev->reasons = ev->decisions = NULL;
          return err_set(e, "missing_field", f, m);
        }
        size_t j;
        json_t *x;
        int hit = 0;
        json_array_foreach(wv, j, x) if (strcmp(json_string_value(x), json_string_value(have)) == 0) hit = 1;
        if (!hit) ok = 0;
        json_object_set(cond, wk, have);
      }
    }
    const char *op = json_string_value(json_object_get(c, "op"));
    if (ok) {
      if (strcmp(op, ">=") == 0) ok = json_number_value(v) >= json_number_value(json_object_get(c, "threshold"));
      else if (strcmp(op, "is_true") == 0) ok = json_is_true(v);
      else {
        ok = 0;
        size_t j;
        json_t *x;
        json_array_foreach(json_object_get(c, "values"), j, x) if (strcmp(json_string_value(x), json_string_value(v)) == 0) ok = 1;
      }
    }
    if (!ok) {
      json_decref(cond);
      continue;
    }
    json_t *lvl = level_of(pk, json_string_value(json_object_get(c, "level")));
    int r = (int)json_integer_value(json_object_get(lvl, "rank"));
    json_t *reason = json_pack("{s:s, s:O, s:s}", "fact", fname, "value", v, "op", op);
    if (json_object_get(c, "threshold")) json_object_set(reason, "threshold", json_object_get(c, "threshold"));
    if (json_object_get(c, "values")) json_object_set(reason, "values", json_object_get(c, "values"));
    if (cond) json_object_set_new(reason, "condition", cond);
    json_object_set(reason, "grade", json_object_get(lvl, "id"));
    json_object_set(reason, "grade_en", json_object_get(lvl, "en"));
    json_object_set(reason, "criterion", json_object_get(c, "id"));
    json_object_set(reason, "source", json_object_get(c, "source"));
    json_object_set(reason, "confidence", json_object_get(c, "confidence"));
    if (json_object_get(c, "note")) json_object_set(reason, "note", json_object_get(c, "note"));
    json_object_set_new(reason, "_rank", json_integer(r));
    json_object_set_new(reason, "_order", json_integer((json_int_t)i));
    if (json_is_true(json_object_get(c, "qualitative"))) {
      json_object_set_new(reason, "qualitative", json_true());
      json_array_append_new(ev->decisions, reason);
      continue;
    }
    json_t *prev = json_object_get(best, fname);
    if (!prev || json_integer_value(json_object_get(prev, "_rank")) < r) json_object_set_new(best, fname, reason);
    else json_decref(reason);
    if (r > ev->rank) ev->rank = r;
  }
  const char *k;
  json_object_foreach(best, k, c) json_array_append(ev->reasons, c);
  json_decref(best);
  /* Sort reasons: highest grade first, then pack order. */
  size_t n = json_array_size(ev->reasons);
  json_t **tmp = calloc(n + 1, sizeof *tmp);
  for (i = 0; i < n; i++) tmp[i] = json_incref(json_array_get(ev->reasons, i));
  qsort(tmp, n, sizeof *tmp, cmp_reason);
  json_array_clear(ev->reasons);
  for (i = 0; i < n; i++) json_array_append_new(ev->reasons, tmp[i]);
  free(tmp);
  /* Decisions only matter when they could raise the grade. */
  json_t *keep = json_array();
  json_array_foreach(ev->decisions, i, c) if (json_integer_value(json_object_get(c, "_rank")) > ev->rank) json_array_append(keep, c);
  json_decref(ev->decisions);
  ev->decisions = keep;
  return 0;
}

static void strip_private(json_t *arr) {
  size_t i;
  json_t *r;
  json_array_foreach(arr, i, r) {
    json_object_del(r, "_rank");
    json_object_del(r, "_order");
  }
}

static int route_applies(const json_t *route, const input *in) {
  json_t *w = json_object_get(route, "applies_when");
  json_t *a;
  size_t i;
  json_t *x;
  if ((a = json_object_get(w, "operator_kind_any"))) {
    int hit = 0;
    json_array_foreach(a, i, x) {
      const char *s = json_string_value(x);
      if ((in->kind_cii && !strcmp(s, "cii")) || (in->kind_central && !strcmp(s, "central_organ")) || (in->kind_other && !strcmp(s, "other"))) hit = 1;
    }
    if (!hit) return 0;
  }
  if ((a = json_object_get(w, "operator_kind_none"))) {
    json_array_foreach(a, i, x) {
      const char *s = json_string_value(x);
      if ((in->kind_cii && !strcmp(s, "cii")) || (in->kind_central && !strcmp(s, "central_organ")) || (in->kind_other && !strcmp(s, "other"))) return 0;
    }
  }
  if ((a = json_object_get(w, "operator_sector_any"))) {
    int hit = 0;
    json_array_foreach(a, i, x) if (in->sector && !strcmp(json_string_value(x), in->sector)) hit = 1;
    if (!hit) return 0;
  }
  if ((a = json_object_get(w, "suspected_crime")) && json_is_true(a) != in->suspected_crime) return 0;
  return 1;
}

/* Appends the obligations of one pack at level `rank`. */
static void add_obligations(const rules_pack *pk, const input *in, int rank, int64_t at, int out_offset, json_t *out) {
  json_t *routes = json_object_get(pk->doc, "routes");
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(pk->doc, "obligations"), i, o) {
    if (!rules_row_in_force(o, at)) continue;
    const char *rid = json_string_value(json_object_get(o, "route"));
    size_t j;
    json_t *r, *route = NULL;
    json_array_foreach(routes, j, r) if (!strcmp(json_string_value(json_object_get(r, "id")), rid)) route = r;
    if (!route || !route_applies(route, in)) continue;
    json_t *ml = json_object_get(o, "min_level");
    if (ml && rank < rank_of(pk, json_string_value(ml))) continue;
    json_t *max = json_object_get(o, "max");
    const char *rel = json_string_value(json_object_get(o, "relative_to"));
    json_t *due = json_null();
    if (json_is_string(max) && !strcmp(rel, "aware_at")) {
      time_dur d;
      time_parse_duration(json_string_value(max), &d);
      char buf[TIME_STR_MAX];
      due = json_string(time_format(time_add(in->aware_ms, &d, pk->offset_min), out_offset, buf));
    }
    json_t *ob = json_pack("{s:s, s:s, s:O, s:O, s:O, s:O, s:s, s:o, s:O, s:O, s:O}", "regime", pk->regime, "route", rid, "kind",
                           json_object_get(o, "kind"), "from", json_object_get(o, "from"), "to", json_object_get(o, "to"), "max", max,
                           "relative_to", rel, "due", due, "hard", json_object_get(o, "hard"), "source", json_object_get(o, "source"),
                           "confidence", json_object_get(o, "confidence"));
    if (json_is_true(json_object_get(o, "policy"))) json_object_set_new(ob, "policy", json_true());
    if (json_object_get(o, "met_by")) json_object_set(ob, "met_by", json_object_get(o, "met_by"));
    if (json_object_get(o, "note")) json_object_set(ob, "note", json_object_get(o, "note"));
    json_array_append_new(out, ob);
  }
}

/* Appends the obligations of the overlays of `pk`'s regime in force at `at` whose cities include the operator's.
 * `undetermined`: the grade still needs a human decision (an overlay row with or_undetermined applies below its
 * min_level then). */
static void add_overlay_obligations(const rules_set *rs, const rules_pack *pk, const input *in, int rank, int undetermined, int64_t at,
                                    int out_offset, json_t *out) {
  if (!in->city) return;
  for (int i = 0; i < rs->npacks; i++) {
    const rules_pack *ov = &rs->packs[i];
    if (!ov->overlay || strcmp(ov->regime, pk->regime) || at < ov->from_ms || at >= ov->to_ms) continue;
    int hit = 0;
    size_t k;
    json_t *c, *o;
    json_array_foreach(json_object_get(json_object_get(ov->doc, "applies_when"), "operator_city_any"), k, c) hit |= !strcmp(json_string_value(c), in->city);
    if (!hit) continue;
    json_array_foreach(json_object_get(ov->doc, "obligations"), k, o) {
      if (!rules_row_in_force(o, at)) continue;
      json_t *ml = json_object_get(o, "min_level");
      if (ml && rank < rank_of(pk, json_string_value(ml)) && !(undetermined && json_is_true(json_object_get(o, "or_undetermined")))) continue;
      time_dur d;
      time_parse_duration(json_string_value(json_object_get(o, "max")), &d);
      char buf[TIME_STR_MAX];
      json_t *ob = json_pack("{s:s, s:s, s:O, s:O, s:O, s:O, s:s, s:s, s:O, s:O, s:O, s:s}", "regime", pk->regime, "route", ov->id, "kind",
                             json_object_get(o, "kind"), "from", json_object_get(o, "from"), "to", json_object_get(o, "to"), "max",
                             json_object_get(o, "max"), "relative_to", "aware_at", "due",
                             time_format(time_add(in->aware_ms, &d, pk->offset_min), out_offset, buf), "hard", json_object_get(o, "hard"),
                             "source", json_object_get(o, "source"), "confidence", json_object_get(o, "confidence"), "overlay", ov->id);
      if (json_object_get(o, "met_by")) json_object_set(ob, "met_by", json_object_get(o, "met_by"));
      if (json_object_get(o, "note")) json_object_set(ob, "note", json_object_get(o, "note"));
      if (ml && rank < rank_of(pk, json_string_value(ml))) json_object_set_new(ob, "because", json_string("undetermined"));
      json_array_append_new(out, ob);
    }
  }
}

int rules_assess(const rules_set *rs, const json_t *j, const rules_opts *opts, json_t **out, cirs_err *e) {
  input in;
  *out = NULL;
  int rc = parse_input(rs, j, &in, e);
  if (rc) goto done;
  int64_t at = (opts && opts->at_ms != RULES_NO_TIME) ? opts->at_ms : in.aware_ms;
  const rules_pack *gp = rules_grading_pack_at(rs, at);
  if (!gp) {
    char buf[TIME_STR_MAX];
    rc = err_set(e, "no_rules_in_force", opts && opts->at_ms != RULES_NO_TIME ? "at" : "aware_at", time_format(at, 480, buf));
    goto done;
  }
  int off = gp->offset_min;
  evaluation ev;
  if ((rc = evaluate(gp, in.facts, at, &ev, e))) goto done;
  int computed = ev.rank, final = computed;
  json_t *result = json_object();
  if (in.declared) {
    json_t *dl = level_of(gp, in.declared);
    if (!dl) {
      rc = err_set(e, "bad_value", "declared_grade", in.declared);
    } else if ((int)json_integer_value(json_object_get(dl, "rank")) < computed) {
      char m[200];
      snprintf(m, sizeof m, L("申报 %s，计算结果 %s", "declared %s, computed %s"), in.declared,
               json_string_value(json_object_get(level_by_rank(gp, computed), "id")));
      rc = err_set(e, "declared_grade_too_low", "declared_grade", m);
    } else {
      final = (int)json_integer_value(json_object_get(dl, "rank"));
      /* The declared grade is at least every computed reason's grade: it leads the list. */
      json_array_insert_new(ev.reasons, 0, json_pack("{s:s, s:O, s:O, s:O, s:s, s:s, s:s}", "fact", "declared_grade", "value",
                                                  json_object_get(dl, "id"), "grade", json_object_get(dl, "id"), "grade_en",
                                                  json_object_get(dl, "en"), "declared_reason", in.declared_reason, "source",
                                                  L("人工判定", "human decision"), "confidence", "declared"));
      json_array_clear(ev.decisions);
    }
    if (rc) {
      json_decref(ev.reasons);
      json_decref(ev.decisions);
      json_decref(result);
      goto done;
    }
  }
  json_t *lvl = level_by_rank(gp, final);
  int in_regime = 0;
  for (int i = 0; i < in.nregimes; i++)
    if (!strcmp(in.regimes[i], gp->regime)) in_regime = 1;
  char buf[TIME_STR_MAX];
  json_object_set(result, "grade", json_object_get(lvl, "id"));
  json_object_set(result, "grade_en", json_object_get(lvl, "en"));
  json_object_set_new(result, "reportable",
                      json_boolean(in_regime && final >= rank_of(gp, json_string_value(json_object_get(gp->doc, "reportable_from")))));
  json_object_set_new(result, "computed_grade", json_copy(json_object_get(level_by_rank(gp, computed), "id")));
  json_object_set(result, "category", in.category);
  json_object_set_new(result, "aware_at", json_string(time_format(in.aware_ms, off, buf)));
  json_object_set_new(result, "evaluated_at", json_string(time_format(at, off, buf)));
  strip_private(ev.reasons);
  strip_private(ev.decisions);
  json_object_set_new(result, "reasons", ev.reasons);
  json_object_set_new(result, "decisions_needed", ev.decisions);
  json_t *obls = json_array(), *regimes = json_array();
  for (int i = 0; i < in.nregimes; i++) {
    const rules_pack *pk = rules_pack_at(rs, in.regimes[i], at);
    if (!pk) {
      char f[ERR_FIELD_MAX];
      snprintf(f, sizeof f, "operator.regimes[%d]", i);
      rc = err_set(e, "no_rules_in_force", f, in.regimes[i]);
      json_decref(obls);
      json_decref(regimes);
      json_decref(result);
      goto done;
    }
    int rank = final;
    json_t *reg = json_pack("{s:s, s:s, s:O}", "regime", pk->regime, "pack", pk->id, "version", json_object_get(pk->doc, "version"));
    if (pk != gp) {
      evaluation ev2;
      if ((rc = evaluate(pk, in.facts, at, &ev2, e))) {
        json_decref(reg);
        json_decref(obls);
        json_decref(regimes);
        json_decref(result);
        goto done;
      }
      rank = ev2.rank;
      strip_private(ev2.reasons);
      json_object_set_new(reg, "reasons", ev2.reasons);
      json_decref(ev2.decisions);
    }
    json_object_set(reg, "level", json_object_get(level_by_rank(pk, rank), "id"));
    json_array_append_new(regimes, reg);
    add_obligations(pk, &in, rank, at, off, obls);
    add_overlay_obligations(rs, pk, &in, rank, json_array_size(json_object_get(result, "decisions_needed")) > 0, at, off, obls);
  }
  json_object_set_new(result, "regimes", regimes);
  json_object_set_new(result, "obligations", obls);
  *out = result;
done:
  json_decref(in.category);
  return rc;
}

int rules_assess_text(const rules_set *rs, const char *text, size_t len, const rules_opts *opts, json_t **out, cirs_err *e) {
  *out = NULL;
  if (len > RULES_INPUT_MAX_BYTES) return err_set(e, "too_large", "", "65536 bytes");
  json_error_t je;
  json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (!j) {
    char m[300];
    snprintf(m, sizeof m, L("第 %d 行第 %d 列：%s", "line %d column %d: %s"), je.line, je.column, je.text);
    return err_set(e, "invalid_json", "", m);
  }
  int rc = rules_assess(rs, j, opts, out, e);
  json_decref(j);
  return rc;
}

int rules_grade_rank(const rules_set *rs, int64_t at_ms, const char *grade) {
  const rules_pack *gp = rules_grading_pack_at(rs, at_ms);
  return gp ? rank_of(gp, grade) : 0;
}
