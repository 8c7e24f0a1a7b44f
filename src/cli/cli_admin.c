/* cli_admin.c — the administration commands scripts drive: org add, authority add, user add, token revoke,
 * token list. (token create is in cli_serve.c.)
 *
 * Every add validates all of its input first (each value has a size limit and a syntax; field names in errors
 * are the option names), then writes the record and its audit event in one transaction. Output: one line for
 * people, or with --json an object {id, ...the record} for scripts. A duplicate code is a `conflict`, a code
 * that refers to nothing is `not_found`; both exit with EXIT_INPUT like every other invalid input. */
#include <dirent.h>
#include <getopt.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../auth/auth.h"
#include "../common/embedded.h"
#include "../common/timeutil.h"
#include "../rules/rules.h"
#include "../store/store.h"
#include "cli.h"

#define ADM_CODE_MAX (MODEL_CODE_MAX - 1) /* codes and usernames, in bytes: they must fit MODEL_CODE_MAX buffers with their NUL */
#define ADM_PATH_MAX 4096                 /* --db, --rules */
#define ADM_EMAIL_MAX 254                 /* RFC 5321 path limit */
#define ADM_LIST_MAX 200                  /* one --kind / --regimes value (a comma list) */
#define ADM_KINDS_MAX 3                   /* cii, central_organ, other */
#define ADM_REGIMES_MAX 8                 /* as many as an assessment input accepts */
#define ADM_PASSWORD_MIN 10               /* characters (UTF-8 code points) */
#define ADM_ID_MAX 20                     /* digits of a row id */
#define CN_OFFSET 480                     /* times shown in Asia/Shanghai */

/* ---- options ------------------------------------------------------------------------------------------------ */

enum {
  A_DB = 1, A_RULES, A_JSON, A_CODE, A_TYPE, A_NAME, A_NAME_EN, A_KIND, A_PROVINCE, A_SECTOR, A_DEPARTMENT, A_REGIMES,
  A_EMAIL, A_PARENT, A_USERNAME, A_ROLE, A_ORG, A_AUTHORITY, A_PASSWORD_STDIN, A_ID, A_USER, A_CITY, A_COUNT
};

/* Every option of these commands: its name (also the field named in errors), whether it takes a value, and the
 * longest value accepted. */
static const struct adm_opt {
  const char *flag;
  int arg;
  size_t max;
} OPTS[A_COUNT] = {
    [A_DB] = {"db", 1, ADM_PATH_MAX},
    [A_RULES] = {"rules", 1, ADM_PATH_MAX},
    [A_JSON] = {"json", 0, 0},
    [A_CODE] = {"code", 1, ADM_CODE_MAX},
    [A_TYPE] = {"type", 1, ADM_CODE_MAX},
    [A_NAME] = {"name", 1, MODEL_NAME_MAX},
    [A_NAME_EN] = {"name-en", 1, MODEL_NAME_MAX},
    [A_KIND] = {"kind", 1, ADM_LIST_MAX},
    [A_PROVINCE] = {"province", 1, 6},
    [A_SECTOR] = {"sector", 1, ADM_CODE_MAX},
    [A_DEPARTMENT] = {"department", 1, ADM_CODE_MAX},
    [A_REGIMES] = {"regimes", 1, ADM_LIST_MAX},
    [A_EMAIL] = {"email", 1, ADM_EMAIL_MAX},
    [A_PARENT] = {"parent", 1, ADM_CODE_MAX},
    [A_USERNAME] = {"username", 1, ADM_CODE_MAX},
    [A_ROLE] = {"role", 1, ADM_CODE_MAX},
    [A_ORG] = {"org", 1, ADM_CODE_MAX},
    [A_AUTHORITY] = {"authority", 1, ADM_CODE_MAX},
    [A_PASSWORD_STDIN] = {"password-stdin", 0, 0},
    [A_ID] = {"id", 1, ADM_ID_MAX},
    [A_USER] = {"user", 1, ADM_CODE_MAX},
    [A_CITY] = {"city", 1, 6},
};

/* A prefecture-level city code (6 digits ending in 00, not a province) inside `province` when that is given. */
static int check_city(const char *city, const char *province, cirs_err *e) {
  if (!city) return 0;
  if (strlen(city) != 6 || strspn(city, "0123456789") != 6 || strcmp(city + 4, "00") || !strcmp(city + 2, "0000") ||
      (province && strncmp(city, province, 2)))
    return err_set_msg(e, "bad_value", "city", L("应为所在省份下地级市的 6 位代码，如 140500（晋城市）", "a 6-digit prefecture-level city code in the province expected, e.g. 140500 (Jincheng)"));
  return 0;
}

/* One command: its help, the options it takes and those it needs (both lists end with 0). */
typedef struct adm_cmd {
  const char *usage, *zh, *en, *opt_zh, *opt_en;
  int allowed[A_COUNT];
  int required[A_COUNT];
} adm_cmd;

typedef struct adm_args {
  const char *v[A_COUNT]; /* value of each option given ("" for a switch), NULL when absent; the last one wins */
  json_t *kinds;          /* --kind values, comma lists split, in order (owned) */
  json_t *regimes;        /* --regimes values, likewise (owned) */
} adm_args;

static void args_free(adm_args *a) {
  json_decref(a->kinds);
  json_decref(a->regimes);
}

