/* Oracle files: the committed references load, are byte-for-byte the original's (SHA-256
 * pins, oracle/README.md), and every schema violation is reported with file and field; the
 * SmolLM2 oracle's margins load, the seed's oracles have none, and every malformed margin is
 * refused the same way. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "hash.h"
#include "oracle.h"
#include "source_files.h"
#include "util.h"

static const char *const slugs[] = {"smollm-135m", "qwen2-0.5b", "gpt2-124m"};
static const char *const keys[] = {"arithmetic", "code", "completion", "greeting"};

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
        char *data = read_source_file(rel, &len);
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
        assert_string_equal(cJSON_GetObjectItem(set->provenance, "transformers_version")->valuestring,
                            "5.1.0");
        assert_string_equal(cJSON_GetObjectItem(set->provenance, "runtime")->valuestring, "transformers");
        oracle_free(set);
        free(dir);
    }
}

static void test_greeting_content(void **state)
{
    (void)state;
    size_t len;
    char *data = read_source_file("oracle/smollm-135m/greeting.json", &len);
    oracle_entry e;
    tmgt_error err;
    assert_int_equal(
        oracle_parse("oracle/smollm-135m/greeting.json", data, len, "smollm-135m", &e, NULL, &err), 0);
    assert_int_equal(e.tokens[0], 5325);
    assert_int_equal(e.tokens[31], 657);
    assert_non_null(strstr(e.text, "Pokémon")); /* raw UTF-8, not an escape */
    assert_string_equal(e.prompt, "Hello, my name is");
    assert_string_equal(e.prompt_key, "greeting");
    oracle_entry_free(&e);
    free(data);
}

typedef void (*mutation)(cJSON *doc);

static void token3_string(cJSON *d)
{
    cJSON_ReplaceItemInArray(cJSON_GetObjectItem(d, "tokens"), 3, cJSON_CreateString("x"));
}
static void token3_float(cJSON *d)
{
    cJSON_ReplaceItemInArray(cJSON_GetObjectItem(d, "tokens"), 3, cJSON_CreateNumber(1.5));
}
static void token3_negative(cJSON *d)
{
    cJSON_ReplaceItemInArray(cJSON_GetObjectItem(d, "tokens"), 3, cJSON_CreateNumber(-1));
}
static void tokens_long(cJSON *d)
{
    cJSON_AddItemToArray(cJSON_GetObjectItem(d, "tokens"), cJSON_CreateNumber(7));
}
static void tokens_missing(cJSON *d)
{
    cJSON_DeleteItemFromObject(d, "tokens");
}
static void count_wrong(cJSON *d)
{
    cJSON_ReplaceItemInObject(d, "token_count", cJSON_CreateNumber(31));
}
static void slug_wrong(cJSON *d)
{
    cJSON_ReplaceItemInObject(d, "model_slug", cJSON_CreateString("qwen2-0.5b"));
}
static void runtime_wrong(cJSON *d)
{
    cJSON_ReplaceItemInObject(d, "runtime", cJSON_CreateString("vllm"));
}
static void format_wrong(cJSON *d)
{
    cJSON_ReplaceItemInObject(d, "format", cJSON_CreateString("bfloat16"));
}
static void sampling(cJSON *d)
{
    cJSON_ReplaceItemInObject(d, "do_sample", cJSON_CreateTrue());
}
static void max_new(cJSON *d)
{
    cJSON_ReplaceItemInObject(d, "max_new_tokens", cJSON_CreateNumber(16));
}
static void version_bad(cJSON *d)
{
    cJSON_ReplaceItemInObject(d, "transformers_version", cJSON_CreateString("5"));
}
static void torch_missing(cJSON *d)
{
    cJSON_DeleteItemFromObject(d, "torch_version");
}
static void text_number(cJSON *d)
{
    cJSON_ReplaceItemInObject(d, "text", cJSON_CreateNumber(1));
}
static void prompt_missing(cJSON *d)
{
    cJSON_DeleteItemFromObject(d, "prompt");
}

typedef struct {
    mutation mutate;
    const char *message;
} rejection;

