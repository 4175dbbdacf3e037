/* The one UTF-8 decoder: every writer and every comparator that reads engine text decodes it
 * here, so "valid" means the same thing in a results document, a report and a check. */
#ifndef TMGT_UTF8_H
#define TMGT_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* What an invalid byte becomes in a document: U+FFFD REPLACEMENT CHARACTER. */
#define UTF8_REPLACEMENT "\xEF\xBF\xBD"

/* Length of the valid UTF-8 sequence at s (1..4, len > 0) with its code point, or 0 when the
 * bytes there are not one: overlong forms, surrogates and values above U+10FFFF are rejected like
 * Python's strict decoder does. Reads no byte past the first one that breaks the sequence, so a
 * NUL-terminated string may pass any len of at least its remaining length. */
size_t utf8_next(const char *s, size_t len, unsigned *cp);
/* Decoding into code points. Invalid sequences decode as U+FFFD, one per bad byte, and
 * *invalid (if non-NULL) is set to true. Returns the count; *out is malloc'd. */
size_t utf8_decode(const char *s, size_t len, unsigned **out, bool *invalid);
/* Whether s is valid UTF-8 without NUL: text that needs no sanitizing. */
bool utf8_is_text(const char *s, size_t len);
/* A valid UTF-8 copy of engine text: invalid bytes (and NULs) become U+FFFD, one per byte;
 * *invalid (if non-NULL) is set when a byte was invalid. malloc'd. */
char *utf8_sanitize(const char *s, size_t len, bool *invalid);

#endif
