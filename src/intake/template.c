/* template.c — a structured report template in a mail body: labelled lines ("事件类型：勒索软件", "Category: MPRANS")
 * in Chinese or English become a report document (docs/report-format.md) for model_report_submit.
 *
 * The labels are the report items of Measures art. 7 (content.*), the top-level fields and the facts of the rule
 * pack (with the words people write: 影响用户数, 直接经济损失, 中断时长, ...). A label may carry a number or bullet
 * before it and a translation in brackets after it ("3. 事件类型（Category）："). Text items continue on the following
 * lines until the next label; a line "--" (signature) ends the template, quoted lines ("> ...") are skipped.
 * Values are converted where the engine needs a type: times (many written forms; Beijing time unless an offset is
 * given), numbers with 万/亿, durations in 天/小时/分钟, yes/no. A value that cannot be read is passed on as text, so
 * the model's validation names it. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/timeutil.h"
#include "../model/model.h"
#include "intake_int.h"

typedef enum { T_TEXT, T_LINE, T_TIME, T_CATEGORY, T_NUMBER, T_MINUTES, T_PERCENT, T_ENUM, T_BOOL } ttype;

/* key: where the value goes ("facts.x" = under facts, "content.x" implied for art. 7 items, "description" is special). */
static const struct label {
  const char *key;
  ttype type;
  const char *names; /* '|'-separated, compared after normalising (brackets out, lower case) */
} LABELS[] = {
    {"reporting_unit", T_LINE, "单位名称|报告单位|报送单位|事发单位|organisation|organization|reporting unit|reporting organisation|reporting organization"},
    {"contact", T_LINE, "联系人|联系方式|联系电话|填报人|contact|contact person|phone|telephone"},
    {"title", T_LINE, "事件标题|事件名称|标题|title|incident title"},
    {"category", T_CATEGORY, "事件类型|事件分类|事件类别|category|incident category|incident type"},
    {"aware_at", T_TIME, "发现时间|知悉时间|发现或知悉时间|发现/知悉时间|discovered|discovered at|aware at|detected at|time discovered"},
    {"occurred_at", T_TIME, "发生时间|事件发生时间|事件起始时间|occurred|occurred at|started at|start time"},
    {"affected_system", T_TEXT, "受影响系统|受影响的系统|受影响的设施、系统、平台|受影响设施|受影响的设施|affected system|affected systems"},
    {"impact", T_TEXT, "影响|已造成的影响|已造成的影响和危害|影响和危害|危害表象|impact"},
    {"description", T_TEXT, "事件描述|事件经过|事件概况|事件情况|description|details|summary"},
    {"place", T_LINE, "地点|发生地点|事件地点|place|location"},
    {"measures_taken", T_TEXT, "已采取措施|已采取的措施|处置措施|measures taken|actions taken"},
    {"measures_effect", T_TEXT, "措施效果|处置效果|已采取措施的效果|measures effect|effect of measures"},
    {"development", T_TEXT, "发展趋势|事态发展趋势|development|outlook"},
    {"cause", T_TEXT, "原因|初步原因|初步原因分析|cause|root cause"},
    {"attacker", T_TEXT, "攻击者|攻击者信息|attacker"},
    {"attack_path", T_TEXT, "攻击路径|attack path"},
    {"vulnerabilities", T_TEXT, "漏洞|存在的漏洞|vulnerabilities|vulnerability"},
    {"further_measures", T_TEXT, "拟采取措施|拟进一步采取的措施|further measures|next steps"},
    {"support_requested", T_TEXT, "需要的支持|需要支持|所需支持|support requested|support needed"},
    {"scene_preservation", T_TEXT, "现场保护|现场保护情况|事件现场保护情况|scene preservation"},
    {"other", T_TEXT, "其他|其他情况|其他应当报告的情况|备注|other|remarks|notes"},
    {"facts.people_affected", T_NUMBER,
     "影响用户数|受影响用户数|影响人数|受影响人数|工作生活受影响人数|people affected|affected users|users affected|people_affected"},
    {"facts.pi_leaked_persons", T_NUMBER, "个人信息泄露人数|泄露个人信息人数|个人信息泄露涉及人数|泄露人数|personal data leaked|persons leaked|pi_leaked_persons"},
    {"facts.direct_loss_cny", T_NUMBER, "直接经济损失|经济损失|direct loss|direct economic loss|direct_loss_cny"},
    {"facts.cii_outage_min", T_MINUTES,
     "中断时长|系统中断时长|整体中断时长|关键信息基础设施中断时长|关键信息基础设施整体中断运行时长|outage|cii outage|cii_outage_min"},
    {"facts.cii_main_function_outage_min", T_MINUTES, "主要功能中断时长|关键信息基础设施主要功能中断运行时长|main function outage|cii_main_function_outage_min"},
    {"facts.portal_outage_min", T_MINUTES, "网站无法访问时长|门户网站无法访问时长|portal outage|portal_outage_min"},
    {"facts.portal_tier", T_ENUM, "网站级别|portal tier|portal_tier"},
    {"facts.province_population_pct", T_PERCENT, "省级行政区受影响人口比例|全省受影响人口比例|province population affected|province_population_pct"},
    {"facts.city_population_pct", T_PERCENT, "地市级行政区受影响人口比例|全市受影响人口比例|city population affected|city_population_pct"},
    {"facts.data_compromised", T_ENUM, "受影响数据类别|数据类别|data compromised|data_compromised"},
    {"facts.content_homepage_min", T_MINUTES, "首页展示时长|content_homepage_min"},
    {"facts.content_other_page_min", T_MINUTES, "其他页面展示时长|content_other_page_min"},
    {"facts.content_reposts", T_NUMBER, "转发量|content_reposts"},
    {"facts.content_views", T_NUMBER, "浏览量|content_views"},
    {"facts.content_site_tier", T_ENUM, "被篡改网站级别|网站或平台级别|content_site_tier"},
    {"suspected_crime", T_BOOL, "涉嫌犯罪|是否涉嫌犯罪|suspected crime"},
    {"drill", T_BOOL, "演练|是否演练|drill|exercise"},
    {"declared_grade", T_LINE, "申报级别|declared grade"},
    {"declared_reason", T_TEXT, "申报理由|定级理由|declared reason"},
};
#define NLABELS (sizeof LABELS / sizeof LABELS[0])

