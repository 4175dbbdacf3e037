/* Oracle files: the committed references load, are byte-for-byte the original's (SHA-256
 * pins, oracle/README.md), and every schema violation is reported with file and field. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "hash.h"
#include "oracle.h"
#include "util.h"

static const char *const slugs[] = {"smollm-135m", "qwen2-0.5b", "gpt2-124m"};
static const char *const keys[] = {"arithmetic", "code", "completion", "greeting"};

static const char *source_dir(void)
{
    const char *d = getenv("TMGT_SOURCE_DIR");
    return d && *d ? d : ".";
}

static char *read_rel(const char *rel, size_t *len)
{
    char *path = xasprintf("%s/%s", source_dir(), rel);
    char *data = NULL;
    tmgt_error err;
    if (read_file(path, &data, len, &err) != 0)
        fail_msg("%s", err.msg);
    free(path);
    return data;
}

static void test_sha256_pins(void **state)
{
    (void)state;
    static const struct {
        const char *file, *pin;
    } pins[] = {
        {"smollm-135m/arithmetic", "4fc86efa24fc56a0"}, {"smollm-135m/code", "c474ac828bc1b2b0"},
        {"smollm-135m/completion", "2856d78a5ebb0856"}, {"smollm-135m/greeting", "1c317c01e73b3a44"},
        {"qwen2-0.5b/arithmetic", "9f38d4d8c6236a8c"},  {"qwen2-0.5b/code", "991b1c210a7c6229"},
        {"qwen2-0.5b/completion", "dc9564792c11e5dc"},  {"qwen2-0.5b/greeting", "b1ec6952c1dcfb39"},
        {"gpt2-124m/arithmetic", "067538c08a45ba78"},   {"gpt2-124m/code", "cd2de5af8a634f22"},
        {"gpt2-124m/completion", "5a3b3001c14d429f"},   {"gpt2-124m/greeting", "accf174793543dd7"},
    };
    for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) {
        char *rel = xasprintf("oracle/%s.json", pins[i].file);
        size_t len;
        char *data = read_rel(rel, &len);
        digest d;
        hash_bytes(data, len, &d);
        if (strncmp(d.hex, pins[i].pin, 16) != 0)
            fail_msg("%s: sha256 %.16s, pinned %s", rel, d.hex, pins[i].pin);
        free(data);
        free(rel);
    }
}

static void test_load_all_sets(void **state)
{
    (void)state;
    for (size_t s = 0; s < 3; s++) {
        char *dir = xasprintf("%s/oracle/%s", source_dir(), slugs[s]);
        tmgt_error err;
        oracle_set *set = oracle_load(dir, slugs[s], keys, 4, &err);
        if (!set)
            fail_msg("%s", err.msg);
        assert_int_equal(set->n_entries, 4);
        for (size_t k = 0; k < 4; k++) {
            const oracle_entry *e = oracle_find(set, keys[k]);
            assert_non_null(e);
            assert_string_equal(e->prompt_key, keys[k]);
            assert_int_equal(e->n_tokens, 32);
            assert_true(strlen(e->text) > 0);
        }
        assert_null(oracle_find(set, "nope"));
        assert_string_equal(cJSON_GetObjectItem(set->provenance, "transformers_version")->valuestring, "5.1.0");
        assert_string_equal(cJSON_GetObjectItem(set->provenance, "runtime")->valuestring, "transformers");
        oracle_free(set);
        free(dir);
    }
}

static void test_greeting_content(void **state)
{
    (void)state;
    size_t len;
    char *data = read_rel("oracle/smollm-135m/greeting.json", &len);
    oracle_entry e;
    tmgt_error err;
    assert_int_equal(oracle_parse("oracle/smollm-135m/greeting.json", data, len, "smollm-135m", &e, NULL, &err), 0);
    assert_int_equal(e.tokens[0], 5325);
    assert_int_equal(e.tokens[31], 657);
    assert_non_null(strstr(e.text, "Pokémon")); /* raw UTF-8, not an escape */
    assert_string_equal(e.prompt, "Hello, my name is");
    assert_string_equal(e.prompt_key, "greeting");
    oracle_entry_free(&e);
    free(data);
}

