/* baseline.c — the machine's ceiling for durable HTTP intake: the least a server can do per report.
 *
 *   baseline --db PATH [--listen 127.0.0.1:PORT] [--threads N]
 *
 * libmicrohttpd exactly as the service uses it (internal thread pool, epoll, turbo), plus suspend/resume:
 * a pool thread that has read a whole POST body queues it and suspends the connection; one writer thread takes
 * every queued body at once, inserts them in ONE transaction into an SQLite table (WAL, synchronous=FULL: the
 * commit fsyncs the WAL), then resumes every connection of the batch, which answers 201 {"id":N}. That is group
 * commit with nothing else: no JSON parsing, validation, grading, authentication or audit chain. GET /healthz
 * answers 200. SIGTERM/SIGINT: stop, print commits / rows / mean batch size on stderr.
 *
 * Build: cc -O2 -std=c17 -D_DEFAULT_SOURCE bench/baseline.c $(pkg-config --cflags --libs libmicrohttpd sqlite3) -lpthread
 * Used by bench/intake/run.sh as the ceiling the service is compared with (docs/PERFORMANCE.md). */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BODY_MAX (1024 * 1024) /* as the service (HTTP_BODY_MAX) */
#define BATCH_MAX 4096         /* most requests one transaction takes */

enum { RECEIVING, QUEUED, DONE };

