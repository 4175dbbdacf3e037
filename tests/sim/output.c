/*
 * output.c - the only place that writes stdout or engine output files, so
 * that every output fault (empty, huge, garbage, badjson, ansi, nan,
 * badutf8, wrongshape, set/del, nooutput, truncate, elf) applies uniformly to
 * every subcommand of every personality.
 */
#include "sim.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void put(const void *buf, size_t len)
{
    if (sim_write_all(STDOUT_FILENO, buf, len) != 0 && errno != EPIPE)
        sim_die(7, "I/O error: writing stdout: %s", strerror(errno));
}

static void puts_raw(const char *s)
{
    put(s, strlen(s));
}

/* `huge:N`: exactly N bytes, streamed in fixed chunks so the simulator's own
 * memory stays flat however large N is. */
static void emit_huge(unsigned long long total)
{
    static const char line[] = "apr-sim huge output: this line repeats to fill stdout......\n";
    char chunk[65536];
    size_t ll = sizeof line - 1;
    for (size_t i = 0; i < sizeof chunk; i++)
        chunk[i] = line[i % ll];
    while (total > 0) {
        size_t n = total < sizeof chunk ? (size_t)total : sizeof chunk;
        put(chunk, n);
        total -= n;
    }
}

/* `garbage`: binary bytes, NUL and invalid UTF-8 guaranteed up front. */
static void emit_garbage(const struct sim_ctx *ctx)
{
    unsigned char buf[4096];
    uint64_t st = sim_hash_str(ctx->joined, 0x6761726261676521ULL);
    for (size_t i = 0; i < sizeof buf; i += 8) {
        uint64_t r = sim_rng_next(&st);
        memcpy(buf + i, &r, 8);
    }
    memcpy(buf, "\x00\xff\xfe\x80\xc3\x28{\x00", 8);
    put(buf, sizeof buf);
}

static const char ANSI_PREFIX[] =
    "\x1b[1;32m[INFO]\x1b[0m loading model (simulated log line)\n"
    "\x1b[33m[GH-187] Embedding contract: ok\x1b[0m\n";
static const char ANSI_SUFFIX[] = "\x1b[2mCompleted in 0.01s (cached)\x1b[0m\n";

/* Writes a rendered body through the stdout faults.  `quiet` drops only the
 * normal body: a fault that replaces stdout still prints. */
static void emit(const struct sim_ctx *ctx, const char *body, bool newline, bool quiet)
{
    const struct sim_faults *f = &ctx->faults;
    switch (f->out_mode) {
    case OUTM_EMPTY:
        return;
    case OUTM_HUGE:
        emit_huge(f->huge_bytes);
        return;
    case OUTM_GARBAGE:
        emit_garbage(ctx);
        return;
    case OUTM_BADJSON:
    case OUTM_NORMAL:
        break;
    }
    if (quiet)
        return;
    if (f->ansi)
        puts_raw(ANSI_PREFIX);
    size_t len = strlen(body);
    if (f->out_mode == OUTM_BADJSON) {
        /* The first half of the document: never balanced, never parseable. */
        put(body, len / 2);
        puts_raw("\n");
    } else {
        put(body, len);
        if (newline && (len == 0 || body[len - 1] != '\n'))
            puts_raw("\n");
    }
    if (f->ansi)
        puts_raw(ANSI_SUFFIX);
}

char *out_badutf8(const char *s)
{
    /* A lone 0xFF after the first code point, then a broken 2-byte sequence
     * and an encoded UTF-16 surrogate at the end: three classic decoder traps. */
    size_t cut = s[0] ? sim_utf8_offset(s, 1) : 0;
    return sim_printf("%.*s\xff%s\xc3\x28\xed\xa0\x80", (int)cut, s, s + cut);
}

static cJSON *make_value(const char *text)
{
    cJSON *v = cJSON_Parse(text);
    return v ? v : cJSON_CreateRaw(text); /* not JSON: inserted verbatim */
}

