/* cli_export.c — `cirs export` (CSV, JSON, STIX 2.1, MISP; streamed page by page to a file or standard output) and
 * `cirs import` (JSON lines or CSV, every row checked like POST /api/v1/incidents, all or nothing). src/export/ does
 * the work; this file parses options and prints. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/timeutil.h"
#include "../export/export.h"
#include "../store/store.h"
#include "cli.h"

#define EXP_CODE_MAX (MODEL_CODE_MAX - 1) /* --org / --authority, bytes */
#define EXP_PATH_MAX 4096                 /* --db, -o, the import file */
#define EXP_VALUE_MAX 40                  /* --from/--to/--status/--grade/--category/--drill/--incident */
#define EXP_OFFSET 480                    /* dates are midnight in Beijing */

static const char EXPORT_USAGE[] =
    "export --db PATH --format csv|json|stix|misp [--what incidents|obligations] [--org ORG | --authority CODE [--subtree]] "
    "[--from T] [--to T] [--status S] [--grade G] [--category C] [--drill any|real|only] [--incident ID|REF] [-o FILE]";
static const char EXPORT_ZH[] =
    "导出事件：CSV（UTF-8 带 BOM，Excel 可直接打开中文；每起事件一行，或 --what obligations 每项报告义务一行；以 = + - @ 开头的单元格前加 "
    "' 防止公式注入）、"
    "JSON、STIX 2.1 数据包（incident 对象带 OASIS 事件核心扩展：影响、记录数、经济损失；报告单位的 identity；报告中的失陷指标 indicator；"
    "同一数据库再次导出得到相同的 id），或 MISP 事件（每起事件一个 Event，带 rsit 分类标签）。按页读取、边读边写，内存不随导出规模增长；"
    "大批量导出时在标准错误输出进度。--org 只导出该运营者的事件；--authority 只导出报送到该机构的事件（--subtree "
    "含其下级机构，与该机构用户在 API 中可见的范围相同）；"
    "两者都不给则导出全部（数据库文件的管理员）。正式文书 PDF 见 cirs export pdf。";
static const char EXPORT_EN[] =
    "Export incidents: CSV (UTF-8 with a BOM so that Excel reads Chinese; one row per incident, or per obligation with --what obligations; "
    "cells starting with = + - @ get a leading ' against formula injection), JSON, a STIX 2.1 bundle (incident objects with the OASIS "
    "incident "
    "core extension: impacts, record counts, monetary impact; identities of the reporting organisations; indicators found in the report; "
    "re-exporting the same database gives the same ids), or MISP events (one Event per incident, with rsit taxonomy tags). Incidents are "
    "read "
    "page by page and written as they come, so memory does not grow with the export; large exports show progress on standard error. --org "
    "exports that operator's incidents only; --authority the incidents routed to that authority (--subtree: and to the authorities below "
    "it, "
    "what its users see through the API); neither exports everything (the database file's administrator). Official PDF forms: cirs export pdf.";
static const char EXPORT_OPTS_ZH[] = "  --db PATH             数据库（或环境变量 CIRS_DB）\n"
                                     "  --format F            csv、json、stix 或 misp\n"
                                     "  --what W              incidents（默认）或 obligations（仅 csv、json）\n"
                                     "  --org ORG             只导出该运营者的事件\n"
                                     "  --authority CODE      只导出报送到该机构的事件\n"
                                     "  --subtree             与 --authority 同用：含其下级机构\n"
                                     "  --from T / --to T     发现时间范围（RFC 3339，或 YYYY-MM-DD 北京时间零点）\n"
                                     "  --status S            open、handling_ended 或 closed\n"
                                     "  --grade G             特别重大、重大、较大 或 一般\n"
                                     "  --category C          GB/T 20986-2023 类别代码（前缀匹配）\n"
                                     "  --drill D             any（默认）、real（不含演练）或 only（仅演练）\n"
                                     "  --incident ID|REF     只导出这一起事件（MISP：输出单个 Event）\n"
                                     "  -o, --output FILE     写入文件（默认标准输出）\n";
