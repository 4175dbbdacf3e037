/* A fake world for the suite tests: the three-model pipeline of the original harness, the real
 * oracle files, engine outputs from tests/data/engine-outputs, and a helper that expands a
 * suite, finds one check by name and judges it on given outputs. Header-only: every
 * tests/unit/<layer>/test_*.c file builds into its own executable. */
#ifndef TMGT_TEST_SUITES_FIXTURE_H
#define TMGT_TEST_SUITES_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "fs.h"
#include "json_lenient.h"
#include "oracle.h"
#include "pipeline.h"
#include "source_files.h"
#include "suites.h"
#include "utf8.h"
#include "util.h"

#define N_MODELS 3
#define N_PROMPTS 4

typedef struct {
    pipeline pl;
    pipeline_prompt prompts[N_PROMPTS];
    pipeline_model models[N_MODELS];
    oracle_set *oracles[N_MODELS];
    bool gpu;
} world;

static inline char *fixture(const char *name)
{
    char *rel = xasprintf("tests/data/engine-outputs/%s", name);
    char *data = read_source_file(rel, NULL);
    free(rel);
    return data;
}

static inline void world_init(world *w)
{
    static const char *const keys[N_PROMPTS] = {"arithmetic", "code", "completion", "greeting"};
    static const char *const texts[N_PROMPTS] = {
        "What is 2+2? Answer:", "def fibonacci(n):", "The capital of France is", "Hello, my name is"};
    static const struct {
        const char *slug, *arch;
        int layers, heads, kv, hidden, vocab;
        double ceiling;
    } meta[N_MODELS] = {
        {"smollm-135m", "llama", 30, 9, 3, 576, 49152, 20.0},
        {"qwen2-0.5b", "qwen2", 24, 14, 2, 896, 151936, 15.0},
        {"gpt2-124m", "gpt2", 12, 12, 12, 768, 50257, 30.0},
    };
    memset(w, 0, sizeof *w);
    for (size_t i = 0; i < N_PROMPTS; i++) {
        w->prompts[i].key = (char *)keys[i];
        w->prompts[i].text = (char *)texts[i];
    }
    for (size_t i = 0; i < N_MODELS; i++) {
        pipeline_model *m = &w->models[i];
        m->slug = (char *)meta[i].slug;
        m->meta = (model_metadata){(char *)meta[i].arch, meta[i].layers, meta[i].heads,  meta[i].kv,
                                   meta[i].hidden,       meta[i].vocab,  meta[i].ceiling};
        char *dir = xasprintf("%s/oracle/%s", source_dir(), m->slug);
        tmgt_error err;
        w->oracles[i] = oracle_load(dir, m->slug, keys, N_PROMPTS, &err);
        if (!w->oracles[i])
            fail_msg("%s", err.msg);
        free(dir);
    }
    w->pl.prompts = w->prompts;
    w->pl.n_prompts = N_PROMPTS;
    w->pl.models = w->models;
    w->pl.n_models = N_MODELS;
}

static inline void world_free(world *w)
{
    for (size_t i = 0; i < N_MODELS; i++)
        oracle_free(w->oracles[i]);
}

static inline query_output q_ok(const char *out)
{
    return (query_output){.status = ST_OK, .out = out, .out_len = strlen(out), .err = ""};
}

static inline query_output q_exit(int code, const char *out, const char *err)
{
    return (query_output){.status = ST_EXIT,
                          .exit_code = code,
                          .out = out,
                          .out_len = strlen(out),
                          .err = err,
                          .err_len = strlen(err)};
}

static inline query_output q_status(action_status status, const char *reason)
{
    return (query_output){.status = status, .out = "", .err = "", .reason = reason};
}

/* Expands `suite_key` over the world (commands are named like the executor names them: "apr run",
 * "llama-completion"), judges the check called `name` on `outs` (one per query,
 * in the order the suite's expand added them) and returns its result. */
