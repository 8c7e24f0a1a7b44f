/* cli_mail.c — `cirs mail …`: e-mail intake (src/intake/). ingest (one message on stdin from an MTA pipe, or a
 * Maildir), list (mails, quarantine, drafts), show (one mail; --raw gives the bytes kept of a quarantined one),
 * triage (a duty officer closes a draft), sender-add / senders (addresses and domains of organisations). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/timeutil.h"
#include "../intake/intake.h"
#include "../model/commands.h"
#include "../store/store.h"
#include "cli.h"

#define MAIL_PATH_MAX 4096        /* --db, --maildir, --rules */
#define MAIL_NOTE_MAX 2000        /* --note of triage, bytes */
#define MAIL_PROGRESS_EVERY 100   /* a progress line per this many messages when stderr is not a terminal */
#define MAIL_PAGE 50

enum { M_DB = 1000, M_MAILDIR, M_RULES, M_JSON, M_QUARANTINED, M_DRAFTS, M_OPEN, M_LIMIT, M_AFTER, M_RAW, M_DRAFT, M_NOTE, M_ORG };

typedef struct mail_args {
  const char *db, *maildir, *rules, *note, *org;
  int json, quarantined, drafts, open, raw, limit;
  long long after, draft;
} mail_args;

typedef struct mail_cmd {
  const char *usage, *zh, *en, *ozh, *oen;
  const int *allowed; /* M_* ended by 0 */
  int positional;     /* arguments after the options: exactly this many */
} mail_cmd;

static int usage_error(const char *code, const char *field, const char *msg) {
  cirs_err e = {0};
  err_set_msg(&e, code, field, msg);
  return cli_fail(&e);
}

static int parse_count(const char *v, long long min, long long max, long long *out) {
  char *end;
  long long n = strtoll(v, &end, 10);
  if (!*v || *end || n < min || n > max) return -1;
  *out = n;
  return 0;
}

