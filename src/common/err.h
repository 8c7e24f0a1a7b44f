/* err.h — the one error type that travels from where a problem is found to the one place that reports it.
 *
 * An error has a stable machine code (`unknown_category`), the input field it concerns (a JSON path such as
 * `facts.cii_outage_min`, or "" when none) and a human message already rendered in the caller's language.
 * Codes and their message templates live in one table (err.c) so docs can be generated from it.
 * Functions that can fail take a `cirs_err *` last and return 0 on success, -1 on failure. */
#ifndef CIRS_ERR_H
#define CIRS_ERR_H

#include <stddef.h>

#define ERR_CODE_MAX 48
#define ERR_FIELD_MAX 160
#define ERR_MSG_MAX 512

typedef struct cirs_err {
  char code[ERR_CODE_MAX];   /* stable machine-readable code, e.g. "bad_time" */
  char field[ERR_FIELD_MAX]; /* offending input field (JSON path) or "" */
  char msg[ERR_MSG_MAX];     /* message in the current language */
} cirs_err;

/* Languages of every user-visible text. Chinese first. */
typedef enum { LANG_ZH = 0, LANG_EN = 1 } cirs_lang;

void lang_set(cirs_lang l);
cirs_lang lang_get(void);
/* Picks the language from a `--lang` value (may be NULL) or else the LANG/LC_ALL environment. */
void lang_init(const char *flag_value);
/* Returns zh or en depending on the current language. */
const char *L(const char *zh, const char *en);

/* Sets `e` from a code of the table in err.c; the template takes printf arguments. Returns -1 so callers can
 * write `return err_set(e, ...)`. `e` may be NULL (the error is then dropped). */
int err_set(cirs_err *e, const char *code, const char *field, ...);
/* Sets `e` with a message written by the caller (already in the current language) instead of the table's. */
int err_set_msg(cirs_err *e, const char *code, const char *field, const char *msg);
void err_clear(cirs_err *e);

/* Iterates the table: returns 0 and fills the pointers for index i, -1 past the end (for docs and tests). */
int err_table_entry(size_t i, const char **code, const char **zh, const char **en);

#endif
