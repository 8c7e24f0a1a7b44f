/* server.h — the HTTP server: libmicrohttpd with a thread pool on epoll, request bodies collected up to a
 * limit, one request id and one logfmt log line per request, graceful stop on SIGTERM/SIGINT.
 * It knows nothing of the API: it hands each complete request to one handler function. */
#ifndef CIRS_SERVER_H
#define CIRS_SERVER_H

#include <jansson.h>
#include <stddef.h>

#define HTTP_BODY_MAX (1024 * 1024) /* largest request body */
#define HTTP_COOKIE_MAX 300
#define HTTP_DISPOSITION_MAX 200

typedef struct http_request {
  const char *method;  /* "GET" */
  const char *path;    /* "/api/v1/incidents" (no query string) */
  const char *body;    /* NUL-terminated; "" when none */
  size_t body_len;
  char req_id[24];     /* also sent back as X-Request-Id */
  char addr[64];       /* the peer's IP address (textual) */
  void *conn;          /* the libmicrohttpd connection, for the accessors below */
  void *wake;          /* for http_wake, when the handler answers later */
} http_request;

typedef struct http_response http_response;
struct http_response {
  int status;                  /* HTTP status; 0 = not handled (404) */
  json_t *json;                /* body (owned, freed by the server), or NULL */
  const char *raw;             /* or a static/borrowed raw body ... */
  size_t raw_len;
  const char *content_type;    /* ... with its type */
  char cookie[HTTP_COOKIE_MAX];/* Set-Cookie value, or "" */
  char disposition[HTTP_DISPOSITION_MAX]; /* Content-Disposition value for downloads (raw bodies), or "" */
  char user[64];               /* who made the request, for the log line */
  int raw_owned;               /* raw was malloc'ed: the server frees it */
  int replayed;                /* the answer is a stored one (Idempotency-Key) */
  int retry_after;             /* seconds, sent as Retry-After when > 0 (429, 503) */
  const char *cache_control;   /* Cache-Control value instead of "no-store" (static), or NULL */
  const char *const *headers;  /* more response headers: name, value, ..., NULL (static; the web UI's security headers) */
  /* A handler that must wait (for the writer's commit) sets `later` instead of answering: the server parks the
   * connection without holding its pool thread; the work's end calls http_wake(rq->wake) from any thread, and
   * the server then calls later(later_arg, rs) on a pool thread to fill in the answer. The request (rq and its
   * headers) stays valid until then. */
  void (*later)(void *arg, http_response *rs);
  void *later_arg;
};

typedef void (*http_handler)(void *app, const http_request *rq, http_response *rs);

/* Resumes a request parked by `later` (exactly once per parked request; any thread). */
void http_wake(void *wake);

/* Request accessors (NULL when absent). */
const char *http_header(const http_request *rq, const char *name);
const char *http_query(const http_request *rq, const char *name);
const char *http_cookie(const http_request *rq, const char *name);

typedef struct http_config {
  const char *listen; /* "127.0.0.1:8080" */
  int workers;        /* thread pool size */
} http_config;

/* Serves until SIGTERM or SIGINT, then stops accepting, finishes the requests in flight and returns 0.
 * Returns -1 (after printing why) when the server cannot start. */
int http_serve(const http_config *cfg, http_handler fn, void *app);

/* One logfmt line on stderr: "ts=... level=info msg=..." followed by the given key=value text. */
void http_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
