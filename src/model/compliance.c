/* compliance.c — the compliance ledger (compliance.h): counts and lists over the rows store_compliance returns.
 *
 * Definitions (also what the CLI help and the tests rely on):
 *  - Obligation status is the stored one, except that a `pending` obligation whose due time has passed (due_ms <
 *    now) counts as overdue: the scheduler may not have marked it yet. Pending without a due time (clock not started)
 *    or due later stays pending.
 *  - on_time_rate = met / (met + late + overdue); pending and waived obligations are outside it; null when the
 *    denominator is 0.
 *  - late_by_s = (met_ms − due_ms) / 1000 and overdue_by_s = (now − due_ms) / 1000, whole seconds rounded down.
 *  - mean_time_to_report_s (organisation scope): the mean, over the selection's incidents that have an initial
 *    report, of (first initial report's submitted_ms − aware_ms) / 1000. Null for an authority scope (how fast
 *    operators reported is theirs, not the authority's) and when no incident has an initial report.
 *  - raised_facts: per incident and per fact, where a fact is a top-level number of the version's content.facts
 *    (nested values such as ransom, and non-numbers, are not compared): among all pairs of versions
 *    earlier < later that both give the fact a number and where the later number is higher, the pair with the
 *    largest rise (later − earlier). Ties go to the earliest later version, then to the earliest earlier version.
 *    One entry per incident and fact, incidents in id order, facts in order of first appearance. A fact that only
 *    a later version gives is not a rise. */
#include "compliance.h"

#include <string.h>

#include "../common/timeutil.h"

static const char *jstr(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* An epoch-ms value (JSON integer, or anything else meaning unknown) as RFC 3339 at +08:00, or null. */
static json_t *jtime(const json_t *v) {
  char b[TIME_STR_MAX];
  return json_is_integer(v) ? json_string(time_format(json_integer_value(v), COMPLIANCE_OFFSET, b)) : json_null();
}

static json_t *time_or_null(int64_t ms) {
  char b[TIME_STR_MAX];
  return ms == MODEL_NO_TIME ? json_null() : json_string(time_format(ms, COMPLIANCE_OFFSET, b));
}

/* Appends `item` (taken) to `list` unless the list is full; then drops it and sets *truncated. */
static void add_capped(json_t *list, json_t *item, int *truncated) {
  if (json_array_size(list) < COMPLIANCE_LIST_MAX) json_array_append_new(list, item);
  else {
    json_decref(item);
    *truncated = 1;
  }
}

/* (a − b) / 1000 in whole seconds rounded down. */
static json_t *seconds(int64_t a, int64_t b) {
  int64_t d = a - b;
  return json_integer(d >= 0 ? d / 1000 : -((-d + 999) / 1000));
}

/* The same for JSON epoch-ms values; null when either is unknown. */
static json_t *seconds_between(const json_t *a, const json_t *b) {
  return json_is_integer(a) && json_is_integer(b) ? seconds(json_integer_value(a), json_integer_value(b)) : json_null();
}

/* Counts the obligations by effective status and fills the late and overdue lists. Returns the counts object. */
static json_t *tally(const json_t *obls, int64_t now, json_t *late, json_t *overdue, int *truncated) {
  json_int_t met = 0, nlate = 0, nover = 0, pending = 0, waived = 0;
  size_t i;
  json_t *b;
  json_array_foreach(obls, i, b) {
    const char *s = jstr(b, "status");
    json_t *due = json_object_get(b, "due_ms");
    if (!s) s = "";
    if (!strcmp(s, "met")) met++;
    else if (!strcmp(s, "waived")) waived++;
    else if (!strcmp(s, "late")) {
      nlate++;
      add_capped(late,
                 json_pack("{s:O, s:O, s:O, s:O, s:o, s:o, s:o}", "obligation_id", json_object_get(b, "id"), "incident_id",
                           json_object_get(b, "incident_id"), "ref", json_object_get(b, "ref"), "kind", json_object_get(b, "kind"), "due",
                           jtime(due), "met_at", jtime(json_object_get(b, "met_ms")), "late_by_s",
                           seconds_between(json_object_get(b, "met_ms"), due)),
                 truncated);
    } else if (!strcmp(s, "overdue") || (!strcmp(s, "pending") && json_is_integer(due) && json_integer_value(due) < now)) {
      nover++;
      add_capped(overdue,
                 json_pack("{s:O, s:O, s:O, s:O, s:o, s:o}", "obligation_id", json_object_get(b, "id"), "incident_id",
                           json_object_get(b, "incident_id"), "ref", json_object_get(b, "ref"), "kind", json_object_get(b, "kind"), "due",
                           jtime(due), "overdue_by_s", json_is_integer(due) ? seconds(now, json_integer_value(due)) : json_null()),
                 truncated);
    } else pending++;
  }
  json_int_t denom = met + nlate + nover;
  return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "total", (json_int_t)json_array_size(obls), "met", met, "late", nlate, "overdue",
                   nover, "pending", pending, "waived", waived, "on_time_rate", denom ? json_real((double)met / (double)denom) : json_null());
}

