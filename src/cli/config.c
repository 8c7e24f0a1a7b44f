/* config.c — see config.h. libinih does the INI syntax; this file owns the option table, validation and the
 * line numbers in errors (it hands libinih one line at a time through a reader, so it always knows the line). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../clock/sched.h"
#include "cli.h"

#define HOST_MAX 64 /* the IPv4 host part of listen, NUL included (the server's own limit) */

enum { OPT_LISTEN, OPT_DB, OPT_RULES, OPT_WORKERS, OPT_SMTP_URL, OPT_SMTP_FROM, OPT_SMTP_USER, OPT_SMTP_PASSWORD, OPT_SMTP_STARTTLS,
       OPT_REMINDERS, OPT_RETRY_BASE, OPT_RETRY_MAX, OPT_TIMEOUT, OPT_COUNT };

/* Every option of `cirs serve`: its section, its key (also the flag name) and its environment variable. */
static const struct config_opt {
  const char *section, *key, *env;
} OPTS[OPT_COUNT] = {
    [OPT_LISTEN] = {"server", "listen", "CIRS_LISTEN"},
    [OPT_DB] = {"server", "db", "CIRS_DB"},
    [OPT_RULES] = {"server", "rules", "CIRS_RULES"},
    [OPT_WORKERS] = {"server", "workers", "CIRS_WORKERS"},
    [OPT_SMTP_URL] = {"notify", "smtp_url", "CIRS_SMTP_URL"},
    [OPT_SMTP_FROM] = {"notify", "smtp_from", "CIRS_SMTP_FROM"},
    [OPT_SMTP_USER] = {"notify", "smtp_user", "CIRS_SMTP_USER"},
    [OPT_SMTP_PASSWORD] = {"notify", "smtp_password", "CIRS_SMTP_PASSWORD"},
    [OPT_SMTP_STARTTLS] = {"notify", "smtp_starttls", "CIRS_SMTP_STARTTLS"},
    [OPT_REMINDERS] = {"notify", "reminders", "CIRS_REMINDERS"},
    [OPT_RETRY_BASE] = {"notify", "retry_base_ms", "CIRS_RETRY_BASE_MS"},
    [OPT_RETRY_MAX] = {"notify", "retry_max", "CIRS_RETRY_MAX"},
    [OPT_TIMEOUT] = {"notify", "timeout_s", "CIRS_DELIVERY_TIMEOUT_S"},
};

int config_count(void) { return OPT_COUNT; }
const char *config_key(int i) { return i >= 0 && i < OPT_COUNT ? OPTS[i].key : NULL; }

void config_defaults(serve_config *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->listen, sizeof c->listen, "%s", CONFIG_DEFAULT_LISTEN);
  c->workers = CONFIG_DEFAULT_WORKERS;
  snprintf(c->reminders, sizeof c->reminders, "%s", SCHED_REMINDERS_DEFAULT);
  c->retry_base_ms = 30000;
  c->retry_max = 8;
  c->timeout_s = 10;
}

static int opt_find(const char *key) {
  for (int i = 0; i < OPT_COUNT; i++)
    if (!strcmp(OPTS[i].key, key)) return i;
  return -1;
}

/* Values never echoed in messages. */
static int id_is_secret(const char *key) { return !strcmp(key, "smtp_password"); }

/* "key = value (why)" as the message of a bad_value error; the value is cut to keep the message short. */
static int bad(cirs_err *e, const char *where, const char *key, const char *value, const char *why) {
  char m[300];
  snprintf(m, sizeof m, "%s = \"%.80s\" (%s)", key, id_is_secret(key) ? "***" : value, why);
  return err_set(e, "bad_value", where, m);
}

/* HOST:PORT with an IPv4 host and a port 1..65535, digits only. */
static int check_listen(const char *v, const char *where, cirs_err *e) {
  const char *why = L("应为 主机:端口，主机为 IPv4 地址，如 127.0.0.1:8080", "HOST:PORT expected, HOST an IPv4 address, e.g. 127.0.0.1:8080");
  const char *colon = strrchr(v, ':');
  if (!colon || colon == v || (size_t)(colon - v) >= HOST_MAX || !colon[1] || strlen(colon + 1) > 5) return bad(e, where, "listen", v, why);
  for (const char *p = colon + 1; *p; p++)
    if (!isdigit((unsigned char)*p)) return bad(e, where, "listen", v, why);
  long port = strtol(colon + 1, NULL, 10);
  char host[HOST_MAX];
  memcpy(host, v, (size_t)(colon - v));
  host[colon - v] = 0;
  struct in_addr a;
  if (port < 1 || port > 65535 || inet_pton(AF_INET, host, &a) != 1) return bad(e, where, "listen", v, why);
  return 0;
}

/* A decimal integer in [lo, hi], digits only. */
static int int_in(const char *key, const char *value, long lo, long hi, long *out, const char *where, cirs_err *e) {
  char *end;
  errno = 0;
  long v = strtol(value, &end, 10);
  if (errno || *end || !isdigit((unsigned char)value[0]) || v < lo || v > hi) {
    char why[80];
    snprintf(why, sizeof why, L("应为 %ld 到 %ld 的整数", "an integer from %ld to %ld expected"), lo, hi);
    return bad(e, where, key, value, why);
  }
  *out = v;
  return 0;
}

