/*
 * container.c - the file formats around a derived model's JSON payload.
 *
 * A derived file starts as the real format does, so that a checker reading
 * headers sees what it would see in a real model file:
 *   apr          APR v2: 64-byte header (magic "APR\0", version 2.0, header
 *                CRC32), metadata JSON, a tensor index sorted by name, the
 *                data section, a CRC32 footer over everything before it
 *   gguf         GGUF v3: header, metadata pairs (the first one,
 *                sim.payload_offset, says where the payload is), tensor
 *                descriptions, the data section aligned to 32 bytes
 *   safetensors  u64 header length, JSON header of tensor descriptions
 *                padded with spaces to 8 bytes, the data section
 * The data section holds the JSON payload instead of tensor data, so that,
 * as with a real file cut short, a truncated file keeps its header and
 * only its readers find out.
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#include "crc32.h"

#define APR_HEADER 64
#define GGUF_ALIGNMENT 32
#define PAYLOAD_KEY "sim.payload_offset"
#define GGUF_TYPE_UINT64 10
#define GGUF_TYPE_STRING 8
/* where the value of the first metadata pair, PAYLOAD_KEY, lies: header, key length, key, type */
#define GGUF_PAYLOAD_AT (24 + 8 + (sizeof PAYLOAD_KEY - 1) + 4)

struct bytes {
    char *d;
    size_t len, cap;
};

static void put(struct bytes *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->d = realloc(b->d, b->cap);
        if (!b->d)
            sim_die(7, "out of memory");
    }
    memcpy(b->d + b->len, p, n);
    b->len += n;
}

static void put_le(struct bytes *b, uint64_t v, int width)
{
    unsigned char le[8];
    for (int i = 0; i < width; i++)
        le[i] = (unsigned char)(v >> (8 * i));
    put(b, le, (size_t)width);
}

static void pad_to(struct bytes *b, size_t align, char fill)
{
    while (b->len % align)
        put(b, &fill, 1);
}

static void set_le(struct bytes *b, size_t at, uint64_t v, int width)
{
    for (int i = 0; i < width; i++)
        b->d[at + (size_t)i] = (char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int width)
{
    uint64_t v = 0;
    for (int i = width - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void put_gguf_string(struct bytes *b, const char *s)
{
    put_le(b, strlen(s), 8);
    put(b, s, strlen(s));
}

/* Type codes: ggml's enum ggml_type (GGUF) and apr-format's TensorDType. */
static void dtype_codes(const char *dtype, unsigned *ggml, unsigned *apr)
{
    static const struct {
        const char *name;
        unsigned ggml, apr;
    } T[] = {
        {"F32", 0, 0},    {"F16", 1, 1},    {"BF16", 30, 30}, {"Q4_0", 2, 128}, {"Q4_1", 3, 128},
        {"Q5_0", 6, 128}, {"Q5_1", 7, 128}, {"Q8_0", 8, 129}, {"Q2_K", 10, 12}, {"Q3_K", 11, 12},
        {"Q4_K", 12, 12}, {"Q5_K", 13, 12}, {"Q6_K", 14, 14}, {"Q4", 2, 128},   {"Q8", 8, 129},
    };
    *ggml = *apr = 0;
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
        if (strcmp(T[i].name, dtype) == 0) {
            *ggml = T[i].ggml;
            *apr = T[i].apr;
        }
}

static size_t align_up(size_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct sim_tensor *)a)->name, ((const struct sim_tensor *)b)->name);
}

static void wrap_apr(struct bytes *b, const char *arch, struct sim_tensor *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, by_name);
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "model_type", "Auto");
    cJSON_AddStringToObject(m, "architecture", arch);
    char *meta = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    put(b, "APR\0", 4);
    put_le(b, 2, 1); /* version 2.0 */
    put_le(b, 0, 1);
    put_le(b, 0x0400, 2); /* LAYOUT_ROW_MAJOR, which apr requires */
    put_le(b, (uint64_t)n, 4);
    put_le(b, APR_HEADER, 8);
    put_le(b, strlen(meta), 4);
    size_t offsets_at = b->len; /* tensor index and data offsets, known once written */
    put_le(b, 0, 8);
    put_le(b, 0, 8);
    put_le(b, 0, 4); /* header CRC32 */
    pad_to(b, APR_HEADER, '\0');
    put(b, meta, strlen(meta));
    free(meta);
    pad_to(b, 64, '\0');
    size_t index_at = b->len;
    uint64_t data = 0;
    for (int i = 0; i < n; i++) {
        unsigned ggml, apr;
        dtype_codes(t[i].dtype, &ggml, &apr);
        put_le(b, strlen(t[i].name), 2);
        put(b, t[i].name, strlen(t[i].name));
        put_le(b, apr, 1);
        put_le(b, (uint64_t)t[i].ndim, 1);
        for (int d = 0; d < t[i].ndim; d++)
            put_le(b, (uint64_t)t[i].dims[d], 8);
        put_le(b, data, 8);
        put_le(b, (uint64_t)t[i].size_bytes, 8);
        data += align_up((size_t)t[i].size_bytes, 64);
    }
    pad_to(b, 64, '\0');
    set_le(b, offsets_at, index_at, 8);
    set_le(b, offsets_at + 8, b->len, 8);
    uint32_t crc = crc32_update(crc32_update(0, b->d, 40), b->d + 44, APR_HEADER - 44);
    set_le(b, 40, crc, 4);
}

