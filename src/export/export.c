/* export.c — the export driver: reads the caller's incidents page by page and hands each one to the format
 * (csv_json.c, stix.c, misp.c), which writes it to the sink at once. See export.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/timeutil.h"
#include "export_int.h"

/* --- shared helpers ------------------------------------------------------------------------------------------ */

int ex_write(ex *x, const char *p, size_t n) { return n ? x->out->write(x->out->ctx, p, n, x->e) : 0; }
int ex_puts(ex *x, const char *s) { return ex_write(x, s, strlen(s)); }

static int dump_cb(const char *p, size_t n, void *data) { return ex_write(data, p, n); }
int ex_dump(ex *x, const json_t *j) {
  int rc = json_dump_callback(j, dump_cb, x, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
  if (rc && !x->e->code[0]) err_set(x->e, "internal", "", "json");
  return rc ? -1 : 0;
}

int ex_flush(ex *x) {
  int rc = ex_write(x, x->buf, x->len);
  x->len = 0;
  return rc;
}

const json_t *ex_org(ex *x, const char *code) {
  json_t *o = json_object_get(x->orgs, code ? code : "");
  if (o) return o;
  if (store_org_get(x->st, code ? code : "", &o, x->e)) return NULL;
  json_object_set_new(x->orgs, code, o);
  return o;
}

const char *ex_stix_time(int64_t ms, char *out) {
  int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000), rem = ms - days * 86400000, y;
  unsigned mo, d;
  time_civil_from_days(days, &y, &mo, &d);
  snprintf(out, EX_TIME_MAX, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, mo, d, (int)(rem / 3600000), (int)(rem / 60000 % 60),
           (int)(rem / 1000 % 60), (int)(rem % 1000));
  return out;
}

const json_t *ex_content(const json_t *inc) {
  const json_t *reps = json_object_get(inc, "reports");
  return json_object_get(json_array_get(reps, json_array_size(reps) - 1), "content");
}

json_t *ex_incident_iocs(const json_t *inc) {
  json_t *out = json_array();
  const char *k;
  json_t *v;
  /* every text item of the latest version (it carries the earlier versions' items forward) */
  json_object_foreach((json_t *)ex_content(inc), k, v) if (json_is_string(v)) export_iocs(json_string_value(v), out, EXPORT_IOC_MAX);
  return out;
}

char *ex_description(const json_t *inc) {
  static const struct {
    const char *key, *zh;
  } parts[] = {{"affected_system", "受影响的设施、系统、平台"},
               {"impact", "已造成的影响和危害"},
               {"measures_taken", "已采取的措施"},
               {"measures_effect", "措施效果"},
               {"cause", "初步原因分析"},
               {"development", "事态发展趋势"}};
  const json_t *c = ex_content(inc);
  char *buf = NULL;
  size_t len = 0, cap = 0;
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    const char *v = json_string_value(json_object_get(c, parts[i].key));
    if (!v || !*v) continue;
    size_t need = len + strlen(parts[i].zh) + strlen(v) + 8;
    if (need > cap) {
      char *b = realloc(buf, cap = need * 2);
      if (!b) break;
      buf = b;
    }
    len += (size_t)snprintf(buf + len, cap - len, "%s%s：%s", len ? "\n" : "", parts[i].zh, v);
  }
  if (!buf) buf = strdup(json_string_value(json_object_get(inc, "title")) ? json_string_value(json_object_get(inc, "title")) : "");
  return buf;
}

void ex_incident_key(const json_t *inc, char *out, size_t n) {
  snprintf(out, n, "%s:%s", json_string_value(json_object_get(inc, "organisation")), json_string_value(json_object_get(inc, "ref")));
}

/* --- formats and names ---------------------------------------------------------------------------------------- */

static const struct {
  const char *name, *content_type, *suffix;
  const ex_format *fmt;
} FORMATS[] = {
    [EXPORT_CSV] = {"csv", "text/csv; charset=utf-8; header=present", "csv", &ex_csv},
    [EXPORT_JSON] = {"json", "application/json; charset=utf-8", "json", &ex_json},
    [EXPORT_STIX] = {"stix", "application/stix+json;version=2.1", "stix.json", &ex_stix},
    [EXPORT_MISP] = {"misp", "application/json; charset=utf-8", "misp.json", &ex_misp},
};

int export_parse_format(const char *s, export_format *f, cirs_err *e) {
  for (size_t i = 0; s && i < sizeof FORMATS / sizeof FORMATS[0]; i++)
    if (!strcmp(s, FORMATS[i].name)) {
      *f = (export_format)i;
      return 0;
    }
  return err_set_msg(e, s ? "bad_value" : "missing_field", "format",
                     L("format 应为 csv、json、stix 或 misp", "format must be csv, json, stix or misp"));
}