/* Text into a fixed buffer: too_large when it does not fit. */
static int text_to(char *dst, size_t cap, const char *key, const char *value, size_t n, const char *where, cirs_err *e) {
  if (n >= cap) {
    char m[64];
    snprintf(m, sizeof m, "%s: %zu bytes", key, cap - 1);
    return err_set(e, "too_large", where, m);
  }
  memcpy(dst, value, n + 1);
  return 0;
}

int config_set(serve_config *c, const char *key, const char *value, const char *where, cirs_err *e) {
  int id = opt_find(key);
  if (id < 0) return err_set(e, "unknown_field", where, key);
  size_t n = strlen(value);
  if (n == 0) return bad(e, where, key, value, L("不能为空", "must not be empty"));
  long v = 0;
  switch (id) {
  case OPT_LISTEN:
    if (n >= sizeof c->listen) return bad(e, where, key, value, L("过长", "too long"));
    if (check_listen(value, where, e)) return -1;
    memcpy(c->listen, value, n + 1);
    return 0;
  case OPT_DB: return text_to(c->db, sizeof c->db, key, value, n, where, e);
  case OPT_RULES: return text_to(c->rules, sizeof c->rules, key, value, n, where, e);
  case OPT_WORKERS:
    if (int_in(key, value, 1, CONFIG_WORKERS_MAX, &v, where, e)) return -1;
    c->workers = (int)v;
    return 0;
  case OPT_SMTP_URL:
    if (strncmp(value, "smtp://", 7) && strncmp(value, "smtps://", 8))
      return bad(e, where, key, value, L("应为 smtp://主机:端口 或 smtps://主机:端口", "smtp://HOST:PORT or smtps://HOST:PORT expected"));
    return text_to(c->smtp_url, sizeof c->smtp_url, key, value, n, where, e);
  case OPT_SMTP_FROM:
    if (!strchr(value, '@') || strpbrk(value, " <>\r\n"))
      return bad(e, where, key, value, L("应为一个邮件地址，如 cirs@example.cn", "one mail address expected, e.g. cirs@example.cn"));
    return text_to(c->smtp_from, sizeof c->smtp_from, key, value, n, where, e);
  case OPT_SMTP_USER: return text_to(c->smtp_user, sizeof c->smtp_user, key, value, n, where, e);
  case OPT_SMTP_PASSWORD: return text_to(c->smtp_password, sizeof c->smtp_password, key, value, n, where, e);
  case OPT_SMTP_STARTTLS:
    if (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "1")) c->smtp_starttls = 1;
    else if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "0")) c->smtp_starttls = 0;
    else return bad(e, where, key, value, L("应为 yes 或 no", "yes or no expected"));
    return 0;
  case OPT_REMINDERS: {
    double pct[SCHED_STEPS_MAX];
    int64_t before[SCHED_STEPS_MAX];
    char names[SCHED_STEPS_MAX][16];
    if (n >= sizeof c->reminders || sched_parse_steps(value, pct, before, names) < 0)
      return bad(e, where, key, value, L("应为逗号分隔的 N% 或 Nm、Nh、Ns（至多 8 项），如 50%,15m", "comma-separated N% or Nm, Nh, Ns (at most 8), e.g. 50%,15m"));
    memcpy(c->reminders, value, n + 1);
    return 0;
  }
  case OPT_RETRY_BASE:
    if (int_in(key, value, 100, CONFIG_RETRY_BASE_MAX_MS, &v, where, e)) return -1;
    c->retry_base_ms = v;
    return 0;
  case OPT_RETRY_MAX:
    if (int_in(key, value, 1, CONFIG_RETRY_MAX, &v, where, e)) return -1;
    c->retry_max = (int)v;
    return 0;
  case OPT_TIMEOUT:
    if (int_in(key, value, 1, CONFIG_TIMEOUT_MAX_S, &v, where, e)) return -1;
    c->timeout_s = (int)v;
    return 0;
  }
  return err_set(e, "internal", where, key);
}

int config_load_env(serve_config *c, cirs_err *e) {
  for (int i = 0; i < OPT_COUNT; i++) {
    const char *v = getenv(OPTS[i].env);
    if (v && *v && config_set(c, OPTS[i].key, v, OPTS[i].env, e)) return -1;
  }
  return 0;
}

/* The parse in progress: the file's bytes, the line libinih is working on, the first error. */
typedef struct ini_ctx {
  serve_config *c;
  const char *path;
  const char *buf; /* the whole file, NUL-terminated */
  size_t len, pos; /* its length; where the next line starts */
  int line;        /* number of the line last handed to libinih (1-based) */
  unsigned seen;   /* bit per option already set by the file: a second one is an error */
  int failed;      /* `e` holds the first error found here, on line failed_line */
  int failed_line;
  cirs_err *e;
} ini_ctx;

