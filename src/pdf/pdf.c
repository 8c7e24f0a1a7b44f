/* pdf.c — see pdf.h. The two documents as data over the page engine (flow.h): which report item goes into which
 * field of the form, the labels of categories, grades, obligations and events. */
#include "pdf.h"

#include <cairo.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "../common/timeutil.h"
#include "flow.h"

#define CN_OFFSET_MS (8LL * 3600 * 1000) /* documents show Beijing time */
#define FORM_TEXT_MIN_H 72.0             /* the free-text fields of the form are at least this high */

/* --- small helpers ---------------------------------------------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* "2026年11月22日 06时54分" (long) or "2026-11-22 06:54" (short), Beijing time; "" for a missing time. */
static const char *cn_time(const json_t *ms_v, int lng, char *buf, size_t n) {
  if (!json_is_integer(ms_v)) {
    buf[0] = 0;
    return buf;
  }
  int64_t local = json_integer_value(ms_v) + CN_OFFSET_MS;
  int64_t days = local >= 0 ? local / 86400000 : -((-local + 86399999) / 86400000);
  int64_t rem = (local - days * 86400000) / 1000;
  int64_t y;
  unsigned m, d;
  time_civil_from_days(days, &y, &m, &d);
  if (lng) snprintf(buf, n, "%lld年%02u月%02u日 %02d时%02d分", (long long)y, m, d, (int)(rem / 3600), (int)(rem / 60 % 60));
  else snprintf(buf, n, "%lld-%02u-%02u %02d:%02d", (long long)y, m, d, (int)(rem / 3600), (int)(rem / 60 % 60));
  return buf;
}

/* An RFC 3339 text of a report (content.occurred_at) in the long form; the text itself when it does not parse. */
static const char *cn_time_text_as(const char *s, int lng, char *buf, size_t n) {
  int64_t ms;
  int off;
  if (!s || !*s) {
    buf[0] = 0;
    return buf;
  }
  if (time_parse_rfc3339(s, &ms, &off)) {
    snprintf(buf, n, "%s", s);
    return buf;
  }
  json_t *v = json_integer(ms);
  cn_time(v, lng, buf, n);
  json_decref(v);
  return buf;
}

static const char *cn_time_text(const char *s, char *buf, size_t n) { return cn_time_text_as(s, 1, buf, n); }

/* Appends "label：value" (escaped, label bold) as a paragraph of its own; nothing when value is empty. */
static void item(GString *g, const char *label, const char *value) {
  if (!value || !*value) return;
  if (g->len) g_string_append_c(g, '\n');
  g_string_append(g, "<b>");
  pdf_esc(g, label);
  g_string_append(g, "：</b>");
  pdf_esc(g, value);
}

static char *markup_of(const char *text) {
  GString *g = g_string_new(NULL);
  pdf_esc(g, text);
  return g_string_free(g, FALSE);
}

static const char *grey_empty = "<span foreground=\"#777777\">（未填报）</span>";

/* A value of a JSON scalar as text (numbers without trailing zeros, booleans 是/否). */
static void scalar_text(const json_t *v, char *buf, size_t n) {
  if (json_is_string(v)) snprintf(buf, n, "%s", json_string_value(v));
  else if (json_is_integer(v)) snprintf(buf, n, "%lld", (long long)json_integer_value(v));
  else if (json_is_real(v)) snprintf(buf, n, "%g", json_real_value(v));
  else if (json_is_true(v)) snprintf(buf, n, "是");
  else if (json_is_false(v)) snprintf(buf, n, "否");
  else buf[0] = 0;
}

/* --- labels ----------------------------------------------------------------------------------------------------- */

typedef struct named {
  const char *key, *zh;
} named;

static const char *label_of(const named *t, const char *key) {
  for (; key && t->key; t++)
    if (!strcmp(t->key, key)) return t->zh;
  return key ? key : "";
}

/* The report items of Measures art. 7 (docs/report-format.md), in the order of the article. */
static const named content_labels[] = {
    {"reporting_unit", "报告单位"}, {"contact", "联系人及联系方式"}, {"affected_system", "受影响的设施、系统、平台及其基本情况"},
    {"occurred_at", "发生时间"}, {"aware_at", "发现时间"}, {"place", "发生地点"}, {"category", "事件类型"},
    {"impact", "已造成的影响和危害"}, {"measures_taken", "已采取的措施"}, {"measures_effect", "措施效果"},
    {"ransom", "勒索软件赎金"}, {"development", "事态发展趋势及可能造成的进一步影响"}, {"cause", "初步原因分析"},
    {"attacker", "可能的攻击者信息"}, {"attack_path", "攻击路径"}, {"vulnerabilities", "存在的漏洞"},
    {"further_measures", "拟进一步采取的措施"}, {"support_requested", "需要的支持"}, {"scene_preservation", "事件现场保护情况"},
    {"other", "其他应当报告的情况"}, {"handling_ended_at", "处置结束时间"},
    /* carried in the stored version beside the items; shown elsewhere in the documents */
    {"title", "事件名称"}, {"facts", "报告的事实"}, {NULL, NULL}};

