/* abuse.c — abuse reports by mail become tips: ARF (RFC 5965 multipart/report; report-type=feedback-report),
 * X-ARF (v0.2 and v3 "PLAIN": a YAML report.txt part; v3 and v4: a JSON report), and CSV feeds (a text/csv
 * attachment with an IP column and a report-type column, as AbuseHub and Shadowserver send). The tip carries the human text,
 * a GB/T 20986-2023 category where the report type maps to one, the observed time, the reporter's address, the
 * reported URL, and every field of the report under "abuse". */
#include <ctype.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/csv.h"
#include "../common/timeutil.h"
#include "intake_int.h"

#define ABUSE_DOC_MAX (64 * 1024) /* an X-ARF JSON document kept whole up to this size; larger: its scalar fields only */

json_t *intake_fields(const char *text) {
  json_t *o = json_object();
  char key[64] = "";
  const char *p = text;
  while (*p) {
    const char *eol = strchr(p, '\n');
    size_t n = eol ? (size_t)(eol - p) : strlen(p);
    if (n && (p[0] == ' ' || p[0] == '\t') && key[0]) { /* a folded line continues the previous value */
      json_t *v = json_object_get(o, key);
      const char *s = p;
      while (s < p + n && isspace((unsigned char)*s)) s++;
      size_t sn = (size_t)(p + n - s);
      while (sn && isspace((unsigned char)s[sn - 1])) sn--;
      if (v && sn) {
        size_t vl = strlen(json_string_value(v));
        char *t = malloc(vl + sn + 2);
        if (t) {
          snprintf(t, vl + sn + 2, "%s %.*s", json_string_value(v), (int)sn, s);
          intake_utf8_cut(t, INTAKE_HEADER_MAX);
          json_object_set_new(o, key, json_string(t));
          free(t);
        }
      }
    } else {
      size_t k = 0;
      while (k < n && k < sizeof key - 1 && (isalnum((unsigned char)p[k]) || p[k] == '-' || p[k] == '_' || p[k] == '.')) k++;
      key[0] = 0;
      if (k && k < n && p[k] == ':' && json_object_size(o) < INTAKE_FIELDS_MAX) {
        for (size_t i = 0; i < k; i++) key[i] = (char)tolower((unsigned char)p[i]);
        key[k] = 0;
        const char *s = p + k + 1;
        while (s < p + n && isspace((unsigned char)*s)) s++;
        size_t sn = (size_t)(p + n - s);
        while (sn && isspace((unsigned char)s[sn - 1])) sn--;
        char *val = strndup(s, sn);
        if (val && sn >= 2 && (val[0] == '"' || val[0] == '\'') && val[sn - 1] == val[0]) { /* YAML quotes */
          memmove(val, val + 1, sn - 2);
          val[sn - 2] = 0;
        }
        if (val && g_utf8_validate(val, -1, NULL)) {
          intake_utf8_cut(val, INTAKE_HEADER_MAX);
          json_t *old = json_object_get(o, key);
          if (old) { /* a repeated field (Reported-URI, Original-Rcpt-To): joined */
            size_t ol = strlen(json_string_value(old)), vl = strlen(val);
            char *t = malloc(ol + vl + 3);
            if (t) {
              snprintf(t, ol + vl + 3, "%s, %s", json_string_value(old), val);
              intake_utf8_cut(t, INTAKE_HEADER_MAX);
              json_object_set_new(o, key, json_string(t));
              free(t);
            }
          } else json_object_set_new(o, key, json_string(val));
        }
        free(val);
      }
    }
    p += n + (eol ? 1 : 0);
  }
  return o;
}

char *intake_date_rfc3339(const char *text) {
  if (!text || !*text) return NULL;
  int64_t ms;
  char buf[TIME_STR_MAX];
  if (!time_parse_rfc3339(text, &ms, NULL)) return strdup(time_format(ms, 480, buf));
  GDateTime *d = g_mime_utils_header_decode_date(text);
  if (!d) return NULL;
  ms = (int64_t)g_date_time_to_unix(d) * 1000;
  g_date_time_unref(d);
  if (ms <= 0) return NULL;
  return strdup(time_format(ms, 480, buf));
}

