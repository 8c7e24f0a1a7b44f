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

/* The report items of Measures art. 7 a report document may carry under "content", in order. */
extern const char *const REPORT_ITEMS[];

#endif
