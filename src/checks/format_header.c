#include "format_header.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32.h"
#include "json_strict.h"
#include "strmap.h"
#include "util.h"

/* GGUF (llama.cpp's gguf.cpp): magic, u32 version, u64 tensor count, u64 metadata key count. */
#define GGUF_HEADER 24
/* The smallest tensor description: an empty name (u64 length), u32 n_dims = 0, u32 type,
 * u64 offset; the smallest metadata pair: an empty key (u64 length), u32 type, a u8 value. A
 * header claiming more of them than the file has bytes for is not a GGUF header. */
#define GGUF_MIN_TENSOR_INFO 24
#define GGUF_MIN_KV 13

/* APR v2 (the apr-format 0.72.3 crate's src/v2/mod.rs and header_impl.rs): a 64-byte header whose CRC32
 * covers bytes 0..40 and 44..64, then metadata at byte 64, the tensor index, the data. */
#define APR_HEADER 64
#define APR_CRC_AT 40
/* The smallest tensor index entry: u16 name length, u8 dtype, u8 ndim, u64 offset, u64 size. */
#define APR_MIN_INDEX_ENTRY 20

/* safetensors: u64 header length, then that many bytes of JSON; the format caps it at 100 MB. */
#define ST_LENGTH 8
#define ST_MAX_HEADER 100000000ull

artefact_format artefact_format_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return ARTEFACT_FORMAT_NONE;
    if (strcasecmp(dot, ".gguf") == 0)
        return ARTEFACT_FORMAT_GGUF;
    if (strcasecmp(dot, ".apr") == 0)
        return ARTEFACT_FORMAT_APR;
    if (strcasecmp(dot, ".safetensors") == 0)
        return ARTEFACT_FORMAT_SAFETENSORS;
    return ARTEFACT_FORMAT_NONE;
}

static void found(header_finding *out, header_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void found(header_finding *out, header_verdict v, const char *fmt, ...)
{
    out->verdict = v;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->what, sizeof out->what, fmt, ap);
    va_end(ap);
}

/* "not a GGUF file (first bytes 7f 45 4c 46)": what the file starts with, in hex. */
static void not_a(header_finding *out, const char *article_and_name, const uint8_t *p, size_t len,
                  size_t show)
{
    char hex[3 * 8] = "";
    size_t n = len < show ? len : show;
    for (size_t i = 0; i < n && i < 8; i++)
        snprintf(hex + 3 * i, sizeof hex - 3 * i, "%02x%s", p[i], i + 1 < n ? " " : "");
    if (n)
        found(out, HEADER_BAD, "not %s file (first bytes %s)", article_and_name, hex);
    else
        found(out, HEADER_BAD, "not %s file (empty)", article_and_name);
}

/* The first len bytes agree with the magic as far as they go. */
static bool starts_like(const uint8_t *p, size_t len, const char *magic, size_t magic_len)
{
    return len > 0 && memcmp(p, magic, len < magic_len ? len : magic_len) == 0;
}

