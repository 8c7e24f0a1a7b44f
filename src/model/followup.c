/* followup.c — what happens to an incident after its initial report: supplements and the final report (new
 * immutable versions, re-graded), the receiving authority's receipt (starts its clocks), escalation upward, and
 * anonymous public tips. Each command is one transaction with its events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/timeutil.h"
#include "../notify/notify.h"
#include "commands.h"

#define OFFSET_MIN 480 /* times shown in Asia/Shanghai */
#define NOTE_MAX 2000
#define NOTICE_DEPARTMENTS_MAX 20
#define NOTICE_NAME_MAX 200 /* bytes */
#define TIP_TEXT_MAX 10000

static const char *jstr(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static const char *const FOLLOWUP_KEYS[] = {"kind", "title", "category", "facts", "suspected_crime", "declared_grade", "declared_reason",
                                            "handling_ended_at", "content", NULL};

static int in_list(const char *s, const char *const *l) {
  for (; *l; l++)
    if (!strcmp(s, *l)) return 1;
  return 0;
}

/* The incident as the store returns it (every version and obligation). */
static int load(store *st, int64_t incident_id, json_t **inc, cirs_err *e) {
  store_scope all = {.all = 1};
  char id[24];
  snprintf(id, sizeof id, "%lld", (long long)incident_id);
  return store_incident_get(st, id, &all, inc, e);
}

json_t *model_version_diff(const json_t *before, const json_t *after) {
  json_t *changes = json_array();
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)after, k, v) {
    json_t *old = json_object_get(before, k);
    if (!old || !json_equal(old, v)) json_array_append_new(changes, json_pack("{s:s, s:O?, s:O}", "field", k, "before", old, "after", v));
  }
  json_object_foreach((json_t *)before, k, v) if (!json_object_get(after, k))
      json_array_append_new(changes, json_pack("{s:s, s:O, s:n}", "field", k, "before", v, "after"));
  return changes;
}

/* Marks an obligation met now: on time, or late. */
static int meet(store *st, const json_t *ob, int64_t now, const char *actor, const char *by, cirs_err *e) {
  json_t *due = json_object_get(ob, "due_ms");
  const char *status = json_is_integer(due) && now > json_integer_value(due) ? "late" : "met";
  int64_t id = json_integer_value(json_object_get(ob, "id"));
  if (store_obligation_update(st, id, status, json_is_integer(due) ? json_integer_value(due) : MODEL_NO_TIME, now, e)) return -1;
  return model_event_add(st, actor, "obligation.met", "obligation", id,
                         json_pack("{s:I, s:s, s:s, s:s}", "incident_id", json_integer_value(json_object_get(ob, "incident_id")), "kind",
                                   jstr(ob, "kind"), "status", status, "by", by),
                         e);
}

/* Starts the clock of an obligation that runs from `from_ms`. */
static int start_clock(store *st, const json_t *ob, int64_t from_ms, const char *actor, const char *why, cirs_err *e) {
  time_dur d;
  if (!json_is_string(json_object_get(ob, "max")) || time_parse_duration(jstr(ob, "max"), &d)) return 0;
  int64_t due = time_add(from_ms, &d, OFFSET_MIN), id = json_integer_value(json_object_get(ob, "id"));
  if (store_obligation_update(st, id, jstr(ob, "status"), due, MODEL_NO_TIME, e)) return -1;
  char buf[TIME_STR_MAX];
  return model_event_add(st, actor, "obligation.started", "obligation", id,
                         json_pack("{s:I, s:s, s:s, s:s}", "incident_id", json_integer_value(json_object_get(ob, "incident_id")), "kind",
                                   jstr(ob, "kind"), "due", time_format(due, OFFSET_MIN, buf), "because", why),
                         e);
}

static int open_status(const char *s) { return !strcmp(s, "pending") || !strcmp(s, "overdue"); }

