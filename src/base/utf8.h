/* The one UTF-8 codec: every writer and every comparator that reads engine text decodes it
 * here, so "valid" means the same thing in a results document, a report and a check. Decoding
 * is strict, as Python's: overlong forms, surrogates and values above U+10FFFF are invalid, so
 * engine text compares the way the oracle's does. Everything tmgt writes is valid UTF-8:
 * invalid input bytes become U+FFFD, one per byte. */
#ifndef TMGT_UTF8_H
#define TMGT_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* What an invalid byte becomes in a document: U+FFFD REPLACEMENT CHARACTER. */
#define UTF8_REPLACEMENT "\xEF\xBF\xBD"

/* Length of the valid UTF-8 sequence at s (1..4, len > 0) with its code point, or 0 when the
 * bytes there are not one. Reads no byte past the first one that breaks the sequence, so a
 * NUL-terminated string may pass any len of at least its remaining length. */
size_t utf8_next(const char *s, size_t len, unsigned *cp);
/* The same as a walk that always advances: the length of the code point at s, or 1 for an
 * invalid byte (then *cp = -1), a unit of its own; 0 only when len is 0. */
size_t utf8_step(const char *s, size_t len, long *cp);
/* Appends code point `cp` (at most U+10FFFF), encoded. */
void utf8_put(strbuf *sb, unsigned cp);
/* Decoding into code points, an invalid byte as U+FFFD, setting *invalid (if non-NULL).
 * Returns the count; *out is malloc'd. */
size_t utf8_decode(const char *s, size_t len, unsigned **out, bool *invalid);
/* Whether s is valid UTF-8 without NUL: text that needs no sanitizing. */
bool utf8_is_text(const char *s, size_t len);
/* A valid UTF-8 copy of engine text for results documents: invalid bytes (and NULs) become
 * U+FFFD, one per byte; *invalid (if non-NULL) is set when a byte was invalid. malloc'd. */
char *utf8_sanitize(const char *s, size_t len, bool *invalid);

#endif
