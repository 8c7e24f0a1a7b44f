/* config.h — the configuration of `cirs serve`: defaults, an INI file, the environment and flags.
 *
 * Precedence, lowest first: defaults < config file < environment < flags. Every source goes through
 * config_set, so a value is validated the same way wherever it comes from, and an error names its source:
 * "FILE:LINE" for the file, the variable name for the environment, the option name for a flag.
 *
 * The file is INI (parsed by libinih): one section [server] with the keys of the option table in config.c
 * (listen, db, rules, workers). `;` and `#` start comments. Unknown sections and keys, a key given twice and
 * lines longer than libinih's line limit are errors. docs/cirs.example.ini is an annotated example. */
#ifndef CIRS_CONFIG_H
#define CIRS_CONFIG_H

#include "../common/err.h"

#define CONFIG_FILE_MAX (64 * 1024)  /* largest config file read */
#define CONFIG_LISTEN_MAX 80         /* "HOST:PORT" with an IPv4 host, plus room */
#define CONFIG_PATH_MAX 1024         /* db and rules paths, NUL included */
#define CONFIG_WORKERS_MAX 128       /* thread pool size limit */
#define CONFIG_DEFAULT_LISTEN "127.0.0.1:8080"
#define CONFIG_DEFAULT_WORKERS 32

typedef struct serve_config {
  char listen[CONFIG_LISTEN_MAX]; /* HOST:PORT to listen on (IPv4 host) */
  char db[CONFIG_PATH_MAX];       /* database path; "" = not configured (an error for serve) */
  char rules[CONFIG_PATH_MAX];    /* rule-pack folder; "" = the packs built into the binary */
  int workers;                    /* thread pool size, 1..CONFIG_WORKERS_MAX */
} serve_config;

/* Fills `c` with the defaults (listen 127.0.0.1:8080, 4 workers, no db, built-in rules). */
void config_defaults(serve_config *c);

/* Sets option `key` (listen | db | rules | workers) from text. `where` names the source in errors (it becomes
 * the error's field). Returns 0, or -1 with `e` set: unknown_field for an unknown key, bad_value / too_large
 * for a value that is not acceptable. */
int config_set(serve_config *c, const char *key, const char *value, const char *where, cirs_err *e);

/* Reads the INI file at `path` (at most CONFIG_FILE_MAX bytes) over `c`: keys present in the file replace
 * what `c` holds, others stay. Returns 0, or -1 with `e` set and its field "PATH:LINE" for problems in the
 * file (io_error with field "file" when it cannot be read). On error `c` may be partly updated. */
int config_load_file(serve_config *c, const char *path, cirs_err *e);

/* Applies CIRS_LISTEN, CIRS_DB, CIRS_RULES, CIRS_WORKERS over `c` (unset or empty variables are skipped). */
int config_load_env(serve_config *c, cirs_err *e);

#endif
