#include "escape.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* XML 1.0 forbids C0 controls but tab, LF, CR, and U+FFFE/U+FFFF; DEL and C1 controls are
 * legal there but drive terminals, so they are escaped too. */
static bool writable(long cp)
{
    if (cp == '\t' || cp == '\n' || cp == '\r')
        return true;
    return cp >= 0x20 && cp != 0x7F && !(cp >= 0x80 && cp <= 0x9F) && cp != 0xFFFE && cp != 0xFFFF;
}

static const char *escape_for(long cp, unsigned flags)
{
    if (flags & ESC_MARKUP) {
        switch (cp) {
        case '&':
            return "&amp;";
        case '<':
            return "&lt;";
        case '>':
            return "&gt;";
        case '"':
            return "&quot;";
        case '\'':
            return "&#39;";
        }
    }
    if (flags & ESC_QUOTED) {
        switch (cp) {
        case '\\':
            return "\\\\";
        case '"':
            return "\\\"";
        }
    }
    if (flags & ESC_VISIBLE) {
        switch (cp) {
        case '\n':
            return "\\n";
        case '\t':
            return "\\t";
        case '\r':
            return "\\r";
        }
    }
    if ((flags & ESC_MD) && (cp == '\n' || cp == '\r'))
        return " ";
    return NULL;
}

static bool md_punctuation(long cp)
{
    return cp > 0 && cp < 0x80 && strchr("\\`*_[]<>|~&", (int)cp) != NULL;
}

static void write_unit(FILE *out, const char *unit, size_t n, long cp, unsigned flags)
{
    const char *rep = escape_for(cp, flags);
    if (rep) {
        fputs(rep, out);
    } else if (cp < 0) {
        fputs(UTF8_REPLACEMENT, out); /* as the results document has it (json_stream.c) */
    } else if (writable(cp)) {
        if ((flags & ESC_MD) && md_punctuation(cp))
            fputc('\\', out);
        fwrite(unit, 1, n, out);
    } else {
        for (size_t i = 0; i < n; i++)
            fprintf(out, "\\x%02X", (unsigned char)unit[i]);
    }
}

void escape_text(FILE *out, const char *s, size_t len, unsigned flags)
{
    size_t i = 0;
    while (i < len) {
        long cp;
        size_t n = utf8_step(s + i, len - i, &cp);
        write_unit(out, s + i, n, cp, flags);
        i += n;
    }
}

void escape_puts(FILE *out, const char *s, unsigned flags)
{
    if (s)
        escape_text(out, s, strlen(s), flags);
}

size_t escape_width(const char *s, unsigned flags)
{
    char *buf = NULL;
    size_t len = 0, width = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return s ? strlen(s) : 0;
    escape_puts(mem, s, flags);
    fclose(mem);
    for (size_t i = 0; i < len; width++) {
        long cp;
        i += utf8_step(buf + i, len - i, &cp);
    }
    free(buf);
    return width;
}
