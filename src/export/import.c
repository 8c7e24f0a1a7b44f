/* import.c — bulk import of initial reports from JSON lines (one report document per line, exactly the body of
 * POST /api/v1/incidents) or CSV (a header row naming the document's fields; docs/export.md). Every row is checked and
 * graded by model_report_prepare and stored by model_report_apply, inside one outer transaction: one failed row and
 * the whole file is rolled back. Every failed row is reported (row, line, field, code, message), not just the first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/csv.h"
#include "../model/commands.h"
#include "export.h"

/* The API's body limits (src/api/api.c), applied to each JSON line: a row passes here exactly when it would there. */
#define ROW_DEPTH_MAX 16
#define ROW_ARRAY_MAX 1000
#define ROW_NODES_MAX 20000

typedef struct imp {
  store *st;
  const rules_set *rs;
  const export_import_q *q;
  json_t *incidents, *errors;
  long long rows, errors_total;
} imp;

static void row_error(imp *m, long long row, long long line, const char *code, const char *field, const char *msg) {
  m->errors_total++;
  if (json_array_size(m->errors) < EXPORT_IMPORT_ERRORS_MAX)
    json_array_append_new(m->errors, json_pack("{s:I, s:I, s:s, s:s, s:s}", "row", (json_int_t)row, "line", (json_int_t)line, "field",
                                               field ? field : "", "code", code, "message", msg));
}

/* Checks, grades and (inside the open outer transaction) stores one report document. */
static void file_row(imp *m, long long row, long long line, const json_t *doc) {
  cirs_err e = {0};
  model_submit *plan = NULL;
  json_t *res = NULL;
  m->rows++;
  if (model_report_prepare(m->st, m->rs, m->q->org, doc, m->q->actor, "import", &plan, &e) || model_report_apply(m->st, plan, &res, &e)) {
    row_error(m, row, line, e.code, e.field, e.msg);
  } else {
    json_t *x = json_pack("{s:I, s:I, s:O}", "row", (json_int_t)row, "line", (json_int_t)line, "grade", json_object_get(res, "grade"));
    if (!m->q->dry_run) {
      json_object_set(x, "id", json_object_get(res, "id"));
      json_object_set(x, "ref", json_object_get(res, "ref"));
    }
    json_array_append_new(m->incidents, x);
  }
  json_decref(res);
  model_submit_free(plan);
}

/* --- JSON lines --------------------------------------------------------------------------------------------------- */

static const char *shape(const json_t *j, int depth, size_t *nodes) {
  if (++*nodes > ROW_NODES_MAX) return "20000 values";
  if (depth > ROW_DEPTH_MAX) return "nesting 16";
  size_t i;
  const char *k, *bad;
  json_t *v;
  if (json_is_array(j)) {
    if (json_array_size(j) > ROW_ARRAY_MAX) return "1000 elements";
    json_array_foreach(j, i, v) if ((bad = shape(v, depth + 1, nodes))) return bad;
  } else if (json_is_object(j)) {
    json_object_foreach((json_t *)j, k, v) if ((bad = shape(v, depth + 1, nodes))) return bad;
  }
  return NULL;
}

static int blank(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strchr(" \t\r", p[i]) || !p[i]) return 0;
  return 1;
}

static int too_many(cirs_err *e) {
  char msg[120];
  snprintf(msg, sizeof msg, L("最多 %d 行", "at most %d rows"), EXPORT_IMPORT_ROWS_MAX);
  return err_set(e, "too_large", "file", msg);
}

static int run_jsonl(imp *m, const char *text, size_t n, cirs_err *e) {
  long long line = 0, row = 0, rows = 0;
  /* counted first: a file over the limit is refused before any row is graded */
  for (size_t pos = 0; pos < n;) {
    const char *start = text + pos, *nl = memchr(start, '\n', n - pos);
    size_t len = nl ? (size_t)(nl - start) : n - pos;
    pos += len + (nl ? 1 : 0);
    if (!blank(start, len) && ++rows > EXPORT_IMPORT_ROWS_MAX) return too_many(e);
  }
  for (size_t pos = 0; pos < n;) {
    const char *start = text + pos, *nl = memchr(start, '\n', n - pos);
    size_t len = nl ? (size_t)(nl - start) : n - pos;
    pos += len + (nl ? 1 : 0);
    line++;
    if (blank(start, len)) continue;
    row++;
    if (len > MODEL_REPORT_MAX) {
      m->rows++;
      row_error(m, row, line, "too_large", "", L("一行至多 1 MiB", "a line holds at most 1 MiB"));
      continue;
    }
    json_error_t je;
    json_t *doc = json_loadb(start, len, JSON_REJECT_DUPLICATES, &je);
    const char *bad = NULL;
    size_t nodes = 0;
    if (!doc) {
      char msg[300];
      snprintf(msg, sizeof msg, L("第 %d 列：%s", "column %d: %s"), je.column, je.text);
      m->rows++;
      row_error(m, row, line, "invalid_json", "", msg);
    } else if (!json_is_object(doc)) {
      m->rows++;
      row_error(m, row, line, "wrong_type", "", L("每行应为一个报告对象", "each line must be one report object"));
    } else if ((bad = shape(doc, 0, &nodes))) {
      m->rows++;
      row_error(m, row, line, "too_large", "", bad);
    } else {
      file_row(m, row, line, doc);
    }
    json_decref(doc);
  }
  return 0;
}

