#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32.h"
#include "format_header.h"

static const uint8_t ELF[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3e, 0, 1, 0,
                              0,    0,   0,   0,   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,    0, 0, 0,
                              0,    0,   0,   0,   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,    0};

static void store_le(uint8_t *p, uint64_t v, int width)
{
    for (int i = 0; i < width; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static header_finding judge(artefact_format f, const uint8_t *p, size_t len, uint64_t file_size)
{
    header_finding h;
    format_header_judge(f, p, len, file_size, &h);
    return h;
}

static void expect(header_finding h, header_verdict v, const char *what)
{
    assert_int_equal(h.verdict, v);
    assert_string_equal(h.what, what);
}

/* ---------------------------------------------------------------- GGUF */

static void gguf_header(uint8_t h[24], uint32_t version, uint64_t tensors, uint64_t keys)
{
    memcpy(h, "GGUF", 4);
    store_le(h + 4, version, 4);
    store_le(h + 8, tensors, 8);
    store_le(h + 16, keys, 8);
}

static void test_gguf_v2_and_v3_are_accepted_with_their_tensor_count(void **state)
{
    (void)state;
    uint8_t h[24];
    gguf_header(h, 3, 272, 33);
    expect(judge(ARTEFACT_FORMAT_GGUF, h, 24, 98362432), HEADER_OK, "GGUF v3, 272 tensors");
    gguf_header(h, 2, 0, 18); /* a vocabulary-only file */
    expect(judge(ARTEFACT_FORMAT_GGUF, h, 24, 4825676), HEADER_OK, "GGUF v2, 0 tensors");
}

static void test_a_file_of_another_kind_is_named_by_its_first_bytes(void **state)
{
    (void)state;
    expect(judge(ARTEFACT_FORMAT_GGUF, ELF, sizeof ELF, 1919), HEADER_BAD,
           "not a GGUF file (first bytes 7f 45 4c 46)");
    expect(judge(ARTEFACT_FORMAT_GGUF, (const uint8_t *)"GG", 2, 2), HEADER_BAD,
           "truncated GGUF header (2 bytes)");
    expect(judge(ARTEFACT_FORMAT_GGUF, (const uint8_t *)"GX", 2, 2), HEADER_BAD,
           "not a GGUF file (first bytes 47 58)");
    expect(judge(ARTEFACT_FORMAT_GGUF, (const uint8_t *)"", 0, 0), HEADER_BAD, "not a GGUF file (empty)");
}

static void test_gguf_versions_other_than_2_and_3_are_refused(void **state)
{
    (void)state;
    uint8_t h[24];
    gguf_header(h, 9, 1, 1);
    expect(judge(ARTEFACT_FORMAT_GGUF, h, 24, 4096), HEADER_BAD, "GGUF version 9 not supported");
    gguf_header(h, 1, 1, 1);
    expect(judge(ARTEFACT_FORMAT_GGUF, h, 24, 4096), HEADER_BAD, "GGUF version 1 not supported");
    gguf_header(h, 0x03000000u, 1, 1);
    expect(judge(ARTEFACT_FORMAT_GGUF, h, 24, 4096), HEADER_BAD,
           "GGUF version 50331648 not supported (a big-endian file)");
}

static void test_a_short_gguf_header_is_truncated_only_when_the_file_ends(void **state)
{
    (void)state;
    uint8_t h[24];
    gguf_header(h, 3, 1, 1);
    expect(judge(ARTEFACT_FORMAT_GGUF, h, 12, 12), HEADER_BAD, "truncated GGUF header (12 bytes)");
    header_finding more = judge(ARTEFACT_FORMAT_GGUF, h, 12, 4096);
    assert_int_equal(more.verdict, HEADER_NEED_MORE);
    assert_int_equal(more.need, 24);
    more = judge(ARTEFACT_FORMAT_GGUF, h, 12, 20); /* no more to ask for than the file has */
    assert_int_equal(more.verdict, HEADER_NEED_MORE);
    assert_int_equal(more.need, 20);
    expect(judge(ARTEFACT_FORMAT_GGUF, h, 20, 20), HEADER_BAD, "truncated GGUF header (20 bytes)");
}

/* 24 bytes per tensor description and 13 per metadata pair at the least. */
static void test_gguf_counts_are_bounded_by_the_file_size(void **state)
{
    (void)state;
    uint8_t h[24];
    gguf_header(h, 3, 10, 2);
    expect(judge(ARTEFACT_FORMAT_GGUF, h, 24, 24 + 10 * 24 + 2 * 13), HEADER_OK, "GGUF v3, 10 tensors");
    expect(judge(ARTEFACT_FORMAT_GGUF, h, 24, 24 + 10 * 24 + 2 * 13 - 1), HEADER_BAD,
           "GGUF header claims 2 metadata keys, more than a 289-byte file holds");
    gguf_header(h, 3, UINT64_MAX, 0);
    expect(judge(ARTEFACT_FORMAT_GGUF, h, 24, 1919), HEADER_BAD,
           "GGUF header claims 18446744073709551615 tensors, more than a 1919-byte file holds");
    gguf_header(h, 3, 0, UINT64_MAX / 2);
    expect(judge(ARTEFACT_FORMAT_GGUF, h, 24, 1919), HEADER_BAD,
           "GGUF header claims 9223372036854775807 metadata keys, more than a 1919-byte file holds");
}

/* ----------------------------------------------------------------- APR */

static void test_crc32_is_the_ieee_one(void **state)
{
    (void)state;
    assert_int_equal(crc32_update(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(crc32_update(crc32_update(0, "1234", 4), "56789", 5), 0xCBF43926u);
    assert_int_equal(crc32_update(0, "", 0), 0);
}

static void apr_seal(uint8_t h[64])
{
    store_le(h + 40, crc32_update(crc32_update(0, h, 40), h + 44, 20), 4);
}

/* The layout apr's writer produces: metadata at 64, the index after it, then the data. */
static void apr_header(uint8_t h[64], uint32_t tensors, uint32_t meta_size, uint64_t index_at,
                       uint64_t data_at)
{
    memset(h, 0, 64);
    memcpy(h, "APR\0", 4);
    h[4] = 2;
    h[5] = 0;
    store_le(h + 6, 0x0400, 2);
    store_le(h + 8, tensors, 4);
    store_le(h + 12, 64, 8);
    store_le(h + 20, meta_size, 4);
    store_le(h + 24, index_at, 8);
    store_le(h + 32, data_at, 8);
    apr_seal(h);
}

static void test_an_apr_v2_header_is_accepted_with_its_tensor_count(void **state)
{
    (void)state;
    uint8_t h[64];
    apr_header(h, 273, 1500, 64 + 1536, 64 + 1536 + 273 * 64);
    expect(judge(ARTEFACT_FORMAT_APR, h, 64, 92826308), HEADER_OK, "APR v2.0, 273 tensors");
    apr_header(h, 0, 0, 64, 64); /* no metadata, no tensors: nothing but the header */
    expect(judge(ARTEFACT_FORMAT_APR, h, 64, 68), HEADER_OK, "APR v2.0, 0 tensors");
}

static void test_apr_refuses_other_files_and_older_containers(void **state)
{
    (void)state;
    expect(judge(ARTEFACT_FORMAT_APR, ELF, sizeof ELF, 1919), HEADER_BAD,
           "not an APR file (first bytes 7f 45 4c 46)");
    uint8_t h[64];
    apr_header(h, 1, 10, 128, 192);
    memcpy(h, "APRN", 4);
    expect(judge(ARTEFACT_FORMAT_APR, h, 64, 4096), HEADER_BAD,
           "an older APR container (magic APRN), not APR v2");
    expect(judge(ARTEFACT_FORMAT_APR, (const uint8_t *)"APR", 3, 3), HEADER_BAD,
           "truncated APR header (3 bytes)");
}

static void test_an_apr_header_must_match_its_checksum(void **state)
{
    (void)state;
    uint8_t h[64];
    apr_header(h, 3, 10, 128, 256);
    for (size_t i = 0; i < 64; i++) {
        if (i >= 40 && i < 44)
            continue;
        h[i] ^= 0x10;
        header_finding f = judge(ARTEFACT_FORMAT_APR, h, 64, 4096);
        assert_int_equal(f.verdict, HEADER_BAD);
        h[i] ^= 0x10;
    }
    h[44] = 1;
    assert_non_null(
        strstr(judge(ARTEFACT_FORMAT_APR, h, 64, 4096).what, "APR header checksum mismatch (stored "));
}

static void test_apr_versions_other_than_2_are_refused(void **state)
{
    (void)state;
    uint8_t h[64];
    apr_header(h, 3, 10, 128, 256);
    h[4] = 3;
    h[5] = 1;
    apr_seal(h);
    expect(judge(ARTEFACT_FORMAT_APR, h, 64, 4096), HEADER_BAD, "APR version 3.1 not supported");
}

static void test_apr_sections_must_be_in_order_and_in_the_file(void **state)
{
    (void)state;
    uint8_t h[64];
    apr_header(h, 3, 100, 128, 256); /* 100 bytes of metadata do not fit in 64..128 */
    expect(judge(ARTEFACT_FORMAT_APR, h, 64, 4096), HEADER_BAD,
           "APR header sections out of order (metadata at 64, 100 bytes; tensor index at 128; data at 256)");
    apr_header(h, 3, 10, 256, 128);
    expect(judge(ARTEFACT_FORMAT_APR, h, 64, 4096), HEADER_BAD,
           "APR header sections out of order (metadata at 64, 10 bytes; tensor index at 256; data at 128)");
    apr_header(h, 3, 10, 128, 8192);
    expect(judge(ARTEFACT_FORMAT_APR, h, 64, 4096), HEADER_BAD,
           "truncated: APR header puts tensor data at byte 8192 of a 4096-byte file");
    apr_header(h, 7, 10, 128, 256); /* 128 bytes of index hold 6 entries of 20 bytes at most */
    expect(judge(ARTEFACT_FORMAT_APR, h, 64, 4096), HEADER_BAD,
           "APR header claims 7 tensors, more than its 128-byte tensor index holds");
    apr_header(h, 6, 10, 128, 256);
    expect(judge(ARTEFACT_FORMAT_APR, h, 64, 4096), HEADER_OK, "APR v2.0, 6 tensors");
}

/* --------------------------------------------------------- safetensors */

static uint8_t *safetensors(const char *json, size_t *len)
{
    size_t n = strlen(json);
    uint8_t *p = malloc(8 + n);
    store_le(p, n, 8);
    memcpy(p + 8, json, n);
    *len = 8 + n;
    return p;
}

static header_finding judge_safetensors(const char *json)
{
    size_t len;
    uint8_t *p = safetensors(json, &len);
    header_finding h = judge(ARTEFACT_FORMAT_SAFETENSORS, p, len, len + 1000);
    free(p);
    return h;
}

static void test_a_safetensors_header_is_one_json_object_of_tensors(void **state)
{
    (void)state;
    expect(judge_safetensors("{\"__metadata__\":{\"format\":\"pt\"},"
                             "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                             "\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]}}    "),
           HEADER_OK, "safetensors, 2 tensors");
    expect(judge_safetensors("{}"), HEADER_OK, "safetensors, 0 tensors");
    expect(judge_safetensors("{\"a\":{\"dtype\":\"F32\"},\"b\""), HEADER_BAD,
           "safetensors header is not valid JSON (expected ':' at byte 24 of 24)");
    expect(judge_safetensors("{\"a\":{}} x"), HEADER_BAD,
           "safetensors header is not valid JSON (trailing characters at byte 9 of 10)");
    expect(judge_safetensors("{\"a\":[1,2]}"), HEADER_BAD,
           "safetensors header describes a tensor by something other than an object");
    expect(judge_safetensors("[{\"a\":{}}]"), HEADER_BAD,
           "not a safetensors file (first bytes 0a 00 00 00 00 00 00 00)");
}

/* What the safetensors package (serde_json) accepts and refuses, found by the differential check
 * (tests/fuzz/differential_headers.py): the same decision and the same count. */
static void test_a_safetensors_header_is_judged_as_the_safetensors_package_reads_it(void **state)
{
    (void)state;
    const char *tensor = "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
    char json[256];
    snprintf(json, sizeof json, "\n\t {%s}\r\n", tensor);
    expect(judge_safetensors(json), HEADER_OK, "safetensors, 1 tensors");
    snprintf(json, sizeof json, "{%s,%s}", tensor, tensor);
    expect(judge_safetensors(json), HEADER_OK, "safetensors, 1 tensors");
    expect(judge_safetensors("{\"\xff\":{}}"), HEADER_BAD,
           "safetensors header is not valid JSON (invalid UTF-8 in a string at byte 2 of 8)");
    expect(judge_safetensors("{\"\x01\":{}}"), HEADER_BAD,
           "safetensors header is not valid JSON (control character in a string at byte 2 of 8)");
    expect(judge_safetensors("{\"a\":{\"data_offsets\":[00,4]}}"), HEADER_BAD,
           "safetensors header is not valid JSON (expected ',' or ']' at byte 23 of 29)");
    expect(judge_safetensors("{\"a\":{\"data_offsets\":[0,4e999]}}"), HEADER_BAD,
           "safetensors header is not valid JSON (number out of range at byte 24 of 32)");
    expect(judge_safetensors("\x0c{}"), HEADER_BAD,
           "not a safetensors file (first bytes 03 00 00 00 00 00 00 00)");
}

static void test_a_safetensors_header_length_is_bounded(void **state)
{
    (void)state;
    expect(judge(ARTEFACT_FORMAT_SAFETENSORS, ELF, sizeof ELF, 1919), HEADER_BAD,
           "not a safetensors file (first bytes 7f 45 4c 46 02 01 01 00)");
    uint8_t h[16] = {0};
    store_le(h, 100000001, 8);
    h[8] = '{';
    assert_non_null(
        strstr(judge(ARTEFACT_FORMAT_SAFETENSORS, h, 16, 200000000).what, "not a safetensors file"));
    store_le(h, 1760, 8);
    expect(judge(ARTEFACT_FORMAT_SAFETENSORS, h, 16, 1000), HEADER_BAD,
           "truncated: safetensors header of 1760 bytes in a 1000-byte file");
    expect(judge(ARTEFACT_FORMAT_SAFETENSORS, h, 5, 5), HEADER_BAD, "truncated safetensors header (5 bytes)");
}

static void test_a_long_safetensors_header_is_asked_for_whole(void **state)
{
    (void)state;
    uint8_t h[16] = {0};
    store_le(h, 1760, 8);
    h[8] = '{';
    header_finding f = judge(ARTEFACT_FORMAT_SAFETENSORS, h, 16, 96424);
    assert_int_equal(f.verdict, HEADER_NEED_MORE);
    assert_int_equal(f.need, 8 + 1760);
}

/* ---------------------------------------------------------------- files */

static void test_names_declare_formats(void **state)
{
    (void)state;
    assert_int_equal(artefact_format_of("int4.gguf"), ARTEFACT_FORMAT_GGUF);
    assert_int_equal(artefact_format_of("Q8_0.GGUF"), ARTEFACT_FORMAT_GGUF);
    assert_int_equal(artefact_format_of("roundtrip.apr"), ARTEFACT_FORMAT_APR);
    assert_int_equal(artefact_format_of("model.safetensors"), ARTEFACT_FORMAT_SAFETENSORS);
    assert_int_equal(artefact_format_of("notes.txt"), ARTEFACT_FORMAT_NONE);
    assert_int_equal(artefact_format_of("gguf"), ARTEFACT_FORMAT_NONE);
    assert_int_equal(artefact_format_of("int4.gguf.part"), ARTEFACT_FORMAT_NONE);
}

static char *temp_file(const void *data, size_t len)
{
    char *path = strdup("/tmp/tmgt-format-header-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

/* A header longer than the first read is read in a second one, and only as far as it goes. */
static void test_a_file_is_read_as_far_as_its_header(void **state)
{
    (void)state;
    char json[20000];
    size_t at = (size_t)snprintf(json, sizeof json, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (int i = 0; i < 400; i++)
        at += (size_t)snprintf(json + at, sizeof json - at, ",\"layer.%d.weight\":{\"dtype\":\"F32\"}", i);
    snprintf(json + at, sizeof json - at, "}");
    size_t len;
    uint8_t *p = safetensors(json, &len);
    p = realloc(p, len + 4096);
    memset(p + len, 0xff, 4096); /* tensor data: never JSON, never read */
    char *path = temp_file(p, len + 4096);
    header_finding f;
    format_header_read_file(ARTEFACT_FORMAT_SAFETENSORS, path, &f);
    expect(f, HEADER_OK, "safetensors, 400 tensors");
    format_header_read_file(ARTEFACT_FORMAT_GGUF, path, &f);
    assert_int_equal(f.verdict, HEADER_BAD);
    unlink(path);
    format_header_read_file(ARTEFACT_FORMAT_GGUF, path, &f);
    expect(f, HEADER_BAD, "cannot read it: No such file or directory");
    free(path);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gguf_v2_and_v3_are_accepted_with_their_tensor_count),
        cmocka_unit_test(test_a_file_of_another_kind_is_named_by_its_first_bytes),
        cmocka_unit_test(test_gguf_versions_other_than_2_and_3_are_refused),
        cmocka_unit_test(test_a_short_gguf_header_is_truncated_only_when_the_file_ends),
        cmocka_unit_test(test_gguf_counts_are_bounded_by_the_file_size),
        cmocka_unit_test(test_crc32_is_the_ieee_one),
        cmocka_unit_test(test_an_apr_v2_header_is_accepted_with_its_tensor_count),
        cmocka_unit_test(test_apr_refuses_other_files_and_older_containers),
        cmocka_unit_test(test_an_apr_header_must_match_its_checksum),
        cmocka_unit_test(test_apr_versions_other_than_2_are_refused),
        cmocka_unit_test(test_apr_sections_must_be_in_order_and_in_the_file),
        cmocka_unit_test(test_a_safetensors_header_is_one_json_object_of_tensors),
        cmocka_unit_test(test_a_safetensors_header_is_judged_as_the_safetensors_package_reads_it),
        cmocka_unit_test(test_a_safetensors_header_length_is_bounded),
        cmocka_unit_test(test_a_long_safetensors_header_is_asked_for_whole),
        cmocka_unit_test(test_names_declare_formats),
        cmocka_unit_test(test_a_file_is_read_as_far_as_its_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