static const char EXPORT_OPTS_EN[] = "  --db PATH             database (or CIRS_DB)\n"
                                     "  --format F            csv, json, stix or misp\n"
                                     "  --what W              incidents (default) or obligations (csv, json only)\n"
                                     "  --org ORG             only this operator's incidents\n"
                                     "  --authority CODE      only the incidents routed to this authority\n"
                                     "  --subtree             with --authority: and to the authorities below it\n"
                                     "  --from T / --to T     awareness time range (RFC 3339, or YYYY-MM-DD = midnight Beijing time)\n"
                                     "  --status S            open, handling_ended or closed\n"
                                     "  --grade G             特别重大, 重大, 较大 or 一般\n"
                                     "  --category C          GB/T 20986-2023 category code (prefix)\n"
                                     "  --drill D             any (default), real (no drills) or only (drills only)\n"
                                     "  --incident ID|REF     this one incident only (MISP: a single Event)\n"
                                     "  -o, --output FILE     write to FILE (default standard output)\n";

enum {
  X_DB = 1000,
  X_FORMAT,
  X_WHAT,
  X_ORG,
  X_AUTHORITY,
  X_SUBTREE,
  X_FROM,
  X_TO,
  X_STATUS,
  X_GRADE,
  X_CATEGORY,
  X_DRILL,
  X_INCIDENT,
  X_RULES,
  X_DRY,
  X_JSON
};

static int usage_error(const char *code, const char *field, const char *msg) {
  cirs_err e = {0};
  err_set_msg(&e, code, field, msg);
  return cli_fail(&e);
}

/* Checks that an option value is non-empty and within `max` bytes. */
static int bounded(const char *v, const char *field, size_t max) {
  if (!v) return 0;
  char m[120];
  if (!*v) return usage_error("bad_value", field, L("取值不能为空", "the value must not be empty"));
  if (strlen(v) > max) {
    snprintf(m, sizeof m, L("--%s 最多 %zu 字节", "--%s takes at most %zu bytes"), field, max);
    return usage_error("too_large", field, m);
  }
  return 0;
}

static int one_of(const char *v, const char *field, const char *const *allowed, const char *zh, const char *en) {
  if (!v) return 0;
  for (const char *const *a = allowed; *a; a++)
    if (!strcmp(v, *a)) return 0;
  return usage_error("bad_value", field, L(zh, en));
}

typedef struct file_sink {
  FILE *f;
  const char *path;
} file_sink;

static int file_write(void *ctx, const char *p, size_t n, cirs_err *e) {
  file_sink *s = ctx;
  if (fwrite(p, 1, n, s->f) == n) return 0;
  char m[300];
  snprintf(m, sizeof m, "%.250s: write failed", s->path);
  return err_set(e, "io_error", "output", m);
}

static void progress(void *ctx, int64_t n) {
  (void)ctx;
  fprintf(stderr, L("cirs: 已导出 %lld 起事件…\n", "cirs: %lld incidents exported...\n"), (long long)n);
}

