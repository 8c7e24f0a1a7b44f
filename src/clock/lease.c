/* lease.c — see lease.h. */
#include "lease.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/timeutil.h"
#include "../http/server.h"
#include "../notify/deliver.h"
#include "../store/store.h"
#include "sched.h"

static struct {
  pthread_mutex_t mu;
  pthread_cond_t wake;
  int running, stopping, leader;
  long changes;
  pthread_t thread;
  char *db_path;
  lease_start_fn start;
  lease_stop_fn stop;
  void *ctx;
} LS = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void set_leader(int on) {
  pthread_mutex_lock(&LS.mu);
  LS.leader = on;
  LS.changes++;
  pthread_mutex_unlock(&LS.mu);
}

/* A notice from another instance's commit: a deadline for the scheduler, or outbox rows for the deliverer. */
static void on_notice(void *ctx, const char *channel, const char *payload) {
  (void)ctx;
  if (!strcmp(channel, "cirs_outbox")) {
    deliver_poke();
    return;
  }
  if (strcmp(channel, "cirs_deadline")) return;
  long long id, due;
  char max[64] = "";
  if (sscanf(payload, "%lld %lld %63s", &id, &due, max) < 2) return;
  sched_add((int64_t)id, (int64_t)due, max[0] ? max : NULL);
}

/* Sleeps up to ms unless stopping; returns 1 when stopping. */
static int nap(int64_t ms) {
  struct timespec ts;
  time_deadline_after(ms, &ts);
  pthread_mutex_lock(&LS.mu);
  if (!LS.stopping) pthread_cond_timedwait(&LS.wake, &LS.mu, &ts);
  int s = LS.stopping;
  pthread_mutex_unlock(&LS.mu);
  return s;
}

static void step_down(const char *why) {
  if (!LS.leader) return;
  LS.stop(LS.ctx);
  set_leader(0);
  if (strcmp(why, "shutdown")) http_log("warn", "msg=\"leadership lost: scheduler and deliverer stopped\" why=\"%s\"", why);
  else http_log("info", "msg=\"stepped down: scheduler and deliverer stopped\"");
}

static void *lease_main(void *unused) {
  (void)unused;
  store *st = NULL;
  int64_t last_complaint = 0;
  for (;;) {
    pthread_mutex_lock(&LS.mu);
    int stopping = LS.stopping;
    pthread_mutex_unlock(&LS.mu);
    if (stopping) break;
    cirs_err e = {0};
    if (!st && store_open(LS.db_path, 0, &st, &e)) {
      st = NULL;
      if (time_now_ms() - last_complaint > 30000) {
        http_log("error", "msg=\"lease connection failed\" err=\"%s\"", e.msg);
        last_complaint = time_now_ms();
      }
      if (nap(LEASE_POLL_MS)) break;
      continue;
    }
    int held = 0;
    if (store_lease(st, &held, &e)) {
      step_down(e.msg);
      store_close(st);
      st = NULL;
      if (nap(LEASE_POLL_MS)) break;
      continue;
    }
    if (held && !LS.leader) {
      /* Listen before loading, so nothing committed meanwhile is missed (seen twice at worst: harmless). */
      int64_t t0 = time_now_ms();
      if (store_listen(st, &e) || LS.start(LS.ctx, &e)) {
        http_log("error", "msg=\"could not take the lead; giving the lease back\" err=\"%s\"", e.msg);
        store_close(st); /* the lock goes with the connection */
        st = NULL;
        if (nap(LEASE_POLL_MS)) break;
        continue;
      }
      set_leader(1);
      http_log("info", "msg=\"leadership taken: scheduler and deliverer running\" takeover_ms=%lld", (long long)(time_now_ms() - t0));
    }
    if (LS.leader) {
      /* Wait for notices; the connection is checked on every round. */
      if (store_wait(st, LEASE_POLL_MS, on_notice, NULL, &e)) {
        step_down(e.msg);
        store_close(st);
        st = NULL;
      }
    } else if (nap(LEASE_POLL_MS)) {
      break;
    }
  }
  step_down("shutdown");
  if (st) store_close(st);
  return NULL;
}

int lease_start(const char *db_path, lease_start_fn start, lease_stop_fn stop, void *ctx, cirs_err *e) {
  if (LS.running) return err_set(e, "internal", "", "lease already running");
  store *st;
  if (store_open(db_path, 0, &st, e)) return -1;
  int shared = store_shared(st);
  store_close(st);
  LS.start = start;
  LS.stop = stop;
  LS.ctx = ctx;
  LS.stopping = 0;
  if (!shared) {
    if (start(ctx, e)) return -1;
    set_leader(1);
    LS.running = 1;
    return 0;
  }
  LS.db_path = strdup(db_path);
  if (pthread_create(&LS.thread, NULL, lease_main, NULL)) {
    free(LS.db_path);
    LS.db_path = NULL;
    return err_set(e, "internal", "", "pthread_create");
  }
  LS.running = 1;
  return 0;
}

void lease_stop(void) {
  if (!LS.running) return;
  if (LS.db_path) {
    pthread_mutex_lock(&LS.mu);
    LS.stopping = 1;
    pthread_cond_signal(&LS.wake);
    pthread_mutex_unlock(&LS.mu);
    pthread_join(LS.thread, NULL);
    free(LS.db_path);
    LS.db_path = NULL;
  } else if (LS.leader) {
    LS.stop(LS.ctx);
    set_leader(0);
  }
  LS.running = 0;
}

int lease_is_leader(void) {
  pthread_mutex_lock(&LS.mu);
  int l = LS.leader;
  pthread_mutex_unlock(&LS.mu);
  return l;
}

long lease_changes(void) {
  pthread_mutex_lock(&LS.mu);
  long c = LS.changes;
  pthread_mutex_unlock(&LS.mu);
  return c;
}
