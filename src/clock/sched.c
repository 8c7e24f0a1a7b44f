/* sched.c — see sched.h. */
#include "sched.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/timeutil.h"
#include "../http/server.h"
#include "../model/commands.h"
#include "../notify/notify.h"
#include "../store/store.h"
#include "../store/writer.h"
#include "../notify/deliver.h"

#define STEP_OVERDUE (-1)
#ifdef CIRS_TEST_CLOCK
#define SLEEP_MAX_MS 50 /* the test clock can jump: look often */
#else
#define SLEEP_MAX_MS 60000
#endif
/* Obligations committed by another process (`cirs mail ingest` from an MTA pipe, `cirs import`, another instance whose
 * notice was missed) are found by reading the obligations above the highest id seen, this often. */
#define POLL_MS 2000
#define POLL_ROWS 10000

typedef struct entry {
  int64_t at, id, due;
  int step; /* STEP_OVERDUE or the reminder step's index */
} entry;

static struct {
  pthread_mutex_t mu;
  pthread_cond_t wake;
  entry *heap;
  size_t n, cap;
  int running, stopping;
  pthread_t thread;
  int nsteps;
  double pct[SCHED_STEPS_MAX];
  int64_t before[SCHED_STEPS_MAX];
  char names[SCHED_STEPS_MAX][16];
  sched_stats stats;
  store *st;                 /* the thread's connection, for the poll */
  int64_t poll_after;        /* the highest obligation id the poll has read (or the load has seen) */
  struct held *hooked;       /* deadlines added by the hook that the poll has not passed: sorted by id, so it skips them */
  size_t nhooked, caphooked;
} S = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static int less(const entry *a, const entry *b) { return a->at < b->at || (a->at == b->at && a->id < b->id); }

static void push(entry x) {
  if (S.n == S.cap) {
    size_t cap = S.cap ? 2 * S.cap : 1024;
    entry *h = realloc(S.heap, cap * sizeof *h);
    if (!h) {
      http_log("error", "msg=\"scheduler out of memory: a deadline is not held (it fires at the next start)\" obligation=%lld", (long long)x.id);
      return;
    }
    S.heap = h;
    S.cap = cap;
  }
  size_t i = S.n++;
  while (i > 0 && less(&x, &S.heap[(i - 1) / 2])) {
    S.heap[i] = S.heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  S.heap[i] = x;
}

static entry pop(void) {
  entry top = S.heap[0], x = S.heap[--S.n];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= S.n) break;
    if (c + 1 < S.n && less(&S.heap[c + 1], &S.heap[c])) c++;
    if (!less(&S.heap[c], &x)) break;
    S.heap[i] = S.heap[c];
    i = c;
  }
  if (S.n) S.heap[i] = x;
  return top;
}

int sched_parse_steps(const char *text, double pct[SCHED_STEPS_MAX], int64_t before_ms[SCHED_STEPS_MAX], char names[SCHED_STEPS_MAX][16]) {
  int n = 0;
  if (!text) return 0;
  const char *p = text;
  while (*p) {
    while (*p == ' ' || *p == ',') p++;
    if (!*p) break;
    if (n == SCHED_STEPS_MAX) return -1;
    char *end;
    double v = strtod(p, &end);
    if (end == p || v < 0) return -1;
    size_t len = (size_t)(end - p) + 1;
    pct[n] = -1;
    before_ms[n] = 0;
    if (*end == '%' && v > 0 && v < 100) pct[n] = v / 100;
    else if (*end == 'm') before_ms[n] = (int64_t)(v * 60000);
    else if (*end == 'h') before_ms[n] = (int64_t)(v * 3600000);
    else if (*end == 's') before_ms[n] = (int64_t)(v * 1000);
    else return -1;
    if (pct[n] < 0 && before_ms[n] <= 0) return -1;
    if (len >= 16) return -1;
    memcpy(names[n], p, len);
    names[n][len] = 0;
    p = end + 1;
    if (*p && *p != ',' && *p != ' ') return -1;
    n++;
  }
  return n;
}