/* Each mutation of `rel` is refused with exactly its message, and nothing of the file is kept. */
static void expect_rejections(const char *rel, const char *slug, const rejection *cases, size_t n)
{
    size_t len;
    char *data = read_source_file(rel, &len);
    for (size_t i = 0; i < n; i++) {
        cJSON *doc = cJSON_Parse(data);
        cases[i].mutate(doc);
        char *text = cJSON_Print(doc);
        oracle_entry e;
        tmgt_error err;
        cJSON *prov = NULL;
        assert_int_equal(oracle_parse(rel, text, strlen(text), slug, &e, &prov, &err), -1);
        assert_string_equal(err.msg, cases[i].message);
        assert_null(prov);
        assert_null(e.tokens); /* nothing leaks from a rejected file */
        assert_null(e.prompt_tokens);
        assert_null(e.top);
        free(text);
        cJSON_Delete(doc);
    }
    free(data);
}

static void test_schema_errors_name_file_and_field(void **state)
{
    (void)state;
    static const rejection cases[] = {
        {token3_string, "oracle/smollm-135m/code.json: tokens[3]: not an integer"},
        {token3_float, "oracle/smollm-135m/code.json: tokens[3]: not an integer"},
        {token3_negative, "oracle/smollm-135m/code.json: tokens[3]: not a non-negative id"},
        {tokens_long, "oracle/smollm-135m/code.json: tokens: expected 1 to 32 tokens, got 33"},
        {tokens_missing, "oracle/smollm-135m/code.json: tokens: missing"},
        {count_wrong, "oracle/smollm-135m/code.json: token_count: 31 does not match len(tokens) = 32"},
        {slug_wrong,
         "oracle/smollm-135m/code.json: model_slug: expected \"smollm-135m\", got \"qwen2-0.5b\""},
        {runtime_wrong, "oracle/smollm-135m/code.json: runtime: expected \"transformers\", got \"vllm\""},
        {format_wrong, "oracle/smollm-135m/code.json: format: expected \"float32\", got \"bfloat16\""},
        {sampling, "oracle/smollm-135m/code.json: do_sample: must be false (greedy decoding)"},
        {max_new, "oracle/smollm-135m/code.json: max_new_tokens: expected 32, got 16"},
        {version_bad, "oracle/smollm-135m/code.json: transformers_version: not a version (no \".\")"},
        {torch_missing, "oracle/smollm-135m/code.json: torch_version: missing"},
        {text_number, "oracle/smollm-135m/code.json: text: not a string"},
        {prompt_missing, "oracle/smollm-135m/code.json: prompt: missing"},
    };
    expect_rejections("oracle/smollm-135m/code.json", "smollm-135m", cases, sizeof cases / sizeof cases[0]);
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
        char *data = read_source_file(rel, &len);
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

/* ---- the margins: prompt_tokens and top_logprobs (oracle_margins.c) ---- */

#define COMPLETION "oracle/smollm2-135m/completion.json"

static void parse_ok(const char *rel, const char *slug, oracle_entry *e)
{
    size_t len;
    char *data = read_source_file(rel, &len);
    tmgt_error err;
    if (oracle_parse(rel, data, len, slug, e, NULL, &err) != 0)
        fail_msg("%s", err.msg);
    free(data);
}

static void test_smollm2_margins(void **state)
{
    (void)state;
    oracle_entry e;
    parse_ok(COMPLETION, "smollm2-135m", &e);
    static const long prompt[] = {504, 3575, 282, 4649, 314};
    assert_int_equal(e.n_prompt_tokens, 5);
    assert_memory_equal(e.prompt_tokens, prompt, sizeof prompt);
    assert_non_null(e.top);
    for (size_t i = 0; i < e.n_tokens; i++) {
        assert_int_equal(e.top[i].n, 20);
        assert_int_equal(e.top[i].top[0].id, e.tokens[i]);
    }
    /* Token 4 is " The" (504), the position where apr's int8 run writes "\n" (198). */
    assert_int_equal(e.top[4].top[0].id, 504);
    assert_true(fabs(e.top[4].top[0].logprob - -1.9359821) < 1e-7);
    assert_null(position_top_find(&e.top[4], 198));
    assert_int_equal(position_top_rank(&e.top[4], 788), 3);
    oracle_entry_free(&e);

    /* Greeting's first token: 2026 "..." is fourth, 0.77 nats below " Alex" (5325). */
    parse_ok("oracle/smollm2-135m/greeting.json", "smollm2-135m", &e);
    const token_logprob *alex = position_top_find(&e.top[0], 5325),
                        *dots = position_top_find(&e.top[0], 2026);
    assert_non_null(alex);
    assert_non_null(dots);
    assert_int_equal(position_top_rank(&e.top[0], 2026), 4);
    assert_true(fabs(alex->logprob - dots->logprob - 0.768) < 1e-3);
    oracle_entry_free(&e);
}

static void test_seed_oracles_have_no_margins(void **state)
{
    (void)state;
    oracle_entry e;
    parse_ok("oracle/smollm-135m/code.json", "smollm-135m", &e);
    assert_int_equal(e.n_tokens, 32);
    assert_null(e.prompt_tokens);
    assert_int_equal(e.n_prompt_tokens, 0);
    assert_null(e.top);
    oracle_entry_free(&e);
}

static cJSON *position(cJSON *d, int i)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(d, "top_logprobs"), i);
}
static cJSON *entry(cJSON *d, int i, int k)
{
    return cJSON_GetArrayItem(position(d, i), k);
}
static void set_member(cJSON *obj, const char *key, cJSON *v)
{
    cJSON_ReplaceItemInObject(obj, key, v);
}

