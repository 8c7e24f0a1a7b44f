/* model.h — the domain records CIRS stores. One struct per table; every field says what it holds.
 * Strings are borrowed (the caller owns them) unless a function says otherwise. Times are epoch ms UTC;
 * MODEL_NO_TIME marks "not known yet". */
#ifndef CIRS_MODEL_H
#define CIRS_MODEL_H

#include <jansson.h>
#include <stdint.h>

#define MODEL_NO_TIME INT64_MIN
#define MODEL_CODE_MAX 64       /* organisation / authority codes, usernames */
#define MODEL_NAME_MAX 200      /* names of bodies and people */
#define MODEL_TITLE_MAX 200     /* incident title */
#define MODEL_ITEM_MAX 20000    /* one free-text report item */
#define MODEL_REPORT_MAX (1024 * 1024) /* one report file / request body */

/* Roles (DESIGN.md "Who uses it"). */
#define MODEL_ROLES "operator_reporter", "operator_admin", "authority_officer", "authority_admin", \
                    "national_emergency_office", "duty_officer", "auditor", "system_admin"

typedef struct model_authority {
  int64_t id;             /* row id (set by the store) */
  const char *code;       /* stable id, e.g. "cac-140000" */
  const char *type;       /* national_cac | mps | provincial_cac | public_security | cii_protection_dept | ... */
  const char *name;       /* official Chinese name */
  const char *name_en;    /* English name or NULL */
  const char *province;   /* jurisdiction: 6-digit division code, NULL = nationwide */
  const char *sector;     /* jurisdiction: sector, NULL = every sector */
  const char *department; /* central department it serves, or NULL */
  const char *parent;     /* code of the superior authority, or NULL */
  const char *city;       /* a city-level authority's prefecture-level city (e.g. 140500), or NULL */
} model_authority;

typedef struct model_org {
  int64_t id;               /* row id */
  const char *code;         /* stable id, e.g. "shanxi-grid" */
  const char *name;         /* legal name */
  const char *name_en;      /* or NULL */
  json_t *kinds;            /* array of "cii" | "central_organ" | "other" (Measures art. 4 routes) */
  const char *province;     /* 6-digit code of its provincial-level division */
  const char *sector;       /* e.g. "energy" */
  const char *department;   /* central department for central organs, else NULL */
  json_t *regimes;          /* array of regime ids, e.g. ["CN","NIS2"] */
  const char *contact_email;/* or NULL */
  const char *city;         /* prefecture-level city (GB/T 2260, e.g. 140500), or NULL: municipal overlays read it */
} model_org;

typedef struct model_user {
  int64_t id;
  const char *username;
  const char *name;
  const char *role;          /* one of MODEL_ROLES */
  const char *organisation;  /* organisation code, or NULL */
  const char *authority;     /* authority code, or NULL */
  const char *email;
  const char *password_hash; /* argon2id string, or NULL (cannot log in) */
} model_user;

typedef struct model_incident {
  int64_t id;
  char ref[40];             /* receipt number, filled by the store: CIRS-YYYY-NNNNNN */
  int64_t organisation_id;
  const char *title;
  const char *category;     /* GB/T 20986-2023 code */
  const char *grade;        /* 特别重大 | 重大 | 较大 | 一般 */
  int reportable;
  const char *status;       /* open | handling_ended | closed */
  int64_t aware_ms;         /* when the operator discovered or learned of it: the clocks start here */
  int64_t occurred_ms;      /* or MODEL_NO_TIME */
  int drill;                /* 1 for exercises (kept out of statistics) */
} model_incident;

typedef struct model_report {
  int64_t id;
  int64_t incident_id;
  int version;              /* 1, 2, ... per incident; filled by the store */
  const char *kind;         /* initial | supplement | final */
  const char *submitted_by; /* username or "cli:<user>" */
  const char *channel;      /* cli | api | web | email | phone | fax */
  json_t *content;          /* report items (Measures art. 7) */
  json_t *assessment;       /* {"input":..., "result":...} from the rules engine */
  const char *content_json, *assessment_json; /* the two above already serialised (optional; used when set) */
} model_report;

typedef struct model_obligation {
  int64_t id;
  int64_t incident_id;
  const char *regime, *route, *kind; /* from the rule pack */
  const char *from_party;   /* "operator" or a recipient id */
  const char *from_authority; /* code of the authority from_party resolves to, or NULL (operator) */
  json_t *to_parties;       /* array of recipient ids */
  json_t *to_authorities;   /* array of {recipient, authority} with authority codes resolved (null if none) */
  const char *max;          /* ISO 8601 duration or NULL */
  const char *relative_to;  /* clock start */
  int64_t due_ms;           /* or MODEL_NO_TIME */
  int hard, policy;
  const char *status;       /* pending | met | late | overdue | waived */
  int64_t met_ms;           /* when it was met, or MODEL_NO_TIME */
  const char *source, *confidence;
  int64_t warning_id, response_id; /* an obligation of a warning's recipient or of a response (incident_id may be 0) */
  int64_t organisation_id;  /* the operator bound, for an operator's obligation without an incident; else 0 */
} model_obligation;

typedef struct model_event {
  int64_t id;               /* filled by the store */
  int64_t at_ms;
  const char *actor;        /* who did it: username, "cli:<login>", "system" */
  const char *type;         /* e.g. "incident.created" */
  const char *entity;       /* table: incident, report, obligation, organisation, ... */
  int64_t entity_id;        /* or 0 */
  json_t *payload;          /* what changed (object) */
} model_event;

#endif
