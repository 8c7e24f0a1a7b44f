/* cli_store.c — commands on a database: init, report submit, incident list|show, obligation list,
 * audit verify, purge. Human-readable output by default, --json for scripts. */
#include <getopt.h>
#include <pwd.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/verify.h"
#include "../common/timeutil.h"
#include "../model/commands.h"
#include "../rules/rules.h"
#include "../store/store.h"
#include "cli.h"

#define CN_OFFSET 480 /* display in Asia/Shanghai */
#define DEFAULT_PAGE 50

/* Options shared by the database commands. */
typedef struct dbopts {
  const char *db, *rules, *org, *before, *after, *demo_password;
  int json, demo, overdue, limit;
} dbopts;

enum { O_DB = 1000, O_RULES, O_ORG, O_JSON, O_DEMO, O_OVERDUE, O_LIMIT, O_AFTER, O_BEFORE, O_PASSWORD };

/* Parses the options in `allowed` (a string of O_* codes ended by 0). Returns 1 after printing help, -1 on a
 * usage error, 0 otherwise. */
static int parse(int argc, char **argv, dbopts *o, const int *allowed, const char *usage, const char *zh, const char *en, const char *ozh,
                 const char *oen) {
  static const struct option all[] = {{"db", 1, 0, O_DB},         {"rules", 1, 0, O_RULES},     {"org", 1, 0, O_ORG},
                                      {"json", 0, 0, O_JSON},     {"demo", 0, 0, O_DEMO},       {"overdue", 0, 0, O_OVERDUE},
                                      {"limit", 1, 0, O_LIMIT},   {"after", 1, 0, O_AFTER},     {"before", 1, 0, O_BEFORE},
                                      {"demo-password", 1, 0, O_PASSWORD}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  memset(o, 0, sizeof *o);
  o->db = getenv("CIRS_DB");
  o->limit = DEFAULT_PAGE;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "h", all, NULL)) != -1) {
    if (c == 'h') {
      cli_help(usage, zh, en, ozh, oen);
      return 1;
    }
    int ok = 0;
    for (const int *a = allowed; *a; a++)
      if (*a == c) ok = 1;
    if (!ok || c == '?') {
      fprintf(stderr, L("cirs: 用法错误，运行 cirs %s --help\n", "cirs: usage error; see cirs %s --help\n"), argv[0]);
      return -1;
    }
    switch (c) {
    case O_DB: o->db = optarg; break;
    case O_RULES: o->rules = optarg; break;
    case O_ORG: o->org = optarg; break;
    case O_JSON: o->json = 1; break;
    case O_DEMO: o->demo = 1; break;
    case O_OVERDUE: o->overdue = 1; break;
    case O_AFTER: {
      char *end;
      long long v = strtoll(optarg, &end, 10);
      if (!*optarg || *end || v < 0) {
        fputs(L("cirs: --after 应为非负整数（上一页最后一个 id）\n", "cirs: --after must be a non-negative integer (the last id of the previous page)\n"), stderr);
        return -1;
      }
      o->after = optarg;
      break;
    }
    case O_BEFORE: o->before = optarg; break;
    case O_PASSWORD: o->demo_password = optarg; break;
    case O_LIMIT:
      o->limit = atoi(optarg);
      if (o->limit < 1 || o->limit > STORE_LIST_MAX) {
        fprintf(stderr, L("cirs: --limit 应为 1 到 %d\n", "cirs: --limit must be 1 to %d\n"), STORE_LIST_MAX);
        return -1;
      }
      break;
    }
  }
  if (!o->db) {
    fputs(L("cirs: 需要 --db PATH（或环境变量 CIRS_DB）\n", "cirs: --db PATH (or CIRS_DB) is required\n"), stderr);
    return -1;
  }
  return 0;
}

#define PARSE(...)                                                   \
  do {                                                               \
    int pr_ = parse(argc, argv, &o, allowed, __VA_ARGS__);           \
    if (pr_) return pr_ > 0 ? EXIT_OK : EXIT_INPUT;                  \
  } while (0)

static const char *fmt_ms(const json_t *v, char *buf) {
  if (!json_is_integer(v)) return "-";
  return time_format(json_integer_value(v), CN_OFFSET, buf);
}

static int open_db(const char *db, int create, store **st) {
  cirs_err e = {0};
  if (store_open(db, create, st, &e)) return cli_fail(&e);
  return 0;
}

