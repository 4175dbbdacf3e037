#include "compare.h"

#include <stdlib.h>

#include "utf8.h"

/* The shared core of both mismatch counts: positional inequality over the common prefix, and
 * every element of the longer side beyond it counts as one more mismatch. */
#define MISMATCHES(a, na, b, nb, out)                    \
    do {                                                 \
        size_t common_ = (na) < (nb) ? (na) : (nb);      \
        (out) = (na) > (nb) ? (na) - (nb) : (nb) - (na); \
        for (size_t i_ = 0; i_ < common_; i_++)          \
            (out) += (a)[i_] != (b)[i_];                 \
    } while (0)

#define DIVERGENCE(a, na, b, nb, out)                            \
    do {                                                         \
        size_t common_ = (na) < (nb) ? (na) : (nb), i_ = 0;      \
        while (i_ < common_ && (a)[i_] == (b)[i_])               \
            i_++;                                                \
        (out) = (i_ == common_ && (na) == (nb)) ? -1 : (long)i_; \
    } while (0)

size_t count_mismatches(const long *a, size_t na, const long *b, size_t nb)
{
    size_t m;
    MISMATCHES(a, na, b, nb, m);
    return m;
}

long first_token_divergence(const long *a, size_t na, const long *b, size_t nb)
{
    long at;
    DIVERGENCE(a, na, b, nb, at);
    return at;
}

size_t count_char_mismatches(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned *ca, *cb;
    size_t na = utf8_decode(a, alen, &ca, NULL), nb = utf8_decode(b, blen, &cb, NULL), m;
    MISMATCHES(ca, na, cb, nb, m);
    free(ca);
    free(cb);
    return m;
}

long first_char_divergence(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned *ca, *cb;
    size_t na = utf8_decode(a, alen, &ca, NULL), nb = utf8_decode(b, blen, &cb, NULL);
    long at;
    DIVERGENCE(ca, na, cb, nb, at);
    free(ca);
    free(cb);
    return at;
}