int cmd_export(int argc, char **argv) {
  static const struct option lo[] = {{"db", 1, NULL, X_DB},
                                     {"format", 1, NULL, X_FORMAT},
                                     {"what", 1, NULL, X_WHAT},
                                     {"org", 1, NULL, X_ORG},
                                     {"authority", 1, NULL, X_AUTHORITY},
                                     {"subtree", 0, NULL, X_SUBTREE},
                                     {"from", 1, NULL, X_FROM},
                                     {"to", 1, NULL, X_TO},
                                     {"status", 1, NULL, X_STATUS},
                                     {"grade", 1, NULL, X_GRADE},
                                     {"category", 1, NULL, X_CATEGORY},
                                     {"drill", 1, NULL, X_DRILL},
                                     {"incident", 1, NULL, X_INCIDENT},
                                     {"output", 1, NULL, 'o'},
                                     {"help", 0, NULL, 'h'},
                                     {NULL, 0, NULL, 0}};
  const char *db = getenv("CIRS_DB"), *format = NULL, *what = NULL, *org = NULL, *auth = NULL, *from = NULL, *to = NULL, *status = NULL,
             *grade = NULL, *category = NULL, *drill = NULL, *incident = NULL, *output = NULL;
  int subtree = 0, c;
  char m[300];
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "ho:", lo, NULL)) != -1) {
    switch (c) {
    case 'h':
      cli_help(EXPORT_USAGE, EXPORT_ZH, EXPORT_EN, EXPORT_OPTS_ZH, EXPORT_OPTS_EN);
      return EXIT_OK;
    case X_DB:
      db = optarg;
      break;
    case X_FORMAT:
      format = optarg;
      break;
    case X_WHAT:
      what = optarg;
      break;
    case X_ORG:
      org = optarg;
      break;
    case X_AUTHORITY:
      auth = optarg;
      break;
    case X_SUBTREE:
      subtree = 1;
      break;
    case X_FROM:
      from = optarg;
      break;
    case X_TO:
      to = optarg;
      break;
    case X_STATUS:
      status = optarg;
      break;
    case X_GRADE:
      grade = optarg;
      break;
    case X_CATEGORY:
      category = optarg;
      break;
    case X_DRILL:
      drill = optarg;
      break;
    case X_INCIDENT:
      incident = optarg;
      break;
    case 'o':
      output = optarg;
      break;
    default:
      snprintf(m, sizeof m,
               L("未知选项或缺少取值：%.80s；运行 cirs export --help", "unknown option or missing value: %.80s; see cirs export --help"),
               argv[optind - 1]);
      return usage_error("usage", "", m);
    }
  }
  if (optind < argc) {
    snprintf(m, sizeof m, L("多余的参数 \"%.80s\"", "unexpected argument \"%.80s\""), argv[optind]);
    return usage_error("usage", "", m);
  }
  int rc;
  if ((rc = bounded(db, "db", EXP_PATH_MAX)) || (rc = bounded(output, "output", EXP_PATH_MAX)) ||
      (rc = bounded(org, "org", EXP_CODE_MAX)) || (rc = bounded(auth, "authority", EXP_CODE_MAX)) ||
      (rc = bounded(from, "from", EXP_VALUE_MAX)) || (rc = bounded(to, "to", EXP_VALUE_MAX)) ||
      (rc = bounded(status, "status", EXP_VALUE_MAX)) || (rc = bounded(grade, "grade", EXP_VALUE_MAX)) ||
      (rc = bounded(category, "category", 16)) || (rc = bounded(drill, "drill", EXP_VALUE_MAX)) ||
      (rc = bounded(incident, "incident", EXP_VALUE_MAX)) || (rc = bounded(format, "format", EXP_VALUE_MAX)) ||
      (rc = bounded(what, "what", EXP_VALUE_MAX)))
    return rc;
  if (!db) return usage_error("missing_field", "db", L("需要 --db PATH（或环境变量 CIRS_DB）", "--db PATH (or CIRS_DB) is required"));
  if (!format)
    return usage_error("missing_field", "format", L("需要 --format csv|json|stix|misp", "--format csv|json|stix|misp is required"));
  if (org && auth) return usage_error("usage", "authority", L("--org 与 --authority 只能选一", "--org and --authority exclude each other"));
  if (subtree && !auth)
    return usage_error("usage", "subtree", L("--subtree 只能与 --authority 同用", "--subtree goes with --authority only"));
  static const char *const statuses[] = {"open", "handling_ended", "closed", NULL},
                           *const grades[] = {"特别重大", "重大", "较大", "一般", NULL}, *const drills[] = {"any", "real", "only", NULL};
  if ((rc = one_of(status, "status", statuses, "--status 应为 open、handling_ended 或 closed",
                   "--status must be open, handling_ended or closed")) ||
      (rc = one_of(grade, "grade", grades, "--grade 应为 特别重大、重大、较大 或 一般", "--grade must be 特别重大, 重大, 较大 or 一般")) ||
      (rc = one_of(drill, "drill", drills, "--drill 应为 any、real 或 only", "--drill must be any, real or only")))
    return rc;
  cirs_err e = {0};
  export_q q = {.now_ms = time_now_ms(), .incident = incident, .progress = progress};
  if (export_parse_format(format, &q.format, &e) || export_parse_what(what, &q.what, &e)) return cli_fail(&e);
  q.filter.status = status;
  q.filter.grade = grade;
  q.filter.category = category;
  q.filter.drill = !drill || !strcmp(drill, "any") ? 0 : !strcmp(drill, "real") ? 1 : 2;
  q.filter.now_ms = q.now_ms;
  q.filter.from_ms = q.filter.to_ms = 0;
  if (from && time_parse_date_or_time(from, EXP_OFFSET, &q.filter.from_ms)) return err_set(&e, "bad_time", "from", from), cli_fail(&e);
  if (to && time_parse_date_or_time(to, EXP_OFFSET, &q.filter.to_ms)) return err_set(&e, "bad_time", "to", to), cli_fail(&e);
  if (from && to && q.filter.to_ms <= q.filter.from_ms)
    return usage_error("bad_value", "to", L("--to 应晚于 --from", "--to must be later than --from"));

  store *st = NULL;
  if (store_open(db, 0, &st, &e)) return cli_fail(&e);
  if (org) {
    json_t *o = NULL;
    if (store_org_get(st, org, &o, &e)) {
      store_close(st);
      if (!strcmp(e.code, "not_found")) snprintf(e.field, sizeof e.field, "org");
      return cli_fail(&e);
    }
    q.filter.scope.organisation_id = json_integer_value(json_object_get(o, "id"));
    json_decref(o);
  } else if (auth) {
    int64_t id = store_id_of(st, "authority", auth);
    if (!id) {
      store_close(st);
      snprintf(m, sizeof m, L("没有代码为 %.80s 的机构", "no authority with code %.80s"), auth);
      return usage_error("not_found", "authority", m);
    }
    q.filter.scope.authority_id = id;
    if (!subtree) q.direct_authority = id;
  } else {
    q.filter.scope.all = 1;
  }

  /* A file is written beside its final name and renamed at the end: a failed export leaves no half file. */
  char tmp[EXP_PATH_MAX + 32];
  file_sink fs = {stdout, "stdout"};
  if (output) {
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", output, (long)getpid());
    if (!(fs.f = fopen(tmp, "wb"))) {
      store_close(st);
      snprintf(m, sizeof m, "%.250s: cannot create", output);
      err_set(&e, "io_error", "output", m);
      return cli_fail(&e);
    }
    fs.path = output;
  }
  export_sink sink = {file_write, &fs};
  int64_t count = 0;
  rc = export_run(st, &q, &sink, &count, &e);
  if (!rc && fflush(fs.f)) rc = err_set(&e, "io_error", "output", fs.path);
  if (output) {
    if (fclose(fs.f) && !rc) rc = err_set(&e, "io_error", "output", fs.path);
    if (!rc && rename(tmp, output)) rc = err_set(&e, "io_error", "output", output);
    if (rc) unlink(tmp);
  }
  store_close(st);
  if (rc) return cli_fail(&e);
  if (output)
    fprintf(stderr,
            q.what == EXPORT_OBLIGATIONS ? L("cirs: 已导出 %lld 项报告义务 → %s\n", "cirs: %lld obligations exported → %s\n")
                                         : L("cirs: 已导出 %lld 起事件 → %s\n", "cirs: %lld incidents exported → %s\n"),
            (long long)count, output);
  return EXIT_OK;
}

