/* notify.h — who hears about what, written into the outbox in the transaction of the event that causes it.
 *
 * notify_send renders a template of data/notify-templates.json (Chinese first, then English; drills labelled)
 * for each target — an authority or an organisation — and writes, in the caller's transaction:
 *   - one in-app notification per user of the target (GET /api/v1/notifications),
 *   - one e-mail per user with an address, and one call per active webhook, into the outbox.
 * Each message has the idempotency key event:channel:target, so a repeat of the same event never sends twice.
 * The service's deliverer (deliver.h) sends the outbox. */
#ifndef CIRS_NOTIFY_H
#define CIRS_NOTIFY_H

#include <jansson.h>
#include <stdint.h>

#include "../common/err.h"
#include "../store/store.h"

#define NOTIFY_ADDRESS_MAX 120 /* longer e-mail addresses are not mailed (in-app only) */

typedef struct notify_target {
  int64_t authority_id, organisation_id; /* one of the two */
} notify_target;

/* `vars` (borrowed) must hold ref, title, grade, drill (bool) and whatever the template uses; incident_id may be 0. */
int notify_send(store *st, int64_t event_id, const char *kind, int64_t incident_id, const notify_target *targets, int n, const json_t *vars,
                cirs_err *e);
/* The same for every authority the incident is routed to (optionally by one `via`: report | escalation),
 * except those routed before `since_ms` (0 = all). */
int notify_routed(store *st, int64_t event_id, const char *kind, int64_t incident_id, const char *via, int64_t since_ms, const json_t *vars,
                  cirs_err *e);
/* Renders `text` with {name} placeholders from vars (malloc'd). */
char *notify_render(const char *text, const json_t *vars);
/* Chinese and English names of an obligation kind (initial -> 初报). */
const char *notify_kind_zh(const char *kind);

#endif