/* Report types of ARF and X-ARF to GB/T 20986-2023 codes (substring of the normalised type, first match wins). */
static const struct {
  const char *type, *code;
} TYPE_MAP[] = {
    {"phish", "NAPHISH"},      {"ddos", "NADOS"},         {"dos", "NADOS"},          {"botnet", "MPZOMB"},     {"regbot", "ICSPAM"},     {"bot", "MPZOMB"},
    {"scan", "NASCAN"},        {"recon", "NASCAN"},       {"login", "NACRED"},       {"brute", "NACRED"},      {"credential", "NACRED"},
    {"compromised", "NAHACKED"}, {"infected", "NAHACKED"}, {"malware", "MPOTH"},     {"virus", "MPEVIR"},      {"ransom", "MPRANS"},
    {"exploit", "NAEXPLOIT"},  {"injection", "NAEXPLOIT"}, {"cve", "SHEVULN"},       {"vulnerab", "SHEVULN"},  {"openservice", "SHECONFIG"},
    {"open-service", "SHECONFIG"}, {"misconfig", "SHECONFIG"}, {"copyright", "ICRIGHTS"}, {"trademark", "ICRIGHTS"}, {"brand", "ICRIGHTS"},
    {"childabuse", "ICPORN"},  {"csam", "ICPORN"},        {"csem", "ICPORN"},        {"fraud", "ICFRAUD"},     {"spam", "ICSPAM"},
    {"abuse", "ICSPAM"},       {"bulk", "ICSPAM"},        {"harass", "ICOTH"},      {"crawl", "ABACCESS"},
    {"scrap", "ABACCESS"},     {"rpz", "NAOTH"},          {NULL, NULL}};

static const char *map_type(const char *type) {
  if (!type) return NULL;
  char t[64];
  snprintf(t, sizeof t, "%s", type);
  for (char *p = t; *p; p++) *p = (char)tolower((unsigned char)*p);
  for (int i = 0; TYPE_MAP[i].type; i++)
    if (strstr(t, TYPE_MAP[i].type)) return TYPE_MAP[i].code;
  return NULL;
}

static const char *sget(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* A field of a JSON object as text (strings as they are, numbers printed), or NULL. */
static char *scalar(const json_t *v) {
  if (json_is_string(v)) return strdup(json_string_value(v));
  if (json_is_integer(v)) {
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)json_integer_value(v));
    return strdup(b);
  }
  return NULL;
}

static void set_str(json_t *o, const char *k, const char *v, size_t max) {
  if (!v || !*v) return;
  char *d = strdup(v);
  if (!d) return;
  intake_utf8_cut(d, max);
  json_object_set_new(o, k, json_string(d));
  free(d);
}

/* The first cell of `row` (an object of column -> value) under one of `names`, or NULL. */
static const char *column(const json_t *row, const char *const *names) {
  for (; *names; names++) {
    const char *v = json_string_value(json_object_get(row, *names));
    if (v && *v) return v;
  }
  return NULL;
}

static const char *const FEED_IP[] = {"src_ip", "source_ip", "ip", NULL};
static const char *const FEED_TYPE[] = {"report_type", "type", "category", "infection_type", "infection", "tag", NULL};

/* A CSV abuse feed attached to the mail: {"columns": [...], "rows": N, "fields": [first rows as objects]}, or NULL
 * when no text/csv attachment has an IP column and a type column in its header. */
