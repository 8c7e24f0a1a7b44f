/* export.h — incidents out of the store in the formats other agencies and spreadsheets read (CSV, JSON, a STIX 2.1
 * bundle, MISP events), and reports into it in bulk (JSON lines, CSV). docs/export.md has the formats.
 *
 * Exports stream: incidents are read one page at a time and written to a sink as they come, so memory does not
 * grow with the size of the export (a sink may bound the total; the API's does). Every export reads only what
 * the store_scope of its caller allows — the same rule as GET /api/v1/incidents, never a rule of its own.
 *
 * Ownership: strings in export_q are borrowed for the call; JSON results are new references for the caller. */
#ifndef CIRS_EXPORT_H
#define CIRS_EXPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "../rules/rules.h"
#include "../store/store.h"

#define EXPORT_PAGE 200            /* incidents read from the store per page */
#define EXPORT_IOC_MAX 100         /* indicators taken from one incident's report */
#define EXPORT_IOC_LEN_MAX 2048    /* bytes of one indicator value (a URL) */
#define EXPORT_PROGRESS_EVERY 1000 /* the progress callback runs after this many incidents */
/* GET /api/v1/export builds its answer in memory, bounded: more is 413 too_large (narrow from/to, or use `cirs export`,
 * which streams without a bound). */
#define EXPORT_HTTP_MAX_INCIDENTS 10000
#define EXPORT_HTTP_MAX_BYTES (32 * 1024 * 1024)

typedef enum { EXPORT_CSV, EXPORT_JSON, EXPORT_STIX, EXPORT_MISP } export_format;
typedef enum { EXPORT_INCIDENTS, EXPORT_OBLIGATIONS } export_what;

/* Where the bytes go: write returns 0, or -1 with `e` set (too_large from a bounded sink, io_error). */
typedef struct export_sink {
  int (*write)(void *ctx, const char *p, size_t n, cirs_err *e);
  void *ctx;
} export_sink;

typedef struct export_q {
  export_format format;
  export_what what;         /* obligations: csv and json only */
  store_filter filter;      /* scope and filters (status, grade, category, province, q, from/to, drill); paging is ours */
  int64_t direct_authority; /* with filter.scope.authority_id: only incidents routed to this authority itself (no subtree) */
  const char *incident;     /* one incident (id or receipt number) instead of the filters, or NULL; MISP then writes one bare Event */
  int64_t max_incidents;    /* more is too_large; 0 = no bound */
  int64_t now_ms;           /* generated_at of the JSON export */
  void (*progress)(void *ctx, int64_t incidents); /* every EXPORT_PROGRESS_EVERY incidents, or NULL */
  void (*seen)(void *ctx, int64_t incident_id);   /* each exported incident (the API's access log), or NULL */
  void *cb_ctx;
} export_q;

/* Writes the export to `out`. *count = incidents exported (obligations: rows). not_found when q->incident is not
 * visible; bad_value for what=obligations with stix/misp. Returns 0 or -1. */
int export_run(store *st, const export_q *q, const export_sink *out, int64_t *count, cirs_err *e);

/* "csv" | "json" | "stix" | "misp" → format; "incidents" | "obligations" → what. 0, or -1 (bad_value, field format/what). */
int export_parse_format(const char *s, export_format *f, cirs_err *e);
int export_parse_what(const char *s, export_what *w, cirs_err *e);
/* HTTP Content-Type of a format; file name suffix ("csv", "json", "stix.json", "misp.json"). */
const char *export_content_type(export_format f);
const char *export_suffix(export_format f);
/* The OpenAPI `content` object of GET /api/v1/export (new reference). */
json_t *export_openapi_content(void);

/* --- pieces, exported for tests ------------------------------------------------------------------------------ */

/* RFC 4180 cell: quoted when it holds a comma, quote, CR or LF (quotes doubled); a cell starting with = + - @ TAB CR
 * gets a leading ' so that spreadsheets do not run it as a formula. Appends to buf (malloc'd, grows); -1 on OOM. */
int export_csv_cell(char **buf, size_t *len, size_t *cap, const char *s);
/* A duty contact list as CSV (UTF-8 with BOM, header 单位,值班电话,联系人,手机,邮箱,备注): malloc'd, *len set; NULL on OOM. */
char *export_contacts_csv(const json_t *rows, size_t *len);
/* UUID version 5 (RFC 9562, SHA-1) of `name` in the CIRS namespace (or `ns`, 16 bytes, when not NULL): 36 chars + NUL. */
void export_uuid5(const unsigned char *ns, const char *name, char out[37]);
/* SHA-1 of n bytes (FIPS 180-4). */
void export_sha1(const void *p, size_t n, unsigned char out[20]);
/* Indicators in a text: [{type: ipv4|url|md5|sha1|sha256, value}], at most `max`, each value once; appended to `out`. */
void export_iocs(const char *text, json_t *out, size_t max);
/* The rsit machine tags of a GB/T 20986-2023 category code (data/rsit-map.json): the code's own, else its parent's,
 * else rsit:other="undetermined"; a drill adds rsit:test="test". New reference (array of strings). */
json_t *export_rsit_tags(const char *category, int drill);

/* --- bulk import ----------------------------------------------------------------------------------------------- */

#define EXPORT_IMPORT_FILE_MAX (64 * 1024 * 1024) /* bytes of one import file */
#define EXPORT_IMPORT_ROWS_MAX 10000              /* reports in one import file */
#define EXPORT_IMPORT_ERRORS_MAX 1000             /* row errors listed (all are counted) */
#define EXPORT_IMPORT_CELL_MAX 20000              /* bytes of one CSV cell (MODEL_ITEM_MAX) */

typedef enum { EXPORT_IMPORT_AUTO, EXPORT_IMPORT_JSONL, EXPORT_IMPORT_CSV } export_import_kind;

typedef struct export_import_q {
  const char *org;         /* the reporting organisation (code) of every row */
  const char *actor;       /* "cli:<login>" */
  export_import_kind kind; /* AUTO: by the file name (.csv), else by the first byte ('{' = JSON lines) */
  const char *name;        /* file name, for AUTO */
  int dry_run;             /* check and grade every row, store nothing */
} export_import_q;

/* Files every row of `text` (n bytes) as an initial report of q->org in one transaction, each checked exactly as
 * POST /api/v1/incidents checks a body (model_report_prepare / model_report_apply): if any row fails, nothing is
 * stored. *report = {ok, rows, imported, dry_run, incidents:[{row, id, ref, grade}], errors:[{row, line, field,
 * code, message}], errors_total}. Returns 0 when every row was filed (or would be, dry run); -1 with `e` set when the
 * file as a whole is refused (too_large, no rows, bad header) or the database failed; 1 when rows failed (see
 * errors; nothing stored). */
int export_import(store *st, const rules_set *rs, const export_import_q *q, const char *text, size_t n, json_t **report, cirs_err *e);

#endif