/* Returns -1 after help (exit 0), an exit code after an error, 0 when `a` is ready. */
static int parse(int argc, char **argv, const mail_cmd *cmd, mail_args *a) {
  static const struct option lo[] = {{"db", 1, NULL, M_DB},         {"maildir", 1, NULL, M_MAILDIR}, {"rules", 1, NULL, M_RULES},
                                     {"json", 0, NULL, M_JSON},     {"quarantined", 0, NULL, M_QUARANTINED}, {"quarantine", 0, NULL, M_QUARANTINED},
                                     {"drafts", 0, NULL, M_DRAFTS}, {"open", 0, NULL, M_OPEN},       {"limit", 1, NULL, M_LIMIT},
                                     {"after", 1, NULL, M_AFTER},   {"raw", 0, NULL, M_RAW},         {"draft", 1, NULL, M_DRAFT},
                                     {"note", 1, NULL, M_NOTE},     {"org", 1, NULL, M_ORG},         {"help", 0, NULL, 'h'},
                                     {NULL, 0, NULL, 0}};
  memset(a, 0, sizeof *a);
  a->limit = MAIL_PAGE;
  const char *env = getenv("CIRS_DB");
  if (env && *env) a->db = env;
  char m[300];
  int c;
  long long v;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
    if (c == 'h') {
      cli_help(cmd->usage, cmd->zh, cmd->en, cmd->ozh, cmd->oen);
      return -1;
    }
    int ok = 0;
    for (const int *x = cmd->allowed; *x; x++)
      if (*x == c) ok = 1;
    if (!ok) {
      snprintf(m, sizeof m, L("未知选项或缺少取值：%.80s；运行 cirs %s --help", "unknown option or missing value: %.80s; see cirs %s --help"), argv[optind - 1],
               cmd->usage);
      return usage_error("usage", "", m);
    }
    switch (c) {
    case M_DB: a->db = optarg; break;
    case M_MAILDIR: a->maildir = optarg; break;
    case M_RULES: a->rules = optarg; break;
    case M_JSON: a->json = 1; break;
    case M_QUARANTINED: a->quarantined = 1; break;
    case M_DRAFTS: a->drafts = 1; break;
    case M_OPEN: a->open = 1; break;
    case M_RAW: a->raw = 1; break;
    case M_NOTE: a->note = optarg; break;
    case M_ORG: a->org = optarg; break;
    case M_LIMIT:
      if (parse_count(optarg, 1, STORE_LIST_MAX, &v)) {
        snprintf(m, sizeof m, L("--limit 应为 1 到 %d", "--limit must be 1 to %d"), STORE_LIST_MAX);
        return usage_error("bad_value", "limit", m);
      }
      a->limit = (int)v;
      break;
    case M_AFTER:
      if (parse_count(optarg, 0, INT64_MAX, &a->after))
        return usage_error("bad_value", "after", L("--after 应为非负整数（上一页最后一个 id）", "--after must be a non-negative integer (the last id of the previous page)"));
      break;
    case M_DRAFT:
      if (parse_count(optarg, 1, INT64_MAX, &a->draft)) return usage_error("bad_value", "draft", L("--draft 应为草稿 id", "--draft must be a draft id"));
      break;
    }
  }
  if (argc - optind != cmd->positional) {
    snprintf(m, sizeof m, L("参数个数不对；用法：cirs %s", "wrong number of arguments; usage: cirs %s"), cmd->usage);
    return usage_error("usage", "", m);
  }
  if (!a->db || !*a->db) return usage_error("missing_field", "db", L("需要 --db PATH（或环境变量 CIRS_DB）", "--db PATH (or CIRS_DB) is required"));
  const struct {
    const char *v, *field;
    size_t max;
  } lim[] = {{a->db, "db", MAIL_PATH_MAX}, {a->maildir, "maildir", MAIL_PATH_MAX}, {a->rules, "rules", MAIL_PATH_MAX},
             {a->note, "note", MAIL_NOTE_MAX}, {a->org, "org", MODEL_CODE_MAX - 1}};
  for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++) {
    if (!lim[i].v) continue;
    if (!*lim[i].v) {
      snprintf(m, sizeof m, L("--%s 不能为空", "--%s must not be empty"), lim[i].field);
      return usage_error("bad_value", lim[i].field, m);
    }
    if (strlen(lim[i].v) > lim[i].max) {
      snprintf(m, sizeof m, L("--%s 最多 %zu 字节", "--%s takes at most %zu bytes"), lim[i].field, lim[i].max);
      return usage_error("too_large", lim[i].field, m);
    }
  }
  return 0;
}

#define PARSE(cmd)                                \
  mail_args a;                                    \
  do {                                            \
    int pr_ = parse(argc, argv, &(cmd), &a);      \
    if (pr_) return pr_ < 0 ? EXIT_OK : pr_;      \
  } while (0)

static const char *kind_label(const char *kind) {
  if (!strcmp(kind, "report")) return L("事件报告", "incident report");
  if (!strcmp(kind, "tip")) return L("举报线索", "tip");
  if (!strcmp(kind, "draft")) return L("待分诊草稿", "draft for triage");
  return kind;
}

static json_t *outcome_json(const intake_outcome *o) {
  return json_pack("{s:s, s:s?, s:s, s:s?, s:s?, s:s?, s:s?, s:i, s:b}", "status", o->status, "kind", o->kind[0] ? o->kind : NULL, "mail_ref", o->mail_ref,
                   "receipt", o->ref[0] ? o->ref : NULL, "organisation", o->organisation[0] ? o->organisation : NULL, "reason_code",
                   o->reason_code[0] ? o->reason_code : NULL, "reason", o->reason[0] ? o->reason : NULL, "attachments", o->attachments, "reply_queued",
                   o->replied);
}

