/* test_rules.c — the rules engine against the packs compiled into the binary.
 * Boundaries are checked twice: generically for every numeric criterion of the CN pack (value = threshold gives
 * that grade, threshold - 1 gives a lower one), and by hand for figures of the Annex, so that a wrong number in
 * the pack fails here even though the generic test reads the pack. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/common/timeutil.h"
#include "../../src/rules/rules.h"
#include "../../src/rules/rules_int.h"

static rules_set *RS;

/* Assesses `text`; returns the result (caller frees) or NULL with *code set to the error code. */
static json_t *run(const char *text, char *code, char *field) {
  json_t *out = NULL;
  cirs_err e = {0};
  rules_opts o = {RULES_NO_TIME};
  if (rules_assess_text(RS, text, strlen(text), &o, &out, &e)) {
    if (code) strcpy(code, e.code);
    if (field) strcpy(field, e.field);
    return NULL;
  }
  return out;
}

/* Input with operator `kind` (JSON text) and facts (JSON object text). */
static json_t *with_facts(const char *kind, const char *facts) {
  char buf[2048];
  snprintf(buf, sizeof buf,
           "{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":%s,\"province\":\"140000\",\"sector\":\"energy\"},"
           "\"category\":\"NADOS\",\"facts\":%s}",
           kind, facts);
  char code[64] = "";
  json_t *r = run(buf, code, NULL);
  if (!r) fail_msg("unexpected error %s for %s", code, buf);
  return r;
}

static const char *grade(json_t *r) { return json_string_value(json_object_get(r, "grade")); }

static int rank(const char *g) {
  static const char *const order[] = {"", "一般", "较大", "重大", "特别重大"};
  for (int i = 1; i < 5; i++)
    if (!strcmp(g, order[i])) return i;
  return 0;
}

/* Every numeric criterion of the CN pack, at and just below its threshold. */
static void every_criterion_boundary(void **state) {
  (void)state;
  const rules_pack *pk = rules_grading_pack_at(RS, 1764554400000LL);
  assert_non_null(pk);
  size_t i;
  json_t *c;
  int checked = 0;
  json_array_foreach(json_object_get(pk->doc, "criteria"), i, c) {
    if (strcmp(json_string_value(json_object_get(c, "op")), ">=")) continue;
    const char *fact = json_string_value(json_object_get(c, "fact"));
    double thr = json_number_value(json_object_get(c, "threshold"));
    const char *level = json_string_value(json_object_get(c, "level"));
    char cond[200] = "";
    json_t *when = json_object_get(c, "when");
    if (when) {
      const char *k;
      json_t *v;
      json_object_foreach(when, k, v) snprintf(cond, sizeof cond, ",\"%s\":\"%s\"", k, json_string_value(json_array_get(v, json_array_size(v) - 1)));
    }
    char facts[400];
    snprintf(facts, sizeof facts, "{\"%s\":%.0f%s}", fact, thr, cond);
    json_t *r = with_facts("\"other\"", facts);
    if (rank(grade(r)) < rank(level)) fail_msg("%s = %.0f gave %s, want at least %s", fact, thr, grade(r), level);
    /* The reason for this fact names this very criterion (or a higher one of the same fact). */
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r, "reasons"), 0), "fact")), fact);
    json_decref(r);
    snprintf(facts, sizeof facts, "{\"%s\":%.0f%s}", fact, thr - 1, cond);
    r = with_facts("\"other\"", facts);
    if (rank(grade(r)) >= rank(level)) fail_msg("%s = %.0f gave %s, want below %s", fact, thr - 1, grade(r), level);
    json_decref(r);
    checked++;
  }
  assert_true(checked >= 30);
}

