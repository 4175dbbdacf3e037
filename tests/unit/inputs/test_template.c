#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

static char *argv_join(char **argv)
{
    strbuf sb;
    sb_init(&sb);
    for (char **p = argv; *p; p++)
        sb_printf(&sb, "%s[%s]", p == argv ? "" : " ", *p);
    return sb_detach(&sb);
}

static int expand(char *const *tmpl, size_t n, const cJSON *vars, bool symbolic, char **joined,
                  tmgt_error *err)
{
    const char *names[] = {"model", "a"};
    const char *paths[] = {"/m/int4.apr", "/m/int8.apr"};
    const cJSON *scopes[] = {vars};
    template_env env = {.in_names = names,
                        .in_paths = paths,
                        .n_in = 2,
                        .out = "/stage/out.gguf",
                        .prompt = "What is 2+2? Answer:",
                        .model = "smol",
                        .scopes = scopes,
                        .n_scopes = 1,
                        .symbolic_paths = symbolic};
    char **argv = NULL;
    size_t argc = 0;
    int rc = template_expand(tmpl, n, &env, &argv, &argc, err);
    if (rc == 0) {
        *joined = argv_join(argv);
        template_free_argv(argv);
    }
    return rc;
}

static void test_expands_inputs_prompt_vars_and_splices(void **state)
{
    cJSON *vars = cJSON_Parse("{\"quant\":\"int4\",\"flags\":[\"--skip-contract\",\"-v\"],\"none\":[]}");
    char *tmpl[] = {"run",     "{in:model}", "{prompt}", "--q={quant}", "{@flags}",
                    "{@none}", "-o",         "{out}",    "{{x}}"};
    char *joined = NULL;
    tmgt_error err = {{0}};
    assert_int_equal(expand(tmpl, 9, vars, false, &joined, &err), 0);
    assert_string_equal(joined,
                        "[run] [/m/int4.apr] [What is 2+2? Answer:] [--q=int4] [--skip-contract] [-v] [-o] "
                        "[/stage/out.gguf] [{x}]");
    free(joined);
    assert_int_equal(expand(tmpl, 9, vars, true, &joined, &err), 0);
    assert_non_null(strstr(joined, "[{in:model}]"));
    assert_non_null(strstr(joined, "[{out}]"));
    free(joined);
    cJSON_Delete(vars);
}

static void test_errors_name_the_argument(void **state)
{
    cJSON *vars = cJSON_Parse("{\"flags\":[\"a\"]}");
    tmgt_error err = {{0}};
    char *joined = NULL;
    char *unknown[] = {"x", "{nope}"};
    assert_int_equal(expand(unknown, 2, vars, false, &joined, &err), -1);
    assert_string_equal(err.msg, "argv[1]: unknown variable {nope}");
    char *list_inline[] = {"--f={flags}"};
    assert_int_equal(expand(list_inline, 1, vars, false, &joined, &err), -1);
    assert_non_null(strstr(err.msg, "not a string"));
    char *open[] = {"{in:model"};
    assert_int_equal(expand(open, 1, vars, false, &joined, &err), -1);
    assert_non_null(strstr(err.msg, "unterminated"));
    char *bad_input[] = {"{in:zzz}"};
    assert_int_equal(expand(bad_input, 1, vars, false, &joined, &err), -1);
    assert_non_null(strstr(err.msg, "unknown input {in:zzz}"));
    cJSON_Delete(vars);
}

static void test_lists_inputs_in_first_use_order(void **state)
{
    char *tmpl[] = {"diff", "{in:b}", "{in:a}", "--again={in:b}"};
    size_t n = 0;
    char **names = template_inputs(tmpl, 4, &n);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "b");
    assert_string_equal(names[1], "a");
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* {oracle} is an input bound by the planner: its path when run, symbolic in the key, and an error
 * for a step that is given none. */
static void test_oracle_is_an_input_of_its_own(void **state)
{
    const char *names[] = {"model", TEMPLATE_ORACLE_INPUT};
    const char *paths[] = {"/m/q8_0.gguf", "/oracle/smol/code.json"};
    char *tmpl[] = {"-m", "{in:model}", "--teacher-oracle", "{oracle}"};
    template_env env = {.in_names = names, .in_paths = paths, .n_in = 2};
    char **argv = NULL;
    size_t argc = 0;
    tmgt_error err = {{0}};
    assert_int_equal(template_expand(tmpl, 4, &env, &argv, &argc, &err), 0);
    assert_string_equal(argv[3], "/oracle/smol/code.json");
    template_free_argv(argv);
    env.symbolic_paths = true;
    assert_int_equal(template_expand(tmpl, 4, &env, &argv, &argc, &err), 0);
    assert_string_equal(argv[3], "{oracle}");
    template_free_argv(argv);
    env.n_in = 1;
    assert_int_equal(template_expand(tmpl, 4, &env, &argv, &argc, &err), -1);
    assert_string_equal(err.msg, "argv[3]: {oracle} used by a step that reads no prompt's oracle");
    assert_true(template_reads_oracle(tmpl, 4));
    assert_false(template_reads_oracle(tmpl, 2));
    size_t n = 0;
    char **inputs = template_inputs(tmpl, 4, &n); /* the recipe binds {in:…} only */
    assert_int_equal(n, 1);
    free(inputs[0]);
    free(inputs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oracle_is_an_input_of_its_own),
        cmocka_unit_test(test_expands_inputs_prompt_vars_and_splices),
        cmocka_unit_test(test_errors_name_the_argument),
        cmocka_unit_test(test_lists_inputs_in_first_use_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