static const named fact_labels[] = {
    {"cii_outage_min", "关键信息基础设施整体中断时长（分钟）"}, {"cii_main_function_outage_min", "关键信息基础设施主要功能中断时长（分钟）"},
    {"portal_outage_min", "门户网站中断时长（分钟）"}, {"people_affected", "影响人数"}, {"pi_leaked_persons", "个人信息泄露人数"},
    {"direct_loss_cny", "直接经济损失（元）"}, {"city_population_pct", "影响地市人口比例（%）"},
    {"province_population_pct", "影响省级行政区人口比例（%）"}, {"content_views", "违法有害信息浏览量"}, {"content_reposts", "违法有害信息转发量"},
    {"content_homepage_min", "首页违法有害信息存续时长（分钟）"}, {"content_other_page_min", "其他页面违法有害信息存续时长（分钟）"},
    {"data_compromised", "重要数据或个人信息被篡改、破坏、泄露或窃取"}, {NULL, NULL}};

static const named kind_labels[] = {{"initial", "初报"},        {"supplement", "续报"},      {"final", "总结报告"},
                                    {"escalation", "向上级报告"}, {"notify", "通报"},          {"police", "向公安机关报案"},
                                    {"early_warning", "早期预警"}, {"notification", "事件通知"}, {NULL, NULL}};

static const named status_labels[] = {{"pending", "待履行"}, {"met", "已履行"}, {"late", "迟报"}, {"overdue", "已超时"}, {"waived", "已免除"},
                                      {"open", "处置中"}, {"handling_ended", "处置结束"}, {"closed", "已结案"}, {NULL, NULL}};

static const named party_labels[] = {{"operator", "运营者"}, {"cii_protection_dept", "关键信息基础设施保护工作部门"}, {"public_security", "公安机关"},
                                     {"national_cac", "国家网信部门"}, {"mps", "国务院公安部门"}, {"department_cac_body", "本部门网信工作机构"},
                                     {"provincial_cac", "省级网信部门"}, {"sector_regulator", "行业主管（监管）部门"},
                                     {"relevant_departments", "有关部门"}, {"same_level_departments", "同级有关部门"}, {"csirt", "CSIRT"},
                                     {NULL, NULL}};

static const named event_labels[] = {
    {"incident.created", "事件登记（初报受理）"}, {"report.submitted", "提交报告"},     {"report.received", "收到报告"},
    {"obligation.created", "生成报告义务"},      {"obligation.met", "履行报告义务"},   {"obligation.overdue", "报告义务超时"},
    {"obligation.reminder", "到期提醒"},         {"obligation.started", "义务开始计时"}, {"obligation.waived", "免除报告义务"},
    {"incident.regraded", "事件级别调整"},       {"incident.handling_ended", "处置结束"}, {"incident.received", "机关登记接收"},
    {"incident.receipt", "机关登记接收"},        {"incident.escalated", "向上级报告"},    {"incident.forwarded", "转送"},
    {NULL, NULL}};

/* The form's seven classes (2007 names) by the 2023 top-level code; everything else is 其他类. */
static const named form_classes[] = {{"MP", "有害程序类事件"},       {"NA", "网络攻击类事件"},     {"DS", "信息破坏类事件"},
                                     {"IC", "信息内容安全类事件"},   {"DE", "设备设施故障类事件"}, {"FOC", "灾害类事件"},
                                     {"", "其他类事件"},             {NULL, NULL}};

static const char *const form_grades[] = {"特别重大", "重大", "较大", "一般", NULL};

/* --- the report version a document is made of ------------------------------------------------------------------- */

static const json_t *latest_report(const json_t *inc, const char *kind) {
  const json_t *reports = json_object_get(inc, "reports"), *best = NULL, *r;
  size_t i;
  json_array_foreach(reports, i, r) if (!kind || !strcmp(jstr(r, "kind") ? jstr(r, "kind") : "", kind)) best = r;
  return best;
}

static const json_t *report_facts(const json_t *r) { return json_object_get(json_object_get(json_object_get(r, "assessment"), "input"), "facts"); }
static const json_t *report_result(const json_t *r) { return json_object_get(json_object_get(r, "assessment"), "result"); }

/* Top-level 2023 category code of the incident: the assessment's parent, else the longest known prefix. */
static const char *top_category(const json_t *inc, const json_t *r) {
  const char *parent = jstr(json_object_get(report_result(r), "category"), "parent");
  const char *code = parent && *parent ? parent : jstr(inc, "category");
  if (!code) return "";
  const char *best = "";
  for (const named *c = form_classes; c->key; c++)
    if (*c->key && !strncmp(code, c->key, strlen(c->key)) && strlen(c->key) > strlen(best)) best = c->key;
  return best;
}

static void checkbox(GString *g, int on, const char *text) {
  if (g->len) g_string_append(g, "　");
  g_string_append(g, on ? "■" : "□");
  pdf_esc(g, text);
}

static double fact_num(const json_t *facts, const char *k) {
  const json_t *v = json_object_get(facts, k);
  return json_is_number(v) ? json_number_value(v) : 0;
}

static int cat_in(const char *code, const char *const *list) {
  for (; code && *list; list++)
    if (!strcmp(code, *list)) return 1;
  return 0;
}

/* 危害表象: marked from the category and the reported facts (the form note says so). Order: 网络中断, 系统瘫痪,
 * 数据毁坏, 数据泄密, 其他危害. */