/* Appends the comma-separated items of `v` to `list` (blanks around items are dropped). */
static int split_into(json_t *list, const char *v, const char *field, cirs_err *e) {
  const char *p = v;
  for (;;) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    while (n && (*p == ' ' || *p == '\t')) p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    if (!n) return err_set_msg(e, "bad_value", field, L("列表中有空项", "the list has an empty item"));
    json_t *s = json_stringn(p, n);
    if (!s) return err_set_msg(e, "bad_value", field, L("不是有效的 UTF-8 文本", "not valid UTF-8 text"));
    json_array_append_new(list, s);
    if (!end) return 0;
    p = end + 1;
  }
}

static int in_ints(const int *l, int v) {
  for (; *l; l++)
    if (*l == v) return 1;
  return 0;
}

/* Parses argv for `cmd`. Returns 1 after printing help, -1 after printing a usage error, 0 otherwise. */
static int parse(int argc, char **argv, const adm_cmd *cmd, adm_args *a) {
  struct option lo[A_COUNT + 1];
  int n = 0;
  for (int i = 1; i < A_COUNT; i++) lo[n++] = (struct option){OPTS[i].flag, OPTS[i].arg ? required_argument : no_argument, NULL, i};
  lo[n++] = (struct option){"help", no_argument, NULL, 'h'};
  lo[n] = (struct option){0, 0, 0, 0};
  memset(a, 0, sizeof *a);
  a->kinds = json_array();
  a->regimes = json_array();
  const char *db = getenv("CIRS_DB");
  if (db && *db) a->v[A_DB] = db;
  cirs_err e = {0};
  char m[200];
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
    if (c == 'h') {
      cli_help(cmd->usage, cmd->zh, cmd->en, cmd->opt_zh, cmd->opt_en);
      return 1;
    }
    if (c <= 0 || c >= A_COUNT) {
      fprintf(stderr, L("cirs: 用法错误，运行 cirs %s --help\n", "cirs: usage error; see cirs %s --help\n"), argv[0]);
      return -1;
    }
    if (!in_ints(cmd->allowed, c)) {
      snprintf(m, sizeof m, L("本命令没有 --%s 选项", "this command has no --%s option"), OPTS[c].flag);
      err_set(&e, "usage", OPTS[c].flag, m);
      return cli_fail(&e), -1;
    }
    const char *v = OPTS[c].arg ? optarg : "";
    if (OPTS[c].arg && strlen(v) > OPTS[c].max) {
      snprintf(m, sizeof m, L("--%s 最多 %zu 字节", "--%s takes at most %zu bytes"), OPTS[c].flag, OPTS[c].max);
      err_set(&e, "too_large", OPTS[c].flag, m);
      return cli_fail(&e), -1;
    }
    if ((c == A_KIND && split_into(a->kinds, v, "kind", &e)) || (c == A_REGIMES && split_into(a->regimes, v, "regimes", &e)))
      return cli_fail(&e), -1;
    a->v[c] = v;
  }
  if (optind < argc) {
    snprintf(m, sizeof m, L("多余的参数 \"%.80s\"", "unexpected argument \"%.80s\""), argv[optind]);
    err_set(&e, "usage", "", m);
    return cli_fail(&e), -1;
  }
  for (const int *r = cmd->required; *r; r++)
    if (!a->v[*r] || (OPTS[*r].arg && !*a->v[*r])) {
      snprintf(m, sizeof m, "--%s", OPTS[*r].flag);
      err_set(&e, "missing_field", OPTS[*r].flag, m);
      return cli_fail(&e), -1;
    }
  return 0;
}

#define PARSE(cmd)                                 \
  do {                                             \
    int pr_ = parse(argc, argv, &(cmd), &a);       \
    if (pr_) {                                     \
      args_free(&a);                               \
      return pr_ > 0 ? EXIT_OK : EXIT_INPUT;       \
    }                                              \
  } while (0)

/* ---- validation ------------------------------------------------------------------------------------------------ */

/* Valid UTF-8 without control characters. */
static int plain_text(const char *s) {
  json_t *j = json_string(s);
  if (!j) return 0;
  json_decref(j);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p < 0x20 || *p == 0x7f) return 0;
  return 1;
}

/* A name of a body or a person: non-empty text (the length was checked with the options). */
static int check_name(const char *field, const char *v, cirs_err *e) {
  if (!v) return 0;
  if (!*v || !plain_text(v)) return err_set_msg(e, "bad_value", field, L("应为非空的 UTF-8 文本，不含控制字符", "non-empty UTF-8 text without control characters expected"));
  return 0;
}

