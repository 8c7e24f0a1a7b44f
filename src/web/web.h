/* web.h — the web UI: serves the files of web/ that tools/embed.c compiled into the binary (and two rule files the
 * report wizard reads), with their content type, an ETag for revalidation and the security headers of every page
 * (Content-Security-Policy without inline scripts or styles, frame-ancestors 'none', Referrer-Policy). The UI is a
 * single page (hash routes) over the JSON API; it holds no state on the server. */
#ifndef CIRS_WEB_H
#define CIRS_WEB_H

#include "../http/server.h"

#define WEB_PATH_MAX 200 /* longest URL path looked up among the embedded files */

/* Answers GET and HEAD requests for the UI: "/" and every path outside /api/, /healthz and /metrics that names an
 * embedded file (web/PATH), plus /ui/taxonomy.json and /ui/rules-cn.json. Returns 1 when it answered (200, 304 or
 * 404 for an unknown UI file), 0 when the request is not for the UI (the API answers it). Thread-safe. */
int web_handle(const http_request *rq, http_response *rs);

/* The content type for a file name by its extension ("application/octet-stream" when unknown). */
const char *web_content_type(const char *name);

#endif
