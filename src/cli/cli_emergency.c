/* cli_emergency.c — `cirs warning …`, `cirs response …`, `cirs contacts …` (issue 5).
 *
 * Lists and shows read the store directly (an administrator's view). Actions run as a named user (--user): the
 * same model functions and the same rule-pack powers as the API, so a script can issue a warning or end a response
 * for a duty officer, and the audit log names that user ("cli:<login> as <user>" is not needed: the events carry
 * the user's name, the CLI's own login is in the process log). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../export/export.h"
#include "../model/commands.h"
#include "../store/store.h"
#include "cli.h"

#define EM_FILE_MAX (1024 * 1024) /* a JSON document or a contacts CSV */

enum { O_DB = 1000, O_USER, O_AUTHORITY, O_STATUS, O_REASON, O_SUMMARY, O_OUT, O_JSON, O_RULES, O_APPROVE, O_ALL };

typedef struct em_args {
  const char *db, *user, *authority, *status, *reason, *summary, *out, *rules, *arg;
  int json, approve;
} em_args;

typedef struct em_cmd {
  const char *usage, *zh, *en, *opt_zh, *opt_en;
  unsigned opts;     /* bits of O_* - O_DB */
  int need_arg;      /* a positional argument (REF, FILE) */
} em_cmd;

#define BIT(o) (1u << ((o) - O_DB))

/* Parses the options `c` allows. Returns -1 after help (exit 0), an exit code after an error, 0 when ready. */
static int parse(int argc, char **argv, const em_cmd *c, em_args *a) {
  static const struct option lo[] = {{"db", 1, NULL, O_DB},           {"user", 1, NULL, O_USER},       {"authority", 1, NULL, O_AUTHORITY},
                                     {"status", 1, NULL, O_STATUS},   {"reason", 1, NULL, O_REASON},   {"summary", 1, NULL, O_SUMMARY},
                                     {"output", 1, NULL, O_OUT},      {"json", 0, NULL, O_JSON},       {"rules", 1, NULL, O_RULES},
                                     {"approve", 0, NULL, O_APPROVE}, {"help", 0, NULL, 'h'},          {NULL, 0, NULL, 0}};
  memset(a, 0, sizeof *a);
  const char *env = getenv("CIRS_DB");
  if (env && *env) a->db = env;
  cirs_err e = {0};
  int ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "ho:", lo, NULL)) != -1) {
    if (ch == 'h') {
      cli_help(c->usage, c->zh, c->en, c->opt_zh, c->opt_en);
      return -1;
    }
    if (ch == 'o') ch = O_OUT;
    if (ch < O_DB || !(c->opts & BIT(ch))) {
      err_set(&e, "usage", "", argv[optind - 1]);
      return cli_fail(&e);
    }
    switch (ch) {
    case O_DB: a->db = optarg; break;
    case O_USER: a->user = optarg; break;
    case O_AUTHORITY: a->authority = optarg; break;
    case O_STATUS: a->status = optarg; break;
    case O_REASON: a->reason = optarg; break;
    case O_SUMMARY: a->summary = optarg; break;
    case O_OUT: a->out = optarg; break;
    case O_JSON: a->json = 1; break;
    case O_RULES: a->rules = optarg; break;
    case O_APPROVE: a->approve = 1; break;
    }
  }
  if (optind < argc) a->arg = argv[optind++];
  if (optind < argc) {
    err_set(&e, "usage", "", argv[optind]);
    return cli_fail(&e);
  }
  const char *missing = !a->db ? "db" : (c->opts & BIT(O_USER)) && !a->user ? "user" : (c->opts & BIT(O_AUTHORITY)) && !a->authority ? "authority"
                                        : c->need_arg && !a->arg ? (c->need_arg == 2 ? "FILE" : "REF") : NULL;
  if (missing) {
    char m[200];
    snprintf(m, sizeof m, L("需要 %s（用法：cirs %s）", "%s is required (usage: cirs %s)"), missing, c->usage);
    err_set_msg(&e, "usage", missing, m);
    return cli_fail(&e);
  }
  return 0;
}

