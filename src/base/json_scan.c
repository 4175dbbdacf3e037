#include "json_scan.h"

#include <stddef.h>
#include <string.h>

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Past the string that starts at p (its opening quote); NULL when it does not end. A quote ends
 * it unless an odd run of backslashes precedes it. */
static const char *skip_string(const char *p, const char *end)
{
    const char *from = p + 1;
    for (;;) {
        const char *q = memchr(from, '"', (size_t)(end - from));
        if (!q)
            return NULL;
        size_t backslashes = 0;
        while (q - backslashes > p + 1 && q[-1 - (ptrdiff_t)backslashes] == '\\')
            backslashes++;
        if (backslashes % 2 == 0)
            return q + 1;
        from = q + 1;
    }
}

/* The bytes that matter inside a container. */
static const unsigned char structural[256] = {['"'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1};

static bool ends_scalar(char c)
{
    return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Past the value that starts at p; NULL when malformed or cut off. Containers are walked by
 * depth (their strings skipped whole), which checks their brackets balance but not their commas:
 * the scanner only reads back texts that tmgt wrote and checksummed. */
static const char *skip_value(const char *p, const char *end)
{
    if (p >= end)
        return NULL;
    if (*p == '"')
        return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        char stack[256];
        size_t depth = 0;
        while (p < end) {
            while (p < end && !structural[(unsigned char)*p])
                p++;
            if (p == end)
                break;
            char c = *p;
            if (c == '"') {
                if (!(p = skip_string(p, end)))
                    return NULL;
                continue;
            }
            if (c == '{' || c == '[') {
                if (depth == sizeof stack)
                    return NULL;
                stack[depth++] = c == '{' ? '}' : ']';
            } else if (!depth || stack[--depth] != c) {
                return NULL;
            } else if (!depth) {
                return p + 1;
            }
            p++;
        }
        return NULL;
    }
    const char *start = p;
    while (p < end && !ends_scalar(*p))
        p++;
    return p > start ? p : NULL;
}

bool json_scan_outer(json_span text, json_span *value)
{
    const char *p = skip_space(text.p, text.end), *end = text.end;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
        end--;
    if (end - p < 2 || !((*p == '{' && end[-1] == '}') || (*p == '[' && end[-1] == ']')))
        return false;
    *value = (json_span){p, end};
    return true;
}

/* The next item of a container whose opening bracket is at c.p: after the bracket, or after
 * the comma that follows the previous item. */
static bool next_item(json_span c, char close, const char **cursor, bool *malformed)
{
    bool bad = false;
    const char *p = *cursor ? *cursor : c.p + 1;
    p = skip_space(p, c.end);
    if (*cursor) {
        if (p < c.end && *p == ',')
            p = skip_space(p + 1, c.end);
        else
            bad = p >= c.end || *p != close;
    }
    bool more = !bad && p < c.end && *p != close;
    bad |= p >= c.end;
    if (malformed)
        *malformed = bad;
    *cursor = p;
    return more;
}

bool json_scan_member(json_span obj, const char **cursor, json_span *key, json_span *value, bool *malformed)
{
    bool bad = obj.p >= obj.end || *obj.p != '{';
    if (bad || !next_item(obj, '}', cursor, &bad)) {
        if (malformed)
            *malformed = bad;
        return false;
    }
    const char *p = *cursor;
    const char *k = *p == '"' ? skip_string(p, obj.end) : NULL;
    const char *colon = k ? skip_space(k, obj.end) : NULL;
    const char *v = colon && colon < obj.end && *colon == ':' ? skip_space(colon + 1, obj.end) : NULL;
    const char *after = v ? skip_value(v, obj.end) : NULL;
    if (!after) {
        if (malformed)
            *malformed = true;
        return false;
    }
    *key = (json_span){p, k};
    *value = (json_span){v, after};
    *cursor = after;
    if (malformed)
        *malformed = false;
    return true;
}

bool json_scan_element(json_span arr, const char **cursor, json_span *value, bool *malformed)
{
    bool bad = arr.p >= arr.end || *arr.p != '[';
    if (bad || !next_item(arr, ']', cursor, &bad)) {
        if (malformed)
            *malformed = bad;
        return false;
    }
    const char *after = skip_value(*cursor, arr.end);
    if (!after) {
        if (malformed)
            *malformed = true;
        return false;
    }
    *value = (json_span){*cursor, after};
    *cursor = after;
    if (malformed)
        *malformed = false;
    return true;
}

bool json_span_is(json_span s, const char *text, size_t len)
{
    return (size_t)(s.end - s.p) == len && memcmp(s.p, text, len) == 0;
}
