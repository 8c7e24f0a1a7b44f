/* main.c — `cirs`: picks the language, finds the command in the table, runs it. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#define CIRS_VERSION "0.1.0"

const cli_cmd cli_commands[] = {
    {"assess", NULL, cmd_assess, "assess [--rules DIR] [--at TIME] [FILE|-]", "评估事件级别与报告义务（不读写数据库）", "grade an incident and list its obligations (no database)"},
    {"rules", "check", cmd_rules_check, "rules check [DIR]", "校验规则包", "validate rule packs"},
    {"rules", "list", cmd_rules_list, "rules list [--rules DIR]", "列出规则包", "list rule packs"},
    {"init", NULL, cmd_init, "init --db PATH|URL [--demo]", "创建数据库（--demo 加入演示数据）", "create a database (--demo adds demo data)"},
    {"migrate", NULL, cmd_migrate, "migrate --db PATH|URL", "把数据库升级到最新表结构（SQLite 或 PostgreSQL）", "upgrade the database to the newest schema (SQLite or PostgreSQL)"},
    {"report", "submit", cmd_report_submit, "report submit --db PATH --org ORG FILE.json", "提交事件初报：校验、定级、存储并计算报告义务", "file an initial report: validate, grade, store, compute obligations"},
    {"incident", "list", cmd_incident_list, "incident list --db PATH [--org ORG] [--limit N] [--after ID]", "列出事件", "list incidents"},
    {"incident", "show", cmd_incident_show, "incident show --db PATH ID", "显示事件、报告版本与义务", "show an incident, its report versions and obligations"},
    {"obligation", "list", cmd_obligation_list, "obligation list --db PATH [--overdue]", "列出报告义务及时限", "list obligations and deadlines"},
    {"compliance", NULL, cmd_compliance, "compliance --db PATH (--org ORG | --authority CODE [--subtree]) [--from T] [--to T]", "合规台账：按时率、迟报、超时、数值上调", "compliance ledger: on-time rate, late, overdue, raised facts"},
    {"audit", "verify", cmd_audit_verify, "audit verify --db PATH", "校验审计哈希链", "verify the hash-chained audit log"},
    {"purge", NULL, cmd_purge, "purge --db PATH --before DATE", "删除早于 DATE 的记录（不得晚于 180 天前）", "delete records older than DATE (at least 180 days old)"},
    {"serve", NULL, cmd_serve, "serve [--config FILE] [--db PATH] [--listen H:P] [...]", "启动 HTTP 服务（JSON API）", "run the HTTP service (JSON API)"},
    {"token", "create", cmd_token_create, "token create --db PATH --user USER [--name NAME]", "创建 API 令牌", "create an API token"},
    {"token", "revoke", cmd_token_revoke, "token revoke --db PATH --id N", "吊销 API 令牌", "revoke an API token"},
    {"token", "list", cmd_token_list, "token list --db PATH [--user USER] [--json]", "列出 API 令牌（不显示令牌本身）", "list API tokens (never the tokens)"},
    {"org", "add", cmd_org_add, "org add --db PATH --code C --name N --kind K --province P", "登记运营者（报告单位）", "register an organisation (operator)"},
    {"authority", "add", cmd_authority_add, "authority add --db PATH --code C --type T --name N [...]", "登记监管或应急机构", "register an authority"},
    {"user", "add", cmd_user_add, "user add --db PATH --username U --role R --password-stdin", "创建用户（密码从标准输入读取）", "create a user (password from stdin)"},
    /* Named before any {"export", NULL, ...} row: a group row without a name takes every subcommand. */
    {"export", "pdf", cmd_export_pdf, "export pdf --db PATH [--form report|final] [-o FILE] ID", "导出事件报告表或总结报告 PDF", "export the incident report form or final report as PDF"},
    {"export", NULL, cmd_export, "export --db PATH --format csv|json|stix|misp [--what W] [--org ORG | --authority C [--subtree]] [...] [-o FILE]",
     "导出事件：CSV、JSON、STIX 2.1、MISP（按调用方范围）", "export incidents: CSV, JSON, STIX 2.1, MISP (within the caller's scope)"},
    {"import", NULL, cmd_import, "import --db PATH --org ORG [--dry-run] [--json] FILE.jsonl|FILE.csv", "批量导入事件初报（逐行校验，全部成功才保存）",
     "import initial reports in bulk (every row checked; all or nothing)"},
    {"mail", "ingest", cmd_mail_ingest, "mail ingest --db PATH [--maildir DIR] [--rules DIR] [--json]", "收取邮件（标准输入或 Maildir）：报告、举报线索、草稿或隔离",
     "take in e-mail (stdin or a Maildir): reports, tips, drafts or quarantine"},
    {"mail", "list", cmd_mail_list, "mail list --db PATH [--quarantined | --drafts [--open]] [--json]", "列出收到的邮件、隔离的邮件或待分诊草稿",
     "list mails taken in, the quarantine or the drafts"},
    {"mail", "show", cmd_mail_show, "mail show --db PATH [--raw | --json] ID|REF", "显示一封收到的邮件（--raw：隔离邮件的原始字节）", "show one mail (--raw: a quarantined mail's bytes)"},
    {"mail", "triage", cmd_mail_triage, "mail triage --db PATH --draft ID [--note TEXT]", "标记草稿已分诊", "mark a draft triaged"},
    {"mail", "sender-add", cmd_mail_sender_add, "mail sender-add --db PATH --org ORG ADDRESS|@DOMAIN", "登记运营者的发件地址或域名",
     "register an organisation's sender address or domain"},
    {"mail", "senders", cmd_mail_senders, "mail senders --db PATH [--json]", "列出登记的发件地址", "list registered sender addresses"},
    {"warning", "list", cmd_warning_list, "warning list --db PATH [--status S] [--json]", "列出预警", "list warnings"},
    {"warning", "show", cmd_warning_show, "warning show --db PATH REF", "显示预警及确认情况", "show a warning and who acknowledged it"},
    {"warning", "issue", cmd_warning_issue, "warning issue --db PATH --user USER FILE.json", "以某用户身份发布预警", "issue a warning as a user"},
    {"warning", "lift", cmd_warning_lift, "warning lift --db PATH --user USER --reason TEXT REF", "解除预警", "lift a warning"},
    {"response", "list", cmd_response_list, "response list --db PATH [--status S] [--json]", "列出应急响应", "list emergency responses"},
    {"response", "show", cmd_response_show, "response show --db PATH REF", "显示应急响应（含联络表）", "show a response (with duty contacts)"},
    {"response", "start", cmd_response_start, "response start --db PATH --user USER FILE.json", "以某用户身份启动应急响应", "start a response as a user"},
    {"response", "end", cmd_response_end, "response end --db PATH --user USER [--summary T] [--approve] REF", "结束（或批准结束）应急响应",
     "end (or approve ending) a response"},
    {"contacts", "import", cmd_contacts_import, "contacts import --db PATH --authority CODE FILE.csv", "导入应急联络表（CSV）", "import a duty contact list (CSV)"},
    {"contacts", "export", cmd_contacts_export, "contacts export --db PATH --authority CODE [-o FILE] [--json]", "导出应急联络表（CSV）",
     "export a duty contact list (CSV)"},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

