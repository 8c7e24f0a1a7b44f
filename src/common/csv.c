/* csv.c — see csv.h. */
#include "csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static void rec_clear(csv_rec *r) {
  for (size_t i = 0; i < r->n; i++)
    free(r->cells[i]);
  r->n = 0;
  r->err[0] = 0;
}

static int rec_add(csv_rec *r, const char *p, size_t n) {
  if (r->n == r->cap) {
    size_t c = r->cap ? r->cap * 2 : 16;
    char **cells = realloc(r->cells, c * sizeof *cells);
    if (!cells) return -1;
    r->cells = cells;
    r->cap = c;
  }
  char *s = malloc(n + 1);
  if (!s) return -1;
  memcpy(s, p, n);
  s[n] = 0;
  r->cells[r->n++] = s;
  return 0;
}

int csv_next(const char *t, size_t n, size_t *pos, long long *line, size_t cell_max, csv_rec *r) {
  rec_clear(r);
  if (*pos >= n) return 0;
  r->line = *line + 1;
  char *cell = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    /* one cell */
    len = 0;
    int quoted = *pos < n && t[*pos] == '"', closed = 0;
    if (quoted) ++*pos;
    while (*pos < n) {
      char c = t[*pos];
      if (quoted && !closed) {
        if (c == '"') {
          if (*pos + 1 < n && t[*pos + 1] == '"')
            ++*pos; /* "" = one quote */
          else {
            closed = 1;
            ++*pos;
            continue;
          }
        } else if (c == '\n')
          ++*line;
      } else if (c == ',' || c == '\n' || (c == '\r' && *pos + 1 < n && t[*pos + 1] == '\n')) {
        break;
      } else if (quoted && closed) {
        if (!r->err[0])
          snprintf(r->err, sizeof r->err, "%s", L("引号后只能是逗号或换行", "a closing quote must be followed by a comma or a line break"));
        ++*pos;
        continue;
      } else if (c == '"' && !r->err[0]) {
        snprintf(r->err, sizeof r->err, "%s", L("未加引号的单元格中有引号", "a quote inside an unquoted cell"));
      }
      if (len + 2 > cap) {
        char *b = realloc(cell, cap = cap ? cap * 2 : 256);
        if (!b) {
          free(cell);
          return -1;
        }
        cell = b;
      }
      if (len <= cell_max) cell[len++] = c; /* longer cells are refused below, by length */
      ++*pos;
    }
    if (quoted && !closed && !r->err[0]) snprintf(r->err, sizeof r->err, "%s", L("引号未闭合", "unterminated quote"));
    if (len > cell_max && !r->err[0]) snprintf(r->err, sizeof r->err, L("单元格超过 %zu 字节", "a cell exceeds %zu bytes"), cell_max);
    if (rec_add(r, cell ? cell : "", len)) {
      free(cell);
      return -1;
    }
    if (*pos >= n) break;
    char c = t[*pos];
    if (c == ',') {
      ++*pos;
      continue;
    }
    *pos += c == '\r' ? 2 : 1; /* the record's line break */
    break;
  }
  ++*line;
  free(cell);
  return 1;
}

void csv_rec_free(csv_rec *r) {
  rec_clear(r);
  free(r->cells);
  r->cells = NULL;
  r->cap = 0;
}
