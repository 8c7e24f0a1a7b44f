/* web.c — see web.h. */
#include "web.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../common/embedded.h"

#define WEB_FILES_MAX 256 /* embedded files whose ETag is cached */

/* Every UI answer carries these. The page loads only its own scripts, styles, images and API (no inline code, no
 * CDN), may not be framed, and sends no referrer. */
static const char *const security_headers[] = {
    "Content-Security-Policy",
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    "manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy", "no-referrer",
    "X-Frame-Options", "DENY",
    "Cross-Origin-Opener-Policy", "same-origin",
    "Cross-Origin-Resource-Policy", "same-origin",
    "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()",
    NULL};

/* Always revalidate: the binary may change under the same names; the ETag makes the revalidation a 304. */
#define WEB_CACHE "no-cache"

static const struct {
  const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
};

const char *web_content_type(const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    size_t k = strlen(types[i].ext);
    if (n >= k && !strcmp(name + n - k, types[i].ext)) return types[i].type;
  }
  return "application/octet-stream";
}

/* ETags: FNV-1a 64 of each embedded file, computed once. */
#define NSEC (sizeof security_headers / sizeof security_headers[0]) /* with the NULL */
static struct {
  const embedded_file *f;
  char tag[24];
  const char *headers[NSEC + 2]; /* the security headers, ETag, NULL */
} etags[WEB_FILES_MAX];
static int netags;
static pthread_once_t etag_once = PTHREAD_ONCE_INIT;

static void etag_init(void) {
  for (const embedded_file *f = embedded_files; f->name && netags < WEB_FILES_MAX; f++) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < f->len; i++) h = (h ^ f->data[i]) * 1099511628211ULL;
    etags[netags].f = f;
    snprintf(etags[netags].tag, sizeof etags[netags].tag, "\"%016llx\"", (unsigned long long)h);
    size_t n = 0;
    for (; security_headers[n]; n++) etags[netags].headers[n] = security_headers[n];
    etags[netags].headers[n++] = "ETag";
    etags[netags].headers[n++] = etags[netags].tag;
    etags[netags].headers[n] = NULL;
    netags++;
  }
}

/* The index of f in etags, or -1. */
static int etag_of(const embedded_file *f) {
  pthread_once(&etag_once, etag_init);
  for (int i = 0; i < netags; i++)
    if (etags[i].f == f) return i;
  return -1;
}

/* Paths the API owns. */
static int api_path(const char *p) {
  return !strncmp(p, "/api/", 5) || !strcmp(p, "/api") || !strcmp(p, "/healthz") || !strcmp(p, "/metrics");
}

/* A safe path: "/" followed by [A-Za-z0-9._-/] segments, none of them starting with a dot. */
static int safe_path(const char *p) {
  if (p[0] != '/' || strlen(p) > WEB_PATH_MAX) return 0;
  for (const char *c = p; *c; c++) {
    if (*c == '/' && c[1] == '.') return 0;
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-' || *c == '/'))
      return 0;
  }
  return 1;
}

static void plain(http_response *rs, int status, const char *text) {
  rs->status = status;
  rs->raw = text;
  rs->raw_len = strlen(text);
  rs->content_type = "text/plain; charset=utf-8";
  rs->headers = security_headers;
}

int web_handle(const http_request *rq, http_response *rs) {
  if (api_path(rq->path)) return 0;
  int get = !strcmp(rq->method, "GET"), head = !strcmp(rq->method, "HEAD");
  if (!get && !head) return 0; /* the API answers 404/405 */
  char name[WEB_PATH_MAX + 8];
  const char *p = rq->path;
  if (!safe_path(p)) {
    plain(rs, 404, "not found\n");
    return 1;
  }
  if (!strcmp(p, "/") || !strcmp(p, "/index.html")) snprintf(name, sizeof name, "web/index.html");
  else if (!strcmp(p, "/ui/taxonomy.json")) snprintf(name, sizeof name, "rules/taxonomy-gbt20986.json");
  else if (!strcmp(p, "/ui/rules-cn.json")) snprintf(name, sizeof name, "rules/cn-2025.json");
  else snprintf(name, sizeof name, "web%s", p);
  const embedded_file *f = embedded_find(name);
  if (!f) {
    plain(rs, 404, "not found\n");
    return 1;
  }
  int t = etag_of(f);
  rs->headers = t >= 0 ? etags[t].headers : security_headers;
  rs->cache_control = WEB_CACHE;
  const char *inm = http_header(rq, "If-None-Match");
  if (t >= 0 && inm && strstr(inm, etags[t].tag)) {
    rs->status = 304;
    rs->raw = "";
    rs->raw_len = 0;
    return 1;
  }
  rs->status = 200;
  rs->raw = (const char *)f->data;
  rs->raw_len = f->len;
  rs->content_type = web_content_type(name);
  return 1;
}