/* Words of enum facts. */
static const char *const ENUM_WORDS[][2] = {
    {"核心数据", "core"}, {"核心", "core"}, {"重要数据", "important"}, {"重要", "important"}, {"中央重点新闻网站", "central_news"},
    {"重点新闻网站", "key_news"}, {"省级", "provincial"}, {"地市级", "prefecture"}, {"超大型平台", "super_large_platform"},
    {"大型平台", "large_platform"}, {"企业", "enterprise"}, {NULL, NULL}};

/* Skips one UTF-8 character of `s` if it is `c` (a string of one character); returns the bytes skipped. */
static size_t skip_char(const char *s, const char *c) {
  size_t n = strlen(c);
  return strncmp(s, c, n) ? 0 : n;
}

/* The label part of a line normalised into `out`: leading bullets and numbering out, bracketed translations out,
 * ASCII lower case, spaces collapsed. */
static void normalise(const char *s, size_t n, char *out, size_t max) {
  static const char *const bullets[] = {"•", "·", "●", "○", "■", "□", "◆", "▪", "【", "[", "-", "*", "#", "、", ".", "．", ")", "）", "(", "（", NULL};
  static const char *const numerals[] = {"一", "二", "三", "四", "五", "六", "七", "八", "九", "十", NULL};
  static const char *const after_numeral[] = {"、", "．", ".", "）", ")", NULL};
  const char *end = s + n;
  for (;;) { /* "3.", "(3)", "一、", "（二）", "- ", "【": numbering and bullets before the label */
    while (s < end && (isspace((unsigned char)*s) || isdigit((unsigned char)*s))) s++;
    size_t k = 0;
    for (const char *const *b = bullets; *b && !k; b++)
      if ((size_t)(end - s) > strlen(*b)) k = skip_char(s, *b);
    /* Chinese numerals only as numbering ("一、"), never as the start of a label ("一般"). */
    for (const char *const *c = numerals; *c && !k; c++)
      if ((size_t)(end - s) > 3 && skip_char(s, *c))
        for (const char *const *a = after_numeral; *a && !k; a++)
          if (skip_char(s + 3, *a)) k = 3;
    if (!k) break;
    s += k;
  }
  size_t o = 0;
  int depth = 0, space = 0;
  while (s < end && o < max - 1) {
    size_t k;
    if ((k = skip_char(s, "（")) || (k = skip_char(s, "("))) {
      depth++;
      s += k;
      continue;
    }
    if ((k = skip_char(s, "）")) || (k = skip_char(s, ")"))) {
      if (depth) depth--;
      s += k;
      continue;
    }
    if ((k = skip_char(s, "】")) || (k = skip_char(s, "]"))) {
      s += k;
      continue;
    }
    if (depth) {
      s++;
      continue;
    }
    if (isspace((unsigned char)*s)) {
      space = o > 0;
      s++;
      continue;
    }
    if (space && o < max - 2) out[o++] = ' ';
    space = 0;
    out[o++] = (char)tolower((unsigned char)*s++);
  }
  out[o] = 0;
}

