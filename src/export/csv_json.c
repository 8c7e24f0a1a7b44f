/* csv_json.c — the CSV export (UTF-8 with BOM, RFC 4180, CRLF; one row per incident or per obligation) and the
 * JSON export ({format, version, what, generated_at, items, count}). Column lists are tables; docs/export.md shows them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/timeutil.h"
#include "export_int.h"

typedef struct col {
  const char *key, *zh; /* the English header is the key itself */
} col;

static const col INCIDENT_COLS[] = {
    {"ref", "事件编号"},
    {"id", "内部编号"},
    {"organisation", "报告单位代码"},
    {"organisation_name", "报告单位"},
    {"title", "事件名称"},
    {"category", "事件类别"},
    {"rsit", "rsit 分类标签"},
    {"grade", "事件级别"},
    {"reportable", "须报告"},
    {"status", "状态"},
    {"drill", "演练"},
    {"aware_at", "发现时间"},
    {"occurred_at", "发生时间"},
    {"handling_ended_at", "处置结束时间"},
    {"created_at", "初报时间"},
    {"updated_at", "更新时间"},
    {"versions", "报告版本数"},
    {"latest_kind", "最新报告类型"},
    {"reporting_unit", "报告单位（报告内容）"},
    {"contact", "联系人及联系方式"},
    {"affected_system", "受影响的设施、系统、平台"},
    {"place", "发生地点"},
    {"impact", "已造成的影响和危害"},
    {"measures_taken", "已采取的措施"},
    {"measures_effect", "措施效果"},
    {"development", "事态发展趋势"},
    {"cause", "初步原因分析"},
    {"attacker", "可能的攻击者信息"},
    {"attack_path", "攻击路径"},
    {"vulnerabilities", "存在的漏洞"},
    {"further_measures", "拟进一步采取的措施"},
    {"support_requested", "需要的支持"},
    {"scene_preservation", "事件现场保护情况"},
    {"other", "其他应当报告的情况"},
    {"facts", "事实（JSON）"},
    {"obligations_pending", "待履行义务"},
    {"obligations_overdue", "超时未履行义务"},
    {"obligations_late", "迟报义务"},
    {"obligations_met", "按时履行义务"},
};
#define N_INCIDENT_COLS (sizeof INCIDENT_COLS / sizeof INCIDENT_COLS[0])
#define FIRST_ITEM_COL 18 /* reporting_unit: from here to "other", the report items of the latest version */

static const col OBLIGATION_COLS[] = {
    {"id", "义务编号"},
    {"incident_ref", "事件编号"},
    {"incident_title", "事件名称"},
    {"organisation", "报告单位代码"},
    {"regime", "监管制度"},
    {"route", "报告路径"},
    {"kind", "义务类型"},
    {"from", "义务方"},
    {"from_authority", "义务机关"},
    {"to", "接收方"},
    {"max", "时限"},
    {"relative_to", "起算点"},
    {"due_at", "截止时间"},
    {"status", "状态"},
    {"met_at", "履行时间"},
    {"hard", "法定义务"},
    {"policy", "政策性时限"},
    {"source", "依据"},
    {"confidence", "可信度"},
    {"drill", "演练"},
};
#define N_OBLIGATION_COLS (sizeof OBLIGATION_COLS / sizeof OBLIGATION_COLS[0])

/* --- CSV -------------------------------------------------------------------------------------------------------- */

/* Appends one cell (and the separator before it). */
static int add(ex *x, int first, const char *v) {
  if (!first) {
    if (x->len + 2 > x->cap) {
      char *b = realloc(x->buf, x->cap = x->cap ? x->cap * 2 : 256);
      if (!b) return err_set(x->e, "internal", "", "out of memory");
      x->buf = b;
    }
    x->buf[x->len++] = ',';
    x->buf[x->len] = 0;
  }
  return export_csv_cell(&x->buf, &x->len, &x->cap, v) ? err_set(x->e, "internal", "", "out of memory") : 0;
}

static int end_row(ex *x) {
  if (x->len + 3 > x->cap) {
    char *b = realloc(x->buf, x->cap = x->len + 256);
    if (!b) return err_set(x->e, "internal", "", "out of memory");
    x->buf = b;
  }
  memcpy(x->buf + x->len, "\r\n", 3);
  x->len += 2;
  return ex_flush(x);
}

