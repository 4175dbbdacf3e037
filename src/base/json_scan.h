/* Where values lie in a JSON text, found without building a tree: a results document of tens of
 * MB is written again by copying the parts that did not change (core/results_splice.h), and
 * reading back a few fields of each of its 30,000 checks costs a walk, not a parse. Every
 * function stops at the span's end and reports a malformed text instead of reading past it; the
 * spans point into the caller's text. */
#ifndef TMGT_JSON_SCAN_H
#define TMGT_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *p, *end; /* [p, end) */
} json_span;

/* The object or array that `text` holds, found by its first and last bytes alone, so that a
 * text of tens of MB is walked once, by its members, not twice: each member is checked as it is
 * reached. */
bool json_scan_outer(json_span text, json_span *value);

/* The next member of the object `obj` (a span that json_scan_* returned): *cursor is NULL before
 * the first. key is the raw key with its quotes. false at the end, or on a malformed text
 * (*malformed set, when given). */
bool json_scan_member(json_span obj, const char **cursor, json_span *key, json_span *value, bool *malformed);
/* The same for the elements of the array `arr`. */
bool json_scan_element(json_span arr, const char **cursor, json_span *value, bool *malformed);

/* Whether the span holds exactly these bytes. */
bool json_span_is(json_span s, const char *text, size_t len);

#endif