/* Validates a follow-up document; fills *handling_end (or MODEL_NO_TIME). */
static int check_followup(const json_t *doc, int64_t now, int64_t *handling_end, cirs_err *e) {
  if (!json_is_object(doc)) return err_set(e, "wrong_type", "", L("报告应为 JSON 对象", "a report must be a JSON object"));
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)doc, k, v) if (!in_list(k, FOLLOWUP_KEYS)) return err_set(e, "unknown_field", k, k);
  const char *kind = jstr(doc, "kind");
  if (!json_object_get(doc, "kind")) return err_set(e, "missing_field", "kind", "kind");
  if (!kind || (strcmp(kind, "supplement") && strcmp(kind, "final")))
    return err_set_msg(e, "bad_value", "kind", L("kind 应为 supplement（续报）或 final（总结报告）", "kind must be supplement or final"));
  json_t *t = json_object_get(doc, "title");
  if (t && (!json_is_string(t) || !json_string_length(t))) return err_set(e, "wrong_type", "title", L("应为非空字符串", "non-empty string expected"));
  if (t && json_string_length(t) > MODEL_TITLE_MAX) return err_set(e, "too_large", "title", "200");
  *handling_end = MODEL_NO_TIME;
  json_t *h = json_object_get(doc, "handling_ended_at");
  if (h) {
    if (!json_is_string(h) || time_parse_rfc3339(json_string_value(h), handling_end, NULL))
      return err_set(e, "bad_time", "handling_ended_at", json_is_string(h) ? json_string_value(h) : "?");
    if (*handling_end > now + 5 * 60 * 1000)
      return err_set_msg(e, "bad_time", "handling_ended_at", L("处置结束时间不能晚于当前时间", "handling cannot end in the future"));
  }
  json_t *c = json_object_get(doc, "content");
  if (model_check_content(c, e)) return -1;
  if (json_object_size(c) == 0 && !h && !json_object_get(doc, "facts") && !json_object_get(doc, "category"))
    return err_set_msg(e, "missing_field", "content", L("续报至少要有一项新内容", "a supplement needs at least one new item"));
  return 0;
}