static int label_index(const char *norm) {
  if (!*norm) return -1;
  for (size_t i = 0; i < NLABELS; i++) {
    const char *p = LABELS[i].names;
    while (*p) {
      const char *bar = strchr(p, '|');
      size_t n = bar ? (size_t)(bar - p) : strlen(p);
      if (strlen(norm) == n && !strncmp(norm, p, n)) return (int)i;
      p += n + (bar ? 1 : 0);
    }
  }
  return -1;
}

/* A label at the start of `line` (n bytes): returns its index and sets *value to the text after the colon, else -1.
 * "事件类型 / Category：" tries each side of a slash. */
static int find_label(const char *line, size_t n, const char **value) {
  const char *colon = NULL;
  for (size_t i = 0; i < n && i < 90; i++) {
    if (line[i] == ':') {
      colon = line + i;
      *value = colon + 1;
      break;
    }
    if (i + 3 <= n && !strncmp(line + i, "：", 3)) {
      colon = line + i;
      *value = colon + 3;
      break;
    }
  }
  if (!colon) return -1;
  char norm[200];
  normalise(line, (size_t)(colon - line), norm, sizeof norm);
  int idx = label_index(norm);
  if (idx >= 0) return idx;
  char *slash = strchr(norm, '/');
  if (!slash) return -1;
  *slash = 0;
  char a[200], b[200];
  snprintf(a, sizeof a, "%s", norm);
  snprintf(b, sizeof b, "%s", slash + 1);
  for (char *p = a + strlen(a); p > a && p[-1] == ' ';) *--p = 0;
  const char *bs = b;
  while (*bs == ' ') bs++;
  idx = label_index(a);
  return idx >= 0 ? idx : label_index(bs);
}

/* ---- values ---------------------------------------------------------------------------------------------------- */

static char *trim_dup(const char *s, size_t n) {
  while (n && isspace((unsigned char)*s)) s++, n--;
  while (n && isspace((unsigned char)s[n - 1])) n--;
  return strndup(s, n);
}