static void print_outcome(const char *name, const intake_outcome *o, FILE *f) {
  const char *pre = name ? name : "", *sep = name ? ": " : "";
  if (!strcmp(o->status, "quarantined"))
    fprintf(f, L("%s%s已隔离（%s）：%s [%s]\n", "%s%squarantined (%s): %s [%s]\n"), pre, sep, o->mail_ref, o->reason, o->reason_code);
  else if (!strcmp(o->status, "duplicate"))
    fprintf(f, L("%s%s重复邮件，此前已处理为 %s %s\n", "%s%sa repeat, handled before as %s %s\n"), pre, sep, o->mail_ref, o->ref[0] ? o->ref : "-");
  else {
    fprintf(f, L("%s%s已受理：%s %s（来信 %s%s%s，附件 %d 个%s）\n", "%s%saccepted: %s %s (mail %s%s%s, %d attachments%s)\n"), pre, sep, kind_label(o->kind),
            o->ref, o->mail_ref, o->organisation[0] ? L("，运营者 ", ", organisation ") : "", o->organisation, o->attachments,
            o->replied ? L("，已排队回执", ", receipt reply queued") : "");
    if (o->reason_code[0]) fprintf(f, "  %s: %s [%s]\n", L("说明", "note"), o->reason, o->reason_code);
  }
}

/* ---- mail ingest ---------------------------------------------------------------------------------------------- */

static const int INGEST_OPTS[] = {M_DB, M_MAILDIR, M_RULES, M_JSON, 0};
static const mail_cmd INGEST = {
    "mail ingest --db PATH [--maildir DIR] [--rules DIR] [--json]",
    "收取邮件：从标准输入读取一封 RFC 5322 邮件（供邮件服务器管道投递），或用 --maildir 处理 Maildir 中 new/ 下的全部邮件。"
    "报告模板（单位名称、事件类型、发现时间等带标签的行）且发件人属于已登记运营者时提交为事件报告（渠道 email）；ARF、X-ARF 滥用报告成为举报线索；"
    "其他来信成为草稿，待值班人员分诊。每封受理的邮件都通过发件箱自动回复受理编号。无法解析、超过大小或数量上限的邮件连同原因隔离，绝不丢弃。"
    "同一 Message-ID 不会重复受理。Maildir：处理后的邮件移入 cur/（NAME:2,S），隔离的移入 .Quarantine/new/；进度与计数输出到标准错误。"
    "上限：邮件 10 MiB，附件 20 个、每个 5 MiB，MIME 部分 100 个、嵌套 8 层。退出码：0 已受理、重复或已隔离；1 数据库或读写失败（邮件未处理，可重试）；2 用法错误。",
    "Take in e-mail: one RFC 5322 message on standard input (an MTA pipe), or with --maildir every message in the Maildir's new/. "
    "A report template (labelled lines: Organisation, Category, Discovered, ...) from a registered organisation's sender is filed as an incident report "
    "(channel email); ARF and X-ARF abuse reports become tips; anything else becomes a draft for the duty officer to triage. Every accepted mail gets an "
    "automatic reply with its receipt number through the outbox. Mails that cannot be parsed or exceed a limit are quarantined with the reason, never dropped. "
    "A Message-ID is accepted once. Maildir: processed mails move to cur/ (NAME:2,S), quarantined ones to .Quarantine/new/; progress and counts go to "
    "standard error. Limits: 10 MiB per message, 20 attachments of at most 5 MiB each, 100 MIME parts, 8 levels of nesting. Exit codes: 0 accepted, "
    "repeat or quarantined; 1 database or I/O failure (the mail was not taken; retry); 2 usage error.",
    "  --db PATH         数据库（或环境变量 CIRS_DB）\n"
    "  --maildir DIR     处理 Maildir（DIR/new、DIR/cur），不读标准输入\n"
    "  --rules DIR       规则包目录（默认内置）\n"
    "  --json            输出 JSON（每封邮件的结果，Maildir 另有计数）\n",
    "  --db PATH         database (or CIRS_DB)\n"
    "  --maildir DIR     process a Maildir (DIR/new, DIR/cur) instead of standard input\n"
    "  --rules DIR       rule-pack folder (default: built in)\n"
    "  --json            JSON output (the outcome of each mail; counts for a Maildir)\n",
    INGEST_OPTS, 0};