int cmd_init(int argc, char **argv) {
  static const int allowed[] = {O_DB, O_DEMO, O_PASSWORD, 0};
  dbopts o;
  PARSE("init --db PATH|URL [--demo] [--demo-password PW]",
        "创建新的 SQLite 数据库（或在空的 PostgreSQL 数据库 postgresql://… 中）建立最新表结构；--demo 加入演示数据（国家机构、31 个省级网信办、关键信息基础设施保护工作部门、运营者、每个角色一名用户）。",
        "Create a new SQLite database (or, in an empty PostgreSQL database postgresql://..., the tables) with the newest schema; --demo adds demo data (national bodies, the 31 provincial CACs, CII protection departments, operators, one user per role).",
        "  --db PATH|URL         数据库文件（必须尚不存在）或 PostgreSQL 连接 URL（数据库须已创建且为空）\n  --demo                加入演示数据\n  --demo-password PW    演示用户的密码（默认 cirs-demo，或 $CIRS_DEMO_PASSWORD）\n",
        "  --db PATH|URL         database file (must not exist yet) or PostgreSQL URL (the database must exist and be empty)\n  --demo                add demo data\n  --demo-password PW    password of the demo users (default cirs-demo, or $CIRS_DEMO_PASSWORD)\n");
  store *st;
  int rc = open_db(o.db, 1, &st);
  if (rc) return rc;
  printf(L("已创建数据库 %s（%s，表结构版本 %d）\n", "created database %s (%s, schema version %d)\n"), o.db, store_backend(st), store_schema_version(st));
  if (o.demo) {
    const char *pw = o.demo_password ? o.demo_password : getenv("CIRS_DEMO_PASSWORD");
    if (!pw || !*pw) pw = "cirs-demo";
    cirs_err e = {0};
    json_t *sum = NULL;
    char who[80];
    if (model_load_demo(st, pw, cli_actor(who, sizeof who), &sum, &e)) rc = cli_fail(&e);
    else {
      printf(L("演示数据：%lld 个监管机构，%lld 个运营者，%lld 个用户（密码：%s）\n", "demo data: %lld authorities, %lld organisations, %lld users (password: %s)\n"),
             (long long)json_integer_value(json_object_get(sum, "authorities")), (long long)json_integer_value(json_object_get(sum, "organisations")),
             (long long)json_integer_value(json_object_get(sum, "users")), pw);
    }
    json_decref(sum);
  }
  store_close(st);
  return rc;
}

int cmd_migrate(int argc, char **argv) {
  static const int allowed[] = {O_DB, 0};
  dbopts o;
  PARSE("migrate --db PATH|URL", "把数据库升级到本版本的最新表结构（SQLite 或 PostgreSQL；每个迁移一个事务，多个实例同时启动时只执行一次）。服务启动时也会自动升级；滚动升级前可先单独运行本命令。",
        "Upgrade the database to this build's newest schema (SQLite or PostgreSQL; one transaction per migration, run once even when several "
        "instances start together). `cirs serve` upgrades at start as well; run this first for a rolling upgrade.",
        "  --db PATH|URL         数据库文件或 PostgreSQL 连接 URL\n", "  --db PATH|URL         database file or PostgreSQL URL\n");
  store *st;
  int rc = open_db(o.db, 0, &st);
  if (rc) return rc;
  printf(L("数据库 %s（%s）的表结构版本为 %d（最新）\n", "database %s (%s) is at schema version %d (the newest)\n"), o.db, store_backend(st), store_schema_version(st));
  store_close(st);
  return EXIT_OK;
}

static void print_obligation(const json_t *ob) {
  char buf[TIME_STR_MAX];
  json_t *due = json_object_get(ob, "due");
  json_t *due_ms = json_object_get(ob, "due_ms");
  const char *d = json_is_string(due) ? json_string_value(due) : json_is_integer(due_ms) ? fmt_ms(due_ms, buf) : NULL;
  char to[300] = "";
  size_t i;
  json_t *a;
  json_array_foreach(json_object_get(ob, "to_authorities"), i, a) {
    const char *code = json_string_value(json_object_get(a, "authority"));
    size_t l = strlen(to);
    snprintf(to + l, sizeof to - l, "%s%s", i ? "," : "", code ? code : json_string_value(json_object_get(a, "recipient")));
  }
  const char *max = json_string_value(json_object_get(ob, "max"));
  const char *status = json_string_value(json_object_get(ob, "status"));
  printf("  #%-5lld %-8s %-6s %-8s %-13s -> %-32s %s %s%s\n", (long long)json_integer_value(json_object_get(ob, "id")), status ? status : "",
         json_string_value(json_object_get(ob, "regime")), json_string_value(json_object_get(ob, "route")),
         json_string_value(json_object_get(ob, "kind")), to, d ? d : L("（待起算）", "(clock not started)"),
         d ? "" : json_string_value(json_object_get(ob, "relative_to")), max ? "" : L(" 及时", " promptly"));
}