static json_t *csv_feed(const intake_msg *m) {
  for (size_t a = 0; a < m->natt; a++) {
    const intake_att *at = &m->att[a];
    const char *fn = at->filename;
    size_t fl = fn ? strlen(fn) : 0;
    if (strcmp(at->content_type, "text/csv") && !(fl > 4 && !strcasecmp(fn + fl - 4, ".csv"))) continue;
    const char *t = (const char *)at->data;
    size_t n = at->size, pos = 0;
    if (n >= 3 && !memcmp(t, "\xEF\xBB\xBF", 3)) pos = 3; /* a BOM */
    long long line = 0;
    csv_rec r = {0};
    if (csv_next(t, n, &pos, &line, INTAKE_HEADER_MAX, &r) <= 0 || r.err[0] || r.n < 2 || r.n > INTAKE_FIELDS_MAX) {
      csv_rec_free(&r);
      continue;
    }
    json_t *cols = json_array();
    for (size_t i = 0; i < r.n; i++) {
      for (char *p = r.cells[i]; *p; p++) *p = (char)tolower((unsigned char)*p);
      json_t *name = json_string(r.cells[i]);
      json_array_append_new(cols, name ? name : json_string("")); /* a name that is not UTF-8 matches nothing */
    }
    json_t *probe = json_object();
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c) json_object_set_new(probe, json_string_value(c), json_string("x"));
    int fits = column(probe, FEED_IP) && column(probe, FEED_TYPE);
    json_decref(probe);
    if (!fits) {
      json_decref(cols);
      csv_rec_free(&r);
      continue;
    }
    json_t *rows = json_array();
    long long count = 0;
    int rc;
    while ((rc = csv_next(t, n, &pos, &line, INTAKE_HEADER_MAX, &r)) > 0) {
      if (r.n == 1 && !r.cells[0][0]) continue; /* a blank line */
      count++;
      if (json_array_size(rows) >= INTAKE_FEED_ROWS_MAX) continue;
      json_t *o = json_object();
      for (size_t k = 0; k < r.n && k < json_array_size(cols); k++) {
        if (!r.cells[k][0]) continue;
        intake_utf8_cut(r.cells[k], INTAKE_HEADER_MAX);
        json_t *v = json_string(r.cells[k]); /* NULL for text that is not UTF-8 */
        if (v) json_object_set_new(o, json_string_value(json_array_get(cols, k)), v);
      }
      json_array_append_new(rows, o);
    }
    csv_rec_free(&r);
    if (rc < 0 || !count) {
      json_decref(cols);
      json_decref(rows);
      continue;
    }
    return json_pack("{s:o, s:I, s:o, s:s?}", "columns", cols, "rows", (json_int_t)count, "fields", rows, "file", fn);
  }
  return NULL;
}