static const char OPT_DB_ZH[] = "  --db PATH           数据库（或 $CIRS_DB）\n", OPT_DB_EN[] = "  --db PATH           database (or $CIRS_DB)\n";

/* The principal of --user, for actions (the password hash dropped). */
static int as_user(store *st, const char *user, json_t **who, cirs_err *e) {
  if (store_principal_by_username(st, user, who, e)) return err_set(e, "not_found", "user", user);
  json_object_del(*who, "password_hash");
  return 0;
}

static int print_result(int rc, json_t *out, cirs_err *e) {
  if (rc) return cli_fail(e);
  cli_print_json(out);
  json_decref(out);
  return EXIT_OK;
}

/* --- lists and shows -------------------------------------------------------------------------------------------- */

static int list(int argc, char **argv, int responses) {
  static const em_cmd wc = {"warning list --db PATH [--status active|lifted] [--json]", "列出预警（全部）", "list warnings (all)",
                            "  --db PATH           数据库（或 $CIRS_DB）\n  --status S          active 或 lifted\n  --json              输出 JSON\n",
                            "  --db PATH           database (or $CIRS_DB)\n  --status S          active or lifted\n  --json              JSON output\n",
                            BIT(O_DB) | BIT(O_STATUS) | BIT(O_JSON), 0};
  static const em_cmd rc_ = {"response list --db PATH [--status active|end_proposed|ended] [--json]", "列出应急响应（全部）", "list emergency responses (all)",
                             "  --db PATH           数据库（或 $CIRS_DB）\n  --status S          active、end_proposed 或 ended\n  --json              输出 JSON\n",
                             "  --db PATH           database (or $CIRS_DB)\n  --status S          active, end_proposed or ended\n  --json              JSON output\n",
                             BIT(O_DB) | BIT(O_STATUS) | BIT(O_JSON), 0};
  em_args a;
  int p = parse(argc, argv, responses ? &rc_ : &wc, &a);
  if (p) return p < 0 ? EXIT_OK : p;
  store *st;
  cirs_err e = {0};
  if (store_open(a.db, 0, &st, &e)) return cli_fail(&e);
  store_em_q q = {.all = 1, .status = a.status, .limit = STORE_LIST_MAX};
  json_t *all = json_array(), *rows = NULL;
  int rc = 0;
  do { /* every page */
    json_decref(rows);
    rows = NULL;
    rc = (responses ? store_response_list : store_warning_list)(st, &q, &rows, &e);
    if (!rc) json_array_extend(all, rows);
    if (!rc && json_array_size(rows)) q.after = json_integer_value(json_object_get(json_array_get(rows, json_array_size(rows) - 1), "id"));
  } while (!rc && json_array_size(rows) == STORE_LIST_MAX);
  json_decref(rows);
  store_close(st);
  if (rc) {
    json_decref(all);
    return cli_fail(&e);
  }
  if (a.json) cli_print_json(all);
  else {
    size_t i;
    json_t *x;
    json_array_foreach(all, i, x) {
      const char *who = json_string_value(json_object_get(x, responses ? "starter" : "issuer"));
      printf("%-18s %-7s %-12s %-22s %s%s\n", json_string_value(json_object_get(x, "ref")), json_string_value(json_object_get(x, "level")),
             json_string_value(json_object_get(x, "status")), who ? who : "", json_integer_value(json_object_get(x, "drill")) ? "【演练】" : "",
             json_string_value(json_object_get(x, "title")));
    }
    fprintf(stderr, L("共 %zu 条\n", "%zu in all\n"), json_array_size(all));
  }
  json_decref(all);
  return EXIT_OK;
}

int cmd_warning_list(int argc, char **argv) { return list(argc, argv, 0); }
int cmd_response_list(int argc, char **argv) { return list(argc, argv, 1); }

