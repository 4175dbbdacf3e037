#include "compare.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The shared core of both mismatch counts: positional inequality over the common prefix, and
 * every element of the longer side beyond it counts as one more mismatch. */
#define MISMATCHES(a, na, b, nb, out)                                                              \
    do {                                                                                           \
        size_t common_ = (na) < (nb) ? (na) : (nb);                                                \
        (out) = (na) > (nb) ? (na) - (nb) : (nb) - (na);                                           \
        for (size_t i_ = 0; i_ < common_; i_++)                                                    \
            (out) += (a)[i_] != (b)[i_];                                                           \
    } while (0)

#define DIVERGENCE(a, na, b, nb, out)                                                              \
    do {                                                                                           \
        size_t common_ = (na) < (nb) ? (na) : (nb), i_ = 0;                                        \
        while (i_ < common_ && (a)[i_] == (b)[i_])                                                 \
            i_++;                                                                                  \
        (out) = (i_ == common_ && (na) == (nb)) ? -1 : (long)i_;                                   \
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

/* Length of the valid UTF-8 sequence at s (1..4) with its code point, or 0 when the bytes there
 * are not one: overlong forms, surrogates and values above U+10FFFF are rejected like Python's
 * strict decoder does. */
static size_t utf8_seq(const unsigned char *s, size_t len, unsigned *cp)
{
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

size_t utf8_decode(const char *s, size_t len, unsigned **out, bool *invalid)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned *cps = xmalloc((len + 1) * sizeof *cps);
    size_t n = 0;

    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq(p + i, len - i, &cps[n]);
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

/* The ASCII characters for which Python's str.isspace() is true. */
static bool py_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F);
}

const char *text_strip(const char *s, size_t len, size_t *out_len)
{
    while (len && py_space((unsigned char)s[0]))
        s++, len--;
    while (len && py_space((unsigned char)s[len - 1]))
        len--;
    *out_len = len;
    return s;
}

size_t ansi_escape_len(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i;

    if (len < 2 || p[0] != 0x1B)
        return 0;
    if (p[1] == '[') { /* CSI: parameters, intermediates, one final byte */
        for (i = 2; i < len && p[i] >= 0x20 && p[i] <= 0x3F; i++)
            ;
        return i < len && p[i] >= 0x40 && p[i] <= 0x7E ? i + 1 : i;
    }
    if (p[1] == ']') { /* OSC: up to BEL or ESC \ */
        for (i = 2; i < len; i++) {
            if (p[i] == 0x07)
                return i + 1;
            if (p[i] == 0x1B && i + 1 < len && p[i + 1] == '\\')
                return i + 2;
        }
        return len;
    }
    return 2;
}

char *text_one_line(const char *s, size_t len, size_t max_cps)
{
    const unsigned char *p = (const unsigned char *)s;
    strbuf sb;
    size_t cps = 0;

    sb_init(&sb);
    for (size_t i = 0; i < len;) {
        size_t esc = ansi_escape_len(s + i, len - i);
        if (esc) {
            i += esc;
            continue;
        }
        if (cps == max_cps) {
            sb_puts(&sb, "…");
            break;
        }
        unsigned cp;
        size_t k = utf8_seq(p + i, len - i, &cp);
        if (k == 0) {
            sb_puts(&sb, "\xEF\xBF\xBD");
            k = 1;
        } else if (cp < 0x20 || cp == 0x7F) {
            sb_putc(&sb, ' ');
        } else {
            sb_append(&sb, s + i, k);
        }
        i += k;
        cps++;
    }
    return sb_detach(&sb);
}

/* Length of the prefix of `s` that utf8_sanitize keeps as it is. */
static size_t clean_utf8_prefix(const unsigned char *p, size_t len)
{
    size_t i = 0;
    unsigned cp;
    for (size_t k; i < len; i += k)
        if (!(k = utf8_seq(p + i, len - i, &cp)) || cp == 0)
            break;
    return i;
}

bool utf8_is_text(const char *s, size_t len)
{
    return clean_utf8_prefix((const unsigned char *)s, len) == len;
}

char *utf8_sanitize(const char *s, size_t len, bool *invalid)
{
    const unsigned char *p = (const unsigned char *)s;
    strbuf sb;

    /* Engine output is nearly always valid: one copy instead of a character at a time. */
    size_t clean = clean_utf8_prefix(p, len);
    if (clean == len)
        return xstrndup(s, len);
    sb_init(&sb);
    sb_append(&sb, s, clean);
    for (size_t i = clean; i < len;) {
        unsigned cp;
        size_t k = utf8_seq(p + i, len - i, &cp);
        if (k == 0) {
            sb_puts(&sb, "\xEF\xBF\xBD");
            if (invalid)
                *invalid = true;
            i += 1;
        } else if (cp == 0) { /* valid, but it would end the C string early */
            sb_puts(&sb, "\xEF\xBF\xBD");
            i += 1;
        } else {
            sb_append(&sb, s + i, k);
            i += k;
        }
    }
    return sb_detach(&sb);
}

bool json_number(const cJSON *item, double *out)
{
    static const struct {
        const char *word;
        double sign;
        bool nan;
    } special[] = {
        {"NaN", 1, true}, {"nan", 1, true}, {"-nan", 1, true},  {"inf", 1, false},
        {"Infinity", 1, false}, {"-inf", -1, false}, {"-Infinity", -1, false},
    };

    if (cJSON_IsNumber(item)) {
        *out = item->valuedouble;
        return true;
    }
    if (!cJSON_IsString(item))
        return false;
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        if (strcmp(item->valuestring, special[i].word) == 0) {
            *out = special[i].nan ? NAN : special[i].sign * INFINITY;
            return true;
        }
    }
    return false;
}

/* A JSON null counts as absent: engines print null for "unknown", and the alternative keys are
 * there to find the value that is known. */
const cJSON *json_first(const cJSON *obj, const char *const *keys)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    for (; *keys; keys++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, *keys);
        if (v && !cJSON_IsNull(v))
            return v;
    }
    return NULL;
}

const cJSON *json_first_list(const cJSON *obj, const char *const *keys)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    for (; *keys; keys++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, *keys);
        if (cJSON_IsArray(v))
            return v;
    }
    return NULL;
}

bool json_long(const cJSON *item, long *out)
{
    if (!cJSON_IsNumber(item) || item->valuedouble != floor(item->valuedouble) ||
        fabs(item->valuedouble) > 9007199254740992.0)
        return false;
    *out = (long)item->valuedouble;
    return true;
}

bool json_int_list(const cJSON *arr, long **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!cJSON_IsArray(arr))
        return false;
    long *v = xmalloc(((size_t)cJSON_GetArraySize(arr) + 1) * sizeof *v);
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        if (!json_long(it, &v[i++])) {
            free(v);
            return false;
        }
    }
    *out = v;
    *n = i;
    return true;
}
