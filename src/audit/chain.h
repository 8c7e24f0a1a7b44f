/* chain.h — the hash chain of the event log.
 *
 * Each event row stores hash = SHA-256(canonical(row) || prev_hash), where canonical(row) is the compact JSON
 * array [id, at_ms, actor, type, entity, entity_id, payload] (payload as the exact stored text). The first
 * row's prev_hash is AUDIT_GENESIS. Changing any stored field, deleting or inserting a row breaks the chain
 * at that row. Pure functions; the store calls them when appending, `cirs audit verify` when checking. */
#ifndef CIRS_CHAIN_H
#define CIRS_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_HASH_HEX 65 /* 64 hex digits + NUL */
#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* Computes the hash of one row into out (hex). Returns 0, or -1 on allocation failure. */
int audit_hash(int64_t id, int64_t at_ms, const char *actor, const char *type, const char *entity, int64_t entity_id,
               const char *payload, const char *prev_hash, char out[AUDIT_HASH_HEX]);

/* SHA-256 of a buffer as hex. */
void audit_sha256_hex(const void *data, size_t len, char out[AUDIT_HASH_HEX]);

#endif
