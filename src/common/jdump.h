/* jdump.h — compact JSON text, fast; the same bytes as json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), or with
 * JSON_ENSURE_ASCII for jdump_ascii (the audit chain's canonical form). Object keys in insertion order, as
 * jansson keeps them. malloc'd; NULL for NULL, out of memory or a value nested deeper than 2048. */
#ifndef CIRS_JDUMP_H
#define CIRS_JDUMP_H

#include <jansson.h>
#include <stddef.h>

char *jdump(const json_t *v);
char *jdump_ascii(const json_t *v);
char *jdump_len(const json_t *v, int ascii, size_t *len); /* len: bytes, without the NUL (may be NULL) */

#endif
