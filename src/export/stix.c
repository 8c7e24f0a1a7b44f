/* stix.c — the STIX 2.1 bundle: the exporting system's identity, one identity per reporting organisation, and per
 * incident an `incident` SDO with the OASIS incident core extension (determination, investigation status,
 * criticality from the grade, impacted entity counts, and the availability, confidentiality — record counts —,
 * and monetary impacts from the report's facts), the indicators found in the report and their relationships.
 *
 * Ids are UUID v5 of stable names (organisation code, receipt number, pattern), so exporting the same database again
 * gives the same ids; created/modified come from the records (registration, first report, last update). Every object
 * carries TLP:AMBER. The bundle id alone is random (a bundle is a transport, not an object). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_int.h"

#define SYSTEM_IDENTITY_NAME "system:cirs"
#define SYSTEM_CREATED "2025-11-01T00:00:00.000Z" /* the system identity's fixed timestamps (the Measures' entry into force) */

static void stix_id(const char *type, const char *name, char *out, size_t n) {
  char u[37];
  export_uuid5(NULL, name, u);
  snprintf(out, n, "%s--%s", type, u);
}

/* Writes one object (takes it): the separator, then the object. */
static int emit(ex *x, json_t *o) {
  int rc = ex_puts(x, x->items ? ",\n" : "\n") || ex_dump(x, o);
  json_decref(o);
  if (!rc) x->items++;
  return rc ? -1 : 0;
}

static json_t *marking(void) { return json_pack("[s]", EX_TLP_AMBER); }

static int stix_begin(ex *x) {
  unsigned char r[16];
  randombytes_buf(r, sizeof r);
  r[6] = (unsigned char)((r[6] & 0x0F) | 0x40);
  r[8] = (unsigned char)((r[8] & 0x3F) | 0x80);
  char head[120], u[37];
  static const char hex[] = "0123456789abcdef";
  char *w = u;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *w++ = '-';
    *w++ = hex[r[i] >> 4];
    *w++ = hex[r[i] & 15];
  }
  *w = 0;
  snprintf(head, sizeof head, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[", u);
  char id[80];
  stix_id("identity", SYSTEM_IDENTITY_NAME, id, sizeof id);
  /* The exporting system: the bundle is never empty, and derived objects can name their source. */
  json_t *sys =
      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "type", "identity", "spec_version", "2.1", "id", id, "created",
                SYSTEM_CREATED, "modified", SYSTEM_CREATED, "name", "CIRS 网络安全事件报告与应急处置系统", "identity_class", "system",
                "description", "cybersecurity incident reporting and emergency response system (export)", "object_marking_refs", marking());
  return ex_puts(x, head) || emit(x, sys) ? -1 : 0;
}

/* Our sector codes in STIX's industry-sector-ov where one fits; others pass as they are (an open vocabulary). */
static const char *sector_ov(const char *s) {
  static const char *const map[][2] = {
      {"finance", "financial-services"}, {"internet", "technology"},      {"telecom", "telecommunications"}, {"water", "utilities"},
      {"health", "healthcare"},          {"transport", "transportation"}, {"media", "entertainment"},        {NULL, NULL}};
  for (int i = 0; s && map[i][0]; i++)
    if (!strcmp(s, map[i][0])) return map[i][1];
  return s;
}

static int org_identity(ex *x, const json_t *org, char *id, size_t n) {
  char name[MODEL_CODE_MAX + 16], t[EX_TIME_MAX];
  snprintf(name, sizeof name, "organisation:%s", json_string_value(json_object_get(org, "code")));
  stix_id("identity", name, id, n);
  if (json_object_get(x->emitted, id)) return 0;
  json_object_set_new(x->emitted, id, json_true());
  json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:s, s:o}", "type", "identity", "spec_version", "2.1", "id", id, "created",
                        ex_stix_time(json_integer_value(json_object_get(org, "created_ms")), t), "modified", t, "name",
                        json_object_get(org, "name"), "identity_class", "organization", "object_marking_refs", marking());
  const char *sector = sector_ov(json_string_value(json_object_get(org, "sector")));
  if (sector) json_object_set_new(o, "sectors", json_pack("[s]", sector));
  if (json_is_string(json_object_get(org, "contact_email")))
    json_object_set(o, "contact_information", json_object_get(org, "contact_email"));
  if (json_is_string(json_object_get(org, "name_en"))) json_object_set_new(o, "description", json_copy(json_object_get(org, "name_en")));
  json_object_set_new(o, "external_references",
                      json_pack("[{s:s, s:O}]", "source_name", "cirs-organisation", "external_id", json_object_get(org, "code")));
  return emit(x, o);
}

static int criticality(const char *grade) {
  static const struct {
    const char *g;
    int c;
  } m[] = {{"特别重大", 100}, {"重大", 75}, {"较大", 50}, {"一般", 25}};
  for (size_t i = 0; grade && i < sizeof m / sizeof m[0]; i++)
    if (!strcmp(grade, m[i].g)) return m[i].c;
  return 0;
}

