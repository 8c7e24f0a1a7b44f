/* api.h — the JSON API under /api/v1: the route table, authentication (cookie session with CSRF token, or
 * Bearer API token), role checks, jurisdiction scoping and the handlers. */
#ifndef CIRS_API_H
#define CIRS_API_H

#include "../http/server.h"
#include "../notify/deliver.h"
#include "../rules/rules.h"

#define API_SESSION_TTL_MS (8LL * 3600 * 1000) /* a browser session lasts one working shift */
#define API_PAGE_DEFAULT 50
#define API_PAGE_MAX 200
#define API_LOGIN_FAILURES_MAX 10 /* failed logins per address and username ... */
#define API_LOGIN_WINDOW_S 900    /* ... per 15 minutes, then 429 until the window ends */
#define API_TIPS_MAX 5            /* anonymous tips per address ... */
#define API_TIPS_WINDOW_S 600     /* ... per 10 minutes */

typedef struct api_ctx {
  const char *db_path;    /* each worker thread opens its own connection to it */
  const rules_set *rules; /* loaded once, read-only */
  const char *reminders;  /* reminder instants (sched.h), NULL = default */
  deliver_config deliver; /* outgoing mail and webhooks */
} api_ctx;

/* Starts the writer, the deadline scheduler and the outbox deliverer (before serving). */
int api_start(const api_ctx *ctx, cirs_err *e);
/* The http_handler of the service. */
void api_handle(void *app, const http_request *rq, http_response *rs);
/* After the server stopped: finishes queued writes and flushes the access log (writer), closes the per-thread
 * database connections. The writer starts with the first request. */
void api_shutdown(void);
/* The OpenAPI 3.0 document of every route (new reference). */
json_t *api_openapi(void);

#endif
