#include "writers_check.h"
#include "writers.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "json_stream.h"
#include "markup_check.h"
#include "report.h"
#include "utf8.h"
#include "util.h"

typedef struct {
    const char *data;
    size_t size, pos;
} pieces;

/* Longer strings exercise no escape that shorter ones do not, and would only make every
 * document (and so every execution of the fuzz target) bigger. */
enum { PIECE_MAX = 64 };

/* The next piece of the input (up to a NUL, at most PIECE_MAX bytes), from the start again after
 * the last one. */
static char *next_piece(pieces *p)
{
    if (p->size == 0)
        return xstrdup("");
    if (p->pos >= p->size)
        p->pos = 0;
    const char *start = p->data + p->pos;
    size_t left = p->size - p->pos, n = strnlen(start, left < PIECE_MAX ? left : PIECE_MAX);
    p->pos += n + (n < left && start[n] == '\0');
    return xstrndup(start, n);
}

static void add(cJSON *obj, const char *key, pieces *p)
{
    char *s = next_piece(p);
    cJSON_AddStringToObject(obj, key, s);
    free(s);
}

static void push(cJSON *arr, pieces *p)
{
    char *s = next_piece(p);
    cJSON_AddItemToArray(arr, cJSON_CreateString(s));
    free(s);
}

static void add_side(cJSON *check, const char *key, long first, pieces *p)
{
    cJSON *side = cJSON_AddObjectToObject(check, key);
    cJSON *tokens = cJSON_AddArrayToObject(side, "tokens");
    cJSON_AddItemToArray(tokens, cJSON_CreateNumber((double)first));
    cJSON_AddItemToArray(tokens, cJSON_CreateNumber(7));
    add(side, "text", p);
    cJSON *texts = cJSON_AddArrayToObject(side, "token_texts");
    push(texts, p);
    push(texts, p);
}

/* Check k: statuses in turn, a token divergence on even k and a text one on odd k. */
static cJSON *check_of(size_t k, pieces *p)
{
    static const char *const statuses[] = {"FAIL", "PASS", "SKIP"};
    cJSON *c = cJSON_CreateObject();
    add(c, "name", p);
    add(c, "suite", p);
    add(c, "model", p);
    cJSON_AddStringToObject(c, "status", statuses[k % 3]);
    add(c, "detail", p);
    add(c, "details", p);
    cJSON *div = cJSON_AddObjectToObject(c, "divergence");
    cJSON_AddNumberToObject(div, "index", (double)(k % 4));
    if (k % 2 == 0) {
        cJSON_AddNumberToObject(div, "expected", 5);
        cJSON_AddNumberToObject(div, "got", 6);
    }
    add(div, "expected_text", p);
    add(div, "got_text", p);
    cJSON_AddNumberToObject(div, "mismatches", 2);
    add_side(c, "expected", 5, p);
    add_side(c, "got", 6, p);
    push(cJSON_AddArrayToObject(c, "actions"), p);
    add(c, "reproduce", p);
    return c;
}

static cJSON *document(pieces *p)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddNumberToObject(doc, "format", 1);
    cJSON *tool = cJSON_AddObjectToObject(doc, "tool");
    add(tool, "name", p);
    add(tool, "version", p);
    add(doc, "command", p);
    cJSON *argv = cJSON_AddArrayToObject(doc, "argv");
    push(argv, p);
    push(argv, p);
    add(doc, "pipeline", p);
    add(doc, "started_at", p);
    cJSON_AddNumberToObject(doc, "wall_ms", 1234);
    cJSON *engines = cJSON_AddArrayToObject(doc, "engines");
    for (int i = 0; i < 2; i++) {
        cJSON *e = cJSON_CreateObject();
        if (i == 0) /* the engine under test, whose version the ticket names */
            cJSON_AddStringToObject(e, "name", "apr");
        else
            add(e, "name", p);
        add(e, "path", p);
        add(e, "digest", p);
        add(e, "version", p);
        cJSON_AddBoolToObject(e, "available", i == 0);
        add(e, "unavailable", p);
        char *key = next_piece(p);
        add(cJSON_AddObjectToObject(e, "settings"), key, p);
        free(key);
        cJSON_AddItemToArray(engines, e);
    }
    cJSON *model = cJSON_CreateObject();
    add(model, "slug", p);
    add(model, "source", p);
    cJSON *oracle = cJSON_AddObjectToObject(model, "oracle");
    add(oracle, "model", p);
    add(oracle, "transformers_version", p);
    add(oracle, "torch_version", p);
    add(oracle, "format", p);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(doc, "models"), model);
    cJSON *suites = cJSON_AddArrayToObject(doc, "suites");
    push(suites, p);
    push(suites, p);
    cJSON *checks = cJSON_AddArrayToObject(doc, "checks");
    for (size_t k = 0; k < 4; k++) /* each status, a FAIL with either kind of divergence */
        cJSON_AddItemToArray(checks, check_of(k, p));
    cJSON *action = cJSON_CreateObject();
    add(action, "id", p);
    add(action, "step", p);
    add(action, "engine", p);
    push(cJSON_AddArrayToObject(action, "argv"), p);
    cJSON_AddBoolToObject(action, "cached", false);
    add(action, "status", p);
    cJSON_AddNumberToObject(action, "wall_ms", 10);
    add(action, "reason", p);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(doc, "actions"), action);
    return doc;
}

