/* cli_compliance.c — `cirs compliance`: the compliance ledger of an operator or an authority (src/model/compliance.h)
 * as a short summary for people or, with --json, the ledger object for scripts. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/timeutil.h"
#include "../model/compliance.h"
#include "../store/store.h"
#include "cli.h"

#define CMP_CODE_MAX (MODEL_CODE_MAX - 1) /* --org / --authority, bytes */
#define CMP_PATH_MAX 4096                 /* --db */
#define CMP_TIME_MAX (TIME_STR_MAX - 1)   /* --from / --to */
#define CMP_SHOW_MAX 20                   /* entries of each list in the human summary (--json has them all) */

static const char USAGE[] = "compliance --db PATH (--org CODE | --authority CODE [--subtree]) [--from TIME] [--to TIME] [--drills] [--json]";
static const char DESC_ZH[] =
    "合规台账：报告义务的履行情况（按时、迟报、超时未报、待履行、豁免、按时率）、迟报与超时清单、平均报告用时，以及后续报告调高了先前报告数值的事实"
    "（可能的瞒报、谎报，供复核）。按事件发现时间选取期间；默认不含演练。"
    "按时率 = 按时 /（按时 + 迟报 + 超时未报）；已过截止时间仍待履行的义务计为超时未报。";
static const char DESC_EN[] =
    "Compliance ledger: how reporting obligations were met (on time, late, overdue, pending, waived, on-time rate), the late and overdue "
    "lists, the mean time to report, and the facts a later report raised above an earlier one (possible under-reporting, to review). "
    "The period selects incidents by awareness time; drills are excluded by default. "
    "On-time rate = met / (met + late + overdue); a pending obligation past its due time counts as overdue.";
static const char OPTS_ZH[] =
    "  --db PATH           数据库（或环境变量 CIRS_DB）\n"
    "  --org CODE          运营者：其事件及其自身的报告义务\n"
    "  --authority CODE    机构：其自身的义务（上报、通报）及报送到它的事件\n"
    "  --subtree           与 --authority 同用：包括其下级机构\n"
    "  --from TIME         发现时间不早于 TIME（RFC 3339，或 YYYY-MM-DD 北京时间零点）\n"
    "  --to TIME           发现时间早于 TIME\n"
    "  --drills            包括演练事件\n"
    "  --json              输出 JSON\n";
static const char OPTS_EN[] =
    "  --db PATH           database (or CIRS_DB)\n"
    "  --org CODE          an operator: its incidents and its own obligations\n"
    "  --authority CODE    an authority: its own obligations (escalate, notify) and the incidents routed to it\n"
    "  --subtree           with --authority: the authorities below it as well\n"
    "  --from TIME         aware at or after TIME (RFC 3339, or YYYY-MM-DD = midnight Beijing time)\n"
    "  --to TIME           aware before TIME\n"
    "  --drills            include drill incidents\n"
    "  --json              JSON output\n";

enum { C_DB = 1000, C_ORG, C_AUTHORITY, C_SUBTREE, C_FROM, C_TO, C_DRILLS, C_JSON };

typedef struct cmp_args {
  const char *db, *org, *authority, *from, *to;
  int subtree, drills, json;
} cmp_args;

/* A usage error: printed, exit code returned. */
static int usage_error(const char *code, const char *field, const char *msg) {
  cirs_err e = {0};
  err_set_msg(&e, code, field, msg);
  return cli_fail(&e);
}