/* Standard input up to INTAKE_MAIL_MAX bytes; beyond that the first INTAKE_HEAD_MAX bytes are kept and the rest is
 * read and counted (an MTA pipe must be drained). */
static unsigned char *read_stdin(size_t *len, size_t *size, cirs_err *e) {
  size_t cap = 64 * 1024, n = 0;
  unsigned char *buf = malloc(cap + 1);
  size_t total = 0;
  char sink[65536];
  while (buf) {
    if (total > INTAKE_MAIL_MAX) { /* oversized: count the rest */
      size_t r = fread(sink, 1, sizeof sink, stdin);
      if (!r) break;
      total += r;
      continue;
    }
    if (n == cap) {
      size_t nc = cap * 2 > (size_t)INTAKE_MAIL_MAX + 1 ? (size_t)INTAKE_MAIL_MAX + 1 : cap * 2;
      unsigned char *t = realloc(buf, nc + 1);
      if (!t) break;
      buf = t;
      cap = nc;
    }
    size_t r = fread(buf + n, 1, cap - n, stdin);
    if (!r) break;
    n += r;
    total += r;
  }
  if (!buf) {
    err_set(e, "internal", "", "out of memory");
    return NULL;
  }
  if (ferror(stdin)) {
    free(buf);
    err_set(e, "io_error", "stdin", L("读取标准输入失败", "reading standard input failed"));
    return NULL;
  }
  if (total > INTAKE_MAIL_MAX) n = n < INTAKE_HEAD_MAX ? n : INTAKE_HEAD_MAX;
  buf[n] = 0;
  *len = n;
  *size = total;
  return buf;
}

typedef struct progress {
  int json, tty;
  json_t *items;
} progress;

static void on_progress(void *ctx, const char *name, const intake_outcome *o, const intake_counts *c) {
  progress *p = ctx;
  if (p->items) {
    json_t *j = outcome_json(o);
    json_object_set_new(j, "file", json_string(name));
    json_array_append_new(p->items, j);
  }
  if (!strcmp(o->status, "quarantined")) print_outcome(name, o, stderr);
  if (p->tty || c->seen % MAIL_PROGRESS_EVERY == 0 || c->seen == c->total)
    fprintf(stderr, L("%s[%d/%d] 报告 %d，线索 %d，草稿 %d，重复 %d，隔离 %d%s", "%s[%d/%d] reports %d, tips %d, drafts %d, repeats %d, quarantined %d%s"),
            p->tty ? "\r" : "", c->seen, c->total, c->report, c->tip, c->draft, c->duplicate, c->quarantined, p->tty && c->seen < c->total ? "" : "\n");
}