static int show(int argc, char **argv, int responses) {
  static const em_cmd wc = {"warning show --db PATH REF", "显示一条预警（含接收方与确认情况）", "show one warning (with its recipients and acknowledgements)",
                            OPT_DB_ZH, OPT_DB_EN, BIT(O_DB), 1};
  static const em_cmd rc_ = {"response show --db PATH REF", "显示一个应急响应（含事件、进展、调查评估与启动机关的联络表）",
                             "show one response (incidents, updates, investigation, the starter's duty contacts)", OPT_DB_ZH, OPT_DB_EN, BIT(O_DB), 1};
  em_args a;
  int p = parse(argc, argv, responses ? &rc_ : &wc, &a);
  if (p) return p < 0 ? EXIT_OK : p;
  store *st;
  cirs_err e = {0};
  if (store_open(a.db, 0, &st, &e)) return cli_fail(&e);
  json_t *out = NULL, *auth = NULL, *contacts = NULL;
  int rc = (responses ? store_response_get : store_warning_get)(st, a.arg, &out, &e);
  if (!rc && responses && !store_authority_get(st, json_string_value(json_object_get(out, "starter")), &auth, &e) &&
      !store_contacts_list(st, json_integer_value(json_object_get(auth, "id")), &contacts, &e))
    json_object_set_new(out, "contacts", contacts);
  json_decref(auth);
  store_close(st);
  return print_result(rc, out, &e);
}

int cmd_warning_show(int argc, char **argv) { return show(argc, argv, 0); }
int cmd_response_show(int argc, char **argv) { return show(argc, argv, 1); }

/* --- actions as a user -------------------------------------------------------------------------------------------- */

typedef struct cli_scope {
  store *st;
  store_scope sc;
} cli_scope;

static int cli_visible(void *ctx, const char *key, json_t **inc, cirs_err *e) {
  cli_scope *c = ctx;
  return store_incident_get(c->st, key, &c->sc, inc, e);
}

/* What the user may see, as the API's scope: operators their organisation, authority staff their subtree, the
 * national office everything. */
static store_scope scope_of(const json_t *who) {
  store_scope s = {0};
  const char *role = json_string_value(json_object_get(who, "role"));
  if (!strcmp(role, "national_emergency_office")) s.all = 1;
  else if (json_integer_value(json_object_get(who, "authority_id"))) s.authority_id = json_integer_value(json_object_get(who, "authority_id"));
  else s.organisation_id = json_integer_value(json_object_get(who, "organisation_id"));
  return s;
}