static bool is_index(const char *seg, long *idx)
{
    char *end;
    if (!*seg)
        return false;
    *idx = strtol(seg, &end, 10);
    return !*end && *idx >= 0;
}

/* set/del on a dotted path ("format.architecture", "stages.0.status"). */
static void edit_path(cJSON *node, const char *path, const char *value)
{
    const char *dot = strchr(path, '.');
    char *seg = dot ? strndup(path, (size_t)(dot - path)) : strdup(path);
    long idx = 0;
    bool by_index = cJSON_IsArray(node) && is_index(seg, &idx);
    if (!dot) {
        if (by_index) {
            if (!value)
                cJSON_DeleteItemFromArray(node, (int)idx);
            else if (idx < cJSON_GetArraySize(node))
                cJSON_ReplaceItemInArray(node, (int)idx, make_value(value));
            else
                cJSON_AddItemToArray(node, make_value(value));
        } else if (cJSON_IsObject(node)) {
            if (!value)
                cJSON_DeleteItemFromObjectCaseSensitive(node, seg);
            else if (cJSON_GetObjectItemCaseSensitive(node, seg))
                cJSON_ReplaceItemInObjectCaseSensitive(node, seg, make_value(value));
            else
                cJSON_AddItemToObject(node, seg, make_value(value));
        }
    } else {
        cJSON *child = by_index               ? cJSON_GetArrayItem(node, (int)idx)
                       : cJSON_IsObject(node) ? cJSON_GetObjectItemCaseSensitive(node, seg)
                                              : NULL;
        if (!child && value && cJSON_IsObject(node))
            child = cJSON_AddObjectToObject(node, seg);
        if (child)
            edit_path(child, dot + 1, value);
    }
    free(seg);
}

static void apply_edits(const struct sim_faults *f, cJSON *doc)
{
    for (int i = 0; i < f->nedits; i++) {
        const struct sim_edit *e = &f->edits[i];
        long idx;
        char *first = strndup(e->field, strcspn(e->field, "."));
        /* A top-level array (hex) gets a field edit on every element. */
        if (cJSON_IsArray(doc) && !is_index(first, &idx)) {
            cJSON *el;
            cJSON_ArrayForEach (el, doc)
                edit_path(el, e->field, e->value);
        } else {
            edit_path(doc, e->field, e->value);
        }
        free(first);
    }
}

/* `nan`: every non-integral number becomes bare NaN, inf, -inf, NaN, ... in
 * document order; integers (token ids, counts) stay, so the output is still
 * meaningful to a lenient parser. */
static void apply_nan(cJSON *node, int *counter)
{
    static const char *const BARE[] = {"NaN", "inf", "-inf"};
    cJSON *child = node->child;
    while (child) {
        cJSON *next = child->next;
        if (cJSON_IsNumber(child) && child->valuedouble != floor(child->valuedouble)) {
            cJSON *raw = cJSON_CreateRaw(BARE[(*counter)++ % 3]);
            raw->string = child->string; /* the key moves to the replacement */
            child->string = NULL;
            cJSON_ReplaceItemViaPointer(node, child, raw);
        } else if (cJSON_IsArray(child) || cJSON_IsObject(child)) {
            apply_nan(child, counter);
        }
        child = next;
    }
}

static void apply_badutf8(cJSON *doc)
{
    if (!cJSON_IsObject(doc))
        return;
    cJSON *text = cJSON_GetObjectItemCaseSensitive(doc, "text");
    char *bad = out_badutf8(cJSON_IsString(text) ? text->valuestring : "sim");
    if (text)
        cJSON_ReplaceItemInObjectCaseSensitive(doc, "text", cJSON_CreateString(bad));
    else
        cJSON_AddStringToObject(doc, "text", bad);
    free(bad);
}

