/* timeutil.c — see timeutil.h. Civil-date conversions follow the well-known era/day-of-era method. */
#include "timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void time_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = (unsigned)(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* Reads exactly n digits. */
static int digits(const char **p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)(*p)[i])) return -1;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *out = v;
  return 0;
}

int time_parse_offset(const char *s, int *offset_min) {
  if ((s[0] == 'Z' || s[0] == 'z') && s[1] == 0) {
    *offset_min = 0;
    return 0;
  }
  if (s[0] != '+' && s[0] != '-') return -1;
  const char *p = s + 1;
  int hh, mm;
  if (digits(&p, 2, &hh) || *p++ != ':' || digits(&p, 2, &mm) || *p) return -1;
  if (hh > 23 || mm > 59) return -1;
  *offset_min = (s[0] == '-' ? -1 : 1) * (hh * 60 + mm);
  return 0;
}

int time_parse_rfc3339(const char *s, int64_t *ms, int *offset_min) {
  if (!s || strlen(s) > TIME_STR_MAX) return -1;
  const char *p = s;
  int Y, M, D, h, m, sec, frac = 0, off;
  if (digits(&p, 4, &Y) || *p++ != '-' || digits(&p, 2, &M) || *p++ != '-' || digits(&p, 2, &D)) return -1;
  if (*p != 'T' && *p != 't' && *p != ' ') return -1;
  p++;
  if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &m) || *p++ != ':' || digits(&p, 2, &sec)) return -1;
  if (*p == '.') {
    p++;
    int n = 0;
    while (isdigit((unsigned char)*p)) {
      if (n < 3) frac = frac * 10 + (*p - '0');
      n++;
      p++;
    }
    if (n == 0 || n > 9) return -1;
    for (; n < 3; n++) frac *= 10;
  }
  if (time_parse_offset(p, &off)) return -1;
  if (Y < TIME_YEAR_MIN || Y > TIME_YEAR_MAX || M < 1 || M > 12 || D < 1 || (unsigned)D > days_in_month(Y, (unsigned)M) ||
      h > 23 || m > 59 || sec > 60)
    return -1;
  if (sec == 60) sec = 59; /* a leap second is held at :59.999 rather than rejected */
  int64_t days = time_days_from_civil(Y, (unsigned)M, (unsigned)D);
  *ms = ((days * 86400 + h * 3600 + m * 60 + sec) - (int64_t)off * 60) * 1000 + frac;
  if (offset_min) *offset_min = off;
  return 0;
}

int time_parse_date_or_time(const char *s, int offset_min, int64_t *ms) {
  if (strlen(s) == 10) {
    const char *p = s;
    int Y, M, D;
    if (digits(&p, 4, &Y) || *p++ != '-' || digits(&p, 2, &M) || *p++ != '-' || digits(&p, 2, &D)) return -1;
    if (Y < TIME_YEAR_MIN || Y > TIME_YEAR_MAX || M < 1 || M > 12 || D < 1 || (unsigned)D > days_in_month(Y, (unsigned)M))
      return -1;
    *ms = (time_days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 - (int64_t)offset_min * 60) * 1000;
    return 0;
  }
  return time_parse_rfc3339(s, ms, NULL);
}

/* Splits an instant into the civil date and the milliseconds into that day, at `offset_min`. */
static void split_local(int64_t ms, int offset_min, int64_t *y, unsigned *m, unsigned *d, int64_t *rem) {
  int64_t local = ms + (int64_t)offset_min * 60000;
  int64_t days = local >= 0 ? local / 86400000 : -((-local + 86399999) / 86400000);
  *rem = local - days * 86400000;
  time_civil_from_days(days, y, m, d);
}

char *time_format(int64_t ms, int offset_min, char out[TIME_STR_MAX]) {
  int64_t y, rem;
  unsigned mo, d;
  split_local(ms, offset_min, &y, &mo, &d, &rem);
  int h = (int)(rem / 3600000), mi = (int)(rem / 60000 % 60), s = (int)(rem / 1000 % 60), f = (int)(rem % 1000);
  char off[16];
  if (offset_min == 0)
    snprintf(off, sizeof off, "Z");
  else
    snprintf(off, sizeof off, "%c%02d:%02d", offset_min < 0 ? '-' : '+', abs(offset_min) / 60, abs(offset_min) % 60);
  char tmp[96];
  if (f)
    snprintf(tmp, sizeof tmp, "%04lld-%02u-%02uT%02d:%02d:%02d.%03d%s", (long long)y, mo, d, h, mi, s, f, off);
  else
    snprintf(tmp, sizeof tmp, "%04lld-%02u-%02uT%02d:%02d:%02d%s", (long long)y, mo, d, h, mi, s, off);
  size_t n = strlen(tmp);
  if (n >= TIME_STR_MAX) n = TIME_STR_MAX - 1;
  memcpy(out, tmp, n);
  out[n] = 0;
  return out;
}

