/* emergency.c — the emergency rules of the packs and overlays: who may issue which warning, who may start which
 * response level (and who decides, and how it ends), and the investigation clock. Pure lookups over the set. */
#include <stdio.h>
#include <string.h>

#include "rules_int.h"

static const json_t *section(const rules_pack *pk, const char *key) { return json_object_get(json_object_get(pk->doc, "emergency"), key); }

static const json_t *by_id(const json_t *arr, const char *id) {
  size_t i;
  json_t *x;
  json_array_foreach((json_t *)arr, i, x) if (!strcmp(json_string_value(json_object_get(x, "id")), id)) return x;
  return NULL;
}

/* The rows of `key` for authorities of `type` across the packs and overlays in force at `at`, with their pack. */
typedef struct hit {
  const rules_pack *pk;
  const json_t *row;
} hit;

static int rows_for(const rules_set *rs, int64_t at, const char *key, const char *type, hit *out, int max) {
  int n = 0;
  for (int i = 0; i < rs->npacks; i++) {
    const rules_pack *pk = &rs->packs[i];
    if (at < pk->from_ms || at >= pk->to_ms) continue;
    size_t j;
    json_t *r;
    json_array_foreach((json_t *)section(pk, key), j, r) if (!strcmp(json_string_value(json_object_get(r, "type")), type) && n < max &&
                                                          rules_row_in_force(r, at)) out[n++] = (hit){pk, r};
  }
  return n;
}

int rules_warning_rule(const rules_set *rs, int64_t at, const char *type, const char *level, json_t **rule, cirs_err *e) {
  *rule = NULL;
  hit h[8];
  int n = rows_for(rs, at, "warning_issuers", type, h, 8);
  if (!n)
    return err_set_msg(e, "forbidden", "", L("按规则本机关不能发布预警", "the rules give your authority no power to issue warnings"));
  for (int i = 0; i < n; i++) {
    const json_t *levels = section(h[i].pk, "warning_levels"), *lv = by_id(levels, level), *mx = by_id(levels, json_string_value(json_object_get(h[i].row, "max_level")));
    if (!lv) continue;
    if (json_integer_value(json_object_get(lv, "rank")) > json_integer_value(json_object_get(mx, "rank"))) {
      char m[300];
      snprintf(m, sizeof m, L("本机关最高只能发布%s预警（%s）", "your authority issues %s warnings at most (%s)"),
               json_string_value(json_object_get(mx, L("zh", "en"))), json_string_value(json_object_get(h[i].row, "source")));
      return err_set_msg(e, "forbidden", "level", m);
    }
    *rule = json_pack("{s:s, s:O, s:O, s:O, s:O, s:O}", "scheme", h[i].pk->id, "level", lv, "max_level", json_object_get(h[i].row, "max_level"),
                      "scope", json_object_get(h[i].row, "scope"), "source", json_object_get(h[i].row, "source"), "confidence",
                      json_object_get(h[i].row, "confidence"));
    return 0;
  }
  return err_set_msg(e, "bad_value", "level", L("预警级别应为 red、orange、yellow 或 blue", "level must be red, orange, yellow or blue"));
}

int rules_response_rule(const rules_set *rs, int64_t at, const char *type, const char *level, json_t **rule, cirs_err *e) {
  *rule = NULL;
  hit h[16];
  int n = rows_for(rs, at, "response_starters", type, h, 16), known = 0;
  for (int i = 0; i < n; i++) {
    const json_t *lv = by_id(section(h[i].pk, "response_levels"), level);
    if (!lv) continue;
    known = 1;
    if (strcmp(json_string_value(json_object_get(h[i].row, "level")), level)) continue;
    *rule = json_pack("{s:s, s:O, s:O, s:O, s:O, s:O}", "scheme", h[i].pk->id, "level", lv, "end", json_object_get(h[i].row, "end"), "source",
                      json_object_get(h[i].row, "source"), "confidence", json_object_get(h[i].row, "confidence"), "deciders",
                      json_object_get(h[i].row, "deciders") ? json_object_get(h[i].row, "deciders") : json_null());
    return 0;
  }
  if (!n) return err_set_msg(e, "forbidden", "", L("按规则本机关不能启动应急响应", "the rules give your authority no power to start emergency responses"));
  if (!known) return err_set_msg(e, "bad_value", "level", L("未知的响应级别（如 I、II、III、IV）", "unknown response level (e.g. I, II, III, IV)"));
  char m[200];
  snprintf(m, sizeof m, L("按规则本机关不能启动 %s 级响应", "the rules do not let your authority start a level %s response"), level);
  return err_set_msg(e, "forbidden", "level", m);
}

const json_t *rules_investigation(const rules_set *rs, int64_t at) {
  const rules_pack *gp = rules_grading_pack_at(rs, at);
  return gp ? section(gp, "investigation") : NULL;
}

json_t *rules_warning_levels(const rules_set *rs, int64_t at) {
  const rules_pack *gp = rules_grading_pack_at(rs, at);
  const json_t *l = gp ? section(gp, "warning_levels") : NULL;
  return l ? json_deep_copy(l) : json_array();
}
