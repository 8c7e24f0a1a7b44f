/* commands.c — see commands.h. */
#include "commands.h"
#include "../common/jdump.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/embedded.h"
#include "../common/timeutil.h"
#include "../notify/notify.h"

#define FUTURE_SLACK_MS (5 * 60 * 1000) /* aware_at may be at most this far ahead of our clock */
#define SUBMIT_OFFSET_MIN 480           /* calendar arithmetic and display in Asia/Shanghai */

/* Measures art. 7, items 1-8 (docs/report-format.md gives the Chinese labels). */
const char *const REPORT_ITEMS[] = {
    "reporting_unit", "contact", "affected_system", /* 1 */
    "place", "impact", "measures_taken", "measures_effect", /* 2 (times, type and ransom are top-level / facts) */
    "development",                                 /* 3 */
    "cause",                                       /* 4 */
    "attacker", "attack_path", "vulnerabilities",  /* 5 */
    "further_measures", "support_requested",       /* 6 */
    "scene_preservation",                          /* 7 */
    "other",                                       /* 8 */
    NULL};
/* Items that the initial report must carry (items 1-2; the rest may follow in a supplement). */
static const char *const REQUIRED_ITEMS[] = {"affected_system", "impact", NULL};
static const char *const DOC_KEYS[] = {"title", "aware_at", "occurred_at", "category", "facts", "suspected_crime", "declared_grade",
                                       "declared_reason", "drill", "content", NULL};
static const char *const ASSESS_KEYS[] = {"aware_at", "category", "facts", "suspected_crime", "declared_grade", "declared_reason", NULL};

static const char *jstr_(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static int in_list(const char *s, const char *const *l) {
  for (; *l; l++)
    if (!strcmp(s, *l)) return 1;
  return 0;
}

static _Thread_local int64_t last_event_id;

int model_event_add(store *st, const char *actor, const char *type, const char *entity, int64_t id, json_t *payload, cirs_err *e) {
  model_event ev = {0, time_now_ms(), actor, type, entity, id, payload};
  int rc = store_event_append(st, &ev, e);
  json_decref(payload);
  if (!rc) last_event_id = ev.id;
  return rc;
}

int64_t model_last_event_id(void) { return last_event_id; }

const char *model_grade_en(const char *grade) {
  static const char *const g[][2] = {{"特别重大", "especially major"}, {"重大", "major"}, {"较大", "relatively major"}, {"一般", "general"}, {NULL, NULL}};
  for (int i = 0; grade && g[i][0]; i++)
    if (!strcmp(grade, g[i][0])) return g[i][1];
  return grade ? grade : "";
}

json_t *model_notify_vars(const json_t *inc) {
  const char *grade = jstr_(inc, "grade");
  return json_pack("{s:O?, s:O?, s:s, s:s, s:b, s:O?}", "ref", json_object_get(inc, "ref"), "title", json_object_get(inc, "title"), "grade",
                   grade ? grade : "", "grade_en", model_grade_en(grade), "drill", json_is_true(json_object_get(inc, "drill")) ||
                   json_integer_value(json_object_get(inc, "drill")) == 1, "organisation", json_object_get(inc, "organisation_name"));
}
#define event model_event_add

static const char *jstr(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

int model_load_demo(store *st, const char *password, const char *actor, json_t **summary, cirs_err *e) {
  const embedded_file *f = embedded_find("data/demo.json");
  if (!f) return err_set(e, "internal", "", "data/demo.json not embedded");
  json_error_t je;
  json_t *demo = json_loadb((const char *)f->data, f->len, 0, &je);
  if (!demo) return err_set(e, "internal", "", je.text);
  char hash[crypto_pwhash_STRBYTES];
  /* One argon2id hash shared by the demo users (same password); real accounts get their own. */
  if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE)) {
    json_decref(demo);
    return err_set(e, "internal", "", "argon2id: out of memory");
  }
  int rc = store_begin(st, e);
  size_t i, na = 0, no = 0, nu = 0;
  json_t *x;
  json_array_foreach(json_object_get(demo, "authorities"), i, x) {
    if (rc) break;
    model_authority a = {0, jstr(x, "code"), jstr(x, "type"), jstr(x, "name"), jstr(x, "name_en"), jstr(x, "province"),
                         jstr(x, "sector"), jstr(x, "department"), jstr(x, "parent"), jstr(x, "city")};
    rc = store_authority_insert(st, &a, e) || event(st, actor, "authority.created", "authority", a.id, json_deep_copy(x), e);
    na++;
  }
  json_array_foreach(json_object_get(demo, "organisations"), i, x) {
    if (rc) break;
    json_t *kind = json_object_get(x, "kind");
    json_t *kinds = json_is_array(kind) ? json_incref(kind) : json_pack("[O]", kind);
    model_org o = {0, jstr(x, "code"), jstr(x, "name"), jstr(x, "name_en"), kinds, jstr(x, "province"), jstr(x, "sector"),
                   jstr(x, "department"), json_object_get(x, "regimes"), jstr(x, "contact_email"), jstr(x, "city")};
    rc = store_org_insert(st, &o, e) || event(st, actor, "organisation.created", "organisation", o.id, json_deep_copy(x), e);
    json_decref(kinds);
    no++;
  }
  json_array_foreach(json_object_get(demo, "users"), i, x) {
    if (rc) break;
    model_user u = {0, jstr(x, "username"), jstr(x, "name"), jstr(x, "role"), jstr(x, "organisation"), jstr(x, "authority"),
                    jstr(x, "email"), hash};
    rc = store_user_insert(st, &u, e) || event(st, actor, "user.created", "user", u.id, json_deep_copy(x), e);
    nu++;
  }
  /* Duty contact lists (seed 002 appendix 8.4 for the Jincheng command office). */
  const char *code;
  size_t nc = 0;
  json_object_foreach(json_object_get(demo, "contacts"), code, x) {
    if (rc || *code == '_') continue;
    json_t *auth = NULL;
    rc = model_contacts_check(x, e) || store_authority_get(st, code, &auth, e) ||
         store_contacts_replace(st, json_integer_value(json_object_get(auth, "id")), x, actor, time_now_ms(), e);
    json_decref(auth);
    nc += json_array_size(x);
  }
  if (!rc) rc = store_commit(st, e);
  if (rc) store_rollback(st);
  else *summary = json_pack("{s:I, s:I, s:I, s:I}", "authorities", (json_int_t)na, "organisations", (json_int_t)no, "users", (json_int_t)nu, "contacts",
                            (json_int_t)nc);
  json_decref(demo);
  return rc ? -1 : 0;
}

