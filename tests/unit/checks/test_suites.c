/* The suite table, expansion (names, counts, queries), the check list, and the shared judgement
 * of queries that did not succeed. */
#include "suites_fixture.h"

#include <signal.h>

static void test_table(void **state)
{
    (void)state;
    static const char *const order[] = {
        "list",         "canary",     "token",         "drift",         "roundtrip",     "ppl",
        "inspect",      "validate",   "tensors",       "lint",          "selftest",      "diff",
        "tree",         "oracle-id",  "hex",           "debug",         "bench",         "qa",
        "rosetta-diff", "parity-gpu", "llamacpp-text", "cross-runtime", "prompt-tokens", "logit-parity",
    };
    size_t n;
    const suite_def *const *all = suites_all(&n);
    assert_int_equal(n, sizeof order / sizeof order[0]);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(all[i]->key, order[i]);
        assert_ptr_equal(suite_find(order[i]), all[i]);
        assert_int_equal(all[i]->global, strcmp(order[i], "list") == 0);
    }
    assert_string_equal(suite_find("token")->label, "token-parity");
    assert_string_equal(suite_find("drift")->label, "quant-drift");
    assert_null(suite_find("token-parity")); /* a result name: selection.h matches those */
    assert_null(suite_find("nope"));
    assert_null(suite_find(NULL));
}

static void test_expand_counts(void **state)
{
    world *w = *state;
    static const struct {
        const char *key;
        size_t per_model;
    } counts[] = {
        {"canary", 4},
        {"token", 8},
        {"drift", 4},
        {"roundtrip", 2},
        {"ppl", 3},
        {"inspect", 2},
        {"validate", 2},
        {"tensors", 2},
        {"lint", 2},
        {"selftest", 2},
        {"diff", 1},
        {"tree", 2},
        {"oracle-id", 2},
        {"hex", 2},
        {"debug", 2},
        {"bench", 2},
        {"qa", 2},
        {"rosetta-diff", 1},
        {"parity-gpu", 1},
        {"llamacpp-text", 8},
        {"cross-runtime", 4},
        {"prompt-tokens", 12},
        {"logit-parity", 12},
    };
    size_t total = 0, n;
    const suite_def *const *all = suites_all(&n);
    check_list everything = {0};
    for (size_t s = 0; s < n; s++) {
        check_list l = {0};
        if (all[s]->global) {
            all[s]->expand(&w->pl, NULL, &l);
            assert_int_equal(l.count, 1);
            assert_string_equal(l.items[0].name, "list/global");
            assert_string_equal(l.items[0].model, "global");
            assert_int_equal(l.items[0].queries[0].n_artifacts, 0);
            all[s]->expand(&w->pl, NULL, &everything);
        } else {
            size_t want = 0;
            for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++)
                if (strcmp(counts[c].key, all[s]->key) == 0)
                    want = counts[c].per_model;
            for (size_t m = 0; m < N_MODELS; m++) {
                size_t before = l.count;
                all[s]->expand(&w->pl, &w->models[m], &l);
                if (l.count - before != want)
                    fail_msg("%s/%s: %zu checks, want %zu", all[s]->key, w->models[m].slug, l.count - before,
                             want);
                all[s]->expand(&w->pl, &w->models[m], &everything);
            }
            assert_int_equal(l.count, 3 * want);
        }
        for (size_t i = 0; i < l.count; i++) {
            assert_string_equal(l.items[i].suite, all[s]->key);
            assert_true(l.items[i].n_queries >= 1);
            /* what lets selection.c skip the suites a --check term cannot take */
            if (strncmp(l.items[i].name, all[s]->label, strlen(all[s]->label)) != 0)
                fail_msg("%s does not start with its suite's label %s", l.items[i].name, all[s]->label);
        }
        total += l.count;
        check_list_free(&l);
    }
    /* 139 + 24 llamacpp-text + 12 cross-runtime (docs/DESIGN.md, "The original harness"), then
     * prompt-tokens and logit-parity: 3 artefacts apr runs × 4 prompts × 3 models each. */
    assert_int_equal(total, 175 + 2 * 36);
    /* Names are unique across the whole matrix. */
    for (size_t i = 0; i < everything.count; i++)
        for (size_t j = i + 1; j < everything.count; j++)
            if (strcmp(everything.items[i].name, everything.items[j].name) == 0)
                fail_msg("duplicate check name %s", everything.items[i].name);
    check_list_free(&everything);
}

