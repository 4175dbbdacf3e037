/* The planner on the simulator's pipeline: the selection decides the checks, and every engine
 * invocation that several checks need is one action. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "template.h"

typedef struct {
    pipeline *pl;
    engine *engines;
    plan p;
} planned;

/* Plans `sel` with every engine of the pipeline present (none runs: nothing is executed). */
static int plan_selection(planned *x, selection *sel, tmgt_error *err)
{
    x->pl = pipeline_load("tests/sim/pipeline.json", err);
    if (!x->pl)
        fail_msg("%s", err->msg);
    x->engines = calloc(x->pl->n_engines + 1, sizeof *x->engines);
    for (size_t i = 0; i < x->pl->n_engines; i++) {
        x->engines[i].def = &x->pl->engines[i];
        x->engines[i].path = strdup("/bin/true");
        x->engines[i].version = strdup("sim");
    }
    return plan_build(&x->p, x->pl, sel, x->engines, err);
}

static void planned_free(planned *x)
{
    plan_free(&x->p);
    for (size_t i = 0; i < x->pl->n_engines; i++)
        engine_free(&x->engines[i]);
    free(x->engines);
    pipeline_free(x->pl);
}

static bool same_query(const query_spec *a, const query_spec *b, const char *model_a, const char *model_b)
{
    if (strcmp(a->step, b->step) || strcmp(model_a, model_b) || a->n_artifacts != b->n_artifacts)
        return false;
    for (size_t i = 0; i < a->n_artifacts; i++)
        if (strcmp(a->artifacts[i], b->artifacts[i]))
            return false;
    return (!a->prompt && !b->prompt) || (a->prompt && b->prompt && !strcmp(a->prompt, b->prompt));
}

static void test_identical_invocations_are_one_action(void **state)
{
    char *suites[] = {"canary", "token"};
    selection sel = {.suites = suites, .n_suites = 2};
    planned x;
    tmgt_error err = {{0}};
    assert_int_equal(plan_selection(&x, &sel, &err), 0);
    size_t references = 0, shared = 0;
    for (size_t c = 0; c < x.p.checks.count; c++) {
        const check_spec *cs = &x.p.checks.items[c];
        for (size_t q = 0; q < cs->n_queries; q++) {
            references++;
            for (size_t d = 0; d < x.p.checks.count; d++) {
                const check_spec *other = &x.p.checks.items[d];
                for (size_t r = 0; r < other->n_queries; r++) {
                    bool same = same_query(&cs->queries[q], &other->queries[r], cs->model, other->model);
                    assert_int_equal(x.p.check_actions[c][q] == x.p.check_actions[d][r], same);
                    shared += same && (c != d || q != r);
                }
            }
        }
    }
    assert_true(shared > 0); /* canary and token ask the same runs */
    size_t queries = 0;
    for (size_t i = 0; i < x.p.g.n_actions; i++)
        queries += x.p.g.actions[i]->output == NULL;
    assert_true(queries < references);
    planned_free(&x);
}

static void test_the_selection_decides_the_checks(void **state)
{
    char *models[] = {"qwen2-0.5b"};
    char *suites[] = {"canary"};
    selection sel = {.models = models, .n_models = 1, .suites = suites, .n_suites = 1};
    planned x;
    tmgt_error err = {{0}};
    assert_int_equal(plan_selection(&x, &sel, &err), 0);
    assert_int_equal(x.p.n_suites, 1);
    assert_string_equal(x.p.suites[0]->key, "canary");
    assert_true(x.p.checks.count > 0);
    for (size_t c = 0; c < x.p.checks.count; c++) {
        assert_string_equal(x.p.checks.items[c].suite, "canary");
        assert_string_equal(x.p.checks.items[c].model, "qwen2-0.5b");
    }
    for (size_t i = 0; i < x.p.g.n_actions; i++)
        assert_string_equal(x.p.g.actions[i]->model->slug, "qwen2-0.5b");
    planned_free(&x);
}

static void test_convert_plans_every_recipe_and_no_check(void **state)
{
    char *models[] = {"smollm-135m"};
    selection sel = {.models = models, .n_models = 1, .conversions_only = true};
    planned x;
    tmgt_error err = {{0}};
    assert_int_equal(plan_selection(&x, &sel, &err), 0);
    assert_int_equal(x.p.checks.count, 0);
    for (size_t r = 0; r < x.pl->n_artifacts; r++) {
        char *id = xasprintf("smollm-135m/%s", x.pl->artifacts[r].name);
        artifact *t = graph_find_artifact(&x.p.g, id);
        assert_non_null(t);
        assert_non_null(t->producer);
        free(id);
    }
    planned_free(&x);
}

/* The session refuses such a selection (a usage error) before anything is planned. */
static void test_an_unknown_model_is_a_problem_naming_it(void **state)
{
    char *models[] = {"no-such-model"};
    selection sel = {.models = models, .n_models = 1};
    tmgt_error err = {{0}};
    pipeline *pl = pipeline_load("tests/sim/pipeline.json", &err);
    if (!pl)
        fail_msg("%s", err.msg);
    char *problem = selection_problem(&sel, pl);
    assert_non_null(problem);
    assert_non_null(strstr(problem, "no-such-model"));
    free(problem);
    models[0] = "qwen2-0.5b";
    assert_null(selection_problem(&sel, pl));
    pipeline_free(pl);
}

/* The probe's {oracle} is the model's oracle file for the query's prompt, one input per action
 * (so its digest is in the key), and only where the step names it. */
static void test_a_step_reading_the_oracle_gets_its_prompts_file(void **state)
{
    char *models[] = {"smollm-135m"};
    char *suites[] = {"logit-parity"};
    selection sel = {.models = models, .n_models = 1, .suites = suites, .n_suites = 1};
    planned x;
    tmgt_error err = {{0}};
    assert_int_equal(plan_selection(&x, &sel, &err), 0);
    size_t probes = 0;
    for (size_t i = 0; i < x.p.g.n_actions; i++) {
        const action *a = x.p.g.actions[i];
        size_t oracles = 0;
        for (size_t j = 0; j < a->n_inputs; j++) {
            if (strcmp(a->in_names[j], TEMPLATE_ORACLE_INPUT) != 0)
                continue;
            char *path = xasprintf("oracle/smollm-135m/%s.json", a->prompt_key);
            assert_non_null(strstr(a->inputs[j]->path, path));
            assert_null(a->inputs[j]->producer);
            free(path);
            oracles++;
        }
        bool probe = a->step && !strcmp(a->step->name, "llama-probe");
        assert_int_equal(oracles, probe);
        probes += probe;
    }
    assert_int_equal(probes, 12); /* f16, q8_0 and q4_0, four prompts each */
    planned_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_step_reading_the_oracle_gets_its_prompts_file),
        cmocka_unit_test(test_identical_invocations_are_one_action),
        cmocka_unit_test(test_the_selection_decides_the_checks),
        cmocka_unit_test(test_convert_plans_every_recipe_and_no_check),
        cmocka_unit_test(test_an_unknown_model_is_a_problem_naming_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
