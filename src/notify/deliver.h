/* deliver.h — the outbox deliverer of `cirs serve`: sends what notify.h queued, records every attempt.
 *
 * One thread reads due outbox rows on its own connection, sends each (SMTP through libcurl, optionally with
 * STARTTLS; webhooks as an HTTP POST of JSON signed with HMAC-SHA256), and records the attempt through the
 * writer: delivered, or retried after an exponential backoff (base, 2×base, 4×base … capped at one hour), or
 * dead (visible in GET /api/v1/outbox with its last error) after the last attempt.
 * Webhook headers: X-CIRS-Event (template kind), X-CIRS-Delivery (the idempotency key event:channel:target,
 * the same on every retry), X-CIRS-Timestamp (Unix seconds), X-CIRS-Signature: sha256=HEX, the HMAC-SHA256 with
 * the webhook's secret of "TIMESTAMP.BODY". Mails carry a Message-ID derived from the same key. */
#ifndef CIRS_DELIVER_H
#define CIRS_DELIVER_H

#include <stdint.h>

#include <jansson.h>

#include "../common/err.h"
#include "../store/store.h"

typedef struct deliver_config {
  const char *smtp_url;      /* smtp://host:port or smtps://…; NULL = e-mails wait untried (and are listed) until one is configured */
  const char *smtp_from;     /* envelope and From: address */
  const char *smtp_user, *smtp_password;
  int smtp_starttls;         /* require STARTTLS on smtp:// */
  int64_t retry_base_ms;     /* first retry after this long (default 30 s) */
  int max_attempts;          /* then dead (default 8) */
  int timeout_s;             /* per attempt (default 10) */
  /* Called in the writer's transaction that records a successful delivery, with the outbox row (kind, channel,
   * target, incident_id, authority_id, authority, confirms_receipt); an error undoes the record (sent again later). */
  int (*on_delivered)(store *st, const json_t *row, cirs_err *e);
} deliver_config;

int deliver_start(const char *db_path, const deliver_config *cfg, cirs_err *e);
void deliver_stop(void);
/* Wakes the deliverer (new rows were committed). */
void deliver_poke(void);

typedef struct deliver_stats {
  uint64_t sent, failed, dead;
} deliver_stats;
void deliver_get_stats(deliver_stats *out);

#endif
