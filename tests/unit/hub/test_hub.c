#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "hub_cache.h"
#include "hub_verify.h"

static void test_server_file_names_that_leave_the_snapshot_are_refused(void **state)
{
    const char *safe[] = {"config.json", "model-00001-of-00002.safetensors", "onnx/model.onnx", "a/.hidden",
                          "..x"};
    const char *unsafe[] = {"",    "/etc/passwd", "../evil.json", "a/../../b", "a//b",     "./config.json",
                            "a/.", "a/..",        "dir/",         "a\\..\\b",  "new\nline"};
    for (size_t i = 0; i < sizeof safe / sizeof *safe; i++)
        assert_true(hub_safe_repo_path(safe[i]));
    for (size_t i = 0; i < sizeof unsafe / sizeof *unsafe; i++)
        assert_false(hub_safe_repo_path(unsafe[i]));
}

static void test_etags_are_normalised_and_checked(void **state)
{
    char out[DIGEST_HEX_LEN + 1];
    const char *sha1 = "4a036f56bb619924ec4189bd84ed716c766971ae";
    assert_true(hub_etag_parse("W/\"4a036f56bb619924ec4189bd84ed716c766971ae\"", out));
    assert_string_equal(out, sha1);
    assert_true(hub_etag_parse(sha1, out));
    assert_false(
        hub_etag_parse("\"4A036F56BB619924EC4189BD84ED716C766971AE\"", out)); /* not the Hub's form */
    assert_false(hub_etag_parse("\"abc\"", out));
    assert_false(hub_etag_parse("\"../../../../etc/passwd-0123456789012345678901234567\"", out));
    assert_false(hub_etag_parse(NULL, out));
}

/* git hash-object of "hello\n" is ce013625030ba8dba906f756967f9e9ca394464a. */
static void test_git_blob_etag_verifies_in_pieces_and_after_a_restart(void **state)
{
    hub_verifier *v = hub_verifier_new("ce013625030ba8dba906f756967f9e9ca394464a", 6);
    hub_verifier_update(v, "junk", 4);
    hub_verifier_restart(v);
    hub_verifier_update(v, "hel", 3);
    hub_verifier_update(v, "lo\n", 3);
    digest d;
    tmgt_error err = {{0}};
    assert_int_equal(hub_verifier_finish(v, &d, &err), 0);
    digest want;
    hash_bytes("hello\n", 6, &want);
    assert_string_equal(d.hex, want.hex);
    hub_verifier_free(v);
}

static void test_size_and_sha256_mismatches_are_reported(void **state)
{
    digest want, d;
    hash_bytes("hello\n", 6, &want);
    tmgt_error err = {{0}};
    hub_verifier *v = hub_verifier_new(want.hex, 7);
    hub_verifier_update(v, "hello\n", 6);
    assert_int_equal(hub_verifier_finish(v, &d, &err), -1);
    assert_string_equal(err.msg, "size mismatch: the Hub announced 7 bytes, 6 arrived");
    hub_verifier_free(v);
    v = hub_verifier_new(want.hex, 6);
    hub_verifier_update(v, "hellO\n", 6);
    assert_int_equal(hub_verifier_finish(v, &d, &err), -1);
    char *msg =
        xasprintf("checksum mismatch: the Hub's ETag is %s but the content hashes to %s", want.hex, d.hex);
    assert_string_equal(err.msg, msg);
    free(msg);
    hub_verifier_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_file_names_that_leave_the_snapshot_are_refused),
        cmocka_unit_test(test_etags_are_normalised_and_checked),
        cmocka_unit_test(test_git_blob_etag_verifies_in_pieces_and_after_a_restart),
        cmocka_unit_test(test_size_and_sha256_mismatches_are_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