static void harms(const json_t *inc, const json_t *r, int on[5]) {
  static const char *const outage[] = {"NADOS", "NABGPATT", "NASIGINT", "NADNSHIJ", "NATRAFHIJ", "DETECH", "DEACCFAC", "DEPHYS", "DERADINT", NULL};
  static const char *const destroy[] = {"MPRANS", "DSDATAALTER", "DSDATALOSS", "DSDATAPOLL", "NAWEBMOD", NULL};
  static const char *const leak[] = {"DSDATALEAK", "DSDATASTEAL", "DSDATAINTER", "DSPRIVACY", "DSDATAABUSE", NULL};
  const char *cat = jstr(inc, "category");
  const json_t *facts = report_facts(r);
  memset(on, 0, 5 * sizeof *on);
  on[0] = cat_in(cat, outage);
  on[1] = fact_num(facts, "cii_outage_min") > 0 || fact_num(facts, "cii_main_function_outage_min") > 0 || fact_num(facts, "portal_outage_min") > 0;
  on[2] = cat_in(cat, destroy);
  on[3] = cat_in(cat, leak) || fact_num(facts, "pi_leaked_persons") > 0 || json_is_true(json_object_get(facts, "data_compromised"));
  on[4] = !(on[0] || on[1] || on[2] || on[3]);
}

/* Reported facts with their labels, one per line (ransom and nested objects excluded: shown elsewhere). */
static void facts_text(GString *g, const json_t *facts) {
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)facts, k, v) {
    char buf[64];
    if (json_is_object(v) || json_is_array(v) || json_is_null(v)) continue;
    scalar_text(v, buf, sizeof buf);
    item(g, label_of(fact_labels, k), buf);
  }
}

static void ransom_text(GString *g, const json_t *ransom) {
  if (!json_is_object(ransom)) return;
  char amount[64], t[64], line[400];
  scalar_text(json_object_get(ransom, "amount"), amount, sizeof amount);
  snprintf(line, sizeof line, "%s %s；支付方式：%s；索要时间：%s", amount, jstr(ransom, "currency") ? jstr(ransom, "currency") : "",
           jstr(ransom, "method") ? jstr(ransom, "method") : "—", *cn_time_text(jstr(ransom, "demanded_at"), t, sizeof t) ? t : "—");
  item(g, "勒索软件赎金", line);
}

static const char *content_str(const json_t *content, const char *k) { return jstr(content, k); }

/* --- the incident report form ----------------------------------------------------------------------------------- */

typedef struct form_ctx {
  const json_t *inc, *rep;
  const pdf_meta *meta;
} form_ctx;

#define LW 78.0                              /* label column */
#define VW ((PDF_BODY_W - 2 * LW) / 2)       /* value column of a four-column row */

static void row4(pdf_flow *f, const char *l1, const char *v1, const char *l2, const char *v2) {
  char *a = markup_of(l1), *b = v1 && *v1 ? markup_of(v1) : g_strdup(""), *c = markup_of(l2), *d = v2 && *v2 ? markup_of(v2) : g_strdup("");
  pdf_cell cells[4] = {{LW, a, PDF_FONT_LABEL, PDF_CENTER, 1}, {VW, b, PDF_FONT_TEXT, PDF_LEFT, 0},
                       {LW, c, PDF_FONT_LABEL, PDF_CENTER, 1}, {VW, d, PDF_FONT_TEXT, PDF_LEFT, 0}};
  pdf_flow_row(f, 4, cells, 28, 1);
  g_free(a);
  g_free(b);
  g_free(c);
  g_free(d);
}

static void row2(pdf_flow *f, const char *label, const char *markup) {
  char *a = markup_of(label);
  pdf_cell cells[2] = {{LW, a, PDF_FONT_LABEL, PDF_CENTER, 1}, {PDF_BODY_W - LW, markup, PDF_FONT_TEXT, PDF_LEFT, 0}};
  pdf_flow_row(f, 2, cells, 28, 1);
  g_free(a);
}

/* A full-width field: its label (with the form's explanation) on top, the text below; flows across pages. */
static void field(pdf_flow *f, const char *label, GString *text) {
  GString *g = g_string_new("<span font_family=\"Noto Sans CJK SC\" weight=\"bold\" size=\"10pt\">");
  pdf_esc(g, label);
  g_string_append(g, "</span>\n");
  g_string_append(g, text->len ? text->str : grey_empty);
  pdf_cell cell = {PDF_BODY_W, g->str, PDF_FONT_TEXT, PDF_LEFT, 0};
  pdf_flow_row(f, 1, &cell, FORM_TEXT_MIN_H, 1);
  g_string_free(g, TRUE);
}

static int is_known(const char *k) {
  for (const named *c = content_labels; c->key; c++)
    if (!strcmp(c->key, k)) return 1;
  return 0;
}