#ifdef CIRS_TEST_CLOCK
/* Test builds only (make's cirs-testclock): the clock runs CIRS_TEST_CLOCK's file content (milliseconds, may be
 * negative) ahead of the real one; the file is re-read at most every 10 ms, so a test can move time while the
 * service runs. */
#include <pthread.h>
#include <stdio.h>
static int64_t test_offset(void) {
  static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  static int64_t offset, read_at;
  const char *path = getenv("CIRS_TEST_CLOCK");
  if (!path || !*path) return 0;
  struct timespec m;
  clock_gettime(CLOCK_MONOTONIC, &m);
  int64_t now = (int64_t)m.tv_sec * 1000 + m.tv_nsec / 1000000;
  pthread_mutex_lock(&mu);
  if (now - read_at >= 10 || read_at == 0) {
    FILE *f = fopen(path, "r");
    long long v;
    if (f && fscanf(f, "%lld", &v) == 1) offset = v;
    if (f) fclose(f);
    read_at = now;
  }
  int64_t o = offset;
  pthread_mutex_unlock(&mu);
  return o;
}
#endif

int64_t time_now_ms(void) {
#ifdef CIRS_TEST_CLOCK
  {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000 + test_offset();
  }
#endif
  const char *fake = getenv("CIRS_NOW");
  int64_t ms;
  if (fake && *fake && time_parse_rfc3339(fake, &ms, NULL) == 0) return ms;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int time_parse_duration(const char *s, time_dur *d) {
  memset(d, 0, sizeof *d);
  if (!s || *s != 'P' || strlen(s) > 32) return -1;
  const char *p = s + 1;
  int in_time = 0, any = 0;
  while (*p) {
    if (*p == 'T') {
      if (in_time) return -1;
      in_time = 1;
      p++;
      if (!*p) return -1;
      continue;
    }
    if (!isdigit((unsigned char)*p)) return -1;
    long v = 0;
    while (isdigit((unsigned char)*p)) {
      v = v * 10 + (*p - '0');
      if (v > 100000) return -1;
      p++;
    }
    char u = *p++;
    any = 1;
    if (!in_time) {
      switch (u) {
      case 'Y': d->years += (int)v; break;
      case 'M': d->months += (int)v; break;
      case 'W': d->days += (int)v * 7; break;
      case 'D': d->days += (int)v; break;
      default: return -1;
      }
    } else {
      switch (u) {
      case 'H': d->ms += (int64_t)v * 3600000; break;
      case 'M': d->ms += (int64_t)v * 60000; break;
      case 'S': d->ms += (int64_t)v * 1000; break;
      default: return -1;
      }
    }
  }
  return any ? 0 : -1;
}

int64_t time_add(int64_t ms, const time_dur *d, int offset_min) {
  if (d->years || d->months) {
    int64_t y, rem;
    unsigned m, dd;
    split_local(ms, offset_min, &y, &m, &dd, &rem);
    int64_t mi = (int64_t)m - 1 + d->months + (int64_t)d->years * 12;
    y += mi >= 0 ? mi / 12 : -((-mi + 11) / 12);
    mi = ((mi % 12) + 12) % 12;
    m = (unsigned)mi + 1;
    if (dd > days_in_month(y, m)) dd = days_in_month(y, m);
    ms = time_days_from_civil(y, m, dd) * 86400000 + rem - (int64_t)offset_min * 60000;
  }
  return ms + (int64_t)d->days * 86400000 + d->ms;
}

void time_deadline_after(int64_t wait_ms, struct timespec *ts) {
  clock_gettime(CLOCK_REALTIME, ts);
  int64_t ns = ts->tv_nsec + (wait_ms % 1000) * 1000000;
  ts->tv_sec += wait_ms / 1000 + ns / 1000000000;
  ts->tv_nsec = ns % 1000000000;
}
