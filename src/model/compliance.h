/* compliance.h — the compliance ledger: how an operator (or an authority) met its reporting obligations over a
 * period, and where a later report raised a number an earlier one gave (Measures art. 10/11: 迟报、漏报、谎报、瞒报
 * must be visible and provable). Read-only; the store supplies the rows, this module does the arithmetic.
 *
 * Result (new reference, caller decrefs):
 *   {"scope": {"organisation": code} | {"authority": code, "subtree": bool},
 *    "period": {"from": RFC 3339 +08:00 | null, "to": ... | null},      incidents by aware time, [from, to)
 *    "as_of": RFC 3339 +08:00,                                        the `now` overdue is measured against
 *    "drills_included": bool,
 *    "incidents": n,                                                  incidents in the selection
 *    "obligations": {"total", "met", "late", "overdue", "pending", "waived", "on_time_rate"},
 *    "late": [{obligation_id, incident_id, ref, kind, due, met_at, late_by_s}],
 *    "overdue": [{obligation_id, incident_id, ref, kind, due, overdue_by_s}],
 *    "mean_time_to_report_s": number | null,
 *    "raised_facts": [{incident_id, ref, fact, earlier_version, earlier_value, later_version, later_value}],
 *    "truncated": bool}                                               a list was cut at COMPLIANCE_LIST_MAX
 * The counts always cover every row; only the three lists are capped. */
#ifndef CIRS_COMPLIANCE_H
#define CIRS_COMPLIANCE_H

#include <jansson.h>
#include <stdint.h>

#include "../common/err.h"
#include "../store/store.h"

#define COMPLIANCE_LIST_MAX 1000 /* entries of each list (late, overdue, raised_facts) */
#define COMPLIANCE_OFFSET 480    /* times are shown in Asia/Shanghai (+08:00) */

typedef struct model_compliance_q {
  store_compliance_q sel; /* whose obligations, which period (aware time), drills or not */
  int64_t now_ms;         /* a pending obligation due before this is overdue; overdue_by_s counts up to it */
} model_compliance_q;

/* Builds the ledger described above. not_found (field organisation / authority) for an unknown code. */
int model_compliance(store *st, const model_compliance_q *q, json_t **out, cirs_err *e);

#endif