int model_report_followup(store *st, const rules_set *rs, int64_t incident_id, const json_t *doc, const char *actor, const char *channel,
                          json_t **result, cirs_err *e) {
  int64_t now = time_now_ms(), handling_end;
  *result = NULL;
  if (check_followup(doc, now, &handling_end, e)) return -1;
  const char *kind = jstr(doc, "kind");
  json_t *inc = NULL, *out = NULL, *input = NULL, *content = NULL;
  int rc = -1;
  if (load(st, incident_id, &inc, e)) return -1;
  json_t *reports = json_object_get(inc, "reports");
  json_t *last = json_array_get(reports, json_array_size(reports) - 1);
  if (!strcmp(jstr(last, "kind"), "final")) {
    err_set_msg(e, "conflict", "kind", L("该事件已提交总结报告，不能再续报", "the final report was filed; no further versions"));
    goto done;
  }
  /* Re-grade with what the new version changes: facts merge into the earlier ones, the rest replaces. */
  input = json_deep_copy(json_object_get(json_object_get(last, "assessment"), "input"));
  json_t *facts = json_object_get(doc, "facts");
  if (facts) {
    if (!json_is_object(facts)) {
      err_set(e, "wrong_type", "facts", L("应为对象", "object expected"));
      goto done;
    }
    json_t *merged = json_object_get(input, "facts");
    if (!json_is_object(merged)) json_object_set_new(input, "facts", merged = json_object());
    json_object_update(merged, facts);
  }
  static const char *const replace[] = {"category", "suspected_crime", "declared_grade", "declared_reason", NULL};
  for (const char *const *k = replace; *k; k++)
    if (json_object_get(doc, *k)) json_object_set(input, *k, json_object_get(doc, *k));
  rules_opts ro = {RULES_NO_TIME};
  if (rules_assess(rs, input, &ro, &out, e)) goto done;
  const char *grade = jstr(out, "grade"), *old_grade = jstr(inc, "grade");
  content = json_deep_copy(json_object_get(last, "content"));
  const char *ck;
  json_t *cv;
  json_object_foreach(json_object_get(doc, "content"), ck, cv) if (json_is_string(cv)) json_object_set(content, ck, cv);
  json_object_set(content, "category", json_object_get(json_object_get(out, "category"), "code"));
  json_object_set_new(content, "title", json_string(jstr(doc, "title") ? jstr(doc, "title") : jstr(inc, "title")));
  if (json_is_object(json_object_get(input, "facts"))) json_object_set(content, "facts", json_object_get(input, "facts"));
  json_t *ransom = json_object_get(json_object_get(input, "facts"), "ransom");
  if (json_is_object(ransom)) json_object_set(content, "ransom", ransom);
  char buf[TIME_STR_MAX];
  int64_t prev_end = json_is_integer(json_object_get(inc, "handling_end_ms")) ? json_integer_value(json_object_get(inc, "handling_end_ms")) : MODEL_NO_TIME;
  if (handling_end != MODEL_NO_TIME && prev_end != MODEL_NO_TIME) {
    /* The end of handling starts the 30-day clock; once recorded it is not moved. */
    err_set_msg(e, "conflict", "handling_ended_at", L("处置结束时间已登记，不能更改", "the end of handling is already recorded and cannot change"));
    goto done;
  }
  if (handling_end == MODEL_NO_TIME && !strcmp(kind, "final") && prev_end == MODEL_NO_TIME) handling_end = now; /* a final report ends handling */
  if (handling_end != MODEL_NO_TIME) json_object_set_new(content, "handling_ended_at", json_string(time_format(handling_end, OFFSET_MIN, buf)));

  if (store_begin(st, e)) goto done;
  model_incident up = {.id = incident_id, .title = jstr(doc, "title") ? jstr(doc, "title") : jstr(inc, "title"),
                       .category = jstr(json_object_get(out, "category"), "code"), .grade = grade,
                       .reportable = json_is_true(json_object_get(out, "reportable")),
                       .status = handling_end != MODEL_NO_TIME || prev_end != MODEL_NO_TIME ? "handling_ended" : jstr(inc, "status")};
  model_report rep = {0, incident_id, 0, kind, actor, channel, content, json_pack("{s:O, s:O}", "input", input, "result", out), NULL, NULL};
  rc = store_incident_update(st, &up, handling_end != MODEL_NO_TIME ? handling_end : prev_end, e) || store_report_insert(st, &rep, e);
  json_decref(rep.assessment);
  json_t *changes = model_version_diff(json_object_get(last, "content"), content);
  if (!rc)
    rc = model_event_add(st, actor, "report.submitted", "report", rep.id,
                         json_pack("{s:I, s:i, s:s, s:s, s:s, s:O}", "incident_id", (json_int_t)incident_id, "version", rep.version, "kind", kind,
                                   "grade", grade, "channel", channel, "changes", changes),
                         e);
  int64_t report_event = model_last_event_id();
  if (!rc && strcmp(grade, old_grade))
    rc = model_event_add(st, actor, "incident.regraded", "incident", incident_id,
                         json_pack("{s:s, s:s, s:i}", "from", old_grade, "to", grade, "version", rep.version), e);
  if (!rc && handling_end != MODEL_NO_TIME && prev_end == MODEL_NO_TIME)
    rc = model_event_add(st, actor, "incident.handling_ended", "incident", incident_id,
                         json_pack("{s:s}", "at", time_format(handling_end, OFFSET_MIN, buf)), e);
  /* Existing obligations: this version meets the open ones of its kind; handling's end starts the final-report clock. */
  size_t i;
  json_t *ob;
  json_array_foreach(json_object_get(inc, "obligations"), i, ob) {
    if (rc) break;
    if (strcmp(jstr(ob, "from"), "operator") || !open_status(jstr(ob, "status"))) continue;
    if (!strcmp(jstr(ob, "relative_to"), "handling_end") && handling_end != MODEL_NO_TIME && prev_end == MODEL_NO_TIME &&
        !json_is_integer(json_object_get(ob, "due_ms"))) {
      rc = start_clock(st, ob, handling_end, actor, "handling_end", e);
      if (rc) break;
      json_t *fresh;
      if ((rc = load(st, incident_id, &fresh, e))) break;
      ob = json_array_get(json_object_get(fresh, "obligations"), i);
      if (!strcmp(jstr(ob, "kind"), kind)) rc = meet(st, ob, now, actor, "report", e);
      json_decref(fresh);
      continue;
    }
    if (!strcmp(jstr(ob, "kind"), kind)) rc = meet(st, ob, now, actor, "report", e);
  }
  /* New obligations a higher grade brings (by regime, route and kind); a report filed now meets its report duty. */
  json_array_foreach(json_object_get(out, "obligations"), i, ob) {
    if (rc) break;
    int exists = 0;
    size_t k;
    json_t *old;
    json_array_foreach(json_object_get(inc, "obligations"), k, old) exists |=
        !strcmp(jstr(old, "regime"), jstr(ob, "regime")) && !strcmp(jstr(old, "route"), jstr(ob, "route")) && !strcmp(jstr(old, "kind"), jstr(ob, "kind"));
    if (exists) continue;
    json_t *org;
    if ((rc = store_org_get(st, jstr(inc, "organisation"), &org, e))) break;
    json_t *auth = model_resolve(st, org, json_object_get(ob, "to"), e);
    char from_auth[MODEL_CODE_MAX] = "";
    if (!auth || (strcmp(jstr(ob, "from"), "operator") &&
                  store_authority_match(st, jstr(ob, "from"), jstr(org, "province"), jstr(org, "city"), jstr(org, "sector"), jstr(org, "department"), from_auth, e) < 0)) {
      json_decref(org);
      json_decref(auth);
      rc = -1;
      break;
    }
    json_decref(org);
    int64_t due = MODEL_NO_TIME, met = MODEL_NO_TIME;
    if (json_is_string(json_object_get(ob, "due"))) time_parse_rfc3339(jstr(ob, "due"), &due, NULL);
    time_dur d;
    if (!strcmp(jstr(ob, "relative_to"), "handling_end") && (handling_end != MODEL_NO_TIME || prev_end != MODEL_NO_TIME) &&
        json_is_string(json_object_get(ob, "max")) && !time_parse_duration(jstr(ob, "max"), &d))
      due = time_add(handling_end != MODEL_NO_TIME ? handling_end : prev_end, &d, OFFSET_MIN);
    if (!strcmp(jstr(ob, "relative_to"), "initial_report") && json_is_string(json_object_get(ob, "max")) && !time_parse_duration(jstr(ob, "max"), &d))
      due = time_add(json_integer_value(json_object_get(json_array_get(reports, 0), "submitted_ms")), &d, OFFSET_MIN); /* runs from version 1 */
    const char *status = "pending";
    if (json_is_string(json_object_get(ob, "met_by")) && !strcmp(jstr(ob, "met_by"), "initial_report")) {
      met = now;
      status = due == MODEL_NO_TIME || now <= due ? "met" : "late";
    }
    model_obligation o = {.incident_id = incident_id, .regime = jstr(ob, "regime"), .route = jstr(ob, "route"), .kind = jstr(ob, "kind"),
                          .from_party = jstr(ob, "from"), .from_authority = *from_auth ? from_auth : NULL, .to_parties = json_object_get(ob, "to"),
                          .to_authorities = auth, .max = jstr(ob, "max"), .relative_to = jstr(ob, "relative_to"), .due_ms = due,
                          .hard = json_is_true(json_object_get(ob, "hard")), .policy = json_is_true(json_object_get(ob, "policy")),
                          .status = status, .met_ms = met, .source = jstr(ob, "source"), .confidence = jstr(ob, "confidence")};
    rc = store_obligation_insert(st, &o, e) ||
         model_event_add(st, actor, "obligation.created", "obligation", o.id,
                         json_pack("{s:I, s:s, s:s, s:s, s:O, s:s, s:s, s:i}", "incident_id", (json_int_t)incident_id, "regime", o.regime, "route",
                                   o.route, "kind", o.kind, "to", auth, "relative_to", o.relative_to, "status", status, "version", rep.version),
                         e);
    if (!rc && !strcmp(o.from_party, "operator")) rc = model_route_all(st, incident_id, auth, "report", 0, e);
    json_decref(auth);
  }
  if (!rc) rc = model_search_index(st, incident_id, e);
  if (!rc) {
    json_t *v = model_notify_vars(inc);
    json_object_set_new(v, "grade", json_string(grade));
    json_object_set_new(v, "grade_en", json_string(model_grade_en(grade)));
    json_object_set_new(v, "version_label", json_string(!strcmp(kind, "final") ? "总结报告" : "续报"));
    json_object_set_new(v, "version_label_en", json_string(!strcmp(kind, "final") ? "final report" : "supplement"));
    rc = notify_routed(st, report_event, "report.received", incident_id, "report", 0, v, e);
    json_decref(v);
  }
  if (!rc) rc = store_commit(st, e);
  if (rc) {
    store_rollback(st);
    json_decref(changes);
    goto done;
  }
  json_t *now_inc;
  if (load(st, incident_id, &now_inc, e)) {
    json_decref(changes);
    rc = -1;
    goto done;
  }
  *result = json_pack("{s:I, s:O, s:i, s:s, s:s, s:s, s:O, s:o, s:O}", "id", (json_int_t)incident_id, "ref", json_object_get(inc, "ref"), "version",
                      rep.version, "kind", kind, "grade", grade, "previous_grade", old_grade, "reasons", json_object_get(out, "reasons"), "changes",
                      changes, "obligations", json_object_get(now_inc, "obligations"));
  json_decref(now_inc);
done:
  json_decref(inc);
  json_decref(out);
  json_decref(input);
  json_decref(content);
  return rc ? -1 : 0;
}

