/* server.c — see server.h. */
#define _GNU_SOURCE
#include "server.h"
#include "../common/jdump.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/timeutil.h"

typedef struct conn_state {
  char *buf;
  size_t len, cap;
  int too_large;
  struct timespec start;
  /* A request answered later: parked (suspended) until http_wake. */
  struct MHD_Connection *conn;
  http_request rq;
  http_response rs;
  int waiting, woken, suspended;
  pthread_mutex_t mu;
} conn_state;

typedef struct server {
  http_handler fn;
  void *app;
} server;

static atomic_ullong req_counter;
/* Requests parked for a later answer: the server stops only when none is left. */
static int parked, waking, draining; /* waking: http_wake calls under way (they touch the daemon) */
static pthread_mutex_t parked_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t parked_cv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void http_log(const char *level, const char *fmt, ...) {
  char ts[TIME_STR_MAX];
  time_format(time_now_ms(), 0, ts);
  va_list ap;
  va_start(ap, fmt);
  pthread_mutex_lock(&log_lock);
  fprintf(stderr, "ts=%s level=%s ", ts, level);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  fflush(stderr);
  pthread_mutex_unlock(&log_lock);
  va_end(ap);
}

const char *http_header(const http_request *rq, const char *name) {
  return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}
const char *http_query(const http_request *rq, const char *name) {
  return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}
const char *http_cookie(const http_request *rq, const char *name) {
  return MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, name);
}

static enum MHD_Result send_response(struct MHD_Connection *c, const http_request *rq, http_response *rs) {
  char *text = NULL;
  struct MHD_Response *r;
  if (rs->json) {
    size_t len = 0;
    text = jdump_len(rs->json, 0, &len);
    r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
  } else {
    r = MHD_create_response_from_buffer(rs->raw_len, (void *)(rs->raw ? rs->raw : ""), rs->raw_owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (rs->content_type) MHD_add_response_header(r, "Content-Type", rs->content_type);
  }
  MHD_add_response_header(r, "X-Request-Id", rq->req_id);
  MHD_add_response_header(r, "Cache-Control", rs->cache_control ? rs->cache_control : "no-store");
  for (const char *const *h = rs->headers; h && h[0] && h[1]; h += 2) MHD_add_response_header(r, h[0], h[1]);
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  if (rs->cookie[0]) MHD_add_response_header(r, "Set-Cookie", rs->cookie);
  if (rs->disposition[0]) MHD_add_response_header(r, "Content-Disposition", rs->disposition);
  if (rs->replayed) MHD_add_response_header(r, "Idempotent-Replayed", "true");
  if (rs->retry_after > 0) {
    char ra[24];
    snprintf(ra, sizeof ra, "%d", rs->retry_after);
    MHD_add_response_header(r, "Retry-After", ra);
  }
  enum MHD_Result ret = MHD_queue_response(c, (unsigned)rs->status, r);
  MHD_destroy_response(r);
  return ret;
}

/* Sends the answer and writes the request's log line. */
static enum MHD_Result finish(struct MHD_Connection *c, conn_state *cs, http_request *rq, http_response *rs) {
  if (!rs->status) {
    rs->status = 404;
    rs->json = json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "not_found", "message", "no such route", "field", "");
  }
  enum MHD_Result ret = send_response(c, rq, rs);
  struct timespec end;
  clock_gettime(CLOCK_MONOTONIC, &end);
  double ms = (double)(end.tv_sec - cs->start.tv_sec) * 1e3 + (double)(end.tv_nsec - cs->start.tv_nsec) / 1e6;
  http_log(rs->status >= 500 ? "error" : "info", "msg=request req_id=%s method=%s path=%s status=%d dur_ms=%.2f bytes_in=%zu user=%s", rq->req_id,
           rq->method, rq->path, rs->status, ms, cs->len, rs->user[0] ? rs->user : "-");
  json_decref(rs->json);
  rs->json = NULL;
  return ret;
}

void http_wake(void *wake) {
  conn_state *cs = wake;
  struct MHD_Connection *c = cs->conn;
  pthread_mutex_lock(&cs->mu);
  cs->woken = 1;
  int resume = cs->suspended;
  cs->suspended = 0;
  pthread_mutex_unlock(&cs->mu);
  /* Not under cs->mu: once resumed, the request may finish and cs be freed at any moment. The stop waits
   * for this call to return, since the daemon must outlive it. */
  if (!resume) return;
  pthread_mutex_lock(&parked_mu);
  waking++;
  pthread_mutex_unlock(&parked_mu);
  MHD_resume_connection(c);
  pthread_mutex_lock(&parked_mu);
  if (--waking == 0 && parked == 0) pthread_cond_broadcast(&parked_cv);
  pthread_mutex_unlock(&parked_mu);
}

