/* contacts.c — duty contact lists (应急联络表) per authority: checked, replaced as a whole in one transaction with its
 * event. CSV import reads the seed's layout too: the pair (单位, 值班电话) may repeat across a row, as in the Jincheng
 * plan's appendix 8.4, and every pair is one contact, left to right, row by row. */
#include <stdio.h>
#include <string.h>

#include "../common/csv.h"
#include "../common/timeutil.h"
#include "commands.h"

#define CONTACTS_MAX 1000
#define CONTACT_TEXT_MAX 200 /* bytes of one cell */

static const struct {
  const char *key, *zh, *en;
} COLS[] = {{"unit", "单位", "unit"},          {"duty_phone", "值班电话", "duty phone"}, {"contact", "联系人", "contact"},
            {"mobile", "手机", "mobile"},      {"email", "邮箱", "email"},             {"note", "备注", "note"}};
#define NCOLS (sizeof COLS / sizeof COLS[0])

static int col_of(const char *h) {
  while (*h == ' ') h++;
  for (size_t i = 0; i < NCOLS; i++)
    if (!strcmp(h, COLS[i].key) || !strcmp(h, COLS[i].zh) || !strcmp(h, COLS[i].en)) return (int)i;
  return -1;
}

/* One contact: unit required; phones digits and - + ( ) space; e-mail with @. field_prefix names it in errors. */
static int check_one(const json_t *c, const char *where, cirs_err *e) {
  char f[80];
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)c, k, v) {
    snprintf(f, sizeof f, "%s.%.20s", where, k);
    if (col_of(k) < 0 || strcmp(COLS[col_of(k)].key, k)) return err_set(e, "unknown_field", f, k);
    if (!json_is_string(v) && !json_is_null(v)) return err_set(e, "wrong_type", f, L("应为字符串", "string expected"));
    if (json_is_string(v) && json_string_length(v) > CONTACT_TEXT_MAX) return err_set(e, "too_large", f, "200");
  }
  const char *unit = json_string_value(json_object_get(c, "unit"));
  snprintf(f, sizeof f, "%s.unit", where);
  if (!unit || !*unit) return err_set(e, "missing_field", f, "unit");
  const char *phones[] = {"duty_phone", "mobile"};
  for (int i = 0; i < 2; i++) {
    const char *p = json_string_value(json_object_get(c, phones[i]));
    snprintf(f, sizeof f, "%s.%s", where, phones[i]);
    if (p && (!*p || strspn(p, "0123456789-+() ") != strlen(p)))
      return err_set_msg(e, "bad_value", f, L("电话只能含数字、空格和 - + ( )", "a phone number holds digits, spaces and - + ( ) only"));
  }
  const char *m = json_string_value(json_object_get(c, "email"));
  snprintf(f, sizeof f, "%s.email", where);
  if (m && *m && !strchr(m, '@')) return err_set_msg(e, "bad_value", f, L("邮箱地址无效", "not an e-mail address"));
  return 0;
}

int model_contacts_check(const json_t *rows, cirs_err *e) {
  if (!json_is_array(rows)) return err_set(e, "wrong_type", "contacts", L("应为数组", "array expected"));
  if (json_array_size(rows) > CONTACTS_MAX) return err_set(e, "too_large", "contacts", "1000");
  size_t i;
  json_t *c;
  json_array_foreach((json_t *)rows, i, c) {
    char where[32];
    snprintf(where, sizeof where, "contacts[%zu]", i);
    if (!json_is_object(c)) return err_set(e, "wrong_type", where, L("应为对象", "object expected"));
    if (check_one(c, where, e)) return -1;
  }
  return 0;
}

int model_contacts_parse_csv(const char *text, size_t n, json_t **rows, cirs_err *e) {
  *rows = NULL;
  size_t pos = 0;
  long long line = 0;
  if (n >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) pos = 3;
  csv_rec r = {0};
  int rc = csv_next(text, n, &pos, &line, CONTACT_TEXT_MAX, &r);
  if (rc <= 0) {
    csv_rec_free(&r);
    return rc < 0 ? err_set(e, "internal", "", "out of memory") : err_set_msg(e, "missing_field", "file", L("CSV 文件没有表头", "the CSV file has no header row"));
  }
  /* The header: columns by name; "unit" starts a new contact within the row (the seed's two-pair layout). */
  int cols[64], ncols = (int)r.n, starts = 0;
  char f[64];
  if (ncols > 64) ncols = 64;
  for (int i = 0; i < ncols; i++) {
    cols[i] = col_of(r.cells[i]);
    if (cols[i] < 0 && r.cells[i][0]) {
      char m[160];
      snprintf(m, sizeof m, L("第 1 行：未知的列 \"%.60s\"（可用：单位、值班电话、联系人、手机、邮箱、备注）", "line 1: unknown column \"%.60s\" (known: unit, duty_phone, contact, mobile, email, note)"),
               r.cells[i]);
      csv_rec_free(&r);
      return err_set_msg(e, "unknown_field", "file", m);
    }
    starts += cols[i] == 0;
  }
  if (!starts) {
    csv_rec_free(&r);
    return err_set_msg(e, "missing_field", "file", L("表头缺少“单位”（unit）列", "the header has no 单位 (unit) column"));
  }
  json_t *out = json_array();
  while ((rc = csv_next(text, n, &pos, &line, CONTACT_TEXT_MAX, &r)) > 0) {
    snprintf(f, sizeof f, "line %lld", r.line);
    if (r.err[0]) {
      json_decref(out);
      csv_rec_free(&r);
      return err_set_msg(e, "invalid_csv", f, r.err);
    }
    json_t *cur = NULL;
    for (int i = 0; i < ncols && i < (int)r.n; i++) {
      if (cols[i] == 0) {
        if (cur && json_object_size(cur)) json_array_append(out, cur);
        json_decref(cur);
        cur = json_object();
      }
      const char *v = r.cells[i];
      while (*v == ' ') v++;
      if (cols[i] < 0 || !*v || !cur) continue;
      json_t *s = json_string(v);
      if (!s) {
        json_decref(cur);
        json_decref(out);
        csv_rec_free(&r);
        return err_set_msg(e, "bad_value", f, L("不是 UTF-8 文本", "not UTF-8 text"));
      }
      json_object_set_new(cur, COLS[cols[i]].key, s);
    }
    if (cur && json_object_size(cur)) json_array_append(out, cur);
    json_decref(cur);
    if (json_array_size(out) > CONTACTS_MAX) break;
  }
  csv_rec_free(&r);
  if (rc < 0) {
    json_decref(out);
    return err_set(e, "internal", "", "out of memory");
  }
  /* every contact checked, errors named by their line-independent position */
  if (model_contacts_check(out, e)) {
    json_decref(out);
    return -1;
  }
  *rows = out;
  return 0;
}

int model_contacts_set(store *st, const char *authority, const json_t *rows, const char *actor, cirs_err *e) {
  if (model_contacts_check(rows, e)) return -1;
  json_t *auth = NULL;
  if (store_authority_get(st, authority, &auth, e)) return -1;
  int64_t id = json_integer_value(json_object_get(auth, "id"));
  json_decref(auth);
  int rc = store_begin(st, e) || store_contacts_replace(st, id, rows, actor, time_now_ms(), e) ||
           model_event_add(st, actor, "contacts.replaced", "authority", id, json_pack("{s:s, s:I}", "authority", authority, "count", (json_int_t)json_array_size(rows)), e);
  if (!rc) rc = store_commit(st, e);
  if (rc) store_rollback(st);
  return rc;
}
