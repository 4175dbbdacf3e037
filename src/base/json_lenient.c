/* Lenient JSON reading of engine stdout. Engines print log lines, colour codes and progress
 * text around their JSON, and hand-printed JSON carries bare NaN/inf; a strict parser would
 * turn every such run into "invalid JSON" and hide what the engine actually answered. */
#include "json_lenient.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "utf8.h"
#include "util.h"

/* Engine reports nest a handful of levels; the bound keeps recursion (and the cost of a
 * hostile "[[[[…" input) small. */
#define MAX_DEPTH 256

typedef struct {
    const char *s;
    size_t len, pos;
} reader;

static bool parse_value(reader *r, int depth, cJSON **out);

static void skip_ws(reader *r)
{
    while (r->pos < r->len) {
        char c = r->s[r->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        r->pos++;
    }
}

static bool literal(reader *r, const char *word)
{
    size_t n = strlen(word);
    if (r->len - r->pos < n || memcmp(r->s + r->pos, word, n) != 0)
        return false;
    r->pos += n;
    return true;
}

static bool hex4(reader *r, size_t at, unsigned *v)
{
    *v = 0;
    if (r->len < at + 4)
        return false;
    for (size_t i = at; i < at + 4; i++) {
        char c = r->s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return false;
        *v = *v << 4 | d;
    }
    return true;
}

/* \uXXXX at r->pos (just after the backslash-u): surrogate pairs combine; a lone surrogate or
 * U+0000 (which a C string cannot hold) becomes U+FFFD. */
static bool unicode_escape(reader *r, unsigned *cp)
{
    unsigned hi, lo;
    if (!hex4(r, r->pos, &hi))
        return false;
    r->pos += 4;
    *cp = hi;
    if (hi >= 0xD800 && hi <= 0xDBFF && r->len - r->pos >= 6 && r->s[r->pos] == '\\' &&
        r->s[r->pos + 1] == 'u' && hex4(r, r->pos + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
        r->pos += 6;
        *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
    } else if ((hi >= 0xD800 && hi <= 0xDFFF) || hi == 0) {
        *cp = 0xFFFD;
    }
    return true;
}

/* Raw control bytes and unknown escapes are kept as they are: hand-printed engine JSON does not
 * escape file paths, and refusing the whole document over a "\p" would lose the report. */
static bool parse_string(reader *r, char **out)
{
    strbuf sb;
    sb_init(&sb);
    r->pos++; /* opening quote */
    while (r->pos < r->len) {
        /* the bytes up to the next quote, backslash or NUL go over in one copy */
        size_t run = r->pos;
        while (run < r->len && r->s[run] != '"' && r->s[run] != '\\' && r->s[run] != '\0')
            run++;
        if (out)
            sb_append(&sb, r->s + r->pos, run - r->pos);
        r->pos = run;
        if (r->pos >= r->len)
            break;
        char c = r->s[r->pos++];
        if (c == '"') {
            if (out)
                *out = sb_detach(&sb);
            return true;
        }
        if (c == '\0') {
            if (out)
                utf8_put(&sb, 0xFFFD);
            continue;
        }
        if (r->pos >= r->len)
            break;
        char e = r->s[r->pos++];
        unsigned cp;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char decoded[] = "\"\\/\b\f\n\r\t";
            cp = (unsigned char)decoded[simple - "\"\\/bfnrt"];
        } else if (e == 'u' && unicode_escape(r, &cp)) {
            /* decoded */
        } else {
            if (out) {
                sb_putc(&sb, '\\');
                if (e)
                    sb_putc(&sb, e);
                else
                    utf8_put(&sb, 0xFFFD);
            }
            continue;
        }
        if (out)
            utf8_put(&sb, cp);
    }
    sb_free(&sb);
    return false;
}

/* Non-finite numbers as Rust ({}), Python (json.dumps) and C print them. They are kept as
 * strings so that an evaluator sees "NaN" rather than a made-up number; json_number reads them. */
static bool non_finite(reader *r, cJSON **out)
{
    static const struct {
        const char *word, *as;
    } words[] = {
        {"-Infinity", "-inf"}, {"+Infinity", "inf"}, {"Infinity", "inf"}, {"-inf", "-inf"}, {"+inf", "inf"},
        {"inf", "inf"},        {"-nan", "NaN"},      {"NaN", "NaN"},      {"nan", "NaN"},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (literal(r, words[i].word)) {
            if (out)
                *out = cJSON_CreateString(words[i].as);
            return true;
        }
    }
    return false;
}

static size_t digits(reader *r)
{
    size_t start = r->pos;
    while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9')
        r->pos++;
    return r->pos - start;
}

static bool parse_number(reader *r, cJSON **out)
{
    size_t start = r->pos;
    if (non_finite(r, out))
        return true;
    if (r->s[r->pos] == '-')
        r->pos++;
    size_t int_start = r->pos, n = digits(r);
    if (n == 0 || (n > 1 && r->s[int_start] == '0'))
        return false;
    if (r->pos < r->len && r->s[r->pos] == '.') {
        r->pos++;
        if (digits(r) == 0)
            return false;
    }
    if (r->pos < r->len && (r->s[r->pos] == 'e' || r->s[r->pos] == 'E')) {
        r->pos++;
        if (r->pos < r->len && (r->s[r->pos] == '+' || r->s[r->pos] == '-'))
            r->pos++;
        if (digits(r) == 0)
            return false;
    }
    if (out) {
        /* a copy to end the number (the text goes on after it); on the stack unless it is long */
        size_t len = r->pos - start;
        char small[64];
        char *num = len < sizeof small ? memcpy(small, r->s + start, len) : xstrndup(r->s + start, len);
        num[len] = '\0';
        /* strtod follows LC_NUMERIC; JSON always writes '.', so speak the locale's language. */
        char *dot = strchr(num, '.');
        if (dot)
            *dot = localeconv()->decimal_point[0];
        *out = cJSON_CreateNumber(strtod(num, NULL));
        if (num != small)
            free(num);
    }
    return true;
}

/* Objects and arrays share everything but the member syntax. A trailing comma is accepted. */
static bool parse_container(reader *r, int depth, cJSON **out)
{
    bool is_object = r->s[r->pos] == '{';
    char close = is_object ? '}' : ']';
    cJSON *node = NULL;

    if (depth >= MAX_DEPTH)
        return false;
    if (out)
        node = is_object ? cJSON_CreateObject() : cJSON_CreateArray();
    r->pos++;
    for (;;) {
        skip_ws(r);
        if (r->pos >= r->len)
            break;
        if (r->s[r->pos] == close) {
            r->pos++;
            if (out)
                *out = node;
            return true;
        }
        char *key = NULL;
        if (is_object) {
            if (r->s[r->pos] != '"' || !parse_string(r, out ? &key : NULL))
                break;
            skip_ws(r);
            if (r->pos >= r->len || r->s[r->pos] != ':') {
                free(key);
                break;
            }
            r->pos++;
        }
        cJSON *child = NULL;
        bool ok = parse_value(r, depth + 1, out ? &child : NULL);
        if (ok && out) {
            if (is_object)
                cJSON_AddItemToObject(node, key, child);
            else
                cJSON_AddItemToArray(node, child);
        }
        free(key);
        if (!ok)
            break;
        skip_ws(r);
        if (r->pos < r->len && r->s[r->pos] == ',')
            r->pos++;
        else if (r->pos >= r->len || r->s[r->pos] != close)
            break;
    }
    cJSON_Delete(node);
    return false;
}

static bool parse_string_value(reader *r, cJSON **out)
{
    char *s;
    if (!out)
        return parse_string(r, NULL);
    if (!parse_string(r, &s))
        return false;
    *out = cJSON_CreateString(s);
    free(s);
    return true;
}

static bool parse_literal(reader *r, const char *word, cJSON *(*make)(void), cJSON **out)
{
    if (!literal(r, word))
        return false;
    if (out)
        *out = make();
    return true;
}

/* out == NULL validates only: candidates are checked without allocating a tree, and the one
 * chosen is built in a second pass. */
static bool parse_value(reader *r, int depth, cJSON **out)
{
    skip_ws(r);
    if (r->pos >= r->len)
        return false;
    switch (r->s[r->pos]) {
    case '{':
    case '[':
        return parse_container(r, depth, out);
    case '"':
        return parse_string_value(r, out);
    case 't':
        return parse_literal(r, "true", cJSON_CreateTrue, out);
    case 'f':
        return parse_literal(r, "false", cJSON_CreateFalse, out);
    case 'n':
        return parse_literal(r, "null", cJSON_CreateNull, out) || non_finite(r, out);
    default:
        return parse_number(r, out);
    }
}

static char *strip_ansi(const char *text, size_t len, size_t *out_len)
{
    char *clean = xmalloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        /* the text between escapes goes over in one copy */
        const char *next_esc = memchr(text + i, 0x1B, len - i);
        size_t run = next_esc ? (size_t)(next_esc - (text + i)) : len - i;
        memcpy(clean + n, text + i, run);
        n += run;
        i += run;
        if (i == len)
            break;
        size_t esc = ansi_escape_len(text + i, len - i);
        if (esc) {
            i += esc;
        } else {
            clean[n++] = text[i++];
        }
    }
    clean[n] = '\0';
    *out_len = n;
    return clean;
}

