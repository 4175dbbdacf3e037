/* The two quantizations of one model compared by apr itself (Claim 14 and rosetta): Int8 and
 * Int4 may differ in dtypes, sizes and values, never in structure or tensor layout. */
#include <stdlib.h>

#include "suite_common.h"
#include "util.h"

#define DIFFS_SHOWN 3

static void pair_expand(const pipeline_model *m, check_list *out, const suite_def *s, const char *step)
{
    check_spec *c = suite_add(out, s, s->label, m, NULL, NULL, 0);
    check_add_query(c, step, APR_QUANTS[1].artifact, APR_QUANTS[0].artifact, NULL);
}

/* The first few entries of a list, one per line, for the details. */
static void list_details(check_result *r, const cJSON *list, size_t shown)
{
    strbuf sb;
    const cJSON *item;
    size_t n = 0;
    sb_init(&sb);
    cJSON_ArrayForEach (item, list) {
        if (n++ == shown)
            break;
        char *s = json_brief(item, 300);
        sb_printf(&sb, "%s%s", sb.len ? "\n  " : "", s);
        free(s);
    }
    if (sb.len)
        check_result_details(r, "%s", sb.buf);
    sb_free(&sb);
}

/* ---- diff ---- */

static void diff_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    pair_expand(m, out, &suite_diff, "diff");
}

/* apr maps its categories onto the original's vocabulary (GH-256): quantization → "dtype",
 * size → "size", tensor and metadata → "data", format → "format". */
static bool structural(const cJSON *d)
{
    static const char *const benign[] = {"dtype", "size", "data"};
    static const char *const keys[] = {"type", "kind"};
    for (size_t k = 0; k < 2; k++) {
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, keys[k]));
        for (size_t b = 0; v && b < 3; b++)
            if (str_ieq(v, benign[b]))
                return false;
    }
    return true;
}

static void diff_evaluate(const check_ctx *ctx, check_result *r)
{
    static const char *const keys[] = {"differences", "diffs", NULL};
    const cJSON *doc = query_json(ctx, 0, r);
    if (!doc)
        return;
    const cJSON *diffs = json_first_list(doc, keys), *d;
    if (!diffs) {
        fail_missing(ctx, 0, r, "differences");
        return;
    }
    cJSON *found = cJSON_CreateArray();
    cJSON_ArrayForEach (d, diffs)
        if (structural(d))
            cJSON_AddItemReferenceToArray(found, (cJSON *)d);
    int n = cJSON_GetArraySize(found);
    if (n) {
        check_result_set(r, CHECK_FAIL, "%d structural diffs (not just dtype)", n);
        list_details(r, found, DIFFS_SHOWN);
    } else {
        check_result_set(r, CHECK_PASS, "%d differences (dtype/size only)", cJSON_GetArraySize(diffs));
    }
    cJSON_Delete(found);
}

const suite_def suite_diff = {"diff", "diff", false, diff_expand, diff_evaluate};

/* ---- rosetta diff-tensors ---- */

static void rosetta_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    pair_expand(m, out, &suite_rosetta_diff, "rosetta-diff");
}

/* A count that apr prints either as a number or as the list of what it counts. */
static bool count_of(const cJSON *v, long *n)
{
    if (cJSON_IsArray(v)) {
        *n = cJSON_GetArraySize(v);
        return true;
    }
    return json_integer(v, n);
}

static void rosetta_evaluate(const check_ctx *ctx, check_result *r)
{
    static const char *const list_keys[] = {"mismatches", "layout_errors", "mismatched_tensors", NULL};
    static const char *const count_keys[] = {"layout_mismatches", NULL};
    const cJSON *doc = query_json(ctx, 0, r);
    if (!doc)
        return;
    const cJSON *list = json_first_list(doc, list_keys);
    long mismatches = 0, only_a = 0, only_b = 0;
    if (!list && !count_of(json_first(doc, count_keys), &mismatches)) {
        fail_missing(ctx, 0, r, "layout_mismatches");
        return;
    }
    if (list)
        mismatches = cJSON_GetArraySize(list);
    count_of(cJSON_GetObjectItemCaseSensitive(doc, "missing_in_a"), &only_b);
    count_of(cJSON_GetObjectItemCaseSensitive(doc, "missing_in_b"), &only_a);
    if (mismatches) {
        check_result_set(r, CHECK_FAIL, "%ld layout mismatches", mismatches);
        if (list)
            list_details(r, list, DIFFS_SHOWN);
    } else if (only_a || only_b) {
        const char *const *in = ctx->spec->queries[0].artifacts;
        check_result_set(r, CHECK_FAIL, "tensor sets differ: %ld only in %s, %ld only in %s", only_a, in[0],
                         only_b, in[1]);
    } else {
        check_result_set(r, CHECK_PASS, "no layout mismatches");
    }
}

const suite_def suite_rosetta_diff = {"rosetta-diff", "rosetta-diff", false, rosetta_expand,
                                      rosetta_evaluate};