typedef void (*mutation)(cJSON *doc);

static void token3_string(cJSON *d) { cJSON_ReplaceItemInArray(cJSON_GetObjectItem(d, "tokens"), 3, cJSON_CreateString("x")); }
static void token3_float(cJSON *d) { cJSON_ReplaceItemInArray(cJSON_GetObjectItem(d, "tokens"), 3, cJSON_CreateNumber(1.5)); }
static void token3_negative(cJSON *d) { cJSON_ReplaceItemInArray(cJSON_GetObjectItem(d, "tokens"), 3, cJSON_CreateNumber(-1)); }
static void tokens_long(cJSON *d) { cJSON_AddItemToArray(cJSON_GetObjectItem(d, "tokens"), cJSON_CreateNumber(7)); }
static void tokens_missing(cJSON *d) { cJSON_DeleteItemFromObject(d, "tokens"); }
static void count_wrong(cJSON *d) { cJSON_ReplaceItemInObject(d, "token_count", cJSON_CreateNumber(31)); }
static void slug_wrong(cJSON *d) { cJSON_ReplaceItemInObject(d, "model_slug", cJSON_CreateString("qwen2-0.5b")); }
static void runtime_wrong(cJSON *d) { cJSON_ReplaceItemInObject(d, "runtime", cJSON_CreateString("vllm")); }
static void format_wrong(cJSON *d) { cJSON_ReplaceItemInObject(d, "format", cJSON_CreateString("bfloat16")); }
static void sampling(cJSON *d) { cJSON_ReplaceItemInObject(d, "do_sample", cJSON_CreateTrue()); }
static void max_new(cJSON *d) { cJSON_ReplaceItemInObject(d, "max_new_tokens", cJSON_CreateNumber(16)); }
static void version_bad(cJSON *d) { cJSON_ReplaceItemInObject(d, "transformers_version", cJSON_CreateString("5")); }
static void torch_missing(cJSON *d) { cJSON_DeleteItemFromObject(d, "torch_version"); }
static void text_number(cJSON *d) { cJSON_ReplaceItemInObject(d, "text", cJSON_CreateNumber(1)); }
static void prompt_missing(cJSON *d) { cJSON_DeleteItemFromObject(d, "prompt"); }

static void test_schema_errors_name_file_and_field(void **state)
{
    (void)state;
    static const struct {
        mutation mutate;
        const char *message;
    } cases[] = {
        {token3_string, "oracle/smollm-135m/code.json: tokens[3]: not an integer"},
        {token3_float, "oracle/smollm-135m/code.json: tokens[3]: not an integer"},
        {token3_negative, "oracle/smollm-135m/code.json: tokens[3]: not a non-negative id"},
        {tokens_long, "oracle/smollm-135m/code.json: tokens: expected 1 to 32 tokens, got 33"},
        {tokens_missing, "oracle/smollm-135m/code.json: tokens: missing"},
        {count_wrong, "oracle/smollm-135m/code.json: token_count: 31 does not match len(tokens) = 32"},
        {slug_wrong, "oracle/smollm-135m/code.json: model_slug: expected \"smollm-135m\", got \"qwen2-0.5b\""},
        {runtime_wrong, "oracle/smollm-135m/code.json: runtime: expected \"transformers\", got \"vllm\""},
        {format_wrong, "oracle/smollm-135m/code.json: format: expected \"float32\", got \"bfloat16\""},
        {sampling, "oracle/smollm-135m/code.json: do_sample: must be false (greedy decoding)"},
        {max_new, "oracle/smollm-135m/code.json: max_new_tokens: expected 32, got 16"},
        {version_bad, "oracle/smollm-135m/code.json: transformers_version: not a version (no \".\")"},
        {torch_missing, "oracle/smollm-135m/code.json: torch_version: missing"},
        {text_number, "oracle/smollm-135m/code.json: text: not a string"},
        {prompt_missing, "oracle/smollm-135m/code.json: prompt: missing"},
    };
    size_t len;
    char *data = read_rel("oracle/smollm-135m/code.json", &len);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *doc = cJSON_Parse(data);
        cases[i].mutate(doc);
        char *text = cJSON_Print(doc);
        oracle_entry e;
        tmgt_error err;
        cJSON *prov = NULL;
        assert_int_equal(oracle_parse("oracle/smollm-135m/code.json", text, strlen(text), "smollm-135m", &e,
                                      &prov, &err),
                         -1);
        assert_string_equal(err.msg, cases[i].message);
        assert_null(prov);
        assert_null(e.tokens); /* nothing leaks from a rejected file */
        free(text);
        cJSON_Delete(doc);
    }
    free(data);
}

