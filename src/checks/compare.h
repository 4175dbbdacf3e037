/* Comparators of token and text streams, as the suites judge them. No I/O. */
#ifndef TMGT_COMPARE_H
#define TMGT_COMPARE_H

#include <stddef.h>

/* Positional inequality over min(len) plus |len(a) - len(b)|. */
size_t count_mismatches(const long *a, size_t na, const long *b, size_t nb);
/* First index where a and b differ (including a length difference), or -1 when equal. */
long first_token_divergence(const long *a, size_t na, const long *b, size_t nb);
/* count_mismatches over Unicode code points (Python str semantics), not bytes. */
size_t count_char_mismatches(const char *a, size_t alen, const char *b, size_t blen);
/* First differing code point index, or -1 when equal. */
long first_char_divergence(const char *a, size_t alen, const char *b, size_t blen);

#endif