int cmd_report_submit(int argc, char **argv) {
  static const int allowed[] = {O_DB, O_RULES, O_ORG, O_JSON, 0};
  dbopts o;
  PARSE("report submit --db PATH --org ORG [--rules DIR] [--json] FILE.json",
        "提交事件初报：校验报告文件、按规则包定级、在一个事务中保存事件、报告版本 1、报告义务和审计事件，输出事件编号和各项义务的时限。报告文件格式见 docs/report-format.md。",
        "File an initial report: validates the report file, grades it with the rule packs, stores the incident, report version 1, its obligations and the audit events in one transaction, and prints the incident number and every deadline. File format: docs/report-format.md.",
        "  --db PATH         数据库\n  --org ORG         报告单位（运营者代码）\n  --rules DIR       规则包目录\n  --json            输出 JSON\n",
        "  --db PATH         database\n  --org ORG         reporting organisation (code)\n  --rules DIR       rule-pack folder\n  --json            JSON output\n");
  if (!o.org || optind >= argc) {
    fputs(L("cirs: 需要 --org ORG 和报告文件\n", "cirs: --org ORG and a report file are required\n"), stderr);
    return EXIT_INPUT;
  }
  cirs_err e = {0};
  size_t len;
  char *text = cli_read_file(argv[optind], MODEL_REPORT_MAX, &len, &e);
  if (!text) return cli_fail(&e);
  json_error_t je;
  json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  free(text);
  if (!doc) {
    char m[300];
    snprintf(m, sizeof m, L("第 %d 行第 %d 列：%s", "line %d column %d: %s"), je.line, je.column, je.text);
    err_set(&e, "invalid_json", "", m);
    return cli_fail(&e);
  }
  rules_set *rs = rules_load(cli_rules_dir(o.rules), &e);
  if (!rs) {
    json_decref(doc);
    return cli_fail(&e);
  }
  store *st = NULL;
  int rc = open_db(o.db, 0, &st);
  json_t *res = NULL;
  char who[80];
  if (!rc && model_report_submit(st, rs, o.org, doc, cli_actor(who, sizeof who), "cli", &res, &e)) rc = cli_fail(&e);
  if (!rc) {
    if (o.json) cli_print_json(res);
    else {
      printf(L("已受理：事件 %s（id %lld），级别 %s%s\n", "accepted: incident %s (id %lld), grade %s%s\n"), json_string_value(json_object_get(res, "ref")),
             (long long)json_integer_value(json_object_get(res, "id")), json_string_value(json_object_get(res, "grade")),
             json_is_true(json_object_get(res, "reportable")) ? L("，须报告", ", must be reported") : L("，无强制报告义务", ", no mandatory report"));
      size_t i;
      json_t *x;
      json_array_foreach(json_object_get(res, "reasons"), i, x) printf("  %s: %s (%s, %s)\n", L("依据", "reason"), json_string_value(json_object_get(x, "source")),
                                                                       json_string_value(json_object_get(x, "fact")), json_string_value(json_object_get(x, "confidence")));
      json_array_foreach(json_object_get(res, "decisions_needed"), i, x)
        printf("  %s: %s → %s\n", L("待人工判定", "decision needed"), json_string_value(json_object_get(x, "fact")), json_string_value(json_object_get(x, "grade")));
      printf("%s\n", L("报告义务：", "obligations:"));
      json_array_foreach(json_object_get(res, "obligations"), i, x) print_obligation(x);
    }
  }
  json_decref(res);
  store_close(st);
  rules_free(rs);
  json_decref(doc);
  return rc;
}

/* --org CODE → organisation id filter; returns -1 after printing an error. */
static int org_filter(store *st, const char *code, int64_t *id) {
  *id = 0;
  if (!code) return 0;
  json_t *org;
  cirs_err e = {0};
  if (store_org_get(st, code, &org, &e)) return cli_fail(&e), -1;
  *id = json_integer_value(json_object_get(org, "id"));
  json_decref(org);
  return 0;
}

