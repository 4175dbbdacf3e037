/* The action key: everything that can change an action's result changes it, and nothing else
 * does (or a moved checkout, another shell, a relabelled check would miss the cache). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action_key.h"
#include "exec_world.h"
#include "fs.h"

typedef struct {
    exec_world w;
    artifact *src;
    action *a;
} keyed;

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* `apr run` of one source file with one prompt. */
static void setup(keyed *k, const char *source_name, const char *content)
{
    world_init(&k->w);
    char *path = path_join(k->w.dir, source_name);
    write_text(path, content);
    k->src = graph_add_artifact(&k->w.g, "m", "@source", path);
    free(path);
    k->a = world_action(&k->w, "code", world_step(&k->w, "run", false, false));
    graph_add_input(k->a, "model", k->src);
}

static digest key_of(keyed *k, const char *salt, cJSON **components)
{
    tmgt_error err = {{0}};
    k->src->have_digest = false;
    cJSON *comp = action_compute_key(k->a, k->w.c, salt, &err);
    assert_non_null(comp);
    if (components)
        *components = comp;
    else
        cJSON_Delete(comp);
    return k->a->key;
}

static void test_what_changes_a_key(void **state)
{
    keyed k;
    setup(&k, "model.bin", "weights v1");
    digest base = key_of(&k, NULL, NULL);
    assert_string_equal(key_of(&k, NULL, NULL).hex, base.hex); /* deterministic */

    assert_string_not_equal(key_of(&k, "another salt", NULL).hex, base.hex);

    k.a->prompt_text = "greeting"; /* the prompt is on the command line */
    assert_string_not_equal(key_of(&k, NULL, NULL).hex, base.hex);
    k.a->prompt_text = "code";

    write_text(k.src->path, "weights v2"); /* the input's content */
    assert_string_not_equal(key_of(&k, NULL, NULL).hex, base.hex);
    write_text(k.src->path, "weights v1");
    assert_string_equal(key_of(&k, NULL, NULL).hex, base.hex);

    digest identity = k.w.eng.identity;
    hash_bytes("another build", 13, &k.w.eng.identity); /* the engine binary */
    assert_string_not_equal(key_of(&k, NULL, NULL).hex, base.hex);
    k.w.eng.identity = identity;

    char *env[] = {"APR_THREADS=2"}; /* the engine profile's own environment */
    k.w.def.env = env;
    k.w.def.n_env = 1;
    assert_string_not_equal(key_of(&k, NULL, NULL).hex, base.hex);
    k.w.def.n_env = 0;

    pipeline_step *step = &k.w.steps[0]; /* the step's name and its template */
    char *name = step->name;
    step->name = "other";
    assert_string_not_equal(key_of(&k, NULL, NULL).hex, base.hex);
    step->name = name;
    assert_string_equal(key_of(&k, NULL, NULL).hex, base.hex);
    world_free(&k.w);
}

static void test_what_must_not_change_a_key(void **state)
{
    keyed here, there;
    setup(&here, "model.bin", "weights v1");
    setup(&there, "elsewhere.bin", "weights v1"); /* another checkout, same bytes */
    digest a = key_of(&here, NULL, NULL);
    assert_string_equal(key_of(&there, NULL, NULL).hex, a.hex);

    free(here.a->label); /* how a check names the action */
    here.a->label = strdup("a different label");
    setenv("TMGT_UNIT_TEST_UNRELATED", "1", 1); /* the caller's shell */
    assert_string_equal(key_of(&here, NULL, NULL).hex, a.hex);
    unsetenv("TMGT_UNIT_TEST_UNRELATED");

    /* The identity record's name follows the invocation, not its inputs: it finds the last key. */
    digest id_before, id_after;
    action_identity_key(here.a, &id_before);
    write_text(here.src->path, "weights v2");
    key_of(&here, NULL, NULL);
    action_identity_key(here.a, &id_after);
    assert_string_equal(id_before.hex, id_after.hex);
    world_free(&here.w);
    world_free(&there.w);
}

static void test_explain_names_what_changed(void **state)
{
    keyed k;
    setup(&k, "model.bin", "weights v1");
    cJSON *before, *now;
    key_of(&k, NULL, &before);
    write_text(k.src->path, "weights v2");
    hash_bytes("another build", 13, &k.w.eng.identity);
    free(k.w.eng.version);
    k.w.eng.version = strdup("fake 2.0");
    key_of(&k, "salt", &now);
    char *why = action_explain_change(before, now);
    assert_non_null(strstr(why, "engine fake changed (fake 1.0 → fake 2.0)"));
    assert_non_null(strstr(why, "input model changed ("));
    assert_non_null(strstr(why, "TMGT_CACHE_SALT changed"));
    assert_null(strstr(why, "command line"));
    free(why);
    why = action_explain_change(NULL, now);
    assert_string_equal(why, "never run with this cache");
    free(why);
    why = action_explain_change(now, now);
    assert_string_equal(why, "no cached result for this key (removed, or produced elsewhere)");
    free(why);
    cJSON_Delete(before);
    cJSON_Delete(now);
    world_free(&k.w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_what_changes_a_key),
        cmocka_unit_test(test_what_must_not_change_a_key),
        cmocka_unit_test(test_explain_names_what_changed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