/* Queues the overdue instant and the reminders of one deadline (caller holds S.mu). start = the clock's start. */
static void add_locked(int64_t id, int64_t due, int64_t start) {
  push((entry){due, id, due, STEP_OVERDUE});
  for (int i = 0; i < S.nsteps; i++) {
    int64_t at = S.pct[i] >= 0 ? (start > 0 && start < due ? start + (int64_t)((double)(due - start) * S.pct[i]) : -1) : due - S.before[i];
    if (at < 0 || at >= due || (start > 0 && at <= start)) continue;
    push((entry){at, id, due, i});
  }
}

static int64_t window_start(int64_t due, const char *max) {
  time_dur d;
  if (!max || time_parse_duration(max, &d)) return 0;
  /* due = start + max: for exact units the start is due - max; calendar units (P1M) are rare and approximated. */
  return due - (d.ms + (int64_t)d.days * 86400000 + (int64_t)d.months * 30 * 86400000LL + (int64_t)d.years * 365 * 86400000LL);
}

/* Remembers that deadline (id, due) is held, until the poll passes the id (caller holds S.mu). Ids come mostly in
 * increasing order. The due instant is kept too: SQLite gives a rolled-back row's id out again, and the poll must not
 * skip another process's obligation that got it. */
typedef struct held {
  int64_t id, due;
} held;

static void hooked_add(int64_t id, int64_t due) {
  if (id <= S.poll_after) return; /* the poll has passed it: it will not be read again */
  if (S.nhooked == S.caphooked) {
    size_t cap = S.caphooked ? 2 * S.caphooked : 256;
    held *h = realloc(S.hooked, cap * sizeof *h);
    if (!h) return; /* then the poll may hold it twice, which fires once */
    S.hooked = h;
    S.caphooked = cap;
  }
  size_t i = S.nhooked++;
  while (i > 0 && S.hooked[i - 1].id > id) {
    S.hooked[i] = S.hooked[i - 1];
    i--;
  }
  S.hooked[i] = (held){id, due};
}

static int hooked_has(int64_t id, int64_t due) {
  size_t lo = 0, hi = S.nhooked;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (S.hooked[mid].id < id) lo = mid + 1;
    else hi = mid;
  }
  for (; lo < S.nhooked && S.hooked[lo].id == id; lo++)
    if (S.hooked[lo].due == due) return 1;
  return 0;
}

static void on_obligation(int64_t id, int64_t due_ms, const char *max) {
  int64_t start = max ? window_start(due_ms, max) : time_now_ms();
  pthread_mutex_lock(&S.mu);
  if (S.running) {
    add_locked(id, due_ms, start);
    hooked_add(id, due_ms);
    pthread_cond_signal(&S.wake);
  }
  pthread_mutex_unlock(&S.mu);
}

void sched_add(int64_t id, int64_t due_ms, const char *max) { on_obligation(id, due_ms, max); }

static void on_load(void *ctx, int64_t id, int64_t due_ms, const char *max) {
  (void)ctx;
  add_locked(id, due_ms, window_start(due_ms, max));
  if (id > S.poll_after) S.poll_after = id;
}

/* --- the poll: deadlines committed by other processes ---------------------------------------------------------- */

typedef struct polled {
  entry *v; /* at = the clock's start, due, id */
  size_t n, cap;
} polled;

static void on_poll(void *ctx, int64_t id, int64_t due_ms, const char *max) {
  polled *p = ctx;
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 64;
    entry *v = realloc(p->v, cap * sizeof *v);
    if (!v) return;
    p->v = v;
    p->cap = cap;
  }
  p->v[p->n++] = (entry){window_start(due_ms, max), id, due_ms, 0};
}