int cmd_incident_list(int argc, char **argv) {
  static const int allowed[] = {O_DB, O_ORG, O_JSON, O_LIMIT, O_AFTER, 0};
  dbopts o;
  PARSE("incident list --db PATH [--org ORG] [--limit N] [--after ID] [--json]", "按编号顺序列出事件，分页：每页 --limit 条（默认 50），--after 给出上一页最后一个 id。",
        "List incidents in id order, paged: --limit per page (default 50), --after the last id of the previous page.",
        "  --org ORG         只列出该运营者的事件\n  --limit N         每页条数（1–1000）\n  --after ID        从该 id 之后开始\n  --json            输出 JSON\n",
        "  --org ORG         only this organisation's incidents\n  --limit N         page size (1-1000)\n  --after ID        start after this id\n  --json            JSON output\n");
  store *st;
  int rc = open_db(o.db, 0, &st);
  if (rc) return rc;
  store_filter f = {.scope = {.all = 1}, .after_id = o.after ? atoll(o.after) : 0, .limit = o.limit, .now_ms = time_now_ms()};
  json_t *rows = NULL;
  cirs_err e = {0};
  if (org_filter(st, o.org, &f.organisation_id)) rc = EXIT_INPUT;
  else if (store_incident_list(st, &f, &rows, &e)) rc = cli_fail(&e);
  else if (o.json) {
    json_t *last = json_array_get(rows, json_array_size(rows) - 1);
    json_t *page = json_pack("{s:O, s:O?}", "items", rows,
                             "next_after", json_array_size(rows) == (size_t)o.limit ? json_object_get(last, "id") : NULL);
    cli_print_json(page);
    json_decref(page);
  } else {
    size_t i;
    json_t *r;
    char buf[TIME_STR_MAX];
    if (!json_array_size(rows)) printf("%s\n", L("（没有事件）", "(no incidents)"));
    json_array_foreach(rows, i, r)
      printf("%-6lld %-18s %-16s %-5s %-10s %-8s %s  %s%s\n", (long long)json_integer_value(json_object_get(r, "id")),
             json_string_value(json_object_get(r, "ref")), json_string_value(json_object_get(r, "organisation")),
             json_string_value(json_object_get(r, "grade")), json_string_value(json_object_get(r, "category")),
             json_string_value(json_object_get(r, "status")), fmt_ms(json_object_get(r, "aware_ms"), buf),
             json_string_value(json_object_get(r, "title")), json_is_true(json_object_get(r, "drill")) || json_integer_value(json_object_get(r, "drill")) ? L(" [演练]", " [drill]") : "");
    if (json_array_size(rows) == (size_t)o.limit)
      printf(L("下一页：--after %lld\n", "next page: --after %lld\n"), (long long)json_integer_value(json_object_get(json_array_get(rows, i - 1), "id")));
  }
  json_decref(rows);
  store_close(st);
  return rc;
}

int cmd_incident_show(int argc, char **argv) {
  static const int allowed[] = {O_DB, O_JSON, 0};
  dbopts o;
  PARSE("incident show --db PATH [--json] ID|REF", "显示一起事件：基本信息、全部报告版本（不可修改）和报告义务。", "Show one incident: its facts, every (immutable) report version and its obligations.",
        "  --json            输出 JSON\n", "  --json            JSON output\n");
  if (optind >= argc) {
    fputs(L("cirs: 需要事件 id 或编号\n", "cirs: an incident id or number is required\n"), stderr);
    return EXIT_INPUT;
  }
  store *st;
  int rc = open_db(o.db, 0, &st);
  if (rc) return rc;
  json_t *inc = NULL;
  cirs_err e = {0};
  store_scope all = {.all = 1};
  if (store_incident_get(st, argv[optind], &all, &inc, &e)) rc = cli_fail(&e);
  else if (o.json) cli_print_json(inc);
  else {
    char buf[TIME_STR_MAX];
    printf("%s  %s\n", json_string_value(json_object_get(inc, "ref")), json_string_value(json_object_get(inc, "title")));
    printf("  %s: %s (%s)\n", L("报告单位", "organisation"), json_string_value(json_object_get(inc, "organisation_name")),
           json_string_value(json_object_get(inc, "organisation")));
    printf("  %s: %s   %s: %s   %s: %s\n", L("级别", "grade"), json_string_value(json_object_get(inc, "grade")), L("类别", "category"),
           json_string_value(json_object_get(inc, "category")), L("状态", "status"), json_string_value(json_object_get(inc, "status")));
    printf("  %s: %s\n", L("发现时间", "aware at"), fmt_ms(json_object_get(inc, "aware_ms"), buf));
    size_t i;
    json_t *r;
    printf("%s\n", L("报告版本：", "report versions:"));
    json_array_foreach(json_object_get(inc, "reports"), i, r)
      printf("  v%lld %-10s %s %s %s sha256:%.16s…\n", (long long)json_integer_value(json_object_get(r, "version")),
             json_string_value(json_object_get(r, "kind")), fmt_ms(json_object_get(r, "submitted_ms"), buf),
             json_string_value(json_object_get(r, "submitted_by")), json_string_value(json_object_get(r, "channel")),
             json_string_value(json_object_get(r, "content_sha256")));
    printf("%s\n", L("报告义务：", "obligations:"));
    json_array_foreach(json_object_get(inc, "obligations"), i, r) print_obligation(r);
  }
  json_decref(inc);
  store_close(st);
  return rc;
}

