/* verify.h — checks the whole event chain of a store. */
#ifndef CIRS_VERIFY_H
#define CIRS_VERIFY_H

#include <jansson.h>

#include "../store/store.h"

/* Walks every event from the anchor. Returns 0 with *report = {ok:true, events, head} when intact; returns -1
 * with e->code "audit_broken" and *report = {ok:false, row, problem, ...} naming the first broken row. */
int audit_verify(store *st, json_t **report, cirs_err *e);

#endif