static const char *ms_text(const json_t *v, char *buf) {
  return json_is_integer(v) ? time_format(json_integer_value(v), EX_CN_OFFSET, buf) : "";
}

static const char *int_text(const json_t *v, char *buf) {
  if (json_is_integer(v))
    snprintf(buf, 24, "%lld", (long long)json_integer_value(v));
  else if (json_is_boolean(v))
    snprintf(buf, 24, "%d", json_is_true(v));
  else
    buf[0] = 0;
  return buf;
}

static int csv_begin(ex *x) {
  const col *cols = x->q->what == EXPORT_OBLIGATIONS ? OBLIGATION_COLS : INCIDENT_COLS;
  size_t n = x->q->what == EXPORT_OBLIGATIONS ? N_OBLIGATION_COLS : N_INCIDENT_COLS;
  if (ex_puts(x, "\xEF\xBB\xBF")) return -1; /* the BOM: Excel then reads UTF-8 (Chinese) correctly */
  for (size_t i = 0; i < n; i++)
    if (add(x, i == 0, L(cols[i].zh, cols[i].key))) return -1;
  return end_row(x);
}

static int csv_obligations(ex *x, const json_t *inc) {
  size_t i;
  json_t *ob;
  json_array_foreach(json_object_get(inc, "obligations"), i, ob) {
    char t[TIME_STR_MAX], num[24], to[1024] = "";
    size_t k;
    json_t *a;
    json_array_foreach(json_object_get(ob, "to_authorities"), k, a) {
      const char *code = json_string_value(json_object_get(a, "authority"));
      size_t l = strlen(to);
      snprintf(to + l, sizeof to - l, "%s%s", k ? "; " : "", code ? code : json_string_value(json_object_get(a, "recipient")));
    }
    const char *ref = json_string_value(json_object_get(inc, "ref")), *title = json_string_value(json_object_get(inc, "title"));
    const char *org = json_string_value(json_object_get(inc, "organisation"));
    int rc = add(x, 1, int_text(json_object_get(ob, "id"), num)) || add(x, 0, ref) || add(x, 0, title) || add(x, 0, org);
    static const char *const strs[] = {"regime", "route", "kind", "from", "from_authority"};
    for (size_t s = 0; !rc && s < 5; s++)
      rc = add(x, 0, json_string_value(json_object_get(ob, strs[s])));
    rc = rc || add(x, 0, to) || add(x, 0, json_string_value(json_object_get(ob, "max"))) ||
         add(x, 0, json_string_value(json_object_get(ob, "relative_to"))) || add(x, 0, ms_text(json_object_get(ob, "due_ms"), t)) ||
         add(x, 0, json_string_value(json_object_get(ob, "status")));
    rc = rc || add(x, 0, ms_text(json_object_get(ob, "met_ms"), t)) || add(x, 0, int_text(json_object_get(ob, "hard"), num)) ||
         add(x, 0, int_text(json_object_get(ob, "policy"), num)) || add(x, 0, json_string_value(json_object_get(ob, "source"))) ||
         add(x, 0, json_string_value(json_object_get(ob, "confidence"))) || add(x, 0, int_text(json_object_get(inc, "drill"), num)) ||
         end_row(x);
    if (rc) return -1;
    x->items++;
  }
  return 0;
}