/* Obligations of `authority` (code) on this incident. */
static int mine(const json_t *ob, const char *authority) {
  const char *fa = jstr(ob, "from_authority");
  return fa && !strcmp(fa, authority);
}

int model_receipt(store *st, int64_t incident_id, int64_t authority_id, const char *authority, int64_t user_id, const char *actor, const char *how,
                  const char *note, json_t **result, cirs_err *e) {
  int64_t now = time_now_ms(), rid;
  *result = NULL;
  if (note && strlen(note) > NOTE_MAX) return err_set(e, "too_large", "note", "2000");
  json_t *inc;
  if (load(st, incident_id, &inc, e)) return -1;
  int rc = store_begin(st, e);
  if (!rc && store_receipt_insert(st, incident_id, authority_id, user_id, how, now, note, &rid, e)) {
    if (!strcmp(e->code, "conflict")) err_set_msg(e, "conflict", "", L("本机关已登记过该事件的接收", "your authority has already recorded receipt"));
    rc = -1;
  }
  char buf[TIME_STR_MAX];
  if (!rc)
    rc = model_event_add(st, actor, "incident.received", "incident", incident_id,
                         json_pack("{s:s, s:s, s:s, s:s?}", "authority", authority, "at", time_format(now, OFFSET_MIN, buf), "how", how, "note", note), e);
  if (!rc) {
    /* The reporting organisation hears that its report arrived. */
    json_t *v = model_notify_vars(inc);
    json_object_set_new(v, "authority", json_string(authority));
    json_object_set_new(v, "at", json_string(buf));
    notify_target t = {0, store_id_of(st, "organisation", jstr(inc, "organisation"))};
    rc = notify_send(st, model_last_event_id(), "incident.receipt", incident_id, &t, t.organisation_id ? 1 : 0, v, e);
    json_decref(v);
  }
  /* The receipt starts this authority's own clocks (escalate within 30 min / 1 h, notify, ...). */
  size_t i;
  json_t *ob;
  json_array_foreach(json_object_get(inc, "obligations"), i, ob) {
    if (rc) break;
    if (mine(ob, authority) && !strcmp(jstr(ob, "relative_to"), "receipt") && open_status(jstr(ob, "status")) &&
        !json_is_integer(json_object_get(ob, "due_ms")))
      rc = start_clock(st, ob, now, actor, "receipt", e);
  }
  if (!rc) rc = store_commit(st, e);
  if (rc) store_rollback(st);
  json_decref(inc);
  if (rc || load(st, incident_id, &inc, e)) return -1;
  json_t *obls = json_array();
  json_array_foreach(json_object_get(inc, "obligations"), i, ob) if (mine(ob, authority)) json_array_append(obls, ob);
  *result = json_pack("{s:I, s:O, s:s, s:s, s:I, s:o}", "receipt_id", (json_int_t)rid, "ref", json_object_get(inc, "ref"), "authority", authority,
                      "received_at", time_format(now, OFFSET_MIN, buf), "received_ms", (json_int_t)now, "obligations", obls);
  json_decref(inc);
  return 0;
}