/* Parses argv. Returns -1 after printing help (exit 0), an exit code after an error, 0 when `a` is ready. */
static int parse(int argc, char **argv, cmp_args *a) {
  static const struct option lo[] = {{"db", required_argument, NULL, C_DB},         {"org", required_argument, NULL, C_ORG},
                                     {"authority", required_argument, NULL, C_AUTHORITY}, {"subtree", no_argument, NULL, C_SUBTREE},
                                     {"from", required_argument, NULL, C_FROM},     {"to", required_argument, NULL, C_TO},
                                     {"drills", no_argument, NULL, C_DRILLS},       {"json", no_argument, NULL, C_JSON},
                                     {"help", no_argument, NULL, 'h'},              {NULL, 0, NULL, 0}};
  memset(a, 0, sizeof *a);
  const char *env = getenv("CIRS_DB");
  if (env && *env) a->db = env;
  char m[200];
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
    switch (c) {
    case 'h': cli_help(USAGE, DESC_ZH, DESC_EN, OPTS_ZH, OPTS_EN); return -1;
    case C_DB: a->db = optarg; break;
    case C_ORG: a->org = optarg; break;
    case C_AUTHORITY: a->authority = optarg; break;
    case C_SUBTREE: a->subtree = 1; break;
    case C_FROM: a->from = optarg; break;
    case C_TO: a->to = optarg; break;
    case C_DRILLS: a->drills = 1; break;
    case C_JSON: a->json = 1; break;
    default:
      snprintf(m, sizeof m, L("未知选项或缺少取值：%.80s；运行 cirs compliance --help", "unknown option or missing value: %.80s; see cirs compliance --help"),
               argv[optind - 1]);
      return usage_error("usage", "", m);
    }
  }
  if (optind < argc) {
    snprintf(m, sizeof m, L("多余的参数 \"%.80s\"", "unexpected argument \"%.80s\""), argv[optind]);
    return usage_error("usage", "", m);
  }
  if (!a->db || !*a->db) return usage_error("missing_field", "db", L("需要 --db PATH（或环境变量 CIRS_DB）", "--db PATH (or CIRS_DB) is required"));
  if (!a->org == !a->authority)
    return usage_error("usage", a->org ? "authority" : "org", L("需要 --org CODE 或 --authority CODE，二者只能选一", "exactly one of --org CODE and --authority CODE is required"));
  if (a->subtree && !a->authority) return usage_error("usage", "subtree", L("--subtree 只能与 --authority 同用", "--subtree goes with --authority only"));
  const struct {
    const char *v, *field;
    size_t max;
  } lim[] = {{a->db, "db", CMP_PATH_MAX}, {a->org, "org", CMP_CODE_MAX}, {a->authority, "authority", CMP_CODE_MAX},
             {a->from, "from", CMP_TIME_MAX}, {a->to, "to", CMP_TIME_MAX}};
  for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++) {
    if (!lim[i].v) continue;
    if (!*lim[i].v) return usage_error("bad_value", lim[i].field, L("取值不能为空", "the value must not be empty"));
    if (strlen(lim[i].v) > lim[i].max) {
      snprintf(m, sizeof m, L("--%s 最多 %zu 字节", "--%s takes at most %zu bytes"), lim[i].field, lim[i].max);
      return usage_error("too_large", lim[i].field, m);
    }
  }
  return 0;
}

/* --from / --to: RFC 3339, or a date meaning midnight in Beijing. */
static int parse_time(const char *v, const char *field, int64_t *ms) {
  *ms = MODEL_NO_TIME;
  if (!v) return 0;
  if (time_parse_date_or_time(v, COMPLIANCE_OFFSET, ms)) {
    cirs_err e = {0};
    err_set(&e, "bad_time", field, v);
    return cli_fail(&e);
  }
  return 0;
}

/* Seconds as "2h 5m 3s" / "2小时5分3秒" (the largest units only; "0s" for 0). */
static const char *fmt_dur(long long s, char *buf, size_t n) {
  const char *sign = s < 0 ? "-" : "";
  if (s < 0) s = -s;
  long long d = s / 86400, h = s % 86400 / 3600, mi = s % 3600 / 60, se = s % 60;
  if (d) snprintf(buf, n, L("%s%lld天%lld小时", "%s%lldd %lldh"), sign, d, h);
  else if (h) snprintf(buf, n, L("%s%lld小时%lld分", "%s%lldh %lldm"), sign, h, mi);
  else if (mi) snprintf(buf, n, L("%s%lld分%lld秒", "%s%lldm %llds"), sign, mi, se);
  else snprintf(buf, n, L("%s%lld秒", "%s%llds"), sign, se);
  return buf;
}

static long long jint(const json_t *o, const char *k) { return (long long)json_integer_value(json_object_get(o, k)); }
static const char *jstr(const json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "-";
}

/* A JSON number as text ("-" when absent). */
static const char *fmt_num(const json_t *v, char *buf, size_t n) {
  if (json_is_integer(v)) snprintf(buf, n, "%lld", (long long)json_integer_value(v));
  else if (json_is_real(v)) snprintf(buf, n, "%g", json_real_value(v));
  else snprintf(buf, n, "-");
  return buf;
}

