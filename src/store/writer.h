/* writer.h — the single writer thread of `cirs serve` (group commit).
 *
 * Every change the service makes runs as a job on one thread that owns the only writing connection. The
 * thread takes all jobs waiting at that moment (up to WRITER_BATCH_MAX), runs each inside its own savepoint of
 * one transaction, commits once (one fsync for the whole batch), and only then wakes the callers. A job that
 * fails is rolled back alone; the others in its batch are kept. So a caller's 2xx always means "on disk", and
 * concurrent requests share the cost of the fsync instead of queueing for it.
 *
 * Where the backend allows it (store_defer_sync: SQLite's WAL), the fsync is pipelined: the COMMIT returns at
 * once and a second thread, the syncer, calls fdatasync on the log and then answers every batch committed
 * before that call, while the writer already runs the next batch. The promise is the same (no answer before
 * the data is on disk); the writer no longer waits for the disk. */
#ifndef CIRS_WRITER_H
#define CIRS_WRITER_H

#include <stdint.h>

#include "store.h"

#define WRITER_BATCH_MAX 256
#define WRITER_TICK_MS 1000 /* the tick hook runs at least this often */

/* A job: runs inside a transaction level of its own on the writer's connection; 0 = keep, -1 = undo (e set). */
typedef int (*writer_fn)(store *st, void *arg, cirs_err *e);

/* Called after the jobs of every batch and at least every WRITER_TICK_MS, inside the batch transaction, for
 * deferred work (access-log flushes, clean-up). Its failure is logged and undone; it never fails a batch. */
typedef void (*writer_tick_fn)(store *st, int64_t now_ms, int final);

/* Opens the writer's own connection to `db_path` and starts the thread. */
int writer_start(const char *db_path, writer_tick_fn tick, cirs_err *e);
/* Runs `fn` in the next batch and waits until that batch is committed. Returns fn's result; when fn
 * succeeded but the commit failed, -1 with a db_error. The caller's language applies to messages. */
int writer_run(writer_fn fn, void *arg, cirs_err *e);
/* The same without waiting: `fn` runs in the next batch, and once that batch is committed (or failed),
 * done(done_arg, rc, e) is called on the writer thread, outside its lock; it should only hand the result over
 * (wake the request), since the next batch waits for it. -1 (e set) when the writer is stopping: then done is
 * never called. */
typedef void (*writer_done_fn)(void *done_arg, int rc, const cirs_err *e);
int writer_submit(writer_fn fn, void *arg, writer_done_fn done, void *done_arg, cirs_err *e);
/* Finishes queued jobs, runs the tick one last time (final = 1), stops the thread, closes the connection. */
void writer_stop(void);

typedef struct writer_stats {
  uint64_t commits;                 /* committed batches */
  uint64_t jobs;                    /* jobs run */
  uint64_t failed_commits;
  uint64_t batch_le[8];             /* batches of size <= 1, 2, 4, 8, 16, 32, 64, 256 (cumulative buckets) */
  uint64_t batch_sum;
  uint64_t syncs;                   /* fdatasync calls of the syncer (pipelined durability), 0 without it */
} writer_stats;
#define WRITER_BATCH_BOUNDS {1, 2, 4, 8, 16, 32, 64, 256}
void writer_get_stats(writer_stats *out);

#endif