int export_parse_what(const char *s, export_what *w, cirs_err *e) {
  if (!s || !strcmp(s, "incidents"))
    *w = EXPORT_INCIDENTS;
  else if (!strcmp(s, "obligations"))
    *w = EXPORT_OBLIGATIONS;
  else
    return err_set_msg(e, "bad_value", "what", L("what 应为 incidents 或 obligations", "what must be incidents or obligations"));
  return 0;
}

const char *export_content_type(export_format f) { return FORMATS[f].content_type; }
const char *export_suffix(export_format f) { return FORMATS[f].suffix; }

json_t *export_openapi_content(void) {
  return json_pack("{s:{s:{s:s, s:s}}, s:{s:{s:s}}, s:{s:{s:s}}}", "text/csv", "schema", "type", "string", "description",
                   "UTF-8 with BOM, RFC 4180, one row per incident or obligation", "application/json", "schema", "type", "object",
                   "application/stix+json;version=2.1", "schema", "type", "object");
}

/* --- the driver ------------------------------------------------------------------------------------------------ */

/* The incident `key` if the caller may see it: *inc, or NULL when visible only through an authority below (direct
 * export). -1 with not_found when invisible. */
static int lookup(ex *x, const char *key, json_t **inc) {
  const export_q *q = x->q;
  *inc = NULL;
  if (store_incident_get(x->st, key, &q->filter.scope, inc, x->e)) {
    if (!strcmp(x->e->code, "not_found")) err_set_msg(x->e, "not_found", "incident", L("事件不存在", "no such incident"));
    return -1;
  }
  if (q->direct_authority && !store_routed_to(x->st, json_integer_value(json_object_get(*inc, "id")), q->direct_authority)) {
    json_decref(*inc);
    *inc = NULL;
  }
  return 0;
}

/* Writes one incident (borrowed) and counts it. */
static int one(ex *x, const ex_format *fmt, const json_t *inc, int64_t *n) {
  const export_q *q = x->q;
  if (q->max_incidents && *n >= q->max_incidents) {
    char m[200];
    snprintf(m, sizeof m,
             L("导出超过 %lld 起事件，请缩小范围（如 from/to），或使用命令行 cirs export",
               "more than %lld incidents; narrow the selection (from/to) or use cirs export"),
             (long long)q->max_incidents);
    return err_set_msg(x->e, "too_large", "", m);
  }
  if (fmt->item(x, inc)) return -1;
  ++*n;
  if (q->seen) q->seen(q->cb_ctx, json_integer_value(json_object_get(inc, "id")));
  if (q->progress && *n % EXPORT_PROGRESS_EVERY == 0) q->progress(q->cb_ctx, *n);
  return 0;
}

int export_run(store *st, const export_q *q, const export_sink *out, int64_t *count, cirs_err *e) {
  ex x = {st, q, out, e, json_object(), json_object(), 0, NULL, 0, 0};
  const ex_format *fmt = FORMATS[q->format].fmt;
  int64_t n = 0;
  json_t *rows = NULL;
  int rc = -1;
  *count = 0;
  if (q->what == EXPORT_OBLIGATIONS && (q->format == EXPORT_STIX || q->format == EXPORT_MISP)) {
    err_set_msg(e, "bad_value", "what", L("what=obligations 只能导出为 csv 或 json", "what=obligations goes with csv or json only"));
    goto out;
  }
  if (q->incident) {
    /* looked up first: an invisible incident is refused before anything is written */
    json_t *inc;
    if (lookup(&x, q->incident, &inc)) goto out;
    if (!inc) {
      err_set_msg(e, "not_found", "incident", L("事件不存在", "no such incident"));
      goto out;
    }
    rc = fmt->begin(&x) || one(&x, fmt, inc, &n) ? -1 : 0;
    json_decref(inc);
    if (rc) goto out;
    rc = -1;
  } else {
    if (fmt->begin(&x)) goto out;
    store_filter f = q->filter;
    f.after_id = 0;
    f.limit = EXPORT_PAGE;
    for (;;) {
      if (store_incident_list(st, &f, &rows, e)) goto out;
      size_t i;
      json_t *r;
      json_array_foreach(rows, i, r) {
        char key[24];
        json_t *inc;
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(r, "id")));
        if (lookup(&x, key, &inc)) goto out;
        int bad = inc && one(&x, fmt, inc, &n);
        json_decref(inc);
        if (bad) goto out;
      }
      size_t got = json_array_size(rows);
      if (got) f.after_id = json_integer_value(json_object_get(json_array_get(rows, got - 1), "id"));
      json_decref(rows);
      rows = NULL;
      if (got < (size_t)f.limit) break;
    }
  }
  if (fmt->end(&x)) goto out;
  *count = q->what == EXPORT_OBLIGATIONS ? x.items : n;
  rc = 0;
out:
  json_decref(rows);
  json_decref(x.orgs);
  json_decref(x.emitted);
  free(x.buf);
  return rc;
}