/* A number with separators and Chinese multipliers ("3万", "1.2亿元", "30,000 人", "超过 5000"): 0 and *out, or -1. */
static int parse_number(const char *s, double *out) {
  while (*s && !isdigit((unsigned char)*s)) s++;
  if (!*s) return -1;
  char digits[64];
  size_t n = 0;
  int dot = 0;
  while (*s && n < sizeof digits - 1) {
    if (isdigit((unsigned char)*s)) digits[n++] = *s;
    else if (*s == '.' && !dot && isdigit((unsigned char)s[1])) dot = 1, digits[n++] = '.';
    else if (*s == ',' && isdigit((unsigned char)s[1])) {
    } else break;
    s++;
  }
  digits[n] = 0;
  double v = strtod(digits, NULL);
  while (*s == ' ') s++;
  if (skip_char(s, "亿")) v *= 1e8;
  else if (skip_char(s, "千万")) v *= 1e7;
  else if (skip_char(s, "百万")) v *= 1e6;
  else if (skip_char(s, "万")) v *= 1e4;
  else if (skip_char(s, "千")) v *= 1e3;
  else if (*s == 'k' || *s == 'K') v *= 1e3;
  else if (!strncasecmp(s, "million", 7)) v *= 1e6;
  *out = v;
  return 0;
}

/* A duration in minutes: "400", "6小时40分钟", "2 h 30 min", "1天". */
static int parse_minutes(const char *s, double *out) {
  static const struct {
    const char *unit;
    double min;
  } units[] = {{"天", 1440}, {"日", 1440}, {"days", 1440}, {"day", 1440}, {"d", 1440},        {"小时", 60}, {"个小时", 60}, {"时", 60},
               {"hours", 60}, {"hour", 60}, {"hrs", 60},   {"hr", 60},    {"h", 60},          {"分钟", 1},  {"分", 1},      {"minutes", 1},
               {"minute", 1}, {"mins", 1},  {"min", 1},    {"m", 1},      {"秒", 1.0 / 60},   {"seconds", 1.0 / 60}, {"s", 1.0 / 60}, {NULL, 0}};
  double total = 0;
  int any = 0;
  while (*s) {
    if (!isdigit((unsigned char)*s)) {
      s++;
      continue;
    }
    char *end;
    double v = strtod(s, &end);
    s = end;
    while (*s == ' ') s++;
    double f = 1;
    for (int i = 0; units[i].unit; i++) {
      size_t n = strlen(units[i].unit);
      if (!strncasecmp(s, units[i].unit, n)) {
        f = units[i].min;
        s += n;
        break;
      }
    }
    total += v * f;
    any = 1;
  }
  if (!any) return -1;
  *out = total;
  return 0;
}

/* A time as RFC 3339 (+08:00 unless the text gives an offset or says UTC): "2026-11-21 09:30", "2026年11月21日9时30分",
 * "2026/11/21 09:30:15", RFC 3339 itself. NULL when it is none of these. */
static char *parse_time(const char *v) {
  int64_t ms;
  char buf[TIME_STR_MAX];
  if (!time_parse_rfc3339(v, &ms, NULL)) return strdup(time_format(ms, 480, buf));
  long g[6] = {0};
  int n = 0, offset = 480;
  const char *s = v;
  while (*s && n < 6) {
    if (isdigit((unsigned char)*s)) {
      char *end;
      g[n++] = strtol(s, &end, 10);
      s = end;
      continue;
    }
    if (n >= 3 && (*s == '+' || (*s == '-' && n >= 4))) {
      if (time_parse_offset(s, &offset)) return NULL;
      break;
    }
    if (n >= 3 && (*s == 'Z' || !strncasecmp(s, "UTC", 3) || !strncasecmp(s, "GMT", 3))) {
      offset = 0;
      break;
    }
    s++;
  }
  /* An offset after the numbers ("... +08:00") ends the scan above; otherwise look for one after six numbers. */
  if (n == 6 && *s) {
    while (*s && isspace((unsigned char)*s)) s++;
    if ((*s == '+' || *s == '-') && time_parse_offset(s, &offset)) return NULL;
    if (*s == 'Z' || !strncasecmp(s, "UTC", 3)) offset = 0;
  }
  if (n < 3 || g[0] < 1970 || g[0] > 2200 || g[1] < 1 || g[1] > 12 || g[2] < 1 || g[2] > 31 || g[3] > 23 || g[4] > 59 || g[5] > 60) return NULL;
  ms = (time_days_from_civil(g[0], (unsigned)g[1], (unsigned)g[2]) * 86400 + g[3] * 3600 + g[4] * 60 + g[5]) * 1000 - (int64_t)offset * 60000;
  return strdup(time_format(ms, 480, buf));
}

