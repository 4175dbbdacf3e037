/*
 * apr_diff.c - apr's two-model comparisons: `diff` (metadata differences,
 * or per-tensor value differences with --values) and `rosetta
 * diff-tensors` (layout mismatches).  Models of the same descriptor differ
 * only in dtype and size, so TMGT's diff and rosetta suites pass.
 */
#include "apr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ diff */

const struct opt_spec DIFF_OPTS[] = {
    {"--weights", NULL, OPT_FLAG, NULL, NULL},
    {"--values", NULL, OPT_FLAG, NULL, NULL},
    {"--filter", NULL, OPT_STR, NULL, NULL},
    {"--limit", NULL, OPT_INT, NULL, NULL},
    {"--transpose-aware", NULL, OPT_FLAG, NULL, NULL},
    {"--quant-roundtrip", NULL, OPT_FLAG, NULL, NULL},
    {"--threshold", NULL, OPT_NUM, NULL, NULL},
    {"--no-threshold", NULL, OPT_FLAG, NULL, NULL},
    {0},
};

struct diff_acc {
    cJSON *list;
    int counts[5]; /* format, metadata, tensor, quantization, size */
    int structural;
};

static void add_diff(struct diff_acc *d, const char *field, const char *v1, const char *v2, int category,
                     const char *type)
{
    static const char *const CAT[] = {"format", "metadata", "tensor", "quantization", "size"};
    if (strcmp(v1, v2) == 0)
        return;
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "field", field);
    cJSON_AddStringToObject(e, "file1_value", v1);
    cJSON_AddStringToObject(e, "file2_value", v2);
    cJSON_AddStringToObject(e, "category", CAT[category]);
    cJSON_AddStringToObject(e, "type", type);
    cJSON_AddItemToArray(d->list, e);
    d->counts[category]++;
    if (strcmp(type, "dtype") != 0 && strcmp(type, "size") != 0)
        d->structural++;
}

static void diff_long(struct diff_acc *d, const char *field, long a, long b, int cat, const char *type)
{
    char *x = sim_printf("%ld", a), *y = sim_printf("%ld", b);
    add_diff(d, field, x, y, cat, type);
    free(x);
    free(y);
}

static cJSON *diff_values(const char *const *pos, const struct sim_tensor *ta, int na,
                          const struct sim_tensor *tb, int nb, int limit)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "model_a", pos[0]);
    cJSON_AddStringToObject(doc, "model_b", pos[1]);
    cJSON *results = cJSON_CreateArray();
    int compared = 0, identical = 0;
    for (int i = 0; i < na; i++) {
        for (int j = 0; j < nb; j++) {
            if (strcmp(ta[i].name, tb[j].name) != 0)
                continue;
            compared++;
            double md = sim_round(fabs(ta[i].mean - tb[j].mean), 8);
            double xd = sim_round(fabs(ta[i].std - tb[j].std) * 4 + md, 8);
            bool same = md == 0 && xd == 0;
            identical += same;
            if (limit <= 0 || cJSON_GetArraySize(results) < limit) {
                cJSON *r = cJSON_CreateObject();
                cJSON_AddStringToObject(r, "name", ta[i].name);
                cJSON_AddItemToObject(r, "shape_a", apr_shape_json(&ta[i]));
                cJSON_AddItemToObject(r, "shape_b", apr_shape_json(&tb[j]));
                cJSON_AddNumberToObject(r, "element_count", (double)ta[i].elements);
                cJSON_AddNumberToObject(r, "mean_diff", md);
                cJSON_AddNumberToObject(r, "max_diff", xd);
                cJSON_AddNumberToObject(r, "rmse", sim_round(xd / 3, 8));
                cJSON_AddNumberToObject(r, "cosine_similarity", sim_round(1.0 - xd, 8));
                cJSON_AddStringToObject(r, "status", same ? "identical" : "small");
                cJSON_AddItemToArray(results, r);
            }
        }
    }
    cJSON_AddNumberToObject(doc, "tensors_compared", compared);
    cJSON_AddNumberToObject(doc, "identical_count", identical);
    cJSON_AddNumberToObject(doc, "transposed_count", 0);
    cJSON_AddNumberToObject(doc, "critical_count", 0);
    cJSON_AddNumberToObject(doc, "large_count", 0);
    cJSON_AddNumberToObject(doc, "medium_count", 0);
    cJSON_AddItemToObject(doc, "results", results);
    return doc;
}