int model_check_content(const json_t *c, cirs_err *e) {
  if (!c) return err_set(e, "missing_field", "content", "content");
  if (!json_is_object(c)) return err_set(e, "wrong_type", "content", L("应为对象", "object expected"));
  char field[ERR_FIELD_MAX];
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)c, k, v) {
    snprintf(field, sizeof field, "content.%s", k);
    if (!in_list(k, REPORT_ITEMS)) return err_set(e, "unknown_field", field, field);
    if (json_is_null(v)) continue; /* null: the item is not given (in a follow-up: unchanged) */
    if (!json_is_string(v)) return err_set(e, "wrong_type", field, L("应为字符串", "string expected"));
    if (json_string_length(v) > MODEL_ITEM_MAX) return err_set(e, "too_large", field, "20000");
  }
  return 0;
}

/* Checks the document's own fields (the assessment checks the rest). */
static int check_doc(const json_t *doc, int64_t now, cirs_err *e) {
  if (!json_is_object(doc)) return err_set(e, "wrong_type", "", L("报告文件应为 JSON 对象", "a report document must be a JSON object"));
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)doc, k, v) if (!in_list(k, DOC_KEYS)) return err_set(e, "unknown_field", k, k);
  json_t *t = json_object_get(doc, "title");
  if (!t) return err_set(e, "missing_field", "title", "title");
  if (!json_is_string(t) || json_string_length(t) == 0) return err_set(e, "wrong_type", "title", L("应为非空字符串", "non-empty string expected"));
  if (json_string_length(t) > MODEL_TITLE_MAX) return err_set(e, "too_large", "title", "200");
  json_t *a = json_object_get(doc, "aware_at");
  int64_t ms;
  if (json_is_string(a) && !time_parse_rfc3339(json_string_value(a), &ms, NULL) && ms > now + FUTURE_SLACK_MS)
    return err_set_msg(e, "bad_time", "aware_at", L("发现时间不能晚于当前时间", "awareness time lies in the future"));
  json_t *o = json_object_get(doc, "occurred_at");
  if (o && !json_is_null(o)) {
    int64_t oms;
    if (!json_is_string(o) || time_parse_rfc3339(json_string_value(o), &oms, NULL))
      return err_set(e, "bad_time", "occurred_at", json_is_string(o) ? json_string_value(o) : "?");
    if (json_is_string(a) && !time_parse_rfc3339(json_string_value(a), &ms, NULL) && oms > ms)
      return err_set_msg(e, "bad_time", "occurred_at", L("发生时间不能晚于发现时间", "occurrence cannot be after awareness"));
  }
  json_t *d = json_object_get(doc, "drill");
  if (d && !json_is_boolean(d)) return err_set(e, "wrong_type", "drill", L("应为 true 或 false", "true or false expected"));
  json_t *c = json_object_get(doc, "content");
  if (model_check_content(c, e)) return -1;
  char field[ERR_FIELD_MAX];
  for (const char *const *r = REQUIRED_ITEMS; *r; r++) {
    json_t *x = json_object_get(c, *r);
    if (!json_is_string(x) || json_string_length(x) == 0) {
      snprintf(field, sizeof field, "content.%s", *r);
      return err_set(e, "missing_field", field, L("初报须包含第七条第（一）（二）项", "an initial report needs items 1 and 2 of art. 7"));
    }
  }
  return 0;
}

