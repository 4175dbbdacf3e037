#include "vocab.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "deps.h"
#include "fs.h"
#include "util.h"

struct vocab {
    char **pieces; /* by id; NULL where the id is unused */
    size_t n, cap;
    bool byte_level; /* GPT-2 style: every byte is spelled as one printable code point */
};

static void put_piece(vocab *v, long id, const char *piece)
{
    if (id < 0 || id > 10000000 || !piece)
        return;
    if ((size_t)id >= v->cap) {
        size_t cap = v->cap ? v->cap : 1024;
        while (cap <= (size_t)id)
            cap *= 2;
        v->pieces = xrealloc(v->pieces, cap * sizeof *v->pieces);
        memset(v->pieces + v->cap, 0, (cap - v->cap) * sizeof *v->pieces);
        v->cap = cap;
    }
    if ((size_t)id >= v->n)
        v->n = (size_t)id + 1;
    free(v->pieces[id]);
    v->pieces[id] = xstrdup(piece);
}

static bool has_type(const cJSON *node, const char *type)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(node, "type");
    if (cJSON_IsString(t) && !strcmp(t->valuestring, type))
        return true;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(node, "decoders");
    const cJSON *item;
    cJSON_ArrayForEach (item, list)
        if (has_type(item, type))
            return true;
    return false;
}

vocab *vocab_load(const char *model_dir)
{
    char *path = path_join(model_dir, "tokenizer.json");
    char *data = NULL;
    size_t len = 0;
    tmgt_error err = {{0}};
    deps_note(path);
    int rc = read_file(path, &data, &len, &err);
    free(path);
    if (rc != 0)
        return NULL;
    cJSON *doc = cJSON_ParseWithLength(data, len);
    free(data);
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(doc, "model");
    const cJSON *pieces = cJSON_GetObjectItemCaseSensitive(model, "vocab");
    if (!cJSON_IsObject(pieces)) {
        cJSON_Delete(doc);
        return NULL;
    }
    vocab *v = xcalloc(1, sizeof *v);
    const cJSON *item;
    cJSON_ArrayForEach (item, pieces)
        if (cJSON_IsNumber(item))
            put_piece(v, (long)item->valuedouble, item->string);
    cJSON_ArrayForEach (item, cJSON_GetObjectItemCaseSensitive(doc, "added_tokens")) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(item, "content");
        if (cJSON_IsNumber(id) && cJSON_IsString(content))
            put_piece(v, (long)id->valuedouble, content->valuestring);
    }
    v->byte_level = has_type(cJSON_GetObjectItemCaseSensitive(doc, "decoder"), "ByteLevel");
    cJSON_Delete(doc);
    return v;
}

/* GPT-2's byte-level alphabet: printable bytes stand for themselves, the other 68 bytes (controls,
 * space, DEL..NBSP, soft hyphen) are spelled U+0100 onwards in byte order. */
static bool printable_byte(unsigned b)
{
    return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
}

static int byte_of_code_point(unsigned cp)
{
    if (cp < 256)
        return printable_byte(cp) ? (int)cp : -1;
    unsigned k = cp - 256;
    for (unsigned b = 0; b < 256; b++)
        if (!printable_byte(b) && k-- == 0)
            return (int)b;
    return -1;
}

static void decode_byte_level(strbuf *out, const char *piece)
{
    unsigned *cps = NULL;
    size_t n = utf8_decode(piece, strlen(piece), &cps, NULL);
    for (size_t i = 0; i < n; i++) {
        int b = byte_of_code_point(cps[i]);
        if (b >= 0)
            sb_putc(out, (char)b);
        else
            utf8_put(out, cps[i]);
    }
    free(cps);
}

/* SentencePiece spelling: "▁" is a space and "<0xNN>" a raw byte. */
static void decode_metaspace(strbuf *out, const char *piece)
{
    static const char SPACE[] = "\xE2\x96\x81";
    unsigned byte;
    char close;
    if (strlen(piece) == 6 && sscanf(piece, "<0x%2X%c", &byte, &close) == 2 && close == '>') {
        sb_putc(out, (char)byte);
        return;
    }
    for (const char *s = piece; *s;) {
        if (!strncmp(s, SPACE, 3)) {
            sb_putc(out, ' ');
            s += 3;
        } else {
            sb_putc(out, *s++);
        }
    }
}

char *vocab_decode(const vocab *v, long id)
{
    if (!v || id < 0 || (size_t)id >= v->n || !v->pieces[id])
        return NULL;
    strbuf raw;
    sb_init(&raw);
    if (v->byte_level)
        decode_byte_level(&raw, v->pieces[id]);
    else
        decode_metaspace(&raw, v->pieces[id]);
    bool invalid = false;
    char *text = utf8_sanitize(raw.buf ? raw.buf : "", raw.len, &invalid);
    sb_free(&raw);
    return text;
}

void vocab_free(vocab *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++)
        free(v->pieces[i]);
    free(v->pieces);
    free(v);
}