/* Figures of the Annex, written out by hand (REGULATION.md §2). */
static void annex_figures(void **state) {
  (void)state;
  static const struct {
    const char *facts, *grade;
  } cases[] = {
      {"{\"pi_leaked_persons\":100000000}", "特别重大"}, {"{\"pi_leaked_persons\":99999999}", "重大"},
      {"{\"pi_leaked_persons\":10000000}", "重大"},      {"{\"pi_leaked_persons\":9999999}", "较大"},
      {"{\"pi_leaked_persons\":1000000}", "较大"},       {"{\"pi_leaked_persons\":999999}", "一般"},
      {"{\"cii_outage_min\":360}", "特别重大"},          {"{\"cii_outage_min\":359}", "重大"},
      {"{\"cii_outage_min\":10}", "较大"},               {"{\"cii_outage_min\":9}", "一般"},
      {"{\"cii_main_function_outage_min\":1440}", "特别重大"}, {"{\"cii_main_function_outage_min\":30}", "较大"},
      {"{\"direct_loss_cny\":100000000}", "特别重大"},   {"{\"direct_loss_cny\":99999999}", "重大"},
      {"{\"province_population_pct\":50}", "特别重大"},  {"{\"people_affected\":10000000}", "特别重大"},
      {"{\"city_population_pct\":50}", "重大"},          {"{\"city_population_pct\":30}", "较大"},
      {"{\"city_population_pct\":29.9}", "一般"},        {"{\"people_affected\":1000000}", "重大"},
      {"{\"portal_outage_min\":1440,\"portal_tier\":\"provincial\"}", "特别重大"},
      {"{\"portal_outage_min\":1440,\"portal_tier\":\"prefecture\"}", "重大"},
      {"{\"portal_outage_min\":1440,\"portal_tier\":\"enterprise\"}", "一般"},
      {"{\"content_views\":1000000,\"content_site_tier\":\"central_news\"}", "特别重大"},
      {"{\"content_views\":1000000,\"content_site_tier\":\"enterprise\"}", "较大"},
      {"{\"content_reposts\":100000,\"content_site_tier\":\"super_large_platform\"}", "特别重大"},
      /* any criterion, highest wins */
      {"{\"pi_leaked_persons\":1000000,\"cii_outage_min\":400}", "特别重大"},
      {"{}", "一般"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *r = with_facts("\"other\"", cases[i].facts);
    if (strcmp(grade(r), cases[i].grade)) fail_msg("%s gave %s, want %s", cases[i].facts, grade(r), cases[i].grade);
    json_decref(r);
  }
}

/* Finds the obligation (route, kind) in a result; NULL when absent. */
static json_t *obligation(json_t *r, const char *route, const char *kind) {
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(r, "obligations"), i, o) if (!strcmp(json_string_value(json_object_get(o, "route")), route) &&
                                                                  !strcmp(json_string_value(json_object_get(o, "kind")), kind)) return o;
  return NULL;
}

static void assert_due(json_t *o, const char *due) {
  assert_non_null(o);
  json_t *d = json_object_get(o, "due");
  if (!due) assert_true(json_is_null(d));
  else assert_string_equal(json_string_value(d), due);
}

static void routes(void **state) {
  (void)state;
  const char *major = "{\"pi_leaked_persons\":10000000}";
  json_t *r = with_facts("\"cii\"", major);
  assert_due(obligation(r, "CII", "initial"), "2025-12-01T11:00:00+08:00");
  json_t *to = json_object_get(obligation(r, "CII", "initial"), "to");
  assert_int_equal(json_array_size(to), 2);
  assert_string_equal(json_string_value(json_array_get(to, 0)), "cii_protection_dept");
  assert_string_equal(json_string_value(json_array_get(to, 1)), "public_security");
  assert_string_equal(json_string_value(json_object_get(obligation(r, "CII", "escalation"), "max")), "PT30M");
  assert_null(obligation(r, "OTHER", "initial"));
  json_decref(r);

  r = with_facts("\"central_organ\"", major);
  assert_due(obligation(r, "CENTRAL", "initial"), "2025-12-01T12:00:00+08:00");
  assert_string_equal(json_string_value(json_object_get(obligation(r, "CENTRAL", "escalation"), "max")), "PT1H");
  assert_null(obligation(r, "CII", "initial"));
  json_decref(r);

  r = with_facts("\"other\"", major);
  assert_due(obligation(r, "OTHER", "initial"), "2025-12-01T14:00:00+08:00");
  assert_due(obligation(r, "OTHER", "escalation"), NULL);
  assert_string_equal(json_string_value(json_object_get(obligation(r, "OTHER", "escalation"), "relative_to")), "receipt");
  assert_non_null(obligation(r, "OTHER", "notify"));
  assert_due(obligation(r, "OTHER", "final"), NULL);
  json_decref(r);

  /* CII operator that is also a central organ: both routes fire. */
  r = with_facts("[\"cii\",\"central_organ\"]", major);
  assert_non_null(obligation(r, "CII", "initial"));
  assert_non_null(obligation(r, "CENTRAL", "initial"));
  assert_null(obligation(r, "OTHER", "initial"));
  json_decref(r);
}

