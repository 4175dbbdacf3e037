#include "json_stream.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

static const char *escape_for(unsigned char c)
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: return NULL;
    }
}

/* Runs of characters that need no escape go out in one fwrite: most strings are one run. */
static void put_string(const char *s, FILE *out)
{
    const unsigned char *p = (const unsigned char *)(s ? s : ""), *run = p;
    putc('"', out);
    for (; *p; p++) {
        if (*p >= 32 && *p != '"' && *p != '\\')
            continue;
        fwrite(run, 1, (size_t)(p - run), out);
        run = p + 1;
        const char *esc = escape_for(*p);
        if (esc)
            fputs(esc, out);
        else
            fprintf(out, "\\u%04x", *p);
    }
    fwrite(run, 1, (size_t)(p - run), out);
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

static void put_tabs(size_t n, FILE *out)
{
    while (n--)
        putc('\t', out);
}

static void put_value(const cJSON *item, size_t depth, FILE *out);

static void put_object(const cJSON *item, size_t depth, FILE *out)
{
    fputs("{\n", out);
    for (const cJSON *c = item->child; c; c = c->next) {
        put_tabs(depth + 1, out);
        put_string(c->string, out);
        fputs(":\t", out);
        put_value(c, depth + 1, out);
        if (c->next)
            putc(',', out);
        putc('\n', out);
    }
    put_tabs(depth, out);
    putc('}', out);
}

static void put_array(const cJSON *item, size_t depth, FILE *out)
{
    putc('[', out);
    for (const cJSON *c = item->child; c; c = c->next) {
        put_value(c, depth + 1, out);
        if (c->next)
            fputs(", ", out);
    }
    putc(']', out);
}

/* `depth` counts the containers around the value (the tabs before an object's closing brace). */
static void put_value(const cJSON *item, size_t depth, FILE *out)
{
    switch (item->type & 0xFF) {
    case cJSON_NULL: fputs("null", out); break;
    case cJSON_False: fputs("false", out); break;
    case cJSON_True: fputs("true", out); break;
    case cJSON_Number: put_number(item, out); break;
    case cJSON_Raw: fputs(item->valuestring ? item->valuestring : "", out); break;
    case cJSON_String: put_string(item->valuestring, out); break;
    case cJSON_Array: put_array(item, depth, out); break;
    case cJSON_Object: put_object(item, depth, out); break;
    default: break;
    }
}

int json_stream_print(const cJSON *item, FILE *out)
{
    put_value(item, 0, out);
    return ferror(out) ? -1 : 0;
}

static int print_into(FILE *out, void *item)
{
    return json_stream_print(item, out);
}

int json_stream_write_atomic(const cJSON *item, const char *path, unsigned mode, tmgt_error *err)
{
    return write_stream_atomic(path, mode, print_into, (void *)item, err);
}
