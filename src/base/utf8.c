#include "utf8.h"

#include <stdlib.h>

/* Overlong forms, surrogates and values above U+10FFFF are invalid, as for Python's strict
 * decoder, so a check's text compares as the oracle's does. */
size_t utf8_next(const char *s, size_t len, long *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n;
    long v, min;

    *cp = -1;
    if (len == 0)
        return 0;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if ((p[0] & 0xE0) == 0xC0) {
        n = 2, v = p[0] & 0x1F, min = 0x80;
    } else if ((p[0] & 0xF0) == 0xE0) {
        n = 3, v = p[0] & 0x0F, min = 0x800;
    } else if ((p[0] & 0xF8) == 0xF0) {
        n = 4, v = p[0] & 0x07, min = 0x10000;
    } else {
        return 1;
    }
    if (len < n)
        return 1;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 1;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 1;
    *cp = v;
    return n;
}

void utf8_put(strbuf *sb, unsigned cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6)), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12)), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18)), b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    }
    sb_append(sb, b, n);
}

size_t utf8_decode(const char *s, size_t len, unsigned **out, bool *invalid)
{
    unsigned *cps = xmalloc((len + 1) * sizeof *cps);
    size_t n = 0;

    for (size_t i = 0; i < len;) {
        long cp;
        i += utf8_next(s + i, len - i, &cp);
        if (cp < 0 && invalid)
            *invalid = true;
        cps[n++] = cp < 0 ? 0xFFFD : (unsigned)cp;
    }
    *out = cps;
    return n;
}

/* Length of the prefix of `s` that utf8_sanitize keeps as it is. */
static size_t clean_utf8_prefix(const char *s, size_t len)
{
    size_t i = 0;
    long cp;
    for (size_t k; i < len; i += k) {
        k = utf8_next(s + i, len - i, &cp);
        if (cp <= 0)
            break;
    }
    return i;
}

bool utf8_is_text(const char *s, size_t len)
{
    return clean_utf8_prefix(s, len) == len;
}

char *utf8_sanitize(const char *s, size_t len, bool *invalid)
{
    strbuf sb;

    /* Engine output is nearly always valid: one copy instead of a character at a time. */
    size_t clean = clean_utf8_prefix(s, len);
    if (clean == len)
        return xstrndup(s, len);
    sb_init(&sb);
    sb_append(&sb, s, clean);
    for (size_t i = clean; i < len;) {
        long cp;
        size_t k = utf8_next(s + i, len - i, &cp);
        if (cp <= 0) { /* invalid, or valid but it would end the C string early */
            sb_puts(&sb, "\xEF\xBF\xBD");
            if (cp < 0 && invalid)
                *invalid = true;
        } else {
            sb_append(&sb, s + i, k);
        }
        i += k;
    }
    return sb_detach(&sb);
}
