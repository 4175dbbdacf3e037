#include "hub_verify.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hub_verifier {
    char etag[DIGEST_HEX_LEN + 1];
    uint64_t size, bytes;
    hasher *sha256;
    EVP_MD_CTX *git_sha1; /* only for a 40-digit ETag */
};

bool hub_etag_parse(const char *raw, char out[DIGEST_HEX_LEN + 1])
{
    if (!raw)
        return false;
    if (!strncmp(raw, "W/", 2))
        raw += 2;
    size_t n = strlen(raw);
    if (n >= 2 && raw[0] == '"' && raw[n - 1] == '"') {
        raw++;
        n -= 2;
    }
    if (n != 40 && n != DIGEST_HEX_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((raw[i] >= '0' && raw[i] <= '9') || (raw[i] >= 'a' && raw[i] <= 'f')))
            return false;
    memcpy(out, raw, n);
    out[n] = '\0';
    return true;
}

/* Git names a blob by SHA-1("blob <size>\0" + content), so the size goes in first. */
static void start_hashes(hub_verifier *v)
{
    v->bytes = 0;
    v->sha256 = hasher_new();
    if (strlen(v->etag) != 40)
        return;
    char header[48];
    int n = snprintf(header, sizeof header, "blob %" PRIu64, v->size);
    v->git_sha1 = EVP_MD_CTX_new();
    EVP_DigestInit_ex(v->git_sha1, EVP_sha1(), NULL);
    EVP_DigestUpdate(v->git_sha1, header, (size_t)n + 1);
}

static void drop_hashes(hub_verifier *v)
{
    digest unused;
    if (v->sha256)
        hasher_final(v->sha256, &unused);
    EVP_MD_CTX_free(v->git_sha1);
    v->sha256 = NULL;
    v->git_sha1 = NULL;
}

hub_verifier *hub_verifier_new(const char *etag, uint64_t size)
{
    hub_verifier *v = xcalloc(1, sizeof *v);
    snprintf(v->etag, sizeof v->etag, "%s", etag);
    v->size = size;
    start_hashes(v);
    return v;
}

void hub_verifier_update(hub_verifier *v, const void *data, size_t n)
{
    hasher_update(v->sha256, data, n);
    if (v->git_sha1)
        EVP_DigestUpdate(v->git_sha1, data, n);
    v->bytes += n;
}

uint64_t hub_verifier_bytes(const hub_verifier *v)
{
    return v->bytes;
}

void hub_verifier_restart(hub_verifier *v)
{
    drop_hashes(v);
    start_hashes(v);
}

int hub_verifier_finish(hub_verifier *v, digest *sha256, tmgt_error *err)
{
    hasher_final(v->sha256, sha256);
    v->sha256 = NULL;
    if (v->bytes != v->size) {
        err_set(err, "size mismatch: the Hub announced %" PRIu64 " bytes, %" PRIu64 " arrived", v->size,
                v->bytes);
        return -1;
    }
    char got[DIGEST_HEX_LEN + 1];
    if (v->git_sha1) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        EVP_DigestFinal_ex(v->git_sha1, md, &len);
        for (unsigned i = 0; i < len; i++)
            snprintf(got + 2 * i, 3, "%02x", md[i]);
    } else {
        memcpy(got, sha256->hex, sizeof got);
    }
    if (strcmp(got, v->etag) != 0) {
        err_set(err, "checksum mismatch: the Hub's ETag is %s but the content hashes to %s", v->etag, got);
        return -1;
    }
    return 0;
}

void hub_verifier_free(hub_verifier *v)
{
    if (!v)
        return;
    drop_hashes(v);
    free(v);
}