int cmd_obligation_list(int argc, char **argv) {
  static const int allowed[] = {O_DB, O_ORG, O_JSON, O_OVERDUE, O_LIMIT, O_AFTER, 0};
  dbopts o;
  PARSE("obligation list --db PATH [--overdue] [--org ORG] [--limit N] [--after ID] [--json]",
        "列出报告义务、接收机关和截止时间；--overdue 只列出已超时未履行的义务。", "List obligations, their recipients and deadlines; --overdue only those past due and not met.",
        "  --overdue         只列出超时未履行的\n  --org ORG         只列出该运营者的\n  --limit N         每页条数\n  --after ID        从该 id 之后开始\n  --json            输出 JSON\n",
        "  --overdue         only past due and not met\n  --org ORG         only this organisation's\n  --limit N         page size\n  --after ID        start after this id\n  --json            JSON output\n");
  store *st;
  int rc = open_db(o.db, 0, &st);
  if (rc) return rc;
  int64_t now = time_now_ms();
  store_filter f = {.scope = {.all = 1}, .after_id = o.after ? atoll(o.after) : 0, .limit = o.limit, .overdue_only = o.overdue, .now_ms = now};
  json_t *rows = NULL;
  cirs_err e = {0};
  if (org_filter(st, o.org, &f.organisation_id)) rc = EXIT_INPUT;
  else if (store_obligation_list(st, &f, &rows, &e)) rc = cli_fail(&e);
  else {
    /* Effective status at `now`: a pending obligation past its due time is overdue even before the scheduler marks it. */
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
      json_t *due = json_object_get(r, "due_ms");
      const char *s = json_string_value(json_object_get(r, "status"));
      if (!strcmp(s, "pending") && json_is_integer(due) && json_integer_value(due) < now) json_object_set_new(r, "status", json_string("overdue"));
      char buf[TIME_STR_MAX];
      if (json_is_integer(due)) json_object_set_new(r, "due", json_string(fmt_ms(due, buf)));
      else json_object_set_new(r, "due", json_null());
    }
    if (o.json) cli_print_json(rows);
    else {
      if (!json_array_size(rows)) printf("%s\n", o.overdue ? L("（没有超时的义务）", "(nothing overdue)") : L("（没有义务）", "(no obligations)"));
      json_array_foreach(rows, i, r) {
        json_t *due = json_object_get(r, "due_ms");
        char left[64] = "";
        const char *stt = json_string_value(json_object_get(r, "status"));
        if (json_is_integer(due) && (!strcmp(stt, "pending") || !strcmp(stt, "overdue"))) {
          long long m = (long long)((json_integer_value(due) - now) / 60000);
          if (m >= 0) snprintf(left, sizeof left, L("剩余 %lld 分钟", "%lld min left"), m);
          else snprintf(left, sizeof left, L("已超时 %lld 分钟", "overdue by %lld min"), -m);
        }
        printf("%-18s", json_string_value(json_object_get(r, "ref")));
        print_obligation(r);
        if (*left) printf("         %s\n", left);
      }
    }
  }
  json_decref(rows);
  store_close(st);
  return rc;
}