/* Reads the obligations above the highest id seen (without S.mu), then holds the pending ones the hook has not. */
static void poll_new(void) {
  pthread_mutex_lock(&S.mu);
  int64_t after = S.poll_after;
  pthread_mutex_unlock(&S.mu);
  polled p = {0};
  int64_t last = after;
  cirs_err e = {0};
  int n;
  while ((n = store_deadlines_after(S.st, last, POLL_ROWS, on_poll, &p, &last, &e)) == POLL_ROWS) {
  }
  if (n < 0) http_log("error", "msg=\"new deadlines not readable\" err=\"%s\"", e.msg);
  pthread_mutex_lock(&S.mu);
  size_t added = 0;
  for (size_t i = 0; i < p.n; i++)
    if (!hooked_has(p.v[i].id, p.v[i].due)) {
      add_locked(p.v[i].id, p.v[i].due, p.v[i].at);
      added++;
    }
  if (n >= 0) S.poll_after = last; /* lower only when the table's highest ids went (store_deadlines_after) */
  size_t k = 0; /* forget the hooked ids the poll has passed */
  while (k < S.nhooked && S.hooked[k].id <= S.poll_after) k++;
  if (k) {
    memmove(S.hooked, S.hooked + k, (S.nhooked - k) * sizeof *S.hooked);
    S.nhooked -= k;
  }
  S.stats.polled += (int64_t)added;
  pthread_mutex_unlock(&S.mu);
  if (added) http_log("info", "msg=\"deadlines from other processes\" n=%zu", added);
  free(p.v);
}

static int64_t mono_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* --- firing (a writer job) ------------------------------------------------------------------------------------ */

typedef struct fire_job {
  entry *due;
  size_t n;
  int64_t reminders, overdue;
} fire_job;

static int notify_party(store *st, const json_t *ob, const char *kind, json_t *vars, int with_recipients, cirs_err *e) {
  notify_target t[16];
  int n = 0;
  if (!strcmp(json_string_value(json_object_get(ob, "from_party")), "operator"))
    t[n++] = (notify_target){0, json_integer_value(json_object_get(ob, "organisation_id"))};
  else if (json_integer_value(json_object_get(ob, "from_authority_id")))
    t[n++] = (notify_target){json_integer_value(json_object_get(ob, "from_authority_id")), 0};
  if (with_recipients) {
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(ob, "to_authorities"), i, a) {
      const char *code = json_string_value(json_object_get(a, "authority"));
      int64_t aid = code ? store_id_of(st, "authority", code) : 0;
      if (aid && n < 16) t[n++] = (notify_target){aid, 0};
    }
  }
  return notify_send(st, model_last_event_id(), kind, json_integer_value(json_object_get(ob, "incident_id")), t, n, vars, e);
}

static int fire_one(store *st, const entry *x, int64_t now, fire_job *j, cirs_err *e) {
  json_t *ob;
  if (store_obligation_get(st, x->id, &ob, e)) return strcmp(e->code, "not_found") ? -1 : 0;
  int rc = 0;
  const char *status = json_string_value(json_object_get(ob, "status"));
  int64_t due = json_integer_value(json_object_get(ob, "due_ms"));
  if (strcmp(status, "pending") || !json_is_integer(json_object_get(ob, "due_ms")) || due != x->due) goto done; /* met, waived or moved */
  char dbuf[TIME_STR_MAX], left[32];
  json_t *vars = json_pack("{s:O, s:O, s:O, s:s, s:b, s:O, s:s}", "ref", json_object_get(ob, "ref"), "title", json_object_get(ob, "title"), "grade",
                           json_object_get(ob, "grade"), "grade_en", model_grade_en(json_string_value(json_object_get(ob, "grade"))), "drill",
                           json_integer_value(json_object_get(ob, "drill")) == 1, "kind", json_object_get(ob, "kind"), "due",
                           time_format(due, 480, dbuf));
  json_int_t iid = json_integer_value(json_object_get(ob, "incident_id"));
  if (x->step == STEP_OVERDUE) {
    rc = store_obligation_update(st, x->id, "overdue", due, MODEL_NO_TIME, e) ||
         model_event_add(st, "system", "obligation.overdue", "obligation", x->id,
                         json_pack("{s:I, s:O, s:s, s:I}", "incident_id", iid, "kind", json_object_get(ob, "kind"), "due", dbuf, "fired_ms",
                                   (json_int_t)now),
                         e) ||
         notify_party(st, ob, "obligation.overdue", vars, 1, e);
    if (!rc) j->overdue++;
  } else if (due > now) {
    int fresh = store_reminder_mark(st, x->id, S.names[x->step], now, e);
    if (fresh < 0) rc = -1;
    else if (fresh) {
      int64_t mins = (due - now + 59999) / 60000;
      snprintf(left, sizeof left, "%lld min", (long long)mins);
      json_object_set_new(vars, "left", json_string(left));
      rc = model_event_add(st, "system", "obligation.reminder", "obligation", x->id,
                           json_pack("{s:I, s:O, s:s, s:s, s:I}", "incident_id", iid, "kind", json_object_get(ob, "kind"), "due", dbuf, "step",
                                     S.names[x->step], "fired_ms", (json_int_t)now),
                           e) ||
           notify_party(st, ob, "obligation.reminder", vars, 0, e);
      if (!rc) j->reminders++;
    }
  }
  json_decref(vars);
done:
  json_decref(ob);
  return rc;
}