static json_t *parse_bool(const char *v) {
  static const char *const yes[] = {"是", "yes", "y", "true", "有", "涉嫌", "1", NULL}, *const no[] = {"否", "no", "n", "false", "无", "不涉嫌", "0", NULL};
  for (const char *const *w = no; *w; w++)
    if (!strcasecmp(v, *w)) return json_false();
  for (const char *const *w = yes; *w; w++)
    if (!strcasecmp(v, *w)) return json_true();
  return json_string(v);
}

/* The category code for what people write: a code, a 2023 or 2007 name, the name without "事件", "名称（CODE）". */
static char *resolve_category(const rules_set *rs, const char *v) {
  char try_[6][160];
  int n = 0;
  snprintf(try_[n++], sizeof try_[0], "%s", v);
  snprintf(try_[n++], sizeof try_[0], "%s事件", v);
  const char *open = strstr(v, "（"), *open2 = strchr(v, '(');
  size_t ol = 3;
  if (!open || (open2 && open2 < open)) open = open2, ol = 1;
  if (open) {
    snprintf(try_[n++], sizeof try_[0], "%.*s", (int)(open - v), v);
    const char *in = open + ol;
    size_t k = 0;
    while (in[k] && in[k] != ')' && strncmp(in + k, "）", 3)) k++;
    snprintf(try_[n++], sizeof try_[0], "%.*s", (int)k, in);
  }
  for (int i = 0; i < n; i++) {
    char *t = trim_dup(try_[i], strlen(try_[i]));
    json_t *c = t && *t ? rules_category(rs, t) : NULL;
    free(t);
    if (c) {
      char *code = strdup(json_string_value(json_object_get(c, "code")));
      json_decref(c);
      return code;
    }
  }
  return NULL;
}

/* Puts `v` (taken) at `key` of doc: "facts.x" under facts, art. 7 items under content, the rest at top level. */
static void put(json_t *doc, const char *key, json_t *v) {
  static const char *const top[] = {"title", "category", "aware_at", "occurred_at", "suspected_crime", "drill", "declared_grade", "declared_reason", NULL};
  if (!strncmp(key, "facts.", 6)) {
    json_t *f = json_object_get(doc, "facts");
    if (!f) json_object_set_new(doc, "facts", f = json_object());
    json_object_set_new(f, key + 6, v);
    return;
  }
  for (const char *const *t = top; *t; t++)
    if (!strcmp(key, *t)) {
      json_object_set_new(doc, key, v);
      return;
    }
  json_object_set_new(json_object_get(doc, "content"), key, v);
}

static json_t *number_json(double d) {
  if (d >= 0 && d < 9e15 && d == (double)(long long)d) return json_integer((json_int_t)d);
  return json_real(d);
}

