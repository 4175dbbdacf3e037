#include "json_strict.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

typedef struct {
    const char *s;
    size_t n, at;
    unsigned depth, max_depth;
    const char *why;
} scanner;

static bool fail(scanner *sc, const char *why)
{
    sc->why = why;
    return false;
}

static bool at_end(const scanner *sc)
{
    return sc->at >= sc->n;
}

static char peek(const scanner *sc)
{
    return at_end(sc) ? '\0' : sc->s[sc->at];
}

static void skip_space(scanner *sc)
{
    for (char c = peek(sc); c == ' ' || c == '\t' || c == '\n' || c == '\r'; c = peek(sc))
        sc->at++;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool digits(scanner *sc)
{
    if (!is_digit(peek(sc)))
        return fail(sc, "invalid number");
    while (is_digit(peek(sc)))
        sc->at++;
    return true;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, and finite as a double (serde_json refuses
 * what overflows one; an underflow to zero it accepts). */
static bool number(scanner *sc)
{
    size_t start = sc->at;
    if (peek(sc) == '-')
        sc->at++;
    if (peek(sc) == '0')
        sc->at++;
    else if (!digits(sc))
        return false;
    if (peek(sc) == '.') {
        sc->at++;
        if (!digits(sc))
            return false;
    }
    if (peek(sc) == 'e' || peek(sc) == 'E') {
        sc->at++;
        if (peek(sc) == '+' || peek(sc) == '-')
            sc->at++;
        if (!digits(sc))
            return false;
    }
    char *copy = strndup(sc->s + start, sc->at - start);
    bool finite = copy && isfinite(strtod(copy, NULL));
    free(copy);
    if (!finite) {
        sc->at = start;
        return fail(sc, "number out of range");
    }
    return true;
}

static int hex_value(char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits after "\u"; sc->at on the 'u'. */
static bool hex_escape(scanner *sc, unsigned *unit)
{
    *unit = 0;
    for (int i = 1; i <= 4; i++) {
        int v = sc->at + (size_t)i < sc->n ? hex_value(sc->s[sc->at + (size_t)i]) : -1;
        if (v < 0)
            return fail(sc, "invalid \\u escape");
        *unit = *unit * 16 + (unsigned)v;
    }
    sc->at += 5;
    return true;
}

/* sc->at just after the backslash. */
static bool escape(scanner *sc)
{
    char c = peek(sc);
    if (c && strchr("\"\\/bfnrt", c)) {
        sc->at++;
        return true;
    }
    if (c != 'u')
        return fail(sc, "invalid escape");
    unsigned unit;
    if (!hex_escape(sc, &unit))
        return false;
    if (unit >= 0xDC00 && unit <= 0xDFFF)
        return fail(sc, "unpaired surrogate escape");
    if (unit < 0xD800 || unit > 0xDBFF)
        return true;
    if (sc->at + 1 >= sc->n || sc->s[sc->at] != '\\' || sc->s[sc->at + 1] != 'u')
        return fail(sc, "unpaired surrogate escape");
    sc->at++;
    if (!hex_escape(sc, &unit))
        return false;
    if (unit < 0xDC00 || unit > 0xDFFF)
        return fail(sc, "unpaired surrogate escape");
    return true;
}

/* sc->at on the opening quote. */
static bool string(scanner *sc)
{
    sc->at++;
    for (;;) {
        if (at_end(sc))
            return fail(sc, "unterminated string");
        unsigned char c = (unsigned char)sc->s[sc->at];
        if (c == '"') {
            sc->at++;
            return true;
        }
        if (c < 0x20)
            return fail(sc, "control character in a string");
        if (c == '\\') {
            sc->at++;
            if (!escape(sc))
                return false;
            continue;
        }
        unsigned cp;
        size_t len = utf8_next(sc->s + sc->at, sc->n - sc->at, &cp);
        if (len == 0)
            return fail(sc, "invalid UTF-8 in a string");
        sc->at += len;
    }
}

static bool literal(scanner *sc, const char *word)
{
    size_t len = strlen(word);
    if (sc->n - sc->at < len || memcmp(sc->s + sc->at, word, len) != 0)
        return fail(sc, "expected a value");
    sc->at += len;
    return true;
}

static bool value(scanner *sc);

/* An array or an object, sc->at on its opening bracket. */
static bool container(scanner *sc, char close)
{
    if (++sc->depth > sc->max_depth)
        return fail(sc, "nested too deeply");
    sc->at++;
    skip_space(sc);
    if (peek(sc) == close) {
        sc->at++;
        sc->depth--;
        return true;
    }
    for (;;) {
        skip_space(sc);
        if (close == '}') {
            if (peek(sc) != '"')
                return fail(sc, "expected a member name");
            if (!string(sc))
                return false;
            skip_space(sc);
            if (peek(sc) != ':')
                return fail(sc, "expected ':'");
            sc->at++;
        }
        if (!value(sc))
            return false;
        skip_space(sc);
        if (peek(sc) == ',') {
            sc->at++;
            continue;
        }
        if (peek(sc) == close) {
            sc->at++;
            sc->depth--;
            return true;
        }
        return fail(sc, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static bool value(scanner *sc)
{
    skip_space(sc);
    if (at_end(sc))
        return fail(sc, "expected a value");
    switch (sc->s[sc->at]) {
    case '{':
        return container(sc, '}');
    case '[':
        return container(sc, ']');
    case '"':
        return string(sc);
    case 't':
        return literal(sc, "true");
    case 'f':
        return literal(sc, "false");
    case 'n':
        return literal(sc, "null");
    default:
        if (sc->s[sc->at] == '-' || is_digit(sc->s[sc->at]))
            return number(sc);
        return fail(sc, "expected a value");
    }
}

bool json_strict_check(const char *s, size_t n, unsigned max_depth, json_strict_error *err)
{
    scanner sc = {.s = s, .n = n, .max_depth = max_depth};
    bool ok = value(&sc);
    if (ok) {
        skip_space(&sc);
        if (!at_end(&sc))
            ok = fail(&sc, "trailing characters");
    }
    if (!ok && err) {
        err->at = sc.at;
        err->why = sc.why;
    }
    return ok;
}