/* Resolves the recipients of one obligation to authorities of the organisation's jurisdiction. */
json_t *model_resolve(store *st, const json_t *org, const json_t *to, cirs_err *e) {
  json_t *out = json_array();
  size_t i;
  json_t *r;
  json_array_foreach(to, i, r) {
    char code[MODEL_CODE_MAX];
    int m = store_authority_match(st, json_string_value(r), jstr(org, "province"), jstr(org, "city"), jstr(org, "sector"), jstr(org, "department"), code, e);
    if (m < 0) {
      json_decref(out);
      return NULL;
    }
    json_array_append_new(out, json_pack("{s:O, s:s?}", "recipient", r, "authority", m ? code : NULL));
  }
  return out;
}

int model_route_all(store *st, int64_t incident_id, const json_t *to_authorities, const char *via, int64_t from_authority_id, cirs_err *e) {
  size_t i;
  json_t *x;
  json_array_foreach(to_authorities, i, x) {
    const char *code = jstr(x, "authority");
    if (code && store_route_add(st, incident_id, code, via, from_authority_id, time_now_ms(), e)) return -1;
  }
  return 0;
}

/* The searchable text of an incident: its title, then every text item of the given report contents (malloc'd). */
static char *search_text(const json_t *title, const json_t *contents) {
  size_t cap = 4096, len = 0, i;
  char *text = malloc(cap);
  text[0] = 0;
  json_t *pieces = json_pack("[O]", title), *c, *v;
  const char *k;
  json_array_foreach(contents, i, c) json_object_foreach((json_t *)c, k, v) {
    if (json_is_string(v)) json_array_append(pieces, v);
  }
  json_array_foreach(pieces, i, v) {
    size_t n = json_string_length(v);
    if (len + n + 2 > cap) text = realloc(text, cap = 2 * (len + n + 2));
    memcpy(text + len, json_string_value(v), n);
    len += n;
    text[len++] = '\n';
    text[len] = 0;
  }
  json_decref(pieces);
  return text;
}

static int search_set(store *st, int64_t incident_id, const json_t *title, const json_t *contents, cirs_err *e) {
  char *text = search_text(title, contents);
  int rc = store_search_set(st, incident_id, text, e);
  free(text);
  return rc;
}