static int csv_item(ex *x, const json_t *inc) {
  if (x->q->what == EXPORT_OBLIGATIONS) return csv_obligations(x, inc);
  const json_t *content = ex_content(inc), *reports = json_object_get(inc, "reports");
  char t[TIME_STR_MAX], num[24];
  int rc = 0;
  for (size_t i = 0; !rc && i < N_INCIDENT_COLS; i++) {
    const char *k = INCIDENT_COLS[i].key, *v = NULL;
    char *owned = NULL;
    if (i >= FIRST_ITEM_COL && !strcmp(k, "facts")) {
      json_t *facts = json_object_get(content, "facts");
      v = owned = facts ? json_dumps(facts, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    } else if (i >= FIRST_ITEM_COL && strncmp(k, "obligations_", 12)) {
      v = json_string_value(json_object_get(content, k));
    } else if (!strncmp(k, "obligations_", 12)) {
      long long c = 0;
      size_t j;
      json_t *ob;
      json_array_foreach(json_object_get(inc, "obligations"), j, ob) c += !strcmp(json_string_value(json_object_get(ob, "status")), k + 12);
      snprintf(num, sizeof num, "%lld", c);
      v = num;
    } else if (!strcmp(k, "rsit")) {
      json_t *tags =
          export_rsit_tags(json_string_value(json_object_get(inc, "category")), json_integer_value(json_object_get(inc, "drill")) == 1);
      size_t cap = 1, j, len = 0;
      json_t *tg;
      json_array_foreach(tags, j, tg) cap += json_string_length(tg) + 2;
      owned = calloc(1, cap);
      json_array_foreach(tags, j, tg) len += (size_t)snprintf(owned + len, cap - len, "%s%s", j ? "; " : "", json_string_value(tg));
      json_decref(tags);
      v = owned;
    } else if (!strcmp(k, "aware_at") || !strcmp(k, "occurred_at") || !strcmp(k, "created_at") || !strcmp(k, "updated_at")) {
      char ms[24];
      snprintf(ms, sizeof ms, "%.*s_ms", (int)(strlen(k) - 3), k);
      v = ms_text(json_object_get(inc, ms), t);
    } else if (!strcmp(k, "handling_ended_at")) {
      v = ms_text(json_object_get(inc, "handling_end_ms"), t);
    } else if (!strcmp(k, "versions")) {
      snprintf(num, sizeof num, "%zu", json_array_size(reports));
      v = num;
    } else if (!strcmp(k, "latest_kind")) {
      v = json_string_value(json_object_get(json_array_get(reports, json_array_size(reports) - 1), "kind"));
    } else {
      json_t *j = json_object_get(inc, k);
      v = json_is_string(j) ? json_string_value(j) : int_text(j, num);
    }
    rc = add(x, i == 0, v);
    free(owned);
  }
  if (rc || end_row(x)) return -1;
  x->items++;
  return 0;
}

static int csv_end(ex *x) {
  (void)x;
  return 0;
}

const ex_format ex_csv = {csv_begin, csv_item, csv_end};

/* --- JSON ------------------------------------------------------------------------------------------------------- */

static int json_begin(ex *x) {
  char t[TIME_STR_MAX], head[200];
  snprintf(head, sizeof head, "{\"format\":\"cirs-export\",\"version\":1,\"what\":\"%s\",\"generated_at\":\"%s\",\"items\":[",
           x->q->what == EXPORT_OBLIGATIONS ? "obligations" : "incidents", time_format(x->q->now_ms, EX_CN_OFFSET, t));
  return ex_puts(x, head);
}

static int json_one(ex *x, json_t *item) {
  int rc = (x->items ? ex_puts(x, ",\n") : ex_puts(x, "\n")) || ex_dump(x, item);
  json_decref(item);
  if (!rc) x->items++;
  return rc ? -1 : 0;
}

static int json_item(ex *x, const json_t *inc) {
  if (x->q->what == EXPORT_OBLIGATIONS) {
    size_t i;
    json_t *ob;
    json_array_foreach(json_object_get(inc, "obligations"), i, ob) {
      json_t *o = json_copy(ob);
      json_object_set(o, "incident_title", json_object_get(inc, "title"));
      json_object_set(o, "organisation", json_object_get(inc, "organisation"));
      if (json_one(x, o)) return -1;
    }
    return 0;
  }
  json_t *o = json_copy((json_t *)inc);
  json_object_set_new(
      o, "rsit",
      export_rsit_tags(json_string_value(json_object_get(inc, "category")), json_integer_value(json_object_get(inc, "drill")) == 1));
  return json_one(x, o);
}

static int json_end(ex *x) {
  char tail[64];
  snprintf(tail, sizeof tail, "\n],\"count\":%lld}\n", (long long)x->items);
  return ex_puts(x, tail);
}

const ex_format ex_json = {json_begin, json_item, json_end};