/* A code, sector, department or username: a letter or digit, then letters, digits and - _ . (and `extra`). */
static int check_code(const char *field, const char *v, const char *extra, cirs_err *e) {
  if (!v) return 0;
  int ok = *v && ((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') || (*v >= '0' && *v <= '9'));
  for (const char *p = v; ok && *p; p++)
    ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-_.", *p) || (extra && strchr(extra, *p));
  if (ok) return 0;
  char m[200];
  snprintf(m, sizeof m, L("\"%.64s\"：应以字母或数字开头，只含字母、数字和 -_.%s", "\"%.64s\": must start with a letter or digit and hold only letters, digits and -_.%s"), v,
           extra ? extra : "");
  return err_set(e, "bad_value", field, m);
}

static int check_email(const char *field, const char *v, cirs_err *e) {
  if (!v) return 0;
  const char *at = strchr(v, '@');
  int ok = plain_text(v) && !strchr(v, ' ') && at && at != v && !strchr(at + 1, '@') && strchr(at + 1, '.') && at[1] != '.' && v[strlen(v) - 1] != '.';
  if (ok) return 0;
  char m[300];
  snprintf(m, sizeof m, L("\"%.200s\" 不是电子邮件地址", "\"%.200s\" is not an e-mail address"), v);
  return err_set(e, "bad_value", field, m);
}

/* `v` is one of the NULL-terminated `list`; otherwise the error lists the choices. */
static int check_choice(const char *field, const char *v, const char *const *list, cirs_err *e) {
  for (const char *const *l = list; *l; l++)
    if (!strcmp(*l, v)) return 0;
  char m[ERR_MSG_MAX / 2];
  int n = snprintf(m, sizeof m, "\"%.64s\" (", v);
  for (const char *const *l = list; *l && n > 0 && (size_t)n < sizeof m; l++) n += snprintf(m + n, sizeof m - (size_t)n, "%s%s", l == list ? "" : " | ", *l);
  if (n > 0 && (size_t)n < sizeof m) snprintf(m + n, sizeof m - (size_t)n, ")");
  return err_set(e, "bad_value", field, m);
}

/* Items of a list option: each one of `choices`, none twice, at most `max`. */
static int check_list(const char *field, const json_t *list, const char *const *choices, size_t max, cirs_err *e) {
  if (json_array_size(list) > max) {
    char m[32];
    snprintf(m, sizeof m, "%zu", max);
    return err_set(e, "too_large", field, m);
  }
  size_t i, j;
  json_t *x;
  json_array_foreach(list, i, x) {
    if (check_choice(field, json_string_value(x), choices, e)) return -1;
    for (j = 0; j < i; j++)
      if (json_equal(x, json_array_get(list, j))) {
        char m[120];
        snprintf(m, sizeof m, L("\"%.64s\" 重复", "\"%.64s\" given twice"), json_string_value(x));
        return err_set(e, "bad_value", field, m);
      }
  }
  return 0;
}

/* The rule packs (cirs-rules/1 documents) of `dir`, or of the binary when `dir` is NULL: they define the
 * province codes and regimes an organisation may have. A new array, or NULL with `e` set. */
static json_t *pack_docs(const char *dir, cirs_err *e) {
  json_t *docs = json_array();
  json_error_t je;
  if (!dir) {
    for (const embedded_file *f = embedded_files; f->name; f++) {
      size_t n = strlen(f->name);
      if (strncmp(f->name, "rules/", 6) || n < 5 || strcmp(f->name + n - 5, ".json")) continue;
      json_t *d = json_loadb((const char *)f->data, f->len, 0, &je);
      if (d) json_array_append_new(docs, d);
    }
    return docs;
  }
  DIR *dh = opendir(dir);
  if (!dh) {
    json_decref(docs);
    char m[ERR_MSG_MAX];
    snprintf(m, sizeof m, "%.300s", dir);
    err_set(e, "io_error", "rules", m);
    return NULL;
  }
  struct dirent *de;
  while ((de = readdir(dh))) {
    size_t n = strlen(de->d_name);
    if (n < 5 || strcmp(de->d_name + n - 5, ".json") || de->d_name[0] == '.') continue;
    char path[ADM_PATH_MAX + 300];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    size_t len;
    char *text = cli_read_file(path, RULES_MAX_FILE_BYTES, &len, e);
    json_t *d = text ? json_loadb(text, len, 0, &je) : NULL;
    free(text);
    if (!d) {
      if (text) {
        char m[ERR_MSG_MAX];
        snprintf(m, sizeof m, "%.200s: %.100s", de->d_name, je.text);
        err_set(e, "rules_invalid", "rules", m);
      }
      closedir(dh);
      json_decref(docs);
      return NULL;
    }
    json_array_append_new(docs, d);
  }
  closedir(dh);
  return docs;
}

/* 1 when some regime pack lists `code` among its provinces. */
static int known_province(const json_t *docs, const char *code) {
  size_t i;
  json_t *d;
  json_array_foreach(docs, i, d) if (json_object_get(json_object_get(d, "provinces"), code)) return 1;
  return 0;
}

/* A provincial-level division code (GB/T 2260) known to the rule packs: what the routes are resolved with. */
static int check_province(const char *v, const json_t *docs, cirs_err *e) {
  if (!v) return 0;
  int digits = strlen(v) == 6;
  for (const char *p = v; digits && *p; p++) digits = *p >= '0' && *p <= '9';
  if (digits && known_province(docs, v)) return 0;
  char m[200];
  snprintf(m, sizeof m, L("\"%.20s\"：应为规则包中省级行政区的 6 位代码，如 140000", "\"%.20s\": must be the 6-digit code of a provincial-level division of the rule packs, e.g. 140000"), v);
  return err_set(e, "bad_value", "province", m);
}

/* Regimes: each the regime of some cirs-rules/1 pack. */
static int check_regimes(const json_t *list, const json_t *docs, cirs_err *e) {
  const char *known[RULES_MAX_PACKS + 1];
  size_t n = 0, i;
  json_t *d;
  json_array_foreach(docs, i, d) {
    const char *r = json_string_value(json_object_get(d, "regime"));
    if (!r || n >= RULES_MAX_PACKS) continue;
    int dup = 0;
    for (size_t j = 0; j < n; j++) dup |= !strcmp(known[j], r);
    if (!dup) known[n++] = r;
  }
  known[n] = NULL;
  return check_list("regimes", list, known, ADM_REGIMES_MAX, e);
}

/* ---- shared steps ---------------------------------------------------------------------------------------------- */

/* Appends the event of a change; borrows `payload` (NULL = it could not be built). */
static int write_event(store *st, const char *type, const char *entity, int64_t id, json_t *payload, cirs_err *e) {
  if (!payload) return err_set(e, "internal", "", "event payload");
  char who[80];
  model_event ev = {0, time_now_ms(), cli_actor(who, sizeof who), type, entity, id, payload};
  return store_event_append(st, &ev, e);
}

/* A store error on insert, reworded to name the option: conflict on the new code, not_found on a code the
 * record refers to (the store names the column: organisation, authority or parent). */
static void insert_error(cirs_err *e, const adm_args *a, const char *what_zh, const char *what_en, const char *code_field, const char *code) {
  char m[200];
  if (!strcmp(e->code, "conflict")) {
    snprintf(m, sizeof m, L("%s \"%.64s\" 已存在", "%s \"%.64s\" already exists"), L(what_zh, what_en), code);
    err_set(e, "conflict", code_field, m);
  } else if (!strcmp(e->code, "not_found")) {
    int org = !strcmp(e->field, "organisation"), opt = org ? A_ORG : !strcmp(e->field, "parent") ? A_PARENT : A_AUTHORITY;
    snprintf(m, sizeof m, L("没有代码为 \"%.64s\" 的%s", "no %2$s with code \"%1$.64s\""), a->v[opt] ? a->v[opt] : "",
             org ? L("运营者", "organisation") : L("机构", "authority"));
    err_set(e, "not_found", OPTS[opt].flag, m);
  }
}

/* Prints `rec` (the record as written) for people or scripts: {id, ...rec}. */
static void print_created(int json, const char *zh, const char *en, const char *code, int64_t id, const json_t *rec) {
  if (json) {
    json_t *out = json_pack("{s:I}", "id", (json_int_t)id);
    json_object_update(out, (json_t *)rec);
    cli_print_json(out);
    json_decref(out);
  } else {
    printf(L(zh, en), code, (long long)id);
  }
}

static int open_db(const char *db, store **st, cirs_err *e) { return store_open(db, 0, st, e); }

/* ---- org add ----------------------------------------------------------------------------------------------------- */

static const char *const ORG_KINDS[] = {"cii", "central_organ", "other", NULL};

int cmd_org_add(int argc, char **argv) {
  static const adm_cmd cmd = {
      "org add --db PATH --code CODE --name NAME [--name-en NAME] --kind cii|central_organ|other --province CODE [--sector S] "
      "[--department D] [--regimes CN,NIS2] [--email E] [--city CODE] [--rules DIR] [--json]",
      "登记一个网络运营者（报告单位）。其类型决定《管理办法》第四条的报告路径（关键信息基础设施 1 小时、中央和国家机关 2 小时、其他 4 小时），"
      "省份、行业和主管部门决定报告对象。记录与审计事件在同一事务中写入。",
      "Register a network operator (a reporting organisation). Its kind picks the route of Measures art. 4 (CII 1 h, central organs 2 h, "
      "others 4 h); province, sector and department pick the authorities it reports to. The record and its audit event are written in one transaction.",
      "  --db PATH           数据库（或 $CIRS_DB）\n"
      "  --code CODE         唯一代码，如 shanxi-grid（字母、数字、-_.，最多 63 字节）\n"
      "  --name NAME         法定名称（最多 200 字节）\n"
      "  --name-en NAME      英文名称\n"
      "  --kind K            cii | central_organ | other；可重复或用逗号分隔（other 不能与前两者同用）\n"
      "  --province CODE     省级行政区划代码（6 位，如 140000）\n"
      "  --sector S          行业，如 energy（决定关键信息基础设施保护工作部门）\n"
      "  --department D      中央和国家机关所属部门，如 mwr\n"
      "  --regimes R,...     适用的监管制度（默认 CN；规则包中的制度，如 CN,NIS2）\n"
      "  --email E           联系邮箱\n"
      "  --city CODE         所在地级市（6 位代码，如 140500；晋城等市级叠加规则按此适用）\n"
      "  --rules DIR         用该目录的规则包校验省份和制度（默认内置，或 $CIRS_RULES）\n"
      "  --json              输出 JSON {id, code, ...}\n",
      "  --db PATH           database (or $CIRS_DB)\n"
      "  --code CODE         unique code, e.g. shanxi-grid (letters, digits, -_., at most 63 bytes)\n"
      "  --name NAME         legal name (at most 200 bytes)\n"
      "  --name-en NAME      English name\n"
      "  --kind K            cii | central_organ | other; repeat it or give a comma list (other excludes the two others)\n"
      "  --province CODE     provincial-level division code (6 digits, e.g. 140000)\n"
      "  --sector S          sector, e.g. energy (picks the CII protection department)\n"
      "  --department D      central department of a central organ, e.g. mwr\n"
      "  --regimes R,...     regimes that apply (default CN; regimes of the rule packs, e.g. CN,NIS2)\n"
      "  --email E           contact e-mail\n"
      "  --city CODE         prefecture-level city (6 digits, e.g. 140500; municipal overlays such as Jincheng's apply by it)\n"
      "  --rules DIR         check province and regimes against the packs of DIR (default built-in, or $CIRS_RULES)\n"
      "  --json              JSON output {id, code, ...}\n",
      {A_DB, A_RULES, A_JSON, A_CODE, A_NAME, A_NAME_EN, A_KIND, A_PROVINCE, A_SECTOR, A_DEPARTMENT, A_REGIMES, A_EMAIL, A_CITY, 0},
      {A_DB, A_CODE, A_NAME, A_KIND, A_PROVINCE, 0}};
  adm_args a;
  PARSE(cmd);
  cirs_err e = {0};
  json_t *docs = NULL, *rec = NULL;
  store *st = NULL;
  int rc = EXIT_OK;
  if (!json_array_size(a.regimes)) json_array_append_new(a.regimes, json_string("CN"));
  if (check_code("code", a.v[A_CODE], NULL, &e) || check_name("name", a.v[A_NAME], &e) || check_name("name-en", a.v[A_NAME_EN], &e) ||
      check_list("kind", a.kinds, ORG_KINDS, ADM_KINDS_MAX, &e) || check_code("sector", a.v[A_SECTOR], NULL, &e) ||
      check_code("department", a.v[A_DEPARTMENT], NULL, &e) || check_email("email", a.v[A_EMAIL], &e) ||
      check_city(a.v[A_CITY], a.v[A_PROVINCE], &e))
    goto fail;
  int other = 0;
  size_t i;
  json_t *k;
  json_array_foreach(a.kinds, i, k) other |= !strcmp(json_string_value(k), "other");
  if (other && json_array_size(a.kinds) > 1) {
    err_set_msg(&e, "bad_value", "kind", L("other 不能与 cii 或 central_organ 同时出现", "other cannot be combined with cii or central_organ"));
    goto fail;
  }
  if (!(docs = pack_docs(cli_rules_dir(a.v[A_RULES]), &e)) || check_province(a.v[A_PROVINCE], docs, &e) || check_regimes(a.regimes, docs, &e)) goto fail;
  model_org o = {0, a.v[A_CODE], a.v[A_NAME], a.v[A_NAME_EN], a.kinds, a.v[A_PROVINCE], a.v[A_SECTOR], a.v[A_DEPARTMENT], a.regimes, a.v[A_EMAIL],
                 a.v[A_CITY]};
  rec = json_pack("{s:s, s:s, s:s?, s:O, s:s, s:s?, s:s?, s:s?, s:O, s:s?}", "code", o.code, "name", o.name, "name_en", o.name_en, "kinds", o.kinds,
                  "province", o.province, "city", o.city, "sector", o.sector, "department", o.department, "regimes", o.regimes, "contact_email",
                  o.contact_email);
  if (open_db(a.v[A_DB], &st, &e)) goto fail;
  if (store_begin(st, &e) || store_org_insert(st, &o, &e) || write_event(st, "organisation.created", "organisation", o.id, rec, &e) || store_commit(st, &e)) {
    store_rollback(st);
    insert_error(&e, &a, "运营者代码", "organisation code", "code", o.code);
    goto fail;
  }
  print_created(a.v[A_JSON] != NULL, "已登记运营者 %s（id %lld）\n", "created organisation %s (id %lld)\n", o.code, o.id, rec);
  goto out;
fail:
  rc = cli_fail(&e);
out:
  store_close(st);
  json_decref(rec);
  json_decref(docs);
  args_free(&a);
  return rc;
}

/* ---- authority add ------------------------------------------------------------------------------------------------- */

/* The authority types of the schema (src/store/sql/001_init.sql): the recipients of the rule packs that are
 * bodies, the national emergency office, and city command offices. */
static const char *const AUTHORITY_TYPES[] = {"national_cac",        "mps",           "national_emergency_office", "provincial_cac",      "public_security",
                                              "cii_protection_dept", "department_cac_body", "sector_regulator",   "city_command_office", NULL};

int cmd_authority_add(int argc, char **argv) {
  static const adm_cmd cmd = {
      "authority add --db PATH --code CODE --type TYPE --name NAME [--name-en NAME] [--province CODE] [--sector S] [--department D] "
      "[--parent CODE] [--city CODE] [--rules DIR] [--json]",
      "登记一个监管或应急机构。类型与管辖范围（省份、行业、部门，缺省为全国、全行业）决定哪些运营者向它报告；上级机构决定逐级上报和可见范围。",
      "Register an authority. Its type and jurisdiction (province, sector, department; absent = nationwide, every sector) decide which operators "
      "report to it; its parent decides escalation and what it may see.",
      "  --db PATH           数据库（或 $CIRS_DB）\n"
      "  --code CODE         唯一代码，如 cac-140000\n"
      "  --type TYPE         national_cac | mps | national_emergency_office | provincial_cac | public_security |\n"
      "                      cii_protection_dept | department_cac_body | sector_regulator | city_command_office\n"
      "  --name NAME         正式名称（最多 200 字节）\n"
      "  --name-en NAME      英文名称\n"
      "  --province CODE     管辖的省级行政区（6 位代码；缺省为全国）\n"
      "  --sector S          管辖的行业（缺省为全行业）\n"
      "  --department D      服务的中央部门\n"
      "  --parent CODE       上级机构的代码（须已存在）\n"
      "  --city CODE         市级机构所在的地级市（6 位代码，如 140500）\n"
      "  --rules DIR         用该目录的规则包校验省份（默认内置，或 $CIRS_RULES）\n"
      "  --json              输出 JSON {id, code, ...}\n",
      "  --db PATH           database (or $CIRS_DB)\n"
      "  --code CODE         unique code, e.g. cac-140000\n"
      "  --type TYPE         national_cac | mps | national_emergency_office | provincial_cac | public_security |\n"
      "                      cii_protection_dept | department_cac_body | sector_regulator | city_command_office\n"
      "  --name NAME         official name (at most 200 bytes)\n"
      "  --name-en NAME      English name\n"
      "  --province CODE     provincial-level division of its jurisdiction (6 digits; absent = nationwide)\n"
      "  --sector S          sector of its jurisdiction (absent = every sector)\n"
      "  --department D      central department it serves\n"
      "  --parent CODE       code of its superior authority (must exist)\n"
      "  --city CODE         a city-level authority's city (6 digits, e.g. 140500)\n"
      "  --rules DIR         check the province against the packs of DIR (default built-in, or $CIRS_RULES)\n"
      "  --json              JSON output {id, code, ...}\n",
      {A_DB, A_RULES, A_JSON, A_CODE, A_TYPE, A_NAME, A_NAME_EN, A_PROVINCE, A_SECTOR, A_DEPARTMENT, A_PARENT, A_CITY, 0},
      {A_DB, A_CODE, A_TYPE, A_NAME, 0}};
  adm_args a;
  PARSE(cmd);
  cirs_err e = {0};
  json_t *docs = NULL, *rec = NULL;
  store *st = NULL;
  int rc = EXIT_OK;
  if (check_code("code", a.v[A_CODE], NULL, &e) || check_choice("type", a.v[A_TYPE], AUTHORITY_TYPES, &e) || check_name("name", a.v[A_NAME], &e) ||
      check_name("name-en", a.v[A_NAME_EN], &e) || check_code("sector", a.v[A_SECTOR], NULL, &e) || check_code("department", a.v[A_DEPARTMENT], NULL, &e) ||
      check_code("parent", a.v[A_PARENT], NULL, &e) || check_city(a.v[A_CITY], a.v[A_PROVINCE], &e))
    goto fail;
  if (a.v[A_PROVINCE] && (!(docs = pack_docs(cli_rules_dir(a.v[A_RULES]), &e)) || check_province(a.v[A_PROVINCE], docs, &e))) goto fail;
  model_authority au = {0, a.v[A_CODE], a.v[A_TYPE], a.v[A_NAME], a.v[A_NAME_EN], a.v[A_PROVINCE], a.v[A_SECTOR], a.v[A_DEPARTMENT], a.v[A_PARENT],
                        a.v[A_CITY]};
  rec = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "code", au.code, "type", au.type, "name", au.name, "name_en", au.name_en,
                  "province", au.province, "city", au.city, "sector", au.sector, "department", au.department, "parent", au.parent);
  if (open_db(a.v[A_DB], &st, &e)) goto fail;
  if (store_begin(st, &e) || store_authority_insert(st, &au, &e) || write_event(st, "authority.created", "authority", au.id, rec, &e) || store_commit(st, &e)) {
    store_rollback(st);
    insert_error(&e, &a, "机构代码", "authority code", "code", au.code);
    goto fail;
  }
  print_created(a.v[A_JSON] != NULL, "已登记机构 %s（id %lld）\n", "created authority %s (id %lld)\n", au.code, au.id, rec);
  goto out;
fail:
  rc = cli_fail(&e);
out:
  store_close(st);
  json_decref(rec);
  json_decref(docs);
  args_free(&a);
  return rc;
}

/* ---- user add ---------------------------------------------------------------------------------------------------- */

enum { BIND_NONE, BIND_ORG, BIND_AUTHORITY };

/* What each role of model.h is attached to: an operator's organisation, an authority, or nothing. */
static const struct role_bind {
  const char *role;
  int bind;
} ROLE_BINDS[] = {
    {"operator_reporter", BIND_ORG},         {"operator_admin", BIND_ORG},   {"authority_officer", BIND_AUTHORITY},
    {"authority_admin", BIND_AUTHORITY},     {"national_emergency_office", BIND_AUTHORITY},
    {"duty_officer", BIND_AUTHORITY},        {"auditor", BIND_NONE},         {"system_admin", BIND_NONE},
};
static const char *const ROLES[] = {MODEL_ROLES, NULL};
_Static_assert(sizeof ROLE_BINDS / sizeof ROLE_BINDS[0] == sizeof ROLES / sizeof ROLES[0] - 1, "one binding per role of MODEL_ROLES");

static int role_bind(const char *role) {
  for (size_t i = 0; i < sizeof ROLE_BINDS / sizeof ROLE_BINDS[0]; i++)
    if (!strcmp(ROLE_BINDS[i].role, role)) return ROLE_BINDS[i].bind;
  return -1;
}

/* Reads one line of stdin (the password) into pw (size AUTH_PASSWORD_MAX + 1), without its line end, and checks it. */
static int read_password(char *pw, size_t size, cirs_err *e) {
  if (isatty(STDIN_FILENO)) fputs(L("密码（一行）：", "password (one line): "), stderr);
  size_t n = 0;
  int ch;
  char m[120];
  while ((ch = getchar()) != EOF && ch != '\n') {
    if (ch == 0) return err_set_msg(e, "bad_value", "password", L("密码含有 NUL 字节", "the password contains a NUL byte"));
    if (n + 1 >= size) {
      snprintf(m, sizeof m, L("最多 %d 字节", "at most %d bytes"), AUTH_PASSWORD_MAX);
      return err_set(e, "too_large", "password", m);
    }
    pw[n++] = (char)ch;
  }
  if (ferror(stdin)) return err_set(e, "io_error", "password", "stdin");
  if (n && pw[n - 1] == '\r') n--;
  pw[n] = 0;
  if (!n) return err_set_msg(e, "missing_field", "password", L("标准输入中没有密码（需要一行）", "no password on stdin (one line expected)"));
  json_t *j = json_string(pw);
  if (!j) return err_set_msg(e, "bad_value", "password", L("密码不是有效的 UTF-8 文本", "the password is not valid UTF-8 text"));
  json_decref(j);
  size_t chars = 0;
  for (const unsigned char *p = (const unsigned char *)pw; *p; p++) chars += (*p & 0xC0) != 0x80;
  if (chars < ADM_PASSWORD_MIN) {
    snprintf(m, sizeof m, L("密码至少 %d 个字符", "the password needs at least %d characters"), ADM_PASSWORD_MIN);
    return err_set_msg(e, "bad_value", "password", m);
  }
  return 0;
}

int cmd_user_add(int argc, char **argv) {
  static const adm_cmd cmd = {
      "user add --db PATH --username USER --name NAME --role ROLE [--org CODE | --authority CODE] [--email E] --password-stdin [--json]",
      "创建用户账号。密码从标准输入读取一行（至少 10 个字符），以 argon2id 哈希保存。运营者角色须指定 --org，"
      "机构角色（authority_officer、authority_admin、duty_officer、national_emergency_office）须指定 --authority，auditor 与 system_admin 两者都不要。",
      "Create a user account. The password is one line read from stdin (at least 10 characters), stored as an argon2id hash. Operator roles need --org; "
      "authority roles (authority_officer, authority_admin, duty_officer, national_emergency_office) need --authority; auditor and system_admin take neither.",
      "  --db PATH           数据库（或 $CIRS_DB）\n"
      "  --username USER     登录名（字母、数字、-_.@，最多 63 字节）\n"
      "  --name NAME         姓名（最多 200 字节）\n"
      "  --role ROLE         operator_reporter | operator_admin | authority_officer | authority_admin |\n"
      "                      national_emergency_office | duty_officer | auditor | system_admin\n"
      "  --org CODE          所属运营者（运营者角色）\n"
      "  --authority CODE    所属机构（机构角色）\n"
      "  --email E           电子邮箱\n"
      "  --password-stdin    从标准输入读取密码（一行）\n"
      "  --json              输出 JSON {id, username, ...}\n",
      "  --db PATH           database (or $CIRS_DB)\n"
      "  --username USER     login name (letters, digits, -_.@, at most 63 bytes)\n"
      "  --name NAME         full name (at most 200 bytes)\n"
      "  --role ROLE         operator_reporter | operator_admin | authority_officer | authority_admin |\n"
      "                      national_emergency_office | duty_officer | auditor | system_admin\n"
      "  --org CODE          the user's organisation (operator roles)\n"
      "  --authority CODE    the user's authority (authority roles)\n"
      "  --email E           e-mail address\n"
      "  --password-stdin    read the password from stdin (one line)\n"
      "  --json              JSON output {id, username, ...}\n",
      {A_DB, A_JSON, A_USERNAME, A_NAME, A_ROLE, A_ORG, A_AUTHORITY, A_EMAIL, A_PASSWORD_STDIN, 0},
      {A_DB, A_USERNAME, A_NAME, A_ROLE, A_PASSWORD_STDIN, 0}};
  adm_args a;
  PARSE(cmd);
  cirs_err e = {0};
  json_t *rec = NULL;
  store *st = NULL;
  int rc = EXIT_OK;
  char pw[AUTH_PASSWORD_MAX + 1], hash[AUTH_HASH_MAX];
  if (check_code("username", a.v[A_USERNAME], "@", &e) || check_name("name", a.v[A_NAME], &e) || check_choice("role", a.v[A_ROLE], ROLES, &e) ||
      check_code("org", a.v[A_ORG], NULL, &e) || check_code("authority", a.v[A_AUTHORITY], NULL, &e) || check_email("email", a.v[A_EMAIL], &e))
    goto fail;
  int bind = role_bind(a.v[A_ROLE]);
  const char *org = a.v[A_ORG], *auth = a.v[A_AUTHORITY];
  if (bind == BIND_ORG && !org) err_set_msg(&e, "missing_field", "org", L("运营者角色需要 --org", "an operator role needs --org"));
  else if (bind == BIND_AUTHORITY && !auth) err_set_msg(&e, "missing_field", "authority", L("机构角色需要 --authority", "an authority role needs --authority"));
  else if (bind != BIND_ORG && org) err_set_msg(&e, "bad_value", "org", L("只有运营者角色属于运营者", "only operator roles belong to an organisation"));
  else if (bind != BIND_AUTHORITY && auth) err_set_msg(&e, "bad_value", "authority", L("只有机构角色属于机构", "only authority roles belong to an authority"));
  if (e.code[0] || read_password(pw, sizeof pw, &e)) goto fail;
  if (auth_password_hash(pw, hash)) {
    err_set(&e, "internal", "password", "argon2id: out of memory");
    goto fail;
  }
  model_user u = {0, a.v[A_USERNAME], a.v[A_NAME], a.v[A_ROLE], org, auth, a.v[A_EMAIL], hash};
  rec = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?}", "username", u.username, "name", u.name, "role", u.role, "organisation", u.organisation,
                  "authority", u.authority, "email", u.email);
  if (open_db(a.v[A_DB], &st, &e)) goto fail;
  if (store_begin(st, &e) || store_user_insert(st, &u, &e) || write_event(st, "user.created", "user", u.id, rec, &e) || store_commit(st, &e)) {
    store_rollback(st);
    insert_error(&e, &a, "用户名", "username", "username", u.username);
    goto fail;
  }
  print_created(a.v[A_JSON] != NULL, "已创建用户 %s（id %lld）\n", "created user %s (id %lld)\n", u.username, u.id, rec);
  goto out;
