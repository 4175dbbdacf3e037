#include "utf8.h"

#include <stdlib.h>

size_t utf8_next(const char *str, size_t len, unsigned *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n;
    unsigned v, min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0)
        n = 2, v = s[0] & 0x1Fu, min = 0x80;
    else if ((s[0] & 0xF0) == 0xE0)
        n = 3, v = s[0] & 0x0Fu, min = 0x800;
    else if ((s[0] & 0xF8) == 0xF0)
        n = 4, v = s[0] & 0x07u, min = 0x10000;
    else
        return 0;
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

size_t utf8_step(const char *s, size_t len, long *cp)
{
    unsigned v;
    size_t n;

    *cp = -1;
    if (len == 0)
        return 0;
    if (!(n = utf8_next(s, len, &v)))
        return 1;
    *cp = (long)v;
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
        size_t k = utf8_next(s + i, len - i, &cps[n]);
        if (k == 0) {
            cps[n] = 0xFFFD;
            if (invalid)
                *invalid = true;
            k = 1;
        }
        n++;
        i += k;
    }
    *out = cps;
    return n;
}

/* Length of the prefix of `s` that utf8_sanitize keeps as it is. */
static size_t clean_prefix(const char *s, size_t len)
{
    size_t i = 0;
    unsigned cp;
    for (size_t k; i < len; i += k)
        if (!(k = utf8_next(s + i, len - i, &cp)) || cp == 0)
            break;
    return i;
}

bool utf8_is_text(const char *s, size_t len)
{
    return clean_prefix(s, len) == len;
}

char *utf8_sanitize(const char *s, size_t len, bool *invalid)
{
    strbuf sb;

    /* Engine output is nearly always valid: one copy instead of a character at a time. */
    size_t clean = clean_prefix(s, len);
    if (clean == len)
        return xstrndup(s, len);
    sb_init(&sb);
    sb_append(&sb, s, clean);
    for (size_t i = clean; i < len;) {
        unsigned cp;
        size_t k = utf8_next(s + i, len - i, &cp);
        if (k == 0 || cp == 0) { /* a NUL is valid, but it would end the C string early */
            sb_puts(&sb, UTF8_REPLACEMENT);
            if (invalid && k == 0)
                *invalid = true;
            i += 1;
        } else {
            sb_append(&sb, s + i, k);
            i += k;
        }
    }
    return sb_detach(&sb);
}