static void usage(void) {
  printf("cirs %s — %s\n\n%s:\n", CIRS_VERSION, L("网络安全事件报告与应急处置系统", "cybersecurity incident reporting and emergency response system"),
         L("命令", "Commands"));
  for (const cli_cmd *c = cli_commands; c->group; c++) printf("  cirs %-58s %s\n", c->usage, L(c->zh, c->en));
  printf("\n%s\n", L("每个命令都支持 --help；--lang zh|en 切换语言。退出码：0 成功，1 运行失败，2 输入或用法错误，3 校验未通过。",
                     "Every command takes --help; --lang zh|en switches language. Exit codes: 0 ok, 1 failure, 2 bad input or usage, 3 verification failed."));
}

int main(int argc, char **argv) {
  /* --lang may appear anywhere; take it out before the command parses its own options. */
  const char *lang = NULL;
  int n = 0;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--lang") && i + 1 < argc) {
      lang = argv[++i];
      continue;
    }
    if (!strncmp(argv[i], "--lang=", 7)) {
      lang = argv[i] + 7;
      continue;
    }
    argv[n++] = argv[i];
  }
  argc = n;
  argv[argc] = NULL;
  lang_init(lang);
  if (sodium_init() < 0) {
    fprintf(stderr, "cirs: libsodium init failed\n");
    return EXIT_FAIL;
  }
  if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    usage();
    return argc < 2 ? EXIT_INPUT : EXIT_OK;
  }
  if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
    printf("cirs %s\n", CIRS_VERSION);
    return 0;
  }
  for (const cli_cmd *c = cli_commands; c->group; c++) {
    if (strcmp(c->group, argv[1])) continue;
    if (!c->name) return c->fn(argc - 1, argv + 1);
    if (argc >= 3 && !strcmp(c->name, argv[2])) return c->fn(argc - 2, argv + 2);
  }
  /* A known group without (or with a wrong) subcommand: show its subcommands. */
  int group = 0;
  for (const cli_cmd *c = cli_commands; c->group; c++)
    if (!strcmp(c->group, argv[1])) {
      if (!group) fprintf(stderr, "%s:\n", L("可用的子命令", "subcommands"));
      fprintf(stderr, "  cirs %-58s %s\n", c->usage, L(c->zh, c->en));
      group = 1;
    }
  if (!group) fprintf(stderr, L("cirs: 未知命令 \"%s\"，运行 cirs --help 查看命令\n", "cirs: unknown command \"%s\"; see cirs --help\n"), argv[1]);
  return EXIT_INPUT;
}