/* --- import ------------------------------------------------------------------------------------------------------- */

static const char IMPORT_USAGE[] =
    "import --db PATH --org ORG [--format jsonl|csv] [--rules DIR] [--dry-run] [--json] FILE.jsonl|FILE.csv|-";
static const char IMPORT_ZH[] =
    "批量导入事件初报：JSON Lines（每行一份报告文件，与 POST /api/v1/incidents 的请求体相同）或 "
    "CSV（表头为报告文件的字段：title、aware_at、"
    "category、affected_system、impact、facts.cii_outage_min、facts.ransom.amount 等，也接受中文列名）。每一行都按 API 的规则校验并定级；"
    "任何一行出错则一条也不保存（一个事务），逐行列出错误（行号、字段、代码、说明），退出码 2。--dry-run 只校验、不保存。"
    "上限：文件 64 MiB，10000 行，每行 1 MiB，CSV 单元格 20000 字节。";
static const char IMPORT_EN[] = "Import initial reports in bulk: JSON lines (one report document per line, the body of POST "
                                "/api/v1/incidents) or CSV (a header row naming "
                                "the document's fields: title, aware_at, category, affected_system, impact, facts.cii_outage_min, "
                                "facts.ransom.amount, ...; Chinese labels "
                                "work too). Every row is checked and graded exactly as the API does; if any row fails, nothing is stored "
                                "(one transaction), every failed row "
                                "is listed (row, field, code, message) and the exit code is 2. --dry-run checks without storing. Limits: "
                                "64 MiB per file, 10000 rows, 1 MiB "
                                "per row, 20000 bytes per CSV cell.";
