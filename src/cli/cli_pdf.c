/* cli_pdf.c — `cirs export pdf`: the official incident report form or the final report of one incident as PDF,
 * from the database file (every incident: the CLI has the file). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/timeutil.h"
#include "../pdf/pdf.h"
#include "../store/store.h"
#include "cli.h"

#define USAGE "export pdf --db PATH [--form report|final] [-o FILE|-] ID|REF"

static void help(void) {
  cli_help(USAGE,
           "把一起事件导出为 PDF：report 为网络安全事件报告表（按最新报告版本填写），final 为总结报告（事件概况、总结报告内容、事件经过、报告义务履行情况）。"
           "A4，内嵌 Noto CJK 字体子集，长文本自动续页。",
           "Export one incident as PDF: report is the official incident report form (filled from the latest report version), final the final "
           "report (summary, final report content, timeline, obligations). A4 with embedded Noto CJK font subsets; long texts continue on further pages.",
           "  --db PATH              数据库文件（或环境变量 CIRS_DB）\n"
           "  --form report|final    文书：报告表（默认）或总结报告\n"
           "  -o, --output FILE      输出文件（默认 <编号>-report.pdf / <编号>-final.pdf；- 为标准输出）\n",
           "  --db PATH              database file (or CIRS_DB)\n"
           "  --form report|final    the document: report form (default) or final report\n"
           "  -o, --output FILE      output file (default <ref>-report.pdf / <ref>-final.pdf; - for standard output)\n");
}

static int write_all(const char *path, const pdf_doc *d) {
  int to_stdout = !strcmp(path, "-");
  FILE *f = to_stdout ? stdout : fopen(path, "wb");
  if (!f) {
    fprintf(stderr, L("cirs: 无法写入 %s：%s\n", "cirs: cannot write %s: %s\n"), path, strerror(errno));
    return EXIT_FAIL;
  }
  size_t w = fwrite(d->data, 1, d->len, f);
  int bad = w != d->len || fflush(f) != 0;
  if (!to_stdout && fclose(f)) bad = 1;
  if (bad) {
    fprintf(stderr, L("cirs: 写入 %s 失败：%s\n", "cirs: writing %s failed: %s\n"), path, strerror(errno));
    if (!to_stdout) unlink(path);
    return EXIT_FAIL;
  }
  return EXIT_OK;
}

int cmd_export_pdf(int argc, char **argv) {
  static const struct option lo[] = {{"db", 1, 0, 'd'}, {"form", 1, 0, 'f'}, {"output", 1, 0, 'o'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  const char *db = getenv("CIRS_DB"), *out_path = NULL;
  int form = PDF_FORM_REPORT, c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "ho:", lo, NULL)) != -1) {
    switch (c) {
    case 'h': help(); return EXIT_OK;
    case 'd': db = optarg; break;
    case 'o': out_path = optarg; break;
    case 'f':
      form = pdf_form_parse(optarg);
      if (form < 0) {
        fputs(L("cirs: --form 应为 report 或 final\n", "cirs: --form must be report or final\n"), stderr);
        return EXIT_INPUT;
      }
      break;
    default:
      fprintf(stderr, L("cirs: 用法错误，运行 cirs %s --help\n", "cirs: usage error; see cirs %s --help\n"), "export pdf");
      return EXIT_INPUT;
    }
  }
  if (!db || !*db) {
    fputs(L("cirs: 需要 --db PATH（或环境变量 CIRS_DB）\n", "cirs: --db PATH (or CIRS_DB) is required\n"), stderr);
    return EXIT_INPUT;
  }
  if (optind != argc - 1) {
    fputs(L("cirs: 需要且只需要一个事件 id 或编号\n", "cirs: exactly one incident id or number is required\n"), stderr);
    return EXIT_INPUT;
  }
  if (out_path && !*out_path) {
    fputs(L("cirs: -o 需要文件名\n", "cirs: -o needs a file name\n"), stderr);
    return EXIT_INPUT;
  }
  store *st = NULL;
  json_t *inc = NULL, *events = NULL;
  pdf_doc doc = {0};
  cirs_err e = {0};
  int rc = EXIT_OK;
  store_scope all = {.all = 1};
  if (store_open(db, 0, &st, &e) || store_incident_get(st, argv[optind], &all, &inc, &e) ||
      (form == PDF_FORM_FINAL && store_incident_events(st, json_integer_value(json_object_get(inc, "id")), &events, &e))) {
    rc = cli_fail(&e);
    goto out;
  }
  char actor[100], name[120];
  pdf_meta m = {time_now_ms(), cli_actor(actor, sizeof actor)};
  if (pdf_render((pdf_form)form, inc, events, &m, &doc, &e)) {
    rc = cli_fail(&e);
    goto out;
  }
  if (!out_path) {
    pdf_file_name(inc, (pdf_form)form, name, sizeof name);
    out_path = name;
  }
  rc = write_all(out_path, &doc);
  if (!rc && strcmp(out_path, "-"))
    printf(L("已写入 %s（%d 页，%zu 字节）\n", "wrote %s (%d pages, %zu bytes)\n"), out_path, doc.pages, doc.len);
out:
  pdf_doc_free(&doc);
  json_decref(events);
  json_decref(inc);
  if (st) store_close(st);
  return rc;
}
