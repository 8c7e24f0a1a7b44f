/* chain.c — see chain.h. */
#include "chain.h"
#include "../common/jdump.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void audit_sha256_hex(const void *data, size_t len, char out[AUDIT_HASH_HEX]) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, data, len);
  sodium_bin2hex(out, AUDIT_HASH_HEX, h, sizeof h);
}

int audit_hash(int64_t id, int64_t at_ms, const char *actor, const char *type, const char *entity, int64_t entity_id,
               const char *payload, const char *prev_hash, char out[AUDIT_HASH_HEX]) {
  json_t *row = json_pack("[I, I, s, s, s, I, s]", (json_int_t)id, (json_int_t)at_ms, actor, type, entity, (json_int_t)entity_id, payload);
  if (!row) return -1;
  char *canon = jdump_ascii(row);
  json_decref(row);
  if (!canon) return -1;
  crypto_hash_sha256_state st;
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, (const unsigned char *)canon, strlen(canon));
  crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
  crypto_hash_sha256_update(&st, (const unsigned char *)prev_hash, strlen(prev_hash));
  crypto_hash_sha256_final(&st, h);
  sodium_bin2hex(out, AUDIT_HASH_HEX, h, sizeof h);
  free(canon);
  return 0;
}