static void general_and_escalation(void **state) {
  (void)state;
  json_t *r = with_facts("\"other\"", "{\"pi_leaked_persons\":999999}");
  assert_string_equal(grade(r), "一般");
  assert_false(json_is_true(json_object_get(r, "reportable")));
  assert_int_equal(json_array_size(json_object_get(r, "obligations")), 0);
  json_decref(r);
  /* 较大: report, but no escalation and no notify. */
  r = with_facts("\"cii\"", "{\"pi_leaked_persons\":1000000}");
  assert_true(json_is_true(json_object_get(r, "reportable")));
  assert_non_null(obligation(r, "CII", "initial"));
  assert_null(obligation(r, "CII", "escalation"));
  json_decref(r);
  r = with_facts("\"other\"", "{\"pi_leaked_persons\":1000000}");
  assert_null(obligation(r, "OTHER", "escalation"));
  assert_null(obligation(r, "OTHER", "notify"));
  json_decref(r);
  /* 特别重大 escalates too. */
  r = with_facts("\"other\"", "{\"pi_leaked_persons\":100000000}");
  assert_non_null(obligation(r, "OTHER", "escalation"));
  json_decref(r);
}

static void police_sector_nis2(void **state) {
  (void)state;
  json_t *r = run("{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"NAPHISH\",\"suspected_crime\":true}", NULL, NULL);
  assert_non_null(r);
  assert_string_equal(grade(r), "一般");
  assert_non_null(obligation(r, "POLICE", "police"));
  assert_int_equal(json_array_size(json_object_get(r, "obligations")), 1);
  json_decref(r);
  r = run("{\"aware_at\":\"2025-12-01T10:00:00Z\",\"operator\":{\"kind\":\"other\",\"sector\":\"finance\",\"regimes\":[\"CN\",\"NIS2\"]},"
          "\"category\":\"MP\",\"facts\":{\"pi_leaked_persons\":2000000,\"nis2_significant\":true}}",
          NULL, NULL);
  assert_non_null(r);
  assert_non_null(obligation(r, "SECTOR", "initial"));
  assert_due(obligation(r, "NIS2", "early_warning"), "2025-12-02T18:00:00+08:00");
  assert_due(obligation(r, "NIS2", "notification"), "2025-12-04T18:00:00+08:00");
  assert_string_equal(json_string_value(json_object_get(obligation(r, "NIS2", "final"), "relative_to")), "notification");
  json_decref(r);
  /* NIS2 listed but not significant: no NIS2 obligations. */
  r = run("{\"aware_at\":\"2025-12-01T10:00:00Z\",\"operator\":{\"kind\":\"other\",\"regimes\":[\"CN\",\"NIS2\"]},\"category\":\"MP\","
          "\"facts\":{\"pi_leaked_persons\":2000000}}",
          NULL, NULL);
  assert_null(obligation(r, "NIS2", "early_warning"));
  json_decref(r);
}

static void legacy_names_and_codes(void **state) {
  (void)state;
  static const struct {
    const char *in, *code;
  } cases[] = {{"有害程序事件", "MP"}, {"拒绝服务攻击事件", "NADOS"}, {"网页内嵌恶意代码事件", "MPWEB"}, {"信息破坏事件", "DS"},
               {"灾害性事件", "FOC"},   {"mprans", "MPRANS"},         {"勒索软件事件", "MPRANS"},     {"DSDATALEAK", "DSDATALEAK"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char buf[400];
    snprintf(buf, sizeof buf, "{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"%s\"}", cases[i].in);
    char code[64] = "";
    json_t *r = run(buf, code, NULL);
    if (!r) fail_msg("%s: error %s", cases[i].in, code);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "category"), "code")), cases[i].code);
    json_decref(r);
  }
}

static void time_zones(void **state) {
  (void)state;
  /* UTC input, +08:00 output; the 4 h clock crosses midnight and a month end. */
  json_t *r = run("{\"aware_at\":\"2025-11-30T14:30:00Z\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\",\"facts\":{\"pi_leaked_persons\":1000000}}", NULL, NULL);
  assert_string_equal(json_string_value(json_object_get(r, "aware_at")), "2025-11-30T22:30:00+08:00");
  assert_due(obligation(r, "OTHER", "initial"), "2025-12-01T02:30:00+08:00");
  json_decref(r);
  r = run("{\"aware_at\":\"2025-12-31T10:15:00-05:00\",\"operator\":{\"kind\":\"cii\"},\"category\":\"MP\",\"facts\":{\"pi_leaked_persons\":1000000}}", NULL, NULL);
  assert_due(obligation(r, "CII", "initial"), "2026-01-01T00:15:00+08:00");
  json_decref(r);
}