/* Forwarding or notifying implies the report was received: records the receipt first if nobody did, and then
 * reloads *inc (its clocks have started). */
static int ensure_receipt(store *st, int64_t incident_id, int64_t authority_id, const char *authority, int64_t user_id, const char *actor,
                          json_t **inc, cirs_err *e) {
  json_t *rec = NULL, *r = NULL;
  cirs_err ignore = {0};
  if (!store_receipt_get(st, incident_id, authority_id, &rec, &ignore)) {
    json_decref(rec);
    return 0;
  }
  if (model_receipt(st, incident_id, authority_id, authority, user_id, actor, "officer", NULL, &r, e)) return -1;
  json_decref(r);
  json_decref(*inc);
  return load(st, incident_id, inc, e);
}

int model_escalate(store *st, int64_t incident_id, int64_t authority_id, const char *authority, int64_t user_id, const char *actor,
                   const char *note, json_t **result, cirs_err *e) {
  int64_t now = time_now_ms();
  *result = NULL;
  if (note && strlen(note) > NOTE_MAX) return err_set(e, "too_large", "note", "2000");
  json_t *inc;
  if (load(st, incident_id, &inc, e)) return -1;
  size_t i, n = 0;
  json_t *ob;
  json_array_foreach(json_object_get(inc, "obligations"), i, ob) n += mine(ob, authority) && !strcmp(jstr(ob, "kind"), "escalation") &&
                                                                     open_status(jstr(ob, "status"));
  if (!n) {
    json_decref(inc);
    return err_set_msg(e, "conflict", "", L("按规则本机关对该事件没有待办的上报义务（仅重大、特别重大事件须上报）",
                                            "the rules give your authority no open escalation for this incident (only 重大 and 特别重大 are escalated)"));
  }
  int rc = store_begin(st, e);
  if (!rc) rc = ensure_receipt(st, incident_id, authority_id, authority, user_id, actor, &inc, e);
  json_t *to = json_array();
  json_array_foreach(json_object_get(inc, "obligations"), i, ob) {
    if (rc) break;
    if (!mine(ob, authority) || strcmp(jstr(ob, "kind"), "escalation") || !open_status(jstr(ob, "status"))) continue;
    rc = meet(st, ob, now, actor, "escalation", e) ||
         model_route_all(st, incident_id, json_object_get(ob, "to_authorities"), "escalation", authority_id, e);
    size_t k;
    json_t *a;
    json_array_foreach(json_object_get(ob, "to_authorities"), k, a) if (json_is_string(json_object_get(a, "authority")))
        json_array_append(to, json_object_get(a, "authority"));
  }
  char buf[TIME_STR_MAX];
  if (!rc)
    rc = model_event_add(st, actor, "incident.escalated", "incident", incident_id,
                         json_pack("{s:s, s:O, s:s, s:s?}", "from", authority, "to", to, "at", time_format(now, OFFSET_MIN, buf), "note", note), e);
  if (!rc) {
    /* The authorities it was forwarded to (routed by this escalation) hear of it. */
    json_t *v = model_notify_vars(inc);
    json_object_set_new(v, "authority", json_string(authority));
    rc = notify_routed(st, model_last_event_id(), "incident.forwarded", incident_id, "escalation", now, v, e);
    json_decref(v);
  }
  if (!rc) rc = store_commit(st, e);
  if (rc) store_rollback(st);
  json_decref(inc);
  if (rc || load(st, incident_id, &inc, e)) {
    json_decref(to);
    return -1;
  }
  json_t *obls = json_array();
  json_array_foreach(json_object_get(inc, "obligations"), i, ob) if (mine(ob, authority)) json_array_append(obls, ob);
  *result = json_pack("{s:O, s:s, s:o, s:s, s:o}", "ref", json_object_get(inc, "ref"), "from", authority, "to", to, "escalated_at",
                      time_format(now, OFFSET_MIN, buf), "obligations", obls);
  json_decref(inc);
  return 0;
}

