/* sched.h — the deadline scheduler of `cirs serve`.
 *
 * Holds every pending obligation deadline in a min-heap (rebuilt from the store at start, fed by the store's
 * obligation hook afterwards) with its reminder instants. One thread sleeps until the earliest instant (idle
 * when nothing is due), then hands everything due to the writer in one job: the overdue transition at the due
 * instant (event obligation.overdue + notifications) and reminders at the configured offsets (event
 * obligation.reminder + notifications, once per obligation and step, recorded in `reminders`). A firing
 * re-reads the obligation in the writer's transaction, so a deadline met or moved meanwhile fires nothing.
 * Deadlines already past at start fire at once. Every 2 s the thread also reads the obligations above the highest id
 * it has seen, so deadlines another process commits (`cirs mail ingest` from an MTA pipe, `cirs import`) are held
 * too; the ones the hook already gave it are skipped. */
#ifndef CIRS_SCHED_H
#define CIRS_SCHED_H

#include <stdint.h>

#include "../common/err.h"

#define SCHED_REMINDERS_DEFAULT "50%,15m" /* half of the window, and 15 minutes before the deadline */
#define SCHED_STEPS_MAX 8
#define SCHED_FIRE_MAX 256                /* firings per writer job: a burst commits in steps, and requests get the writer in between */

/* Parses a reminder list: comma-separated "N%" (of the window from the clock's start) or "Nm"/"Nh"/"Ns" (before
 * the deadline). Returns the number of steps (0..SCHED_STEPS_MAX) or -1. */
int sched_parse_steps(const char *text, double pct[SCHED_STEPS_MAX], int64_t before_ms[SCHED_STEPS_MAX], char names[SCHED_STEPS_MAX][16]);

/* Loads the deadlines with its own connection to `db_path` and starts the thread (the writer must be running). */
int sched_start(const char *db_path, const char *reminders, cirs_err *e);
void sched_stop(void);
/* A pending deadline committed elsewhere (another instance on the same database: src/clock/lease.c); max is the
 * obligation's window or NULL. Ignored while the scheduler is not running. A deadline held twice fires once. */
void sched_add(int64_t id, int64_t due_ms, const char *max);

#define SCHED_LAG_NBUCKETS 12 /* firing-lag histogram bounds, ms */
#define SCHED_LAG_BUCKETS {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000}
typedef struct sched_stats {
  int64_t pending;         /* obligations with a deadline in the heap */
  int64_t due_1h;          /* of which due within the next hour */
  int64_t fired, reminders, overdue;
  uint64_t lag_le[SCHED_LAG_NBUCKETS], lag_count;
  double lag_sum_s, lag_max_s;
  int64_t load_ms, loaded; /* start-up: time to load, deadlines loaded */
  int64_t polled;          /* deadlines found by the poll: committed by another process while this one ran */
} sched_stats;
void sched_get_stats(sched_stats *out);

#endif
