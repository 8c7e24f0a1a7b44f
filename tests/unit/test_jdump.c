/* test_jdump.c — jdump writes exactly what json_dumps writes (the audit chain hashes that text: a byte of
 * difference would break `cirs audit verify` for every event written before the change). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/common/embedded.h"
#include "../../src/common/jdump.h"

#define PLAIN (JSON_COMPACT | JSON_ENCODE_ANY)
#define ASCII (JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII)

static void same(const json_t *v) {
  char *want = json_dumps(v, PLAIN), *got = jdump(v);
  assert_non_null(want);
  assert_non_null(got);
  assert_string_equal(got, want);
  free(want);
  free(got);
  want = json_dumps(v, ASCII);
  got = jdump_ascii(v);
  assert_string_equal(got, want);
  free(want);
  free(got);
}

static void scalars(void **state) {
  (void)state;
  json_t *v[] = {json_null(), json_true(), json_false(), json_integer(0), json_integer(-1), json_integer(INT64_MAX),
                 json_integer(INT64_MIN), json_real(0.1), json_real(-2.5e-300), json_real(1e300), json_real(3.0),
                 json_string(""), json_string("plain"), json_string("引号\"反斜杠\\斜杠/制表\t换行\n回车\r\b\f\x01\x1f\x7f"),
                 json_string("网络安全事件 😀 𠀀 é"), json_stringn("nul\0inside", 10), json_object(), json_array()};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    same(v[i]);
    json_decref(v[i]);
  }
  assert_null(jdump(NULL));
  size_t len = 0;
  json_t *nul = json_stringn("a\0b", 3);
  char *t = jdump_len(nul, 0, &len);
  assert_int_equal(len, 10); /* "a\u0000b" with its quotes */
  assert_memory_equal(t, "\"a\\u0000b\"", 10);
  free(t);
  json_decref(nul);
}

/* Deterministic generator of nested values with every kind of string piece. */
static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static json_t *random_string(void) {
  static const char *pieces[] = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\x02", "\x1f", "\x7f", "é", "事件", "勒索",
                                 "：", "🔒", "𠮷", "<script>", "&amp;", "%s", "\u2028"};
  char s[256];
  size_t n = 0, k = next() % 12;
  for (size_t i = 0; i < k; i++) {
    const char *p = pieces[next() % (sizeof pieces / sizeof pieces[0])];
    size_t l = strlen(p);
    if (n + l >= sizeof s) break;
    memcpy(s + n, p, l);
    n += l;
  }
  if (next() % 10 == 0 && n + 1 < sizeof s) s[n++] = 0; /* an embedded NUL */
  return json_stringn(s, n);
}

static json_t *random_value(int depth) {
  switch (next() % (depth > 4 ? 5 : 7)) {
  case 0: return json_integer((json_int_t)next() >> (next() % 64));
  case 1: return json_real((double)(int64_t)next() / (double)(1 + next() % 100000));
  case 2: return next() % 3 ? random_string() : json_null();
  case 3: return json_boolean(next() % 2);
  case 4: return random_string();
  case 5: {
    json_t *a = json_array();
    for (size_t i = next() % 6; i > 0; i--) json_array_append_new(a, random_value(depth + 1));
    return a;
  }
  default: {
    json_t *o = json_object();
    for (size_t i = next() % 6; i > 0; i--) {
      json_t *k = random_string();
      json_object_setn_new(o, json_string_value(k), json_string_length(k), random_value(depth + 1));
      json_decref(k);
    }
    return o;
  }
  }
}

static void generated(void **state) {
  (void)state;
  for (int i = 0; i < 3000; i++) {
    json_t *v = random_value(0);
    same(v);
    json_decref(v);
  }
}

/* The rule packs, the demo data and the templates: real documents with Chinese text, as stored. */
static void embedded_documents(void **state) {
  (void)state;
  int n = 0;
  for (const embedded_file *f = embedded_files; f->name; f++) {
    size_t l = strlen(f->name);
    if (l < 5 || strcmp(f->name + l - 5, ".json")) continue;
    json_error_t je;
    json_t *v = json_loadb((const char *)f->data, f->len, 0, &je);
    if (!v) fail_msg("%s: %s", f->name, je.text);
    same(v);
    json_decref(v);
    n++;
  }
  assert_true(n >= 8);
}

static void too_deep(void **state) {
  (void)state;
  json_t *root = json_array(), *cur = root;
  for (int i = 0; i < 3000; i++) {
    json_t *a = json_array();
    json_array_append_new(cur, a);
    cur = a;
  }
  assert_null(jdump(root)); /* refused instead of exhausting the stack (json_dumps writes it; nothing of ours nests so deep) */
  json_decref(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(scalars), cmocka_unit_test(generated), cmocka_unit_test(embedded_documents),
                                     cmocka_unit_test(too_deep)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
