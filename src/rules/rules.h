/* rules.h — the rules engine: data-driven rule packs and the pure assessment of one incident.
 *
 * A rule set is every pack of a folder (or the packs embedded in the binary): one taxonomy
 * (cirs-taxonomy/1) and any number of regime packs (cirs-rules/1: CN, NIS2, ...), each with effective dates.
 * Loading validates everything; a set that loaded is internally consistent, so assessment never meets a
 * malformed pack. Assessment is a pure function of (input JSON, rule set, evaluation time): no I/O, no clock.
 * The file format is described in docs/rules-format.md. */
#ifndef CIRS_RULES_H
#define CIRS_RULES_H

#include <jansson.h>
#include <stdint.h>

#include "../common/err.h"

#define RULES_MAX_PACKS 32
#define RULES_MAX_FILE_BYTES (4 * 1024 * 1024) /* one pack file */
#define RULES_INPUT_MAX_BYTES (64 * 1024)      /* one assess input */
#define RULES_TEXT_MAX 2000                    /* declared_reason and other free text in the input */
#define RULES_NO_TIME INT64_MIN

typedef struct rules_set rules_set; /* opaque; owns its JSON */

/* Loads every *.json of `dir`. Returns NULL and fills `e` (code rules_invalid, message naming file, path and
 * reason of the first problem) when anything is wrong. `problems`, if non-NULL, receives a new JSON array of
 * {file, path, reason} objects listing every problem found (also on success: then it is empty). */
rules_set *rules_load_dir(const char *dir, json_t **problems, cirs_err *e);
/* Loads the packs compiled into the binary (the rules/ folder at build time). */
rules_set *rules_load_embedded(json_t **problems, cirs_err *e);
/* Loads from `dir` when non-NULL, else the embedded packs. */
rules_set *rules_load(const char *dir, cirs_err *e);
void rules_free(rules_set *rs);

/* Adds one file's bytes to a set under construction; used by the loaders and by tests. */
rules_set *rules_new(void);
void rules_add_buffer(rules_set *rs, const char *name, const char *data, size_t len, json_t *problems);
/* Cross-pack checks after all files are added. Returns the number of problems appended. */
int rules_finish(rules_set *rs, json_t *problems);

/* Number of packs and the id/regime/effective period of pack i (for `cirs rules list`). */
int rules_pack_count(const rules_set *rs);
json_t *rules_pack_summary(const rules_set *rs, int i); /* new reference */

/* Looks a category up by 2023 code (any case), 2023 Chinese name or 2007 name. Returns a new object
 * {code, zh, en, parent, taxonomy, input, legacy?} or NULL. */
json_t *rules_category(const rules_set *rs, const char *text);

/* Options of one assessment. */
typedef struct rules_opts {
  int64_t at_ms;                 /* evaluate with the packs in force at this instant; RULES_NO_TIME = aware_at */
} rules_opts;

/* Assesses one incident (the input of docs/../ASSESS-CONTRACT.md). On success returns 0 and sets *out to a new
 * result object. On invalid input returns -1 with `e` set (code + field + message). `in` is not modified. */
int rules_assess(const rules_set *rs, const json_t *in, const rules_opts *opts, json_t **out, cirs_err *e);

/* Parses and assesses a JSON text (size-limited), for the CLI and tests. */
int rules_assess_text(const rules_set *rs, const char *text, size_t len, const rules_opts *opts, json_t **out,
                      cirs_err *e);

/* Emergency rules (the "emergency" sections of the packs and overlays in force at `at`).
 * rules_warning_rule: may an authority of `type` issue a warning of `level`? 0 with *rule = {scheme, level {id, zh, en,
 * rank, grade}, max_level, scope (any | own_province | own_sector | own_department), source, confidence}; -1 with
 * forbidden (no power, or above its highest level; field level) or bad_value (unknown level).
 * rules_response_rule: may it start a response of `level`? 0 with *rule = {scheme, level {...}, end (starter |
 * proposal_and_approval), deciders (array or null), source, confidence}; -1 with forbidden or bad_value.
 * rules_investigation: the investigation clock {max, by, report_to, source, confidence} of the grading pack, or NULL.
 * rules_warning_levels: the grading pack's warning levels (new array). */
int rules_warning_rule(const rules_set *rs, int64_t at, const char *type, const char *level, json_t **rule, cirs_err *e);
int rules_response_rule(const rules_set *rs, int64_t at, const char *type, const char *level, json_t **rule, cirs_err *e);
const json_t *rules_investigation(const rules_set *rs, int64_t at);
json_t *rules_warning_levels(const rules_set *rs, int64_t at);

/* Grade helpers over the grading pack in force at `at_ms`: rank of a grade id (zh or en) or 0 when unknown. */
int rules_grade_rank(const rules_set *rs, int64_t at_ms, const char *grade);

#endif