int model_search_index(store *st, int64_t incident_id, cirs_err *e) {
  json_t *inc, *r;
  store_scope all = {.all = 1};
  char id[24];
  snprintf(id, sizeof id, "%lld", (long long)incident_id);
  if (store_incident_get(st, id, &all, &inc, e)) return -1;
  /* Every version: a later one may add words an earlier one lacked, and the earlier words stay findable. */
  json_t *contents = json_array();
  size_t i;
  json_array_foreach(json_object_get(inc, "reports"), i, r) json_array_append(contents, json_object_get(r, "content"));
  int rc = search_set(st, incident_id, json_object_get(inc, "title"), contents, e);
  json_decref(contents);
  json_decref(inc);
  return rc;
}

/* A checked, graded initial report with its obligations resolved, ready to be stored. */
struct model_submit {
  int64_t now, aware_ms, occurred_ms;
  char *org_code, *actor, *channel, *search, *content_json, *assessment_json;
  json_t *doc, *org, *out, *content, *obls;
};

void model_submit_free(model_submit *p) {
  if (!p) return;
  free(p->org_code);
  free(p->actor);
  free(p->channel);
  free(p->search);
  free(p->content_json);
  free(p->assessment_json);
  json_decref(p->doc);
  json_decref(p->org);
  json_decref(p->out);
  json_decref(p->content);
  json_decref(p->obls);
  free(p);
}

/* Each obligation of the assessment with its recipients resolved, its clock started and its status: the
 * obligation as answered, plus "_due_ms"/"_met_ms" for the store. */
static json_t *plan_obligations(store *st, const json_t *org, const json_t *out, int64_t now, cirs_err *e) {
  json_t *obls = json_array(), *ob;
  size_t i;
  json_array_foreach(json_object_get(out, "obligations"), i, ob) {
    ob = json_deep_copy(ob);
    json_array_append_new(obls, ob);
    json_t *auth = model_resolve(st, org, json_object_get(ob, "to"), e);
    if (!auth) goto fail;
    json_object_set_new(ob, "to_authorities", auth);
    int64_t due = MODEL_NO_TIME, met = MODEL_NO_TIME;
    const char *status = "pending";
    if (json_is_string(json_object_get(ob, "due"))) time_parse_rfc3339(jstr(ob, "due"), &due, NULL);
    /* This submission is the initial report: it starts the clocks that run from it ... */
    time_dur d;
    if (!strcmp(jstr(ob, "relative_to"), "initial_report") && json_is_string(json_object_get(ob, "max")) &&
        !time_parse_duration(jstr(ob, "max"), &d)) {
      due = time_add(now, &d, SUBMIT_OFFSET_MIN);
      char buf[TIME_STR_MAX];
      json_object_set_new(ob, "due", json_string(time_format(due, SUBMIT_OFFSET_MIN, buf)));
    }
    /* ... and meets the obligations it fulfils: on time, or late. */
    if (json_is_string(json_object_get(ob, "met_by")) && !strcmp(jstr(ob, "met_by"), "initial_report")) {
      met = now;
      status = (due == MODEL_NO_TIME || now <= due) ? "met" : "late";
    }
    json_object_set_new(ob, "status", json_string(status));
    /* An authority's own obligation (escalate, notify) binds the authority its party resolves to. */
    char from_auth[MODEL_CODE_MAX] = "";
    if (strcmp(jstr(ob, "from"), "operator") &&
        store_authority_match(st, jstr(ob, "from"), jstr(org, "province"), jstr(org, "city"), jstr(org, "sector"), jstr(org, "department"), from_auth, e) < 0)
      goto fail;
    if (*from_auth) json_object_set_new(ob, "from_authority", json_string(from_auth));
    json_object_set_new(ob, "_due_ms", json_integer(due));
    json_object_set_new(ob, "_met_ms", json_integer(met));
  }
  return obls;
fail:
  json_decref(obls);
  return NULL;
}

