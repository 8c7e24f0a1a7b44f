/* err.c — error codes and their messages in Chinese and English. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local cirs_lang cur_lang = LANG_ZH; /* per thread: each request has its own */

void lang_set(cirs_lang l) { cur_lang = l; }
cirs_lang lang_get(void) { return cur_lang; }

void lang_init(const char *flag_value) {
  const char *v = flag_value;
  if (!v || !*v) v = getenv("LC_ALL");
  if (!v || !*v) v = getenv("LANG");
  cur_lang = LANG_ZH;
  if (v && (strncmp(v, "en", 2) == 0 || strncmp(v, "EN", 2) == 0)) cur_lang = LANG_EN;
}

const char *L(const char *zh, const char *en) { return cur_lang == LANG_EN ? en : zh; }

/* One row per error code. Every template takes exactly the printf arguments its callers pass (a string, mostly). */
static const struct {
  const char *code;
  const char *zh;
  const char *en;
} err_table[] = {
    {"invalid_json", "输入不是有效的 JSON：%s", "input is not valid JSON: %s"},
    {"too_large", "输入超出大小上限：%s", "input exceeds its size limit: %s"},
    {"wrong_type", "字段类型错误：%s", "wrong type: %s"},
    {"missing_field", "缺少必填字段：%s", "required field missing: %s"},
    {"unknown_field", "未知字段：%s", "unknown field: %s"},
    {"unknown_category", "未知的事件类别：%s", "unknown incident category: %s"},
    {"unknown_fact", "未知的事实项：%s", "unknown fact: %s"},
    {"unknown_regime", "未知的监管制度：%s", "unknown regime: %s"},
    {"negative_number", "数值不能为负：%s", "number must not be negative: %s"},
    {"bad_time", "时间格式错误（需要带时区的 RFC 3339 时间，如 2025-12-01T10:00:00+08:00）：%s",
     "bad time (RFC 3339 with an offset expected, e.g. 2025-12-01T10:00:00+08:00): %s"},
    {"bad_value", "取值无效：%s", "invalid value: %s"},
    {"declared_grade_too_low", "申报的级别低于按标准计算的级别：%s",
     "declared grade is lower than the computed grade: %s"},
    {"no_rules_in_force", "该时间没有生效的规则包：%s", "no rule pack in force at that time: %s"},
    {"rules_invalid", "规则包无效：%s", "rule pack invalid: %s"},
    {"io_error", "读写失败：%s", "I/O error: %s"},
    {"db_error", "数据库错误：%s", "database error: %s"},
    {"not_found", "未找到：%s", "not found: %s"},
    {"conflict", "状态冲突：%s", "conflict: %s"},
    {"retention", "未满法定留存期限（网络安全法第二十一条，180 天），拒绝删除：%s",
     "refused: retention period not over (Cybersecurity Law art. 21, 180 days): %s"},
    {"audit_broken", "审计链校验失败：%s", "audit chain verification failed: %s"},
    {"usage", "用法错误：%s", "usage error: %s"},
    {"internal", "内部错误：%s", "internal error: %s"},
};

int err_table_entry(size_t i, const char **code, const char **zh, const char **en) {
  if (i >= sizeof err_table / sizeof err_table[0]) return -1;
  *code = err_table[i].code;
  *zh = err_table[i].zh;
  *en = err_table[i].en;
  return 0;
}

int err_set(cirs_err *e, const char *code, const char *field, ...) {
  if (!e) return -1;
  const char *tmpl = NULL;
  for (size_t i = 0; i < sizeof err_table / sizeof err_table[0]; i++)
    if (strcmp(err_table[i].code, code) == 0) {
      tmpl = cur_lang == LANG_EN ? err_table[i].en : err_table[i].zh;
      break;
    }
  snprintf(e->code, sizeof e->code, "%s", code);
  snprintf(e->field, sizeof e->field, "%s", field ? field : "");
  va_list ap;
  va_start(ap, field);
  if (tmpl) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vsnprintf(e->msg, sizeof e->msg, tmpl, ap);
#pragma GCC diagnostic pop
  } else {
    snprintf(e->msg, sizeof e->msg, "%s", code);
  }
  va_end(ap);
  return -1;
}

int err_set_msg(cirs_err *e, const char *code, const char *field, const char *msg) {
  if (!e) return -1;
  snprintf(e->code, sizeof e->code, "%s", code);
  snprintf(e->field, sizeof e->field, "%s", field ? field : "");
  snprintf(e->msg, sizeof e->msg, "%s", msg);
  return -1;
}

void err_clear(cirs_err *e) {
  if (e) memset(e, 0, sizeof *e);
}
