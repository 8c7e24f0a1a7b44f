/* guard.c — see guard.h. */
#include "guard.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- rate limits ---------------------------------------------------------------------------------------------- */

#define LIMITER_SLOTS 4096 /* keys hash into slots; two keys sharing a slot share a budget (errs on the strict side) */

typedef struct slot {
  uint64_t key;
  int64_t window_start;
  int hits;
} slot;

struct limiter {
  pthread_mutex_t mu;
  int max_hits, window_s;
  slot slots[LIMITER_SLOTS];
};

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h ? h : 1;
}

limiter *limiter_new(int max_hits, int window_s) {
  limiter *l = calloc(1, sizeof *l);
  pthread_mutex_init(&l->mu, NULL);
  l->max_hits = max_hits;
  l->window_s = window_s;
  return l;
}

void limiter_free(limiter *l) {
  if (!l) return;
  pthread_mutex_destroy(&l->mu);
  free(l);
}

static int check(limiter *l, const char *key, int64_t now_ms, int count) {
  uint64_t k = fnv1a(key);
  pthread_mutex_lock(&l->mu);
  slot *s = &l->slots[k % LIMITER_SLOTS];
  int64_t window_ms = (int64_t)l->window_s * 1000;
  /* A slot is reset only when its window is over: a key that collides with another shares its budget rather than
   * clearing it (alternating two colliding names must not escape the limit). */
  if (now_ms - s->window_start >= window_ms) {
    if (!count) {
      pthread_mutex_unlock(&l->mu);
      return 0;
    }
    s->key = k;
    s->window_start = now_ms;
    s->hits = 0;
  }
  int wait = 0;
  if (s->hits >= l->max_hits) {
    wait = (int)((s->window_start + window_ms - now_ms + 999) / 1000);
    if (wait < 1) wait = 1;
  } else if (count) s->hits++;
  pthread_mutex_unlock(&l->mu);
  return wait;
}

int limiter_hit(limiter *l, const char *key, int64_t now_ms) { return check(l, key, now_ms, 1); }
int limiter_blocked(limiter *l, const char *key, int64_t now_ms) { return check(l, key, now_ms, 0); }

/* --- metrics -------------------------------------------------------------------------------------------------- */

static const int STATUSES[] = {200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503};
#define NSTATUS (sizeof STATUSES / sizeof STATUSES[0])
static const double BOUNDS[] = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define NBOUNDS (sizeof BOUNDS / sizeof BOUNDS[0])

/* Row METRICS_ROUTES_MAX holds requests that matched no route. */
static atomic_ullong by_status[METRICS_ROUTES_MAX + 1][NSTATUS + 1];
static atomic_ullong buckets[METRICS_ROUTES_MAX + 1][NBOUNDS + 1];
static atomic_ullong micros_sum[METRICS_ROUTES_MAX + 1];

void metrics_observe(int route, int status, double seconds) {
  int r = route < 0 || route >= METRICS_ROUTES_MAX ? METRICS_ROUTES_MAX : route;
  size_t s = NSTATUS;
  for (size_t i = 0; i < NSTATUS; i++)
    if (STATUSES[i] == status) s = i;
  atomic_fetch_add(&by_status[r][s], 1);
  size_t b = NBOUNDS;
  for (size_t i = 0; i < NBOUNDS; i++)
    if (seconds <= BOUNDS[i]) {
      b = i;
      break;
    }
  atomic_fetch_add(&buckets[r][b], 1);
  atomic_fetch_add(&micros_sum[r], (unsigned long long)(seconds * 1e6));
}

typedef struct buf {
  char *p;
  size_t len, cap;
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf *b, const char *fmt, ...) {
  va_list ap;
  for (;;) {
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < b->cap - b->len) {
      b->len += (size_t)n;
      return;
    }
    b->cap = b->cap * 2 + (size_t)n + 64;
    b->p = realloc(b->p, b->cap);
  }
}

char *metrics_http_text(int nroutes, metrics_route_name name) {
  buf b = {malloc(8192), 0, 8192};
  b.p[0] = 0;
  put(&b, "# HELP cirs_http_requests_total HTTP requests by route and status.\n# TYPE cirs_http_requests_total counter\n");
  for (int r = 0; r <= nroutes && r <= METRICS_ROUTES_MAX; r++) {
    int row = r == nroutes ? METRICS_ROUTES_MAX : r;
    const char *method = "", *path = r == nroutes ? "unmatched" : name(r, &method);
    for (size_t s = 0; s <= NSTATUS; s++) {
      unsigned long long n = atomic_load(&by_status[row][s]);
      if (!n) continue;
      char st[8];
      if (s < NSTATUS) snprintf(st, sizeof st, "%d", STATUSES[s]);
      else snprintf(st, sizeof st, "other");
      put(&b, "cirs_http_requests_total{method=\"%s\",route=\"%s\",status=\"%s\"} %llu\n", method, path, st, n);
    }
  }
  put(&b, "# HELP cirs_http_request_duration_seconds Time to answer, by route.\n# TYPE cirs_http_request_duration_seconds histogram\n");
  for (int r = 0; r <= nroutes && r <= METRICS_ROUTES_MAX; r++) {
    int row = r == nroutes ? METRICS_ROUTES_MAX : r;
    const char *method = "", *path = r == nroutes ? "unmatched" : name(r, &method);
    unsigned long long cum = 0, total = 0;
    for (size_t i = 0; i <= NBOUNDS; i++) total += atomic_load(&buckets[row][i]);
    if (!total) continue;
    for (size_t i = 0; i < NBOUNDS; i++) {
      cum += atomic_load(&buckets[row][i]);
      put(&b, "cirs_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"%g\"} %llu\n", method, path, BOUNDS[i], cum);
    }
    put(&b, "cirs_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n", method, path, total);
    put(&b, "cirs_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n", method, path, (double)atomic_load(&micros_sum[row]) / 1e6);
    put(&b, "cirs_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %llu\n", method, path, total);
  }
  return b.p;
}