static cJSON *apply_shape(enum sim_shape shape, cJSON *doc)
{
    cJSON *out;
    switch (shape) {
    case SHAPE_NONE:
        return doc;
    case SHAPE_WRAP:
        if (cJSON_IsArray(doc)) {
            out = cJSON_CreateObject();
            cJSON_AddItemToObject(out, "items", doc);
            return out;
        }
        /* fall through - anything else becomes an array */
    case SHAPE_ARRAY:
        out = cJSON_CreateArray();
        cJSON_AddItemToArray(out, doc);
        return out;
    case SHAPE_OBJECT:
        out = cJSON_CreateObject();
        cJSON_AddItemToObject(out, "result", doc);
        return out;
    case SHAPE_STRING:
        out = cJSON_CreateString("wrongshape");
        break;
    case SHAPE_NUMBER:
        out = cJSON_CreateNumber(42);
        break;
    case SHAPE_NULL:
    default:
        out = cJSON_CreateNull();
        break;
    }
    cJSON_Delete(doc);
    return out;
}

void out_json(const struct sim_ctx *ctx, cJSON *doc)
{
    const struct sim_faults *f = &ctx->faults;
    apply_edits(f, doc);
    if (f->badutf8)
        apply_badutf8(doc);
    if (f->nan) {
        int counter = 0;
        apply_nan(doc, &counter);
    }
    doc = apply_shape(f->shape, doc);
    char *text = cJSON_Print(doc);
    cJSON_Delete(doc);
    emit(ctx, text, true, false);
    free(text);
}

void out_text(const struct sim_ctx *ctx, const char *text)
{
    char *bad = ctx->faults.badutf8 ? out_badutf8(text) : NULL;
    emit(ctx, bad ? bad : text, false, ctx->quiet);
    free(bad);
}

static void human_lines(cJSON *node, int indent, char **buf)
{
    cJSON *c;
    cJSON_ArrayForEach (c, node) {
        char *val;
        if (cJSON_IsString(c))
            val = strdup(c->valuestring);
        else if (cJSON_IsArray(c))
            val = sim_printf("[%d items]", cJSON_GetArraySize(c));
        else if (cJSON_IsObject(c))
            val = strdup("");
        else
            val = cJSON_PrintUnformatted(c);
        char *line = sim_printf("%s%*s%s: %s\n", *buf, indent, "", c->string ? c->string : "-", val);
        free(val);
        free(*buf);
        *buf = line;
        if (cJSON_IsObject(c))
            human_lines(c, indent + 2, buf);
    }
}

void out_human(const struct sim_ctx *ctx, cJSON *doc)
{
    char *buf = strdup("");
    human_lines(doc, 0, &buf);
    cJSON_Delete(doc);
    out_text(ctx, buf);
    free(buf);
}

/* `elf`: what a build step that wrote its own binary instead of the model
 * would leave: an ELF64 header, then filler. */
static void elf_bytes(unsigned char *buf, size_t len)
{
    static const unsigned char ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
    memset(buf, 0, len);
    memcpy(buf, ident, sizeof ident);
    for (size_t i = 64; i < len; i++)
        buf[i] = (unsigned char)(i * 131u);
}

void out_file(const struct sim_ctx *ctx, const char *path, const struct sim_file *content)
{
    const struct sim_faults *f = &ctx->faults;
    if (f->nooutput)
        return; /* claims success, writes nothing (an old file stays as it was) */
    unsigned char elf[1024];
    const void *data = content->data;
    size_t len = content->len;
    if (f->elf) {
        elf_bytes(elf, sizeof elf);
        data = elf;
        len = sizeof elf;
    } else if (f->truncate) {
        /* by default half of the data section goes, the header stays: a large model
         * file cut short loses its tensors, not the few bytes in front of them */
        size_t keep = content->payload_at + (len - content->payload_at) / 2;
        len = f->truncate_bytes < 0             ? keep
              : (size_t)f->truncate_bytes < len ? (size_t)f->truncate_bytes
                                                : len;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        sim_die(7, "I/O error: cannot create %s: %s", path, strerror(errno));
    if (sim_write_all(fd, data, len) != 0 || close(fd) != 0)
        sim_die(7, "I/O error: writing %s: %s", path, strerror(errno));
}
