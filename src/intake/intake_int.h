/* intake_int.h — what the parts of src/intake/ share: the parsed message and the classifiers. Only src/intake/ includes it. */
#ifndef CIRS_INTAKE_INT_H
#define CIRS_INTAKE_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "../rules/rules.h"
#include "intake.h"

/* One decoded attachment (every leaf part except the body text). Owned by its intake_msg. */
typedef struct intake_att {
  char *filename;     /* Content-Disposition filename or Content-Type name, or NULL */
  char *content_type; /* "text/csv", lower case */
  unsigned char *data;
  size_t size;
} intake_att;

/* A parsed message. Every string is malloc'd UTF-8 (or NULL) and owned by the struct; intake_msg_free frees it. */
typedef struct intake_msg {
  char *message_id;   /* without <>, or NULL */
  char *from_addr;    /* lower case, or NULL */
  char *from_name;
  char *subject;      /* decoded (RFC 2047, undeclared 8-bit as UTF-8 else GB18030) */
  int64_t date_ms;    /* Date header, or MODEL_NO_TIME */
  int auto_submitted; /* Auto-Submitted (not "no"), Precedence bulk|junk|list, or a mailer-daemon sender: no auto reply (RFC 3834) */
  int auth_failed;    /* Authentication-Results reports spf=fail or dmarc=fail: the sender is not trusted as an organisation */
  char *text;         /* body text (first inline text/plain, else text/html as text), "" when none */
  char *charset;      /* what the body text was decoded from ("utf-8", "gb18030", ...) */
  intake_att *att;
  size_t natt, catt;
  json_t *arf;        /* fields of a message/feedback-report part ({"feedback-type": ...}), or NULL */
  json_t *xarf;       /* an X-ARF report (YAML fields or the JSON document), or NULL */
  char xarf_format[16]; /* yaml | json */
  int xarf_header;    /* an X-XARF / X-ARF header was present */
  int nparts;         /* MIME parts seen */
  char reason_code[ERR_CODE_MAX]; /* non-empty: the message must be quarantined, for this reason */
  char reason[ERR_MSG_MAX];
} intake_msg;

/* mime.c: parses `len` bytes into `m` (zeroed by the caller). A message that cannot be taken in gets reason_code set;
 * the header fields are filled as far as they could be read. headers_only: parse the headers (oversized message). */
void intake_parse(const unsigned char *data, size_t len, int headers_only, intake_msg *m);
void intake_msg_free(intake_msg *m);
/* Bytes in an unknown or declared charset to UTF-8: the declared charset when it converts (GB2312 and GBK read as
 * GB18030, their superset), else UTF-8 when valid, else GB18030, else ISO-8859-1. Writes the charset used into `used`
 * (32 bytes). CRLF becomes LF; NUL becomes a space. Returns malloc'd text. */
char *intake_to_utf8(const unsigned char *data, size_t len, const char *declared, char *used);
/* Cuts a UTF-8 string in place to at most `max` bytes at a character boundary. */
void intake_utf8_cut(char *s, size_t max);
/* Sets the quarantine reason of `m` (first one wins). */
void intake_reject(intake_msg *m, const char *code, const char *zh, const char *en);

/* template.c: reads a structured report template (labelled lines in Chinese or English) from the body text.
 * Returns the report document (docs/report-format.md) or NULL when the text is not a template (fewer than
 * INTAKE_TEMPLATE_MIN labels). A template with a value it cannot read still gives a document; the value is kept as
 * text and the model's validation names the problem. */
#define INTAKE_TEMPLATE_MIN 3 /* labelled lines that make a text a report template */
json_t *intake_template(const rules_set *rs, const char *text, const char *subject);

/* abuse.c: the tip content of an ARF or X-ARF message (m->arf or m->xarf set), or NULL when it is neither. */
json_t *intake_abuse_tip(const intake_msg *m);
/* Reads "Key: value" lines (with folded continuation lines) into an object, lower-case keys; repeats are joined by
 * ", ". At most INTAKE_FIELDS_MAX keys, values cut to INTAKE_HEADER_MAX bytes. */
json_t *intake_fields(const char *text);
/* An RFC 5322 or RFC 3339 date as RFC 3339 in +08:00, or NULL (malloc'd). */
char *intake_date_rfc3339(const char *text);

#endif
