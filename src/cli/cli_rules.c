/* cli_rules.c — `cirs assess`, `cirs rules check`, `cirs rules list`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/timeutil.h"
#include "../rules/rules.h"
#include "cli.h"

int cmd_assess(int argc, char **argv) {
  static const struct option opts[] = {{"rules", 1, 0, 'r'}, {"at", 1, 0, 'a'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  const char *rules = NULL, *at = NULL;
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'r') rules = optarg;
    else if (c == 'a') at = optarg;
    else if (c == 'h') {
      cli_help("assess [--rules DIR] [--at TIME] [FILE|-]", "评估一起事件：读入事件描述 JSON（文件或标准输入），输出级别、理由和全部报告义务。不读写数据库。",
               "Assess one incident: reads an incident description as JSON (FILE or standard input) and prints the grade, the reasons and every reporting obligation. Touches no database.",
               "  --rules DIR       规则包目录（默认：内置规则包，或 $CIRS_RULES）\n  --at TIME         按该时间生效的规则包评估（默认：aware_at）\n",
               "  --rules DIR       rule-pack folder (default: the built-in packs, or $CIRS_RULES)\n  --at TIME         evaluate with the packs in force at TIME (default: aware_at)\n");
      return 0;
    } else {
      cirs_err e;
      err_set(&e, "usage", "", L("运行 cirs assess --help 查看用法", "see cirs assess --help"));
      cli_print_error_json(&e);
      return EXIT_INPUT;
    }
  }
  cirs_err e = {0};
  rules_opts ro = {RULES_NO_TIME};
  if (at && time_parse_rfc3339(at, &ro.at_ms, NULL)) {
    err_set(&e, "bad_time", "at", at);
    cli_print_error_json(&e);
    return EXIT_INPUT;
  }
  rules_set *rs = rules_load(cli_rules_dir(rules), &e);
  if (!rs) {
    cli_print_error_json(&e);
    return EXIT_FAIL;
  }
  size_t len;
  char *text = cli_read_file(optind < argc ? argv[optind] : NULL, RULES_INPUT_MAX_BYTES, &len, &e);
  int rc = EXIT_OK;
  json_t *out = NULL;
  if (!text) rc = !strcmp(e.code, "io_error") ? EXIT_FAIL : EXIT_INPUT;
  else if (rules_assess_text(rs, text, len, &ro, &out, &e)) rc = EXIT_INPUT;
  if (rc) cli_print_error_json(&e);
  else cli_print_json(out);
  json_decref(out);
  free(text);
  rules_free(rs);
  return rc;
}

int cmd_rules_check(int argc, char **argv) {
  static const struct option opts[] = {{"json", 0, 0, 'j'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  int c, as_json = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'j') as_json = 1;
    else if (c == 'h') {
      cli_help("rules check [--json] [DIR]", "校验规则包目录（默认：内置规则包）：逐项列出问题（文件、路径、原因）。有问题时退出码为 2。",
               "Validate a rule-pack folder (default: the built-in packs); lists every problem (file, path, reason). Exit 2 when any.",
               "  --json            以 JSON 输出问题列表\n", "  --json            print the problems as JSON\n");
      return 0;
    } else return EXIT_INPUT;
  }
  const char *dir = optind < argc ? argv[optind] : NULL;
  json_t *problems = NULL;
  cirs_err e = {0};
  rules_set *rs = dir ? rules_load_dir(dir, &problems, &e) : rules_load_embedded(&problems, &e);
  if (!problems) return cli_fail(&e); /* folder unreadable */
  size_t n = json_array_size(problems);
  if (as_json) {
    json_t *o = json_pack("{s:b, s:O}", "ok", n == 0, "problems", problems);
    cli_print_json(o);
    json_decref(o);
  } else {
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
      fprintf(stderr, "%s: %s: %s\n", json_string_value(json_object_get(p, "file")), json_string_value(json_object_get(p, "path")),
              json_string_value(json_object_get(p, "reason")));
    if (n == 0) {
      printf(L("规则包有效：%d 个规则包和 1 个分类标准（%s）\n", "rule packs valid: %d packs and 1 taxonomy (%s)\n"), rules_pack_count(rs),
             dir ? dir : L("内置", "built-in"));
    } else
      fprintf(stderr, L("共 %zu 个问题\n", "%zu problem(s)\n"), n);
  }
  json_decref(problems);
  rules_free(rs);
  return n ? EXIT_INPUT : EXIT_OK;
}

int cmd_rules_list(int argc, char **argv) {
  static const struct option opts[] = {{"rules", 1, 0, 'r'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  const char *rules = NULL;
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'r') rules = optarg;
    else if (c == 'h') {
      cli_help("rules list [--rules DIR]", "列出已加载的规则包（制度、版本、生效期、可信度）。", "List the loaded rule packs (regime, version, effective period, confidence).",
               "  --rules DIR       规则包目录\n", "  --rules DIR       rule-pack folder\n");
      return 0;
    } else return EXIT_INPUT;
  }
  cirs_err e = {0};
  rules_set *rs = rules_load(cli_rules_dir(rules), &e);
  if (!rs) return cli_fail(&e);
  for (int i = 0; i < rules_pack_count(rs); i++) {
    json_t *s = rules_pack_summary(rs, i);
    printf("%-10s %-6s %-8s %s .. %s  %s%s  %s\n", json_string_value(json_object_get(s, "id")), json_string_value(json_object_get(s, "regime")),
           json_string_value(json_object_get(s, "version")), json_string_value(json_object_get(s, "effective_from")),
           json_is_string(json_object_get(s, "effective_to")) ? json_string_value(json_object_get(s, "effective_to")) : L("长期", "open"),
           json_string_value(json_object_get(s, "confidence")), json_is_true(json_object_get(s, "grading")) ? L(" 定级", " grading") : "",
           json_string_value(json_object_get(s, "title")));
    json_decref(s);
  }
  rules_free(rs);
  return 0;
}
