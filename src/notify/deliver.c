/* deliver.c — see deliver.h. */
#include "deliver.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/timeutil.h"
#include "../http/server.h"
#include "../store/store.h"
#include "../store/writer.h"

#define BATCH 50
#ifdef CIRS_TEST_CLOCK
#define IDLE_MS 50
#else
#define IDLE_MS 1000
#endif
#define RETRY_CAP_MS (3600LL * 1000)

static struct {
  pthread_mutex_t mu;
  pthread_cond_t wake;
  int running, stopping, poked;
  pthread_t thread;
  deliver_config cfg;
  char *db_path;
  deliver_stats stats;
  CURL *mail;                /* the deliverer's SMTP handle (its connection is reused) */
} D = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

typedef struct buf {
  const char *data;
  size_t len, off;
} buf;

static size_t read_cb(char *ptr, size_t size, size_t nmemb, void *ud) {
  buf *b = ud;
  size_t n = size * nmemb, left = b->len - b->off;
  if (n > left) n = left;
  memcpy(ptr, b->data + b->off, n);
  b->off += n;
  return n;
}

static size_t sink(char *ptr, size_t size, size_t nmemb, void *ud) {
  (void)ptr;
  (void)ud;
  return size * nmemb;
}

/* RFC 2047 encoded word for a UTF-8 header value (base64). */
static char *encoded_word(const char *s) {
  size_t n = strlen(s), m = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
  char *b64 = malloc(m), *out = malloc(m + 16);
  sodium_bin2base64(b64, m, (const unsigned char *)s, n, sodium_base64_VARIANT_ORIGINAL);
  snprintf(out, m + 16, "=?UTF-8?B?%s?=", b64);
  free(b64);
  return out;
}

static int send_mail(const json_t *row, char *detail, size_t dn) {
  const char *to = json_string_value(json_object_get(row, "target")), *text = json_string_value(json_object_get(row, "body"));
  char *subject = encoded_word(json_string_value(json_object_get(row, "subject")));
  size_t tn = strlen(text), m = sodium_base64_ENCODED_LEN(tn, sodium_base64_VARIANT_ORIGINAL);
  char *b64 = malloc(m);
  sodium_bin2base64(b64, m, (const unsigned char *)text, tn, sodium_base64_VARIANT_ORIGINAL);
  size_t cap = m + m / 76 * 2 + strlen(subject) + 1024;
  char *msg = malloc(cap), date[64], id_hash[33];
  time_t t = (time_t)(time_now_ms() / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  unsigned char h[crypto_hash_sha256_BYTES];
  const char *key = json_string_value(json_object_get(row, "idem_key"));
  /* RFC 3834: nothing CIRS sends is answered automatically; a receipt for a mail is an automatic reply. */
  const char *kind = json_string_value(json_object_get(row, "kind"));
  int is_reply = kind && !strcmp(kind, "mail.receipt");
  crypto_hash_sha256(h, (const unsigned char *)key, strlen(key));
  sodium_bin2hex(id_hash, sizeof id_hash, h, 16);
  int len = snprintf(msg, cap,
                     "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@cirs>\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\nX-CIRS-Delivery: %s\r\n"
                     "Auto-Submitted: %s\r\n\r\n",
                     date, D.cfg.smtp_from, to, subject, id_hash, key, is_reply ? "auto-replied" : "auto-generated");
  for (size_t i = 0; i < strlen(b64); i += 76) len += snprintf(msg + len, cap - (size_t)len, "%.76s\r\n", b64 + i);
  free(b64);
  free(subject);
  buf b = {msg, (size_t)len, 0};
  /* One handle for every mail: libcurl keeps the SMTP connection open between messages (one TCP and TLS set-up
   * for a burst instead of one per message). Only the deliverer thread sends mail. */
  if (!D.mail) D.mail = curl_easy_init();
  else curl_easy_reset(D.mail);
  CURL *c = D.mail;
  struct curl_slist *rcpt = curl_slist_append(NULL, to);
  curl_easy_setopt(c, CURLOPT_URL, D.cfg.smtp_url);
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, D.cfg.smtp_from);
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(c, CURLOPT_READDATA, &b);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)D.cfg.timeout_s);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (D.cfg.smtp_starttls) curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
  if (D.cfg.smtp_user) curl_easy_setopt(c, CURLOPT_USERNAME, D.cfg.smtp_user);
  if (D.cfg.smtp_password) curl_easy_setopt(c, CURLOPT_PASSWORD, D.cfg.smtp_password);
  CURLcode r = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(rcpt);
  /* the handle stays, with its connection, for the next mail */
  free(msg);
  if (r == CURLE_OK) {
    snprintf(detail, dn, "smtp %ld", code);
    return 1;
  }
  snprintf(detail, dn, "smtp: %s (%ld)", curl_easy_strerror(r), code);
  return 0;
}