json_t *intake_abuse_tip(const intake_msg *m) {
  json_t *feed = m->arf || m->xarf ? NULL : csv_feed(m);
  if (!m->arf && !m->xarf && !feed) return NULL;
  json_t *abuse = json_object();
  const char *type = NULL, *when = NULL, *url = NULL;
  char *source = NULL, *reporter = NULL, when_buf[64] = "";
  const char *format = m->arf ? "ARF" : m->xarf ? "X-ARF" : "CSV";
  if (feed) {
    /* A feed: the first row speaks for the report (its type, source and time); every row kept is under fields. */
    static const char *const reporters[] = {"reliable_notifier", "reporter", "notifier", "feed", NULL};
    static const char *const dates[] = {"event_date", "date", NULL}, *const times[] = {"event_time", "time", NULL};
    static const char *const stamps[] = {"timestamp", "first_seen", "event_datetime", NULL};
    json_t *first = json_array_get(json_object_get(feed, "fields"), 0);
    json_object_set_new(abuse, "format", json_string("csv"));
    json_object_set(abuse, "fields", json_object_get(feed, "fields"));
    json_object_set(abuse, "columns", json_object_get(feed, "columns"));
    json_object_set(abuse, "rows", json_object_get(feed, "rows"));
    if (json_object_get(feed, "file")) json_object_set(abuse, "file", json_object_get(feed, "file"));
    type = column(first, FEED_TYPE);
    source = column(first, FEED_IP) ? strdup(column(first, FEED_IP)) : NULL;
    reporter = column(first, reporters) ? strdup(column(first, reporters)) : NULL;
    url = column(first, (const char *const[]){"url", "src_url", "http_url", NULL});
    if (column(first, stamps)) when = column(first, stamps);
    else if (column(first, dates)) {
      /* "2015-03-02" and "01:45:59": UTC, as these feeds give it */
      snprintf(when_buf, sizeof when_buf, "%.20sT%.20sZ", column(first, dates), column(first, times) ? column(first, times) : "00:00:00");
      when = when_buf;
    }
  } else if (m->arf) {
    /* RFC 5965 §3.1-3.2: Feedback-Type, User-Agent, Version; optional Arrival-Date, Source-IP, Reported-Domain,
     * Reported-URI, Original-Mail-From, Original-Rcpt-To, Incidents, ... (Received-Date: an older draft's name). */
    json_object_set_new(abuse, "format", json_string("arf"));
    type = sget(m->arf, "feedback-type");
    when = sget(m->arf, "arrival-date") ? sget(m->arf, "arrival-date") : sget(m->arf, "received-date");
    url = sget(m->arf, "reported-uri");
    source = sget(m->arf, "source-ip") ? strdup(sget(m->arf, "source-ip")) : NULL;
    reporter = sget(m->arf, "user-agent") ? strdup(sget(m->arf, "user-agent")) : NULL;
    json_object_set(abuse, "fields", m->arf);
  } else {
    json_t *x = m->xarf;
    json_object_set_new(abuse, "format", json_string("x-arf"));
    if (!strcmp(m->xarf_format, "yaml")) { /* v0.2 / v3 PLAIN: Report-Type, Source, Source-Type, Date, Reported-From, ... */
      json_object_set_new(abuse, "version", json_string(sget(x, "version") ? sget(x, "version") : "0.2"));
      type = sget(x, "report-type") ? sget(x, "report-type") : sget(x, "category");
      when = sget(x, "date");
      source = sget(x, "source") ? strdup(sget(x, "source")) : NULL;
      reporter = sget(x, "reported-from") ? strdup(sget(x, "reported-from")) : NULL;
      if (sget(x, "source-type") && !strcmp(sget(x, "source-type"), "uri")) url = sget(x, "source");
    } else if (json_object_get(x, "xarf_version")) { /* v4 JSON */
      json_object_set_new(abuse, "version", json_string(sget(x, "xarf_version") ? sget(x, "xarf_version") : "4"));
      type = sget(x, "type") ? sget(x, "type") : sget(x, "category");
      when = sget(x, "timestamp") ? sget(x, "timestamp") : sget(x, "first_seen");
      source = scalar(json_object_get(x, "source_identifier"));
      json_t *r = json_object_get(x, "reporter");
      reporter = scalar(json_object_get(r, "org"));
      if (!reporter) reporter = scalar(json_object_get(r, "contact"));
      url = sget(x, "url");
      if (!url && source && !strncmp(source, "http", 4)) url = source;
    } else { /* v3 JSON: Version, ReporterInfo, Report {ReportClass, ReportType, Date, SourceIp, Url, ...} */
      json_t *r = json_object_get(x, "Report");
      json_object_set_new(abuse, "version", json_string("3"));
      type = sget(r, "ReportType") ? sget(r, "ReportType") : sget(r, "ReportClass");
      when = sget(r, "Date");
      source = scalar(json_object_get(r, "SourceIp"));
      if (!source) source = scalar(json_object_get(r, "Source"));
      reporter = scalar(json_object_get(json_object_get(x, "ReporterInfo"), "ReporterOrg"));
      url = sget(r, "Url");
    }
    char *dump = json_dumps(x, JSON_COMPACT);
    if (dump && strlen(dump) <= ABUSE_DOC_MAX) json_object_set(abuse, "fields", x);
    else { /* a large document (evidence payloads): its scalar top-level fields */
      json_t *f = json_object();
      const char *k;
      json_t *v;
      json_object_foreach(x, k, v) if (!json_is_object(v) && !json_is_array(v)) json_object_set(f, k, v);
      json_object_set_new(abuse, "fields", f);
    }
    free(dump);
  }
  set_str(abuse, "type", type, 100);
  set_str(abuse, "source", source, 200);
  set_str(abuse, "reporter", reporter, 200);
  json_t *tip = json_object();
  /* The human part of the report is the description; reports without one get a summary of their fields. */
  const char *text = m->text;
  char summary[600];
  size_t tl = strlen(text);
  int blank = 1;
  for (size_t i = 0; i < tl; i++)
    if (!isspace((unsigned char)text[i])) blank = 0;
  if (blank || tl < 10) {
    snprintf(summary, sizeof summary, "%s 滥用报告 / abuse report: %s%s%s%s%s", format, type ? type : "unspecified",
             source ? ", source " : "", source ? source : "", m->subject ? " — " : "", m->subject ? m->subject : "");
    text = summary;
  }
  set_str(tip, "description", text, INTAKE_TIP_TEXT_MAX);
  const char *code = map_type(type);
  set_str(tip, "category", code ? code : type, 500);
  char *obs = intake_date_rfc3339(when);
  if (!obs && m->date_ms != INT64_MIN) {
    char buf[TIME_STR_MAX];
    obs = strdup(time_format(m->date_ms, 480, buf));
  }
  set_str(tip, "observed_at", obs, 100);
  free(obs);
  set_str(tip, "contact", m->from_addr, 500);
  set_str(tip, "url", url, 500);
  json_object_set_new(tip, "channel", json_string("email"));
  set_str(tip, "subject", m->subject, INTAKE_HEADER_MAX);
  json_object_set_new(tip, "abuse", abuse);
  free(source);
  free(reporter);
  json_decref(feed);
  return tip;
}
