#include "markup_check.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"

enum { MAX_DEPTH = 64 };

typedef struct {
    const char *s;
    size_t len, pos;
    bool html;
    const char *names[MAX_DEPTH];
    size_t name_lens[MAX_DEPTH], depth;
} scanner;

static bool xml_char(unsigned cp, bool html)
{
    if (cp == '\t' || cp == '\n' || cp == '\r')
        return true;
    if (html && cp >= 0x7F && cp <= 0x9F)
        return false;
    return (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) || cp >= 0x10000;
}

/* Leaves sc->pos at the first character that is wrong, else at the start. */
static const char *characters(scanner *sc)
{
    for (size_t n; sc->pos < sc->len; sc->pos += n) {
        unsigned cp;
        if (!(n = utf8_next(sc->s + sc->pos, sc->len - sc->pos, &cp)))
            return "invalid UTF-8";
        if (!xml_char(cp, sc->html))
            return "a character XML does not allow";
    }
    sc->pos = 0;
    return NULL;
}

static bool starts(const scanner *sc, const char *word)
{
    size_t n = strlen(word);
    return sc->len - sc->pos >= n && strncasecmp(sc->s + sc->pos, word, n) == 0;
}

/* Moves past `end` (searched from the current position); false when it never comes. */
static bool skip_past(scanner *sc, const char *end)
{
    size_t n = strlen(end);
    for (size_t i = sc->pos; i + n <= sc->len; i++)
        if (strncasecmp(sc->s + i, end, n) == 0) {
            sc->pos = i + n;
            return true;
        }
    return false;
}

static void skip_space(scanner *sc)
{
    while (sc->pos < sc->len && strchr(" \t\r\n", sc->s[sc->pos]))
        sc->pos++;
}

static size_t name_len(const scanner *sc)
{
    size_t i = sc->pos;
    if (i >= sc->len || !(isalpha((unsigned char)sc->s[i]) || sc->s[i] == '_' || sc->s[i] == ':'))
        return 0;
    while (i < sc->len && (isalnum((unsigned char)sc->s[i]) || strchr("._:-", sc->s[i])))
        i++;
    return i - sc->pos;
}