static int send_webhook(const json_t *row, char *detail, size_t dn) {
  const char *url = json_string_value(json_object_get(row, "url")), *secret = json_string_value(json_object_get(row, "secret"));
  const char *body = json_string_value(json_object_get(row, "body"));
  if (!url || !secret) {
    snprintf(detail, dn, "webhook removed");
    return 0;
  }
  char ts[24], sig[crypto_auth_hmacsha256_BYTES * 2 + 1], hdr[5][256];
  snprintf(ts, sizeof ts, "%lld", (long long)(time_now_ms() / 1000));
  crypto_auth_hmacsha256_state st;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_bin2hex(sig, sizeof sig, mac, sizeof mac);
  snprintf(hdr[0], sizeof hdr[0], "X-CIRS-Event: %s", json_string_value(json_object_get(row, "kind")));
  snprintf(hdr[1], sizeof hdr[1], "X-CIRS-Delivery: %s", json_string_value(json_object_get(row, "idem_key")));
  snprintf(hdr[2], sizeof hdr[2], "X-CIRS-Timestamp: %s", ts);
  snprintf(hdr[3], sizeof hdr[3], "X-CIRS-Signature: sha256=%s", sig);
  snprintf(hdr[4], sizeof hdr[4], "Content-Type: application/json; charset=utf-8");
  struct curl_slist *hs = NULL;
  for (int i = 0; i < 5; i++) hs = curl_slist_append(hs, hdr[i]);
  CURL *c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)D.cfg.timeout_s);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  CURLcode r = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(hs);
  curl_easy_cleanup(c);
  if (r != CURLE_OK) {
    snprintf(detail, dn, "webhook: %s", curl_easy_strerror(r));
    return 0;
  }
  snprintf(detail, dn, "HTTP %ld", code);
  return code >= 200 && code < 300;
}

typedef struct attempt {
  int64_t id, retry_ms;
  int ok;
  char detail[300];
  const json_t *row;
} attempt;

static int record(store *st, void *arg, cirs_err *e) {
  attempt *a = arg;
  if (store_outbox_attempt(st, a->id, a->ok, a->detail, time_now_ms(), a->retry_ms, e)) return -1;
  return a->ok && D.cfg.on_delivered ? D.cfg.on_delivered(st, a->row, e) : 0;
}

