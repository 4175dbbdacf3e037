/* The spliced results document: the earlier document's bytes where nothing was judged again, the
 * part's entries where it was, counts and models made over; and nothing written when the two do
 * not fit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "json_stream.h"
#include "results_splice.h"

static cJSON *check(const char *model, const char *prompt, const char *status, const char *detail)
{
    cJSON *c = cJSON_CreateObject();
    char *name = xasprintf("token-parity/%s/int8/%s", model, prompt);
    cJSON_AddStringToObject(c, "name", name);
    free(name);
    cJSON_AddStringToObject(c, "suite", "token");
    cJSON_AddStringToObject(c, "model", model);
    cJSON_AddStringToObject(c, "prompt", prompt);
    cJSON_AddStringToObject(c, "status", status);
    cJSON_AddStringToObject(c, "detail", detail);
    cJSON *tokens = cJSON_AddArrayToObject(c, "expected");
    for (int i = 0; i < 3; i++)
        cJSON_AddItemToArray(tokens, cJSON_CreateNumber(i));
    return c;
}

static cJSON *model(const char *slug, const char *oracle_digest)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "slug", slug);
    cJSON_AddObjectToObject(m, "oracle");
    cJSON_AddStringToObject(cJSON_GetObjectItem(m, "oracle"), "sha", oracle_digest);
    return m;
}

/* A results document as results_build lays it out: `checks` given, pass/fail counted. */
static cJSON *document(const char *started, cJSON *models, cJSON *checks)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "format", 1);
    cJSON_AddStringToObject(d, "started_at", started);
    cJSON_AddNumberToObject(d, "wall_ms", 7);
    cJSON_AddItemToObject(d, "engines", cJSON_CreateArray());
    cJSON_AddItemToObject(d, "models", models);
    cJSON *suites = cJSON_AddArrayToObject(d, "suites");
    cJSON_AddItemToArray(suites, cJSON_CreateString("token"));
    int pass = 0, fail = 0;
    const cJSON *c;
    cJSON_ArrayForEach (c, checks) {
        pass += !strcmp(cJSON_GetObjectItem(c, "status")->valuestring, "PASS");
        fail += !strcmp(cJSON_GetObjectItem(c, "status")->valuestring, "FAIL");
    }
    cJSON *counts = cJSON_AddObjectToObject(d, "counts");
    cJSON_AddNumberToObject(counts, "pass", pass);
    cJSON_AddNumberToObject(counts, "fail", fail);
    cJSON_AddNumberToObject(counts, "timeout", 0);
    cJSON_AddNumberToObject(counts, "skip", 0);
    cJSON_AddNumberToObject(counts, "total", pass + fail);
    cJSON_AddNumberToObject(d, "actions_executed", 0);
    cJSON_AddNumberToObject(d, "actions_cached", 4);
    cJSON_AddNumberToObject(d, "actions_failed", 0);
    cJSON_AddNumberToObject(d, "actions_skipped", 0);
    cJSON_AddItemToObject(d, "checks", checks);
    cJSON *acts = cJSON_AddArrayToObject(d, "actions");
    cJSON_AddItemToArray(acts, cJSON_CreateString("an action the part does not list"));
    return d;
}

static cJSON *earlier_checks(void)
{
    cJSON *checks = cJSON_CreateArray();
    cJSON_AddItemToArray(checks, check("a", "code", "PASS", "0/3 mismatches"));
    cJSON_AddItemToArray(checks, check("a", "chat", "PASS", "0/3 mismatches"));
    cJSON_AddItemToArray(checks, check("b", "code", "PASS", "0/3 mismatches"));
    cJSON_AddItemToArray(checks, check("b", "chat", "PASS", "0/3 \"quoted\" mismatches"));
    return checks;
}

static cJSON *both_models(const char *a_digest)
{
    cJSON *models = cJSON_CreateArray();
    cJSON_AddItemToArray(models, model("a", a_digest));
    cJSON_AddItemToArray(models, model("b", "b1"));
    return models;
}

typedef struct {
    char *dir, *earlier;
} world;