/* At '&': one of the five predefined entities or a character reference, then ';'. */
static bool entity(scanner *sc)
{
    static const char *const named[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (size_t i = 0; i < sizeof named / sizeof *named; i++)
        if (starts(sc, named[i])) {
            sc->pos += strlen(named[i]);
            return true;
        }
    size_t i = sc->pos + 1;
    if (i >= sc->len || sc->s[i++] != '#')
        return false;
    bool hex = i < sc->len && sc->s[i] == 'x';
    size_t digits = 0;
    for (i += hex;
         i < sc->len && (hex ? isxdigit((unsigned char)sc->s[i]) : isdigit((unsigned char)sc->s[i])); i++)
        digits++;
    if (!digits || i >= sc->len || sc->s[i] != ';')
        return false;
    sc->pos = i + 1;
    return true;
}

static bool void_element(const char *name, size_t n)
{
    static const char *const voids[] = {"meta", "br", "hr", "img", "input", "link", "wbr", "col"};
    for (size_t i = 0; i < sizeof voids / sizeof *voids; i++)
        if (strlen(voids[i]) == n && strncasecmp(name, voids[i], n) == 0)
            return true;
    return false;
}

static bool raw_text_element(const char *name, size_t n)
{
    return (n == 5 && strncasecmp(name, "style", 5) == 0) || (n == 6 && strncasecmp(name, "script", 6) == 0);
}

static const char *attributes(scanner *sc)
{
    for (;;) {
        size_t before = sc->pos;
        skip_space(sc);
        if (sc->pos >= sc->len)
            return "a tag that never ends";
        char c = sc->s[sc->pos];
        if (c == '>' || c == '/')
            return NULL;
        size_t n = name_len(sc);
        if (!n || sc->pos == before)
            return "an attribute without a name or a space before it";
        sc->pos += n;
        if (sc->pos + 1 >= sc->len || sc->s[sc->pos] != '=' ||
            (sc->s[sc->pos + 1] != '"' && sc->s[sc->pos + 1] != '\''))
            return "an attribute without a quoted value";
        char quote = sc->s[sc->pos + 1];
        for (sc->pos += 2; sc->pos < sc->len && sc->s[sc->pos] != quote;) {
            if (sc->s[sc->pos] == '<')
                return "'<' in an attribute value";
            if (sc->s[sc->pos] != '&')
                sc->pos++;
            else if (!entity(sc))
                return "'&' that starts no entity reference";
        }
        if (sc->pos++ >= sc->len)
            return "an attribute value that never ends";
    }
}

static const char *start_tag(scanner *sc)
{
    sc->pos++; /* '<' */
    const char *name = sc->s + sc->pos;
    size_t n = name_len(sc);
    if (!n)
        return "'<' that starts no tag";
    sc->pos += n;
    const char *why = attributes(sc);
    if (why)
        return why;
    bool empty = sc->s[sc->pos] == '/';
    if (empty && (sc->pos + 1 >= sc->len || sc->s[sc->pos + 1] != '>'))
        return "'/' inside a tag";
    sc->pos += empty ? 2 : 1;
    if (empty || (sc->html && void_element(name, n)))
        return NULL;
    if (sc->html && raw_text_element(name, n)) {
        char end[16];
        memcpy(end, "</", 2);
        memcpy(end + 2, name, n);
        memcpy(end + 2 + n, ">", 2);
        return skip_past(sc, end) ? NULL : "a raw text element that never ends";
    }
    if (sc->depth == MAX_DEPTH)
        return "elements nested too deep";
    sc->names[sc->depth] = name;
    sc->name_lens[sc->depth++] = n;
    return NULL;
}

static const char *end_tag(scanner *sc)
{
    sc->pos += 2; /* "</" */
    const char *name = sc->s + sc->pos;
    size_t n = name_len(sc);
    if (!sc->depth)
        return "an end tag without its start tag";
    sc->depth--;
    if (n != sc->name_lens[sc->depth] || memcmp(name, sc->names[sc->depth], n) != 0)
        return "an end tag that does not match its start tag";
    sc->pos += n;
    skip_space(sc);
    if (sc->pos >= sc->len || sc->s[sc->pos] != '>')
        return "an end tag that never ends";
    sc->pos++;
    return NULL;
}

static const char *prolog(scanner *sc)
{
    if (starts(sc, "<?xml") && !skip_past(sc, "?>"))
        return "an XML declaration that never ends";
    skip_space(sc);
    if (sc->html && !(starts(sc, "<!DOCTYPE html>") && skip_past(sc, ">")))
        return "no <!DOCTYPE html> first";
    skip_space(sc);
    if (sc->html && !starts(sc, "<html"))
        return "<html> is not the root";
    return NULL;
}

/* Content: text, markup and comments; outside the root element only white space. */
static const char *content(scanner *sc)
{
    bool root_done = false;
    while (sc->pos < sc->len) {
        const char *why = NULL;
        char c = sc->s[sc->pos];
        bool outside = sc->depth == 0;
        if (c == '<' && starts(sc, "<!--")) {
            why = skip_past(sc, "-->") ? NULL : "a comment that never ends";
        } else if (c == '<' && starts(sc, "</")) {
            why = end_tag(sc);
            root_done = root_done || sc->depth == 0;
        } else if (c == '<') {
            why = outside && root_done ? "a second root element" : start_tag(sc);
            root_done = root_done || (outside && sc->depth == 0);
        } else if (outside && !strchr(" \t\r\n", c)) {
            why = "text outside the root element";
        } else if (c == '&') {
            why = entity(sc) ? NULL : "'&' that starts no entity reference";
        } else if (c == ']' && starts(sc, "]]>")) {
            why = "\"]]>\" in text";
        } else {
            sc->pos++;
        }
        if (why)
            return why;
    }
    if (sc->depth)
        return "an element that is never closed";
    return root_done ? NULL : "no root element";
}

const char *markup_check(const char *s, size_t len, bool html, size_t *at)
{
    scanner sc = {.s = s, .len = len, .html = html};
    const char *why = characters(&sc);
    if (!why && !(why = prolog(&sc)))
        why = content(&sc);
    *at = sc.pos;
    return why;
}
