/* timeutil.h — instants, RFC 3339 and ISO 8601 durations, without the C library's time-zone state.
 *
 * An instant is milliseconds since the Unix epoch in UTC (int64_t). Offsets are minutes east of UTC. The
 * calendar math is proleptic Gregorian, so results do not depend on TZ or on timegm() being available. */
#ifndef CIRS_TIMEUTIL_H
#define CIRS_TIMEUTIL_H

#include <stdint.h>

#define TIME_STR_MAX 40  /* "2025-12-01T10:00:00.123+08:00" plus room */
#define TIME_YEAR_MIN 1970
#define TIME_YEAR_MAX 2200

/* Parses an RFC 3339 date-time with a mandatory offset ("Z" or "+hh:mm"); fractional seconds are kept to
 * the millisecond. Returns 0 and sets *ms (and *offset_min if non-NULL), or -1 when `s` is not such a time. */
int time_parse_rfc3339(const char *s, int64_t *ms, int *offset_min);

/* Parses "YYYY-MM-DD" as local midnight at `offset_min`, or a full RFC 3339 time. */
int time_parse_date_or_time(const char *s, int offset_min, int64_t *ms);

/* Formats `ms` as RFC 3339 at the given offset: "2025-12-01T14:00:00+08:00" (milliseconds only when non-zero).
 * `out` must hold TIME_STR_MAX bytes. Returns out. */
char *time_format(int64_t ms, int offset_min, char out[TIME_STR_MAX]);

/* The CLOCK_REALTIME instant `wait_ms` from now, for pthread_cond_timedwait. */
struct timespec;
void time_deadline_after(int64_t wait_ms, struct timespec *ts);

/* Current time in epoch ms (CLOCK_REALTIME), or the value of CIRS_NOW (RFC 3339) when set, for tests. */
int64_t time_now_ms(void);

/* An ISO 8601 duration limited to what rule packs need: PnYnMnDTnHnMnS, or PnW. Months and years are
 * calendar units applied in local time; days and smaller are exact (China and UTC have no DST). */
typedef struct time_dur {
  int years, months, days;
  int64_t ms; /* hours, minutes, seconds folded into milliseconds */
} time_dur;

int time_parse_duration(const char *s, time_dur *d);
/* Adds `d` to the instant `ms`, doing calendar arithmetic at `offset_min` (day-of-month clamped: Jan 31 + 1M = Feb 28/29). */
int64_t time_add(int64_t ms, const time_dur *d, int offset_min);
/* Parses "+08:00" / "-05:30" / "Z" into minutes. */
int time_parse_offset(const char *s, int *offset_min);

/* Days since 1970-01-01 for a civil date, and back. */
int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d);
void time_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