static void make_world(world *w, const cJSON *earlier)
{
    char tmpl[] = "/tmp/tmgt-splice-test-XXXXXX";
    w->dir = xstrdup(mkdtemp(tmpl));
    w->earlier = path_join(w->dir, "run-0.json");
    tmgt_error err = {{0}};
    assert_int_equal(json_stream_write_atomic(earlier, w->earlier, 0644, &err), 0);
}

static void end_world(world *w)
{
    remove_tree(w->dir);
    free(w->dir);
    free(w->earlier);
}

static const char *const model_a[] = {"a"}, *const prompt_code[] = {"code"};

/* The splice of a part that judged `again` (a's checks of prompt code), a's oracle now "a2". */
static int splice_with(const world *w, cJSON *again, char **written, cJSON **summary, tmgt_error *err)
{
    cJSON *part_models = cJSON_CreateArray();
    cJSON_AddItemToArray(part_models, model("a", "a2"));
    cJSON *part = document("t1", part_models, again);
    rejudged_checks which = {model_a, prompt_code, 1, 1};
    int rc = results_splice(w->earlier, part, &which, w->dir, written, summary, err);
    cJSON_Delete(part);
    return rc;
}

static void test_the_checks_judged_again_replace_theirs_and_the_rest_is_copied(void **state)
{
    cJSON *earlier = document("t0", both_models("a1"), earlier_checks());
    world w;
    make_world(&w, earlier);
    cJSON *again = cJSON_CreateArray();
    cJSON_AddItemToArray(again, check("a", "code", "FAIL", "3/3 mismatches"));
    char *written = NULL;
    cJSON *summary = NULL;
    tmgt_error err = {{0}};
    assert_int_equal(splice_with(&w, again, &written, &summary, &err), 0);

    /* what a whole run would write: the earlier document with a/code's verdict and a's oracle
     * replaced, the counts made over, the part's own header */
    cJSON *whole_checks = earlier_checks();
    cJSON_ReplaceItemInArray(whole_checks, 0, check("a", "code", "FAIL", "3/3 mismatches"));
    cJSON *whole = document("t1", both_models("a2"), whole_checks);
    char *expected = json_stream_text(whole, true);
    char *got = NULL;
    size_t len = 0;
    assert_int_equal(read_file(written, &got, &len, NULL), 0);
    assert_string_equal(got, expected);
    /* the summary holds what the console reads, the failure's detail included */
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(summary, "checks"), 0);
    assert_string_equal(cJSON_GetObjectItem(first, "detail")->valuestring, "3/3 mismatches");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(summary, "checks")), 4);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(summary, "counts"), "fail")->valueint, 1);
    free(got);
    free(expected);
    free(written);
    cJSON_Delete(summary);
    cJSON_Delete(whole);
    cJSON_Delete(earlier);
    end_world(&w);
}

static size_t documents_in(const char *dir)
{
    char *latest = path_join(dir, "latest.json");
    size_t n = path_exists(latest);
    free(latest);
    return n;
}

/* The part judged a check the earlier document does not have (another name), or none at all. */
static void test_documents_that_do_not_fit_are_refused_and_nothing_is_written(void **state)
{
    cJSON *earlier = document("t0", both_models("a1"), earlier_checks());
    world w;
    make_world(&w, earlier);
    for (int judged = 0; judged < 2; judged++) {
        cJSON *again = cJSON_CreateArray();
        if (judged) {
            cJSON *other = check("a", "code", "PASS", "0/3 mismatches");
            cJSON_ReplaceItemInObject(other, "name", cJSON_CreateString("token-parity/a/int4/code"));
            cJSON_AddItemToArray(again, other);
        }
        char *written = NULL;
        cJSON *summary = NULL;
        tmgt_error err = {{0}};
        assert_int_equal(splice_with(&w, again, &written, &summary, &err), -1);
        assert_non_null(strstr(err.msg, "the rerun"));
        assert_null(written);
        assert_null(summary);
        assert_int_equal(documents_in(w.dir), 0);
    }
    cJSON_Delete(earlier);
    end_world(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_checks_judged_again_replace_theirs_and_the_rest_is_copied),
        cmocka_unit_test(test_documents_that_do_not_fit_are_refused_and_nothing_is_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