int cmd_mail_ingest(int argc, char **argv) {
  PARSE(INGEST);
  cirs_err e = {0};
  rules_set *rs = rules_load(cli_rules_dir(a.rules), &e);
  if (!rs) return cli_fail(&e);
  store *st = NULL;
  if (store_open(a.db, 0, &st, &e)) {
    rules_free(rs);
    return cli_fail(&e);
  }
  intake_init();
  int rc = EXIT_OK;
  if (a.maildir) {
    intake_counts c;
    progress p = {a.json, isatty(2), a.json ? json_array() : NULL};
    int r = intake_maildir(st, rs, a.maildir, on_progress, &p, &c, &e);
    if (p.tty && c.seen && c.seen < c.total) fputc('\n', stderr);
    if (r) rc = cli_fail(&e);
    if (a.json) {
      json_t *j = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:o}", "total", c.total, "processed", c.seen, "reports", c.report, "tips", c.tip,
                            "drafts", c.draft, "duplicates", c.duplicate, "quarantined", c.quarantined, "failed", c.failed, "mails", p.items);
      cli_print_json(j);
      json_decref(j);
    } else
      printf(L("Maildir %s：共 %d 封，已处理 %d 封（报告 %d，线索 %d，草稿 %d，重复 %d，隔离 %d）%s\n",
               "Maildir %s: %d messages, %d processed (reports %d, tips %d, drafts %d, repeats %d, quarantined %d)%s\n"),
             a.maildir, c.total, c.seen, c.report, c.tip, c.draft, c.duplicate, c.quarantined,
             r ? L("；因错误中止，其余邮件留在 new/", "; stopped by an error, the rest stay in new/") : "");
  } else {
    size_t len = 0, size = 0;
    unsigned char *data = read_stdin(&len, &size, &e);
    intake_outcome o;
    if (!data) rc = cli_fail(&e);
    else if (!size) rc = usage_error("missing_field", "stdin", L("标准输入为空：需要一封 RFC 5322 邮件", "standard input is empty: an RFC 5322 message is expected"));
    else if (intake_mail(st, rs, data, len, size, "stdin", &o, &e)) rc = cli_fail(&e);
    else if (a.json) {
      json_t *j = outcome_json(&o);
      cli_print_json(j);
      json_decref(j);
    } else print_outcome(NULL, &o, stdout);
    free(data);
  }
  intake_shutdown();
  store_close(st);
  rules_free(rs);
  return rc;
}

/* ---- mail list / show / triage -------------------------------------------------------------------------------- */

static const int LIST_OPTS[] = {M_DB, M_QUARANTINED, M_DRAFTS, M_OPEN, M_LIMIT, M_AFTER, M_JSON, 0};
static const mail_cmd LIST = {
    "mail list --db PATH [--quarantined | --drafts [--open]] [--limit N] [--after ID] [--json]",
    "列出收到的邮件（受理结果、隔离原因），--quarantined 只列隔离的邮件，--drafts 列出待分诊草稿（--open 只列未分诊的）。按 id 分页。",
    "List the mails taken in (what each became, why one was quarantined); --quarantined only the quarantine, --drafts the drafts for triage "
    "(--open: not yet triaged). Paged by id.",
    "  --quarantined     只列隔离的邮件\n  --drafts          列出草稿\n  --open            与 --drafts 同用：只列未分诊的\n"
    "  --limit N         每页条数（1–1000，默认 50）\n  --after ID        从该 id 之后开始\n  --json            输出 JSON\n",
    "  --quarantined     only quarantined mails\n  --drafts          the drafts\n  --open            with --drafts: only those not triaged\n"
    "  --limit N         page size (1-1000, default 50)\n  --after ID        start after this id\n  --json            JSON output\n",
    LIST_OPTS, 0};

static const char *s_or(const json_t *o, const char *k, const char *dflt) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : dflt;
}

static const char *fmt_ms(const json_t *v, char *buf) { return json_is_integer(v) ? time_format(json_integer_value(v), 480, buf) : "-"; }