/* --- CSV ------------------------------------------------------------------------------------------------------------ */

/* Where a header names a value of the report document. */
typedef enum { K_TOP, K_BOOL, K_ITEM, K_FACT, K_RANSOM } colkind;
typedef struct colmap {
  colkind k;
  char key[64]; /* document key, item, fact or ransom field */
} colmap;

static const struct {
  const char *alias, *key;
  colkind k;
} HEADERS[] = {
    {"title", "title", K_TOP},
    {"事件名称", "title", K_TOP},
    {"aware_at", "aware_at", K_TOP},
    {"发现时间", "aware_at", K_TOP},
    {"occurred_at", "occurred_at", K_TOP},
    {"发生时间", "occurred_at", K_TOP},
    {"category", "category", K_TOP},
    {"事件类别", "category", K_TOP},
    {"declared_grade", "declared_grade", K_TOP},
    {"declared_reason", "declared_reason", K_TOP},
    {"drill", "drill", K_BOOL},
    {"演练", "drill", K_BOOL},
    {"suspected_crime", "suspected_crime", K_BOOL},
    {"联系人及联系方式", "contact", K_ITEM},
    {"受影响的设施、系统、平台", "affected_system", K_ITEM},
    {"发生地点", "place", K_ITEM},
    {"已造成的影响和危害", "impact", K_ITEM},
    {"已采取的措施", "measures_taken", K_ITEM},
    {"措施效果", "measures_effect", K_ITEM},
    {"事态发展趋势", "development", K_ITEM},
    {"初步原因分析", "cause", K_ITEM},
    {"可能的攻击者信息", "attacker", K_ITEM},
    {"攻击路径", "attack_path", K_ITEM},
    {"存在的漏洞", "vulnerabilities", K_ITEM},
    {"拟进一步采取的措施", "further_measures", K_ITEM},
    {"需要的支持", "support_requested", K_ITEM},
    {"事件现场保护情况", "scene_preservation", K_ITEM},
    {"其他应当报告的情况", "other", K_ITEM},
};

/* The header cell `h` → where its values go; -1 when unknown. */
static int map_header(const char *h, colmap *c) {
  char name[200];
  size_t n = strlen(h);
  while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
    n--;
  while (n && (*h == ' ' || *h == '\t'))
    h++, n--;
  if (n >= sizeof name) return -1;
  memcpy(name, h, n);
  name[n] = 0;
  for (size_t i = 0; i < sizeof HEADERS / sizeof HEADERS[0]; i++)
    if (!strcmp(name, HEADERS[i].alias)) {
      c->k = HEADERS[i].k;
      snprintf(c->key, sizeof c->key, "%s", HEADERS[i].key);
      return 0;
    }
  const char *item = !strncmp(name, "content.", 8) ? name + 8 : name;
  for (const char *const *k = REPORT_ITEMS; *k; k++)
    if (!strcmp(item, *k)) {
      c->k = K_ITEM;
      snprintf(c->key, sizeof c->key, "%s", *k);
      return 0;
    }
  if (!strncmp(name, "facts.ransom.", 13) && name[13] && strlen(name + 13) < sizeof c->key) {
    c->k = K_RANSOM;
    snprintf(c->key, sizeof c->key, "%.*s", (int)sizeof c->key - 1, name + 13);
    return 0;
  }
  if (!strncmp(name, "facts.", 6) && name[6] && strlen(name + 6) < sizeof c->key && !strchr(name + 6, '.')) {
    c->k = K_FACT;
    snprintf(c->key, sizeof c->key, "%.*s", (int)sizeof c->key - 1, name + 6);
    return 0;
  }
  return -1;
}

