/* Comparators and lenient reading of engine output. No I/O. */
#ifndef TMGT_COMPARE_H
#define TMGT_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

/* Positional inequality over min(len) plus |len(a) - len(b)| (suites.md §2.3). */
size_t count_mismatches(const long *a, size_t na, const long *b, size_t nb);
/* First index where a and b differ (including a length difference), or -1 when equal. */
long first_token_divergence(const long *a, size_t na, const long *b, size_t nb);

/* UTF-8 decoding into code points. Invalid sequences decode as U+FFFD, one per bad byte, and
 * *invalid (if non-NULL) is set to true. Returns the count; *out is malloc'd. */
size_t utf8_decode(const char *s, size_t len, unsigned **out, bool *invalid);
/* count_mismatches over Unicode code points (Python str semantics), not bytes. */
size_t count_char_mismatches(const char *a, size_t alen, const char *b, size_t blen);
/* First differing code point index, or -1 when equal. */
long first_char_divergence(const char *a, size_t alen, const char *b, size_t blen);
/* Python's str.strip() for ASCII whitespace: returns a pointer into s and the new length. */
const char *text_strip(const char *s, size_t len, size_t *out_len);

/* Engine output quoted in a one-line message: ANSI escape sequences dropped, control
 * characters turned into spaces, invalid UTF-8 into U+FFFD, at most max_cps code points (then
 * "…"). Always valid UTF-8; malloc'd. */
char *text_one_line(const char *s, size_t len, size_t max_cps);
/* Whether s is valid UTF-8 without NUL: text that needs no sanitizing. */
bool utf8_is_text(const char *s, size_t len);
/* A valid UTF-8 copy of engine text for results documents: invalid bytes (and NULs) become
 * U+FFFD, one per byte; *invalid (if non-NULL) is set when a byte was invalid. malloc'd. */
char *utf8_sanitize(const char *s, size_t len, bool *invalid);
/* Length of the ANSI escape sequence (CSI, OSC or two-byte) that starts at s, or 0. */
size_t ansi_escape_len(const char *s, size_t len);

/* Parses engine stdout leniently: skips ANSI escape sequences and log lines before the first
 * '{' or '[' that starts valid JSON, accepts bare NaN/Infinity/inf/-inf (read as strings
 * "NaN", "inf", "-inf" so the evaluator sees them), and ignores trailing text. Returns NULL
 * and a message quoting the first 200 bytes when nothing parses. The JSON must start a line
 * (after indentation); of several candidates the largest is taken. */
cJSON *json_parse_lenient(const char *text, size_t len, char **error);

/* Number access that accepts the "NaN"/"inf"/"-inf" strings above. */
bool json_number(const cJSON *item, double *out);
/* First of several alternative keys that is present (and, for the _list variant, a list). */
const cJSON *json_first(const cJSON *obj, const char *const *keys);
const cJSON *json_first_list(const cJSON *obj, const char *const *keys);
/* An integral JSON number that a double holds exactly (|v| <= 2^53), so no id is rounded. */
bool json_long(const cJSON *item, long *out);
/* Reads a JSON array of integers; false when absent or not all integers. */
bool json_int_list(const cJSON *arr, long **out, size_t *n);

#endif