static int fire_all(store *st, void *arg, cirs_err *e) {
  fire_job *j = arg;
  int64_t now = time_now_ms();
  for (size_t i = 0; i < j->n; i++) {
    /* Each firing in its own savepoint: one that fails is logged and retried later, the others stand. */
    int lvl = store_level(st);
    cirs_err fe = {0};
    if (store_begin(st, &fe) || fire_one(st, &j->due[i], now, j, &fe) || store_commit(st, &fe)) {
      store_unwind(st, lvl);
      http_log("error", "msg=\"deadline firing failed\" obligation=%lld err=\"%s\"", (long long)j->due[i].id, fe.msg);
    }
  }
  (void)e;
  return 0;
}

static void *sched_main(void *unused) {
  (void)unused;
  int64_t polled_at = mono_ms();
  pthread_mutex_lock(&S.mu);
  while (!S.stopping) {
    if (mono_ms() - polled_at >= POLL_MS) {
      pthread_mutex_unlock(&S.mu);
      poll_new();
      polled_at = mono_ms();
      pthread_mutex_lock(&S.mu);
      continue;
    }
    int64_t now = time_now_ms();
    if (!S.n || S.heap[0].at > now) {
      int64_t wait = S.n ? S.heap[0].at - now : SLEEP_MAX_MS;
      if (wait > SLEEP_MAX_MS) wait = SLEEP_MAX_MS;
      if (wait > POLL_MS) wait = POLL_MS;
      struct timespec ts;
      time_deadline_after(wait, &ts);
      pthread_cond_timedwait(&S.wake, &S.mu, &ts);
      continue;
    }
    fire_job j = {malloc(SCHED_FIRE_MAX * sizeof(entry)), 0, 0, 0};
    while (S.n && S.heap[0].at <= now && j.n < SCHED_FIRE_MAX) j.due[j.n++] = pop();
    pthread_mutex_unlock(&S.mu);
    cirs_err e = {0};
    int rc = writer_run(fire_all, &j, &e);
    int64_t done = time_now_ms();
    pthread_mutex_lock(&S.mu);
    if (rc) {
      /* The batch did not commit (or the writer stops): put them back and try again shortly. */
      http_log("error", "msg=\"deadline batch not committed\" n=%zu err=\"%s\"", j.n, e.msg);
      for (size_t i = 0; i < j.n; i++) push((entry){done + 1000, j.due[i].id, j.due[i].due, j.due[i].step});
    } else {
      static const int64_t bounds[SCHED_LAG_NBUCKETS] = SCHED_LAG_BUCKETS;
      for (size_t i = 0; i < j.n; i++) {
        double lag = (double)(done - j.due[i].at) / 1000.0;
        S.stats.lag_count++;
        S.stats.lag_sum_s += lag;
        if (lag > S.stats.lag_max_s) S.stats.lag_max_s = lag;
        for (int b = 0; b < SCHED_LAG_NBUCKETS; b++)
          if (done - j.due[i].at <= bounds[b]) S.stats.lag_le[b]++;
      }
      S.stats.fired += (int64_t)j.n;
      http_log("info", "msg=\"deadlines fired\" n=%zu overdue=%lld reminders=%lld done_ms=%lld lag_ms_max=%lld", j.n, (long long)j.overdue,
               (long long)j.reminders, (long long)done, (long long)(done - j.due[0].at));
      if (j.reminders || j.overdue) deliver_poke();
      S.stats.reminders += j.reminders;
      S.stats.overdue += j.overdue;
    }
    free(j.due);
  }
  pthread_mutex_unlock(&S.mu);
  return NULL;
}

