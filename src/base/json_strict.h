/* Whether bytes are one JSON text as RFC 8259 defines it and serde_json reads it: the grammar
 * cJSON is lenient about (leading zeros, raw control characters and invalid UTF-8 in strings,
 * unpaired surrogate escapes, numbers beyond a double's range) refused, and nesting bounded.
 * Readers of files that other implementations also read (the safetensors header) check with it
 * first, so tmgt accepts exactly what they accept. */
#ifndef TMGT_JSON_STRICT_H
#define TMGT_JSON_STRICT_H

#include <stdbool.h>
#include <stddef.h>

/* serde_json's default recursion limit: 127 nested arrays or objects parse, 128 do not. */
#define JSON_STRICT_SERDE_DEPTH 127

typedef struct {
    size_t at;       /* the byte offset of the first byte that breaks the text */
    const char *why; /* a static phrase: "invalid number", "control character in a string", ... */
} json_strict_error;

/* True when s[0..n) is one JSON value with only JSON white space (space, tab, LF, CR) around
 * it, nested at most max_depth arrays or objects deep. Else false and *err says where and why. */
bool json_strict_check(const char *s, size_t n, unsigned max_depth, json_strict_error *err);

#endif