static void form_body(pdf_flow *f, void *arg) {
  form_ctx *x = arg;
  const json_t *inc = x->inc, *rep = x->rep, *content = json_object_get(rep, "content"), *result = report_result(rep);
  char t1[80], t2[80], buf[400];
  GString *g = g_string_new(NULL);

  /* Title and identification. */
  if (json_is_true(json_object_get(inc, "drill")) || json_integer_value(json_object_get(inc, "drill")))
    g_string_append(g, "<span foreground=\"#c00000\">【演练】</span>");
  g_string_append(g, "网络安全事件报告表");
  pdf_flow_text(f, g->str, PDF_FONT_TITLE, PDF_CENTER);
  pdf_flow_space(f, 6);
  g_string_truncate(g, 0);
  snprintf(buf, sizeof buf, "事件编号：%s　　报告版本：第 %lld 版（%s）　　事件名称：", jstr(inc, "ref") ? jstr(inc, "ref") : "",
           (long long)json_integer_value(json_object_get(rep, "version")), label_of(kind_labels, jstr(rep, "kind")));
  pdf_esc(g, buf);
  pdf_esc(g, jstr(inc, "title"));
  pdf_flow_text(f, g->str, PDF_FONT_SMALL, PDF_CENTER);
  pdf_flow_space(f, 8);

  /* Who and when. */
  const char *unit = content_str(content, "reporting_unit");
  const char *org = jstr(inc, "organisation_name") ? jstr(inc, "organisation_name") : jstr(inc, "organisation");
  row4(f, "报告单位", unit && *unit ? unit : org, "报告时间", cn_time(json_object_get(rep, "submitted_ms"), 1, t1, sizeof t1));
  const char *occ = content_str(content, "occurred_at");
  if (occ && *occ) cn_time_text(occ, t1, sizeof t1);
  else cn_time(json_object_get(inc, "occurred_ms"), 1, t1, sizeof t1);
  cn_time(json_object_get(inc, "aware_ms"), 1, t2, sizeof t2);
  snprintf(buf, sizeof buf, "%s\n（发现时间：%s）", *t1 ? t1 : "不详", t2);
  row4(f, "事发单位", org, "事件起始时间", buf);
  const char *contact = content_str(content, "contact");
  snprintf(buf, sizeof buf, "%s%s%s", jstr(rep, "submitted_by") ? jstr(rep, "submitted_by") : "", contact && *contact ? "\n联系人：" : "",
           contact && *contact ? contact : "");
  row4(f, "填报人", buf, "审核人", "");

  /* The three check-box rows. */
  g_string_truncate(g, 0);
  const char *top = top_category(inc, rep);
  for (const named *c = form_classes; c->key; c++) checkbox(g, !strcmp(c->key, top), c->zh);
  const json_t *cat = json_object_get(result, "category");
  snprintf(buf, sizeof buf, "GB/T 20986-2023：%s %s", jstr(inc, "category") ? jstr(inc, "category") : "", jstr(cat, "zh") ? jstr(cat, "zh") : "");
  g_string_append(g, "\n<span size=\"8.5pt\" foreground=\"#444444\">");
  pdf_esc(g, buf);
  g_string_append(g, "</span>");
  row2(f, "事件分类", g->str);

  g_string_truncate(g, 0);
  const char *grade = jstr(inc, "grade");
  for (int i = 0; form_grades[i]; i++) {
    snprintf(buf, sizeof buf, "%s网络与信息安全事件", form_grades[i]);
    checkbox(g, grade && !strcmp(grade, form_grades[i]), buf);
  }
  const json_t *reasons = json_object_get(result, "reasons"), *rr;
  size_t i;
  GString *why = g_string_new(NULL);
  json_array_foreach(reasons, i, rr) {
    if (i >= 6) break;
    if (why->len) g_string_append(why, "；");
    g_string_append(why, jstr(rr, "source") ? jstr(rr, "source") : jstr(rr, "criterion") ? jstr(rr, "criterion") : "");
  }
  if (why->len) {
    g_string_append(g, "\n<span size=\"8.5pt\" foreground=\"#444444\">定级依据：");
    pdf_esc(g, why->str);
    g_string_append(g, "</span>");
  }
  g_string_free(why, TRUE);
  row2(f, "事件级别", g->str);

  g_string_truncate(g, 0);
  static const char *const harm_names[5] = {"网络中断", "系统瘫痪", "数据毁坏", "数据泄密", "其他危害"};
  int on[5];
  harms(inc, rep, on);
  for (int k = 0; k < 5; k++) checkbox(g, on[k], harm_names[k]);
  g_string_append(g, "\n<span size=\"8.5pt\" foreground=\"#444444\">（由系统依据事件类别与报告的事实标注）</span>");
  row2(f, "危害表象", g->str);

  /* The four free-text fields. */
  GString *desc = g_string_new(NULL), *meas = g_string_new(NULL), *cons = g_string_new(NULL), *adv = g_string_new(NULL);
  item(desc, "事件名称", jstr(inc, "title"));
  item(desc, "受影响的设施、系统、平台及其基本情况", content_str(content, "affected_system"));
  item(desc, "发生地点", content_str(content, "place"));
  item(desc, "初步原因分析", content_str(content, "cause"));
  item(desc, "可能的攻击者信息", content_str(content, "attacker"));
  item(desc, "攻击路径", content_str(content, "attack_path"));
  item(desc, "存在的漏洞", content_str(content, "vulnerabilities"));
  item(meas, "已采取的措施", content_str(content, "measures_taken"));
  item(meas, "措施效果", content_str(content, "measures_effect"));
  item(meas, "拟进一步采取的措施", content_str(content, "further_measures"));
  item(meas, "事件现场保护情况", content_str(content, "scene_preservation"));
  item(meas, "处置结束时间", cn_time_text(content_str(content, "handling_ended_at"), t1, sizeof t1));
  item(cons, "已造成的影响和危害", content_str(content, "impact"));
  item(cons, "事态发展趋势及可能造成的进一步影响", content_str(content, "development"));
  ransom_text(cons, json_object_get(content, "ransom"));
  facts_text(cons, report_facts(rep));
  item(adv, "需要的支持", content_str(content, "support_requested"));
  item(adv, "其他应当报告的情况", content_str(content, "other"));
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)content, k, v) if (!is_known(k) && json_is_string(v)) item(adv, k, json_string_value(v));
  field(f, "事件描述（包括突发事件发生的原因、性质，初步原因和危害程度判断）：", desc);
  field(f, "处置措施（突发事件发生单位已采取的控制措施及其他应对措施）：", meas);
  field(f, "事件后果的初步估计：", cons);
  field(f, "有关意见和建议：", adv);
  g_string_free(desc, TRUE);
  g_string_free(meas, TRUE);
  g_string_free(cons, TRUE);
  g_string_free(adv, TRUE);

  /* Signatures and provenance. */
  pdf_flow_space(f, 14);
  pdf_flow_text(f, "报告单位（盖章）：　　　　　　审核人（签字）：　　　　　　日期：　　年　　月　　日", PDF_FONT_TEXT, PDF_LEFT);
  pdf_flow_space(f, 8);
  g_string_truncate(g, 0);
  snprintf(buf, sizeof buf, "本表依据系统存储的第 %lld 版报告生成（内容 sha256:%.16s…，提交：%s，渠道：%s）；报告版本不可修改，以系统记录为准。",
           (long long)json_integer_value(json_object_get(rep, "version")), jstr(rep, "content_sha256") ? jstr(rep, "content_sha256") : "",
           cn_time(json_object_get(rep, "submitted_ms"), 0, t1, sizeof t1), jstr(rep, "channel") ? jstr(rep, "channel") : "");
  pdf_esc(g, buf);
  pdf_flow_text(f, g->str, PDF_FONT_SMALL, PDF_LEFT);
  g_string_free(g, TRUE);
}

