/* cli.c — helpers shared by every command. */
#include "cli.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

void cli_help(const char *usage, const char *zh, const char *en, const char *options_zh, const char *options_en) {
  printf("%s: cirs %s\n\n%s\n", L("用法", "Usage"), usage, L(zh, en));
  const char *o = L(options_zh, options_en);
  if (o && *o) printf("\n%s\n%s", L("选项：", "Options:"), o);
  printf("  --lang zh|en      %s\n  -h, --help        %s\n", L("界面语言（默认取 LANG，中文优先）", "language (default from LANG, Chinese first)"),
         L("显示本帮助", "show this help"));
}

int cli_fail(const cirs_err *e) {
  fprintf(stderr, "cirs: %s [%s]%s%s: %s\n", L("错误", "error"), e->code, e->field[0] ? " " : "", e->field, e->msg);
  if (!strcmp(e->code, "io_error") || !strcmp(e->code, "db_error") || !strcmp(e->code, "internal") || !strcmp(e->code, "rules_invalid"))
    return EXIT_FAIL;
  if (!strcmp(e->code, "audit_broken")) return EXIT_VERIFY;
  return EXIT_INPUT;
}

void cli_print_error_json(const cirs_err *e) {
  json_t *j = json_pack("{s:{s:s, s:s, s:s}}", "error", "code", e->code, "message", e->msg, "field", e->field);
  cli_print_json(j);
  json_decref(j);
}

void cli_print_json(const json_t *j) {
  json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  fputc('\n', stdout);
}

char *cli_read_file(const char *path, size_t max, size_t *len, cirs_err *e) {
  FILE *f = (!path || !strcmp(path, "-")) ? stdin : fopen(path, "rb");
  if (!f) {
    char m[600];
    snprintf(m, sizeof m, "%s: %s", path, strerror(errno));
    err_set(e, "io_error", "file", m);
    return NULL;
  }
  char *buf = malloc(max + 2);
  size_t n = 0, r;
  while (buf && (r = fread(buf + n, 1, max + 1 - n, f)) > 0) {
    n += r;
    if (n > max) break;
  }
  if (f != stdin) fclose(f);
  if (!buf) {
    err_set(e, "internal", "", "out of memory");
    return NULL;
  }
  if (n > max) {
    char m[64];
    snprintf(m, sizeof m, "%zu bytes", max);
    free(buf);
    err_set(e, "too_large", "file", m);
    return NULL;
  }
  buf[n] = 0;
  *len = n;
  return buf;
}

const char *cli_rules_dir(const char *flag) {
  if (flag && *flag) return flag;
  const char *env = getenv("CIRS_RULES");
  return env && *env ? env : NULL;
}

const char *cli_actor(char *buf, size_t n) {
  const char *u = getenv("USER");
  if (!u || !*u) u = getenv("LOGNAME");
  if (!u || !*u) {
    struct passwd *pw = getpwuid(getuid());
    u = pw ? pw->pw_name : NULL;
  }
  snprintf(buf, n, "cli:%s", u && *u ? u : "unknown");
  return buf;
}
