/* commands.h — state changes of the domain. Each command validates, then changes the store and appends its
 * events in one transaction: either everything is stored or nothing is. */
#ifndef CIRS_COMMANDS_H
#define CIRS_COMMANDS_H

#include <jansson.h>

#include "../common/err.h"
#include "../rules/rules.h"
#include "../store/store.h"

/* Loads the demo data set (data/demo.json, embedded): authorities, organisations, users; every user gets
 * `password` (argon2id). Writes one event per created record. */
int model_load_demo(store *st, const char *password, const char *actor, json_t **summary, cirs_err *e);

/* Files an initial report for organisation `org_code` from a report document (docs/report-format.md):
 * validates the document, grades it with the rule set, stores incident + report version 1 + obligations with
 * their recipients resolved to authorities, and the events. On success *result = {id, ref, grade, ...}. */
int model_report_submit(store *st, const rules_set *rs, const char *org_code, const json_t *doc, const char *actor,
                      const char *channel, json_t **result, cirs_err *e);
/* model_report_submit in two steps, so that a service does the reading, checking and grading on its own
 * connection and only the writing on its writer: prepare reads (never writes) and builds the plan; apply stores
 * it in one transaction. */
typedef struct model_submit model_submit;
int model_report_prepare(store *st, const rules_set *rs, const char *org_code, const json_t *doc, const char *actor, const char *channel,
                         model_submit **plan, cirs_err *e);
int model_report_apply(store *st, model_submit *plan, json_t **result, cirs_err *e);
void model_submit_free(model_submit *plan);

/* Files a supplement or the final report (docs/report-format.md, "follow-up reports") for an incident the caller
 * may see: a new immutable version whose content is the previous one with the new items applied, re-graded with
 * merged facts; meets the open obligations of its kind; `handling_ended_at` (or a final report) ends handling and
 * starts the final-report clock; obligations a higher grade brings are added. *result = {id, ref, version, kind,
 * grade, previous_grade, reasons, changes, obligations}. */
int model_report_followup(store *st, const rules_set *rs, int64_t incident_id, const json_t *doc, const char *actor, const char *channel,
                          json_t **result, cirs_err *e);
/* An authority records receipt of an incident routed to it: starts its clocks that run from receipt. Conflict
 * when it already did. `how` is officer | delivery. */
int model_receipt(store *st, int64_t incident_id, int64_t authority_id, const char *authority, int64_t user_id, const char *actor, const char *how,
                  const char *note, json_t **result, cirs_err *e);
/* An authority forwards an incident upward: meets its open escalation obligations and routes the incident to
 * their recipients (records the receipt first if none was). Conflict when the rules require no escalation. */
int model_escalate(store *st, int64_t incident_id, int64_t authority_id, const char *authority, int64_t user_id, const char *actor,
                   const char *note, json_t **result, cirs_err *e);
/* An authority notifies other departments (通报同级有关部门): doc {departments: [names, or codes of registered
 * authorities, which get the incident routed via notice and a notification], how?: system|phone|fax|email|letter|
 * meeting, note?}; meets its open notify obligations (records the receipt first if none was). */
int model_notice(store *st, int64_t incident_id, int64_t authority_id, const char *authority, int64_t user_id, const char *actor, const json_t *doc,
                 json_t **result, cirs_err *e);
/* Stores an anonymous tip {description, organisation_name?, category?, observed_at?, contact?, url?}; *result = {receipt, ...}. */
int model_tip_submit(store *st, const json_t *doc, const char *addr_hash, json_t **result, cirs_err *e);
/* Id of the last event model_event_add appended on this thread. */
int64_t model_last_event_id(void);
/* English name of a grade (重大 -> major). */
const char *model_grade_en(const char *grade);
/* Template variables of an incident (as store_incident_get returns it): ref, title, grade, grade_en, drill, organisation. */
json_t *model_notify_vars(const json_t *inc);
/* What changed between two report contents: [{field, before, after}]. */
json_t *model_version_diff(const json_t *before, const json_t *after);