static const check_spec *find(const check_list *l, const char *name)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i].name, name) == 0)
            return &l->items[i];
    fail_msg("no check %s", name);
    return NULL;
}

static check_list expand_one(world *w, const char *key, size_t model)
{
    check_list l = {0};
    suite_find(key)->expand(&w->pl, &w->models[model], &l);
    return l;
}

static void assert_query(const query_spec *q, const char *step, const char *a, const char *b,
                         const char *prompt)
{
    assert_string_equal(q->step, step);
    assert_int_equal(q->n_artifacts, (a != NULL) + (b != NULL));
    if (a)
        assert_string_equal(q->artifacts[0], a);
    if (b)
        assert_string_equal(q->artifacts[1], b);
    if (prompt)
        assert_string_equal(q->prompt, prompt);
    else
        assert_null(q->prompt);
}

static void test_expand_names_and_queries(void **state)
{
    world *w = *state;
    check_list l = expand_one(w, "token", 0);
    /* int4 then int8, prompts in pipeline order */
    assert_string_equal(l.items[0].name, "token-parity/smollm-135m/int4/arithmetic");
    assert_string_equal(l.items[7].name, "token-parity/smollm-135m/int8/greeting");
    const check_spec *c = find(&l, "token-parity/smollm-135m/int4/code");
    assert_string_equal(c->variant, "int4");
    assert_string_equal(c->prompt, "code");
    assert_true(c->threshold == 5);
    assert_true(find(&l, "token-parity/smollm-135m/int8/code")->threshold == 3);
    assert_query(&c->queries[0], "run", "int4.apr", NULL, "code");
    check_list_free(&l);

    l = expand_one(w, "canary", 1);
    assert_string_equal(l.items[0].name, "canary/qwen2-0.5b/arithmetic");
    assert_null(l.items[0].variant);
    assert_query(&l.items[0].queries[0], "run", "int8.apr", NULL, "arithmetic");
    check_list_free(&l);

    l = expand_one(w, "drift", 0);
    c = find(&l, "quant-drift/smollm-135m/greeting");
    assert_int_equal(c->n_queries, 2);
    assert_query(&c->queries[0], "run", "int4.apr", NULL, "greeting");
    assert_query(&c->queries[1], "run", "int8.apr", NULL, "greeting");
    check_list_free(&l);

    l = expand_one(w, "roundtrip", 2);
    assert_string_equal(l.items[0].name, "roundtrip/gpt2-124m/completion");
    assert_string_equal(l.items[1].name, "roundtrip/gpt2-124m/arithmetic");
    assert_query(&l.items[0].queries[1], "run", "roundtrip.apr", NULL, "completion");
    check_list_free(&l);

    l = expand_one(w, "ppl", 1);
    assert_string_equal(l.items[0].name, "ppl/qwen2-0.5b/int4");
    assert_true(l.items[0].threshold == 15.0);
    assert_string_equal(l.items[2].name, "ppl-drift/qwen2-0.5b");
    assert_string_equal(l.items[2].suite, "ppl");
    assert_true(l.items[2].threshold == 0.5);
    assert_query(&l.items[2].queries[1], "eval", "int8.apr", NULL, NULL);
    check_list_free(&l);

    l = expand_one(w, "selftest", 0);
    assert_string_equal(l.items[1].name, "selftest/smollm-135m/int8");
    assert_query(&l.items[1].queries[0], "check", "int8.apr", NULL, NULL);
    assert_true(l.items[1].threshold == 7);
    check_list_free(&l);

    l = expand_one(w, "oracle-id", 0);
    assert_query(&l.items[0].queries[0], "oracle", "int4.apr", NULL, NULL);
    check_list_free(&l);

    l = expand_one(w, "hex", 0);
    assert_query(&l.items[0].queries[0], "hex", "int4.apr", NULL, NULL);
    assert_query(&l.items[0].queries[1], "hex-fallback", "int4.apr", NULL, NULL);
    check_list_free(&l);

    l = expand_one(w, "diff", 0);
    assert_string_equal(l.items[0].name, "diff/smollm-135m");
    assert_query(&l.items[0].queries[0], "diff", "int8.apr", "int4.apr", NULL);
    check_list_free(&l);

    l = expand_one(w, "rosetta-diff", 0);
    assert_query(&l.items[0].queries[0], "rosetta-diff", "int8.apr", "int4.apr", NULL);
    check_list_free(&l);

    l = expand_one(w, "parity-gpu", 0);
    assert_string_equal(l.items[0].name, "parity-gpu/smollm-135m");
    assert_query(&l.items[0].queries[0], "parity", "int4.gguf", NULL, NULL);
    check_list_free(&l);

    l = expand_one(w, "llamacpp-text", 2);
    assert_string_equal(l.items[0].name, "llamacpp-text/gpt2-124m/q8_0/arithmetic");
    assert_string_equal(l.items[4].name, "llamacpp-text/gpt2-124m/q4_0/arithmetic");
    assert_true(l.items[0].threshold == 3 && l.items[4].threshold == 5);
    assert_query(&l.items[4].queries[0], "llama-run", "q4_0.gguf", NULL, "arithmetic");
    check_list_free(&l);

    l = expand_one(w, "cross-runtime", 0);
    assert_string_equal(l.items[3].name, "cross-runtime/smollm-135m/greeting");
    assert_query(&l.items[3].queries[0], "run", "q8_0.gguf", NULL, "greeting");
    assert_query(&l.items[3].queries[1], "llama-run", "q8_0.gguf", NULL, "greeting");
    check_list_free(&l);
}