static const char IMPORT_OPTS_ZH[] = "  --db PATH             数据库（或环境变量 CIRS_DB）\n"
                                     "  --org ORG             报告单位（运营者代码），适用于每一行\n"
                                     "  --format F            jsonl 或 csv（默认按文件名 .csv / .jsonl 或首字符判断）\n"
                                     "  --rules DIR           规则包目录\n"
                                     "  --dry-run             只校验和定级，不保存\n"
                                     "  --json                以 JSON 输出结果和错误清单（标准输出）\n";
static const char IMPORT_OPTS_EN[] =
    "  --db PATH             database (or CIRS_DB)\n"
    "  --org ORG             the reporting organisation (operator code) of every row\n"
    "  --format F            jsonl or csv (default: by the name, .csv / .jsonl, else by the first character)\n"
    "  --rules DIR           rule-pack folder\n"
    "  --dry-run             check and grade only, store nothing\n"
    "  --json                the result and the error list as JSON (standard output)\n";

int cmd_import(int argc, char **argv) {
  static const struct option lo[] = {{"db", 1, NULL, X_DB},       {"org", 1, NULL, X_ORG},     {"format", 1, NULL, X_FORMAT},
                                     {"rules", 1, NULL, X_RULES}, {"dry-run", 0, NULL, X_DRY}, {"json", 0, NULL, X_JSON},
                                     {"help", 0, NULL, 'h'},      {NULL, 0, NULL, 0}};
  const char *db = getenv("CIRS_DB"), *org = NULL, *format = NULL, *rules = NULL;
  int dry = 0, json = 0, c;
  char m[300];
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
    switch (c) {
    case 'h':
      cli_help(IMPORT_USAGE, IMPORT_ZH, IMPORT_EN, IMPORT_OPTS_ZH, IMPORT_OPTS_EN);
      return EXIT_OK;
    case X_DB:
      db = optarg;
      break;
    case X_ORG:
      org = optarg;
      break;
    case X_FORMAT:
      format = optarg;
      break;
    case X_RULES:
      rules = optarg;
      break;
    case X_DRY:
      dry = 1;
      break;
    case X_JSON:
      json = 1;
      break;
    default:
      snprintf(m, sizeof m,
               L("未知选项或缺少取值：%.80s；运行 cirs import --help", "unknown option or missing value: %.80s; see cirs import --help"),
               argv[optind - 1]);
      return usage_error("usage", "", m);
    }
  }
  int rc;
  if ((rc = bounded(db, "db", EXP_PATH_MAX)) || (rc = bounded(org, "org", EXP_CODE_MAX)) || (rc = bounded(format, "format", EXP_VALUE_MAX)))
    return rc;
  if (!db) return usage_error("missing_field", "db", L("需要 --db PATH（或环境变量 CIRS_DB）", "--db PATH (or CIRS_DB) is required"));
  if (!org)
    return usage_error("missing_field", "org", L("需要 --org ORG（报告单位）", "--org ORG (the reporting organisation) is required"));
  if (optind != argc - 1)
    return usage_error("usage", "file",
                       L("需要且只需要一个导入文件（或 - 表示标准输入）", "exactly one file to import (or - for standard input)"));
  export_import_q q = {org, NULL, EXPORT_IMPORT_AUTO, argv[optind], dry};
  if (format && !strcmp(format, "jsonl"))
    q.kind = EXPORT_IMPORT_JSONL;
  else if (format && !strcmp(format, "csv"))
    q.kind = EXPORT_IMPORT_CSV;
  else if (format)
    return usage_error("bad_value", "format", L("--format 应为 jsonl 或 csv", "--format must be jsonl or csv"));
  if (strlen(argv[optind]) > EXP_PATH_MAX) return usage_error("too_large", "file", "4096");
  char who[80];
  q.actor = cli_actor(who, sizeof who);
  cirs_err e = {0};
  size_t len;
  char *text = cli_read_file(argv[optind], EXPORT_IMPORT_FILE_MAX, &len, &e);
  if (!text) return cli_fail(&e);
  rules_set *rs = rules_load(cli_rules_dir(rules), &e);
  store *st = NULL;
  json_t *rep = NULL;
  int r = -1;
  if (rs && !store_open(db, 0, &st, &e)) r = export_import(st, rs, &q, text, len, &rep, &e);
  free(text);
  store_close(st);
  rules_free(rs);
  if (r < 0) return cli_fail(&e);
  if (json) cli_print_json(rep);
  size_t i;
  json_t *x;
  if (r > 0) {
    if (!json) {
      json_array_foreach(json_object_get(rep, "errors"), i, x) {
        const char *field = json_string_value(json_object_get(x, "field"));
        fprintf(stderr, L("cirs: 第 %lld 行（文件第 %lld 行）%s%s[%s] %s\n", "cirs: row %lld (line %lld) %s%s[%s] %s\n"),
                (long long)json_integer_value(json_object_get(x, "row")), (long long)json_integer_value(json_object_get(x, "line")), field,
                *field ? L("：", ": ") : "", json_string_value(json_object_get(x, "code")),
                json_string_value(json_object_get(x, "message")));
      }
    }
    long long total = (long long)json_integer_value(json_object_get(rep, "errors_total"));
    fprintf(stderr, L("cirs: %lld 处错误（%lld 行中），没有导入任何事件\n", "cirs: %lld errors (in %lld rows); nothing was imported\n"),
            total, (long long)json_integer_value(json_object_get(rep, "rows")));
    json_decref(rep);
    return EXIT_INPUT;
  }
  if (!json) {
    if (dry)
      printf(L("校验通过：%lld 份报告可以导入（--dry-run，未保存）\n",
               "check passed: %lld reports can be imported (--dry-run, nothing stored)\n"),
             (long long)json_integer_value(json_object_get(rep, "rows")));
    else {
      printf(L("已导入 %lld 起事件\n", "imported %lld incidents\n"), (long long)json_integer_value(json_object_get(rep, "imported")));
      json_array_foreach(json_object_get(rep, "incidents"), i, x)
          printf("  %s %lld: %s %s\n", L("行", "row"), (long long)json_integer_value(json_object_get(x, "row")),
                 json_string_value(json_object_get(x, "ref")), json_string_value(json_object_get(x, "grade")));
    }
  }
  json_decref(rep);
  return EXIT_OK;
}