/* --- the final report ------------------------------------------------------------------------------------------- */

typedef struct final_ctx {
  const json_t *inc, *rep, *events;
  const pdf_meta *meta;
  int is_final; /* rep is a final report version (else the latest version while none was filed) */
} final_ctx;

static void kv(pdf_flow *f, const char *label, const char *value) {
  char *v = value && *value ? markup_of(value) : g_strdup("—");
  char *a = markup_of(label);
  pdf_cell cells[2] = {{110, a, PDF_FONT_LABEL, PDF_LEFT, 1}, {PDF_BODY_W - 110, v, PDF_FONT_TEXT, PDF_LEFT, 0}};
  pdf_flow_row(f, 2, cells, 0, 1);
  g_free(a);
  g_free(v);
}

/* "PT1H" -> "1 小时", "P30D" -> "30 日"; other durations as they are. */
static const char *duration_text(const char *iso, char *buf, size_t n) {
  long v;
  char unit, rest;
  if (!iso) snprintf(buf, n, "—");
  else if (sscanf(iso, "PT%ld%c%c", &v, &unit, &rest) == 2 && (unit == 'H' || unit == 'M'))
    snprintf(buf, n, "%ld %s", v, unit == 'H' ? "小时" : "分钟");
  else if (sscanf(iso, "P%ld%c%c", &v, &unit, &rest) == 2 && unit == 'D') snprintf(buf, n, "%ld 日", v);
  else snprintf(buf, n, "%s", iso);
  return buf;
}

/* What an event says, in a line: kind, version, grades, authorities, note. */
static void event_detail(GString *g, const json_t *ev) {
  const json_t *p = json_object_get(ev, "payload");
  char buf[300];
  const char *kind = jstr(p, "kind");
  if (kind) {
    snprintf(buf, sizeof buf, "%s%s", g->len ? "；" : "", label_of(kind_labels, kind));
    pdf_esc(g, buf);
  }
  if (json_is_integer(json_object_get(p, "version"))) {
    snprintf(buf, sizeof buf, "%s第 %lld 版", g->len ? "；" : "", (long long)json_integer_value(json_object_get(p, "version")));
    pdf_esc(g, buf);
  }
  if (jstr(p, "from") && jstr(p, "to") && !strcmp(jstr(ev, "type") ? jstr(ev, "type") : "", "incident.regraded")) {
    snprintf(buf, sizeof buf, "%s%s → %s", g->len ? "；" : "", jstr(p, "from"), jstr(p, "to"));
    pdf_esc(g, buf);
  } else if (jstr(p, "grade")) {
    snprintf(buf, sizeof buf, "%s级别：%s", g->len ? "；" : "", jstr(p, "grade"));
    pdf_esc(g, buf);
  }
  if (jstr(p, "authority")) {
    snprintf(buf, sizeof buf, "%s机关：%s", g->len ? "；" : "", jstr(p, "authority"));
    pdf_esc(g, buf);
  }
  if (jstr(p, "from") && strcmp(jstr(ev, "type") ? jstr(ev, "type") : "", "incident.regraded")) {
    GString *to = g_string_new(NULL);
    const json_t *t = json_object_get(p, "to"), *x;
    size_t i;
    if (json_is_string(t)) g_string_append(to, json_string_value(t));
    json_array_foreach(t, i, x) {
      if (to->len) g_string_append(to, "、");
      g_string_append(to, json_is_string(x) ? json_string_value(x) : jstr(x, "authority") ? jstr(x, "authority") : jstr(x, "recipient") ? jstr(x, "recipient") : "");
    }
    snprintf(buf, sizeof buf, "%s%s → %s", g->len ? "；" : "", jstr(p, "from"), to->str);
    g_string_free(to, TRUE);
    pdf_esc(g, buf);
  }
  if (jstr(p, "due")) {
    char t[80];
    snprintf(buf, sizeof buf, "%s截止：%s", g->len ? "；" : "", cn_time_text_as(jstr(p, "due"), 0, t, sizeof t));
    pdf_esc(g, buf);
  }
  if (jstr(p, "at")) {
    char t[80];
    snprintf(buf, sizeof buf, "%s时间：%s", g->len ? "；" : "", cn_time_text_as(jstr(p, "at"), 0, t, sizeof t));
    pdf_esc(g, buf);
  }
  if (jstr(p, "reason")) {
    g_string_append(g, g->len ? "；理由：" : "理由：");
    pdf_esc(g, jstr(p, "reason"));
  }
  if (jstr(p, "note")) {
    g_string_append(g, g->len ? "；说明：" : "说明：");
    pdf_esc(g, jstr(p, "note"));
  }
}