/* True when the fixed header of `need` bytes is not all there; says why (or asks for it). */
static bool header_short(header_finding *out, const char *format, size_t len, uint64_t file_size,
                         uint64_t need)
{
    if (len >= need)
        return false;
    if (file_size > len) {
        out->verdict = HEADER_NEED_MORE;
        out->need = need < file_size ? need : file_size;
    } else {
        found(out, HEADER_BAD, "truncated %s header (%zu bytes)", format, len);
    }
    return true;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void judge_gguf(const uint8_t *p, size_t len, uint64_t file_size, header_finding *out)
{
    if (!starts_like(p, len, "GGUF", 4)) {
        not_a(out, "a GGUF", p, len, 4);
        return;
    }
    if (header_short(out, "GGUF", len, file_size, GGUF_HEADER))
        return;
    uint32_t version = le32(p + 4);
    if (version != 2 && version != 3) {
        /* a big-endian GGUF stores its version the other way round */
        bool swapped = version == 0x02000000u || version == 0x03000000u;
        found(out, HEADER_BAD, "GGUF version %u not supported%s", version,
              swapped ? " (a big-endian file)" : "");
        return;
    }
    uint64_t tensors = le64(p + 8), keys = le64(p + 16), room = file_size - GGUF_HEADER;
    if (tensors > room / GGUF_MIN_TENSOR_INFO) {
        found(out, HEADER_BAD, "GGUF header claims %llu tensors, more than a %llu-byte file holds",
              (unsigned long long)tensors, (unsigned long long)file_size);
        return;
    }
    if (keys > (room - tensors * GGUF_MIN_TENSOR_INFO) / GGUF_MIN_KV) {
        found(out, HEADER_BAD, "GGUF header claims %llu metadata keys, more than a %llu-byte file holds",
              (unsigned long long)keys, (unsigned long long)file_size);
        return;
    }
    found(out, HEADER_OK, "GGUF v%u, %llu tensors", version, (unsigned long long)tensors);
}

static void judge_apr(const uint8_t *p, size_t len, uint64_t file_size, header_finding *out)
{
    static const char *const older[] = {"APRN", "APR1", "APR2"}; /* aprender v1, whisper.apr, pre-v2 */
    for (size_t i = 0; len >= 4 && i < sizeof older / sizeof *older; i++)
        if (memcmp(p, older[i], 4) == 0) {
            found(out, HEADER_BAD, "an older APR container (magic %s), not APR v2", older[i]);
            return;
        }
    if (!starts_like(p, len, "APR\0", 4)) {
        not_a(out, "an APR", p, len, 4);
        return;
    }
    if (header_short(out, "APR", len, file_size, APR_HEADER))
        return;
    if (p[4] != 2) {
        found(out, HEADER_BAD, "APR version %u.%u not supported", p[4], p[5]);
        return;
    }
    uint32_t stored = le32(p + APR_CRC_AT);
    uint32_t crc =
        crc32_update(crc32_update(0, p, APR_CRC_AT), p + APR_CRC_AT + 4, APR_HEADER - APR_CRC_AT - 4);
    if (stored != crc) {
        found(out, HEADER_BAD, "APR header checksum mismatch (stored %08x, computed %08x)", stored, crc);
        return;
    }
    uint32_t tensors = le32(p + 8), meta_size = le32(p + 20);
    uint64_t meta_at = le64(p + 12), index_at = le64(p + 24), data_at = le64(p + 32);
    if (meta_at != APR_HEADER || index_at < meta_at || index_at - meta_at < meta_size || data_at < index_at) {
        found(out, HEADER_BAD,
              "APR header sections out of order (metadata at %llu, %u bytes; tensor index at %llu; data at "
              "%llu)",
              (unsigned long long)meta_at, meta_size, (unsigned long long)index_at,
              (unsigned long long)data_at);
        return;
    }
    if (data_at > file_size) {
        found(out, HEADER_BAD, "truncated: APR header puts tensor data at byte %llu of a %llu-byte file",
              (unsigned long long)data_at, (unsigned long long)file_size);
        return;
    }
    if (tensors > (data_at - index_at) / APR_MIN_INDEX_ENTRY) {
        found(out, HEADER_BAD, "APR header claims %u tensors, more than its %llu-byte tensor index holds",
              tensors, (unsigned long long)(data_at - index_at));
        return;
    }
    found(out, HEADER_OK, "APR v%u.%u, %u tensors", p[4], p[5], tensors);
}

/* The header is one JSON object of tensor descriptions, judged as the safetensors package
 * (serde_json) reads it: strict JSON with white space around it (writers pad with spaces), and
 * a name described twice is one tensor, the last description winning. */
static void judge_safetensors_json(const char *json, size_t n, header_finding *out)
{
    json_strict_error bad;
    if (!json_strict_check(json, n, JSON_STRICT_SERDE_DEPTH, &bad)) {
        found(out, HEADER_BAD, "safetensors header is not valid JSON (%s at byte %zu of %zu)", bad.why,
              bad.at, n);
        return;
    }
    cJSON *doc = cJSON_ParseWithLength(json, n);
    if (!cJSON_IsObject(doc)) {
        found(out, HEADER_BAD, "safetensors header is JSON but not an object");
        cJSON_Delete(doc);
        return;
    }
    strmap names;
    strmap_init(&names);
    bool entries_ok = true;
    const cJSON *e = NULL;
    cJSON_ArrayForEach (e, doc) {
        if (strcmp(e->string, "__metadata__") != 0) {
            entries_ok = entries_ok && cJSON_IsObject(e);
            strmap_put(&names, e->string, (void *)e);
        }
    }
    if (!entries_ok)
        found(out, HEADER_BAD, "safetensors header describes a tensor by something other than an object");
    else
        found(out, HEADER_OK, "safetensors, %zu tensors", names.count);
    strmap_free(&names);
    cJSON_Delete(doc);
}

/* JSON white space may come before the header's '{'. */
static bool starts_an_object(const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    return i == len || p[i] == '{';
}

static void judge_safetensors(const uint8_t *p, size_t len, uint64_t file_size, header_finding *out)
{
    if (header_short(out, "safetensors", len, file_size, ST_LENGTH))
        return;
    uint64_t n = le64(p);
    /* "{}" is the shortest header */
    if (n < 2 || n > ST_MAX_HEADER || !starts_an_object(p + ST_LENGTH, len - ST_LENGTH)) {
        not_a(out, "a safetensors", p, len, 8);
        return;
    }
    if (n > file_size - ST_LENGTH) {
        found(out, HEADER_BAD, "truncated: safetensors header of %llu bytes in a %llu-byte file",
              (unsigned long long)n, (unsigned long long)file_size);
        return;
    }
    if (len < ST_LENGTH + n) {
        out->verdict = HEADER_NEED_MORE;
        out->need = ST_LENGTH + n;
        return;
    }
    judge_safetensors_json((const char *)p + ST_LENGTH, (size_t)n, out);
}

void format_header_judge(artefact_format f, const uint8_t *prefix, size_t len, uint64_t file_size,
                         header_finding *out)
{
    memset(out, 0, sizeof *out);
    if (file_size < len)
        file_size = len;
    switch (f) {
    case ARTEFACT_FORMAT_GGUF:
        judge_gguf(prefix, len, file_size, out);
        break;
    case ARTEFACT_FORMAT_APR:
        judge_apr(prefix, len, file_size, out);
        break;
    case ARTEFACT_FORMAT_SAFETENSORS:
        judge_safetensors(prefix, len, file_size, out);
        break;
    case ARTEFACT_FORMAT_NONE:
        found(out, HEADER_OK, "no declared format");
        break;
    }
}

/* Up to `want` bytes from the start of fd; fewer only at the end of the file. */
static ssize_t read_prefix(int fd, uint8_t *buf, size_t want)
{
    size_t have = 0;
    while (have < want) {
        ssize_t n = pread(fd, buf + have, want - have, (off_t)have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        have += (size_t)n;
    }
    return (ssize_t)have;
}

void format_header_read_file(artefact_format f, const char *path, header_finding *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        found(out, HEADER_BAD, "cannot read it: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    uint64_t size = (uint64_t)st.st_size, want = FORMAT_HEADER_PREFIX;
    uint8_t *buf = NULL;
    for (;;) {
        want = want < size ? want : size;
        buf = xrealloc(buf, want ? want : 1);
        ssize_t got = read_prefix(fd, buf, (size_t)want);
        if (got < 0) {
            found(out, HEADER_BAD, "cannot read it: %s", strerror(errno));
            break;
        }
        /* a file that shrank under us is judged as it now is */
        format_header_judge(f, buf, (size_t)got, (uint64_t)got < want ? (uint64_t)got : size, out);
        if (out->verdict != HEADER_NEED_MORE)
            break;
        want = out->need;
    }
    free(buf);
    close(fd);
}
