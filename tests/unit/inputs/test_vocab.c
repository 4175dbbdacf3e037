#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "util.h"
#include "vocab.h"

/* Writes `json` as tokenizer.json in a fresh directory and loads it. */
static vocab *load(const char *json)
{
    char dir[] = "/tmp/tmgt-vocab-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = path_join(dir, "tokenizer.json");
    tmgt_error err = {{0}};
    assert_int_equal(write_file_atomic(path, json, strlen(json), 0644, &err), 0);
    vocab *v = vocab_load(dir);
    unlink(path);
    rmdir(dir);
    free(path);
    return v;
}

static void expect_text(const vocab *v, long id, const char *want)
{
    char *got = vocab_decode(v, id);
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_byte_level_pieces_decode_to_bytes(void **state)
{
    (void)state;
    /* GPT-2/SmolLM spelling: Ġ is a space, Ċ a newline; é arrives as two byte-level characters */
    vocab *v = load(
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"\\u0120Paris\":7042,\"\\u010a\":198,"
        "\"caf\\u00c3\\u00a9\":5,\"\\u00c3\":6}},"
        "\"added_tokens\":[{\"id\":0,\"content\":\"<|endoftext|>\"}],"
        "\"decoder\":{\"type\":\"ByteLevel\"}}");
    assert_non_null(v);
    expect_text(v, 7042, " Paris");
    expect_text(v, 198, "\n");
    expect_text(v, 5, "caf\xC3\xA9");
    expect_text(v, 6, "\xEF\xBF\xBD"); /* half a character: U+FFFD, never invalid UTF-8 */
    expect_text(v, 0, "<|endoftext|>");
    expect_text(v, 4242, NULL);
    expect_text(v, -1, NULL);
    vocab_free(v);
}

static void test_metaspace_pieces_and_byte_fallback(void **state)
{
    (void)state;
    vocab *v = load(
        "{\"model\":{\"vocab\":{\"\\u2581Paris\":3,\"<0x0A>\":4,\"is\":5}},"
        "\"decoder\":{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Replace\"},{\"type\":\"ByteFallback\"}]"
        "}}");
    assert_non_null(v);
    expect_text(v, 3, " Paris");
    expect_text(v, 4, "\n");
    expect_text(v, 5, "is");
    vocab_free(v);
}

static void test_no_vocabulary_is_no_vocab(void **state)
{
    (void)state;
    assert_null(vocab_load("/nonexistent/model"));
    assert_null(load("{\"model\":{\"type\":\"BPE\"}}"));
    assert_null(load("not json"));
    expect_text(NULL, 1, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_byte_level_pieces_decode_to_bytes),
        cmocka_unit_test(test_metaspace_pieces_and_byte_fallback),
        cmocka_unit_test(test_no_vocabulary_is_no_vocab),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
