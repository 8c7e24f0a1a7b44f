/* auth.h — secrets: argon2id passwords, random session/API tokens stored only as SHA-256 hashes. */
#ifndef CIRS_AUTH_H
#define CIRS_AUTH_H

#include <stddef.h>

#define AUTH_TOKEN_HEX 65  /* 32 random bytes as hex + NUL */
#define AUTH_HASH_MAX 128  /* crypto_pwhash_STRBYTES */
#define AUTH_PASSWORD_MAX 256
#define AUTH_PASSWORD_MIN 8

/* Fills out with 2*nbytes hex digits of fresh randomness. */
void auth_random_hex(char *out, size_t nbytes);
/* SHA-256 (hex) of a token, the form tokens are stored in. */
void auth_token_hash(const char *token, char out[AUTH_TOKEN_HEX]);
/* argon2id hash of a password (interactive limits). Returns 0, or -1 when out of memory. */
int auth_password_hash(const char *pw, char out[AUTH_HASH_MAX]);
/* 1 when pw matches hash. With hash NULL it still spends the same work (so an unknown user takes as long). */
int auth_password_verify(const char *hash, const char *pw);
/* Constant-time string equality. */
int auth_equal(const char *a, const char *b);

#endif
