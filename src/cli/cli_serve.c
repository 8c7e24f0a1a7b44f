/* cli_serve.c — `cirs serve` (the HTTP service) and `cirs token create` (API tokens for machines). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/api.h"
#include "../auth/auth.h"
#include "../common/timeutil.h"
#include "../store/store.h"
#include "cli.h"
#include "config.h"

static const char *env_or(const char *name, const char *dflt) {
  const char *v = getenv(name);
  return v && *v ? v : dflt;
}

int cmd_serve(int argc, char **argv) {
  /* One flag per configuration key (--smtp-url for smtp_url), plus --config and --help. Flags are kept aside
   * and applied last: defaults < config file < environment < flags. */
  enum { NKEYS_MAX = 32 };
  int nkeys = config_count();
  char names[NKEYS_MAX][32];
  struct option opts[NKEYS_MAX + 3];
  const char *flag[NKEYS_MAX] = {0};
  for (int i = 0; i < nkeys && i < NKEYS_MAX; i++) {
    snprintf(names[i], sizeof names[i], "%s", config_key(i));
    for (char *p = names[i]; *p; p++)
      if (*p == '_') *p = '-';
    opts[i] = (struct option){names[i], 1, 0, 1000 + i};
  }
  opts[nkeys] = (struct option){"config", 1, 0, 'c'};
  opts[nkeys + 1] = (struct option){"help", 0, 0, 'h'};
  opts[nkeys + 2] = (struct option){0, 0, 0, 0};
  const char *config = env_or("CIRS_CONFIG", NULL);
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'c') config = optarg;
    else if (c >= 1000 && c < 1000 + nkeys) flag[c - 1000] = optarg;
    else if (c == 'h') {
      cli_help("serve [--config FILE] [--db PATH] [--listen HOST:PORT] [--workers N] [--rules DIR] [--smtp-url URL] [...]",
               "启动 HTTP 服务（JSON API /api/v1）、时限调度器和通知投递。收到 SIGTERM 或 SIGINT 时停止接收新连接，处理完进行中的请求后退出。\n"
               "配置的优先级：命令行选项 > 环境变量 > 配置文件 > 默认值。配置文件为 INI 格式，有 [server] 和 [notify] 两节；"
               "每个键也是命令行选项（下划线写作连字符）和环境变量；未知的节或键是错误（示例：docs/cirs.example.ini）。",
               "Run the HTTP service (JSON API under /api/v1), the deadline scheduler and notification delivery. On SIGTERM or SIGINT it stops "
               "accepting, finishes the requests in flight and exits.\n"
               "Precedence: flags > environment > config file > defaults. The config file is INI with the sections [server] and [notify]; "
               "every key is also a flag (with - for _) and an environment variable; unknown sections or keys are errors (example: docs/cirs.example.ini).",
               "  --config FILE          INI 配置文件（或 $CIRS_CONFIG）\n"
               "  [server]\n"
               "  --db PATH              数据库（或 $CIRS_DB）\n"
               "  --listen H:P           监听地址（默认 127.0.0.1:8080，或 $CIRS_LISTEN）\n"
               "  --workers N            工作线程数（1–128，默认 32，或 $CIRS_WORKERS）\n"
               "  --rules DIR            规则包目录（默认内置，或 $CIRS_RULES）\n"
               "  [notify]\n"
               "  --smtp-url URL         发信服务器 smtp://主机:端口 或 smtps://…（$CIRS_SMTP_URL；未设置时邮件保持待发）\n"
               "  --smtp-from ADDR       发件地址（$CIRS_SMTP_FROM）\n"
               "  --smtp-user U          SMTP 用户名（$CIRS_SMTP_USER）；密码只宜放在配置文件或 $CIRS_SMTP_PASSWORD 中\n"
               "  --smtp-starttls yes|no smtp:// 上要求 STARTTLS（$CIRS_SMTP_STARTTLS，默认 no）\n"
               "  --reminders LIST       提醒时点，如 50%,15m（$CIRS_REMINDERS，默认 50%,15m）\n"
               "  --retry-base-ms N      首次重试间隔，此后加倍，最长 1 小时（$CIRS_RETRY_BASE_MS，默认 30000）\n"
               "  --retry-max N          尝试次数上限，之后进入死信（$CIRS_RETRY_MAX，默认 8）\n"
               "  --timeout-s N          每次投递的超时秒数（$CIRS_DELIVERY_TIMEOUT_S，默认 10）\n",
               "  --config FILE          INI config file (or $CIRS_CONFIG)\n"
               "  [server]\n"
               "  --db PATH              database (or $CIRS_DB)\n"
               "  --listen H:P           address (default 127.0.0.1:8080, or $CIRS_LISTEN)\n"
               "  --workers N            worker threads (1-128, default 32, or $CIRS_WORKERS)\n"
               "  --rules DIR            rule-pack folder (default: built-in, or $CIRS_RULES)\n"
               "  [notify]\n"
               "  --smtp-url URL         mail server smtp://HOST:PORT or smtps://... ($CIRS_SMTP_URL; unset: mails stay pending)\n"
               "  --smtp-from ADDR       sender address ($CIRS_SMTP_FROM)\n"
               "  --smtp-user U          SMTP user ($CIRS_SMTP_USER); keep the password in the config file or $CIRS_SMTP_PASSWORD\n"
               "  --smtp-starttls yes|no require STARTTLS on smtp:// ($CIRS_SMTP_STARTTLS, default no)\n"
               "  --reminders LIST       reminder instants, e.g. 50%,15m ($CIRS_REMINDERS, default 50%,15m)\n"
               "  --retry-base-ms N      first retry after N ms, doubling up to 1 hour ($CIRS_RETRY_BASE_MS, default 30000)\n"
               "  --retry-max N          attempts before a message is dead ($CIRS_RETRY_MAX, default 8)\n"
               "  --timeout-s N          timeout of one delivery attempt in seconds ($CIRS_DELIVERY_TIMEOUT_S, default 10)\n");
      return 0;
    } else return EXIT_INPUT;
  }
  cirs_err e = {0};
  if (optind < argc) {
    err_set(&e, "usage", "", argv[optind]);
    return cli_fail(&e);
  }
  serve_config conf;
  config_defaults(&conf);
  if (config && config_load_file(&conf, config, &e)) return cli_fail(&e);
  if (config_load_env(&conf, &e)) return cli_fail(&e);
  for (int i = 0; i < nkeys; i++) {
    char where[40];
    snprintf(where, sizeof where, "--%s", names[i]);
    if (flag[i] && config_set(&conf, config_key(i), flag[i], where, &e)) return cli_fail(&e);
  }
  const char *listen = conf.listen, *db = conf.db[0] ? conf.db : NULL, *rules = conf.rules[0] ? conf.rules : NULL;
  int workers = conf.workers;
  if (!db) {
    err_set(&e, "usage", "db", L("需要 --db PATH（或 $CIRS_DB，或配置文件中的 db）", "--db PATH (or $CIRS_DB, or db in the config file) is required"));
    return cli_fail(&e);
  }
  store *st;
  if (store_open(db, 0, &st, &e)) return cli_fail(&e); /* fail fast, and migrate once before the workers start */
  store_close(st);
  rules_set *rs = rules_load(cli_rules_dir(rules), &e);
  if (!rs) return cli_fail(&e);
  api_ctx ctx = {db, rs, conf.reminders,
                 {conf.smtp_url[0] ? conf.smtp_url : NULL, conf.smtp_from[0] ? conf.smtp_from : NULL, conf.smtp_user[0] ? conf.smtp_user : NULL,
                  conf.smtp_password[0] ? conf.smtp_password : NULL, conf.smtp_starttls, conf.retry_base_ms, conf.retry_max, conf.timeout_s, NULL}};
  http_config cfg = {listen, workers};
  if (api_start(&ctx, &e)) {
    rules_free(rs);
    return cli_fail(&e);
  }
  int rc = http_serve(&cfg, api_handle, &ctx) ? EXIT_FAIL : EXIT_OK;
  api_shutdown();
  rules_free(rs);
  return rc;
}