static void declared_grades(void **state) {
  (void)state;
  char code[64], field[160];
  json_t *r = run("{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"DSDATALEAK\","
                  "\"facts\":{\"data_compromised\":\"important\"}}",
                  code, field);
  assert_string_equal(grade(r), "一般");
  assert_int_equal(json_array_size(json_object_get(r, "decisions_needed")), 3);
  json_decref(r);
  r = run("{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"DSDATALEAK\","
          "\"facts\":{\"data_compromised\":\"important\"},\"declared_grade\":\"重大\",\"declared_reason\":\"重要数据被窃取，严重威胁\"}",
          code, field);
  assert_string_equal(grade(r), "重大");
  assert_string_equal(json_string_value(json_object_get(r, "computed_grade")), "一般");
  assert_int_equal(json_array_size(json_object_get(r, "decisions_needed")), 0);
  assert_non_null(obligation(r, "OTHER", "escalation"));
  json_decref(r);
  assert_null(run("{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\","
                  "\"facts\":{\"pi_leaked_persons\":10000000},\"declared_grade\":\"较大\",\"declared_reason\":\"x\"}",
                  code, field));
  assert_string_equal(code, "declared_grade_too_low");
  assert_null(run("{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\",\"declared_grade\":\"重大\"}", code, field));
  assert_string_equal(code, "missing_field");
  assert_string_equal(field, "declared_reason");
}