int model_report_prepare(store *st, const rules_set *rs, const char *org_code, const json_t *doc, const char *actor, const char *channel,
                         model_submit **plan, cirs_err *e) {
  int64_t now = time_now_ms();
  *plan = NULL;
  if (check_doc(doc, now, e)) return -1;
  model_submit *p = calloc(1, sizeof *p);
  p->now = now;
  p->occurred_ms = MODEL_NO_TIME;
  if (store_org_get(st, org_code, &p->org, e)) {
    if (!strcmp(e->code, "not_found")) snprintf(e->field, sizeof e->field, "org");
    goto fail;
  }
  json_t *input = json_object();
  for (const char *const *k = ASSESS_KEYS; *k; k++)
    if (json_object_get(doc, *k)) json_object_set(input, *k, json_object_get(doc, *k));
  const json_t *org = p->org;
  json_object_set_new(input, "operator", json_pack("{s:O, s:O?, s:O?, s:O?, s:O?, s:O}", "kind", json_object_get(org, "kinds"), "province",
                                                   json_object_get(org, "province"), "city", json_object_get(org, "city"), "sector",
                                                   json_object_get(org, "sector"), "department", json_object_get(org, "department"), "regimes",
                                                   json_object_get(org, "regimes")));
  rules_opts ro = {RULES_NO_TIME};
  if (rules_assess(rs, input, &ro, &p->out, e)) {
    json_decref(input);
    goto fail;
  }
  json_t *out = p->out;
  json_t *assessment = json_pack("{s:o, s:O}", "input", input, "result", out);
  p->assessment_json = jdump(assessment);
  json_decref(assessment);
  time_parse_rfc3339(jstr(doc, "aware_at"), &p->aware_ms, NULL);
  if (json_is_string(json_object_get(doc, "occurred_at"))) time_parse_rfc3339(jstr(doc, "occurred_at"), &p->occurred_ms, NULL);
  /* The stored version holds every art. 7 item in one place: the free-text items plus item 2's times,
   * type and ransom details, which the document carries at top level and under facts. */
  json_t *content = p->content = json_deep_copy(json_object_get(doc, "content"));
  json_object_set_new(content, "aware_at", json_string(jstr(out, "aware_at")));
  if (p->occurred_ms != MODEL_NO_TIME) {
    char buf[TIME_STR_MAX];
    json_object_set_new(content, "occurred_at", json_string(time_format(p->occurred_ms, SUBMIT_OFFSET_MIN, buf)));
  }
  json_object_set(content, "category", json_object_get(json_object_get(out, "category"), "code"));
  json_object_set(content, "title", json_object_get(doc, "title"));
  if (json_is_object(json_object_get(doc, "facts"))) json_object_set(content, "facts", json_object_get(doc, "facts"));
  json_t *ransom = json_object_get(json_object_get(doc, "facts"), "ransom");
  if (json_is_object(ransom)) json_object_set(content, "ransom", ransom);
  p->content_json = jdump(content);
  if (!(p->obls = plan_obligations(st, org, out, now, e))) goto fail;
  json_t *contents = json_pack("[O]", content);
  p->search = search_text(json_object_get(doc, "title"), contents);
  json_decref(contents);
  p->doc = json_incref((json_t *)doc);
  p->org_code = strdup(org_code);
  p->actor = strdup(actor);
  p->channel = strdup(channel);
  *plan = p;
  return 0;
fail:
  model_submit_free(p);
  return -1;
}

