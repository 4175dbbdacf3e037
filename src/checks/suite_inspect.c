/* The inspection suites (Claims 9, 11, 15-18): what apr reports about a model file must agree
 * with the model's metadata. Each reads both the JSON shapes the original harness expected
 * and those of current apr (apr-cli.md §2.3). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "suite_common.h"
#include "util.h"

/* ---- inspect ---- */

static void inspect_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    expand_per_apr_quant(m, out, &suite_inspect, "inspect", 0);
}

/* APR files may report a field at the top level or only under "metadata". */
static const cJSON *inspect_field(const cJSON *doc, const char *key)
{
    const char *const keys[] = {key, NULL};
    const cJSON *v = json_first(doc, keys);
    return v ? v : json_first(cJSON_GetObjectItemCaseSensitive(doc, "metadata"), keys);
}

static void inspect_evaluate(const check_ctx *ctx, check_result *r)
{
    const model_metadata *meta = &ctx->model->meta;
    const struct {
        const char *key;
        long expected;
    } dims[] = {
        {"num_layers", meta->layers},
        {"num_heads", meta->heads},
        {"hidden_size", meta->hidden},
        {"vocab_size", meta->vocab},
    };
    const cJSON *doc = query_json(ctx, 0, r);
    if (!doc)
        return;
    const char *arch = cJSON_GetStringValue(inspect_field(doc, "architecture"));
    if (!arch) {
        fail_missing(ctx, 0, r, "architecture");
        return;
    }
    strbuf problems;
    sb_init(&problems);
    if (!str_icontains(arch, meta->architecture))
        sb_printf(&problems, "arch: expected %s, got %s", meta->architecture, arch);
    long layers = -1;
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        const cJSON *v = inspect_field(doc, dims[i].key);
        long got;
        const char *sep = problems.len ? "; " : "";
        if (!v)
            sb_printf(&problems, "%sno \"%s\" field", sep, dims[i].key);
        else if (!json_integer(v, &got))
            sb_printf(&problems, "%s%s: not an integer", sep, dims[i].key);
        else if (got != dims[i].expected)
            sb_printf(&problems, "%s%s: expected %ld, got %ld", sep, dims[i].key, dims[i].expected, got);
        else if (i == 0)
            layers = got;
    }
    if (problems.len)
        check_result_set(r, CHECK_FAIL, "%s", problems.buf);
    else
        check_result_set(r, CHECK_PASS, "arch=%s, layers=%ld", arch, layers);
    sb_free(&problems);
}

const suite_def suite_inspect = {"inspect", "inspect", false, inspect_expand, inspect_evaluate};

/* ---- tensors ---- */

static void tensors_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    expand_per_apr_quant(m, out, &suite_tensors, "tensors", 0);
}

static void tensors_evaluate(const check_ctx *ctx, check_result *r)
{
    static const char *const keys[] = {"tensors", NULL};
    const cJSON *doc = query_json(ctx, 0, r);
    if (!doc)
        return;
    const cJSON *list = cJSON_IsArray(doc) ? doc : json_first_list(doc, keys);
    int n = cJSON_GetArraySize(list);
    if (!list)
        fail_missing(ctx, 0, r, "tensors");
    else if (n == 0)
        check_result_set(r, CHECK_FAIL, "no tensors returned");
    else
        check_result_set(r, CHECK_PASS, "%d tensors found", n);
}

const suite_def suite_tensors = {"tensors", "tensors", false, tensors_expand, tensors_evaluate};

/* ---- tree ---- */

static void tree_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    expand_per_apr_quant(m, out, &suite_tree, "tree", 0);
}

#define MAX_LAYER_INDEX 4096

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return n > 0 && n < 6;
}

/* Marks the block indices in a dotted tensor path: "model.layers.7.mlp…" (Llama, Qwen2),
 * "h.7.ln_1…" (GPT-2), "blocks.7…". */
static void mark_layers(const char *path, unsigned char *seen)
{
    static const char *const groups[] = {"layers", "h", "blocks", "layer", "block"};
    const char *prev = NULL;
    size_t prev_len = 0;
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "./");
        for (size_t g = 0; prev && g < sizeof groups / sizeof groups[0]; g++) {
            if (prev_len == strlen(groups[g]) && memcmp(prev, groups[g], prev_len) == 0 && all_digits(p, n)) {
                long idx = strtol(p, NULL, 10);
                if (idx < MAX_LAYER_INDEX)
                    seen[idx] = 1;
            }
        }
        prev = p;
        prev_len = n;
        p += n;
        if (*p)
            p++;
    }
}