/* what: 0 warning issue (FILE), 1 warning lift (REF --reason), 2 response start (FILE), 3 response end (REF --summary). */
static int act(int argc, char **argv, int what) {
  static const char OPTS_ZH[] = "  --db PATH           数据库（或 $CIRS_DB）\n  --user USER         以该用户的身份和权限操作\n"
                                "  --rules DIR         规则包目录（默认内置，或 $CIRS_RULES）\n";
  static const char OPTS_EN[] = "  --db PATH           database (or $CIRS_DB)\n  --user USER         act as this user, with its powers\n"
                                "  --rules DIR         rule-pack folder (default: built-in, or $CIRS_RULES)\n";
  static const em_cmd cmds[4] = {
      {"warning issue --db PATH --user USER FILE.json", "发布预警（JSON 文档同 POST /api/v1/warnings；级别与范围按规则包的发布权限）",
       "issue a warning (the JSON of POST /api/v1/warnings; level and scope within the rule pack's powers)", OPTS_ZH, OPTS_EN,
       BIT(O_DB) | BIT(O_USER) | BIT(O_RULES), 2},
      {"warning lift --db PATH --user USER --reason TEXT REF", "解除预警（发布机关或其上级）", "lift a warning (its issuer or a superior)",
       "  --db PATH           数据库（或 $CIRS_DB）\n  --user USER         以该用户的身份操作\n  --reason TEXT       解除理由\n",
       "  --db PATH           database (or $CIRS_DB)\n  --user USER         act as this user\n  --reason TEXT       why it is lifted\n",
       BIT(O_DB) | BIT(O_USER) | BIT(O_REASON) | BIT(O_RULES), 1},
      {"response start --db PATH --user USER FILE.json", "启动应急响应（JSON 文档同 POST /api/v1/responses）",
       "start an emergency response (the JSON of POST /api/v1/responses)", OPTS_ZH, OPTS_EN, BIT(O_DB) | BIT(O_USER) | BIT(O_RULES), 2},
      {"response end --db PATH --user USER [--summary TEXT] [--approve] REF", "结束应急响应（谁启动，谁结束；--approve：上级批准Ⅰ级响应的结束）",
       "end a response (whoever starts it ends it; --approve: the command approves ending a level I response)",
       "  --db PATH           数据库（或 $CIRS_DB）\n  --user USER         以该用户的身份操作\n  --summary TEXT      总结\n  --approve           批准已提出的结束\n",
       "  --db PATH           database (or $CIRS_DB)\n  --user USER         act as this user\n  --summary TEXT      summary\n  --approve           approve a proposed end\n",
       BIT(O_DB) | BIT(O_USER) | BIT(O_SUMMARY) | BIT(O_APPROVE) | BIT(O_RULES), 1}};
  em_args a;
  int p = parse(argc, argv, &cmds[what], &a);
  if (p) return p < 0 ? EXIT_OK : p;
  cirs_err e = {0};
  if (what == 1 && !a.reason) {
    err_set_msg(&e, "usage", "reason", L("需要 --reason", "--reason is required"));
    return cli_fail(&e);
  }
  json_t *doc = NULL;
  if (what == 0 || what == 2) {
    size_t len;
    char *text = cli_read_file(a.arg, EM_FILE_MAX, &len, &e);
    if (!text) return cli_fail(&e);
    json_error_t je;
    doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!doc) {
      char m[300];
      snprintf(m, sizeof m, L("%s 第 %d 行：%s", "%s line %d: %s"), a.arg, je.line, je.text);
      err_set_msg(&e, "invalid_json", "FILE", m);
      return cli_fail(&e);
    }
  } else if (what == 1) doc = json_pack("{s:s}", "reason", a.reason);
  else doc = a.summary ? json_pack("{s:s}", "summary", a.summary) : json_object();
  rules_set *rs = rules_load(cli_rules_dir(a.rules), &e);
  store *st = NULL;
  json_t *who = NULL, *out = NULL, *obj = NULL;
  int rc = !rs || store_open(a.db, 0, &st, &e) || as_user(st, a.user, &who, &e);
  if (!rc && (what == 1 || what == 3)) { /* the object by ref or id */
    rc = (what == 1 ? store_warning_get : store_response_get)(st, a.arg, &obj, &e);
    if (rc) snprintf(e.field, sizeof e.field, "REF");
  }
  if (!rc) {
    cli_scope cs = {st, scope_of(who)};
    int64_t id = json_integer_value(json_object_get(obj, "id"));
    rc = what == 0   ? model_warning_issue(st, rs, who, doc, &out, &e)
         : what == 1 ? model_warning_change(st, rs, who, id, doc, 1, &out, &e)
         : what == 2 ? model_response_start(st, rs, who, cli_visible, &cs, doc, &out, &e)
                     : model_response_end(st, rs, who, id, a.approve ? json_object() : doc, a.approve, &out, &e);
  }
  json_decref(doc);
  json_decref(who);
  json_decref(obj);
  store_close(st);
  rules_free(rs);
  return print_result(rc, out, &e);
}

int cmd_warning_issue(int argc, char **argv) { return act(argc, argv, 0); }
int cmd_warning_lift(int argc, char **argv) { return act(argc, argv, 1); }
int cmd_response_start(int argc, char **argv) { return act(argc, argv, 2); }
int cmd_response_end(int argc, char **argv) { return act(argc, argv, 3); }

/* --- duty contacts ------------------------------------------------------------------------------------------------ */