/* A pipeline whose prompts are not the original's still gets its two roundtrip checks. */
static void test_roundtrip_custom_prompts(void **state)
{
    world *w = *state;
    pipeline_prompt custom[3] = {{"a", "x"}, {"b", "y"}, {"c", "z"}};
    pipeline pl = w->pl;
    pl.prompts = custom;
    pl.n_prompts = 3;
    check_list l = {0};
    suite_find("roundtrip")->expand(&pl, &w->models[0], &l);
    assert_int_equal(l.count, 2);
    assert_string_equal(l.items[1].name, "roundtrip/smollm-135m/b");
    check_list_free(&l);
}

static void test_check_list_api(void **state)
{
    (void)state;
    check_list l = {0};
    char name[] = "x/y", model[] = "y";
    for (int i = 0; i < 100; i++) {
        check_spec *c = check_list_add(&l, "canary", name, model, NULL, i % 2 ? "code" : NULL, i);
        check_add_query(c, "run", "int8.apr", NULL, "code");
        check_add_query(c, "diff", "int8.apr", "int4.apr", NULL);
    }
    name[0] = 'z'; /* copied, not referenced */
    assert_int_equal(l.count, 100);
    assert_string_equal(l.items[99].name, "x/y");
    assert_string_equal(l.items[99].prompt, "code");
    assert_null(l.items[98].prompt);
    assert_int_equal(l.items[50].n_queries, 2);
    assert_int_equal(l.items[50].queries[1].n_artifacts, 2);
    check_list_free(&l);
    assert_int_equal(l.count, 0);
    check_list_free(&l);

    check_result r = {0};
    check_result_set(&r, CHECK_FAIL, "%d mismatches", 7);
    check_result_set(&r, CHECK_PASS, "replaced %s", "ok");
    assert_int_equal(r.status, CHECK_PASS);
    assert_string_equal(r.detail, "replaced ok");
    r.expected = cJSON_CreateObject();
    r.div.expected_text = xstrdup("a");
    check_result_free(&r);
    assert_null(r.detail);
    assert_null(r.expected);
}

/* ---- query_ok / query_json, through a suite with one query ---- */

static check_result judge_tensors(world *w, query_output q)
{
    return judge(w, "tensors", "tensors/smollm-135m/int4", &q);
}

/* A query read by several checks is parsed once: the next reader is given the first parse
 * (here, though the text changed underneath), which outlives every reader. */
static void test_query_json_parsed_once_for_every_reader(void **state)
{
    world *w = *state;
    stdout_json parsed = {0};
    query_output q = q_ok("[{\"name\": \"a\", \"shape\": [2, 3]}]");
    q.json = &parsed;
    check_result first = judge_tensors(w, q);
    assert_true(parsed.parsed);
    assert_true(cJSON_IsArray(parsed.doc) && cJSON_GetArraySize(parsed.doc) == 1);
    q.out = "not json";
    q.out_len = strlen(q.out);
    check_result again = judge_tensors(w, q);
    assert_int_equal(again.status, first.status);
    assert_string_equal(again.detail ? again.detail : "", first.detail ? first.detail : "");
    assert_true(cJSON_IsArray(parsed.doc) && cJSON_GetArraySize(parsed.doc) == 1);
    check_result_free(&first);
    check_result_free(&again);
    cJSON_Delete(parsed.doc);

    stdout_json none = {0};
    q.json = &none;
    check_result bad = judge_tensors(w, q);
    assert_int_equal(bad.status, CHECK_FAIL);
    assert_true(none.parsed);
    assert_null(none.doc);
    check_result_free(&bad);
}