/* Current apr prints the tree as nested nodes; the layer count is the number of distinct block
 * indices among the node paths. */
static void walk_tree(const cJSON *node, unsigned char *seen)
{
    if (cJSON_IsObject(node)) {
        const char *path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(node, "path"));
        if (path)
            mark_layers(path, seen);
    }
    const cJSON *child;
    if (cJSON_IsObject(node) || cJSON_IsArray(node))
        cJSON_ArrayForEach (child, node)
            walk_tree(child, seen);
}

static bool tree_layers(const cJSON *doc, long *layers)
{
    static const char *const keys[] = {"num_layers", "layers", NULL};
    const cJSON *v = json_first(doc, keys);
    if (v)
        return json_integer(v, layers);
    unsigned char *seen = xcalloc(MAX_LAYER_INDEX, 1);
    walk_tree(doc, seen);
    *layers = 0;
    for (size_t i = 0; i < MAX_LAYER_INDEX; i++)
        *layers += seen[i];
    free(seen);
    return *layers > 0;
}

static void tree_evaluate(const check_ctx *ctx, check_result *r)
{
    static const char *const tensor_keys[] = {"total_tensors", "tensor_count", NULL};
    long layers, tensors, expected = ctx->model->meta.layers;
    const cJSON *doc = query_json(ctx, 0, r);
    if (!doc)
        return;
    if (!tree_layers(doc, &layers))
        check_result_set(r, CHECK_FAIL, "tree output has no \"num_layers\" field and no layer nodes");
    else if (layers != expected)
        check_result_set(r, CHECK_FAIL, "layer count mismatch: expected %ld, got %ld", expected, layers);
    else if (json_integer(json_first(doc, tensor_keys), &tensors))
        check_result_set(r, CHECK_PASS, "layers=%ld, tensors=%ld", layers, tensors);
    else
        check_result_set(r, CHECK_PASS, "layers=%ld", layers);
}

const suite_def suite_tree = {"tree", "tree", false, tree_expand, tree_evaluate};

/* ---- oracle-id ---- */

static void oracle_id_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    expand_per_apr_quant(m, out, &suite_oracle_id, "oracle", 0);
}

/* The original read a top-level "architecture" or "family" string; current apr reports
 * format.architecture (read from the file) and family.name (the detected family). */
static const char *oracle_architecture(const cJSON *doc)
{
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(doc, "format");
    const cJSON *family = cJSON_GetObjectItemCaseSensitive(doc, "family");
    const cJSON *candidates[] = {
        cJSON_GetObjectItemCaseSensitive(doc, "architecture"),
        cJSON_GetObjectItemCaseSensitive(format, "architecture"),
        family,
        cJSON_GetObjectItemCaseSensitive(family, "name"),
    };
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (cJSON_IsString(candidates[i]) && *candidates[i]->valuestring)
            return candidates[i]->valuestring;
    return NULL;
}

static const cJSON *oracle_params(const cJSON *doc)
{
    static const char *const top[] = {"parameters", "param_count", NULL};
    static const char *const format[] = {"total_params", NULL};
    static const char *const size[] = {"parameters", NULL};
    const cJSON *v = json_first(doc, top);
    if (!v)
        v = json_first(cJSON_GetObjectItemCaseSensitive(doc, "format"), format);
    if (!v)
        v = json_first(cJSON_GetObjectItemCaseSensitive(doc, "size_variant"), size);
    return v;
}

static void oracle_id_evaluate(const check_ctx *ctx, check_result *r)
{
    const char *expected = ctx->model->meta.architecture;
    const cJSON *doc = query_json(ctx, 0, r);
    if (!doc)
        return;
    const char *arch = oracle_architecture(doc);
    if (!arch) {
        check_result_set(r, CHECK_FAIL,
                         "oracle output has no \"architecture\" field (nor \"format.architecture\", "
                         "\"family.name\")");
    } else if (str_icontains(arch, expected)) {
        char *params = oracle_params(doc) ? json_brief(oracle_params(doc), 40) : xstrdup("?");
        check_result_set(r, CHECK_PASS, "arch=%s, params=%s", arch, params);
        free(params);
    } else {
        char *full = json_brief(doc, 2000);
        check_result_set(r, CHECK_FAIL, "architecture mismatch: expected %s, got %s", expected, arch);
        check_result_details(r, "full output: %s", full);
        free(full);
    }
}