static void wrap_gguf(struct bytes *b, const char *arch, const struct sim_tensor *t, int n)
{
    put(b, "GGUF", 4);
    put_le(b, 3, 4);
    put_le(b, (uint64_t)n, 8);
    put_le(b, 2, 8); /* metadata pairs */
    put_gguf_string(b, PAYLOAD_KEY);
    put_le(b, GGUF_TYPE_UINT64, 4);
    put_le(b, 0, 8); /* known once the tensors are described */
    put_gguf_string(b, "general.architecture");
    put_le(b, GGUF_TYPE_STRING, 4);
    put_gguf_string(b, arch);
    uint64_t data = 0;
    for (int i = 0; i < n; i++) {
        unsigned ggml, apr;
        dtype_codes(t[i].dtype, &ggml, &apr);
        put_gguf_string(b, t[i].name);
        put_le(b, (uint64_t)t[i].ndim, 4);
        for (int d = t[i].ndim - 1; d >= 0; d--) /* ggml lists the innermost dimension first */
            put_le(b, (uint64_t)t[i].dims[d], 8);
        put_le(b, ggml, 4);
        put_le(b, data, 8);
        data += align_up((size_t)t[i].size_bytes, GGUF_ALIGNMENT);
    }
    pad_to(b, GGUF_ALIGNMENT, '\0');
    set_le(b, GGUF_PAYLOAD_AT, b->len, 8);
}

static void wrap_safetensors(struct bytes *b, const struct sim_tensor *t, int n)
{
    cJSON *h = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(h, "__metadata__");
    cJSON_AddStringToObject(meta, "format", "pt");
    for (int i = 0; i < n; i++) {
        cJSON *e = cJSON_AddObjectToObject(h, t[i].name);
        cJSON_AddStringToObject(e, "dtype", t[i].dtype);
        cJSON *shape = cJSON_AddArrayToObject(e, "shape");
        for (int d = 0; d < t[i].ndim; d++)
            cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t[i].dims[d]));
        cJSON *offsets = cJSON_AddArrayToObject(e, "data_offsets");
        cJSON_AddItemToArray(offsets, cJSON_CreateNumber(0));
        cJSON_AddItemToArray(offsets, cJSON_CreateNumber(0));
    }
    char *json = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    size_t len = align_up(strlen(json), 8);
    put_le(b, len, 8);
    put(b, json, strlen(json));
    pad_to(b, 8, ' ');
    free(json);
}

struct sim_file container_wrap(const char *format, const char *arch, struct sim_tensor *t, int n,
                               const char *payload)
{
    struct bytes b = {0};
    bool apr = strcmp(format, "apr") == 0;
    if (apr)
        wrap_apr(&b, arch, t, n);
    else if (strcmp(format, "gguf") == 0)
        wrap_gguf(&b, arch, t, n);
    else
        wrap_safetensors(&b, t, n);
    size_t payload_at = b.len;
    put(&b, payload, strlen(payload));
    if (apr)
        put_le(&b, crc32_update(0, b.d, b.len), 4);
    return (struct sim_file){.data = b.d, .len = b.len, .payload_at = payload_at};
}

const char *container_payload(const char *data, size_t len, size_t *payload_len)
{
    const unsigned char *p = (const unsigned char *)data;
    uint64_t at, end = len;
    if (len >= APR_HEADER + 4 && memcmp(p, "APR\0", 4) == 0) {
        at = get_le(p + 32, 8);
        end = len - 4; /* the CRC32 footer */
    } else if (len >= GGUF_PAYLOAD_AT + 8 && memcmp(p, "GGUF", 4) == 0 &&
               get_le(p + 24, 8) == sizeof PAYLOAD_KEY - 1 &&
               memcmp(p + 32, PAYLOAD_KEY, sizeof PAYLOAD_KEY - 1) == 0) {
        at = get_le(p + GGUF_PAYLOAD_AT, 8);
    } else if (len > 8 && p[8] == '{' && get_le(p, 8) <= len - 8) {
        at = 8 + get_le(p, 8);
    } else {
        return NULL;
    }
    if (at > end)
        return NULL;
    *payload_len = (size_t)(end - at);
    return data + at;
}