static void test_query_ok_messages(void **state)
{
    world *w = *state;
    check_result r;
    const char *noisy =
        "[GH-187] Embedding check\nwarning: slow path\nerror: Invalid APR format: bad magic\nmore\n";

    r = judge_tensors(w, q_exit(4, "", noisy));
    assert_int_equal(r.status, CHECK_FAIL);
    assert_string_equal(r.detail, "apr tensors failed (exit 4): error: Invalid APR format: bad magic");
    check_result_free(&r);

    r = judge_tensors(
        w, q_exit(101, "",
                  "thread 'main' panicked at src/x.rs:1:1:\nboom\nnote: run with `RUST_BACKTRACE=1`\n"));
    assert_string_equal(r.detail,
                        "apr tensors failed (exit 101): thread 'main' panicked at src/x.rs:1:1: boom");
    check_result_free(&r);

    r = judge_tensors(w, q_exit(3, "", "loading\n  file not found: models/x.apr  \n\n"));
    assert_string_equal(r.detail, "apr tensors failed (exit 3):   file not found: models/x.apr  ");
    check_result_free(&r);

    r = judge_tensors(w, q_exit(2, "{\"partial\": true}", ""));
    assert_string_equal(r.detail, "apr tensors failed (exit 2)"); /* stdout is not a reason */
    check_result_free(&r);

    /* Capped at 300 code points, one line, valid UTF-8 whatever the engine printed. */
    strbuf long_err;
    sb_init(&long_err);
    sb_puts(&long_err, "error: ");
    for (int i = 0; i < 400; i++)
        sb_puts(&long_err, i == 10 ? "\xff" : "é");
    r = judge_tensors(w, q_exit(5, "", long_err.buf));
    const char *reason = strstr(r.detail, "error: ");
    unsigned *cps;
    assert_int_equal(utf8_decode(reason, strlen(reason), &cps, NULL), 300 + 1 /* "…" */);
    free(cps);
    assert_non_null(strstr(r.detail, "\xEF\xBF\xBD"));
    assert_non_null(strstr(r.detail, "…"));
    sb_free(&long_err);
    check_result_free(&r);

    query_output q = q_status(ST_SIGNAL, NULL);
    q.term_signal = SIGSEGV;
    r = judge_tensors(w, q);
    assert_string_equal(r.detail, "apr tensors killed by signal 11 (SIGSEGV)");
    check_result_free(&r);

    /* a timeout is no verdict on the engine: its own status, with the executor's reason */
    r = judge_tensors(w, q_status(ST_TIMEOUT, "timed out after 300 s (not cached)"));
    assert_int_equal(r.status, CHECK_TIMEOUT);
    assert_string_equal(r.detail, "apr tensors timed out after 300 s (not cached)");
    check_result_free(&r);
    r = judge_tensors(w, q_status(ST_TIMEOUT, NULL));
    assert_int_equal(r.status, CHECK_TIMEOUT);
    assert_string_equal(r.detail, "apr tensors timed out");
    check_result_free(&r);

    r = judge_tensors(w, q_status(ST_SPAWN_ERROR, "apr: Permission denied"));
    assert_string_equal(r.detail, "apr tensors could not be started: apr: Permission denied");
    check_result_free(&r);

    r = judge_tensors(w, q_status(ST_OUTPUT_LIMIT, NULL));
    assert_int_equal(r.status, CHECK_FAIL);
    assert_non_null(strstr(r.detail, "more output than tmgt keeps"));
    check_result_free(&r);

    r = judge_tensors(w, q_status(ST_SKIPPED, "int4.apr was not produced: apr import failed (exit 5)"));
    assert_int_equal(r.status, CHECK_SKIP);
    assert_string_equal(r.detail, "int4.apr was not produced: apr import failed (exit 5)");
    check_result_free(&r);

    r = judge_tensors(w, q_status(ST_UNAVAILABLE, "engine apr not found in PATH"));
    assert_int_equal(r.status, CHECK_SKIP);
    assert_string_equal(r.detail, "engine apr not found in PATH");
    check_result_free(&r);

    r = judge_tensors(w, q_status(ST_SKIPPED, NULL));
    assert_int_equal(r.status, CHECK_SKIP);
    assert_string_equal(r.detail, "apr tensors was not run");
    check_result_free(&r);
}

