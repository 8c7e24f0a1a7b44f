/* flow.c — see flow.h. */
#include "flow.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>

/* cairo 1.16.0 (Debian 12) loses 768 bytes per embedded CFF font subset when it finishes a PDF surface, inside
 * the library. Under AddressSanitizer that allocation is excluded from leak checking, and only that one: LSan
 * ignores what a thread allocates between __lsan_disable and __lsan_enable. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LIBRARY_LEAK_BEGIN() __lsan_disable()
#define LIBRARY_LEAK_END() __lsan_enable()
#else
#define LIBRARY_LEAK_BEGIN() ((void)0)
#define LIBRARY_LEAK_END() ((void)0)
#endif


#define TOP_Y 70.0           /* first line of the body */
#define BOTTOM_Y (PDF_A4_H - 64.0) /* the body ends here; the footer sits below */
#define HEADER_Y 32.0        /* running header */
#define FOOTER_Y (PDF_A4_H - 44.0)
#define PAD 5.0              /* inside a bordered cell */
#define LINE_SPACING 2.5     /* between lines of a paragraph, points */
#define KEEP_MAX 140.0       /* a block up to this high is moved whole to the next page rather than split */
#define MIN_SPLIT_LINES 2    /* a split leaves at least this many lines on the page (when the block has them) */
#define BORDER_W 0.6
#define HEADING_ROOM 90.0    /* a heading needs this much room below it, else it starts the next page */

static const char *const font_desc[PDF_FONT_NFONTS] = {
    [PDF_FONT_TEXT] = "Noto Serif CJK SC 10.5",   [PDF_FONT_LABEL] = "Noto Sans CJK SC Bold 10",
    [PDF_FONT_TITLE] = "Noto Serif CJK SC Bold 19", [PDF_FONT_HEADING] = "Noto Sans CJK SC Bold 12",
    [PDF_FONT_SMALL] = "Noto Sans CJK SC 8",
};

struct pdf_flow {
  cairo_t *cr;
  PangoContext *pc;
  PangoFontDescription *fonts[PDF_FONT_NFONTS];
  const pdf_setup *setup;
  int draw;              /* 0 in the counting pass */
  int page;              /* current page, 1-based (0 before the first) */
  int total;             /* pages of the document (drawing pass), 0 while counting */
  int overflow;          /* more than PDF_PAGES_MAX pages: everything after is skipped */
  int too_long;          /* a cell's text was longer than PDF_CELL_MAX (also sets overflow) */
  double y;              /* next free y on the page */
  double body_top;       /* y below the repeated header row on this page */
  int rep_n;             /* repeated header row */
  const pdf_cell *rep;
  int in_rep;            /* drawing the repeated header (no recursion) */
};

/* --- escaping --------------------------------------------------------------------------------------------------- */

void pdf_esc(GString *g, const char *text) {
  if (!text) return;
  gchar *valid = g_utf8_make_valid(text, -1);
  for (const char *p = valid; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '&') g_string_append(g, "&amp;");
    else if (c == '<') g_string_append(g, "&lt;");
    else if (c == '>') g_string_append(g, "&gt;");
    else if (c == '\r') {
      if (p[1] != '\n') g_string_append_c(g, '\n');
    } else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) g_string_append_c(g, ' ');
    else g_string_append_c(g, (char)c);
  }
  g_free(valid);
}

/* --- output ----------------------------------------------------------------------------------------------------- */

typedef struct sink {
  unsigned char *data;
  size_t len, cap;
  int keep;     /* 0: count only (first pass) */
  int too_big;  /* more than PDF_BYTES_MAX */
  int nomem;
} sink;

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int length) {
  sink *s = closure;
  if (!s->keep) return CAIRO_STATUS_SUCCESS;
  if (s->len + length > PDF_BYTES_MAX) {
    s->too_big = 1;
    return CAIRO_STATUS_WRITE_ERROR;
  }
  if (s->len + length > s->cap) {
    size_t cap = s->cap ? s->cap : 64 * 1024;
    while (cap < s->len + length) cap *= 2;
    unsigned char *d = realloc(s->data, cap);
    if (!d) {
      s->nomem = 1;
      return CAIRO_STATUS_NO_MEMORY;
    }
    s->data = d;
    s->cap = cap;
  }
  memcpy(s->data + s->len, data, length);
  s->len += length;
  return CAIRO_STATUS_SUCCESS;
}

/* --- layout of one cell ----------------------------------------------------------------------------------------- */

typedef struct cell_lines {
  PangoLayout *lo;
  int n;                   /* lines */
  PangoLayoutLine **line;  /* borrowed from lo */
  double *top, *bot;       /* each line's vertical range in the layout, points (spacing split between lines) */
  double *base, *x;        /* baseline and left edge (alignment), points */
} cell_lines;