int cmd_mail_list(int argc, char **argv) {
  PARSE(LIST);
  if (a.quarantined && a.drafts) return usage_error("usage", "drafts", L("--quarantined 与 --drafts 只能选一", "--quarantined and --drafts exclude each other"));
  if (a.open && !a.drafts) return usage_error("usage", "open", L("--open 只能与 --drafts 同用", "--open goes with --drafts only"));
  store *st = NULL;
  cirs_err e = {0};
  if (store_open(a.db, 0, &st, &e)) return cli_fail(&e);
  json_t *rows = NULL;
  const char *what = a.drafts ? "drafts" : a.quarantined ? "quarantined" : "all";
  int rc = EXIT_OK;
  if (store_mail_list(st, what, a.open, a.after, a.limit, &rows, &e)) rc = cli_fail(&e);
  else if (a.json) {
    json_t *last = json_array_get(rows, json_array_size(rows) - 1);
    json_t *page = json_pack("{s:O, s:O?}", "items", rows, "next_after", json_array_size(rows) == (size_t)a.limit ? json_object_get(last, "id") : NULL);
    cli_print_json(page);
    json_decref(page);
  } else {
    size_t i;
    json_t *r;
    char t[TIME_STR_MAX];
    if (!json_array_size(rows)) printf("%s\n", a.drafts ? L("（没有草稿）", "(no drafts)") : L("（没有邮件）", "(no mails)"));
    json_array_foreach(rows, i, r) {
      if (a.drafts)
        printf("#%-5lld %-17s %-7s %-16s %-32s %s\n", (long long)json_integer_value(json_object_get(r, "id")), s_or(r, "ref", "-"), s_or(r, "status", "-"),
               s_or(r, "organisation", L("（未知发件人）", "(unknown)")), s_or(r, "sender", "-"), s_or(r, "subject", ""));
      else {
        printf("%-5lld %-17s %s %-11s %-6s %-18s %-32s %s\n", (long long)json_integer_value(json_object_get(r, "id")), s_or(r, "ref", "-"),
               fmt_ms(json_object_get(r, "received_ms"), t), s_or(r, "status", "-"), s_or(r, "kind", "-"), s_or(r, "result_ref", "-"), s_or(r, "sender", "-"),
               s_or(r, "subject", ""));
        if (json_is_string(json_object_get(r, "reason"))) printf("      %s: %s [%s]\n", L("原因", "reason"), s_or(r, "reason", ""), s_or(r, "reason_code", ""));
      }
    }
    if (json_array_size(rows) == (size_t)a.limit)
      printf(L("下一页：--after %lld\n", "next page: --after %lld\n"), (long long)json_integer_value(json_object_get(json_array_get(rows, i - 1), "id")));
  }
  json_decref(rows);
  store_close(st);
  return rc;
}

static const int SHOW_OPTS[] = {M_DB, M_RAW, M_JSON, 0};
static const mail_cmd SHOW = {"mail show --db PATH [--raw | --json] ID|REF",
                              "显示一封收到的邮件：发件人、主题、受理结果或隔离原因、附件（名称、类型、大小）和草稿正文。--raw 把隔离邮件保存的原始字节写到标准输出（修复后可重新收取）。",
                              "Show one mail taken in: sender, subject, what it became or why it was quarantined, its attachments (name, type, size) "
                              "and a draft's text. --raw writes the bytes kept of a quarantined mail to standard output (to repair and feed in again).",
                              "  --raw             输出隔离邮件的原始字节\n  --json            输出 JSON\n",
                              "  --raw             the raw bytes of a quarantined mail\n  --json            JSON output\n",
                              SHOW_OPTS, 1};