static void test_query_json_messages(void **state)
{
    world *w = *state;
    check_result r = judge_tensors(w, q_ok("Tensors: 272\n  model.embed_tokens.weight [49152, 576]\n"));
    assert_int_equal(r.status, CHECK_FAIL);
    assert_string_equal(
        r.detail, "apr tensors returned invalid JSON: Tensors: 272   model.embed_tokens.weight [49152, 576]");
    check_result_free(&r);
    r = judge_tensors(w, q_ok(""));
    assert_string_equal(r.detail, "apr tensors returned invalid JSON: (empty output)");
    check_result_free(&r);
    r = judge_tensors(w, q_ok("\x89PNG\r\n\x1a\xff\xfe"));
    assert_string_equal(r.detail, "apr tensors returned invalid JSON: (9 bytes, not UTF-8 text)");
    check_result_free(&r);
}

/* Properties of every check of the matrix: queries that could not run make a SKIP carrying
 * their reason; queries that ran out of time a TIMEOUT, never a FAIL; a crashed engine a FAIL;
 * a report without the fields a suite needs a FAIL naming the field, never a silent PASS
 * (docs/DESIGN.md, "Where tmgt deliberately differs" (a), (b)). */
static void test_every_check(void **state)
{
    world *w = *state;
    size_t n;
    const suite_def *const *all = suites_all(&n);
    check_list l = {0};
    for (size_t s = 0; s < n; s++)
        for (size_t m = 0; m < (all[s]->global ? 1 : N_MODELS); m++)
            all[s]->expand(&w->pl, all[s]->global ? NULL : &w->models[m], &l);
    assert_int_equal(l.count, 175 + 2 * 36);
    w->gpu = true;
    for (size_t i = 0; i < l.count; i++) {
        const check_spec *c = &l.items[i];
        query_output q[MAX_CHECK_QUERIES];
        check_result r;

        for (size_t k = 0; k < c->n_queries; k++)
            q[k] = q_status(ST_SKIPPED, "input could not be produced");
        r = judge(w, c->suite, c->name, q);
        if (r.status != CHECK_SKIP || !strstr(r.detail, "input could not be produced"))
            fail_msg("%s: %s", c->name, r.detail);
        check_result_free(&r);

        for (size_t k = 0; k < c->n_queries; k++)
            q[k] = q_status(ST_TIMEOUT, NULL);
        r = judge(w, c->suite, c->name, q);
        if (r.status != CHECK_TIMEOUT || !strstr(r.detail, "timed out"))
            fail_msg("%s: %s", c->name, r.detail);
        check_result_free(&r);

        for (size_t k = 0; k < c->n_queries; k++)
            q[k] = q_ok("{}");
        r = judge(w, c->suite, c->name, q);
        bool text_only = strcmp(c->suite, "llamacpp-text") == 0;
        if (r.status != CHECK_FAIL || (!text_only && !strstr(r.detail, "has no \"")))
            fail_msg("%s: %s", c->name, r.detail);
        check_result_free(&r);

        for (size_t k = 0; k < c->n_queries; k++)
            q[k] = q_ok("");
        r = judge(w, c->suite, c->name, q);
        if (r.status != CHECK_FAIL)
            fail_msg("%s: %s", c->name, r.detail);
        check_result_free(&r);
    }
    w->gpu = false;
    check_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_expand_counts),
        cmocka_unit_test(test_expand_names_and_queries),
        cmocka_unit_test(test_roundtrip_custom_prompts),
        cmocka_unit_test(test_check_list_api),
        cmocka_unit_test(test_query_ok_messages),
        cmocka_unit_test(test_query_json_parsed_once_for_every_reader),
        cmocka_unit_test(test_query_json_messages),
        cmocka_unit_test(test_every_check),
    };
    return cmocka_run_group_tests(tests, world_setup, world_teardown);
}