static inline check_result judge(world *w, const char *suite_key, const char *name, const query_output *outs)
{
    const suite_def *s = suite_find(suite_key);
    check_list list = {0};
    check_result r = {0};
    assert_non_null(s);
    if (s->global)
        s->expand(&w->pl, NULL, &list);
    for (size_t i = 0; !s->global && i < N_MODELS; i++)
        s->expand(&w->pl, &w->models[i], &list);
    const check_spec *spec = NULL;
    for (size_t i = 0; i < list.count; i++)
        if (strcmp(list.items[i].name, name) == 0)
            spec = &list.items[i];
    if (!spec)
        fail_msg("no check named %s", name);
    check_ctx ctx = {.pl = &w->pl, .spec = spec, .gpu_available = w->gpu};
    for (size_t i = 0; i < N_MODELS; i++) {
        if (strcmp(w->models[i].slug, spec->model) == 0) {
            ctx.model = &w->models[i];
            ctx.oracle = oracle_find(w->oracles[i], spec->prompt);
        }
    }
    stdout_json parsed[MAX_CHECK_QUERIES] = {{0}};
    for (size_t i = 0; i < spec->n_queries; i++) {
        query_output *q = xmalloc(sizeof *q);
        *q = outs[i];
        if (!q->json)
            q->json = &parsed[i];
        const char *step = spec->queries[i].step;
        q->command = strncmp(step, "llama", 5) == 0 ? xstrdup("llama-completion") : xasprintf("apr %s", step);
        ctx.q[i] = q;
    }
    s->evaluate(&ctx, &r);
    for (size_t i = 0; i < spec->n_queries; i++) {
        free((char *)ctx.q[i]->command);
        free((void *)ctx.q[i]);
        cJSON_Delete(parsed[i].doc);
    }
    check_list_free(&list);
    assert_non_null(r.detail);
    return r;
}

#define assert_status(r, st, text)                                             \
    do {                                                                       \
        if ((r).status != (st) || !strstr((r).detail, (text)))                 \
            fail_msg("expected %s containing \"%s\", got %s: %s", #st, (text), \
                     check_status_name((r).status), (r).detail);               \
    } while (0)

/* The document printed back as engine output (for variants of the fixtures). */
static inline char *printed(cJSON *doc)
{
    char *s = cJSON_Print(doc);
    cJSON_Delete(doc);
    return s;
}

static inline cJSON *parsed_fixture(const char *name)
{
    char *text = fixture(name);
    cJSON *doc = json_parse_lenient(text, strlen(text), NULL);
    free(text);
    assert_non_null(doc);
    return doc;
}

/* cmocka group setup/teardown owning one world. */
static inline int world_setup(void **state)
{
    world *w = xmalloc(sizeof *w);
    world_init(w);
    *state = w;
    return 0;
}

static inline int world_teardown(void **state)
{
    world_free(*state);
    free(*state);
    return 0;
}

/* Judges a one-query check on the given stdout. */
static inline check_result on(world *w, const char *suite, const char *name, const char *out)
{
    query_output q = q_ok(out);
    return judge(w, suite, name, &q);
}

/* Judges a one-query check on a fixture after `edit` (may be NULL) changed it. */
static inline check_result on_fixture(world *w, const char *suite, const char *name, const char *file,
                                      void (*edit)(cJSON *doc))
{
    cJSON *doc = parsed_fixture(file);
    if (edit)
        edit(doc);
    char *out = printed(doc);
    check_result r = on(w, suite, name, out);
    free(out);
    return r;
}

/* Appends {k1: v1, k2: v2, …} (string values; NULL-terminated pairs) to the list doc[list]. */
static inline void append_entry(cJSON *doc, const char *list, const char *const *pairs)
{
    cJSON *e = cJSON_CreateObject();
    for (; pairs[0]; pairs += 2)
        cJSON_AddStringToObject(e, pairs[0], pairs[1]);
    cJSON_AddItemToArray(cJSON_GetObjectItem(doc, list), e);
}

static inline void expect(check_result r, check_status st, const char *text)
{
    assert_status(r, st, text);
    check_result_free(&r);
}

#endif
