/* auth.c — see auth.h. */
#include "auth.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "../audit/chain.h"

void auth_random_hex(char *out, size_t nbytes) {
  unsigned char buf[64];
  if (nbytes > sizeof buf) nbytes = sizeof buf;
  randombytes_buf(buf, nbytes);
  sodium_bin2hex(out, nbytes * 2 + 1, buf, nbytes);
}

void auth_token_hash(const char *token, char out[AUTH_TOKEN_HEX]) { audit_sha256_hex(token, strlen(token), out); }

int auth_password_hash(const char *pw, char out[AUTH_HASH_MAX]) {
  return crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE) ? -1 : 0;
}

static char dummy_hash[AUTH_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static void make_dummy(void) { auth_password_hash("not-a-password-of-anyone", dummy_hash); }

int auth_password_verify(const char *hash, const char *pw) {
  if (!hash) {
    pthread_once(&dummy_once, make_dummy);
    volatile int spent = crypto_pwhash_str_verify(dummy_hash, pw, strlen(pw));
    (void)spent;
    return 0;
  }
  return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

int auth_equal(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la != lb) return 0;
  return sodium_memcmp(a, b, la) == 0;
}
