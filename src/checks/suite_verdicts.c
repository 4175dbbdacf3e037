/* The suites that read apr's own verdict lists (Claims 10, 12, 13, 20): validate checks, lint
 * issues, `apr check` stages and qa gates. They share one shape: a list of items, some of which
 * count against the model, named in the detail. */
#include <stdlib.h>

#include "suite_common.h"
#include "util.h"

#define NAMES_SHOWN 5

typedef bool (*item_test)(const cJSON *item);

/* Counts the items for which `test` holds and, unless names is NULL, joins the first few of
 * their names into it. */
static size_t collect(const cJSON *list, item_test test, const char *const *name_keys, size_t shown,
                      strbuf *names)
{
    size_t n = 0;
    const cJSON *item;
    if (names)
        sb_init(names);
    cJSON_ArrayForEach (item, list) {
        if (!test(item))
            continue;
        if (names && n < shown) {
            const cJSON *name = json_first(item, name_keys);
            char *s = cJSON_IsString(name) ? xstrdup(name->valuestring)
                      : name               ? json_brief(name, 80)
                                           : xstrdup("?");
            sb_printf(names, "%s%s", n ? ", " : "", s);
            free(s);
        } else if (names && n == shown) {
            sb_puts(names, ", …");
        }
        n++;
    }
    if (names && !names->buf)
        sb_puts(names, "");
    return n;
}

static bool item_status_fails(const cJSON *item)
{
    static const char *const keys[] = {"status", "passed", NULL};
    return !status_passes(json_first(item, keys));
}

static bool item_skipped(const cJSON *item)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "skipped"));
}

static bool item_executed(const cJSON *item)
{
    return !item_skipped(item);
}

static const char *const item_names[] = {"name", "id", "check", "gate", NULL};

/* ---- validate ---- */

static void validate_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    expand_per_apr_quant(m, out, &suite_validate, "validate", 0);
}

static void judge_check_map(check_result *r, const cJSON *checks)
{
    strbuf failures;
    const cJSON *c;
    int n = 0;
    sb_init(&failures);
    cJSON_ArrayForEach (c, checks) {
        n++;
        if (status_passes(c))
            continue;
        char *v = json_brief(c, 80);
        sb_printf(&failures, "%s%s: %s", failures.len ? ", " : "", c->string, v);
        free(v);
    }
    if (failures.len)
        check_result_set(r, CHECK_FAIL, "validation failures: {%s}", failures.buf);
    else
        check_result_set(r, CHECK_PASS, "%d checks passed", n);
    sb_free(&failures);
}

/* apr validate exits 5 on a failing model and still prints its report; the report names the
 * failing checks, which the exit code cannot. */
static void validate_evaluate(const check_ctx *ctx, check_result *r)
{
    static const char *const list_keys[] = {"checks", "results", NULL};
    static const char *const score_keys[] = {"score", "total", "total_score", NULL};
    bool failed_exit;
    const cJSON *doc = query_report_json(ctx, 0, r, NULL, &failed_exit);
    if (!doc)
        return;
    const cJSON *checks = json_first(doc, list_keys), *score = json_first(doc, score_keys);
    if (cJSON_IsArray(checks)) {
        strbuf names;
        size_t failed = collect(checks, item_status_fails, item_names, NAMES_SHOWN, &names);
        int n = cJSON_GetArraySize(checks);
        if (n == 0)
            check_result_set(r, CHECK_FAIL, "validate output lists no checks");
        else if (failed)
            check_result_set(r, CHECK_FAIL, "%zu validation failures: %s", failed, names.buf);
        else
            check_result_set(r, CHECK_PASS, "%d checks passed", n);
        sb_free(&names);
    } else if (cJSON_IsObject(checks)) {
        judge_check_map(r, checks);
    } else if (cJSON_IsNumber(score)) {
        check_result_set(r, CHECK_PASS, "score=%g", score->valuedouble);
    } else {
        fail_missing(ctx, 0, r, "checks");
    }
    settle_report_exit(ctx, 0, r, NULL, failed_exit);
}

const suite_def suite_validate = {"validate", "validate", false, validate_expand, validate_evaluate};

/* ---- lint ---- */

static void lint_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    expand_per_apr_quant(m, out, &suite_lint, "lint", 0);
}

/* The original graded "severity"; current apr grades "level". */
static bool issue_critical(const cJSON *item)
{
    static const char *const keys[] = {"severity", "level", NULL};
    const char *s = cJSON_GetStringValue(json_first(item, keys));
    return str_ieq(s, "critical") || str_ieq(s, "error");
}

