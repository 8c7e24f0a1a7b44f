/* csv.h — an RFC 4180 record reader (bulk import, CSV abuse feeds in mail).
 *
 * Quoted cells may hold commas, "" (one quote) and line breaks; CRLF or LF ends a record. A record with a syntax
 * problem is still returned, with the problem in `err`, so a caller can report its line and go on. */
#ifndef CIRS_CSV_H
#define CIRS_CSV_H

#include <stddef.h>

/* One record: its cells (malloc'd NUL-terminated strings) and the line it starts on (1-based). */
typedef struct csv_rec {
  char **cells;
  size_t n, cap;
  long long line;
  char err[160]; /* syntax problem of this record (in the current language), or "" */
} csv_rec;

/* Reads the record at *pos of the `n` bytes at `t`. Returns 1 with a record, 0 at the end, -1 when out of memory.
 * *line counts the lines read so far (start at 0). Cells longer than cell_max bytes set `err`. */
int csv_next(const char *t, size_t n, size_t *pos, long long *line, size_t cell_max, csv_rec *r);
/* Frees the cells and the array; `r` can be reused after csv_rec_free. */
void csv_rec_free(csv_rec *r);

#endif
