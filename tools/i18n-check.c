/* i18n-check.c — build-time check of the web UI's text tables (run by make before the files are embedded; a failure
 * stops the build). Usage: i18n-check ZH.json EN.json [SOURCE...]
 *  1. both tables are flat JSON objects of non-empty strings with exactly the same keys (each missing key is named);
 *  2. every key a source uses literally — t('key') or t("key") in JavaScript, data-i18n="key" (and the -title,
 *     -placeholder, -aria variants) in HTML — exists in the tables;
 *  3. placeholders {name} agree between the two languages.
 * Exit 0 when all holds, 1 with one line per problem ("file: key: reason") otherwise. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 120
#define SOURCE_MAX (4 * 1024 * 1024)

static int problems;

static void problem(const char *file, const char *key, const char *why) {
  fprintf(stderr, "%s: %s: %s\n", file, key, why);
  problems++;
}

static json_t *load(const char *path) {
  json_error_t je;
  json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (!j) {
    fprintf(stderr, "%s:%d: %s\n", path, je.line, je.text);
    exit(1);
  }
  if (!json_is_object(j)) {
    fprintf(stderr, "%s: the table must be a JSON object\n", path);
    exit(1);
  }
  const char *k;
  json_t *v;
  json_object_foreach(j, k, v) if (!json_is_string(v) || !json_string_length(v)) problem(path, k, "value must be a non-empty string");
  return j;
}

/* The sorted list of {placeholders} of a text, as one string. */
static void placeholders(const char *s, char *out, size_t n) {
  out[0] = 0;
  size_t len = 0;
  for (const char *p = strchr(s, '{'); p; p = strchr(p + 1, '{')) {
    const char *q = strchr(p, '}');
    if (!q || (size_t)(q - p) > 40) break;
    int w = snprintf(out + len, n - len, "%.*s", (int)(q - p + 1), p);
    if (w < 0 || (size_t)w >= n - len) break;
    len += (size_t)w;
  }
}

static void compare(const char *fa, json_t *a, const char *fb, json_t *b) {
  const char *k;
  json_t *v;
  json_object_foreach(a, k, v) {
    json_t *w = json_object_get(b, k);
    if (!w) {
      char why[300];
      snprintf(why, sizeof why, "missing in %s", fb);
      problem(fa, k, why);
    } else if (json_is_string(v) && json_is_string(w)) {
      char pa[400], pb[400];
      placeholders(json_string_value(v), pa, sizeof pa);
      placeholders(json_string_value(w), pb, sizeof pb);
      if (strcmp(pa, pb) && strcmp(fa, fb) < 0) { /* reported once, from the first file's side */
        char why[900];
        snprintf(why, sizeof why, "placeholders differ from %s: %s vs %s", fb, pa, pb);
        problem(fa, k, why);
      }
    }
  }
}

static int key_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'; }
static int ident_char(char c) { return key_char(c) || c == '$'; }

static void need(const char *file, const char *key, json_t *zh, json_t *en, const char *fzh, const char *fen) {
  if (!json_object_get(zh, key)) {
    char why[300];
    snprintf(why, sizeof why, "used but missing in %s", fzh);
    problem(file, key, why);
  }
  if (!json_object_get(en, key)) {
    char why[300];
    snprintf(why, sizeof why, "used but missing in %s", fen);
    problem(file, key, why);
  }
}

/* Reads the literal key at p (after the opening quote q); returns its length, 0 when not a literal key. */
static size_t literal(const char *p, char q, char *key) {
  size_t n = 0;
  while (p[n] && p[n] != q && key_char(p[n]) && n < KEY_MAX) n++;
  if (p[n] != q || !n) return 0;
  memcpy(key, p, n);
  key[n] = 0;
  return n;
}

static void scan(const char *file, json_t *zh, json_t *en, const char *fzh, const char *fen) {
  FILE *f = fopen(file, "rb");
  if (!f) {
    perror(file);
    exit(1);
  }
  char *buf = malloc(SOURCE_MAX + 1);
  size_t n = fread(buf, 1, SOURCE_MAX, f);
  fclose(f);
  buf[n] = 0;
  char key[KEY_MAX + 1];
  for (char *p = buf; (p = strstr(p, "t(")); p += 2) {
    if (p > buf && ident_char(p[-1])) continue;
    char q = p[2];
    if (q != '\'' && q != '"') continue;
    size_t k = literal(p + 3, q, key);
    if (k && (p[3 + k + 1] == ')' || p[3 + k + 1] == ',')) need(file, key, zh, en, fzh, fen);
  }
  for (char *p = buf; (p = strstr(p, "data-i18n")); p += 9) {
    char *eq = strchr(p, '=');
    if (!eq || eq - p > 20 || (eq[1] != '"' && eq[1] != '\'')) continue;
    if (literal(eq + 2, eq[1], key)) need(file, key, zh, en, fzh, fen);
  }
  free(buf);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: i18n-check ZH.json EN.json [SOURCE...]\n");
    return 2;
  }
  json_t *zh = load(argv[1]), *en = load(argv[2]);
  compare(argv[1], zh, argv[2], en);
  compare(argv[2], en, argv[1], zh);
  for (int i = 3; i < argc; i++) scan(argv[i], zh, en, argv[1], argv[2]);
  if (problems) fprintf(stderr, "i18n-check: %d problem(s); every UI text needs a zh-CN and an en entry\n", problems);
  else printf("i18n-check: %zu keys in both languages, %d sources checked\n", json_object_size(zh), argc - 3);
  json_decref(zh);
  json_decref(en);
  return problems ? 1 : 0;
}
