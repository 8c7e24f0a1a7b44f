/* export_int.h — what the export formats (csv_json.c, stix.c, misp.c) share with the driver (export.c). Not for
 * other modules. */
#ifndef CIRS_EXPORT_INT_H
#define CIRS_EXPORT_INT_H

#include "export.h"

#define EX_TIME_MAX 32                                                               /* "2025-12-01T02:00:00.000Z" */
#define EX_TLP_AMBER "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"      /* STIX 2.1 §7.2.1.4, TLP:AMBER (v1) */
#define EX_INCIDENT_EXT "extension-definition--ef765651-680c-498d-9894-99799f2fa126" /* OASIS incident core extension */
#define EX_CN_OFFSET 480                                                             /* times in CSV/JSON/MISP dates: Asia/Shanghai */

/* One export in progress. */
typedef struct ex {
  store *st;
  const export_q *q;
  const export_sink *out;
  cirs_err *e;
  json_t *orgs;    /* organisation code -> store_org_get row (cache) */
  json_t *emitted; /* STIX ids already written (identities) */
  int64_t items;   /* items written (incidents, or obligation rows) */
  char *buf;       /* a row or object being built */
  size_t len, cap;
} ex;

typedef struct ex_format {
  int (*begin)(ex *x);
  int (*item)(ex *x, const json_t *inc); /* an incident as store_incident_get returns it */
  int (*end)(ex *x);
} ex_format;

extern const ex_format ex_csv, ex_json, ex_stix, ex_misp;

int ex_write(ex *x, const char *p, size_t n);
int ex_puts(ex *x, const char *s);
int ex_dump(ex *x, const json_t *j); /* compact JSON, keys in insertion order */
int ex_flush(ex *x);                 /* writes x->buf and empties it */
/* The organisation of an incident ({id, code, name, name_en, ..., contact_email, created_ms}); NULL after an error. */
const json_t *ex_org(ex *x, const char *code);
/* ms as a STIX timestamp (UTC, milliseconds): out holds EX_TIME_MAX. */
const char *ex_stix_time(int64_t ms, char *out);
/* The latest report version's content of an incident (borrowed), or NULL. */
const json_t *ex_content(const json_t *inc);
/* The indicators of an incident's latest report (new reference). */
json_t *ex_incident_iocs(const json_t *inc);
/* A description of an incident from its report items (malloc'd). */
char *ex_description(const json_t *inc);
/* "name:<org code>:<ref>" keys for ids: stable across exports of the same database. */
void ex_incident_key(const json_t *inc, char *out, size_t n);

#endif