static void test_not_json(void **state)
{
    (void)state;
    oracle_entry e;
    tmgt_error err;
    const char *bad = "{\n  \"model\": \"x\",\n  oops\n}";
    assert_int_equal(oracle_parse("o/x.json", bad, strlen(bad), "x", &e, NULL, &err), -1);
    assert_string_equal(err.msg, "o/x.json: invalid JSON near line 3");
    assert_int_equal(oracle_parse("o/x.json", "[1]", 3, "x", &e, NULL, &err), -1);
    assert_string_equal(err.msg, "o/x.json: not a JSON object");
    assert_int_equal(oracle_parse("o/x.json", "", 0, "x", &e, NULL, &err), -1);
}

static void test_load_errors(void **state)
{
    (void)state;
    tmgt_error err;
    char *dir = xasprintf("%s/oracle/smollm-135m", source_dir());
    static const char *const missing[] = {"code", "no-such-prompt"};
    assert_null(oracle_load(dir, "smollm-135m", missing, 2, &err));
    assert_non_null(strstr(err.msg, "oracle/smollm-135m/no-such-prompt.json"));
    /* A file of another model in the directory is named with its field. */
    assert_null(oracle_load(dir, "gpt2-124m", keys, 4, &err));
    assert_non_null(strstr(err.msg, "arithmetic.json: model_slug: expected \"gpt2-124m\""));
    free(dir);

    /* Files from two transformers releases do not make one set. */
    char tmpl[] = "/tmp/tmgt-oracle-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    for (size_t k = 0; k < 2; k++) {
        char *rel = xasprintf("oracle/smollm-135m/%s.json", keys[k]);
        size_t len;
        char *data = read_rel(rel, &len);
        cJSON *doc = cJSON_Parse(data);
        if (k == 1)
            cJSON_ReplaceItemInObject(doc, "transformers_version", cJSON_CreateString("4.45.0"));
        char *text = cJSON_Print(doc), *path = xasprintf("%s/%s.json", tmpl, keys[k]);
        assert_int_equal(write_file_atomic(path, text, strlen(text), 0644, &err), 0);
        free(path);
        free(text);
        cJSON_Delete(doc);
        free(data);
        free(rel);
    }
    assert_null(oracle_load(tmpl, "smollm-135m", keys, 2, &err));
    assert_non_null(strstr(err.msg, "code.json: transformers_version: \"4.45.0\" differs from \"5.1.0\""));
    for (size_t k = 0; k < 2; k++) {
        char *path = xasprintf("%s/%s.json", tmpl, keys[k]);
        unlink(path);
        free(path);
    }
    rmdir(tmpl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_pins),
        cmocka_unit_test(test_load_all_sets),
        cmocka_unit_test(test_greeting_content),
        cmocka_unit_test(test_schema_errors_name_file_and_field),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_load_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
