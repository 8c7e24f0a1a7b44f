/* verify.c — see verify.h. */
#include "verify.h"

#include <stdio.h>
#include <string.h>

#include "chain.h"

typedef struct vstate {
  int64_t expect_id;
  char prev[AUDIT_HASH_HEX];
  int64_t count;
  json_t *broken;
} vstate;

static int check_row(void *ctx, int64_t id, int64_t at_ms, const char *actor, const char *type, const char *entity, int64_t entity_id,
                     const char *payload, const char *prev_hash, const char *hash) {
  vstate *v = ctx;
  char want[AUDIT_HASH_HEX];
  const char *problem = NULL;
  if (id != v->expect_id) problem = L("序号不连续：前面的记录被删除或插入", "id gap: rows before it were deleted or inserted");
  else if (strcmp(prev_hash, v->prev) != 0) problem = L("prev_hash 与上一条记录的哈希不符", "prev_hash does not match the previous row's hash");
  else if (audit_hash(id, at_ms, actor, type, entity, entity_id, payload, prev_hash, want) || strcmp(want, hash) != 0)
    problem = L("记录内容被改动（哈希不符）", "row content altered (hash mismatch)");
  if (problem) {
    v->broken = json_pack("{s:b, s:I, s:I, s:s, s:s}", "ok", 0, "row", (json_int_t)id, "expected_row", (json_int_t)v->expect_id, "problem",
                          problem, "type", type);
    return 1;
  }
  v->expect_id = id + 1;
  snprintf(v->prev, sizeof v->prev, "%s", hash);
  v->count++;
  return 0;
}

int audit_verify(store *st, json_t **report, cirs_err *e) {
  vstate v = {0};
  int64_t anchor;
  *report = NULL;
  if (store_chain_anchor(st, &anchor, v.prev, e)) return -1;
  v.expect_id = anchor + 1;
  int rc = store_event_scan(st, check_row, &v, e);
  if (rc < 0) return -1;
  if (v.broken) {
    char m[300];
    snprintf(m, sizeof m, L("第 %lld 行：%s", "row %lld: %s"), (long long)json_integer_value(json_object_get(v.broken, "row")),
             json_string_value(json_object_get(v.broken, "problem")));
    *report = v.broken;
    return err_set(e, "audit_broken", "events", m);
  }
  *report = json_pack("{s:b, s:I, s:I, s:s}", "ok", 1, "events", (json_int_t)v.count, "anchor_row", (json_int_t)anchor, "head", v.prev);
  return 0;
}
