/* test_pdf.c — the PDF documents on incidents built in memory (the CLI and API suites check the text with
 * poppler): the page limit, missing report versions, hostile text, file names, the final report's fallbacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/pdf/pdf.h"

static const pdf_meta META = {1795302881000LL, "tester"};

/* An incident with one report version whose `cause` is `cause` (borrowed). */
static json_t *incident(const char *cause, int drill) {
  json_t *content = json_pack("{s:s, s:s, s:s, s:s}", "reporting_unit", "测试单位", "affected_system", "办公网", "impact", "邮件系统中断", "cause", cause);
  json_t *rep = json_pack("{s:i, s:i, s:s, s:I, s:s, s:s, s:o, s:{s:{s:{s:i}}, s:{s:s, s:{s:s, s:s}}}, s:s}", "id", 1, "version", 1, "kind", "initial",
                          "submitted_ms", (json_int_t)1795302881000LL, "submitted_by", "reporter", "channel", "api", "content", content, "assessment",
                          "input", "facts", "portal_outage_min", 30, "result", "grade", "较大", "category", "zh", "拒绝服务事件", "parent", "NA",
                          "content_sha256", "00112233445566778899aabbccddeeff");
  return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:n, s:[o], s:[]}", "id", 1, "ref", "CIRS-2026-000042", "organisation", "org",
                   "organisation_name", "测试运营者", "title", "拒绝服务攻击", "category", "NADOS", "grade", "较大", "drill", drill, "aware_ms",
                   (json_int_t)1795300000000LL, "occurred_ms", "reports", rep, "obligations");
}

static void test_small_form(void **state) {
  (void)state;
  json_t *inc = incident("流量型攻击", 0);
  pdf_doc d;
  cirs_err e = {0};
  assert_int_equal(pdf_incident_form(inc, &META, &d, &e), 0);
  assert_true(d.len > 1000);
  assert_memory_equal(d.data, "%PDF-", 5);
  assert_true(d.pages >= 1 && d.pages <= 2);
  pdf_doc_free(&d);
  assert_null(d.data);
  assert_int_equal(pdf_final_report(inc, NULL, &META, &d, &e), 0); /* no events: the timeline says so */
  pdf_doc_free(&d);
  json_decref(inc);
}

/* `n` bytes of Chinese text (malloc'd). */
static char *chinese(size_t n) {
  char *big = malloc(n + 1);
  const char *unit = "超长文本测试。"; /* 21 bytes */
  size_t k = 0;
  while (k + 21 <= n) {
    memcpy(big + k, unit, 21);
    k += 21;
  }
  big[k] = 0;
  return big;
}

static void test_limits(void **state) {
  (void)state;
  pdf_doc d;
  cirs_err e = {0};
  /* One field longer than PDF_CELL_MAX. */
  char *big = chinese(PDF_CELL_MAX + 100);
  json_t *inc = incident(big, 1);
  assert_int_equal(pdf_incident_form(inc, &META, &d, &e), -1);
  assert_string_equal(e.code, "too_large");
  assert_null(d.data);
  json_decref(inc);
  free(big);
  /* Fields each within the limit, together far more than PDF_PAGES_MAX pages (the final report gives every item a row). */
  big = chinese(PDF_CELL_MAX - 1000);
  inc = incident(big, 0);
  json_t *content = json_object_get(json_array_get(json_object_get(inc, "reports"), 0), "content");
  static const char *const keys[] = {"place", "development", "attacker", "attack_path", "vulnerabilities", "further_measures", "other", NULL};
  for (int i = 0; keys[i]; i++) json_object_set_new(content, keys[i], json_string(big));
  memset(&e, 0, sizeof e);
  assert_int_equal(pdf_final_report(inc, NULL, &META, &d, &e), -1);
  assert_string_equal(e.code, "too_large");
  assert_non_null(strstr(e.msg, "200"));
  assert_null(d.data);
  json_decref(inc);
  free(big);
}

static void test_hostile_text(void **state) {
  (void)state;
  /* Markup, control characters and invalid UTF-8 are text, never markup errors or crashes. */
  json_t *inc = incident("<span foreground='red'>x</span> &amp; & <b \x01\x02\x7f \r\n 结尾", 0);
  json_object_set_new(json_array_get(json_object_get(inc, "reports"), 0), "submitted_by", json_stringn_nocheck("bad\xff\xfe", 5));
  pdf_doc d;
  cirs_err e = {0};
  assert_int_equal(pdf_incident_form(inc, &META, &d, &e), 0);
  pdf_doc_free(&d);
  json_decref(inc);
}

static void test_no_report_and_names(void **state) {
  (void)state;
  json_t *inc = incident("x", 0);
  char name[64];
  pdf_file_name(inc, PDF_FORM_REPORT, name, sizeof name);
  assert_string_equal(name, "CIRS-2026-000042-report.pdf");
  pdf_file_name(inc, PDF_FORM_FINAL, name, sizeof name);
  assert_string_equal(name, "CIRS-2026-000042-final.pdf");
  json_object_set_new(inc, "ref", json_string("a\"b/c"));
  pdf_file_name(inc, PDF_FORM_REPORT, name, sizeof name);
  assert_string_equal(name, "a_b_c-report.pdf");
  json_object_set_new(inc, "reports", json_array());
  pdf_doc d;
  cirs_err e = {0};
  assert_int_equal(pdf_incident_form(inc, &META, &d, &e), -1);
  assert_string_equal(e.code, "not_found");
  assert_int_equal(pdf_form_parse("report"), PDF_FORM_REPORT);
  assert_int_equal(pdf_form_parse(NULL), PDF_FORM_REPORT);
  assert_int_equal(pdf_form_parse("final"), PDF_FORM_FINAL);
  assert_int_equal(pdf_form_parse("Final"), -1);
  json_decref(inc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_small_form),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_hostile_text),
      cmocka_unit_test(test_no_report_and_names),
  };
  /* No cairo_debug_reset_static_data() at exit: it asserts that no scaled font is alive, and pango's fonts are
   * sometimes still being released then (an abort after every test had passed, once in a fresh Debian root). */
  return cmocka_run_group_tests(tests, NULL, NULL);
}