/* The document is the largest JSON object or array that starts a line: engines print their
 * report on lines of its own, while log and human-readable lines carry bracketed fragments
 * ("[1/3]", "shape [576, 576]", even a valid "[1]") that must not pass for a report. Candidates
 * inside an accepted value are not tried again, and a scan budget bounds what failed
 * candidates may cost, so hostile input stays linear. */
cJSON *json_parse_lenient(const char *text, size_t len, tmgt_error *err)
{
    size_t clean_len, best_start = 0, best_len = 0;
    bool line_start = true;
    char *clean;
    reader r;

    if (!text || len == 0) {
        err_set(err, "empty output");
        return NULL;
    }
    clean = strip_ansi(text, len, &clean_len);
    r.s = clean;
    r.len = clean_len;
    size_t budget = 4 * clean_len + (1u << 20);
    for (size_t pos = 0; pos < clean_len;) {
        char c = clean[pos];
        if (!line_start || (c != '{' && c != '[')) {
            line_start = c == '\n' || (line_start && (c == ' ' || c == '\t' || c == '\r'));
            pos++;
            continue;
        }
        r.pos = pos;
        if (parse_container(&r, 0, NULL)) {
            if (r.pos - pos > best_len) {
                best_start = pos;
                best_len = r.pos - pos;
            }
            pos = r.pos;
            line_start = false;
            continue;
        }
        size_t spent = r.pos - pos + 1;
        if (spent >= budget)
            break;
        budget -= spent;
        line_start = false;
        pos++;
    }
    cJSON *doc = NULL;
    if (best_len) {
        r.pos = best_start;
        parse_container(&r, 0, &doc);
    } else if (err) {
        char *preview = text_one_line(text, len, 200);
        err_set(err, "no JSON object or array in output: %s", preview);
        free(preview);
    }
    free(clean);
    return doc;
}