/* A notice document: {departments: [1..NOTICE_DEPARTMENTS_MAX names or authority codes], how?, note?}. */
static int check_notice(const json_t *doc, const char **how, cirs_err *e) {
  static const char *const keys[] = {"departments", "how", "note", NULL};
  static const char *const hows[] = {"system", "phone", "fax", "email", "letter", "meeting", NULL};
  if (!json_is_object(doc)) return err_set(e, "wrong_type", "", L("应为 JSON 对象", "a JSON object expected"));
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)doc, k, v) if (!in_list(k, keys)) return err_set(e, "unknown_field", k, k);
  json_t *d = json_object_get(doc, "departments");
  if (!d) return err_set(e, "missing_field", "departments", "departments");
  if (!json_is_array(d) || !json_array_size(d))
    return err_set_msg(e, "bad_value", "departments", L("departments 应为非空数组（部门名称或已登记机关的代码）",
                                                        "departments must be a non-empty array (department names or codes of registered authorities)"));
  if (json_array_size(d) > NOTICE_DEPARTMENTS_MAX) return err_set(e, "too_large", "departments", "20");
  size_t i, j;
  json_t *x;
  json_array_foreach(d, i, x) {
    char f[40];
    snprintf(f, sizeof f, "departments[%zu]", i);
    if (!json_is_string(x)) return err_set(e, "wrong_type", f, L("应为字符串", "string expected"));
    if (!json_string_length(x)) return err_set_msg(e, "bad_value", f, L("不能为空", "must not be empty"));
    if (json_string_length(x) > NOTICE_NAME_MAX) return err_set(e, "too_large", f, "200");
    for (j = 0; j < i; j++)
      if (json_equal(json_array_get(d, j), x)) return err_set_msg(e, "bad_value", f, L("重复的部门", "department given twice"));
  }
  json_t *h = json_object_get(doc, "how"), *n = json_object_get(doc, "note");
  if (h && (!json_is_string(h) || !in_list(json_string_value(h), hows)))
    return err_set_msg(e, "bad_value", "how", L("how 应为 system、phone、fax、email、letter 或 meeting", "how must be system, phone, fax, email, letter or meeting"));
  if (n && !json_is_string(n)) return err_set(e, "wrong_type", "note", L("应为字符串", "string expected"));
  if (n && json_string_length(n) > NOTE_MAX) return err_set(e, "too_large", "note", "2000");
  *how = h ? json_string_value(h) : "system";
  return 0;
}