static double num(const json_t *facts, const char *k, int *has) {
  json_t *v = json_object_get(facts, k);
  *has = json_is_number(v) && json_number_value(v) >= 0;
  return *has ? json_number_value(v) : 0;
}

/* A JSON number: integral values as integers (record counts must be integers). */
static json_t *jnum(double v) { return v == (double)(json_int_t)v ? json_integer((json_int_t)v) : json_real(v); }

/* The incident core extension (property-extension form, impacts embedded) from the incident and its facts. */
static json_t *core_ext(const json_t *inc, const json_t *facts) {
  const char *status = json_string_value(json_object_get(inc, "status")), *cat = json_string_value(json_object_get(inc, "category"));
  /* A security hazard or abnormal behaviour is not yet an attack that succeeded. */
  int hazard = cat && (!strncmp(cat, "SHE", 3) || !strncmp(cat, "AB", 2));
  json_t *ext =
      json_pack("{s:s, s:s, s:s}", "extension_type", "property-extension", "determination", hazard ? "suspected" : "successful-attempt",
                "investigation_status", status && !strcmp(status, "closed") ? "closed" : "open");
  int c = criticality(json_string_value(json_object_get(inc, "grade")));
  if (c) json_object_set_new(ext, "criticality", json_integer(c));
  int has;
  double v;
  json_t *counts = json_object();
  if ((v = num(facts, "people_affected", &has)), has) json_object_set_new(counts, "individuals", jnum(v));
  if (json_object_size(counts))
    json_object_set_new(ext, "impacted_entity_counts", counts);
  else
    json_decref(counts);

  json_t *avail = json_array();
  static const struct {
    const char *fact, *zh;
    int level;
  } outages[] = {{"cii_outage_min", "关键信息基础设施整体中断运行", 100},
                 {"cii_main_function_outage_min", "关键信息基础设施主要功能中断运行", 50},
                 {"portal_outage_min", "门户网站或重点新闻网站无法访问", 100}};
  for (size_t i = 0; i < sizeof outages / sizeof outages[0]; i++)
    if ((v = num(facts, outages[i].fact, &has)), has) {
      char d[200];
      snprintf(d, sizeof d, "%s %g 分钟 (%s = %g min)", outages[i].zh, v, outages[i].fact, v);
      json_array_append_new(avail, json_pack("{s:i, s:s}", "availability_impact", outages[i].level, "description", d));
    }
  if (json_array_size(avail))
    json_object_set_new(ext, "availability_impacts", avail);
  else
    json_decref(avail);

  json_t *conf = json_array();
  if ((v = num(facts, "pi_leaked_persons", &has)), has)
    json_array_append_new(conf, json_pack("{s:s, s:s, s:o, s:s}", "information_type", "pii", "loss_type", "confirmed-loss", "record_count",
                                          jnum(v), "description", "个人信息泄露涉及人数 (people whose personal information leaked)"));
  const char *data = json_string_value(json_object_get(facts, "data_compromised"));
  if (data)
    json_array_append_new(conf, json_pack("{s:s, s:s, s:s}", "information_type", !strcmp(data, "core") ? "core-data" : "important-data",
                                          "loss_type", "suspected-loss", "description",
                                          !strcmp(data, "core") ? "核心数据遭篡改、泄露、窃取或伪造" : "重要数据遭篡改、泄露、窃取或伪造"));
  if (json_array_size(conf))
    json_object_set_new(ext, "confidentiality_impacts", conf);
  else
    json_decref(conf);

  json_t *money = json_array();
  if ((v = num(facts, "direct_loss_cny", &has)), has)
    json_array_append_new(money, json_pack("{s:s, s:s, s:o, s:o, s:s}", "variety", "direct-loss", "currency", "CNY", "min_amount", jnum(v),
                                           "max_amount", jnum(v), "description", "直接经济损失 (direct economic loss)"));
  json_t *ransom = json_object_get(facts, "ransom");
  json_t *amount = json_object_get(ransom, "amount");
  const char *cur = json_string_value(json_object_get(ransom, "currency"));
  if (json_is_number(amount) && json_number_value(amount) >= 0 && cur && *cur)
    json_array_append_new(money, json_pack("{s:s, s:s, s:o, s:o, s:s}", "variety", "ransom-demand", "currency", cur, "min_amount",
                                           jnum(json_number_value(amount)), "max_amount", jnum(json_number_value(amount)), "description",
                                           "勒索赎金 (ransom demanded)"));
  else if (json_is_object(ransom))
    json_array_append_new(money,
                          json_pack("{s:s, s:s}", "variety", "ransom-demand", "description", "勒索赎金 (ransom demanded; amount unknown)"));
  if (json_array_size(money))
    json_object_set_new(ext, "monetary_impacts", money);
  else
    json_decref(money);
  return ext;
}

