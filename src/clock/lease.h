/* lease.h — which `cirs serve` runs the clocks when several share one database.
 *
 * Every instance serves the API; exactly one, the leader, runs the deadline scheduler and the outbox deliverer.
 * With PostgreSQL the leader is whoever holds the lease (a session advisory lock, store_lease) on a connection
 * of its own. Followers try to take it every LEASE_POLL_MS; when the leader dies its connection closes, the
 * server drops the lock, and a follower takes over within about a second: it loads every pending deadline from
 * the store (sched_start) and delivers what the outbox holds. While it leads, the same connection LISTENs for
 * deadlines and outbox rows committed by the other instances and feeds them to the scheduler and the deliverer.
 * Losing the connection means losing the lease: the scheduler and deliverer stop at once, and it tries again.
 * With SQLite there is one instance: it leads from the start (lease_start calls `start` before returning). */
#ifndef CIRS_LEASE_H
#define CIRS_LEASE_H

#include "../common/err.h"

#define LEASE_POLL_MS 1000 /* followers try to take the lease this often; the leader checks its connection as often */

/* start: became the leader (start the scheduler and the deliverer); -1 gives the lease back and retries later.
 * stop: lost the lease or shutting down (stop them). */
typedef int (*lease_start_fn)(void *ctx, cirs_err *e);
typedef void (*lease_stop_fn)(void *ctx);

/* SQLite: start() runs now and its result is returned. PostgreSQL: a thread contends for the lease; returns 0
 * once it runs (connection problems are retried, and logged). */
int lease_start(const char *db_path, lease_start_fn start, lease_stop_fn stop, void *ctx, cirs_err *e);
/* Stops contending; a leader stops its scheduler and deliverer (stop()) and gives the lease back. */
void lease_stop(void);
/* 1 while this instance leads. */
int lease_is_leader(void);
/* Leadership changes since start (for /metrics and tests). */
long lease_changes(void);

#endif
