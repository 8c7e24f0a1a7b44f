/* test_time.c — RFC 3339, durations and calendar arithmetic; audit hashing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/audit/chain.h"
#include "../../src/common/timeutil.h"

static void rfc3339(void **state) {
  (void)state;
  int64_t a, b;
  int off;
  assert_int_equal(time_parse_rfc3339("2025-12-01T10:00:00+08:00", &a, &off), 0);
  assert_int_equal(off, 480);
  assert_int_equal(time_parse_rfc3339("2025-12-01T02:00:00Z", &b, &off), 0);
  assert_true(a == b);
  assert_int_equal((int)(a % 1000), 0);
  assert_int_equal(time_parse_rfc3339("2025-12-01T02:00:00.250Z", &b, NULL), 0);
  assert_true(b - a == 250);
  assert_int_equal(time_parse_rfc3339("1970-01-01T00:00:00Z", &a, NULL), 0);
  assert_true(a == 0);
  const char *bad[] = {"2025-12-01", "2025-12-01T10:00:00", "2025-13-01T00:00:00Z", "2025-02-29T00:00:00Z", "2025-12-01T24:00:00Z",
                       "2025-12-01T10:00:00+8:00", "2025-12-01T10:00:00+08:00x", "", "1969-12-31T23:59:59Z"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (!time_parse_rfc3339(bad[i], &a, NULL)) fail_msg("accepted %s", bad[i]);
  assert_int_equal(time_parse_rfc3339("2024-02-29T00:00:00Z", &a, NULL), 0); /* leap year */
  char out[TIME_STR_MAX];
  time_parse_rfc3339("2025-12-31T20:30:00Z", &a, NULL);
  assert_string_equal(time_format(a, 480, out), "2026-01-01T04:30:00+08:00");
  assert_string_equal(time_format(a, 0, out), "2025-12-31T20:30:00Z");
  assert_string_equal(time_format(a, -330, out), "2025-12-31T15:00:00-05:30");
}

static void durations(void **state) {
  (void)state;
  time_dur d;
  int64_t a, b;
  char out[TIME_STR_MAX];
  assert_int_equal(time_parse_duration("PT4H", &d), 0);
  assert_true(d.ms == 4 * 3600000LL);
  assert_int_equal(time_parse_duration("PT30M", &d), 0);
  assert_true(d.ms == 30 * 60000LL);
  assert_int_equal(time_parse_duration("P30D", &d), 0);
  assert_int_equal(d.days, 30);
  assert_int_equal(time_parse_duration("P1M", &d), 0);
  assert_int_equal(d.months, 1);
  assert_int_equal(time_parse_duration("P1DT2H", &d), 0);
  const char *bad[] = {"4H", "P", "PT", "P1H", "PT1D", "P-1D", "P1.5D", "PT4Hx"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (!time_parse_duration(bad[i], &d)) fail_msg("accepted %s", bad[i]);
  /* A month after 31 January is the last day of February, in local time. */
  time_parse_duration("P1M", &d);
  time_parse_rfc3339("2026-01-31T10:00:00+08:00", &a, NULL);
  b = time_add(a, &d, 480);
  assert_string_equal(time_format(b, 480, out), "2026-02-28T10:00:00+08:00");
  time_parse_rfc3339("2025-12-15T23:00:00Z", &a, NULL); /* 2025-12-16 07:00 in Beijing */
  b = time_add(a, &d, 480);
  assert_string_equal(time_format(b, 480, out), "2026-01-16T07:00:00+08:00");
  time_parse_duration("P30D", &d);
  time_parse_rfc3339("2025-12-10T09:00:00+08:00", &a, NULL);
  assert_string_equal(time_format(time_add(a, &d, 480), 480, out), "2026-01-09T09:00:00+08:00");
}

static void chain_hash(void **state) {
  (void)state;
  char h1[AUDIT_HASH_HEX], h2[AUDIT_HASH_HEX], h3[AUDIT_HASH_HEX];
  assert_int_equal(audit_hash(1, 1000, "alice", "incident.created", "incident", 7, "{\"a\":1}", AUDIT_GENESIS, h1), 0);
  assert_int_equal(strlen(h1), 64);
  audit_hash(1, 1000, "alice", "incident.created", "incident", 7, "{\"a\":1}", AUDIT_GENESIS, h2);
  assert_string_equal(h1, h2);
  /* Any field changes the hash, including the previous hash and the id. */
  audit_hash(1, 1000, "alice", "incident.created", "incident", 7, "{\"a\":2}", AUDIT_GENESIS, h3);
  assert_string_not_equal(h1, h3);
  audit_hash(2, 1000, "alice", "incident.created", "incident", 7, "{\"a\":1}", AUDIT_GENESIS, h3);
  assert_string_not_equal(h1, h3);
  audit_hash(1, 1000, "alice", "incident.created", "incident", 7, "{\"a\":1}", h1, h3);
  assert_string_not_equal(h1, h3);
  audit_hash(1, 1000, "mallory", "incident.created", "incident", 7, "{\"a\":1}", AUDIT_GENESIS, h3);
  assert_string_not_equal(h1, h3);
  /* Field boundaries are unambiguous: moving text between actor and type changes the hash. */
  audit_hash(1, 1000, "alic", "eincident.created", "incident", 7, "{\"a\":1}", AUDIT_GENESIS, h3);
  assert_string_not_equal(h1, h3);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(rfc3339), cmocka_unit_test(durations), cmocka_unit_test(chain_hash)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