int cmd_token_create(int argc, char **argv) {
  static const struct option opts[] = {{"db", 1, 0, 'd'}, {"user", 1, 0, 'u'}, {"name", 1, 0, 'n'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  const char *db = env_or("CIRS_DB", NULL), *user = NULL, *name = "api";
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'd') db = optarg;
    else if (c == 'u') user = optarg;
    else if (c == 'n') name = optarg;
    else if (c == 'h') {
      cli_help("token create --db PATH --user USER [--name NAME]", "为用户创建 API 令牌（Authorization: Bearer），只打印这一次；数据库中只存其哈希。",
               "Create an API token (Authorization: Bearer) for a user; it is printed once and only its hash is stored.",
               "  --user USER       令牌所属用户\n  --name NAME       用途说明（如 siem）\n", "  --user USER       the user the token acts as\n  --name NAME       what it is for (e.g. siem)\n");
      return 0;
    } else return EXIT_INPUT;
  }
  cirs_err e = {0};
  if (!db || !user) {
    err_set(&e, "usage", !db ? "db" : "user", L("需要 --db 和 --user", "--db and --user are required"));
    return cli_fail(&e);
  }
  if (strlen(name) > 64) {
    err_set(&e, "too_large", "name", "64");
    return cli_fail(&e);
  }
  store *st;
  if (store_open(db, 0, &st, &e)) return cli_fail(&e);
  json_t *p = NULL;
  char token[AUTH_TOKEN_HEX], hash[AUTH_TOKEN_HEX];
  auth_random_hex(token, 32);
  auth_token_hash(token, hash);
  int64_t id = 0;
  int rc = EXIT_OK;
  if (store_principal_by_username(st, user, &p, &e)) {
    err_set(&e, "not_found", "user", user);
    rc = cli_fail(&e);
  } else {
    int64_t uid = json_integer_value(json_object_get(p, "id"));
    model_event ev = {0, time_now_ms(), "cli", "token.created", "user", uid, NULL};
    if (store_begin(st, &e) || store_token_insert(st, hash, uid, name, &id, &e) ||
        (ev.payload = json_pack("{s:s, s:s}", "username", user, "name", name), store_event_append(st, &ev, &e)) || store_commit(st, &e)) {
      store_rollback(st);
      rc = cli_fail(&e);
    } else {
      printf("%s\n", token);
      fprintf(stderr, L("已为 %s 创建令牌 #%lld（只显示这一次）\n", "created a token for %s: #%lld (shown only this once)\n"), user, (long long)id);
    }
    json_decref(ev.payload);
  }
  json_decref(p);
  store_close(st);
  return rc;
}
