/* pdf.h — official documents as PDF: the incident report form (网络安全事件报告表, the layout of the 晋城 plan's
 * appendix 8.3) and the final report (总结报告) of an incident.
 *
 * cairo draws and embeds the fonts as subsets, pango lays the text out with the Noto CJK fonts (Serif for text,
 * Sans for labels). Long texts wrap and flow onto further pages; table borders continue across the page break;
 * every page carries "第 N 页 共 M 页". Rendering is pure: the caller reads the incident (store_incident_get) and,
 * for the final report, its events (store_incident_events); nothing here touches the store or the clock.
 * Thread-safe: each call uses its own pango font map (fontconfig and cairo are thread-safe themselves).
 * Internals: docs/pdf.md. */
#ifndef CIRS_PDF_H
#define CIRS_PDF_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

#define PDF_PAGES_MAX 200                 /* a longer document is refused (too_large) */
#define PDF_BYTES_MAX (32 * 1024 * 1024)  /* largest PDF written */
#define PDF_EVENTS_MAX 5000               /* timeline rows of a final report (more: too_large) */
#define PDF_CELL_MAX (256 * 1024)         /* text of one table cell, bytes (pango gives up on a paragraph far longer) */

typedef enum { PDF_FORM_REPORT = 0, PDF_FORM_FINAL = 1 } pdf_form;

typedef struct pdf_doc {
  unsigned char *data; /* the PDF file (malloc'd; the caller frees it with pdf_doc_free or takes it over) */
  size_t len;          /* its size in bytes */
  int pages;           /* number of pages */
} pdf_doc;

typedef struct pdf_meta {
  int64_t now_ms;      /* the "generated at" stamp on every page */
  const char *by;      /* who generated it ("reporter", "cli:root"), or NULL */
} pdf_meta;

/* The incident report form, filled from the incident's latest report version. `inc` is an incident as
 * store_incident_get returns it (with "reports" and "obligations"). Returns 0 and fills *out, or -1 with `e` set:
 * not_found (no report version), too_large (more than PDF_PAGES_MAX pages or PDF_BYTES_MAX bytes), internal. */
int pdf_incident_form(const json_t *inc, const pdf_meta *m, pdf_doc *out, cirs_err *e);

/* The final report: the incident summary, the content of the final report version (or, while none was filed,
 * of the latest version, marked as such), the timeline of `events` (store_incident_events; may be NULL) and the
 * obligations with their due and met times and status. Errors as above. */
int pdf_final_report(const json_t *inc, const json_t *events, const pdf_meta *m, pdf_doc *out, cirs_err *e);

/* Either of the two by `form`. */
int pdf_render(pdf_form form, const json_t *inc, const json_t *events, const pdf_meta *m, pdf_doc *out, cirs_err *e);

/* "report" | "final" -> form; -1 for anything else. */
int pdf_form_parse(const char *s);

/* A download file name: "<ref>-report.pdf" / "<ref>-final.pdf" (ASCII only). */
void pdf_file_name(const json_t *inc, pdf_form form, char *buf, size_t n);

void pdf_doc_free(pdf_doc *d);

#endif
