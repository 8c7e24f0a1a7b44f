/* pieces.c — the small parts the export formats share: SHA-1 and UUID v5 (deterministic ids), CSV cells,
 * indicators found in report text, and the rsit tags of a category. See export.h. */
#include <ctype.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/embedded.h"
#include "export.h"

/* --- SHA-1 (FIPS 180-4 §6.1); only for UUID v5 names, never for security ---------------------------------------- */

static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1_block(uint32_t h[5], const unsigned char *b) {
  uint32_t w[80];
  for (int t = 0; t < 16; t++)
    w[t] = (uint32_t)b[4 * t] << 24 | (uint32_t)b[4 * t + 1] << 16 | (uint32_t)b[4 * t + 2] << 8 | b[4 * t + 3];
  for (int t = 16; t < 80; t++)
    w[t] = rol(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
  uint32_t a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4];
  for (int t = 0; t < 80; t++) {
    uint32_t f, k;
    if (t < 20)
      f = (bb & c) | (~bb & d), k = 0x5A827999;
    else if (t < 40)
      f = bb ^ c ^ d, k = 0x6ED9EBA1;
    else if (t < 60)
      f = (bb & c) | (bb & d) | (c & d), k = 0x8F1BBCDC;
    else
      f = bb ^ c ^ d, k = 0xCA62C1D6;
    uint32_t tmp = rol(a, 5) + f + e + k + w[t];
    e = d;
    d = c;
    c = rol(bb, 30);
    bb = a;
    a = tmp;
  }
  h[0] += a, h[1] += bb, h[2] += c, h[3] += d, h[4] += e;
}

void export_sha1(const void *data, size_t n, unsigned char out[20]) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  const unsigned char *p = data;
  size_t left = n;
  for (; left >= 64; left -= 64, p += 64)
    sha1_block(h, p);
  unsigned char last[128] = {0};
  memcpy(last, p, left);
  last[left] = 0x80;
  size_t blocks = left + 9 > 64 ? 2 : 1;
  uint64_t bits = (uint64_t)n * 8;
  for (int i = 0; i < 8; i++)
    last[blocks * 64 - 1 - i] = (unsigned char)(bits >> (8 * i));
  for (size_t i = 0; i < blocks; i++)
    sha1_block(h, last + 64 * i);
  for (int i = 0; i < 5; i++) {
    out[4 * i] = (unsigned char)(h[i] >> 24);
    out[4 * i + 1] = (unsigned char)(h[i] >> 16);
    out[4 * i + 2] = (unsigned char)(h[i] >> 8);
    out[4 * i + 3] = (unsigned char)h[i];
  }
}

/* The namespace of every CIRS name-based id: 9164103c-09b1-40d6-8b0e-a58fc689590f (chosen once, at random). */
static const unsigned char CIRS_NS[16] = {0x91, 0x64, 0x10, 0x3c, 0x09, 0xb1, 0x40, 0xd6, 0x8b, 0x0e, 0xa5, 0x8f, 0xc6, 0x89, 0x59, 0x0f};

void export_uuid5(const unsigned char *ns, const char *name, char out[37]) {
  size_t n = strlen(name);
  unsigned char *m = malloc(16 + n), d[20];
  if (!m) {
    snprintf(out, 37, "00000000-0000-5000-8000-000000000000");
    return;
  }
  memcpy(m, ns ? ns : CIRS_NS, 16);
  memcpy(m + 16, name, n);
  export_sha1(m, 16 + n, d);
  free(m);
  d[6] = (unsigned char)((d[6] & 0x0F) | 0x50); /* version 5 */
  d[8] = (unsigned char)((d[8] & 0x3F) | 0x80); /* variant 10 */
  static const char hex[] = "0123456789abcdef";
  char *w = out;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *w++ = '-';
    *w++ = hex[d[i] >> 4];
    *w++ = hex[d[i] & 15];
  }
  *w = 0;
}

/* --- CSV ------------------------------------------------------------------------------------------------------ */

static int put(char **buf, size_t *len, size_t *cap, const char *p, size_t n) {
  if (*len + n + 1 > *cap) {
    size_t c = *cap ? *cap : 256;
    while (c < *len + n + 1)
      c *= 2;
    char *b = realloc(*buf, c);
    if (!b) return -1;
    *buf = b;
    *cap = c;
  }
  memcpy(*buf + *len, p, n);
  *len += n;
  (*buf)[*len] = 0;
  return 0;
}

int export_csv_cell(char **buf, size_t *len, size_t *cap, const char *s) {
  if (!s) s = "";
  int guard = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
  int quote = guard || strpbrk(s, ",\"\r\n") != NULL;
  if (!quote) return put(buf, len, cap, s, strlen(s));
  if (put(buf, len, cap, "\"", 1) || (guard && put(buf, len, cap, "'", 1))) return -1;
  for (const char *p = s; *p;) {
    const char *q = strchr(p, '"');
    size_t n = q ? (size_t)(q - p) : strlen(p);
    if (put(buf, len, cap, p, n)) return -1;
    if (!q) break;
    if (put(buf, len, cap, "\"\"", 2)) return -1;
    p = q + 1;
  }
  return put(buf, len, cap, "\"", 1);
}

/* --- indicators in report text ----------------------------------------------------------------------------------- */

static int is_hex(int c) { return isxdigit(c) != 0; }
static int is_word(int c) { return c < 0x80 && (isalnum(c) || c == '_'); }