static void one_position_short(cJSON *d)
{
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(d, "top_logprobs"), 29);
}
static void first_id_other(cJSON *d)
{
    set_member(entry(d, 4, 0), "id", cJSON_CreateNumber(198));
}
static void unsorted(cJSON *d)
{
    set_member(entry(d, 4, 2), "logprob", cJSON_CreateNumber(-1.0));
}
static void logprob_string(cJSON *d)
{
    set_member(entry(d, 0, 1), "logprob", cJSON_CreateString("x"));
}
static void logprob_positive(cJSON *d)
{
    set_member(entry(d, 0, 0), "logprob", cJSON_CreateNumber(0.5));
}
static void id_twice(cJSON *d)
{
    set_member(entry(d, 1, 3), "id", cJSON_CreateNumber(28));
}
static void id_missing(cJSON *d)
{
    cJSON_DeleteItemFromObject(entry(d, 2, 5), "id");
}
static void id_float(cJSON *d)
{
    set_member(entry(d, 2, 5), "id", cJSON_CreateNumber(2.5));
}
static void logprob_missing(cJSON *d)
{
    cJSON_DeleteItemFromObject(entry(d, 2, 5), "logprob");
}
static void entry_number(cJSON *d)
{
    cJSON_ReplaceItemInArray(position(d, 3), 0, cJSON_CreateNumber(1));
}
static void position_empty(cJSON *d)
{
    cJSON_ReplaceItemInArray(cJSON_GetObjectItem(d, "top_logprobs"), 3, cJSON_CreateArray());
}
static void position_object(cJSON *d)
{
    cJSON_ReplaceItemInArray(cJSON_GetObjectItem(d, "top_logprobs"), 3, cJSON_CreateObject());
}
static void top_not_list(cJSON *d)
{
    set_member(d, "top_logprobs", cJSON_CreateString("none"));
}
static void prompt_string(cJSON *d)
{
    set_member(d, "prompt_tokens", cJSON_CreateString("The capital"));
}
static void prompt_float(cJSON *d)
{
    cJSON_ReplaceItemInArray(cJSON_GetObjectItem(d, "prompt_tokens"), 1, cJSON_CreateNumber(2.5));
}
static void prompt_negative(cJSON *d)
{
    cJSON_ReplaceItemInArray(cJSON_GetObjectItem(d, "prompt_tokens"), 0, cJSON_CreateNumber(-1));
}
static void prompt_text_id(cJSON *d)
{
    cJSON_ReplaceItemInArray(cJSON_GetObjectItem(d, "prompt_tokens"), 2, cJSON_CreateString("282"));
}
static void prompt_empty(cJSON *d)
{
    set_member(d, "prompt_tokens", cJSON_CreateArray());
}