static void cell_free(cell_lines *c) {
  if (c->lo) g_object_unref(c->lo);
  free(c->line);
  free(c->top);
  memset(c, 0, sizeof *c);
}

static int cell_layout(pdf_flow *f, const pdf_cell *pc, double inner_w, cell_lines *c) {
  memset(c, 0, sizeof *c);
  c->lo = pango_layout_new(f->pc);
  pango_layout_set_font_description(c->lo, f->fonts[pc->font]);
  pango_layout_set_width(c->lo, (int)(inner_w * PANGO_SCALE));
  pango_layout_set_wrap(c->lo, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_spacing(c->lo, (int)(LINE_SPACING * PANGO_SCALE));
  pango_layout_set_alignment(c->lo, pc->align == PDF_CENTER ? PANGO_ALIGN_CENTER : pc->align == PDF_RIGHT ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
  pango_layout_set_markup(c->lo, pc->text ? pc->text : "", -1);
  int n = pango_layout_get_line_count(c->lo);
  c->line = calloc((size_t)n + 1, sizeof *c->line);
  c->top = calloc((size_t)n * 4 + 1, sizeof *c->top);
  if (!c->line || !c->top) return -1;
  c->bot = c->top + n;
  c->base = c->bot + n;
  c->x = c->base + n;
  PangoLayoutIter *it = pango_layout_get_iter(c->lo);
  int i = 0;
  do {
    if (i >= n) break;
    int y0, y1;
    PangoRectangle logical;
    pango_layout_iter_get_line_yrange(it, &y0, &y1);
    pango_layout_iter_get_line_extents(it, NULL, &logical);
    c->line[i] = pango_layout_iter_get_line_readonly(it);
    c->top[i] = (double)y0 / PANGO_SCALE;
    c->bot[i] = (double)y1 / PANGO_SCALE;
    c->base[i] = (double)pango_layout_iter_get_baseline(it) / PANGO_SCALE;
    c->x[i] = (double)logical.x / PANGO_SCALE;
    i++;
  } while (pango_layout_iter_next_line(it));
  pango_layout_iter_free(it);
  c->n = i;
  return 0;
}

/* Height of lines [from, to) of a cell. */
static double span(const cell_lines *c, int from, int to) { return to > from ? c->bot[to - 1] - c->top[from] : 0; }

/* --- pages ------------------------------------------------------------------------------------------------------ */

static void show_text(pdf_flow *f, double x, double y, double w, int font, int align, const char *markup, double r, double g, double b) {
  if (!f->draw) return;
  PangoLayout *lo = pango_layout_new(f->pc);
  pango_layout_set_font_description(lo, f->fonts[font]);
  pango_layout_set_width(lo, (int)(w * PANGO_SCALE));
  pango_layout_set_alignment(lo, align == PDF_CENTER ? PANGO_ALIGN_CENTER : align == PDF_RIGHT ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
  pango_layout_set_markup(lo, markup, -1);
  cairo_set_source_rgb(f->cr, r, g, b);
  cairo_move_to(f->cr, x, y);
  pango_cairo_show_layout(f->cr, lo);
  cairo_set_source_rgb(f->cr, 0, 0, 0);
  g_object_unref(lo);
}

static void page_footer(pdf_flow *f) {
  char num[96];
  if (f->total) snprintf(num, sizeof num, "第 %d 页 共 %d 页", f->page, f->total);
  else snprintf(num, sizeof num, "第 %d 页", f->page);
  show_text(f, PDF_MARGIN_X, FOOTER_Y, PDF_BODY_W, PDF_FONT_SMALL, PDF_CENTER, num, 0, 0, 0);
  if (f->setup->stamp) {
    GString *g = g_string_new(NULL);
    pdf_esc(g, f->setup->stamp);
    show_text(f, PDF_MARGIN_X, FOOTER_Y + 12, PDF_BODY_W, PDF_FONT_SMALL, PDF_CENTER, g->str, 0.35, 0.35, 0.35);
    g_string_free(g, TRUE);
  }
}

static void block(pdf_flow *f, int n, const pdf_cell *cells, double min_h, int border, double pad);

static void new_page(pdf_flow *f) {
  if (f->overflow) return;
  if (f->page) {
    page_footer(f);
    if (f->draw) cairo_show_page(f->cr);
  }
  if (++f->page > PDF_PAGES_MAX) {
    f->overflow = 1;
    return;
  }
  GString *g = g_string_new(NULL);
  if (f->setup->drill) g_string_append(g, "<span foreground=\"#c00000\" weight=\"bold\">【演练】</span> ");
  pdf_esc(g, f->setup->title);
  if (f->setup->ref) {
    g_string_append(g, "  ");
    pdf_esc(g, f->setup->ref);
  }
  show_text(f, PDF_MARGIN_X, HEADER_Y, PDF_BODY_W, PDF_FONT_SMALL, PDF_LEFT, g->str, 0.25, 0.25, 0.25);
  g_string_free(g, TRUE);
  if (f->draw) {
    cairo_set_line_width(f->cr, 0.4);
    cairo_move_to(f->cr, PDF_MARGIN_X, HEADER_Y + 14);
    cairo_line_to(f->cr, PDF_A4_W - PDF_MARGIN_X, HEADER_Y + 14);
    cairo_stroke(f->cr);
  }
  f->y = TOP_Y;
  if (f->rep_n && !f->in_rep) {
    f->in_rep = 1;
    block(f, f->rep_n, f->rep, 0, 1, PAD);
    f->in_rep = 0;
  }
  f->body_top = f->y;
}

/* Draws lines [from[i], to[i]) of every cell in a box of height h at the current y. */
static void draw_part(pdf_flow *f, int n, const pdf_cell *cells, cell_lines *cl, const int *from, const int *to, double h, int border, double pad) {
  if (!f->draw) return;
  double x = PDF_MARGIN_X;
  for (int i = 0; i < n; i++) {
    if (cells[i].shade) {
      cairo_set_source_rgb(f->cr, 0.93, 0.93, 0.93);
      cairo_rectangle(f->cr, x, f->y, cells[i].w, h);
      cairo_fill(f->cr);
      cairo_set_source_rgb(f->cr, 0, 0, 0);
    }
    for (int k = from[i]; k < to[i]; k++) {
      cairo_move_to(f->cr, x + pad + cl[i].x[k], f->y + pad + cl[i].base[k] - cl[i].top[from[i]]);
      pango_cairo_show_layout_line(f->cr, cl[i].line[k]);
    }
    if (border) {
      cairo_set_line_width(f->cr, BORDER_W);
      cairo_rectangle(f->cr, x, f->y, cells[i].w, h);
      cairo_stroke(f->cr);
    }
    x += cells[i].w;
  }
}

#define MAX_CELLS 8

static void block(pdf_flow *f, int n, const pdf_cell *cells, double min_h, int border, double pad) {
  if (f->overflow || n <= 0) return;
  if (n > MAX_CELLS) n = MAX_CELLS;
  for (int i = 0; i < n; i++)
    if (cells[i].text && strlen(cells[i].text) > PDF_CELL_MAX) {
      f->too_long = f->overflow = 1;
      return;
    }
  cell_lines cl[MAX_CELLS];
  int from[MAX_CELLS] = {0}, to[MAX_CELLS] = {0};
  int ok = 1;
  for (int i = 0; i < n; i++)
    if (cell_layout(f, &cells[i], cells[i].w - 2 * pad, &cl[i])) ok = 0;
  int first = 1;
  while (ok && !f->overflow) {
    double avail = BOTTOM_Y - f->y, rest = 0, one = 0;
    int left = 0;
    for (int i = 0; i < n; i++) {
      double r = span(&cl[i], from[i], cl[i].n);
      if (r > rest) rest = r;
      int k = from[i] + MIN_SPLIT_LINES < cl[i].n ? from[i] + MIN_SPLIT_LINES : cl[i].n;
      double o = span(&cl[i], from[i], k);
      if (o > one) one = o;
      if (from[i] < cl[i].n) left = 1;
    }
    double need = rest + 2 * pad;
    if (first && need < min_h) need = min_h;
    if (need <= avail + 0.01 || (!left && !first)) {
      for (int i = 0; i < n; i++) to[i] = cl[i].n;
      draw_part(f, n, cells, cl, from, to, need, border, pad);
      f->y += need;
      break;
    }
    int fresh = f->y <= f->body_top + 0.01;
    if (!fresh && (need <= KEEP_MAX || one + 2 * pad > avail || f->in_rep)) {
      new_page(f);
      continue;
    }
    /* Split: as many lines of each cell as fit; the part is boxed down to the bottom of the page. */
    int took = 0;
    for (int i = 0; i < n; i++) {
      to[i] = from[i];
      while (to[i] < cl[i].n && span(&cl[i], from[i], to[i] + 1) <= avail - 2 * pad) to[i]++;
      if (to[i] == from[i] && from[i] < cl[i].n && fresh) to[i]++; /* a line taller than a page: draw it anyway */
      if (to[i] > from[i]) took = 1;
    }
    if (!took) {
      new_page(f);
      continue;
    }
    draw_part(f, n, cells, cl, from, to, avail, border, pad);
    f->y += avail;
    left = 0;
    for (int i = 0; i < n; i++) {
      from[i] = to[i];
      if (from[i] < cl[i].n) left = 1;
    }
    if (!left) break;
    first = 0;
    new_page(f);
  }
  for (int i = 0; i < n; i++) cell_free(&cl[i]);
}

void pdf_flow_row(pdf_flow *f, int n, const pdf_cell *cells, double min_h, int border) { block(f, n, cells, min_h, border, PAD); }

void pdf_flow_text(pdf_flow *f, const char *markup, int font, int align) {
  pdf_cell c = {PDF_BODY_W, markup, font, align, 0};
  block(f, 1, &c, 0, 0, 0);
}

void pdf_flow_heading(pdf_flow *f, const char *markup) {
  if (f->overflow) return;
  if (BOTTOM_Y - f->y < HEADING_ROOM && f->y > f->body_top + 0.01) new_page(f);
  pdf_flow_space(f, 6);
  pdf_flow_text(f, markup, PDF_FONT_HEADING, PDF_LEFT);
  pdf_flow_space(f, 4);
}

void pdf_flow_space(pdf_flow *f, double h) {
  if (f->overflow) return;
  if (f->y + h > BOTTOM_Y) f->y = BOTTOM_Y;
  else f->y += h;
}

void pdf_flow_repeat(pdf_flow *f, int n, const pdf_cell *cells) {
  f->rep_n = n > MAX_CELLS ? MAX_CELLS : n;
  f->rep = cells;
}

/* --- the two passes --------------------------------------------------------------------------------------------- */

static int pass(const pdf_setup *s, pdf_body_fn body, void *arg, PangoFontMap *fm, int total, sink *out, int *pages, cirs_err *e) {
  cairo_surface_t *surface = cairo_pdf_surface_create_for_stream(sink_write, out, PDF_A4_W, PDF_A4_H);
  if (total) {
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, s->title);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "CIRS 网络安全事件报告与应急处置系统");
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_SUBJECT, s->ref ? s->ref : "");
  }
  cairo_t *cr = cairo_create(surface);
  PangoContext *pc = pango_font_map_create_context(fm);
  pango_cairo_update_context(cr, pc);
  cairo_font_options_t *fo = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options(pc, fo);
  cairo_font_options_destroy(fo);
  pango_context_set_language(pc, pango_language_from_string("zh-cn"));
  pango_cairo_context_set_resolution(pc, 72); /* font sizes in points = PDF user units */
  pdf_flow f = {.cr = cr, .pc = pc, .setup = s, .draw = total > 0, .total = total};
  for (int i = 0; i < PDF_FONT_NFONTS; i++) f.fonts[i] = pango_font_description_from_string(font_desc[i]);
  cairo_set_source_rgb(cr, 0, 0, 0);
  new_page(&f);
  body(&f, arg);
  if (!f.overflow) {
    page_footer(&f);
    if (f.draw) cairo_show_page(cr);
  }
  *pages = f.page;
  for (int i = 0; i < PDF_FONT_NFONTS; i++) pango_font_description_free(f.fonts[i]);
  g_object_unref(pc);
  cairo_destroy(cr);
  LIBRARY_LEAK_BEGIN();
  cairo_surface_finish(surface);
  LIBRARY_LEAK_END();
  cairo_status_t st = cairo_surface_status(surface);
  cairo_surface_destroy(surface);
  if (f.too_long) {
    char m[64];
    snprintf(m, sizeof m, L("一个栏目超过 %d 字节", "one field exceeds %d bytes"), PDF_CELL_MAX);
    return err_set(e, "too_large", "", m);
  }
  if (f.overflow) {
    char m[64];
    snprintf(m, sizeof m, L("超过 %d 页", "more than %d pages"), PDF_PAGES_MAX);
    return err_set(e, "too_large", "", m);
  }
  if (out->too_big) {
    char m[64];
    snprintf(m, sizeof m, "%d bytes", PDF_BYTES_MAX);
    return err_set(e, "too_large", "", m);
  }
  if (st != CAIRO_STATUS_SUCCESS) return err_set(e, "internal", "", cairo_status_to_string(st));
  return 0;
}

int pdf_flow_run(const pdf_setup *s, pdf_body_fn body, void *arg, pdf_doc *out, cirs_err *e) {
  memset(out, 0, sizeof *out);
  PangoFontMap *fm = pango_cairo_font_map_new();
  sink count = {0}, doc = {.keep = 1};
  int pages = 0, rc = pass(s, body, arg, fm, 0, &count, &pages, e);
  if (!rc) rc = pass(s, body, arg, fm, pages, &doc, &out->pages, e);
  g_object_unref(fm);
  if (rc) {
    free(doc.data);
    return -1;
  }
  out->data = doc.data;
  out->len = doc.len;
  return 0;
}