static void invalid_inputs(void **state) {
  (void)state;
  static const struct {
    const char *text, *code, *field;
  } cases[] = {
      {"{", "invalid_json", ""},
      {"[]", "wrong_type", ""},
      {"{\"operator\":{\"kind\":\"other\"},\"category\":\"MP\"}", "missing_field", "aware_at"},
      {"{\"aware_at\":\"2025-12-01 10:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\"}", "bad_time", "aware_at"},
      {"{\"aware_at\":\"2025-12-01T10:00:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\"}", "bad_time", "aware_at"},
      {"{\"aware_at\":\"2025-02-30T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\"}", "bad_time", "aware_at"},
      {"{\"aware_at\":20251201,\"operator\":{\"kind\":\"other\"},\"category\":\"MP\"}", "wrong_type", "aware_at"},
      {"{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"category\":\"MP\"}", "missing_field", "operator"},
      {"{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"bank\"},\"category\":\"MP\"}", "bad_value", "operator.kind"},
      {"{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\",\"province\":\"999999\"},\"category\":\"MP\"}", "bad_value", "operator.province"},
      {"{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\",\"regimes\":[\"XX\"]},\"category\":\"MP\"}", "unknown_regime", "operator.regimes[0]"},
      {"{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"ZZTOP\"}", "unknown_category", "category"},
      {"{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":7}", "wrong_type", "category"},
      {"{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\",\"facts\":{\"x\":1}}", "unknown_fact", "facts.x"},
      {"{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\",\"facts\":{\"cii_outage_min\":-1}}", "negative_number", "facts.cii_outage_min"},
      {"{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\",\"facts\":{\"cii_outage_min\":\"10\"}}", "wrong_type", "facts.cii_outage_min"},
      {"{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\",\"facts\":{\"portal_outage_min\":10}}", "missing_field", "facts.portal_tier"},
      {"{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\",\"facts\":{\"portal_tier\":\"county\"}}", "bad_value", "facts.portal_tier"},
      {"{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\",\"facts\":{\"ransom\":{\"amount\":-5}}}", "negative_number", "facts.ransom.amount"},
      {"{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\",\"facts\":{\"ransom\":{\"demanded_at\":\"yesterday\"}}}", "bad_time", "facts.ransom.demanded_at"},
      {"{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\",\"suspected_crime\":\"yes\"}", "wrong_type", "suspected_crime"},
      {"{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\",\"severity\":3}", "unknown_field", "severity"},
      {"{\"aware_at\":\"2025-10-31T23:59:59+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\"}", "no_rules_in_force", "aware_at"},
      {"{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\"}", "invalid_json", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char code[64] = "", field[160] = "";
    json_t *r = run(cases[i].text, code, field);
    if (r) fail_msg("accepted: %s", cases[i].text);
    if (strcmp(code, cases[i].code) || strcmp(field, cases[i].field))
      fail_msg("%s: got %s/%s, want %s/%s", cases[i].text, code, field, cases[i].code, cases[i].field);
  }
}

static void effective_dates(void **state) {
  (void)state;
  /* The Measures are in force from 2025-11-01 00:00 Beijing time: inclusive. */
  json_t *r = run("{\"aware_at\":\"2025-11-01T00:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\"}", NULL, NULL);
  assert_non_null(r);
  json_decref(r);
  json_t *out = NULL;
  cirs_err e = {0};
  rules_opts o = {0};
  time_parse_rfc3339("2025-06-01T00:00:00+08:00", &o.at_ms, NULL);
  const char *t = "{\"aware_at\":\"2025-12-01T10:00:00+08:00\",\"operator\":{\"kind\":\"other\"},\"category\":\"MP\"}";
  assert_int_equal(rules_assess_text(RS, t, strlen(t), &o, &out, &e), -1);
  assert_string_equal(e.code, "no_rules_in_force");
  assert_string_equal(e.field, "at");
}

static void pack_validation(void **state) {
  (void)state;
  /* A broken pack is reported with file, path and reason. */
  rules_set *rs = rules_new();
  json_t *probs = json_array();
  const char *bad = "{\"format\":\"cirs-rules/1\",\"id\":\"X\",\"regime\":\"X\",\"title\":\"t\",\"version\":\"1\",\"effective_from\":\"2025-01-01T00:00:00Z\","
                    "\"timezone\":{\"utc_offset\":\"Z\"},\"source\":\"s\",\"confidence\":\"sure\",\"grading\":false,"
                    "\"levels\":[{\"id\":\"a\",\"en\":\"a\",\"rank\":1}],\"default_level\":\"a\",\"reportable_from\":\"b\",\"recipients\":{},"
                    "\"facts\":{\"n\":{\"type\":\"number\",\"max\":10,\"zh\":\"n\",\"en\":\"n\"}},"
                    "\"criteria\":[{\"id\":\"c\",\"fact\":\"m\",\"op\":\">=\",\"threshold\":-1,\"level\":\"a\",\"source\":\"s\",\"confidence\":\"confirmed\"}],"
                    "\"routes\":[{\"id\":\"R\",\"zh\":\"r\",\"en\":\"r\",\"applies_when\":{},\"source\":\"s\",\"confidence\":\"confirmed\"}],"
                    "\"obligations\":[{\"route\":\"Q\",\"kind\":\"k\",\"from\":\"operator\",\"to\":[\"nobody\"],\"max\":\"4 hours\",\"relative_to\":\"aware_at\","
                    "\"hard\":true,\"source\":\"s\",\"confidence\":\"confirmed\"}]}";
  rules_add_buffer(rs, "bad.json", bad, strlen(bad), probs);
  const char *want[][2] = {{"$.confidence", ""}, {"$.reportable_from", ""}, {"$.criteria[0].fact", ""}, {"$.criteria[0].threshold", ""},
                           {"$.obligations[0].route", ""}, {"$.obligations[0].to[0]", ""}, {"$.obligations[0].max", ""}};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    int found = 0;
    size_t j;
    json_t *p;
    json_array_foreach(probs, j, p) if (!strcmp(json_string_value(json_object_get(p, "path")), want[i][0]) &&
                                        !strcmp(json_string_value(json_object_get(p, "file")), "bad.json")) found = 1;
    if (!found) fail_msg("no problem reported at %s", want[i][0]);
  }
  json_decref(probs);
  rules_free(rs);
  /* The shipped packs are valid. */
  json_t *none = NULL;
  cirs_err e = {0};
  rules_set *ok = rules_load_embedded(&none, &e);
  assert_non_null(ok);
  assert_int_equal(json_array_size(none), 0);
  json_decref(none);
  rules_free(ok);
}

static int setup(void **state) {
  (void)state;
  cirs_err e = {0};
  lang_set(LANG_EN);
  RS = rules_load_embedded(NULL, &e);
  return RS ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  rules_free(RS);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_criterion_boundary), cmocka_unit_test(annex_figures), cmocka_unit_test(routes),
      cmocka_unit_test(general_and_escalation), cmocka_unit_test(police_sector_nis2), cmocka_unit_test(legacy_names_and_codes),
      cmocka_unit_test(time_zones), cmocka_unit_test(declared_grades), cmocka_unit_test(invalid_inputs),
      cmocka_unit_test(effective_dates), cmocka_unit_test(pack_validation),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