/* A STIX pattern string literal: ' and \ escaped. */
static char *pattern_for(const char *type, const char *value) {
  size_t n = strlen(value), cap = 2 * n + 64, len = 0;
  char *q = malloc(2 * n + 1);
  if (!q) return NULL;
  for (const char *p = value; *p; p++) {
    if (*p == '\'' || *p == '\\') q[len++] = '\\';
    q[len++] = *p;
  }
  q[len] = 0;
  char *out = malloc(cap);
  if (out) {
    const char *lhs = !strcmp(type, "ipv4")   ? "ipv4-addr:value"
                      : !strcmp(type, "url")  ? "url:value"
                      : !strcmp(type, "md5")  ? "file:hashes.MD5"
                      : !strcmp(type, "sha1") ? "file:hashes.'SHA-1'"
                                              : "file:hashes.'SHA-256'";
    snprintf(out, cap, "[%s = '%s']", lhs, q);
  }
  free(q);
  return out;
}

static int stix_item(ex *x, const json_t *inc) {
  const json_t *org = ex_org(x, json_string_value(json_object_get(inc, "organisation")));
  if (!org) return -1;
  char org_id[80], inc_id[80], key[200], name[300], t1[EX_TIME_MAX], t2[EX_TIME_MAX];
  if (org_identity(x, org, org_id, sizeof org_id)) return -1;
  ex_incident_key(inc, key, sizeof key);
  snprintf(name, sizeof name, "incident:%s", key);
  stix_id("incident", name, inc_id, sizeof inc_id);
  int64_t created = json_integer_value(json_object_get(inc, "created_ms")),
          updated = json_integer_value(json_object_get(inc, "updated_ms"));
  if (updated < created) updated = created;
  const json_t *content = ex_content(inc), *facts = json_object_get(content, "facts");
  int drill = json_integer_value(json_object_get(inc, "drill")) == 1;
  char *desc = ex_description(inc);
  json_t *labels = export_rsit_tags(json_string_value(json_object_get(inc, "category")), drill);
  char grade[64];
  snprintf(grade, sizeof grade, "grade:%s", json_string_value(json_object_get(inc, "grade")));
  json_array_append_new(labels, json_string(grade));
  if (drill) json_array_append_new(labels, json_string("drill"));
  char title[MODEL_TITLE_MAX + 32];
  snprintf(title, sizeof title, "%s%s", drill ? "【演练 DRILL】" : "", json_string_value(json_object_get(inc, "title")));
  json_t *o =
      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:[{s:s, s:O}, {s:s, s:O}], s:o, s:{s:o}}", "type", "incident",
                "spec_version", "2.1", "id", inc_id, "created", ex_stix_time(created, t1), "modified", ex_stix_time(updated, t2),
                "created_by_ref", org_id, "name", title, "description", desc, "lang", "zh", "labels", labels, "external_references",
                "source_name", "cirs", "external_id", json_object_get(inc, "ref"), "source_name", "gb-t-20986-2023", "external_id",
                json_object_get(inc, "category"), "object_marking_refs", marking(), "extensions", EX_INCIDENT_EXT, core_ext(inc, facts));
  free(desc);
  if (!o) return err_set(x->e, "internal", "", "stix incident");
  if (emit(x, o)) return -1;

  json_t *iocs = ex_incident_iocs(inc);
  size_t i;
  json_t *ioc;
  int rc = 0;
  json_array_foreach(iocs, i, ioc) {
    const char *type = json_string_value(json_object_get(ioc, "type")), *value = json_string_value(json_object_get(ioc, "value"));
    char *pattern = pattern_for(type, value);
    if (!pattern) {
      rc = err_set(x->e, "internal", "", "out of memory");
      break;
    }
    char ind_id[80], rel_id[80], *nm = malloc(strlen(pattern) + strlen(key) + 16);
    if (!nm) {
      free(pattern);
      rc = err_set(x->e, "internal", "", "out of memory");
      break;
    }
    snprintf(nm, strlen(pattern) + strlen(key) + 16, "indicator:%s:%s", key, pattern);
    stix_id("indicator", nm, ind_id, sizeof ind_id);
    snprintf(nm, strlen(pattern) + strlen(key) + 16, "rel:%s", ind_id);
    stix_id("relationship", nm, rel_id, sizeof rel_id);
    free(nm);
    json_t *ind =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:s, s:s, s:s, s:o}", "type", "indicator", "spec_version", "2.1", "id",
                  ind_id, "created", t1, "modified", t2, "created_by_ref", org_id, "name", value, "indicator_types", "malicious-activity",
                  "pattern", pattern, "pattern_type", "stix", "valid_from", t1, "object_marking_refs", marking());
    free(pattern);
    json_t *rel = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "type", "relationship", "spec_version", "2.1", "id",
                            rel_id, "created", t1, "modified", t2, "created_by_ref", org_id, "relationship_type", "related-to",
                            "source_ref", ind_id, "target_ref", inc_id, "object_marking_refs", marking());
    if ((rc = emit(x, ind) || emit(x, rel))) break;
  }
  json_decref(iocs);
  return rc ? -1 : 0;
}

static int stix_end(ex *x) { return ex_puts(x, "\n]}\n"); }

const ex_format ex_stix = {stix_begin, stix_item, stix_end};