int model_report_apply(store *st, model_submit *p, json_t **result, cirs_err *e) {
  *result = NULL;
  const json_t *doc = p->doc, *out = p->out;
  const char *actor = p->actor, *channel = p->channel;
  const char *category = jstr(json_object_get(out, "category"), "code");
  if (store_begin(st, e)) return -1;
  model_incident inc = {0, "", json_integer_value(json_object_get(p->org, "id")), jstr(doc, "title"), category, jstr(out, "grade"),
                        json_is_true(json_object_get(out, "reportable")), "open", p->aware_ms, p->occurred_ms,
                        json_is_true(json_object_get(doc, "drill"))};
  int rc = store_incident_insert(st, &inc, e) ||
           event(st, actor, "incident.created", "incident", inc.id,
                 json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "ref", inc.ref, "organisation", p->org_code, "title", inc.title, "category",
                           category, "grade", inc.grade, "aware_at", jstr(out, "aware_at"), "drill", inc.drill),
                 e);
  model_report rep = {0, inc.id, 0, "initial", actor, channel, p->content, NULL, p->content_json, p->assessment_json};
  if (!rc) rc = store_report_insert(st, &rep, e);
  if (!rc)
    rc = event(st, actor, "report.submitted", "report", rep.id,
               json_pack("{s:I, s:i, s:s, s:s, s:s}", "incident_id", (json_int_t)inc.id, "version", rep.version, "kind", "initial", "grade",
                         inc.grade, "channel", channel),
               e);
  int64_t rep_event = model_last_event_id();
  json_t *obls = json_array();
  size_t i;
  json_t *ob;
  json_array_foreach(p->obls, i, ob) {
    if (rc) break;
    ob = json_copy(ob);
    json_array_append_new(obls, ob);
    json_t *auth = json_object_get(ob, "to_authorities");
    const char *status = jstr(ob, "status");
    model_obligation o = {.incident_id = inc.id, .regime = jstr(ob, "regime"), .route = jstr(ob, "route"), .kind = jstr(ob, "kind"),
                          .from_party = jstr(ob, "from"), .from_authority = jstr(ob, "from_authority"), .to_parties = json_object_get(ob, "to"),
                          .to_authorities = auth, .max = jstr(ob, "max"), .relative_to = jstr(ob, "relative_to"),
                          .due_ms = json_integer_value(json_object_get(ob, "_due_ms")), .hard = json_is_true(json_object_get(ob, "hard")),
                          .policy = json_is_true(json_object_get(ob, "policy")), .status = status,
                          .met_ms = json_integer_value(json_object_get(ob, "_met_ms")), .source = jstr(ob, "source"),
                          .confidence = jstr(ob, "confidence")};
    rc = store_obligation_insert(st, &o, e) ||
         event(st, actor, "obligation.created", "obligation", o.id,
               json_pack("{s:I, s:s, s:s, s:s, s:O, s:O, s:O, s:s}", "incident_id", (json_int_t)inc.id, "regime", o.regime, "route", o.route,
                         "kind", o.kind, "to", auth, "due", json_object_get(ob, "due"), "relative_to", json_object_get(ob, "relative_to"),
                         "status", status),
               e);
    /* The operator's report reaches its recipients: they (and the authorities above them) may now see it. */
    if (!rc && !strcmp(o.from_party, "operator")) rc = model_route_all(st, inc.id, auth, "report", 0, e);
    json_object_set_new(ob, "id", json_integer(o.id));
    json_object_del(ob, "_due_ms");
    json_object_del(ob, "_met_ms");
  }
  if (!rc) rc = store_search_set(st, inc.id, p->search, e);
  if (!rc) {
    /* The receiving authorities hear of it, in this transaction (outbox). */
    json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:b, s:O?, s:s, s:s}", "ref", inc.ref, "title", inc.title, "grade", inc.grade, "grade_en",
                          model_grade_en(inc.grade), "drill", inc.drill, "organisation", json_object_get(p->org, "name"), "version_label", "初报",
                          "version_label_en", "initial report");
    rc = notify_routed(st, rep_event, "report.received", inc.id, "report", 0, v, e);
    json_decref(v);
  }
  if (!rc) rc = store_commit(st, e);
  if (rc) {
    store_rollback(st);
    json_decref(obls);
    return -1;
  }
  json_t *pending = json_array();
  for (const char *const *k = REPORT_ITEMS; *k; k++) {
    json_t *v = json_object_get(json_object_get(doc, "content"), *k);
    if (!json_is_string(v) || !json_string_length(v)) json_array_append_new(pending, json_string(*k));
  }
  *result = json_pack("{s:I, s:s, s:s, s:O, s:O, s:O, s:O, s:O, s:o, s:o}", "id", (json_int_t)inc.id, "ref", inc.ref, "organisation", p->org_code,
                      "grade", json_object_get(out, "grade"), "grade_en", json_object_get(out, "grade_en"), "reportable",
                      json_object_get(out, "reportable"), "reasons", json_object_get(out, "reasons"), "decisions_needed",
                      json_object_get(out, "decisions_needed"), "obligations", obls, "items_to_supplement", pending);
  return 0;
}

int model_report_submit(store *st, const rules_set *rs, const char *org_code, const json_t *doc, const char *actor, const char *channel,
                        json_t **result, cirs_err *e) {
  model_submit *p;
  *result = NULL;
  if (model_report_prepare(st, rs, org_code, doc, actor, channel, &p, e)) return -1;
  int rc = model_report_apply(st, p, result, e);
  model_submit_free(p);
  return rc;
}