/* A cell as a JSON value: numbers and booleans where the text is one (facts), else the string. NULL = invalid UTF-8. */
static json_t *typed(const char *s) {
  if (!strcmp(s, "true")) return json_true();
  if (!strcmp(s, "false")) return json_false();
  char *end;
  double d = strtod(s, &end);
  if (end != s && !*end && strspn(s, "0123456789.-+eE") == strlen(s)) {
    if (!strpbrk(s, ".eE") && d >= -9e15 && d <= 9e15) return json_integer((json_int_t)strtoll(s, NULL, 10));
    return json_real(d);
  }
  return json_string(s);
}

static json_t *boolean(const char *s) {
  static const char *const yes[] = {"true", "1", "yes", "是", "y", NULL}, *const no[] = {"false", "0", "no", "否", "n", NULL};
  for (int i = 0; yes[i]; i++)
    if (!strcasecmp(s, yes[i])) return json_true();
  for (int i = 0; no[i]; i++)
    if (!strcasecmp(s, no[i])) return json_false();
  return json_string(s); /* refused by the check as wrong_type, with its field */
}

/* The report document of one CSV record; NULL with (field, msg) set when a cell is not UTF-8. */
static json_t *doc_of(const csv_rec *r, const colmap *cols, char *field, size_t fn) {
  json_t *doc = json_object();
  for (size_t i = 0; i < r->n; i++) {
    const char *s = r->cells[i];
    if (!*s) continue;
    const colmap *c = &cols[i];
    json_t *v = c->k == K_BOOL ? boolean(s) : (c->k == K_FACT || c->k == K_RANSOM) ? typed(s) : json_string(s);
    if (!v) {
      snprintf(field, fn, "%s%s",
               c->k == K_ITEM     ? "content."
               : c->k == K_FACT   ? "facts."
               : c->k == K_RANSOM ? "facts.ransom."
                                  : "",
               c->key);
      json_decref(doc);
      return NULL;
    }
    json_t *parent = doc;
    if (c->k == K_ITEM || c->k == K_FACT || c->k == K_RANSOM) {
      const char *pk = c->k == K_ITEM ? "content" : "facts";
      if (!json_object_get(doc, pk)) json_object_set_new(doc, pk, json_object());
      parent = json_object_get(doc, pk);
      if (c->k == K_RANSOM) {
        if (!json_object_get(parent, "ransom")) json_object_set_new(parent, "ransom", json_object());
        parent = json_object_get(parent, "ransom");
      }
    }
    json_object_set_new(parent, c->key, v);
  }
  return doc;
}

static int run_csv(imp *m, const char *text, size_t n, cirs_err *e) {
  size_t pos = 0;
  long long line = 0, row = 0;
  csv_rec r = {0};
  colmap *cols = NULL;
  size_t ncols = 0;
  int rc = csv_next(text, n, &pos, &line, EXPORT_IMPORT_CELL_MAX, &r), bad_header = 0;
  if (rc <= 0) {
    csv_rec_free(&r);
    return rc < 0 ? err_set(e, "internal", "", "out of memory")
                  : err_set_msg(e, "missing_field", "file", L("CSV 文件没有表头", "the CSV file has no header row"));
  }
  if (r.err[0]) {
    row_error(m, 0, r.line, "invalid_csv", "", r.err);
    bad_header = 1;
  }
  ncols = r.n;
  cols = calloc(ncols, sizeof *cols);
  for (size_t i = 0; cols && i < ncols; i++) {
    if (map_header(r.cells[i], &cols[i])) {
      char msg[300];
      snprintf(msg, sizeof msg, L("未知的列 \"%.200s\"", "unknown column \"%.200s\""), r.cells[i]);
      row_error(m, 0, r.line, "unknown_field", r.cells[i], msg);
      bad_header = 1;
      continue;
    }
    for (size_t j = 0; j < i; j++)
      if (cols[j].k == cols[i].k && !strcmp(cols[j].key, cols[i].key)) {
        row_error(m, 0, r.line, "duplicate_field", r.cells[i], L("列重复", "column given twice"));
        bad_header = 1;
      }
  }
  /* counted first: a file over the limit is refused before any row is graded */
  size_t pos2 = pos;
  long long line2 = line, rows = 0;
  while (cols && !bad_header && (rc = csv_next(text, n, &pos2, &line2, EXPORT_IMPORT_CELL_MAX, &r)) > 0) {
    int empty = 1;
    for (size_t i = 0; i < r.n; i++)
      empty &= r.cells[i][0] == 0;
    if (!empty && ++rows > EXPORT_IMPORT_ROWS_MAX) {
      rc = too_many(e);
      break;
    }
  }
  while (cols && !bad_header && rc >= 0 && (rc = csv_next(text, n, &pos, &line, EXPORT_IMPORT_CELL_MAX, &r)) > 0) {
    int empty = 1;
    for (size_t i = 0; i < r.n; i++)
      empty &= r.cells[i][0] == 0;
    if (empty) continue;
    row++;
    if (r.err[0] || r.n != ncols) {
      char msg[200];
      if (!r.err[0]) snprintf(msg, sizeof msg, L("有 %zu 个单元格，表头有 %zu 列", "%zu cells, the header has %zu columns"), r.n, ncols);
      m->rows++;
      row_error(m, row, r.line, "invalid_csv", "", r.err[0] ? r.err : msg);
      continue;
    }
    char field[160] = "";
    json_t *doc = doc_of(&r, cols, field, sizeof field);
    if (!doc) {
      m->rows++;
      row_error(m, row, r.line, "bad_value", field, L("不是有效的 UTF-8 文本", "not valid UTF-8 text"));
      continue;
    }
    file_row(m, row, r.line, doc);
    json_decref(doc);
  }
  if (!cols && !rc) rc = err_set(e, "internal", "", "out of memory");
  csv_rec_free(&r);
  free(cols);
  return rc < 0 ? -1 : 0;
}

