/* SHA-256 through OpenSSL EVP: one hash for blobs, action keys and Hub ETags. */
#ifndef TMGT_HASH_H
#define TMGT_HASH_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

#define DIGEST_HEX_LEN 64
typedef struct {
    char hex[DIGEST_HEX_LEN + 1];
} digest;

typedef struct hasher hasher;
hasher *hasher_new(void);
void hasher_update(hasher *h, const void *data, size_t n);
/* Length-prefixed field, so that ("ab","c") and ("a","bc") never hash alike. */
void hasher_field(hasher *h, const char *tag, const void *data, size_t n);
void hasher_field_str(hasher *h, const char *tag, const char *s);
void hasher_final(hasher *h, digest *out); /* frees h */

void hash_bytes(const void *data, size_t n, digest *out);
/* Hashes a regular file; `size` receives its length. */
int hash_file(const char *path, digest *out, uint64_t *size, tmgt_error *err);
bool digest_is_valid_hex(const char *s);

#endif