json_t *intake_template(const rules_set *rs, const char *text, const char *subject) {
  char *val[NLABELS] = {0};
  int found = 0, cur = -1;
  const char *p = text;
  while (*p) {
    const char *eol = strchr(p, '\n');
    size_t n = eol ? (size_t)(eol - p) : strlen(p);
    const char *next = p + n + (eol ? 1 : 0);
    char *line = trim_dup(p, n);
    p = next;
    if (!line) break;
    if (!strcmp(line, "--")) { /* a signature ("-- "): the template ends */
      free(line);
      break;
    }
    if (line[0] == '>') {
      free(line);
      continue;
    }
    const char *value = NULL;
    int idx = find_label(line, strlen(line), &value);
    if (idx >= 0) {
      char *v = trim_dup(value, strlen(value));
      if (!val[idx]) {
        found++;
        val[idx] = v;
      } else if (LABELS[idx].type == T_TEXT || !strcmp(LABELS[idx].key, "contact")) { /* said twice: both kept */
        size_t a = strlen(val[idx]), b = strlen(v);
        char *t = realloc(val[idx], a + b + 2);
        if (t) {
          t[a] = LABELS[idx].type == T_TEXT ? '\n' : ' ';
          memcpy(t + a + 1, v, b + 1);
          val[idx] = t;
        }
        free(v);
      } else free(v);
      cur = idx;
    } else if (cur >= 0 && LABELS[cur].type == T_TEXT) { /* a text item goes on until the next label */
      size_t a = strlen(val[cur]), b = strlen(line);
      if (a + b + 2 <= MODEL_ITEM_MAX + 2) {
        char *t = realloc(val[cur], a + b + 2);
        if (t) {
          if (a) t[a++] = '\n';
          memcpy(t + a, line, b + 1);
          val[cur] = t;
        }
      }
    } else if (line[0]) {
      cur = -1; /* free text between labelled lines belongs to no item */
    }
    free(line);
  }
  if (found < INTAKE_TEMPLATE_MIN) {
    for (size_t i = 0; i < NLABELS; i++) free(val[i]);
    return NULL;
  }
  json_t *doc = json_object();
  json_object_set_new(doc, "content", json_object());
  char *description = NULL;
  for (size_t i = 0; i < NLABELS; i++) {
    char *v = val[i];
    if (!v) continue;
    /* Blank lines a text item collected at its end. */
    for (size_t l = strlen(v); l && isspace((unsigned char)v[l - 1]);) v[--l] = 0;
    if (!*v) continue;
    intake_utf8_cut(v, MODEL_ITEM_MAX);
    const char *key = LABELS[i].key;
    double d;
    switch (LABELS[i].type) {
    case T_TIME: {
      char *t = parse_time(v);
      put(doc, key, json_string(t ? t : v));
      free(t);
      break;
    }
    case T_CATEGORY: {
      char *c = resolve_category(rs, v);
      put(doc, key, json_string(c ? c : v));
      free(c);
      break;
    }
    case T_NUMBER:
    case T_PERCENT: put(doc, key, parse_number(v, &d) ? json_string(v) : number_json(d)); break;
    case T_MINUTES: put(doc, key, parse_minutes(v, &d) ? json_string(v) : number_json(d)); break;
    case T_BOOL: put(doc, key, parse_bool(v)); break;
    case T_ENUM: {
      const char *w = NULL;
      for (int k = 0; ENUM_WORDS[k][0] && !w; k++)
        if (strstr(v, ENUM_WORDS[k][0])) w = ENUM_WORDS[k][1];
      put(doc, key, json_string(w ? w : v));
      break;
    }
    case T_LINE:
    case T_TEXT:
      if (!strcmp(key, "description")) description = strdup(v);
      else if (!strcmp(key, "title")) {
        intake_utf8_cut(v, MODEL_TITLE_MAX);
        put(doc, key, json_string(v));
      } else put(doc, key, json_string(v));
      break;
    }
  }
  /* The description is what happened: the impact item when none was given separately, else part of "other". */
  json_t *content = json_object_get(doc, "content");
  if (description) {
    if (!json_object_get(content, "impact")) json_object_set_new(content, "impact", json_string(description));
    else {
      const char *o = json_string_value(json_object_get(content, "other"));
      size_t need = strlen(description) + (o ? strlen(o) : 0) + 32;
      char *t = malloc(need);
      if (t) {
        snprintf(t, need, "事件描述：%s%s%s", description, o ? "\n" : "", o ? o : "");
        intake_utf8_cut(t, MODEL_ITEM_MAX);
        json_object_set_new(content, "other", json_string(t));
        free(t);
      }
    }
    free(description);
  }
  if (!json_object_get(doc, "title") && subject && *subject) {
    char *t = strdup(subject);
    if (t) {
      intake_utf8_cut(t, MODEL_TITLE_MAX);
      json_object_set_new(doc, "title", json_string(t));
      free(t);
    }
  }
  for (size_t i = 0; i < NLABELS; i++) free(val[i]);
  return doc;
}