/* Checks a report's `content` object: known art. 7 items only, strings (or null) within MODEL_ITEM_MAX. */
int model_check_content(const json_t *content, cirs_err *e);

/* Shared by the commands: appends one event (takes `payload`); resolves recipient ids to the authorities of an
 * organisation's jurisdiction ([{recipient, authority}], new reference or NULL); records that an incident reached
 * every authority of such a list; rebuilds an incident's searchable text from its title and report versions. */
int model_event_add(store *st, const char *actor, const char *type, const char *entity, int64_t id, json_t *payload, cirs_err *e);
json_t *model_resolve(store *st, const json_t *org, const json_t *to, cirs_err *e);
int model_route_all(store *st, int64_t incident_id, const json_t *to_authorities, const char *via, int64_t from_authority_id, cirs_err *e);
int model_search_index(store *st, int64_t incident_id, cirs_err *e);

/* The report items of Measures art. 7 a report document may carry under "content", in order. */
extern const char *const REPORT_ITEMS[];

/* --- warnings, responses, investigations (emergency.c) --------------------------------------------------------
 * `who` is the caller's principal {id, username, role, authority_id, authority, organisation_id, organisation}.
 * Errors: forbidden (the rule packs give the caller no such power, or it is not the issuer / starter), conflict
 * (lifted, ended, acknowledged already), not_found, and the usual input errors with their field. */
int model_warning_issue(store *st, const rules_set *rs, const json_t *who, const json_t *doc, json_t **result, cirs_err *e);
/* lift 0: {level?, title?, matters?}; lift 1: {reason}. Only the issuer or an authority above it. */
int model_warning_change(store *st, const rules_set *rs, const json_t *who, int64_t id, const json_t *doc, int lift, json_t **result, cirs_err *e);
/* A recipient acknowledges {note?, measures_done?: [measure numbers]} (measures done meet its obligations for them;
 * a later call may report more measures done). */
int model_warning_ack(store *st, const json_t *who, int64_t id, const json_t *doc, json_t **result, cirs_err *e);
/* Loads an incident the caller may see by id or ref (*inc new), or not_found. */
typedef int (*scope_check_fn)(void *ctx, const char *key, json_t **inc, cirs_err *e);
/* {level, title, incidents: [ids or refs], decider?: {role, name}, warning?: ref}. */
int model_response_start(store *st, const rules_set *rs, const json_t *who, const scope_check_fn visible, void *vctx, const json_t *doc,
                         json_t **result, cirs_err *e);
/* {kind: situation | progress, text}. */
int model_response_update(store *st, const json_t *who, int64_t id, const json_t *doc, json_t **result, cirs_err *e);
/* approve 0: the starter ends it {summary} (or proposes the end, for levels that need approval); approve 1: the
 * command approves a proposed end. Ending creates the investigation obligation. */
int model_response_end(store *st, const rules_set *rs, const json_t *who, int64_t id, const json_t *doc, int approve, json_t **result, cirs_err *e);
/* {summary, causes?, losses?, responsibility?, lessons?, improvements?} by the authority in charge; meets the obligation. */
int model_investigation_submit(store *st, const json_t *who, int64_t id, const json_t *doc, json_t **result, cirs_err *e);

/* --- duty contacts (contacts.c) ------------------------------------------------------------------------------
 * rows: [{unit, duty_phone?, contact?, mobile?, email?, note?}], at most 1000, cells at most 200 bytes. */
int model_contacts_check(const json_t *rows, cirs_err *e);
/* CSV (UTF-8, optional BOM; header names in Chinese or English; the pair 单位, 值班电话 may repeat in a row). */
int model_contacts_parse_csv(const char *text, size_t n, json_t **rows, cirs_err *e);
/* Replaces the list of `authority` (code) in one transaction with its event. */
int model_contacts_set(store *st, const char *authority, const json_t *rows, const char *actor, cirs_err *e);

#endif