int cmd_audit_verify(int argc, char **argv) {
  static const int allowed[] = {O_DB, O_JSON, 0};
  dbopts o;
  PARSE("audit verify --db PATH [--json]", "逐条重算审计事件哈希链；任何一条被改动、删除或插入，都会指出第一条出问题的记录，退出码 3。",
        "Recompute the hash chain of the audit log; any altered, deleted or inserted row is named (the first one) and the exit code is 3.",
        "  --json            输出 JSON\n", "  --json            JSON output\n");
  store *st;
  int rc = open_db(o.db, 0, &st);
  if (rc) return rc;
  json_t *rep = NULL;
  cirs_err e = {0};
  int v = audit_verify(st, &rep, &e);
  if (v && !rep) rc = cli_fail(&e);
  else if (o.json) {
    cli_print_json(rep);
    rc = v ? EXIT_VERIFY : EXIT_OK;
  } else if (v) {
    rc = cli_fail(&e);
  } else {
    printf(L("审计链完整：%lld 条事件，链头 %s\n", "audit chain intact: %lld events, head %s\n"), (long long)json_integer_value(json_object_get(rep, "events")),
           json_string_value(json_object_get(rep, "head")));
  }
  json_decref(rep);
  store_close(st);
  return rc;
}

int cmd_purge(int argc, char **argv) {
  static const int allowed[] = {O_DB, O_BEFORE, O_JSON, 0};
  dbopts o;
  PARSE("purge --db PATH --before DATE",
        "删除早于 DATE 的审计事件，全部记录都早于 DATE 的事件（连同其通知、消息和应急响应关联），以及早于 DATE 的站内通知、已发送或已放弃的消息、"
        "举报和收到的邮件（邮件所成事件仍保留时，邮件也保留）。依网络安全法第二十一条，DATE 不得晚于 180 天前，否则拒绝。",
        "Delete audit events older than DATE; incidents whose every record is older than DATE, with their notifications, messages and links "
        "to emergency responses; and, older than DATE, in-app notifications, sent or abandoned messages, public tips and received mails "
        "(a mail stays while the incident it became stays). Under Cybersecurity Law art. 21, DATE must be at least 180 days ago, else the "
        "command refuses.",
        "  --before DATE     YYYY-MM-DD（北京时间零点）或 RFC 3339 时间\n  --json            输出 JSON\n",
        "  --before DATE     YYYY-MM-DD (midnight Beijing time) or an RFC 3339 time\n  --json            JSON output\n");
  cirs_err e = {0};
  int64_t before, now = time_now_ms();
  if (!o.before) {
    err_set(&e, "missing_field", "before", "--before DATE");
    return cli_fail(&e);
  }
  if (time_parse_date_or_time(o.before, CN_OFFSET, &before)) {
    err_set(&e, "bad_time", "before", o.before);
    return cli_fail(&e);
  }
  int64_t limit = now - (int64_t)STORE_RETENTION_DAYS * 86400000;
  if (before > limit) {
    char a[TIME_STR_MAX], b[TIME_STR_MAX], m[200];
    snprintf(m, sizeof m, L("--before %s 晚于最早可删除时间 %s", "--before %s is later than the earliest purgeable time %s"), time_format(before, CN_OFFSET, a),
             time_format(limit, CN_OFFSET, b));
    err_set(&e, "retention", "before", m);
    return cli_fail(&e);
  }
  store *st;
  int rc = open_db(o.db, 0, &st);
  if (rc) return rc;
  json_t *counts = NULL;
  char who[80];
  if (store_begin(st, &e) || store_purge(st, before, &counts, &e)) rc = cli_fail(&e);
  else {
    model_event ev = {0, now, cli_actor(who, sizeof who), "retention.purged", "events", 0,
                      json_pack("{s:s, s:O}", "before", o.before, "deleted", counts)};
    if (store_event_append(st, &ev, &e) || store_commit(st, &e)) rc = cli_fail(&e);
    json_decref(ev.payload);
  }
  if (rc) store_rollback(st);
  else if (o.json) cli_print_json(counts);
  else
    printf(L("已删除：%lld 条审计记录，%lld 起事件（%lld 个报告版本，%lld 项义务），%lld 条站内通知，%lld 条消息，%lld 封邮件，%lld 条举报\n",
             "deleted: %lld audit events, %lld incidents (%lld report versions, %lld obligations), %lld notifications, %lld messages, %lld mails, %lld tips\n"),
           (long long)json_integer_value(json_object_get(counts, "events")), (long long)json_integer_value(json_object_get(counts, "incidents")),
           (long long)json_integer_value(json_object_get(counts, "reports")), (long long)json_integer_value(json_object_get(counts, "obligations")),
           (long long)json_integer_value(json_object_get(counts, "notifications")), (long long)json_integer_value(json_object_get(counts, "messages")),
           (long long)json_integer_value(json_object_get(counts, "mails")), (long long)json_integer_value(json_object_get(counts, "tips")));
  json_decref(counts);
  store_close(st);
  return rc;
}
