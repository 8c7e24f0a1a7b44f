/* cli.h — the command table and the helpers every command uses.
 *
 * Exit codes (every command): 0 success; 1 operational failure (I/O, database); 2 invalid input or usage;
 * 3 verification failed (audit chain broken). */
#ifndef CIRS_CLI_H
#define CIRS_CLI_H

#include <jansson.h>

#include "../common/err.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_INPUT = 2, EXIT_VERIFY = 3 };

typedef struct cli_cmd {
  const char *group; /* "incident" */
  const char *name;  /* "list", or NULL for a one-word command */
  int (*fn)(int argc, char **argv);
  const char *usage; /* synopsis after "cirs " */
  const char *zh, *en; /* one-line description */
} cli_cmd;

extern const cli_cmd cli_commands[];

/* Prints the help of one command (synopsis, description, and `options`, a text already in both languages). */
void cli_help(const char *usage, const char *zh, const char *en, const char *options_zh, const char *options_en);
/* Prints an error on stderr ("cirs: 错误 [code] field: message") and returns the exit code for it. */
int cli_fail(const cirs_err *e);
/* Prints `{"error":{code,message,field}}` on stdout (the assess contract). */
void cli_print_error_json(const cirs_err *e);
/* Prints a JSON value, indented, on stdout. */
void cli_print_json(const json_t *j);
/* Reads a whole file (or stdin for NULL / "-") up to `max` bytes. Returns a malloc'd NUL-terminated buffer. */
char *cli_read_file(const char *path, size_t max, size_t *len, cirs_err *e);
/* Default rule folder: the --rules value, else $CIRS_RULES, else NULL (the packs compiled into the binary). */
const char *cli_rules_dir(const char *flag);

int cmd_assess(int argc, char **argv);
int cmd_rules_check(int argc, char **argv);
int cmd_rules_list(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_report_submit(int argc, char **argv);
int cmd_incident_list(int argc, char **argv);
int cmd_incident_show(int argc, char **argv);
int cmd_obligation_list(int argc, char **argv);
int cmd_compliance(int argc, char **argv);
int cmd_audit_verify(int argc, char **argv);
int cmd_purge(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_token_create(int argc, char **argv);
int cmd_token_revoke(int argc, char **argv);
int cmd_token_list(int argc, char **argv);
int cmd_org_add(int argc, char **argv);
int cmd_authority_add(int argc, char **argv);
int cmd_user_add(int argc, char **argv);
int cmd_warning_list(int argc, char **argv); /* cli_emergency.c */
int cmd_warning_show(int argc, char **argv);
int cmd_warning_issue(int argc, char **argv);
int cmd_warning_lift(int argc, char **argv);
int cmd_response_list(int argc, char **argv);
int cmd_response_show(int argc, char **argv);
int cmd_response_start(int argc, char **argv);
int cmd_response_end(int argc, char **argv);
int cmd_contacts_import(int argc, char **argv);
int cmd_contacts_export(int argc, char **argv);
int cmd_export_pdf(int argc, char **argv); /* cli_pdf.c */
int cmd_export(int argc, char **argv); /* cli_export.c */
int cmd_import(int argc, char **argv); /* cli_export.c */
int cmd_mail_ingest(int argc, char **argv); /* cli_mail.c */
int cmd_mail_list(int argc, char **argv);
int cmd_mail_show(int argc, char **argv);
int cmd_mail_triage(int argc, char **argv);
int cmd_mail_sender_add(int argc, char **argv);
int cmd_mail_senders(int argc, char **argv);

/* The actor of audit events written from the command line: "cli:<login>". */
const char *cli_actor(char *buf, size_t n);

#endif