static void final_body(pdf_flow *f, void *arg) {
  final_ctx *x = arg;
  const json_t *inc = x->inc, *rep = x->rep, *content = json_object_get(rep, "content");
  char t1[80], t2[80], buf[600];
  GString *g = g_string_new(NULL);
  int drill = json_is_true(json_object_get(inc, "drill")) || json_integer_value(json_object_get(inc, "drill"));

  if (drill) g_string_append(g, "<span foreground=\"#c00000\">【演练】</span>");
  g_string_append(g, "网络安全事件总结报告");
  pdf_flow_text(f, g->str, PDF_FONT_TITLE, PDF_CENTER);
  pdf_flow_space(f, 4);
  g_string_truncate(g, 0);
  pdf_esc(g, jstr(inc, "title"));
  pdf_flow_text(f, g->str, PDF_FONT_HEADING, PDF_CENTER);
  pdf_flow_space(f, 6);

  pdf_flow_heading(f, "一、事件概况");
  const json_t *cat = json_object_get(report_result(rep), "category");
  kv(f, "事件编号", jstr(inc, "ref"));
  kv(f, "事件名称", jstr(inc, "title"));
  snprintf(buf, sizeof buf, "%s（%s）", jstr(inc, "organisation_name") ? jstr(inc, "organisation_name") : "", jstr(inc, "organisation") ? jstr(inc, "organisation") : "");
  kv(f, "报告单位（运营者）", buf);
  snprintf(buf, sizeof buf, "%s %s", jstr(inc, "category") ? jstr(inc, "category") : "", jstr(cat, "zh") ? jstr(cat, "zh") : "");
  kv(f, "事件类别（GB/T 20986-2023）", buf);
  kv(f, "事件级别", jstr(inc, "grade"));
  kv(f, "事件状态", label_of(status_labels, jstr(inc, "status")));
  kv(f, "发生时间", cn_time(json_object_get(inc, "occurred_ms"), 1, t1, sizeof t1));
  kv(f, "发现时间", cn_time(json_object_get(inc, "aware_ms"), 1, t1, sizeof t1));
  kv(f, "处置结束时间", cn_time(json_object_get(inc, "handling_end_ms"), 1, t1, sizeof t1));
  snprintf(buf, sizeof buf, "共 %zu 版；本报告依据第 %lld 版（%s，%s 由 %s 提交，内容 sha256:%.16s…）", json_array_size(json_object_get(inc, "reports")),
           (long long)json_integer_value(json_object_get(rep, "version")), label_of(kind_labels, jstr(rep, "kind")),
           cn_time(json_object_get(rep, "submitted_ms"), 0, t2, sizeof t2), jstr(rep, "submitted_by") ? jstr(rep, "submitted_by") : "",
           jstr(rep, "content_sha256") ? jstr(rep, "content_sha256") : "");
  kv(f, "报告版本", buf);
  if (drill) kv(f, "演练", "本事件为演练，不计入统计");

  pdf_flow_heading(f, "二、总结报告内容");
  if (!x->is_final) {
    snprintf(buf, sizeof buf, "<span foreground=\"#c00000\">尚未提交总结报告；以下为最新报告版本（第 %lld 版，%s）的内容。</span>",
             (long long)json_integer_value(json_object_get(rep, "version")), label_of(kind_labels, jstr(rep, "kind")));
    pdf_flow_text(f, buf, PDF_FONT_TEXT, PDF_LEFT);
    pdf_flow_space(f, 4);
  }
  for (const named *c = content_labels; c->key; c++) {
    const json_t *v = json_object_get(content, c->key);
    if (!strcmp(c->key, "ransom")) {
      g_string_truncate(g, 0);
      ransom_text(g, v);
      if (g->len) {
        char *a = markup_of(c->zh);
        const char *colon = strstr(g->str, "：</b>");
        pdf_cell cells[2] = {{110, a, PDF_FONT_LABEL, PDF_LEFT, 1}, {PDF_BODY_W - 110, colon ? colon + strlen("：</b>") : g->str, PDF_FONT_TEXT, PDF_LEFT, 0}};
        pdf_flow_row(f, 2, cells, 0, 1);
        g_free(a);
      }
      continue;
    }
    if (!json_is_string(v) || !*json_string_value(v) || !strcmp(c->key, "title")) continue;
    const char *s = json_string_value(v);
    if (!strcmp(c->key, "occurred_at") || !strcmp(c->key, "aware_at") || !strcmp(c->key, "handling_ended_at")) s = cn_time_text(s, t1, sizeof t1);
    else if (!strcmp(c->key, "category")) {
      snprintf(buf, sizeof buf, "%s %s", s, jstr(cat, "zh") ? jstr(cat, "zh") : "");
      s = buf;
    }
    kv(f, c->zh, s);
  }
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)content, k, v) if (!is_known(k) && json_is_string(v)) kv(f, k, json_string_value(v));
  g_string_truncate(g, 0);
  facts_text(g, report_facts(rep));
  if (g->len) {
    pdf_cell cells[2] = {{110, "<b>报告的事实</b>", PDF_FONT_LABEL, PDF_LEFT, 1}, {PDF_BODY_W - 110, g->str, PDF_FONT_TEXT, PDF_LEFT, 0}};
    pdf_flow_row(f, 2, cells, 0, 1);
  }

  pdf_flow_heading(f, "三、事件经过");
  static const pdf_cell ev_head[3] = {{100, "时间", PDF_FONT_LABEL, PDF_CENTER, 1}, {80, "操作者", PDF_FONT_LABEL, PDF_CENTER, 1},
                                      {PDF_BODY_W - 180, "事项", PDF_FONT_LABEL, PDF_CENTER, 1}};
  pdf_flow_row(f, 3, ev_head, 0, 1);
  pdf_flow_repeat(f, 3, ev_head);
  const json_t *ev;
  size_t i;
  json_array_foreach(x->events, i, ev) {
    GString *d = g_string_new("<b>");
    pdf_esc(d, label_of(event_labels, jstr(ev, "type")));
    g_string_append(d, "</b>");
    GString *detail = g_string_new(NULL);
    event_detail(detail, ev);
    if (detail->len) {
      g_string_append(d, "：");
      g_string_append(d, detail->str);
    }
    g_string_free(detail, TRUE);
    char *when = markup_of(cn_time(json_object_get(ev, "at_ms"), 0, t1, sizeof t1)), *who = markup_of(jstr(ev, "actor"));
    pdf_cell cells[3] = {{100, when, PDF_FONT_TEXT, PDF_LEFT, 0}, {80, who, PDF_FONT_TEXT, PDF_LEFT, 0}, {PDF_BODY_W - 180, d->str, PDF_FONT_TEXT, PDF_LEFT, 0}};
    pdf_flow_row(f, 3, cells, 0, 1);
    g_free(when);
    g_free(who);
    g_string_free(d, TRUE);
  }
  if (!json_array_size(x->events)) pdf_flow_text(f, "（无记录）", PDF_FONT_TEXT, PDF_LEFT);
  pdf_flow_repeat(f, 0, NULL);

  pdf_flow_heading(f, "四、报告义务履行情况");
  static const pdf_cell ob_head[6] = {{72, "义务", PDF_FONT_LABEL, PDF_CENTER, 1},      {135, "报送方 → 接收方", PDF_FONT_LABEL, PDF_CENTER, 1},
                                      {50, "时限", PDF_FONT_LABEL, PDF_CENTER, 1},      {80, "截止时间", PDF_FONT_LABEL, PDF_CENTER, 1},
                                      {80, "履行时间", PDF_FONT_LABEL, PDF_CENTER, 1}, {PDF_BODY_W - 417, "状态", PDF_FONT_LABEL, PDF_CENTER, 1}};
  pdf_flow_row(f, 6, ob_head, 0, 1);
  pdf_flow_repeat(f, 6, ob_head);
  const json_t *ob;
  json_array_foreach(json_object_get(inc, "obligations"), i, ob) {
    GString *who = g_string_new(NULL), *what = g_string_new(NULL);
    snprintf(buf, sizeof buf, "%s\n%s %s", label_of(kind_labels, jstr(ob, "kind")), jstr(ob, "regime") ? jstr(ob, "regime") : "",
             jstr(ob, "route") ? jstr(ob, "route") : "");
    pdf_esc(what, buf);
    const char *from = jstr(ob, "from");
    pdf_esc(who, label_of(party_labels, from));
    if (jstr(ob, "from_authority")) {
      g_string_append(who, "（");
      pdf_esc(who, jstr(ob, "from_authority"));
      g_string_append(who, "）");
    }
    g_string_append(who, " → ");
    const json_t *to = json_object_get(ob, "to_authorities"), *t;
    size_t j;
    if (!json_array_size(to)) to = json_object_get(ob, "to");
    json_array_foreach(to, j, t) {
      if (j) g_string_append(who, "、");
      const char *rcp = json_is_string(t) ? json_string_value(t) : jstr(t, "recipient");
      pdf_esc(who, label_of(party_labels, rcp));
      if (jstr(t, "authority")) {
        g_string_append(who, "（");
        pdf_esc(who, jstr(t, "authority"));
        g_string_append(who, "）");
      }
    }
    const char *status = jstr(ob, "status") ? jstr(ob, "status") : "";
    const json_t *due = json_object_get(ob, "due_ms");
    if (!strcmp(status, "pending") && json_is_integer(due) && json_integer_value(due) < x->meta->now_ms) status = "overdue";
    char dur[40], *due_s, *met_s, *st_s, *dur_s;
    due_s = markup_of(json_is_integer(due) ? cn_time(due, 0, t1, sizeof t1) : "未起算");
    met_s = markup_of(json_is_integer(json_object_get(ob, "met_ms")) ? cn_time(json_object_get(ob, "met_ms"), 0, t2, sizeof t2) : "—");
    st_s = markup_of(label_of(status_labels, status));
    dur_s = markup_of(duration_text(jstr(ob, "max"), dur, sizeof dur));
    pdf_cell cells[6] = {{72, what->str, PDF_FONT_TEXT, PDF_LEFT, 0},  {135, who->str, PDF_FONT_TEXT, PDF_LEFT, 0},
                         {50, dur_s, PDF_FONT_TEXT, PDF_CENTER, 0},    {80, due_s, PDF_FONT_TEXT, PDF_LEFT, 0},
                         {80, met_s, PDF_FONT_TEXT, PDF_LEFT, 0},      {PDF_BODY_W - 417, st_s, PDF_FONT_TEXT, PDF_CENTER, 0}};
    pdf_flow_row(f, 6, cells, 0, 1);
    g_free(due_s);
    g_free(met_s);
    g_free(st_s);
    g_free(dur_s);
    g_string_free(who, TRUE);
    g_string_free(what, TRUE);
  }
  if (!json_array_size(json_object_get(inc, "obligations"))) pdf_flow_text(f, "（无报告义务）", PDF_FONT_TEXT, PDF_LEFT);
  pdf_flow_repeat(f, 0, NULL);

  pdf_flow_space(f, 18);
  pdf_flow_text(f, "报告单位（盖章）：　　　　　　负责人（签字）：　　　　　　日期：　　年　　月　　日", PDF_FONT_TEXT, PDF_LEFT);
  g_string_free(g, TRUE);
}

