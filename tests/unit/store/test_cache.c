#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "action_record.h"
#include "cache.h"
#include "fs.h"

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/tmgt-cache-test-XXXXXX";
    return xstrdup(mkdtemp(tmpl));
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_publish_read_and_records(void **state)
{
    char *dir = make_tmpdir();
    tmgt_error err = {{0}};
    cache *c = cache_open(dir, &err);
    assert_non_null(c);
    digest d;
    assert_int_equal(cache_publish_bytes(c, "hello", 5, &d, &err), 0);
    /* sha256("hello") */
    assert_string_equal(d.hex, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(cache_read_blob(c, &d, &data, &len, &err), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(data, "hello", 5);
    free(data);
    char *blob = cache_blob_path(c, &d);
    struct stat st;
    assert_int_equal(stat(blob, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0444); /* blobs are immutable */

    digest key;
    hash_bytes("key", 3, &key);
    assert_null(cache_get_record(c, &key));
    cJSON *rec = cJSON_Parse("{\"exit\":0}");
    cJSON_AddStringToObject(rec, "stdout", d.hex);
    assert_int_equal(cache_put_record(c, &key, rec, &err), 0);
    cJSON_Delete(rec);
    rec = cache_get_record(c, &key);
    assert_non_null(rec);
    assert_int_equal(cJSON_GetObjectItem(rec, "exit")->valueint, 0);
    cJSON_Delete(rec);

    cache_report r;
    assert_int_equal(cache_verify(c, &r, NULL), 0);
    assert_int_equal(r.blobs, 1);
    assert_int_equal(r.records, 1);

    /* corrupt the blob behind the cache's back: reading detects it, verify removes it and
     * the record that names it */
    chmod(blob, 0644);
    write_text(blob, "HELLO");
    assert_int_equal(cache_read_blob(c, &d, &data, &len, &err), -1);
    assert_non_null(strstr(err.msg, "corrupt"));
    assert_false(cache_has_blob(c, &d, NULL));
    assert_int_equal(cache_verify(c, &r, NULL), 1);
    assert_int_equal(r.dangling_records, 1);
    assert_null(cache_get_record(c, &key));
    free(blob);
    cache_close(c);
    remove_tree(dir);
    free(dir);
}

static void test_materialize_links_and_digest_tree(void **state)
{
    char *dir = make_tmpdir();
    tmgt_error err = {{0}};
    cache *c = cache_open(dir, &err);
    char *src = path_join(dir, "src");
    mkdir(src, 0755);
    char *a = path_join(src, "a.txt");
    char *b = path_join(src, "b.txt");
    write_text(a, "alpha");
    write_text(b, "beta");
    digest t1, t2;
    assert_int_equal(cache_digest_path(c, src, &t1, &err), 0);
    assert_int_equal(cache_digest_path(c, src, &t2, &err), 0);
    assert_string_equal(t1.hex, t2.hex);
    write_text(b, "BETA");
    assert_int_equal(cache_digest_path(c, src, &t2, &err), 0);
    assert_string_not_equal(t1.hex, t2.hex);

    char *staged = path_join(dir, "staged");
    write_text(staged, "model bytes");
    digest d;
    uint64_t size = 0;
    assert_int_equal(cache_publish_file(c, staged, &d, &size, &err), 0);
    assert_int_equal(size, 11);
    assert_false(path_exists(staged)); /* consumed */
    char *dest = path_join(dir, "models/x/int4.apr");
    assert_int_equal(cache_materialize(c, &d, dest, &err), 0);
    char *blob = cache_blob_path(c, &d);
    struct stat s1, s2;
    stat(dest, &s1);
    stat(blob, &s2);
    assert_int_equal(s1.st_ino, s2.st_ino); /* a link, not a copy */
    assert_int_equal(cache_materialize(c, &d, dest, &err), 0);
    free(blob);
    free(dest);
    free(staged);
    free(a);
    free(b);
    free(src);
    cache_close(c);
    remove_tree(dir);
    free(dir);
}

static void test_gc_keeps_what_recent_runs_used(void **state)
{
    char *dir = make_tmpdir();
    tmgt_error err = {{0}};
    cache *c = cache_open(dir, &err);
    digest used_blob, old_blob, used_key, old_key;
    cache_publish_bytes(c, "used", 4, &used_blob, &err);
    cache_publish_bytes(c, "old", 3, &old_blob, &err);
    hash_bytes("k1", 2, &used_key);
    hash_bytes("k2", 2, &old_key);
    cJSON *r1 = cJSON_CreateObject();
    cJSON_AddStringToObject(r1, "stdout", used_blob.hex);
    cJSON *r2 = cJSON_CreateObject();
    cJSON_AddStringToObject(r2, "stdout", old_blob.hex);
    cache_put_record(c, &old_key, r2, &err);
    cache_close(c); /* run 1 used old_key */
    sleep(1);       /* run logs are ordered by their timestamp */
    c = cache_open(dir, &err);
    cache_put_record(c, &used_key, r1, &err);
    cache_close(c); /* run 2 used used_key */
    c = cache_open(dir, &err);
    cache_report r;
    cache_gc(c, 1, &r, NULL);
    assert_int_equal(r.removed_records, 1);
    assert_int_equal(r.removed_blobs, 1);
    assert_true(cache_has_blob(c, &used_blob, NULL));
    assert_false(cache_has_blob(c, &old_blob, NULL));
    cJSON *kept = cache_get_record(c, &used_key);
    assert_non_null(kept);
    cJSON_Delete(kept);
    cJSON_Delete(r1);
    cJSON_Delete(r2);
    cache_close(c);
    remove_tree(dir);
    free(dir);
}

/* Stores `len` bytes as a stream, reads them back, and says whether they stayed in the record. */
static bool stream_round_trip(cache *c, const char *data, size_t len)
{
    tmgt_error err = {{0}};
    cJSON *rec = cJSON_CreateObject();
    digest d, want;
    assert_int_equal(record_put_stream(c, rec, "stdout", data, len, &d, &err), 0);
    hash_bytes(data, len, &want);
    assert_string_equal(d.hex, want.hex);
    assert_string_equal(cJSON_GetObjectItem(rec, "stdout")->valuestring, want.hex);
    assert_int_equal(cJSON_GetObjectItem(rec, "stdout_size")->valuedouble, (double)len);
    /* through JSON text, as it is stored */
    char *json = cJSON_PrintUnformatted(rec);
    cJSON *back = cJSON_Parse(json);
    cJSON_free(json);
    char *got = NULL;
    size_t got_len = 0;
    assert_int_equal(record_get_stream(c, back, "stdout", &got, &got_len, &err), 0);
    assert_int_equal(got_len, len);
    assert_memory_equal(got, data, len);
    bool in_record = record_stream_is_inline(back, "stdout");
    assert_true(in_record != cache_has_blob(c, &d, NULL) || len == 0);
    free(got);
    cJSON_Delete(back);
    cJSON_Delete(rec);
    return in_record;
}

static void test_short_text_streams_stay_in_the_record(void **state)
{
    char *dir = make_tmpdir();
    tmgt_error err = {{0}};
    cache *c = cache_open(dir, &err);
    assert_non_null(c);
    char big[4097];
    memset(big, 'a', sizeof big);
    assert_true(stream_round_trip(c, "", 0));
    const char *answer = "{\"text\": \"caf\xc3\xa9 \xe2\x86\x92 ok\"}\n";
    assert_true(stream_round_trip(c, answer, strlen(answer)));
    assert_true(stream_round_trip(c, big, 4096));
    assert_false(stream_round_trip(c, big, 4097));         /* too long: a blob */
    assert_false(stream_round_trip(c, "a\0b", 3));         /* NUL: a blob */
    assert_false(stream_round_trip(c, "caf\xc3(\xff", 6)); /* not UTF-8: a blob */

    cJSON *rec = cJSON_CreateObject();
    digest d;
    assert_int_equal(record_put_stream(c, rec, "stderr", "warning\n", 8, &d, &err), 0);
    cJSON_ReplaceItemInObject(rec, "stderr_text", cJSON_CreateString("warnin9\n"));
    char *got = NULL;
    size_t len = 0;
    assert_int_equal(record_get_stream(c, rec, "stderr", &got, &len, &err), -1);
    assert_null(got);
    assert_non_null(strstr(err.msg, "kept in the record is corrupt"));
    cJSON_Delete(rec);
    cache_close(c);
    remove_tree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_publish_read_and_records),
        cmocka_unit_test(test_materialize_links_and_digest_tree),
        cmocka_unit_test(test_gc_keeps_what_recent_runs_used),
        cmocka_unit_test(test_short_text_streams_stay_in_the_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