const suite_def suite_oracle_id = {"oracle-id", "oracle-id", false, oracle_id_expand, oracle_id_evaluate};

/* ---- hex ---- */

static void hex_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    for (size_t q = 0; q < 2; q++) {
        check_spec *c = suite_add(out, &suite_hex, suite_hex.label, m, APR_QUANTS[q].variant, NULL, 0);
        check_add_query(c, "hex", APR_QUANTS[q].artifact, NULL, NULL);
        check_add_query(c, "hex-fallback", APR_QUANTS[q].artifact, NULL, NULL);
    }
}

/* Current apr prints an array of tensors, each with stats{std}; the original expected one object
 * with std or statistics.std. The first tensor is the one probed. */
static void judge_hex(const check_ctx *ctx, size_t i, const cJSON *doc, check_result *r)
{
    const cJSON *t = cJSON_IsArray(doc) ? cJSON_GetArrayItem(doc, 0) : doc;
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "name"));
    static const char *const direct[] = {"std", NULL};
    static const char *const nested[] = {"stats", "statistics", NULL};
    const cJSON *std = json_first(t, direct);
    double v;

    if (cJSON_IsArray(doc) && !t) {
        check_result_set(r, CHECK_FAIL, "hex output lists no tensors");
        return;
    }
    if (!std)
        std = json_first(json_first(t, nested), direct);
    if (!std) {
        fail_missing(ctx, i, r, "stats.std");
        return;
    }
    if (!json_number(std, &v))
        check_result_set(r, CHECK_FAIL, "hex output \"std\" is not a number");
    else if (!isfinite(v))
        check_result_set(r, CHECK_FAIL, "std=%s (NaN/Inf in tensor data)", isnan(v) ? "nan" : "inf");
    else if (v <= 0)
        check_result_set(r, CHECK_FAIL, "std=0 (constant/zero tensor data)");
    else
        check_result_set(r, CHECK_PASS, "std=%.6f (non-zero data)", v);
    if (name)
        check_result_append(r, " in %s", name);
}

/* The probe names one tensor, which not every architecture has (GPT-2 names it differently):
 * when it fails or matches nothing, the unfiltered dump stands in; when that fails too, the
 * probe's own answer is the one reported. */
static void hex_evaluate(const check_ctx *ctx, check_result *r)
{
    check_result second = {0};
    const cJSON *doc = query_json(ctx, 0, r), *alt;
    size_t used = 0;
    if ((!doc || (cJSON_IsArray(doc) && !cJSON_GetArraySize(doc))) && (alt = query_json(ctx, 1, &second))) {
        doc = alt;
        used = 1;
    }
    check_result_free(&second);
    if (!doc)
        return;
    judge_hex(ctx, used, doc, r);
    if (used == 1)
        check_result_append(r, " (fallback: no tensor filter)");
}

const suite_def suite_hex = {"hex", "hex", false, hex_expand, hex_evaluate};

/* ---- debug ---- */

static void debug_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    expand_per_apr_quant(m, out, &suite_debug, "debug", 0);
}

static void debug_evaluate(const check_ctx *ctx, check_result *r)
{
    static const char *const keys[] = {"health", "status", NULL};
    const cJSON *doc = query_json(ctx, 0, r);
    if (!doc)
        return;
    const char *health = cJSON_GetStringValue(json_first(doc, keys));
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(doc, "error");
    if (health && *health) {
        bool ok = str_ieq(health, "ok") || str_ieq(health, "healthy") || str_ieq(health, "pass");
        check_result_set(r, ok ? CHECK_PASS : CHECK_FAIL, "health=%s", health);
    } else if (error && !cJSON_IsNull(error) && !cJSON_IsFalse(error)) {
        char *e = cJSON_IsString(error) ? xstrdup(error->valuestring) : json_brief(error, 300);
        check_result_set(r, CHECK_FAIL, "error: %s", e);
        free(e);
    } else {
        fail_missing(ctx, 0, r, "health");
    }
}

const suite_def suite_debug = {"debug", "debug", false, debug_expand, debug_evaluate};