fail:
  rc = cli_fail(&e);
out:
  sodium_memzero(pw, sizeof pw);
  store_close(st);
  json_decref(rec);
  args_free(&a);
  return rc;
}

/* ---- token revoke, token list -------------------------------------------------------------------------------------- */

int cmd_token_revoke(int argc, char **argv) {
  static const adm_cmd cmd = {
      "token revoke --db PATH --id N [--json]",
      "吊销一个 API 令牌：之后用它的请求一律被拒绝（401）。令牌编号见 cirs token list。",
      "Revoke an API token: every later request with it is refused (401). Token ids: cirs token list.",
      "  --db PATH           数据库（或 $CIRS_DB）\n  --id N              令牌编号\n  --json              输出 JSON\n",
      "  --db PATH           database (or $CIRS_DB)\n  --id N              token id\n  --json              JSON output\n",
      {A_DB, A_ID, A_JSON, 0},
      {A_DB, A_ID, 0}};
  adm_args a;
  PARSE(cmd);
  cirs_err e = {0};
  json_t *tok = NULL;
  store *st = NULL;
  int rc = EXIT_OK;
  char *end;
  long long id = strtoll(a.v[A_ID], &end, 10);
  if (*end || a.v[A_ID][0] < '0' || a.v[A_ID][0] > '9' || id < 1) {
    err_set_msg(&e, "bad_value", "id", L("应为正整数（cirs token list 中的编号）", "a positive integer expected (an id from cirs token list)"));
    goto fail;
  }
  if (open_db(a.v[A_DB], &st, &e)) goto fail;
  int64_t now = time_now_ms();
  if (store_begin(st, &e) || store_token_revoke(st, id, now, &tok, &e) ||
      (json_object_set_new(tok, "revoked_ms", json_integer(now)), write_event(st, "token.revoked", "token", id, tok, &e)) || store_commit(st, &e)) {
    store_rollback(st);
    goto fail;
  }
  if (a.v[A_JSON]) cli_print_json(tok);
  else
    printf(L("已吊销令牌 #%lld（用户 %s，%s）\n", "revoked token #%lld (user %s, %s)\n"), id, json_string_value(json_object_get(tok, "username")),
           json_string_value(json_object_get(tok, "name")));
  goto out;
fail:
  rc = cli_fail(&e);
out:
  json_decref(tok);
  store_close(st);
  args_free(&a);
  return rc;
}

