/* config.h — the configuration of `cirs serve`: defaults, an INI file, the environment and flags.
 *
 * Precedence, lowest first: defaults < config file < environment < flags. Every source goes through
 * config_set, so a value is validated the same way wherever it comes from, and an error names its source:
 * "FILE:LINE" for the file, the variable name for the environment, the option name for a flag.
 *
 * The file is INI (parsed by libinih) with two sections and the keys of the option table in config.c:
 * [server] listen, db, rules, workers; [notify] smtp_url, smtp_from, smtp_user, smtp_password, smtp_starttls,
 * reminders, retry_base_ms, retry_max, timeout_s. `;` and `#` start comments. Unknown sections and keys, a key
 * given twice and lines longer than libinih's line limit are errors. docs/cirs.example.ini is an annotated
 * example. Every key is also a flag (--smtp-url for smtp_url) and an environment variable (CIRS_SMTP_URL). */
#ifndef CIRS_CONFIG_H
#define CIRS_CONFIG_H

#include "../common/err.h"

#define CONFIG_FILE_MAX (64 * 1024)  /* largest config file read */
#define CONFIG_LISTEN_MAX 80         /* "HOST:PORT" with an IPv4 host, plus room */
#define CONFIG_PATH_MAX 1024         /* db and rules paths, NUL included */
#define CONFIG_WORKERS_MAX 128       /* thread pool size limit */
#define CONFIG_DEFAULT_LISTEN "127.0.0.1:8080"
#define CONFIG_DEFAULT_WORKERS 32
#define CONFIG_TEXT_MAX 256          /* SMTP URL, addresses, user, password, reminder list (NUL included) */
#define CONFIG_RETRY_BASE_MAX_MS 3600000
#define CONFIG_RETRY_MAX 100
#define CONFIG_TIMEOUT_MAX_S 300

typedef struct serve_config {
  char listen[CONFIG_LISTEN_MAX]; /* HOST:PORT to listen on (IPv4 host) */
  char db[CONFIG_PATH_MAX];       /* database path; "" = not configured (an error for serve) */
  char rules[CONFIG_PATH_MAX];    /* rule-pack folder; "" = the packs built into the binary */
  int workers;                    /* thread pool size, 1..CONFIG_WORKERS_MAX */
  /* [notify]: outgoing mail and webhooks, reminders ("" = not set) */
  char smtp_url[CONFIG_TEXT_MAX];      /* smtp://host:port or smtps://host:port; "" = mails wait (listed as pending) */
  char smtp_from[CONFIG_TEXT_MAX];     /* envelope sender and From: */
  char smtp_user[CONFIG_TEXT_MAX];
  char smtp_password[CONFIG_TEXT_MAX];
  int smtp_starttls;                   /* 1: require STARTTLS on smtp:// */
  char reminders[CONFIG_TEXT_MAX];     /* "50%,15m" (sched.h) */
  long retry_base_ms;                  /* first retry after (default 30000) */
  int retry_max;                       /* attempts before dead (default 8) */
  int timeout_s;                       /* per delivery attempt (default 10) */
} serve_config;

/* Option i (0..config_count()-1): its key (also the flag, with '-' for '_') and environment variable. */
int config_count(void);
const char *config_key(int i);

/* Fills `c` with the defaults (listen 127.0.0.1:8080, 32 workers, no db, built-in rules, no SMTP server, reminders
 * 50%,15m, retries from 30 s, 8 attempts, 10 s per attempt). */
void config_defaults(serve_config *c);

/* Sets option `key` (a key of either section) from text. `where` names the source in errors (it becomes
 * the error's field). Returns 0, or -1 with `e` set: unknown_field for an unknown key, bad_value / too_large
 * for a value that is not acceptable. */
int config_set(serve_config *c, const char *key, const char *value, const char *where, cirs_err *e);

/* Reads the INI file at `path` (at most CONFIG_FILE_MAX bytes) over `c`: keys present in the file replace
 * what `c` holds, others stay. Returns 0, or -1 with `e` set and its field "PATH:LINE" for problems in the
 * file (io_error with field "file" when it cannot be read). On error `c` may be partly updated. */
int config_load_file(serve_config *c, const char *path, cirs_err *e);

/* Applies CIRS_LISTEN, CIRS_DB, … CIRS_SMTP_URL, … over `c` (unset or empty variables are skipped). */
int config_load_env(serve_config *c, cirs_err *e);

#endif