static void test_bad_margins_name_file_and_field(void **state)
{
    (void)state;
    static const rejection cases[] = {
        {one_position_short, COMPLETION ": top_logprobs: 29 positions for 30 tokens"},
        {first_id_other,
         COMPLETION ": top_logprobs[4][0].id: 198 is not the generated token 504 (tokens[4])"},
        {unsorted, COMPLETION
         ": top_logprobs[4][2].logprob: -1 is above the previous entry's -2.77471 (not descending)"},
        {logprob_string, COMPLETION ": top_logprobs[0][1].logprob: not a number"},
        {logprob_positive, COMPLETION ": top_logprobs[0][0].logprob: 0.5 is above 0 (a probability over 1)"},
        {id_twice, COMPLETION ": top_logprobs[1][3].id: 28 already at [1]"},
        {id_missing, COMPLETION ": top_logprobs[2][5].id: missing"},
        {id_float, COMPLETION ": top_logprobs[2][5].id: not a non-negative integer"},
        {logprob_missing, COMPLETION ": top_logprobs[2][5].logprob: missing"},
        {entry_number, COMPLETION ": top_logprobs[3][0]: not an object"},
        {position_empty, COMPLETION ": top_logprobs[3]: expected 1 to 64 entries, got 0"},
        {position_object, COMPLETION ": top_logprobs[3]: not a list"},
        {top_not_list, COMPLETION ": top_logprobs: not a list"},
        {prompt_string, COMPLETION ": prompt_tokens: not a list of token ids"},
        {prompt_float, COMPLETION ": prompt_tokens[1]: not an integer"},
        {prompt_negative, COMPLETION ": prompt_tokens[0]: not a non-negative id"},
        {prompt_text_id, COMPLETION ": prompt_tokens[2]: not an integer"},
        {prompt_empty, COMPLETION ": prompt_tokens: empty (the prompt encodes to at least one id)"},
    };
    expect_rejections(COMPLETION, "smollm2-135m", cases, sizeof cases / sizeof cases[0]);
}

/* Python's json.dumps writes a non-finite float as a bare NaN or Infinity, which is not JSON;
 * the message still names the line and the member. A huge literal reads as inf and is refused
 * as not finite. */
static void test_non_finite_logprobs(void **state)
{
    (void)state;
    static const struct {
        const char *literal, *message; /* after "<file>: line N: " when at_line, else "<file>: " */
        bool at_line;
    } cases[] = {
        {"NaN", "logprob: NaN is not a finite number", true},
        {"Infinity", "logprob: Infinity is not a finite number", true},
        {"-Infinity", "logprob: -Infinity is not a finite number", true},
        {"-1e999", "top_logprobs[0][0].logprob: not finite (-inf)", false},
    };
    static const char first[] = "\"logprob\": -0.25806162";
    size_t len;
    char *data = read_source_file(COMPLETION, &len);
    size_t off = 0, line = 1;
    for (; data[off] && strncmp(data + off, first, strlen(first)); off++)
        line += data[off] == '\n';
    assert_true(data[off]);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text =
            xasprintf("%.*s\"logprob\": %s%s", (int)off, data, cases[i].literal, data + off + strlen(first));
        char *want = cases[i].at_line ? xasprintf(COMPLETION ": line %zu: %s", line, cases[i].message)
                                      : xasprintf(COMPLETION ": %s", cases[i].message);
        oracle_entry e;
        tmgt_error err;
        assert_int_equal(oracle_parse(COMPLETION, text, strlen(text), "smollm2-135m", &e, NULL, &err), -1);
        assert_string_equal(err.msg, want);
        free(want);
        free(text);
    }
    free(data);
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
        cmocka_unit_test(test_smollm2_margins),
        cmocka_unit_test(test_seed_oracles_have_no_margins),
        cmocka_unit_test(test_bad_margins_name_file_and_field),
        cmocka_unit_test(test_non_finite_logprobs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
