#include "json_stream.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "utf8.h"

static const char *escape_for(unsigned char c)
{
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    default:
        return NULL;
    }
}

/* Every string tmgt writes into JSON passes here, whatever bytes an engine, a file name or a
 * command line gave it: a byte that is not part of valid UTF-8 goes out as U+FFFD, so every
 * document is valid JSON for a strict reader (Python's json, jq). Runs of characters that need
 * no escape go out in one fwrite: most strings are one run. */
static void put_string(const char *s, FILE *out)
{
    const char *p = s ? s : "", *run = p;
    size_t len = strlen(p);
    putc('"', out);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)p[i];
        unsigned cp;
        size_t n = 1; /* bytes that go out as they are */
        if (c >= 0x80)
            n = utf8_next(p + i, len - i, &cp);
        else if (c < 32 || c == '"' || c == '\\')
            n = 0;
        if (n) {
            i += n;
            continue;
        }
        fwrite(run, 1, (size_t)(p + i - run), out);
        const char *esc = escape_for(c);
        if (c >= 0x80)
            fputs(UTF8_REPLACEMENT, out);
        else if (esc)
            fputs(esc, out);
        else
            fprintf(out, "\\u%04x", c);
        run = p + ++i;
    }
    fwrite(run, 1, (size_t)(p + len - run), out);
    putc('"', out);
}

/* Most numbers in a results document are token ids and counts. cJSON prints every number
 * with "%1.15g" and checks it by scanning it back, which is most of its printing time; for an
 * integral value below 1e15 that format gives exactly the decimal digits, printed here
 * directly. Anything else (fractions, huge values, -0, NaN) goes through cJSON itself. */
static void put_number(const cJSON *item, FILE *out)
{
    double d = item->valuedouble;
    if (d == floor(d) && fabs(d) < 1e15 && !(d == 0 && signbit(d))) {
        char digits[24], *p = digits + sizeof digits;
        long long v = (long long)d;
        unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
        do
            *--p = (char)('0' + u % 10);
        while (u /= 10);
        if (v < 0)
            *--p = '-';
        fwrite(p, 1, (size_t)(digits + sizeof digits - p), out);
        return;
    }
    char *text = cJSON_PrintUnformatted(item);
    fputs(text, out);
    cJSON_free(text);
}

/* cJSON_Print's layout (pretty) or cJSON_PrintUnformatted's. */
typedef struct {
    FILE *out;
    bool pretty;
} writer;

static void put_tabs(size_t n, FILE *out)
{
    while (n--)
        putc('\t', out);
}

static void put_value(const cJSON *item, size_t depth, const writer *w);

static void put_object(const cJSON *item, size_t depth, const writer *w)
{
    fputs(w->pretty ? "{\n" : "{", w->out);
    for (const cJSON *c = item->child; c; c = c->next) {
        if (w->pretty)
            put_tabs(depth + 1, w->out);
        put_string(c->string, w->out);
        fputs(w->pretty ? ":\t" : ":", w->out);
        put_value(c, depth + 1, w);
        if (c->next)
            putc(',', w->out);
        if (w->pretty)
            putc('\n', w->out);
    }
    if (w->pretty)
        put_tabs(depth, w->out);
    putc('}', w->out);
}

static void put_array(const cJSON *item, size_t depth, const writer *w)
{
    putc('[', w->out);
    for (const cJSON *c = item->child; c; c = c->next) {
        put_value(c, depth + 1, w);
        if (c->next)
            fputs(w->pretty ? ", " : ",", w->out);
    }
    putc(']', w->out);
}

/* `depth` counts the containers around the value (the tabs before an object's closing brace). */
static void put_value(const cJSON *item, size_t depth, const writer *w)
{
    FILE *out = w->out;
    switch (item->type & 0xFF) {
    case cJSON_NULL:
        fputs("null", out);
        break;
    case cJSON_False:
        fputs("false", out);
        break;
    case cJSON_True:
        fputs("true", out);
        break;
    case cJSON_Number:
        put_number(item, out);
        break;
    case cJSON_Raw:
        fputs(item->valuestring ? item->valuestring : "", out);
        break;
    case cJSON_String:
        put_string(item->valuestring, out);
        break;
    case cJSON_Array:
        put_array(item, depth, w);
        break;
    case cJSON_Object:
        put_object(item, depth, w);
        break;
    default:
        break;
    }
}

int json_stream_print(const cJSON *item, FILE *out)
{
    writer w = {.out = out, .pretty = true};
    put_value(item, 0, &w);
    return ferror(out) ? -1 : 0;
}

char *json_stream_text(const cJSON *item, bool pretty)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem) {
        writer w = {.out = mem, .pretty = pretty};
        put_value(item, 0, &w);
        if (fclose(mem) == 0)
            return text;
    }
    /* A memory stream fails only when memory runs out: as xmalloc, not recoverable. */
    fputs("tmgt: out of memory writing JSON\n", stderr);
    abort();
}

static int print_into(FILE *out, void *item)
{
    return json_stream_print(item, out);
}

int json_stream_write_atomic(const cJSON *item, const char *path, unsigned mode, tmgt_error *err)
{
    return write_stream_atomic(path, mode, print_into, (void *)item, err);
}
