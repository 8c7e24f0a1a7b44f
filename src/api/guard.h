/* guard.h — request counters for /metrics and per-address rate limits (public tips, failed logins).
 * In memory, per process: limits and counters restart with the service. */
#ifndef CIRS_GUARD_H
#define CIRS_GUARD_H

#include <stdint.h>

/* --- rate limits: fixed windows per key (address, or address + username) --- */
typedef struct limiter limiter;
limiter *limiter_new(int max_hits, int window_s);
void limiter_free(limiter *l);
/* Counts a hit for `key`; returns 0 when allowed, else the seconds until the window reopens. */
int limiter_hit(limiter *l, const char *key, int64_t now_ms);
/* Seconds until `key` may try again without counting a hit (0 = allowed now). */
int limiter_blocked(limiter *l, const char *key, int64_t now_ms);

/* --- metrics --- */
#define METRICS_ROUTES_MAX 48
void metrics_observe(int route, int status, double seconds); /* route = index in the route table, or -1 */
/* Appends the Prometheus text of the HTTP counters; `route_name(i)` gives "METHOD path" labels. */
typedef const char *(*metrics_route_name)(int i, const char **method);
char *metrics_http_text(int nroutes, metrics_route_name name);

#endif