static void *deliver_main(void *unused) {
  (void)unused;
  store *st = NULL;
  cirs_err e = {0};
  if (store_open(D.db_path, 0, &st, &e)) {
    http_log("error", "msg=\"deliverer has no database\" err=\"%s\"", e.msg);
    return NULL;
  }
  pthread_mutex_lock(&D.mu);
  while (!D.stopping) {
    D.poked = 0;
    pthread_mutex_unlock(&D.mu);
    json_t *rows = NULL;
    int64_t next = 0, now = time_now_ms();
    if (store_outbox_due(st, now, D.cfg.smtp_url && *D.cfg.smtp_url, BATCH, &rows, &next, &e)) http_log("error", "msg=\"outbox not readable\" err=\"%s\"", e.msg);
    size_t i, n = json_array_size(rows);
    json_t *row;
    json_array_foreach(rows, i, row) {
      /* Stopping (shutdown, or this instance lost the lead to another: src/clock/lease.c): send nothing more, so at
       * most the message in flight can also be sent by the next leader. */
      pthread_mutex_lock(&D.mu);
      int stop = D.stopping;
      pthread_mutex_unlock(&D.mu);
      if (stop) break;
      attempt a = {json_integer_value(json_object_get(row, "id")), 0, 0, "", row};
      const char *ch = json_string_value(json_object_get(row, "channel"));
      a.ok = !strcmp(ch, "email") ? send_mail(row, a.detail, sizeof a.detail) : send_webhook(row, a.detail, sizeof a.detail);
      int attempts = (int)json_integer_value(json_object_get(row, "attempts")) + 1;
      if (!a.ok && attempts < D.cfg.max_attempts) {
        int64_t wait = D.cfg.retry_base_ms;
        for (int k = 1; k < attempts && wait < RETRY_CAP_MS; k++) wait *= 2;
        a.retry_ms = time_now_ms() + (wait < RETRY_CAP_MS ? wait : RETRY_CAP_MS);
      }
      cirs_err we = {0};
      if (writer_run(record, &a, &we)) {
        http_log("error", "msg=\"delivery not recorded\" outbox=%lld err=\"%s\"", (long long)a.id, we.msg);
        break;
      }
      pthread_mutex_lock(&D.mu);
      if (a.ok) D.stats.sent++;
      else if (a.retry_ms) D.stats.failed++;
      else D.stats.dead++;
      pthread_mutex_unlock(&D.mu);
      if (!a.ok) http_log("info", "msg=\"delivery failed\" outbox=%lld attempt=%d detail=\"%s\" %s", (long long)a.id, attempts, a.detail, a.retry_ms ? "retry=yes" : "dead=yes");
    }
    json_decref(rows);
    pthread_mutex_lock(&D.mu);
    if (n == BATCH || D.stopping || D.poked) continue; /* more may be due at once */
    int64_t wait = next ? next - time_now_ms() : IDLE_MS;
    if (wait > IDLE_MS) wait = IDLE_MS;
    if (wait > 0) {
      struct timespec ts;
      time_deadline_after(wait, &ts);
      pthread_cond_timedwait(&D.wake, &D.mu, &ts);
    }
  }
  pthread_mutex_unlock(&D.mu);
  store_close(st);
  return NULL;
}

int deliver_start(const char *db_path, const deliver_config *cfg, cirs_err *e) {
  if (D.running) return err_set(e, "internal", "", "deliverer already running");
  curl_global_init(CURL_GLOBAL_DEFAULT);
  D.cfg = *cfg;
  if (D.cfg.retry_base_ms <= 0) D.cfg.retry_base_ms = 30000;
  if (D.cfg.max_attempts <= 0) D.cfg.max_attempts = 8;
  if (D.cfg.timeout_s <= 0) D.cfg.timeout_s = 10;
  if (!D.cfg.smtp_from || !*D.cfg.smtp_from) D.cfg.smtp_from = "cirs@localhost";
  D.db_path = strdup(db_path);
  D.stopping = 0;
  if (pthread_create(&D.thread, NULL, deliver_main, NULL)) return err_set(e, "internal", "", "pthread_create");
  D.running = 1;
  return 0;
}

void deliver_stop(void) {
  if (!D.running) return;
  pthread_mutex_lock(&D.mu);
  D.stopping = 1;
  pthread_cond_signal(&D.wake);
  pthread_mutex_unlock(&D.mu);
  pthread_join(D.thread, NULL);
  free(D.db_path);
  D.db_path = NULL;
  D.running = 0;
  if (D.mail) curl_easy_cleanup(D.mail);
  D.mail = NULL;
  curl_global_cleanup();
}

void deliver_poke(void) {
  pthread_mutex_lock(&D.mu);
  D.poked = 1;
  pthread_cond_signal(&D.wake);
  pthread_mutex_unlock(&D.mu);
}

void deliver_get_stats(deliver_stats *out) {
  pthread_mutex_lock(&D.mu);
  *out = D.stats;
  pthread_mutex_unlock(&D.mu);
}