int model_notice(store *st, int64_t incident_id, int64_t authority_id, const char *authority, int64_t user_id, const char *actor, const json_t *doc,
                 json_t **result, cirs_err *e) {
  int64_t now = time_now_ms();
  const char *how;
  *result = NULL;
  if (check_notice(doc, &how, e)) return -1;
  json_t *inc;
  if (load(st, incident_id, &inc, e)) return -1;
  json_t *deps = json_object_get(doc, "departments"), *routed = json_array(), *x, *ob;
  size_t i;
  int rc = store_begin(st, e);
  if (!rc) rc = ensure_receipt(st, incident_id, authority_id, authority, user_id, actor, &inc, e);
  /* Registered authorities among the departments get the incident (routed via notice) and a notification. */
  json_array_foreach(deps, i, x) {
    if (rc) break;
    const char *d = json_string_value(x);
    if (store_id_of(st, "authority", d) <= 0) continue;
    if (!strcmp(d, authority)) {
      char f[40];
      snprintf(f, sizeof f, "departments[%zu]", i);
      rc = err_set_msg(e, "bad_value", f, L("不能通报本机关自己", "an authority does not notify itself"));
      break;
    }
    rc = store_route_add(st, incident_id, d, "notice", authority_id, now, e);
    json_array_append(routed, x);
  }
  json_t *met = json_array();
  json_array_foreach(json_object_get(inc, "obligations"), i, ob) {
    if (rc) break;
    if (!mine(ob, authority) || strcmp(jstr(ob, "kind"), "notify") || !open_status(jstr(ob, "status"))) continue;
    rc = meet(st, ob, now, actor, "notice", e);
    json_array_append_new(met, json_integer(json_integer_value(json_object_get(ob, "id"))));
  }
  char buf[TIME_STR_MAX];
  time_format(now, OFFSET_MIN, buf);
  if (!rc)
    rc = model_event_add(st, actor, "incident.noticed", "incident", incident_id,
                         json_pack("{s:s, s:O, s:O, s:s, s:s, s:O?, s:O}", "from", authority, "departments", deps, "routed", routed, "how", how, "at", buf,
                                   "note", json_object_get(doc, "note"), "obligations_met", met),
                         e);
  if (!rc && json_array_size(routed)) {
    json_t *v = model_notify_vars(inc);
    json_object_set_new(v, "authority", json_string(authority));
    rc = notify_routed(st, model_last_event_id(), "incident.notice", incident_id, "notice", now, v, e);
    json_decref(v);
  }
  json_decref(met);
  if (!rc) rc = store_commit(st, e);
  if (rc) store_rollback(st);
  json_decref(inc);
  if (rc || load(st, incident_id, &inc, e)) {
    json_decref(routed);
    return -1;
  }
  json_t *obls = json_array();
  json_array_foreach(json_object_get(inc, "obligations"), i, ob) if (mine(ob, authority)) json_array_append(obls, ob);
  *result = json_pack("{s:O, s:s, s:O, s:o, s:s, s:s, s:o}", "ref", json_object_get(inc, "ref"), "from", authority, "departments", deps, "routed", routed,
                      "how", how, "noticed_at", buf, "obligations", obls);
  json_decref(inc);
  return 0;
}

