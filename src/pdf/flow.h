/* flow.h — the page engine under pdf.c (internal to src/pdf/).
 *
 * A document is a flow of blocks laid down the pages of A4 between fixed margins: a block is a row of cells
 * (pango markup in each, wrapped to the cell's width), with or without borders. A block that does not fit on
 * the page continues on the next one, line by line: each part of a bordered row is boxed down to the bottom of
 * its page, so a table's borders run on; a table's header row may repeat at the top of every page. Every page
 * gets a running header (document title, receipt number, drill mark) and the footer "第 N 页 共 M 页".
 *
 * pdf_flow_run renders the body twice: once without drawing, to count the pages (M), then for real. Layout does
 * not depend on what is drawn, so both passes break the pages at the same places. */
#ifndef CIRS_PDF_FLOW_H
#define CIRS_PDF_FLOW_H

#include "pdf.h"

#define PDF_A4_W 595.276 /* points */
#define PDF_A4_H 841.890
#define PDF_MARGIN_X 56.0
#define PDF_BODY_W (PDF_A4_W - 2 * PDF_MARGIN_X)

typedef struct pdf_flow pdf_flow;

enum { PDF_FONT_TEXT, PDF_FONT_LABEL, PDF_FONT_TITLE, PDF_FONT_HEADING, PDF_FONT_SMALL, PDF_FONT_NFONTS };
enum { PDF_LEFT = 0, PDF_CENTER = 1, PDF_RIGHT = 2 };

typedef struct pdf_cell {
  double w;          /* width in points (a row's cells add up to the table's width) */
  const char *text;  /* pango markup (pdf_esc escapes user text); borrowed */
  int font;          /* PDF_FONT_* */
  int align;         /* PDF_LEFT | PDF_CENTER | PDF_RIGHT */
  int shade;         /* light grey background (label cells) */
} pdf_cell;

typedef struct pdf_setup {
  const char *title;  /* document title: running header and PDF metadata */
  const char *ref;    /* receipt number, in the running header */
  int drill;          /* marks every page 【演练】 */
  const char *stamp;  /* footer left: who generated it, when */
} pdf_setup;

typedef void (*pdf_body_fn)(pdf_flow *f, void *arg);

/* Renders `body` into a PDF (two passes). 0 and *out filled, or -1 with e set (too_large, internal). */
int pdf_flow_run(const pdf_setup *s, pdf_body_fn body, void *arg, pdf_doc *out, cirs_err *e);

/* A row of `n` cells (bordered when `border`), at least `min_h` points high on its first page. */
void pdf_flow_row(pdf_flow *f, int n, const pdf_cell *cells, double min_h, int border);
/* A paragraph across the text width (no border). */
void pdf_flow_text(pdf_flow *f, const char *markup, int font, int align);
/* A section heading; starts a new page when too little room is left for anything after it. */
void pdf_flow_heading(pdf_flow *f, const char *markup);
void pdf_flow_space(pdf_flow *f, double h);
/* Repeats this header row at the top of every following page until cleared with n = 0. `cells` (and their
 * texts) must stay valid until then. */
void pdf_flow_repeat(pdf_flow *f, int n, const pdf_cell *cells);

/* Escaped markup of user text appended to `g` (a GString): &, <, > escaped; control characters other than
 * newline and tab become spaces; invalid UTF-8 is repaired. */
struct _GString;
void pdf_esc(struct _GString *g, const char *text);

#endif