typedef struct item {
  struct MHD_Connection *conn; /* suspended while QUEUED */
  char *buf;                   /* the body (owned) */
  size_t len, cap;
  int too_large;
  int state;                   /* RECEIVING -> QUEUED (pool thread) -> DONE (writer) */
  int status;                  /* set by the writer: 201 or 500 */
  long long id;                /* rowid given by the writer */
  struct item *next;           /* queue link */
} item;

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static item *q_head, *q_tail;
static int q_stop;
static unsigned long long n_commits, n_rows, n_max_batch;
static sqlite3 *db;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int exec(const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    fprintf(stderr, "baseline: %s: %s\n", sql, msg ? msg : "?");
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

/* The writer: one transaction per batch of everything queued, then wake the batch's connections. */
static void *writer(void *arg) {
  (void)arg;
  sqlite3_stmt *ins = NULL;
  if (sqlite3_prepare_v2(db, "INSERT INTO reports(received_ms, body) VALUES (?, ?)", -1, &ins, NULL) != SQLITE_OK) {
    fprintf(stderr, "baseline: prepare: %s\n", sqlite3_errmsg(db));
    exit(1);
  }
  for (;;) {
    pthread_mutex_lock(&q_lock);
    while (!q_head && !q_stop) pthread_cond_wait(&q_cond, &q_lock);
    if (!q_head && q_stop) {
      pthread_mutex_unlock(&q_lock);
      break;
    }
    item *batch = q_head, *last = q_head;
    unsigned long long n = 1;
    while (last->next && n < BATCH_MAX) last = last->next, n++;
    q_head = last->next;
    if (!q_head) q_tail = NULL;
    last->next = NULL;
    pthread_mutex_unlock(&q_lock);

    int ok = exec("BEGIN IMMEDIATE") == 0;
    for (item *it = batch; ok && it; it = it->next) {
      sqlite3_bind_int64(ins, 1, now_ms());
      sqlite3_bind_text(ins, 2, it->buf ? it->buf : "", (int)it->len, SQLITE_STATIC);
      if (sqlite3_step(ins) != SQLITE_DONE) {
        fprintf(stderr, "baseline: insert: %s\n", sqlite3_errmsg(db));
        ok = 0;
      }
      it->id = sqlite3_last_insert_rowid(db);
      sqlite3_reset(ins);
      sqlite3_clear_bindings(ins);
    }
    if (ok) ok = exec("COMMIT") == 0; /* fsync of the WAL happens here */
    else exec("ROLLBACK");
    n_commits++;
    n_rows += n;
    if (n > n_max_batch) n_max_batch = n;
    for (item *it = batch, *nx; it; it = nx) {
      nx = it->next;
      it->status = ok ? 201 : 500;
      it->state = DONE;
      MHD_resume_connection(it->conn); /* after this, `it` belongs to the pool thread again */
    }
  }
  sqlite3_finalize(ins);
  return NULL;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *text) {
  struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
  enum MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls) {
  (void)cls;
  (void)version;
  item *it = *con_cls;
  if (!it) {
    if (!(it = calloc(1, sizeof *it))) return MHD_NO;
    it->conn = c;
    *con_cls = it;
    return MHD_YES;
  }
  if (!strcmp(method, "GET") && !strcmp(url, "/healthz")) return reply(c, 200, "{\"status\":\"ok\"}");
  if (strcmp(method, "POST")) return reply(c, 405, "{\"error\":{\"code\":\"method_not_allowed\",\"message\":\"POST only\",\"field\":\"\"}}");
  if (*upload_size) {
    if (!it->too_large && it->len + *upload_size > BODY_MAX) it->too_large = 1;
    if (!it->too_large) {
      if (it->len + *upload_size > it->cap) {
        size_t cap = it->cap ? it->cap : 4096;
        while (cap < it->len + *upload_size) cap *= 2;
        char *nb = realloc(it->buf, cap);
        if (!nb) return MHD_NO;
        it->buf = nb;
        it->cap = cap;
      }
      memcpy(it->buf + it->len, upload_data, *upload_size);
      it->len += *upload_size;
    }
    *upload_size = 0;
    return MHD_YES;
  }
  if (it->too_large) return reply(c, 413, "{\"error\":{\"code\":\"too_large\",\"message\":\"body over 1 MiB\",\"field\":\"\"}}");
  if (it->state == RECEIVING) {
    /* Suspend under the queue lock: the writer cannot take (and resume) this item before it is suspended. */
    pthread_mutex_lock(&q_lock);
    it->state = QUEUED;
    if (q_tail) q_tail->next = it;
    else q_head = it;
    q_tail = it;
    MHD_suspend_connection(c);
    pthread_cond_signal(&q_cond);
    pthread_mutex_unlock(&q_lock);
    return MHD_YES;
  }
  if (it->state == DONE) {
    char text[64];
    if (it->status == 201) snprintf(text, sizeof text, "{\"id\":%lld}", it->id);
    else snprintf(text, sizeof text, "{\"error\":{\"code\":\"db_error\",\"message\":\"\",\"field\":\"\"}}");
    return reply(c, (unsigned)it->status, text);
  }
  return MHD_YES; /* QUEUED: not called while suspended */
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  item *it = *con_cls;
  if (it) {
    free(it->buf);
    free(it);
  }
  *con_cls = NULL;
}

int main(int argc, char **argv) {
  const char *path = NULL, *listen = "127.0.0.1:8090";
  long threads = sysconf(_SC_NPROCESSORS_ONLN);
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--db") && i + 1 < argc) path = argv[++i];
    else if (!strcmp(argv[i], "--listen") && i + 1 < argc) listen = argv[++i];
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atol(argv[++i]);
    else {
      fprintf(stderr, "usage: baseline --db PATH [--listen 127.0.0.1:PORT] [--threads N]\n");
      return 2;
    }
  }
  if (!path || threads < 1 || threads > 256) {
    fprintf(stderr, "usage: baseline --db PATH [--listen 127.0.0.1:PORT] [--threads N]\n");
    return 2;
  }
  char host[64];
  const char *colon = strrchr(listen, ':');
  int port = colon ? atoi(colon + 1) : 0;
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  if (!colon || colon - listen >= (long)sizeof host || port <= 0 || port > 65535) {
    fprintf(stderr, "baseline: bad --listen %s\n", listen);
    return 2;
  }
  memcpy(host, listen, (size_t)(colon - listen));
  host[colon - listen] = 0;
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
    fprintf(stderr, "baseline: bad listen address %s\n", host);
    return 2;
  }

  if (sqlite3_open(path, &db) != SQLITE_OK) {
    fprintf(stderr, "baseline: open %s: %s\n", path, sqlite3_errmsg(db));
    return 1;
  }
  if (exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;") ||
      exec("CREATE TABLE IF NOT EXISTS reports(id INTEGER PRIMARY KEY, received_ms INTEGER NOT NULL, body TEXT NOT NULL) STRICT"))
    return 1;

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  pthread_t w;
  if (pthread_create(&w, NULL, writer, NULL)) return 1;
  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME, (uint16_t)port, NULL, NULL, on_request,
      NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, MHD_OPTION_NOTIFY_COMPLETED,
      on_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
      MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "baseline: cannot listen on %s\n", listen);
    return 1;
  }
  fprintf(stderr, "baseline: listening on %s, %ld pool threads, db %s\n", listen, threads, path);
  int sig = 0;
  sigwait(&set, &sig);
  MHD_quiesce_daemon(d);
  pthread_mutex_lock(&q_lock);
  q_stop = 1; /* the writer drains the queue, then exits */
  pthread_cond_signal(&q_cond);
  pthread_mutex_unlock(&q_lock);
  pthread_join(w, NULL);
  MHD_stop_daemon(d);
  sqlite3_close(db);
  fprintf(stderr, "baseline: stopped: %llu commits, %llu rows, mean batch %.1f, largest %llu\n", n_commits, n_rows,
          n_commits ? (double)n_rows / (double)n_commits : 0.0, n_max_batch);
  return 0;
}