static const char *const TIP_KEYS[] = {"description", "organisation_name", "category", "observed_at", "contact", "url", NULL};

int model_tip_submit(store *st, const json_t *doc, const char *addr_hash, json_t **result, cirs_err *e) {
  *result = NULL;
  if (!json_is_object(doc)) return err_set(e, "wrong_type", "", L("应为 JSON 对象", "a JSON object expected"));
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)doc, k, v) {
    if (!in_list(k, TIP_KEYS)) return err_set(e, "unknown_field", k, k);
    if (!json_is_string(v)) return err_set(e, "wrong_type", k, L("应为字符串", "string expected"));
    if (json_string_length(v) > (strcmp(k, "description") ? 500 : TIP_TEXT_MAX)) return err_set(e, "too_large", k, strcmp(k, "description") ? "500" : "10000");
  }
  const char *d = jstr(doc, "description");
  if (!d || strlen(d) < 10)
    return err_set_msg(e, "missing_field", "description", L("请描述所发现的情况（至少 10 个字节）", "describe what you observed (10 bytes at least)"));
  int64_t now = time_now_ms(), id;
  json_t *obs = json_object_get(doc, "observed_at");
  int64_t ms;
  if (obs && time_parse_rfc3339(json_string_value(obs), &ms, NULL)) return err_set(e, "bad_time", "observed_at", json_string_value(obs));
  char ref[40];
  if (store_begin(st, e) || store_tip_insert(st, doc, addr_hash, now, &id, ref, e) ||
      model_event_add(st, "anonymous", "tip.received", "tip", id, json_pack("{s:s}", "ref", ref), e) || store_commit(st, e)) {
    store_rollback(st);
    return -1;
  }
  char buf[TIME_STR_MAX];
  *result = json_pack("{s:s, s:s, s:s}", "receipt", ref, "received_at", time_format(now, OFFSET_MIN, buf), "message",
                      L("已收到您的举报线索，请保存受理编号。", "your tip was received; keep the receipt number."));
  return 0;
}
