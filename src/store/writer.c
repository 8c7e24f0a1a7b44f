/* writer.c — see writer.h. */
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/timeutil.h"

typedef struct job {
  writer_fn fn;
  void *arg;
  writer_done_fn done_fn; /* asynchronous jobs: called after the commit; the job is heap-allocated */
  void *done_arg;
  cirs_lang lang;
  int rc, done;
  cirs_err err;
  struct job *next;
} job;

static struct {
  pthread_mutex_t mu;
  pthread_cond_t wake, done;
  job *head, *tail;
  int running, stopping;
  pthread_t thread;
  store *st;
  writer_tick_fn tick;
  writer_stats stats;
} W = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};

/* The syncer: with pipelined durability (store_defer_sync), committed batches wait here for one fdatasync of
 * the log, while the writer already runs the next batch; then their callers are answered. */
static struct {
  pthread_mutex_t mu;
  pthread_cond_t wake;
  job *head, *tail;
  int on, stopping;
  char path[4096];
  pthread_t thread;
  uint64_t syncs;
} S = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

/* Answers the jobs of `list`: asynchronous ones by their callback (outside any lock), then the waiting callers. */
static void answer(job *list) {
  job *sync = NULL, **tail = &sync;
  for (job *j = list, *next; j; j = next) {
    next = j->next;
    if (j->done_fn) {
      j->done_fn(j->done_arg, j->rc, &j->err);
      free(j);
    } else {
      *tail = j;
      tail = &j->next;
    }
  }
  *tail = NULL;
  pthread_mutex_lock(&W.mu);
  for (job *j = sync; j; j = j->next) j->done = 1;
  pthread_cond_broadcast(&W.done);
  pthread_mutex_unlock(&W.mu);
}

static int sync_log(void) {
  int fd = open(S.path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : -1; /* no log: the last checkpoint synced everything into the database */
  int rc = fdatasync(fd);
  close(fd);
  return rc;
}

static void *syncer_main(void *unused) {
  (void)unused;
  pthread_mutex_lock(&S.mu);
  for (;;) {
    while (!S.head && !S.stopping) pthread_cond_wait(&S.wake, &S.mu);
    if (!S.head) break;
    job *list = S.head;
    S.head = S.tail = NULL;
    pthread_mutex_unlock(&S.mu);
    if (sync_log()) {
      char m[160];
      snprintf(m, sizeof m, "fdatasync %.100s: %.40s", S.path, strerror(errno));
      for (job *j = list; j; j = j->next)
        if (j->rc == 0) {
          j->rc = -1;
          err_set(&j->err, "io_error", "", m);
        }
    }
    answer(list);
    pthread_mutex_lock(&S.mu);
    S.syncs++;
  }
  pthread_mutex_unlock(&S.mu);
  sync_log(); /* the final tick's commit */
  return NULL;
}

static void count_batch(size_t n, int committed) {
  static const uint64_t bounds[8] = WRITER_BATCH_BOUNDS;
  if (!committed) return;
  W.stats.commits++;
  W.stats.jobs += n;
  W.stats.batch_sum += n;
  for (int i = 0; i < 8; i++)
    if (n <= bounds[i]) W.stats.batch_le[i]++;
}

static void run_tick(int final) {
  if (!W.tick) return;
  int lvl = store_level(W.st);
  cirs_err e = {0};
  if (store_begin(W.st, &e)) return;
  W.tick(W.st, time_now_ms(), final);
  if (store_level(W.st) == lvl + 1 && !store_commit(W.st, &e)) return;
  store_unwind(W.st, lvl);
}

/* One batch: every job in its own savepoint, one commit. */
static void run_batch(job *list) {
  cirs_err e = {0};
  size_t n = 0;
  int began = store_begin(W.st, &e) == 0, committed = 0;
  for (job *j = list; j; j = j->next) {
    n++;
    if (!began) {
      j->rc = -1;
      j->err = e;
      continue;
    }
    lang_set(j->lang);
    memset(&j->err, 0, sizeof j->err);
    if (store_begin(W.st, &j->err)) {
      j->rc = -1;
      continue;
    }
    j->rc = j->fn(W.st, j->arg, &j->err);
    if (j->rc == 0 && store_level(W.st) != 2) {
      j->rc = -1;
      err_set(&j->err, "internal", "", "job left its transaction unbalanced");
    }
    if (j->rc == 0 && store_commit(W.st, &j->err)) j->rc = -1;
    if (j->rc) store_unwind(W.st, 1);
  }
  if (began) {
    run_tick(0);
    if (!(committed = !store_commit(W.st, &e))) {
      store_unwind(W.st, 0);
      for (job *j = list; j; j = j->next)
        if (j->rc == 0) {
          j->rc = -1;
          j->err = e;
        }
    }
  }
  pthread_mutex_lock(&W.mu);
  if (!committed) W.stats.failed_commits++;
  count_batch(n, committed);
  pthread_mutex_unlock(&W.mu);
  if (S.on && committed) {
    /* Durable only after the syncer's next fdatasync: answered from there. */
    job *last = list;
    while (last->next) last = last->next;
    pthread_mutex_lock(&S.mu);
    if (S.tail) S.tail->next = list;
    else S.head = list;
    S.tail = last;
    pthread_cond_signal(&S.wake);
    pthread_mutex_unlock(&S.mu);
  } else {
    answer(list);
  }
}

static void *writer_main(void *unused) {
  (void)unused;
  int64_t last_tick = time_now_ms();
  pthread_mutex_lock(&W.mu);
  for (;;) {
    while (!W.head && !W.stopping) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_sec += WRITER_TICK_MS / 1000;
      if (pthread_cond_timedwait(&W.wake, &W.mu, &ts) == ETIMEDOUT) break;
    }
    if (!W.head && W.stopping) break;
    /* Take up to WRITER_BATCH_MAX waiting jobs. */
    job *list = W.head, *last = W.head;
    for (int k = 1; last && last->next && k < WRITER_BATCH_MAX; k++) last = last->next;
    if (last) {
      W.head = last->next;
      if (!W.head) W.tail = NULL;
      last->next = NULL;
    }
    pthread_mutex_unlock(&W.mu);
    if (list) {
      run_batch(list);
      last_tick = time_now_ms();
    } else if (time_now_ms() - last_tick >= WRITER_TICK_MS) {
      run_tick(0);
      last_tick = time_now_ms();
    }
    pthread_mutex_lock(&W.mu);
  }
  pthread_mutex_unlock(&W.mu);
  run_tick(1);
  return NULL;
}