/* --- the import ------------------------------------------------------------------------------------------------------ */

static export_import_kind detect(const export_import_q *q, const char *t, size_t n) {
  if (q->kind != EXPORT_IMPORT_AUTO) return q->kind;
  size_t l = q->name ? strlen(q->name) : 0;
  if (l > 4 && !strcasecmp(q->name + l - 4, ".csv")) return EXPORT_IMPORT_CSV;
  if ((l > 6 && !strcasecmp(q->name + l - 6, ".jsonl")) || (l > 7 && !strcasecmp(q->name + l - 7, ".ndjson"))) return EXPORT_IMPORT_JSONL;
  size_t i = 0;
  while (i < n && strchr(" \t\r\n", t[i]))
    i++;
  return i < n && t[i] == '{' ? EXPORT_IMPORT_JSONL : EXPORT_IMPORT_CSV;
}

int export_import(store *st, const rules_set *rs, const export_import_q *q, const char *text, size_t n, json_t **report, cirs_err *e) {
  *report = NULL;
  if (n > EXPORT_IMPORT_FILE_MAX) return err_set(e, "too_large", "file", "64 MiB");
  json_t *org = NULL;
  if (store_org_get(st, q->org, &org, e)) {
    if (!strcmp(e->code, "not_found")) snprintf(e->field, sizeof e->field, "org");
    return -1;
  }
  json_decref(org);
  if (n >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) text += 3, n -= 3; /* a BOM (Excel's CSV) */
  imp m = {st, rs, q, json_array(), json_array(), 0, 0};
  export_import_kind kind = detect(q, text, n);
  if (store_begin(st, e)) {
    json_decref(m.incidents);
    json_decref(m.errors);
    return -1;
  }
  int rc = kind == EXPORT_IMPORT_CSV ? run_csv(&m, text, n, e) : run_jsonl(&m, text, n, e);
  if (!rc && !m.rows && !m.errors_total) rc = err_set_msg(e, "missing_field", "file", L("文件中没有报告", "the file holds no reports"));
  int failed = m.errors_total > 0;
  if (rc || failed || q->dry_run)
    store_rollback(st);
  else
    rc = store_commit(st, e);
  if (rc) {
    if (store_level(st)) store_rollback(st);
    json_decref(m.incidents);
    json_decref(m.errors);
    return -1;
  }
  *report = json_pack("{s:b, s:s, s:s, s:I, s:I, s:b, s:o, s:o, s:I}", "ok", !failed, "organisation", q->org, "format",
                      kind == EXPORT_IMPORT_CSV ? "csv" : "jsonl", "rows", (json_int_t)m.rows, "imported",
                      (json_int_t)(failed || q->dry_run ? 0 : json_array_size(m.incidents)), "dry_run", q->dry_run, "incidents",
                      m.incidents, "errors", m.errors, "errors_total", (json_int_t)m.errors_total);
  return failed ? 1 : 0;
}