static void lint_evaluate(const check_ctx *ctx, check_result *r)
{
    static const char *const keys[] = {"violations", "issues", NULL};
    static const char *const messages[] = {"message", "msg", "rule", "category", NULL};
    const cJSON *doc = query_json(ctx, 0, r);
    if (!doc)
        return;
    const cJSON *issues = json_first_list(doc, keys);
    if (!issues) {
        fail_missing(ctx, 0, r, "issues");
    } else {
        strbuf names;
        size_t critical = collect(issues, issue_critical, messages, 3, &names);
        if (critical)
            check_result_set(r, CHECK_FAIL, "%zu critical violations: %s", critical, names.buf);
        else
            check_result_set(r, CHECK_PASS, "%d warnings, 0 critical", cJSON_GetArraySize(issues));
        sb_free(&names);
    }
}

const suite_def suite_lint = {"lint", "lint", false, lint_expand, lint_evaluate};

/* ---- selftest (apr check) ---- */

#define SELFTEST_MIN_STAGES 7

static void selftest_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    expand_per_apr_quant(m, out, &suite_selftest, "check", SELFTEST_MIN_STAGES);
}

/* `apr check --json` always exits 0 (GH-253), so the stages are the only verdict. */
static void selftest_evaluate(const check_ctx *ctx, check_result *r)
{
    static const char *const keys[] = {"stages", "checks", "results", NULL};
    static const char *const passed_key[] = {"passed", NULL};
    static const char *const total_key[] = {"total", NULL};
    double need = ctx->spec->threshold;
    const cJSON *doc = query_json(ctx, 0, r);
    if (!doc)
        return;
    const cJSON *stages = json_first_list(doc, keys);
    long passed, total;
    strbuf names;
    sb_init(&names);
    if (stages) {
        total = cJSON_GetArraySize(stages);
        passed = total - (long)collect(stages, item_status_fails, item_names, NAMES_SHOWN, &names);
    } else if (!json_integer(json_first(doc, passed_key), &passed)) {
        fail_missing(ctx, 0, r, "stages");
        goto out;
    } else if (!json_integer(json_first(doc, total_key), &total)) {
        total = passed;
    }
    if ((double)passed >= need) {
        check_result_set(r, CHECK_PASS, "%ld/%ld stages passed", passed, total);
    } else {
        check_result_set(r, CHECK_FAIL, "only %ld/%ld stages passed (need %g)", passed, total, need);
        if (names.len)
            check_result_details(r, "failed: %s", names.buf);
    }
out:
    sb_free(&names);
}

const suite_def suite_selftest = {"selftest", "selftest", false, selftest_expand, selftest_evaluate};

/* ---- qa ---- */

#define QA_MIN_GATES 3

static void qa_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    expand_per_apr_quant(m, out, &suite_qa, "qa", QA_MIN_GATES);
}

/* The original counted a gate as critical when its status failed and its severity was
 * "critical"; current apr grades no severity, so there a gate that ran and did not pass is. */
static bool gate_critical(const cJSON *gate)
{
    const char *severity = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(gate, "severity"));
    const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(gate, "status"));
    bool failed = str_ieq(status, "critical") || str_ieq(status, "fail") ||
                  cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(gate, "passed"));
    if (item_skipped(gate) || !failed)
        return false;
    return !severity || str_ieq(severity, "critical");
}

static void qa_evaluate(const check_ctx *ctx, check_result *r)
{
    static const char *const keys[] = {"gates", "checks", "results", NULL};
    static const char *const count_keys[] = {"gates_executed", "total", NULL};
    double need = ctx->spec->threshold;
    const cJSON *doc = query_json(ctx, 0, r);
    if (!doc)
        return;
    const cJSON *gates = json_first_list(doc, keys);
    long executed;
    if (gates) {
        strbuf names;
        executed = (long)collect(gates, item_executed, NULL, 0, NULL);
        size_t critical = collect(gates, gate_critical, item_names, NAMES_SHOWN, &names);
        if ((double)executed < need)
            check_result_set(r, CHECK_FAIL, "only %ld gates executed (need ≥%g)", executed, need);
        else if (critical)
            check_result_set(r, CHECK_FAIL, "%zu critical failures: %s", critical, names.buf);
        else
            check_result_set(r, CHECK_PASS, "%ld gates executed, 0 critical", executed);
        sb_free(&names);
    } else if (!json_integer(json_first(doc, count_keys), &executed)) {
        fail_missing(ctx, 0, r, "gates");
    } else if ((double)executed < need) {
        check_result_set(r, CHECK_FAIL, "only %ld gates executed (need ≥%g)", executed, need);
    } else {
        check_result_set(r, CHECK_PASS, "%ld gates executed", executed);
    }
}

const suite_def suite_qa = {"qa", "qa", false, qa_expand, qa_evaluate};