/* Mean seconds from awareness to the first initial report over the incidents that have one, or null. */
static json_t *mean_time_to_report(const json_t *incidents) {
  double sum = 0;
  size_t n = 0, i;
  json_t *inc;
  json_array_foreach(incidents, i, inc) {
    json_t *ini = json_object_get(inc, "initial_ms"), *aware = json_object_get(inc, "aware_ms");
    if (!json_is_integer(ini) || !json_is_integer(aware)) continue;
    sum += (double)(json_integer_value(ini) - json_integer_value(aware)) / 1000.0;
    n++;
  }
  return n ? json_real(sum / (double)n) : json_null();
}

/* The number `fact` has in report row `r`'s facts, or NULL. */
static json_t *fact_of(const json_t *r, const char *fact) {
  json_t *v = json_object_get(json_object_get(r, "facts"), fact);
  return json_is_number(v) ? v : NULL;
}

/* Raised facts of one incident: report rows [a, b) of `reports` (one incident, version order). */
static void raised_in(const json_t *reports, size_t a, size_t b, json_t *out, int *truncated) {
  json_t *names = json_object(); /* fact names in order of first appearance (values unused) */
  for (size_t k = a; k < b; k++) {
    const char *name;
    json_t *v;
    json_object_foreach(json_object_get(json_array_get(reports, k), "facts"), name, v)
      if (json_is_number(v) && !json_object_get(names, name)) json_object_set_new(names, name, json_true());
  }
  const char *fact;
  json_t *unused;
  json_object_foreach(names, fact, unused) {
    const json_t *lo = NULL, *best_lo = NULL, *best_hi = NULL; /* report rows: lowest so far; the best pair */
    double lo_v = 0, best = 0;
    for (size_t k = a; k < b; k++) {
      const json_t *r = json_array_get(reports, k);
      json_t *v = fact_of(r, fact);
      if (!v) continue;
      double x = json_number_value(v);
      if (lo && x - lo_v > best) {
        best = x - lo_v;
        best_lo = lo;
        best_hi = r;
      }
      if (!lo || x < lo_v) {
        lo = r;
        lo_v = x;
      }
    }
    if (!best_hi) continue;
    add_capped(out,
               json_pack("{s:O, s:O, s:s, s:O, s:O, s:O, s:O}", "incident_id", json_object_get(best_hi, "incident_id"), "ref",
                         json_object_get(best_hi, "ref"), "fact", fact, "earlier_version", json_object_get(best_lo, "version"), "earlier_value",
                         fact_of(best_lo, fact), "later_version", json_object_get(best_hi, "version"), "later_value", fact_of(best_hi, fact)),
               truncated);
  }
  json_decref(names);
}

/* Raised facts of every incident; `reports` is ordered by incident, then version. */
static json_t *raised_facts(const json_t *reports, int *truncated) {
  json_t *out = json_array();
  size_t n = json_array_size(reports), a = 0;
  while (a < n) {
    json_int_t id = json_integer_value(json_object_get(json_array_get(reports, a), "incident_id"));
    size_t b = a + 1;
    while (b < n && json_integer_value(json_object_get(json_array_get(reports, b), "incident_id")) == id) b++;
    if (b - a > 1) raised_in(reports, a, b, out, truncated);
    a = b;
  }
  return out;
}

int model_compliance(store *st, const model_compliance_q *q, json_t **out, cirs_err *e) {
  json_t *raw = NULL;
  *out = NULL;
  if (store_compliance(st, &q->sel, &raw, e)) return -1;
  int truncated = 0;
  int by_org = q->sel.organisation != NULL;
  json_t *res = json_object();
  json_object_set_new(res, "scope", by_org ? json_pack("{s:s}", "organisation", q->sel.organisation)
                                           : json_pack("{s:s, s:b}", "authority", q->sel.authority, "subtree", q->sel.subtree ? 1 : 0));
  json_object_set_new(res, "period", json_pack("{s:o, s:o}", "from", time_or_null(q->sel.from_ms), "to", time_or_null(q->sel.to_ms)));
  json_object_set_new(res, "as_of", time_or_null(q->now_ms));
  json_object_set_new(res, "drills_included", json_boolean(q->sel.drills));
  json_object_set_new(res, "incidents", json_integer((json_int_t)json_array_size(json_object_get(raw, "incidents"))));
  json_t *late = json_array(), *overdue = json_array();
  json_object_set_new(res, "obligations", tally(json_object_get(raw, "obligations"), q->now_ms, late, overdue, &truncated));
  json_object_set_new(res, "late", late);
  json_object_set_new(res, "overdue", overdue);
  json_object_set_new(res, "mean_time_to_report_s", by_org ? mean_time_to_report(json_object_get(raw, "incidents")) : json_null());
  json_object_set_new(res, "raised_facts", raised_facts(json_object_get(raw, "reports"), &truncated));
  json_object_set_new(res, "truncated", json_boolean(truncated));
  json_decref(raw);
  *out = res;
  return 0;
}