int cmd_diff(struct sim_ctx *ctx, const struct parsed_args *pa, const char *const *pos, int npos)
{
    (void)npos;
    struct sim_model a, b;
    apr_load(ctx, pos[0], &a);
    apr_load(ctx, pos[1], &b);
    struct sim_tensor *ta, *tb;
    int na = model_tensors(&a, &ta), nb = model_tensors(&b, &tb);
    cJSON *doc;
    if (args_has(pa, "--values")) {
        const char *lim = args_get(pa, "--limit");
        doc = diff_values(pos, ta, na, tb, nb, lim ? atoi(lim) : 10);
    } else {
        struct diff_acc d = {.list = cJSON_CreateArray()};
        add_diff(&d, "format", apr_format_label(&a), apr_format_label(&b), 0, "format");
        add_diff(&d, "architecture", model_arch(&a), model_arch(&b), 1, "metadata");
        static const char *const SIZES[] = {"num_layers", "num_heads", "num_kv_heads", "hidden_size",
                                            "vocab_size"};
        for (int i = 0; i < 5; i++)
            diff_long(&d, SIZES[i], model_int(&a, SIZES[i], 0), model_int(&b, SIZES[i], 0), 1, "metadata");
        diff_long(&d, "tensor_count", na, nb, 2, "structure");
        add_diff(&d, "quantization", a.quant, b.quant, 3, "dtype");
        if (na > 1 && nb > 1)
            add_diff(&d, "weight_dtype", ta[1].dtype, tb[1].dtype, 3, "dtype");
        diff_long(&d, "total_tensor_bytes", (long)apr_total_bytes(ta, na), (long)apr_total_bytes(tb, nb), 4,
                  "size");
        int count = cJSON_GetArraySize(d.list);
        doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "file1", pos[0]);
        cJSON_AddStringToObject(doc, "file2", pos[1]);
        cJSON_AddStringToObject(doc, "format1", apr_format_label(&a));
        cJSON_AddStringToObject(doc, "format2", apr_format_label(&b));
        cJSON_AddBoolToObject(doc, "identical", count == 0);
        cJSON_AddNumberToObject(doc, "difference_count", count);
        cJSON_AddNumberToObject(doc, "structural_diffs", d.structural);
        cJSON *cc = cJSON_AddObjectToObject(doc, "category_counts");
        static const char *const CAT[] = {"format", "metadata", "tensor", "quantization", "size"};
        for (int i = 0; i < 5; i++)
            cJSON_AddNumberToObject(cc, CAT[i], d.counts[i]);
        cJSON_AddItemToObject(doc, "differences", d.list);
    }
    free(ta);
    free(tb);
    apr_emit(ctx, doc);
    model_free(&a);
    model_free(&b);
    return 0;
}

/* --------------------------------------------------------------- rosetta */

const struct opt_spec ROSETTA_OPTS[] = {
    {"--mismatches-only", NULL, OPT_FLAG, NULL, NULL},
    {"--show-values", NULL, OPT_INT, NULL, NULL},
    {"--filter", NULL, OPT_STR, NULL, NULL},
    {0},
};

int cmd_rosetta(struct sim_ctx *ctx, const struct parsed_args *pa, const char *const *pos, int npos)
{
    (void)pa;
    if (strcmp(pos[0], "diff-tensors") != 0) {
        return apr_unknown_subcommand("rosetta", pos[0]);
    }
    if (npos < 3)
        apr_missing("rosetta", "<COMMAND> <MODEL_A> <MODEL_B>", npos);
    struct sim_model a, b;
    apr_load(ctx, pos[1], &a);
    apr_load(ctx, pos[2], &b);
    struct sim_tensor *ta, *tb;
    int na = model_tensors(&a, &ta), nb = model_tensors(&b, &tb);
    cJSON *mism = cJSON_CreateArray();
    int missing_in_b = 0, found;
    for (int i = 0; i < na; i++) {
        found = 0;
        for (int j = 0; j < nb && !found; j++) {
            if (strcmp(ta[i].name, tb[j].name) != 0)
                continue;
            found = 1;
            if (ta[i].ndim != tb[j].ndim || ta[i].dims[0] != tb[j].dims[0] ||
                ta[i].dims[1] != tb[j].dims[1]) {
                cJSON *e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "name", ta[i].name);
                cJSON_AddItemToObject(e, "shape_a", apr_shape_json(&ta[i]));
                cJSON_AddItemToObject(e, "shape_b", apr_shape_json(&tb[j]));
                cJSON_AddItemToArray(mism, e);
            }
        }
        missing_in_b += !found;
    }
    int layout = cJSON_GetArraySize(mism);
    int missing_in_a = nb - (na - missing_in_b);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "model_a", pos[1]);
    cJSON_AddStringToObject(doc, "model_b", pos[2]);
    cJSON_AddNumberToObject(doc, "tensors_a", na);
    cJSON_AddNumberToObject(doc, "tensors_b", nb);
    cJSON_AddNumberToObject(doc, "layout_mismatches", layout);
    cJSON_AddNumberToObject(doc, "missing_in_a", missing_in_a);
    cJSON_AddNumberToObject(doc, "missing_in_b", missing_in_b);
    cJSON_AddItemToObject(doc, "mismatched_tensors", mism);
    char *diag = layout || missing_in_a || missing_in_b
                     ? sim_printf("%d layout mismatches, %d missing in A, %d missing in B", layout,
                                  missing_in_a, missing_in_b)
                     : strdup("No layout mismatches detected");
    cJSON_AddStringToObject(doc, "diagnosis", diag);
    free(diag);
    free(ta);
    free(tb);
    apr_emit(ctx, doc);
    model_free(&a);
    model_free(&b);
    return 0;
}
