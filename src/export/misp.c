/* misp.c — MISP events: one Event per incident ({"response":[{"Event":...}, ...]} for a selection, a bare
 * {"Event":...} for one incident), with the receipt number, category, grade and description as attributes, the
 * indicators of the report as to_ids attributes, and tags: rsit (ENISA reference incident taxonomy, data/rsit-map.json),
 * tlp:amber, and cirs:grade / cirs:category. Uuids are UUID v5 like the STIX ids (the organisation's is the same). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/timeutil.h"
#include "export_int.h"

static int misp_begin(ex *x) { return x->q->incident ? 0 : ex_puts(x, "{\"response\":["); }

static json_t *tag(const char *name) { return json_pack("{s:s}", "name", name); }

/* MISP's threat level: 1 high, 2 medium, 3 low, 4 undefined. */
static const char *threat_level(const char *grade) {
  if (!grade) return "4";
  if (!strcmp(grade, "特别重大") || !strcmp(grade, "重大")) return "1";
  if (!strcmp(grade, "较大")) return "2";
  if (!strcmp(grade, "一般")) return "3";
  return "4";
}

static void attr(json_t *list, const char *event_uuid, const char *type, const char *category, const char *value, int to_ids,
                 const char *comment, const char *ts) {
  char name[EXPORT_IOC_LEN_MAX + 128], u[37];
  snprintf(name, sizeof name, "misp-attribute:%s:%s:%.*s", event_uuid, type, EXPORT_IOC_LEN_MAX, value);
  export_uuid5(NULL, name, u);
  json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:b}", "uuid", u, "type", type, "category", category, "value", value, "to_ids",
                        to_ids, "distribution", "5", "timestamp", ts, "disable_correlation", !to_ids);
  if (comment) json_object_set_new(a, "comment", json_string(comment));
  json_array_append_new(list, a);
}

static int misp_item(ex *x, const json_t *inc) {
  const json_t *org = ex_org(x, json_string_value(json_object_get(inc, "organisation")));
  if (!org) return -1;
  char key[200], name[300], ev_uuid[37], org_uuid[37], ts[24], date[TIME_STR_MAX], info[MODEL_TITLE_MAX + 80];
  ex_incident_key(inc, key, sizeof key);
  snprintf(name, sizeof name, "incident:%s", key);
  export_uuid5(NULL, name, ev_uuid); /* the same uuid as the STIX incident */
  snprintf(name, sizeof name, "organisation:%s", json_string_value(json_object_get(org, "code")));
  export_uuid5(NULL, name, org_uuid);
  int64_t updated = json_integer_value(json_object_get(inc, "updated_ms"));
  snprintf(ts, sizeof ts, "%lld", (long long)(updated / 1000));
  time_format(json_integer_value(json_object_get(inc, "aware_ms")), EX_CN_OFFSET, date);
  date[10] = 0; /* YYYY-MM-DD, the day in Beijing */
  const char *status = json_string_value(json_object_get(inc, "status")), *grade = json_string_value(json_object_get(inc, "grade"));
  const char *category = json_string_value(json_object_get(inc, "category"));
  int drill = json_integer_value(json_object_get(inc, "drill")) == 1;
  snprintf(info, sizeof info, "%s[%s] %s", drill ? "【演练 DRILL】" : "", json_string_value(json_object_get(inc, "ref")),
           json_string_value(json_object_get(inc, "title")));

  json_t *attrs = json_array();
  attr(attrs, ev_uuid, "text", "Other", json_string_value(json_object_get(inc, "ref")), 0, "CIRS 受理编号 (receipt number)", ts);
  attr(attrs, ev_uuid, "text", "Other", category, 0, "GB/T 20986-2023 事件类别 (incident category)", ts);
  attr(attrs, ev_uuid, "text", "Other", grade, 0, "事件级别 (grade under the Measures' grading guide)", ts);
  char *desc = ex_description(inc);
  attr(attrs, ev_uuid, "comment", "Other", desc, 0, "事件描述 (description from the report)", ts);
  free(desc);
  json_t *iocs = ex_incident_iocs(inc), *ioc;
  size_t i;
  json_array_foreach(iocs, i, ioc) {
    const char *t = json_string_value(json_object_get(ioc, "type")), *v = json_string_value(json_object_get(ioc, "value"));
    if (!strcmp(t, "ipv4"))
      attr(attrs, ev_uuid, "ip-src", "Network activity", v, 1, "报告中的攻击者地址 (attacker address from the report)", ts);
    else if (!strcmp(t, "url"))
      attr(attrs, ev_uuid, "url", "Network activity", v, 1, NULL, ts);
    else
      attr(attrs, ev_uuid, t, "Payload delivery", v, 1, NULL, ts);
  }
  json_decref(iocs);

  json_t *tags = json_array(), *rsit = export_rsit_tags(category, drill), *t;
  json_array_foreach(rsit, i, t) json_array_append_new(tags, tag(json_string_value(t)));
  json_decref(rsit);
  json_array_append_new(tags, tag("tlp:amber"));
  char ctag[160];
  snprintf(ctag, sizeof ctag, "cirs:grade=\"%s\"", grade ? grade : "");
  json_array_append_new(tags, tag(ctag));
  snprintf(ctag, sizeof ctag, "cirs:category=\"%s\"", category ? category : "");
  json_array_append_new(tags, tag(ctag));

  char count[24];
  snprintf(count, sizeof count, "%zu", json_array_size(attrs));
  json_t *ev = json_pack(
      "{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:{s:s, s:s}, s:o, s:o}}", "Event", "uuid", ev_uuid, "info", info, "date",
      date, "threat_level_id", threat_level(grade), "analysis", status && !strcmp(status, "closed") ? "2" : "1", "distribution", "0",
      "timestamp", ts, "published", 0, "publish_timestamp", "0", "attribute_count", count, "event_creator_email",
      json_string_value(json_object_get(org, "contact_email")) ? json_string_value(json_object_get(org, "contact_email")) : "", "Orgc",
      "name", json_string_value(json_object_get(org, "name")), "uuid", org_uuid, "Attribute", attrs, "Tag", tags);
  if (!ev) return err_set(x->e, "internal", "", "misp event");
  int rc = (x->items ? ex_puts(x, ",\n") : 0) || ex_dump(x, ev);
  json_decref(ev);
  if (rc) return -1;
  x->items++;
  return 0;
}

static int misp_end(ex *x) { return ex_puts(x, x->q->incident ? "\n" : "\n]}\n"); }

const ex_format ex_misp = {misp_begin, misp_item, misp_end};
