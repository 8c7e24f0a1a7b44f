/* rules_int.h — what the pack loader and the assessment share; not for other modules. */
#ifndef CIRS_RULES_INT_H
#define CIRS_RULES_INT_H

#include "rules.h"

typedef struct rules_pack {
  char *file;            /* file name it came from */
  json_t *doc;           /* the validated pack (owned) */
  const char *id;        /* doc.id */
  const char *regime;    /* doc.regime */
  int grading;           /* doc.grading */
  int64_t from_ms, to_ms; /* effective period; to_ms = INT64_MAX when open */
  int offset_min;        /* doc.timezone.utc_offset */
  int overlay;           /* a cirs-overlay/1 file: obligations and emergency rules layered on the regime `regime` */
} rules_pack;

struct rules_set {
  rules_pack packs[RULES_MAX_PACKS];
  int npacks;
  json_t *taxonomy;      /* the taxonomy document (owned) */
  char *taxonomy_file;
  json_t *by_code;       /* code -> {code, zh, en, parent} */
  json_t *by_name;       /* 2023 zh name or 2007 name -> code (legacy flag in value) */
};

/* The pack of `regime` in force at `at_ms`, or NULL (never an overlay). */
const rules_pack *rules_pack_at(const rules_set *rs, const char *regime, int64_t at_ms);
/* The grading pack in force at `at_ms`, or NULL. */
const rules_pack *rules_grading_pack_at(const rules_set *rs, int64_t at_ms);
/* Whether a row with optional effective_from/effective_to is in force at `at_ms`. */
int rules_row_in_force(const json_t *row, int64_t at_ms);

#endif