static bool same_text(const char *written, const char *read)
{
    if (!written || !read)
        return written == read;
    char *clean = utf8_sanitize(written, strlen(written), NULL);
    bool same = strcmp(clean, read) == 0;
    free(clean);
    return same;
}

/* `read` is `written` with every string (and key) as utf8_sanitize makes it. */
static bool read_back(const cJSON *written, const cJSON *read)
{
    if ((written->type & 0xFF) != (read->type & 0xFF) || !same_text(written->string, read->string))
        return false;
    if (cJSON_IsString(written))
        return same_text(written->valuestring, read->valuestring);
    if (cJSON_IsNumber(written))
        return written->valuedouble == read->valuedouble;
    const cJSON *a = written->child, *b = read->child;
    for (; a && b; a = a->next, b = b->next)
        if (!read_back(a, b))
            return false;
    return !a && !b;
}

static char *json_problem(const cJSON *doc, bool pretty)
{
    char *text = json_stream_text(doc, pretty), *why = NULL;
    size_t len = strlen(text);
    cJSON *back = cJSON_ParseWithLength(text, len);
    if (!utf8_is_text(text, len))
        why = "is not valid UTF-8";
    else if (!back)
        why = "does not parse";
    else if (!read_back(doc, back))
        why = "does not read back as its strings made valid";
    cJSON_Delete(back);
    free(text);
    return why ? xasprintf("results JSON (%s) %s", pretty ? "pretty" : "compact", why) : NULL;
}

/* Valid UTF-8 with no control character but those in `allowed`. */
static const char *text_problem(const char *s, size_t len, const char *allowed, size_t *at)
{
    for (size_t n; *at < len; *at += n) {
        unsigned cp;
        if (!(n = utf8_next(s + *at, len - *at, &cp)))
            return "invalid UTF-8";
        if ((cp < 0x20 && !strchr(allowed, (int)cp)) || (cp >= 0x7F && cp <= 0x9F))
            return "a control character";
    }
    return NULL;
}

static size_t unescaped_pipes(const char *line, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '\\')
            i++;
        else
            n += line[i] == '|';
    }
    return n;
}

/* Every row of the matrix table has as many cells as its header. */
static const char *table_problem(const char *s, size_t *at)
{
    const char *header = strstr(s, "\n| model |");
    if (!header)
        return NULL;
    size_t width = 0;
    for (const char *line = header + 1; *line == '|';) {
        size_t len = strcspn(line, "\n");
        size_t pipes = unescaped_pipes(line, len);
        if (!width)
            width = pipes;
        if (pipes != width) {
            *at = (size_t)(line - s);
            return "a table row whose cells differ from its header's";
        }
        line += len + (line[len] == '\n');
    }
    return NULL;
}

typedef enum { CONSOLE, CONSOLE_COLOUR, JUNIT, HTML, MARKDOWN, TICKET, NWRITERS } writer;

static const char *render(writer w, const cJSON *doc, FILE *out)
{
    static const report_writer kinds[NWRITERS] = {WRITER_CONSOLE, WRITER_CONSOLE,  WRITER_JUNIT,
                                                  WRITER_HTML,    WRITER_MARKDOWN, WRITER_TICKET};
    report_console_opts console = {.color = w == CONSOLE_COLOUR};
    return writer_render(kinds[w], doc, out, &console, "2026-01-01") == 0 ? NULL : "refused the document";
}

static const char *format_problem(writer w, const char *s, size_t len, size_t *at)
{
    switch (w) {
    case CONSOLE:
        return text_problem(s, len, "\n", at);
    case CONSOLE_COLOUR:
        return text_problem(s, len, "\n\033", at);
    case JUNIT:
        return markup_check(s, len, false, at);
    case HTML:
        return markup_check(s, len, true, at);
    case MARKDOWN: {
        const char *why = text_problem(s, len, "\t\n", at);
        return why ? why : table_problem(s, at);
    }
    case TICKET:
        return text_problem(s, len, "\t\n\r", at);
    case NWRITERS:
        break;
    }
    return NULL;
}

static char *report_problem(writer w, const cJSON *doc)
{
    static const char *const names[NWRITERS] = {"console", "console (colour)", "JUnit",
                                                "HTML",    "Markdown",         "ticket"};
    char *text = NULL;
    size_t len = 0, at = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return xstrdup("out of memory");
    const char *why = render(w, doc, out);
    fclose(out);
    if (!why && strlen(text) != len)
        why = "a NUL byte";
    if (!why)
        why = format_problem(w, text, len, &at);
    char *message = NULL;
    if (why)
        message = xasprintf("%s report: %s at byte %zu of %zu: \"%.*s\"", names[w], why, at, len,
                            (int)(len - at < 60 ? len - at : 60), text + at);
    free(text);
    return message;
}

char *writers_check(const uint8_t *data, size_t size)
{
    pieces p = {.data = (const char *)data, .size = size};
    cJSON *doc = document(&p);
    char *why = json_problem(doc, true);
    if (!why)
        why = json_problem(doc, false);
    for (writer w = 0; !why && w < NWRITERS; w++)
        why = report_problem(w, doc);
    cJSON_Delete(doc);
    return why;
}