static void add_ioc(json_t *out, size_t max, const char *type, const char *v, size_t n) {
  if (json_array_size(out) >= max || n == 0 || n > EXPORT_IOC_LEN_MAX) return;
  size_t i;
  json_t *x;
  json_array_foreach(out, i, x) {
    const char *have = json_string_value(json_object_get(x, "value"));
    if (!strcmp(json_string_value(json_object_get(x, "type")), type) && strlen(have) == n && !memcmp(have, v, n)) return;
  }
  json_array_append_new(out, json_pack("{s:s, s:s%}", "type", type, "value", v, n));
}

/* A dotted quad at p (each part 0-255, no leading zeros), not inside a longer number: its length, else 0. */
static size_t ipv4_at(const char *text, const char *p) {
  if (p > text && (isdigit((unsigned char)p[-1]) || (p[-1] == '.' && p - 1 > text && isdigit((unsigned char)p[-2])))) return 0;
  const char *q = p;
  for (int part = 0; part < 4; part++) {
    if (part) {
      if (*q != '.') return 0;
      q++;
    }
    int v = 0, digits = 0;
    const char *start = q;
    while (isdigit((unsigned char)*q) && digits < 4)
      v = v * 10 + (*q++ - '0'), digits++;
    if (!digits || digits > 3 || v > 255 || (digits > 1 && *start == '0')) return 0;
  }
  if (isdigit((unsigned char)*q) || (*q == '.' && isdigit((unsigned char)q[1]))) return 0;
  return (size_t)(q - p);
}

/* An http(s) URL at p: its length (trailing punctuation dropped), else 0. */
static size_t url_at(const char *p) {
  size_t skip = !strncasecmp(p, "http://", 7) ? 7 : !strncasecmp(p, "https://", 8) ? 8 : 0;
  if (!skip) return 0;
  const char *q = p + skip;
  while (*q > 0x20 && *q < 0x7f && !strchr("\"<>\\^`{|}", *q))
    q++;
  while (q > p + skip && strchr(".,;:!?)]'", q[-1]))
    q--;
  return q > p + skip ? (size_t)(q - p) : 0;
}

void export_iocs(const char *text, json_t *out, size_t max) {
  if (!text) return;
  for (const char *p = text; *p; p++) {
    size_t n;
    if ((n = url_at(p))) {
      add_ioc(out, max, "url", p, n);
      p += n - 1;
      continue;
    }
    if (isdigit((unsigned char)*p) && (n = ipv4_at(text, p))) {
      add_ioc(out, max, "ipv4", p, n);
      p += n - 1;
      continue;
    }
    if (is_hex((unsigned char)*p) && (p == text || !is_word((unsigned char)p[-1]))) {
      const char *q = p;
      int letters = 0, digits = 0;
      while (is_hex((unsigned char)*q))
        letters += isalpha((unsigned char)*q) != 0, digits += isdigit((unsigned char)*q) != 0, q++;
      n = (size_t)(q - p);
      if (!is_word((unsigned char)*q) && letters && digits && (n == 32 || n == 40 || n == 64)) {
        char low[65];
        for (size_t i = 0; i < n; i++)
          low[i] = (char)tolower((unsigned char)p[i]);
        low[n] = 0;
        add_ioc(out, max, n == 32 ? "md5" : n == 40 ? "sha1" : "sha256", low, n);
      }
      p = q - 1;
      continue;
    }
  }
}

/* --- rsit tags ---------------------------------------------------------------------------------------------------- */

static json_t *rsit_map;
static pthread_once_t rsit_once = PTHREAD_ONCE_INIT;

static void rsit_load(void) {
  const embedded_file *f = embedded_find("data/rsit-map.json");
  if (f) rsit_map = json_loadb((const char *)f->data, f->len, 0, NULL);
  if (!rsit_map) rsit_map = json_object();
}

json_t *export_rsit_tags(const char *category, int drill) {
  pthread_once(&rsit_once, rsit_load);
  json_t *cats = json_object_get(rsit_map, "categories"), *tags = NULL;
  if (category) tags = json_object_get(cats, category);
  if (!tags && category) {
    /* the parent category: the longest code that begins the subcategory's code */
    size_t best = 0;
    const char *k;
    json_t *v;
    json_object_foreach(cats, k, v) {
      size_t n = strlen(k);
      if (n > best && n < strlen(category) && !strncmp(k, category, n)) best = n, tags = v;
    }
  }
  json_t *out = json_is_array(tags) ? json_copy(tags) : json_pack("[s]", "rsit:other=\"undetermined\"");
  if (drill) json_array_append_new(out, json_string("rsit:test=\"test\""));
  return out;
}

char *export_contacts_csv(const json_t *rows, size_t *len) {
  static const char *const keys[] = {"unit", "duty_phone", "contact", "mobile", "email", "note"};
  char *b = NULL;
  size_t cap = 0;
  *len = 0;
  const char *head = "\xEF\xBB\xBF" "单位,值班电话,联系人,手机,邮箱,备注\r\n";
  if (put(&b, len, &cap, head, strlen(head))) return NULL;
  size_t i;
  json_t *r;
  json_array_foreach((json_t *)rows, i, r) {
    for (int k = 0; k < 6; k++)
      if ((k && put(&b, len, &cap, ",", 1)) || export_csv_cell(&b, len, &cap, json_string_value(json_object_get(r, keys[k])))) {
        free(b);
        return NULL;
      }
    if (put(&b, len, &cap, "\r\n", 2)) {
      free(b);
      return NULL;
    }
  }
  return b;
}
