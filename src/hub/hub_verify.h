/* Checks downloaded bytes against what the Hub promised: the size, and the ETag, which is
 * the SHA-256 of an LFS file or the git blob SHA-1 of a small file stored in git. The
 * SHA-256 is computed either way: it is the file's name in tmgt's CAS. */
#ifndef TMGT_HUB_VERIFY_H
#define TMGT_HUB_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "hash.h"

/* Strips W/ and quotes; true when what is left is a 40- or 64-digit lowercase hex ETag. */
bool hub_etag_parse(const char *raw, char out[DIGEST_HEX_LEN + 1]);

typedef struct hub_verifier hub_verifier;
hub_verifier *hub_verifier_new(const char *etag, uint64_t size);
void hub_verifier_update(hub_verifier *v, const void *data, size_t n);
uint64_t hub_verifier_bytes(const hub_verifier *v);
/* Starts over (the server ignored a Range request and sends everything again). */
void hub_verifier_restart(hub_verifier *v);
/* 0 when size and ETag match (`sha256` then holds the content's digest); -1 with the reason. */
int hub_verifier_finish(hub_verifier *v, digest *sha256, tmgt_error *err);
void hub_verifier_free(hub_verifier *v);

#endif