int writer_start(const char *db_path, writer_tick_fn tick, cirs_err *e) {
  if (W.running) return err_set(e, "internal", "", "writer already running");
  if (store_open(db_path, 0, &W.st, e)) return -1;
  W.tick = tick;
  W.stopping = 0;
  memset(&W.stats, 0, sizeof W.stats);
  int d = store_defer_sync(W.st, S.path, sizeof S.path, e);
  if (d < 0) {
    store_close(W.st);
    return -1;
  }
  S.on = d;
  S.stopping = 0;
  if (S.on && pthread_create(&S.thread, NULL, syncer_main, NULL)) {
    store_close(W.st);
    return err_set(e, "internal", "", "pthread_create");
  }
  if (pthread_create(&W.thread, NULL, writer_main, NULL)) {
    store_close(W.st);
    return err_set(e, "internal", "", "pthread_create");
  }
  W.running = 1;
  return 0;
}

int writer_run(writer_fn fn, void *arg, cirs_err *e) {
  job j = {.fn = fn, .arg = arg, .lang = lang_get()};
  pthread_mutex_lock(&W.mu);
  if (!W.running || W.stopping) {
    pthread_mutex_unlock(&W.mu);
    return err_set_msg(e, "unavailable", "", L("服务正在停止", "the service is stopping"));
  }
  if (W.tail) W.tail->next = &j;
  else W.head = &j;
  W.tail = &j;
  pthread_cond_signal(&W.wake);
  while (!j.done) pthread_cond_wait(&W.done, &W.mu);
  pthread_mutex_unlock(&W.mu);
  if (j.rc) *e = j.err;
  return j.rc;
}

int writer_submit(writer_fn fn, void *arg, writer_done_fn done, void *done_arg, cirs_err *e) {
  job *j = calloc(1, sizeof *j);
  if (!j) return err_set(e, "internal", "", "out of memory");
  *j = (job){.fn = fn, .arg = arg, .done_fn = done, .done_arg = done_arg, .lang = lang_get()};
  pthread_mutex_lock(&W.mu);
  if (!W.running || W.stopping) {
    pthread_mutex_unlock(&W.mu);
    free(j);
    return err_set_msg(e, "unavailable", "", L("服务正在停止", "the service is stopping"));
  }
  if (W.tail) W.tail->next = j;
  else W.head = j;
  W.tail = j;
  pthread_cond_signal(&W.wake);
  pthread_mutex_unlock(&W.mu);
  return 0;
}

void writer_stop(void) {
  pthread_mutex_lock(&W.mu);
  if (!W.running) {
    pthread_mutex_unlock(&W.mu);
    return;
  }
  W.stopping = 1;
  pthread_cond_signal(&W.wake);
  pthread_mutex_unlock(&W.mu);
  pthread_join(W.thread, NULL);
  if (S.on) {
    pthread_mutex_lock(&S.mu);
    S.stopping = 1;
    pthread_cond_signal(&S.wake);
    pthread_mutex_unlock(&S.mu);
    pthread_join(S.thread, NULL);
    S.on = 0;
  }
  store_close(W.st);
  W.st = NULL;
  W.running = 0;
}

void writer_get_stats(writer_stats *out) {
  pthread_mutex_lock(&W.mu);
  *out = W.stats;
  pthread_mutex_unlock(&W.mu);
  pthread_mutex_lock(&S.mu);
  out->syncs = S.syncs;
  pthread_mutex_unlock(&S.mu);
}