static void where_line(const ini_ctx *x, char *out, size_t n) { snprintf(out, n, "%s:%d", x->path, x->line); }

static void fail_line(ini_ctx *x, const char *code, const char *msg) {
  if (x->failed) return;
  char where[ERR_FIELD_MAX];
  where_line(x, where, sizeof where);
  err_set(x->e, code, where, msg);
  x->failed = 1;
  x->failed_line = x->line;
}

/* A section header other than [server] and [notify] is an error even when no key follows it (libinih would not
 * call the handler for it). Leading blanks are skipped as libinih does. */
static void check_section(ini_ctx *x, const char *line) {
  while (*line == ' ' || *line == '\t') line++;
  if (*line != '[') return;
  const char *end = strchr(line, ']');
  if (!end) return; /* libinih reports the syntax error */
  const char *s = line + 1;
  while (s < end && (*s == ' ' || *s == '\t')) s++;
  size_t n = (size_t)(end - s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  if ((n == 6 && !memcmp(s, "server", 6)) || (n == 6 && !memcmp(s, "notify", 6))) return;
  char m[120];
  snprintf(m, sizeof m, L("未知的配置节 [%.*s]（只有 [server] 和 [notify]）", "unknown section [%.*s] (only [server] and [notify])"), (int)(n > 60 ? 60 : n), s);
  fail_line(x, "unknown_field", m);
}

/* libinih's reader: one line per call, so x->line is the line of whatever the handler sees next. */
static char *read_line(char *str, int num, void *stream) {
  ini_ctx *x = stream;
  if (x->failed || x->pos >= x->len) return NULL;
  const char *start = x->buf + x->pos;
  const char *nl = memchr(start, '\n', x->len - x->pos);
  size_t n = nl ? (size_t)(nl - start) + 1 : x->len - x->pos;
  x->line++;
  if (memchr(start, 0, n)) {
    fail_line(x, "bad_value", L("含有 NUL 字节（不是文本文件？）", "contains a NUL byte (not a text file?)"));
    return NULL;
  }
  if (num < 2 || n > (size_t)num - 1) {
    char m[80];
    snprintf(m, sizeof m, L("行过长（最多 %d 字节）", "line too long (at most %d bytes)"), num - 2);
    fail_line(x, "too_large", m);
    return NULL;
  }
  memcpy(str, start, n);
  str[n] = 0;
  x->pos += n;
  check_section(x, str);
  return x->failed ? NULL : str;
}

static int on_key(void *user, const char *section, const char *name, const char *value) {
  ini_ctx *x = user;
  if (x->failed) return 1;
  char m[600];
  if (!*section) {
    snprintf(m, sizeof m, L("%.60s 不在任何节中（应在 [server] 或 [notify] 之下）", "%.60s is outside a section ([server] or [notify] expected)"), name);
    fail_line(x, "unknown_field", m);
    return 1;
  }
  int id = opt_find(name);
  if (id < 0 || strcmp(OPTS[id].section, section)) {
    char known[400] = "";
    for (int i = 0; i < OPT_COUNT; i++)
      if (!strcmp(OPTS[i].section, section))
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", *known ? ", " : "", OPTS[i].key);
    snprintf(m, sizeof m, L("[%s] %.60s（可用：%s）", "[%s] %.60s (known: %s)"), section, name, known);
    fail_line(x, "unknown_field", m);
    return 1;
  }
  if (x->seen & (1u << id)) {
    snprintf(m, sizeof m, L("%s 重复出现", "%s given twice"), name);
    fail_line(x, "bad_value", m);
    return 1;
  }
  x->seen |= 1u << id;
  char where[ERR_FIELD_MAX];
  where_line(x, where, sizeof where);
  if (config_set(x->c, name, value, where, x->e)) {
    x->failed = 1;
    x->failed_line = x->line;
  }
  return 1;
}

int config_load_file(serve_config *c, const char *path, cirs_err *e) {
  size_t len = 0;
  char *buf = cli_read_file(path, CONFIG_FILE_MAX, &len, e);
  if (!buf) {
    if (!strcmp(e->code, "too_large")) snprintf(e->field, sizeof e->field, "%s", path);
    return -1;
  }
  ini_ctx x = {.c = c, .path = path, .buf = buf, .len = len, .e = e};
  int rc = ini_parse_stream(read_line, &x, on_key, &x);
  free(buf);
  if (rc == -2) return err_set(e, "internal", "", "out of memory");
  /* libinih goes on after a syntax error and returns the line of the first one (its line numbers are ours:
   * the reader hands it one line per call); report whichever problem comes first. */
  if (rc > 0 && (!x.failed || rc < x.failed_line)) {
    x.failed = 0;
    x.line = rc;
    fail_line(&x, "bad_value", L("语法错误（应为 [server]、key = value 或以 ; # 开头的注释）",
                                 "syntax error ([server], key = value or a comment starting with ; or # expected)"));
    return -1;
  }
  return x.failed ? -1 : 0;
}