static void unpark(void) {
  pthread_mutex_lock(&parked_mu);
  if (--parked == 0 && waking == 0) pthread_cond_broadcast(&parked_cv);
  pthread_mutex_unlock(&parked_mu);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls) {
  (void)version;
  server *sv = cls;
  conn_state *cs = *con_cls;
  if (!cs) {
    cs = calloc(1, sizeof *cs);
    if (!cs) return MHD_NO;
    pthread_mutex_init(&cs->mu, NULL);
    clock_gettime(CLOCK_MONOTONIC, &cs->start);
    cs->conn = c;
    *con_cls = cs;
    return MHD_YES;
  }
  if (cs->waiting) {
    /* Resumed: the work is done; the handler fills in the answer here, on a pool thread. */
    cs->waiting = 0;
    cs->rs.later(cs->rs.later_arg, &cs->rs);
    cs->rs.later = NULL;
    enum MHD_Result ret = finish(c, cs, &cs->rq, &cs->rs);
    unpark();
    return ret;
  }
  if (*upload_size) {
    if (!cs->too_large) {
      if (cs->len + *upload_size > HTTP_BODY_MAX) {
        cs->too_large = 1;
      } else {
        if (cs->len + *upload_size + 1 > cs->cap) {
          size_t cap = cs->cap ? cs->cap : 4096;
          while (cap < cs->len + *upload_size + 1) cap *= 2;
          char *nb = realloc(cs->buf, cap);
          if (!nb) return MHD_NO;
          cs->buf = nb;
          cs->cap = cap;
        }
        memcpy(cs->buf + cs->len, upload_data, *upload_size);
        cs->len += *upload_size;
      }
    }
    *upload_size = 0;
    return MHD_YES;
  }
  http_request *rq = &cs->rq;
  *rq = (http_request){method, url, cs->buf ? cs->buf : "", cs->len, "", "", c, cs};
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (ci && ci->client_addr) {
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET) inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, rq->addr, sizeof rq->addr);
    else if (sa->sa_family == AF_INET6) inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, rq->addr, sizeof rq->addr);
  }
  if (cs->buf) cs->buf[cs->len] = 0;
  snprintf(rq->req_id, sizeof rq->req_id, "%08llx", (unsigned long long)atomic_fetch_add(&req_counter, 1) + 1);
  http_response *rs = &cs->rs;
  *rs = (http_response){0};
  if (cs->too_large) {
    rs->status = 413;
    const char *al = http_header(rq, "Accept-Language");
    rs->json = json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "too_large", "message",
                         al && !strncmp(al, "en", 2) ? "request body exceeds 1 MiB" : "请求体超过 1 MiB 上限", "field", "");
  } else {
    pthread_mutex_lock(&parked_mu);
    int stopping = draining;
    if (!stopping) parked++; /* counted before the work can start, so that a stop waits for it */
    pthread_mutex_unlock(&parked_mu);
    if (stopping) {
      /* A new request on a kept-alive connection while stopping: refused, so that no work starts now. */
      rs->status = 503;
      rs->retry_after = 5;
      const char *al = http_header(rq, "Accept-Language");
      rs->json = json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "unavailable", "message",
                           al && !strncmp(al, "en", 2) ? "the service is stopping" : "服务正在停止", "field", "");
      return finish(c, cs, rq, rs);
    }
    sv->fn(sv->app, rq, rs);
    if (rs->later) {
      /* Park the connection unless the work already finished (then answer now). */
      pthread_mutex_lock(&cs->mu);
      cs->waiting = 1;
      if (!cs->woken) {
        cs->suspended = 1;
        MHD_suspend_connection(c);
      }
      int done = cs->woken;
      pthread_mutex_unlock(&cs->mu);
      if (!done) return MHD_YES;
      cs->waiting = 0;
      rs->later(rs->later_arg, rs);
      rs->later = NULL;
    }
    unpark();
  }
  return finish(c, cs, rq, rs);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  conn_state *cs = *con_cls;
  if (cs && cs->waiting) {
    /* Parked, then the client went away before the answer: let the handler clean up, nobody reads it. */
    cs->waiting = 0;
    cs->rs.later(cs->rs.later_arg, &cs->rs);
    json_decref(cs->rs.json);
    unpark();
  }
  if (cs) {
    free(cs->buf);
    pthread_mutex_destroy(&cs->mu);
    free(cs);
  }
  *con_cls = NULL;
}

int http_serve(const http_config *cfg, http_handler fn, void *app) {
  char host[64] = "127.0.0.1";
  int port = 8080;
  const char *colon = strrchr(cfg->listen, ':');
  if (!colon || colon - cfg->listen >= (long)sizeof host || (port = atoi(colon + 1)) <= 0 || port > 65535) {
    http_log("error", "msg=\"bad --listen (want HOST:PORT)\" listen=%s", cfg->listen);
    return -1;
  }
  memcpy(host, cfg->listen, (size_t)(colon - cfg->listen));
  host[colon - cfg->listen] = 0;
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
    http_log("error", "msg=\"bad listen address (IPv4 expected)\" host=%s", host);
    return -1;
  }
  /* SIGTERM/SIGINT are taken by sigwait below; the pool threads inherit the blocked mask. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  server sv = {fn, app};
  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME, (uint16_t)port, NULL, NULL, on_request, &sv,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->workers > 0 ? cfg->workers : 4),
      MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
      MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
  if (!d) {
    http_log("error", "msg=\"cannot listen\" listen=%s", cfg->listen);
    return -1;
  }
  http_log("info", "msg=listening listen=%s workers=%d", cfg->listen, cfg->workers);
  int sig = 0;
  sigwait(&set, &sig);
  http_log("info", "msg=\"stopping: finishing requests in flight\" signal=%d", sig);
  MHD_quiesce_daemon(d);
  /* Parked requests wait for the writer, which is still running: let each get its answer. */
  pthread_mutex_lock(&parked_mu);
  draining = 1;
  while (parked > 0 || waking > 0) pthread_cond_wait(&parked_cv, &parked_mu);
  pthread_mutex_unlock(&parked_mu);
  MHD_stop_daemon(d);
  http_log("info", "msg=stopped");
  return 0;
}