/* --- entry points ----------------------------------------------------------------------------------------------- */

static void stamp(const pdf_meta *m, char *buf, size_t n) {
  char t[80];
  json_t *v = json_integer(m->now_ms);
  snprintf(buf, n, "CIRS 网络安全事件报告与应急处置系统生成于 %s（北京时间）%s%s", cn_time(v, 0, t, sizeof t), m->by ? "　操作人：" : "", m->by ? m->by : "");
  json_decref(v);
}

static int drill_of(const json_t *inc) { return json_is_true(json_object_get(inc, "drill")) || json_integer_value(json_object_get(inc, "drill")); }

int pdf_incident_form(const json_t *inc, const pdf_meta *m, pdf_doc *out, cirs_err *e) {
  memset(out, 0, sizeof *out);
  const json_t *rep = latest_report(inc, NULL);
  if (!rep) return err_set_msg(e, "not_found", "reports", L("事件没有报告版本", "the incident has no report version"));
  char st[300];
  stamp(m, st, sizeof st);
  pdf_setup s = {"网络安全事件报告表", jstr(inc, "ref"), drill_of(inc), st};
  form_ctx x = {inc, rep, m};
  return pdf_flow_run(&s, form_body, &x, out, e);
}

int pdf_final_report(const json_t *inc, const json_t *events, const pdf_meta *m, pdf_doc *out, cirs_err *e) {
  memset(out, 0, sizeof *out);
  const json_t *rep = latest_report(inc, "final");
  int is_final = rep != NULL;
  if (!rep) rep = latest_report(inc, NULL);
  if (!rep) return err_set_msg(e, "not_found", "reports", L("事件没有报告版本", "the incident has no report version"));
  if (json_array_size(events) > PDF_EVENTS_MAX) {
    char msg[64];
    snprintf(msg, sizeof msg, L("事件记录超过 %d 条", "more than %d events"), PDF_EVENTS_MAX);
    return err_set(e, "too_large", "events", msg);
  }
  char st[300];
  stamp(m, st, sizeof st);
  pdf_setup s = {"网络安全事件总结报告", jstr(inc, "ref"), drill_of(inc), st};
  final_ctx x = {inc, rep, events, m, is_final};
  return pdf_flow_run(&s, final_body, &x, out, e);
}

int pdf_render(pdf_form form, const json_t *inc, const json_t *events, const pdf_meta *m, pdf_doc *out, cirs_err *e) {
  return form == PDF_FORM_FINAL ? pdf_final_report(inc, events, m, out, e) : pdf_incident_form(inc, m, out, e);
}

int pdf_form_parse(const char *s) {
  if (!s || !strcmp(s, "report")) return PDF_FORM_REPORT;
  if (!strcmp(s, "final")) return PDF_FORM_FINAL;
  return -1;
}

void pdf_file_name(const json_t *inc, pdf_form form, char *buf, size_t n) {
  const char *ref = jstr(inc, "ref");
  char safe[48];
  size_t k = 0;
  for (const char *p = ref ? ref : "incident"; *p && k + 1 < sizeof safe; p++)
    safe[k++] = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ? *p : '_';
  safe[k] = 0;
  snprintf(buf, n, "%s-%s.pdf", safe, form == PDF_FORM_FINAL ? "final" : "report");
}

void pdf_doc_free(pdf_doc *d) {
  if (!d) return;
  free(d->data);
  memset(d, 0, sizeof *d);
}