int cmd_mail_show(int argc, char **argv) {
  PARSE(SHOW);
  store *st = NULL;
  cirs_err e = {0};
  if (store_open(a.db, 0, &st, &e)) return cli_fail(&e);
  json_t *m = NULL;
  int rc = EXIT_OK;
  if (store_mail_get(st, argv[optind], &m, &e)) rc = cli_fail(&e);
  else if (a.raw) {
    unsigned char *data;
    size_t len;
    if (store_mail_raw(st, json_integer_value(json_object_get(m, "id")), &data, &len, &e)) rc = cli_fail(&e);
    else if (!data) rc = usage_error("not_found", "raw", L("只有隔离的邮件保存原始字节", "only quarantined mails keep their raw bytes"));
    else if (fwrite(data, 1, len, stdout) != len) rc = EXIT_FAIL;
    free(data);
  } else if (a.json) cli_print_json(m);
  else {
    char t[TIME_STR_MAX];
    printf("%s  %s\n", s_or(m, "ref", "-"), s_or(m, "subject", ""));
    printf("  %-10s %s%s%s%s\n", L("发件人", "from"), s_or(m, "sender_name", ""), json_is_string(json_object_get(m, "sender_name")) ? " <" : "",
           s_or(m, "sender", "-"), json_is_string(json_object_get(m, "sender_name")) ? ">" : "");
    printf("  %-10s %s   %s (%s)\n", L("收到", "received"), fmt_ms(json_object_get(m, "received_ms"), t), s_or(m, "source", "-"), s_or(m, "message_id", "-"));
    printf("  %-10s %lld %s, sha256 %s, %s %s\n", L("大小", "size"), (long long)json_integer_value(json_object_get(m, "size")), L("字节", "bytes"),
           s_or(m, "sha256", "-"), L("字符集", "charset"), s_or(m, "charset", "-"));
    printf("  %-10s %s %s %s %s\n", L("结果", "outcome"), s_or(m, "status", "-"), s_or(m, "kind", ""), s_or(m, "result_ref", ""),
           s_or(m, "organisation", ""));
    if (json_is_string(json_object_get(m, "reason"))) printf("  %-10s %s [%s]\n", L("原因", "reason"), s_or(m, "reason", ""), s_or(m, "reason_code", ""));
    printf("  %-10s %s\n", L("回执", "reply"), s_or(m, "reply", "-"));
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(m, "attachments"), i, x)
      printf("  %-10s %s (%s, %lld %s)\n", L("附件", "attachment"), s_or(x, "filename", L("（无名）", "(unnamed)")), s_or(x, "content_type", "-"),
             (long long)json_integer_value(json_object_get(x, "size")), L("字节", "bytes"));
    json_t *d = json_object_get(m, "draft");
    if (json_is_object(d)) {
      printf("%s #%lld (%s)%s%s\n", L("草稿", "draft"), (long long)json_integer_value(json_object_get(d, "id")), s_or(d, "status", "-"),
             json_is_string(json_object_get(d, "note")) ? ": " : "", s_or(d, "note", ""));
      printf("%s\n", s_or(d, "text", ""));
    }
  }
  json_decref(m);
  store_close(st);
  return rc;
}

static const int TRIAGE_OPTS[] = {M_DB, M_DRAFT, M_NOTE, 0};
static const mail_cmd TRIAGE = {"mail triage --db PATH --draft ID [--note TEXT]",
                                "值班人员分诊完一份草稿（例如已代为录入报告、转给相关部门或认定无需处理）：标记为已分诊，记录处理人和说明，写入审计事件。",
                                "A duty officer has dealt with a draft (entered the report on the caller's behalf, passed it on, or found nothing to do): marks "
                                "it triaged with who and a note, and writes the audit event.",
                                "  --draft ID        草稿 id（cirs mail list --drafts）\n  --note TEXT       处理说明（最多 2000 字节）\n",
                                "  --draft ID        draft id (cirs mail list --drafts)\n  --note TEXT       what was done (at most 2000 bytes)\n",
                                TRIAGE_OPTS, 0};

int cmd_mail_triage(int argc, char **argv) {
  PARSE(TRIAGE);
  if (!a.draft) return usage_error("missing_field", "draft", L("需要 --draft ID", "--draft ID is required"));
  store *st = NULL;
  cirs_err e = {0};
  if (store_open(a.db, 0, &st, &e)) return cli_fail(&e);
  char who[80];
  cli_actor(who, sizeof who);
  int64_t mail_id = 0, now = time_now_ms();
  int rc = store_begin(st, &e) || store_mail_draft_triage(st, a.draft, who, a.note, now, &mail_id, &e) ||
           model_event_add(st, who, "mail.draft_triaged", "mail", mail_id, json_pack("{s:I, s:s?}", "draft_id", (json_int_t)a.draft, "note", a.note), &e) ||
           store_commit(st, &e);
  if (rc) {
    store_rollback(st);
    if (!strcmp(e.code, "not_found") || !strcmp(e.code, "conflict")) snprintf(e.field, sizeof e.field, "draft");
    rc = cli_fail(&e);
  } else printf(L("草稿 #%lld 已分诊\n", "draft #%lld triaged\n"), a.draft);
  store_close(st);
  return rc;
}

