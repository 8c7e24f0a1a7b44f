/* api.h — the JSON API under /api/v1: the route table, authentication (cookie session with CSRF token, or
 * Bearer API token), role checks, jurisdiction scoping and the handlers. */
#ifndef CIRS_API_H
#define CIRS_API_H

#include "../http/server.h"
#include "../rules/rules.h"

#define API_SESSION_TTL_MS (8LL * 3600 * 1000) /* a browser session lasts one working shift */
#define API_PAGE_DEFAULT 50
#define API_PAGE_MAX 200

typedef struct api_ctx {
  const char *db_path;    /* each worker thread opens its own connection to it */
  const rules_set *rules; /* loaded once, read-only */
} api_ctx;

/* The http_handler of the service. */
void api_handle(void *app, const http_request *rq, http_response *rs);
/* Closes the per-thread database connections (after the server stopped). */
void api_shutdown(void);
/* The OpenAPI 3.0 document of every route (new reference). */
json_t *api_openapi(void);

#endif