int sched_start(const char *db_path, const char *reminders, cirs_err *e) {
  pthread_mutex_lock(&S.mu);
  S.nsteps = sched_parse_steps(reminders ? reminders : SCHED_REMINDERS_DEFAULT, S.pct, S.before, S.names);
  pthread_mutex_unlock(&S.mu);
  if (S.nsteps < 0) return err_set(e, "bad_value", "reminders", L("提醒设置应为逗号分隔的 N% 或 Nm、Nh、Ns，例如 50%,15m", "reminders: comma-separated N% or Nm, Nh, Ns, e.g. 50%,15m"));
  store *st;
  if (store_open(db_path, 0, &st, e)) return -1;
  int64_t t0 = time_now_ms();
  pthread_mutex_lock(&S.mu);
  S.running = 1; /* the hook feeds the heap from now on; the load below may see some twice (harmless) */
  pthread_mutex_unlock(&S.mu);
  store_set_obligation_hook(on_obligation);
  pthread_mutex_lock(&S.mu);
  S.n = 0;
  S.poll_after = 0;
  int rc = store_deadlines(st, on_load, NULL, e);
  S.stats.loaded = (int64_t)S.n;
  S.stats.load_ms = time_now_ms() - t0;
  S.stopping = 0;
  pthread_mutex_unlock(&S.mu);
  S.st = st;
  if (rc || pthread_create(&S.thread, NULL, sched_main, NULL)) {
    store_set_obligation_hook(NULL);
    store_close(st);
    S.st = NULL;
    S.running = 0;
    return rc ? -1 : err_set(e, "internal", "", "pthread_create");
  }
  http_log("info", "msg=\"scheduler started\" deadlines_and_reminders=%lld load_ms=%lld reminders=\"%s\"", (long long)S.stats.loaded,
           (long long)S.stats.load_ms, reminders ? reminders : SCHED_REMINDERS_DEFAULT);
  return 0;
}

void sched_stop(void) {
  pthread_mutex_lock(&S.mu);
  if (!S.running) {
    pthread_mutex_unlock(&S.mu);
    return;
  }
  S.stopping = 1;
  pthread_cond_signal(&S.wake);
  pthread_mutex_unlock(&S.mu);
  pthread_join(S.thread, NULL);
  store_set_obligation_hook(NULL);
  pthread_mutex_lock(&S.mu);
  S.running = 0;
  free(S.heap);
  S.heap = NULL;
  S.n = S.cap = 0;
  free(S.hooked);
  S.hooked = NULL;
  S.nhooked = S.caphooked = 0;
  pthread_mutex_unlock(&S.mu);
  store_close(S.st);
  S.st = NULL;
}

void sched_get_stats(sched_stats *out) {
  pthread_mutex_lock(&S.mu);
  *out = S.stats;
  int64_t now = time_now_ms(), pending = 0, soon = 0;
  for (size_t i = 0; i < S.n; i++)
    if (S.heap[i].step == STEP_OVERDUE) {
      pending++;
      if (S.heap[i].at <= now + 3600000) soon++;
    }
  out->pending = pending;
  out->due_1h = soon;
  pthread_mutex_unlock(&S.mu);
}