/* ---- senders -------------------------------------------------------------------------------------------------- */

static const int SENDER_OPTS[] = {M_DB, M_ORG, 0};
static const mail_cmd SENDER_ADD = {"mail sender-add --db PATH --org ORG ADDRESS|@DOMAIN",
                                    "登记代表某运营者发信的邮件地址或域名（@example.cn）。运营者的联系邮箱及其用户的邮箱无需登记。发件人与运营者的对应用于把报告模板提交为该运营者的报告。",
                                    "Register an address or a domain (@example.cn) whose mail speaks for an organisation. The organisation's contact e-mail and its "
                                    "users' addresses need no registration. The match decides whether a report template is filed as that organisation's report.",
                                    "  --org ORG         运营者代码\n", "  --org ORG         organisation code\n", SENDER_OPTS, 1};

int cmd_mail_sender_add(int argc, char **argv) {
  PARSE(SENDER_ADD);
  if (!a.org) return usage_error("missing_field", "org", L("需要 --org ORG", "--org ORG is required"));
  char addr[INTAKE_ADDRESS_MAX + 1];
  const char *v = argv[optind];
  const char *at = strchr(v, '@');
  if (strlen(v) > INTAKE_ADDRESS_MAX || !at || strchr(at + 1, '@') || !at[1] || strchr(v, ' ') || !strchr(at + 1, '.'))
    return usage_error("bad_value", "address", L("应为邮件地址（name@example.cn）或域名（@example.cn）", "an address (name@example.cn) or a domain (@example.cn) expected"));
  snprintf(addr, sizeof addr, "%s", v);
  for (char *p = addr; *p; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  store *st = NULL;
  cirs_err e = {0};
  if (store_open(a.db, 0, &st, &e)) return cli_fail(&e);
  char who[80];
  cli_actor(who, sizeof who);
  int64_t now = time_now_ms(), org = store_id_of(st, "organisation", a.org);
  int rc = store_begin(st, &e) || store_mail_sender_add(st, a.org, addr, now, &e) ||
           model_event_add(st, who, "organisation.sender_added", "organisation", org, json_pack("{s:s, s:s}", "organisation", a.org, "address", addr), &e) ||
           store_commit(st, &e);
  if (rc) {
    store_rollback(st);
    if (!strcmp(e.code, "conflict")) snprintf(e.field, sizeof e.field, "address");
    rc = cli_fail(&e);
  } else printf(L("已登记：%s → %s\n", "registered: %s -> %s\n"), addr, a.org);
  store_close(st);
  return rc;
}

static const int SENDERS_OPTS[] = {M_DB, M_JSON, 0};
static const mail_cmd SENDERS = {"mail senders --db PATH [--json]", "列出已登记的发件地址和域名及其运营者。", "List the registered sender addresses and domains with their organisations.",
                                 "  --json            输出 JSON\n", "  --json            JSON output\n", SENDERS_OPTS, 0};

int cmd_mail_senders(int argc, char **argv) {
  PARSE(SENDERS);
  store *st = NULL;
  cirs_err e = {0};
  if (store_open(a.db, 0, &st, &e)) return cli_fail(&e);
  json_t *rows = NULL;
  int rc = EXIT_OK;
  if (store_mail_senders(st, &rows, &e)) rc = cli_fail(&e);
  else if (a.json) cli_print_json(rows);
  else {
    size_t i;
    json_t *r;
    if (!json_array_size(rows)) printf("%s\n", L("（没有登记的发件地址）", "(no registered senders)"));
    json_array_foreach(rows, i, r) printf("%-40s %s\n", s_or(r, "address", "-"), s_or(r, "organisation", "-"));
  }
  json_decref(rows);
  store_close(st);
  return rc;
}