static void print_summary(const json_t *r) {
  const json_t *scope = json_object_get(r, "scope"), *period = json_object_get(r, "period"), *ob = json_object_get(r, "obligations");
  char b1[64], b2[64];
  if (json_object_get(scope, "organisation")) printf(L("合规台账 — 运营者 %s\n", "Compliance ledger — organisation %s\n"), jstr(scope, "organisation"));
  else
    printf(L("合规台账 — 机构 %s%s\n", "Compliance ledger — authority %s%s\n"), jstr(scope, "authority"),
           json_is_true(json_object_get(scope, "subtree")) ? L("（含下级机构）", " (and those below it)") : "");
  const char *from = json_string_value(json_object_get(period, "from")), *to = json_string_value(json_object_get(period, "to"));
  printf("  %-22s %s — %s\n", L("期间（发现时间）", "period (aware time)"), from ? from : L("不限", "open"), to ? to : L("不限", "open"));
  printf("  %-22s %s\n", L("统计截至", "as of"), jstr(r, "as_of"));
  printf("  %-22s %s\n", L("演练", "drills"), json_is_true(json_object_get(r, "drills_included")) ? L("包括", "included") : L("不包括", "excluded"));
  printf("  %-22s %lld\n", L("事件数", "incidents"), jint(r, "incidents"));
  json_t *mean = json_object_get(r, "mean_time_to_report_s");
  if (json_is_number(mean))
    printf("  %-22s %s (%.0f s)\n", L("平均报告用时", "mean time to report"), fmt_dur((long long)json_number_value(mean), b1, sizeof b1),
           json_number_value(mean));
  else printf("  %-22s -\n", L("平均报告用时", "mean time to report"));
  printf("\n  %-10s %8s\n", L("报告义务", "obligations"), L("项数", "count"));
  const struct {
    const char *key, *zh, *en;
  } rows[] = {{"total", "合计", "total"},     {"met", "按时履行", "met on time"}, {"late", "迟报", "late"},
              {"overdue", "超时未报", "overdue"}, {"pending", "待履行", "pending"},   {"waived", "豁免", "waived"}};
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) printf("  %-10s %8lld\n", L(rows[i].zh, rows[i].en), jint(ob, rows[i].key));
  json_t *rate = json_object_get(ob, "on_time_rate");
  if (json_is_number(rate)) printf("  %-10s %7.1f%%\n", L("按时率", "on time"), 100.0 * json_number_value(rate));
  else printf("  %-10s %8s\n", L("按时率", "on time"), "-");

  size_t i;
  json_t *x;
  const json_t *late = json_object_get(r, "late"), *over = json_object_get(r, "overdue"), *raised = json_object_get(r, "raised_facts");
  if (json_array_size(late)) printf("\n%s\n", L("迟报：", "Late:"));
  json_array_foreach(late, i, x) {
    if (i == CMP_SHOW_MAX) break;
    printf("  #%-6lld %-18s %-11s %s %s  %s %s  %s %s\n", jint(x, "obligation_id"), jstr(x, "ref"), jstr(x, "kind"), L("截止", "due"), jstr(x, "due"),
           L("履行", "met"), jstr(x, "met_at"), L("迟", "late by"), json_is_integer(json_object_get(x, "late_by_s")) ? fmt_dur(jint(x, "late_by_s"), b1, sizeof b1) : "-");
  }
  if (json_array_size(over)) printf("\n%s\n", L("超时未报：", "Overdue:"));
  json_array_foreach(over, i, x) {
    if (i == CMP_SHOW_MAX) break;
    printf("  #%-6lld %-18s %-11s %s %s  %s %s\n", jint(x, "obligation_id"), jstr(x, "ref"), jstr(x, "kind"), L("截止", "due"), jstr(x, "due"),
           L("已超时", "overdue by"), json_is_integer(json_object_get(x, "overdue_by_s")) ? fmt_dur(jint(x, "overdue_by_s"), b1, sizeof b1) : "-");
  }
  if (json_array_size(raised)) printf("\n%s\n", L("后续报告调高的数值（可能瞒报、谎报，需复核）：", "Facts a later report raised (possible under-reporting, to review):"));
  json_array_foreach(raised, i, x) {
    if (i == CMP_SHOW_MAX) break;
    printf("  %-18s %-24s v%lld %s → v%lld %s\n", jstr(x, "ref"), jstr(x, "fact"), jint(x, "earlier_version"),
           fmt_num(json_object_get(x, "earlier_value"), b1, sizeof b1), jint(x, "later_version"), fmt_num(json_object_get(x, "later_value"), b2, sizeof b2));
  }
  if (json_array_size(late) > CMP_SHOW_MAX || json_array_size(over) > CMP_SHOW_MAX || json_array_size(raised) > CMP_SHOW_MAX ||
      json_is_true(json_object_get(r, "truncated")))
    printf("\n%s\n", L("（清单未全部列出，完整内容请用 --json）", "(lists shortened; --json has them)"));
}

int cmd_compliance(int argc, char **argv) {
  cmp_args a;
  int rc = parse(argc, argv, &a);
  if (rc) return rc < 0 ? EXIT_OK : rc;
  model_compliance_q q = {.sel = {.organisation = a.org, .authority = a.authority, .subtree = a.subtree, .drills = a.drills},
                          .now_ms = time_now_ms()};
  if ((rc = parse_time(a.from, "from", &q.sel.from_ms)) || (rc = parse_time(a.to, "to", &q.sel.to_ms))) return rc;
  if (q.sel.from_ms != MODEL_NO_TIME && q.sel.to_ms != MODEL_NO_TIME && q.sel.to_ms <= q.sel.from_ms)
    return usage_error("bad_value", "to", L("--to 应晚于 --from", "--to must be later than --from"));
  store *st = NULL;
  cirs_err e = {0};
  if (store_open(a.db, 0, &st, &e)) return cli_fail(&e);
  json_t *res = NULL;
  if (model_compliance(st, &q, &res, &e)) {
    if (!strcmp(e.field, "organisation")) snprintf(e.field, sizeof e.field, "org"); /* errors name the option */
    rc = cli_fail(&e);
  }
  else if (a.json) cli_print_json(res);
  else print_summary(res);
  json_decref(res);
  store_close(st);
  return rc;
}