int cmd_token_list(int argc, char **argv) {
  static const adm_cmd cmd = {
      "token list --db PATH [--user USER] [--json]",
      "列出 API 令牌（编号、用户、用途、创建和吊销时间）；从不显示令牌本身。",
      "List API tokens (id, user, purpose, created and revoked times); never the tokens themselves.",
      "  --db PATH           数据库（或 $CIRS_DB）\n  --user USER         只列出该用户的令牌\n  --json              输出 JSON\n",
      "  --db PATH           database (or $CIRS_DB)\n  --user USER         only this user's tokens\n  --json              JSON output\n",
      {A_DB, A_USER, A_JSON, 0},
      {A_DB, 0}};
  adm_args a;
  PARSE(cmd);
  cirs_err e = {0};
  json_t *rows = NULL, *p = NULL;
  store *st = NULL;
  int rc = EXIT_OK;
  if (open_db(a.v[A_DB], &st, &e)) goto fail;
  if (a.v[A_USER] && store_principal_by_username(st, a.v[A_USER], &p, &e)) {
    if (!strcmp(e.code, "not_found")) err_set(&e, "not_found", "user", a.v[A_USER]);
    goto fail;
  }
  if (store_token_list(st, a.v[A_USER], &rows, &e)) goto fail;
  if (a.v[A_JSON]) cli_print_json(rows);
  else {
    size_t i;
    json_t *r;
    if (!json_array_size(rows)) printf("%s\n", L("（没有令牌）", "(no tokens)"));
    json_array_foreach(rows, i, r) {
      json_t *rev = json_object_get(r, "revoked_ms");
      char created[TIME_STR_MAX], t[TIME_STR_MAX], state[TIME_STR_MAX + 24];
      time_format(json_integer_value(json_object_get(r, "created_ms")), CN_OFFSET, created);
      if (json_is_integer(rev)) snprintf(state, sizeof state, "%s %s", L("已吊销", "revoked"), time_format(json_integer_value(rev), CN_OFFSET, t));
      else snprintf(state, sizeof state, "%s", L("有效", "active"));
      printf("#%-5lld %-20s %-20s %s  %s\n", (long long)json_integer_value(json_object_get(r, "id")), json_string_value(json_object_get(r, "username")),
             json_string_value(json_object_get(r, "name")), created, state);
    }
  }
  goto out;
fail:
  rc = cli_fail(&e);
out:
  json_decref(p);
  json_decref(rows);
  store_close(st);
  args_free(&a);
  return rc;
}