int cmd_contacts_import(int argc, char **argv) {
  static const em_cmd c = {"contacts import --db PATH --authority CODE FILE.csv [--json]",
                           "导入机构的应急联络表（CSV，UTF-8；表头：单位,值班电话,联系人,手机,邮箱,备注，或英文 unit,duty_phone,…；“单位,值班电话”可在一行内重复，"
                           "如晋城市预案附录 8.4）。整表替换；任何一行有误则不导入。",
                           "Import an authority's duty contact list (CSV, UTF-8; header 单位,值班电话,联系人,手机,邮箱,备注 or unit,duty_phone,contact,mobile,"
                           "email,note; the pair unit, duty phone may repeat within a row, as in the Jincheng plan's appendix 8.4). The list is replaced as a "
                           "whole; nothing is imported when any row is wrong.",
                           "  --db PATH           数据库（或 $CIRS_DB）\n  --authority CODE    机构代码\n  --json              输出 JSON\n",
                           "  --db PATH           database (or $CIRS_DB)\n  --authority CODE    authority code\n  --json              JSON output\n",
                           BIT(O_DB) | BIT(O_AUTHORITY) | BIT(O_JSON), 2};
  em_args a;
  int p = parse(argc, argv, &c, &a);
  if (p) return p < 0 ? EXIT_OK : p;
  cirs_err e = {0};
  size_t len;
  char *text = cli_read_file(a.arg, EM_FILE_MAX, &len, &e), actor[96];
  if (!text) return cli_fail(&e);
  json_t *rows = NULL;
  store *st = NULL;
  int rc = model_contacts_parse_csv(text, len, &rows, &e) || store_open(a.db, 0, &st, &e) ||
           model_contacts_set(st, a.authority, rows, cli_actor(actor, sizeof actor), &e);
  free(text);
  store_close(st);
  if (rc) {
    json_decref(rows);
    return cli_fail(&e);
  }
  if (a.json) {
    json_t *o = json_pack("{s:s, s:I}", "authority", a.authority, "imported", (json_int_t)json_array_size(rows));
    cli_print_json(o);
    json_decref(o);
  } else
    printf(L("已为 %s 导入 %zu 条联络信息\n", "contacts imported for %s: %zu\n"), a.authority, json_array_size(rows));
  json_decref(rows);
  return EXIT_OK;
}

int cmd_contacts_export(int argc, char **argv) {
  static const em_cmd c = {"contacts export --db PATH --authority CODE [-o FILE] [--json]",
                           "导出机构的应急联络表（CSV，UTF-8 带 BOM，Excel 可直接打开；--json 输出 JSON）",
                           "Export an authority's duty contact list (CSV, UTF-8 with BOM so Excel opens it; --json for JSON)",
                           "  --db PATH           数据库（或 $CIRS_DB）\n  --authority CODE    机构代码\n  -o, --output FILE   写入文件（默认标准输出）\n  --json              输出 JSON\n",
                           "  --db PATH           database (or $CIRS_DB)\n  --authority CODE    authority code\n  -o, --output FILE   write to FILE (default stdout)\n  --json              JSON output\n",
                           BIT(O_DB) | BIT(O_AUTHORITY) | BIT(O_OUT) | BIT(O_JSON), 0};
  em_args a;
  int p = parse(argc, argv, &c, &a);
  if (p) return p < 0 ? EXIT_OK : p;
  cirs_err e = {0};
  store *st = NULL;
  json_t *auth = NULL, *rows = NULL;
  int rc = store_open(a.db, 0, &st, &e) || store_authority_get(st, a.authority, &auth, &e) ||
           store_contacts_list(st, json_integer_value(json_object_get(auth, "id")), &rows, &e);
  json_decref(auth);
  store_close(st);
  if (rc) return cli_fail(&e);
  size_t len = 0;
  char *text = a.json ? json_dumps(rows, JSON_INDENT(2)) : export_contacts_csv(rows, &len);
  json_decref(rows);
  if (!text) return EXIT_FAIL;
  if (a.json) len = strlen(text);
  FILE *f = a.out ? fopen(a.out, "wb") : stdout;
  if (!f) {
    free(text);
    err_set(&e, "io_error", "output", a.out);
    return cli_fail(&e);
  }
  int bad = fwrite(text, 1, len, f) != len || (a.json && fputc('\n', f) == EOF);
  if (a.out) bad |= fclose(f) != 0;
  free(text);
  if (bad) {
    err_set(&e, "io_error", "output", a.out ? a.out : "stdout");
    return cli_fail(&e);
  }
  return EXIT_OK;
}
