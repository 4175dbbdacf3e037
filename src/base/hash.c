#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct hasher {
    EVP_MD_CTX *ctx;
};

hasher *hasher_new(void)
{
    hasher *h = xmalloc(sizeof *h);
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        fprintf(stderr, "tmgt: OpenSSL SHA-256 is unavailable\n");
        abort();
    }
    return h;
}

void hasher_update(hasher *h, const void *data, size_t n)
{
    EVP_DigestUpdate(h->ctx, data, n);
}

void hasher_field(hasher *h, const char *tag, const void *data, size_t n)
{
    char prefix[96];
    int len = snprintf(prefix, sizeof prefix, "%s:%zu:", tag, n);
    hasher_update(h, prefix, (size_t)len);
    hasher_update(h, data, n);
}

void hasher_field_str(hasher *h, const char *tag, const char *s)
{
    hasher_field(h, tag, s ? s : "", s ? strlen(s) : 0);
}

void hasher_final(hasher *h, digest *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(h->ctx, md, &len);
    static const char hexchars[] = "0123456789abcdef";
    for (unsigned i = 0; i < len && i < 32; i++) {
        out->hex[2 * i] = hexchars[md[i] >> 4];
        out->hex[2 * i + 1] = hexchars[md[i] & 15];
    }
    out->hex[DIGEST_HEX_LEN] = '\0';
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

void hash_bytes(const void *data, size_t n, digest *out)
{
    hasher *h = hasher_new();
    hasher_update(h, data, n);
    hasher_final(h, out);
}

int hash_file(const char *path, digest *out, uint64_t *size, tmgt_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err_set(err, "%s: %s", path, strerror(errno));
        return -1;
    }
    hasher *h = hasher_new();
    uint64_t total = 0;
    enum { BUF_SIZE = 1 << 20 };
    char *buf = xmalloc(BUF_SIZE); /* per call, not static: safe from any thread */
    for (;;) {
        ssize_t n = read(fd, buf, BUF_SIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err_set(err, "%s: %s", path, strerror(errno));
            close(fd);
            free(buf);
            hasher_final(h, out);
            return -1;
        }
        if (n == 0)
            break;
        hasher_update(h, buf, (size_t)n);
        total += (uint64_t)n;
    }
    close(fd);
    free(buf);
    hasher_final(h, out);
    if (size)
        *size = total;
    return 0;
}

bool digest_is_valid_hex(const char *s)
{
    if (!s || strlen(s) != DIGEST_HEX_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}
