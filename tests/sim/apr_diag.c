/*
 * apr_diag.c - apr's single-model diagnostic commands (exempt from the
 * contract gate): inspect, validate, tensors, lint, tree, oracle, hex,
 * debug, qa, list.  Their JSON carries the fields apr-cli.md §2.3 lists and
 * that TMGT's suites read.
 */
#include "apr.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --------------------------------------------------------------- inspect */

const struct opt_spec INSPECT_OPTS[] = {
    {"--vocab", NULL, OPT_FLAG, NULL, NULL},
    {"--filters", NULL, OPT_FLAG, NULL, NULL},
    {"--weights", NULL, OPT_FLAG, NULL, NULL},
    {"--quality", NULL, OPT_FLAG, NULL, NULL},
    {0},
};

static void add_desc_number(cJSON *obj, const struct sim_model *m, const char *key, const char *as)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m->desc, key);
    if (cJSON_IsNumber(v))
        cJSON_AddNumberToObject(obj, as, v->valuedouble);
    else
        cJSON_AddNullToObject(obj, as);
}

static const char *desc_str(const struct sim_model *m, const char *key, const char *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m->desc, key);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

int cmd_inspect(struct sim_ctx *ctx, const struct parsed_args *pa, const char *const *pos, int npos)
{
    (void)pa, (void)npos;
    struct sim_model m;
    apr_load(ctx, pos[0], &m);
    struct sim_tensor *t;
    int nt = model_tensors(&m, &t);
    const char *arch = model_arch(&m);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "file", pos[0]);
    if (strcmp(m.format, "apr") == 0) {
        cJSON_AddBoolToObject(doc, "valid", true);
        cJSON_AddStringToObject(doc, "format", "APR v2");
        cJSON_AddStringToObject(doc, "version", "2.0");
        cJSON_AddNumberToObject(doc, "tensor_count", nt);
        cJSON_AddNumberToObject(doc, "size_bytes", (double)m.file_size);
        cJSON_AddBoolToObject(doc, "checksum_valid", true);
        cJSON_AddStringToObject(doc, "architecture", arch);
        static const char *const SIZES[] = {"num_layers", "num_heads", "hidden_size", "vocab_size"};
        for (int i = 0; i < 4; i++)
            add_desc_number(doc, &m, SIZES[i], SIZES[i]);
        cJSON *flags = cJSON_AddObjectToObject(doc, "flags");
        static const char *const FLAGS[] = {"lz4_compressed", "zstd_compressed", "encrypted", "signed",
                                            "sharded"};
        for (int i = 0; i < 5; i++)
            cJSON_AddBoolToObject(flags, FLAGS[i], false);
        cJSON_AddBoolToObject(flags, "quantized", model_qclass(m.quant) != Q_F32);
        cJSON_AddBoolToObject(flags, "has_vocab", true);
        cJSON *md = cJSON_AddObjectToObject(doc, "metadata");
        cJSON_AddStringToObject(md, "model_type", arch);
        cJSON_AddStringToObject(md, "name", model_name(&m));
        cJSON_AddStringToObject(md, "license", desc_str(&m, "license", "unknown"));
        cJSON_AddStringToObject(md, "data_source", desc_str(&m, "hf_id", "local"));
        cJSON_AddStringToObject(md, "data_license", desc_str(&m, "license", "unknown"));
        cJSON_AddStringToObject(md, "architecture", arch);
        cJSON_AddStringToObject(md, "hf_architecture", desc_str(&m, "hf_architecture", arch));
        cJSON_AddStringToObject(md, "hf_model_type", arch);
        cJSON_AddNumberToObject(md, "param_count", (double)model_param_count(&m));
        static const char *const MORE[] = {"vocab_size",
                                           "hidden_size",
                                           "num_layers",
                                           "num_heads",
                                           "num_kv_heads",
                                           "intermediate_size",
                                           "max_position_embeddings",
                                           "rope_theta"};
        for (int i = 0; i < 8; i++)
            add_desc_number(md, &m, MORE[i], MORE[i]);
        cJSON_AddNullToObject(md, "chat_template");
        cJSON_AddNullToObject(md, "chat_format");
        cJSON_AddObjectToObject(md, "special_tokens");
        cJSON_AddObjectToObject(md, "source_metadata");
    } else {
        cJSON_AddStringToObject(doc, "format", apr_format_label(&m));
        cJSON_AddNumberToObject(doc, "file_size", (double)m.file_size);
        cJSON_AddNumberToObject(doc, "total_params", (double)model_param_count(&m));
        cJSON_AddStringToObject(doc, "architecture", arch);
        cJSON_AddStringToObject(doc, "quantization", m.quant);
        cJSON_AddNumberToObject(doc, "tensor_count", nt);
        /* GGUF metadata keys, every value rendered as a string (as apr does) */
        cJSON *md = cJSON_AddObjectToObject(doc, "metadata");
        static const char *const KV[][2] = {
            {"block_count", "num_layers"},
            {"embedding_length", "hidden_size"},
            {"attention.head_count", "num_heads"},
            {"attention.head_count_kv", "num_kv_heads"},
            {"feed_forward_length", "intermediate_size"},
            {"context_length", "max_position_embeddings"},
        };
        cJSON_AddStringToObject(md, "general.architecture", arch);
        cJSON_AddStringToObject(md, "general.name", model_name(&m));
        for (int i = 0; i < 6; i++) {
            char *k = sim_printf("%s.%s", arch, KV[i][0]);
            char *v = sim_printf("%ld", model_int(&m, KV[i][1], 0));
            cJSON_AddStringToObject(md, k, v);
            free(k);
            free(v);
        }
        char *vs = sim_printf("%ld", model_int(&m, "vocab_size", 0));
        cJSON_AddStringToObject(md, "tokenizer.ggml.vocab_size", vs);
        free(vs);
        cJSON_AddStringToObject(md, "tokenizer.ggml.model", "gpt2");
    }
    free(t);
    apr_emit(ctx, doc);
    model_free(&m);
    return 0;
}

/* -------------------------------------------------------------- validate */

const struct opt_spec VALIDATE_OPTS[] = {
    {"--quality", NULL, OPT_FLAG, NULL, NULL},
    {"--strict", NULL, OPT_FLAG, NULL, NULL},
    {"--min-score", NULL, OPT_NUM, NULL, NULL},
    {0},
};

static const char *const APR_CHECKS[] = {
    "Magic bytes",      "Header checksum", "Format version",     "Metadata JSON", "Tensor index",
    "Tensor alignment", "Data checksum",   "Embedded tokenizer", "No NaN/Inf",    "Tensor density"};

int cmd_validate(struct sim_ctx *ctx, const struct parsed_args *pa, const char *const *pos, int npos)
{
    (void)npos;
    struct sim_model m;
    char *msg = NULL;
    int rc = model_load(pos[0], ctx->offline, &m, &msg);
    if (rc && rc != 4) {
        fprintf(stderr, "error: %s\n", msg);
        free(msg);
        return rc;
    }
    /* An unreadable model is not a usage error for validate: it is the
     * finding, reported as a failed check with exit 5. */
    bool apr = rc == 4 || strcmp(m.format, "apr") == 0;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "model", pos[0]);
    cJSON_AddStringToObject(doc, "format", rc == 4 ? "apr" : m.format);
    cJSON *checks = cJSON_CreateArray();
    int failed = 0, total = 10;
    for (int i = 0; i < total; i++) {
        bool fail = rc == 4 && i == 0;
        cJSON *c = cJSON_CreateObject();
        if (apr)
            cJSON_AddNumberToObject(c, "id", i + 1);
        cJSON_AddStringToObject(c, "name", APR_CHECKS[i]);
        cJSON_AddStringToObject(c, "status", rc == 4 ? (fail ? "FAIL" : "SKIP") : "PASS");
        cJSON_AddStringToObject(c, "detail", fail ? msg : rc == 4 ? "not reached" : "ok");
        if (apr)
            cJSON_AddNumberToObject(c, "points", rc == 4 ? 0 : 10);
        cJSON_AddItemToArray(checks, c);
        failed += fail;
    }
    int score = rc == 4 ? 0 : 100;
    if (apr) {
        cJSON_AddNumberToObject(doc, "total_score", score);
        cJSON_AddStringToObject(doc, "grade", rc == 4 ? "F" : "A");
    } else {
        struct sim_tensor *t;
        int nt = model_tensors(&m, &t);
        free(t);
        cJSON_AddNumberToObject(doc, "total_tensors", nt);
        cJSON_AddNumberToObject(doc, "failed_tensors", 0);
        cJSON_AddNumberToObject(doc, "total_nan", 0);
        cJSON_AddNumberToObject(doc, "total_inf", 0);
        cJSON_AddNumberToObject(doc, "duration_ms", apr_measure(&m, "validate", 5.0, 50.0));
    }
    cJSON_AddItemToObject(doc, "checks", checks);
    cJSON_AddNumberToObject(doc, "total_checks", total);
    cJSON_AddNumberToObject(doc, "failed", failed);
    cJSON_AddNumberToObject(doc, "passed", rc == 4 ? 0 : total);
    apr_emit(ctx, doc);
    const char *min = args_get(pa, "--min-score");
    int status = 0;
    if (rc == 4) {
        fprintf(stderr, "error: Validation failed: %s\n", msg);
        status = 5;
    } else if (min && score < atof(min)) {
        fprintf(stderr, "error: Validation failed: score %d below --min-score %s\n", score, min);
        status = 5;
    }
    free(msg);
    if (rc == 0)
        model_free(&m);
    return status;
}

/* --------------------------------------------------------------- tensors */

const struct opt_spec TENSORS_OPTS[] = {
    {"--stats", NULL, OPT_FLAG, NULL, NULL},
    {"--filter", NULL, OPT_STR, NULL, NULL},
    {"--limit", NULL, OPT_INT, NULL, NULL},
    {0},
};

int cmd_tensors(struct sim_ctx *ctx, const struct parsed_args *pa, const char *const *pos, int npos)
{
    (void)npos;
    struct sim_model m;
    apr_load(ctx, pos[0], &m);
    struct sim_tensor *t;
    int nt = model_tensors(&m, &t);
    const char *filter = args_get(pa, "--filter");
    const char *lim = args_get(pa, "--limit");
    int limit = lim ? atoi(lim) : 0;
    bool stats = args_has(pa, "--stats");
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "file", pos[0]);
    cJSON_AddStringToObject(doc, "format_version", apr_format_label(&m));
    cJSON_AddNumberToObject(doc, "tensor_count", nt);
    cJSON_AddNumberToObject(doc, "total_size_bytes", (double)apr_total_bytes(t, nt));
    cJSON *list = cJSON_AddArrayToObject(doc, "tensors");
    int shown = 0;
    for (int i = 0; i < nt && (limit <= 0 || shown < limit); i++) {
        if (filter && !strstr(t[i].name, filter))
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", t[i].name);
        cJSON_AddItemToObject(e, "shape", apr_shape_json(&t[i]));
        cJSON_AddStringToObject(e, "dtype", t[i].dtype);
        cJSON_AddNumberToObject(e, "size_bytes", (double)t[i].size_bytes);
        if (stats) {
            apr_stats_json(&t[i], e);
            cJSON_AddNumberToObject(e, "nan_count", 0);
            cJSON_AddNumberToObject(e, "inf_count", 0);
        }
        cJSON_AddItemToArray(list, e);
        shown++;
    }
    free(t);
    apr_emit(ctx, doc);
    model_free(&m);
    return 0;
}

/* ------------------------------------------------------------------ lint */

int cmd_lint(struct sim_ctx *ctx, const struct parsed_args *pa, const char *const *pos, int npos)
{
    (void)pa, (void)npos;
    struct sim_model m;
    apr_load(ctx, pos[0], &m);
    static const char *const ISSUES[][4] = {
        {"warn", "metadata", "missing 'data_license' in model card", "add data_license to the metadata"},
        {"info", "naming", "tensor names follow the HuggingFace convention", "none"},
    };
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "model", pos[0]);
    cJSON_AddBoolToObject(doc, "passed", true);
    cJSON_AddNumberToObject(doc, "error_count", 0);
    cJSON_AddNumberToObject(doc, "warn_count", 1);
    cJSON_AddNumberToObject(doc, "info_count", 1);
    cJSON_AddNumberToObject(doc, "total_issues", 2);
    cJSON *list = cJSON_AddArrayToObject(doc, "issues");
    for (int i = 0; i < 2; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "level", ISSUES[i][0]);
        cJSON_AddStringToObject(e, "category", ISSUES[i][1]);
        cJSON_AddStringToObject(e, "message", ISSUES[i][2]);
        cJSON_AddStringToObject(e, "suggestion", ISSUES[i][3]);
        cJSON_AddItemToArray(list, e);
    }
    apr_emit(ctx, doc);
    model_free(&m);
    return 0;
}

/* ------------------------------------------------------------------ tree */

const struct opt_spec TREE_OPTS[] = {
    {"--filter", NULL, OPT_STR, NULL, NULL},
    {"--format", NULL, OPT_STR, "ascii|dot|mermaid|json", NULL},
    {"--sizes", NULL, OPT_FLAG, NULL, NULL},
    {"--depth", NULL, OPT_INT, NULL, NULL},
    {0},
};

static cJSON *tree_group(const char *name, const char *path)
{
    cJSON *g = cJSON_CreateObject();
    cJSON_AddStringToObject(g, "name", name);
    cJSON_AddStringToObject(g, "path", path);
    cJSON_AddNumberToObject(g, "total_size", 0);
    cJSON_AddNumberToObject(g, "tensor_count", 0);
    cJSON_AddStringToObject(g, "type", "group");
    cJSON_AddArrayToObject(g, "children");
    return g;
}

static void tree_bump(cJSON *g, long long size)
{
    cJSON *ts = cJSON_GetObjectItemCaseSensitive(g, "total_size");
    cJSON *tc = cJSON_GetObjectItemCaseSensitive(g, "tensor_count");
    cJSON_SetNumberValue(ts, ts->valuedouble + (double)size);
    cJSON_SetNumberValue(tc, tc->valuedouble + 1);
}

/* Groups dotted tensor names into nested nodes: model > layers > 0 > ... */
static void tree_insert(cJSON *root, const struct sim_tensor *t, int max_depth)
{
    cJSON *node = root;
    tree_bump(root, t->size_bytes);
    const char *p = t->name;
    int depth = 1;
    for (const char *dot; (dot = strchr(p, '.')); p = dot + 1, depth++) {
        char *seg = strndup(p, (size_t)(dot - p));
        char *path = strndup(t->name, (size_t)(dot - t->name));
        cJSON *kids = cJSON_GetObjectItemCaseSensitive(node, "children");
        cJSON *next = NULL, *k;
        cJSON_ArrayForEach (k, kids) {
            if (strcmp(cJSON_GetObjectItemCaseSensitive(k, "name")->valuestring, seg) == 0)
                next = k;
        }
        if (!next && (max_depth <= 0 || depth <= max_depth)) {
            next = tree_group(seg, path);
            cJSON_AddItemToArray(kids, next);
        }
        free(seg);
        free(path);
        if (!next)
            return; /* below --depth: counted in the ancestors only */
        tree_bump(next, t->size_bytes);
        node = next;
    }
    if (max_depth > 0 && depth > max_depth)
        return;
    cJSON *leaf = cJSON_CreateObject();
    cJSON_AddStringToObject(leaf, "name", p);
    cJSON_AddStringToObject(leaf, "path", t->name);
    cJSON_AddItemToObject(leaf, "shape", apr_shape_json(t));
    cJSON_AddNumberToObject(leaf, "size_bytes", (double)t->size_bytes);
    cJSON_AddStringToObject(leaf, "type", "tensor");
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(node, "children"), leaf);
}

static void tree_ascii(const cJSON *node, int indent, char **buf)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(node, "type");
    const char *name = cJSON_GetObjectItemCaseSensitive(node, "name")->valuestring;
    char *line;
    if (strcmp(type->valuestring, "group") == 0)
        line = sim_printf("%s%*s%s/ (%d tensors)\n", *buf, indent, "", name,
                          (int)cJSON_GetObjectItemCaseSensitive(node, "tensor_count")->valuedouble);
    else
        line = sim_printf("%s%*s%s\n", *buf, indent, "", name);
    free(*buf);
    *buf = line;
    const cJSON *k;
    cJSON_ArrayForEach (k, cJSON_GetObjectItemCaseSensitive(node, "children"))
        tree_ascii(k, indent + 2, buf);
}

int cmd_tree(struct sim_ctx *ctx, const struct parsed_args *pa, const char *const *pos, int npos)
{
    (void)npos;
    struct sim_model m;
    apr_load(ctx, pos[0], &m);
    struct sim_tensor *t;
    int nt = model_tensors(&m, &t);
    const char *filter = args_get(pa, "--filter");
    const char *depth = args_get(pa, "--depth");
    cJSON *root = tree_group(sim_basename(pos[0]), "");
    for (int i = 0; i < nt; i++)
        if (!filter || strstr(t[i].name, filter))
            tree_insert(root, &t[i], depth ? atoi(depth) : 0);
    /* Not in apr's node: lets a checker read the layer count directly. */
    cJSON_AddNumberToObject(root, "num_layers", model_int(&m, "num_layers", 0));
    free(t);
    const char *fmt = args_get(pa, "--format");
    if (ctx->json || (fmt && strcmp(fmt, "json") == 0)) {
        out_json(ctx, root);
    } else {
        char *buf = strdup("");
        tree_ascii(root, 0, &buf);
        cJSON_Delete(root);
        out_text(ctx, buf);
        free(buf);
    }
    model_free(&m);
    return 0;
}

/* ---------------------------------------------------------------- oracle */

const struct opt_spec ORACLE_OPTS[] = {
    {"--family", NULL, OPT_STR, NULL, NULL},      {"--size", NULL, OPT_STR, NULL, NULL},
    {"--compliance", NULL, OPT_FLAG, NULL, NULL}, {"--tensors", NULL, OPT_FLAG, NULL, NULL},
    {"--stats", NULL, OPT_FLAG, NULL, NULL},      {"--explain", NULL, OPT_FLAG, NULL, NULL},
    {"--kernels", NULL, OPT_FLAG, NULL, NULL},    {"--validate", NULL, OPT_FLAG, NULL, NULL},
    {"--full", NULL, OPT_FLAG, NULL, NULL},       {0},
};

static const struct family {
    const char *key, *display, *vendor, *hf_arch, *attention, *activation, *norm, *mlp, *pos, *chat;
    bool bias, tied;
} FAMILIES[] = {
    {"llama", "LLaMA", "Meta", "LlamaForCausalLM", "gqa", "silu", "rmsnorm", "swiglu", "rope", "llama", false,
     false},
    {"qwen2", "Qwen2", "Alibaba", "Qwen2ForCausalLM", "gqa", "silu", "rmsnorm", "swiglu", "rope", "chatml",
     true, true},
    {"gpt2", "GPT-2", "OpenAI", "GPT2LMHeadModel", "mha", "gelu", "layernorm", "gelu_mlp", "learned_absolute",
     "none", true, true},
};

static const struct family *family_of(const char *arch)
{
    for (size_t i = 0; i < sizeof FAMILIES / sizeof FAMILIES[0]; i++)
        if (sim_contains_ci(arch, FAMILIES[i].key))
            return &FAMILIES[i];
    return NULL;
}

static cJSON *family_json(const struct family *f, const char *arch)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", f ? f->key : arch);
    cJSON_AddStringToObject(o, "display_name", f ? f->display : arch);
    cJSON_AddStringToObject(o, "vendor", f ? f->vendor : "unknown");
    cJSON *archs = cJSON_AddArrayToObject(o, "architectures");
    if (f)
        cJSON_AddItemToArray(archs, cJSON_CreateString(f->hf_arch));
    cJSON *c = cJSON_AddObjectToObject(o, "constraints");
    cJSON_AddStringToObject(c, "attention", f ? f->attention : "unknown");
    cJSON_AddStringToObject(c, "activation", f ? f->activation : "unknown");
    cJSON_AddStringToObject(c, "norm", f ? f->norm : "unknown");
    cJSON_AddBoolToObject(c, "bias", f && f->bias);
    cJSON_AddBoolToObject(c, "tied_embeddings", f && f->tied);
    cJSON_AddStringToObject(c, "mlp", f ? f->mlp : "unknown");
    cJSON_AddStringToObject(c, "positional_encoding", f ? f->pos : "unknown");
    cJSON_AddStringToObject(o, "chat_template_format", f ? f->chat : "none");
    return o;
}

int cmd_oracle(struct sim_ctx *ctx, const struct parsed_args *pa, const char *const *pos, int npos)
{
    cJSON *doc = cJSON_CreateObject();
    if (npos == 0) {
        const char *fam = args_get(pa, "--family");
        cJSON_AddStringToObject(doc, "mode", fam ? "family" : "list");
        if (fam) {
            cJSON_AddItemToObject(doc, "family", family_json(family_of(fam), fam));
        } else {
            cJSON *list = cJSON_AddArrayToObject(doc, "families");
            for (size_t i = 0; i < sizeof FAMILIES / sizeof FAMILIES[0]; i++)
                cJSON_AddItemToArray(list, family_json(&FAMILIES[i], FAMILIES[i].key));
        }
        apr_emit(ctx, doc);
        return 0;
    }
    struct sim_model m;
    apr_load(ctx, pos[0], &m);
    struct sim_tensor *t;
    int nt = model_tensors(&m, &t);
    free(t);
    long long params = model_param_count(&m);
    const char *arch = model_arch(&m);
    cJSON_AddStringToObject(doc, "source", pos[0]);
    cJSON_AddStringToObject(doc, "mode", "local");
    cJSON_AddItemToObject(doc, "family", family_json(family_of(arch), arch));
    cJSON *sv = cJSON_AddObjectToObject(doc, "size_variant");
    char *size_name = sim_printf("%lldm", (params + 500000) / 1000000);
    cJSON_AddStringToObject(sv, "name", size_name);
    free(size_name);
    cJSON_AddNumberToObject(sv, "parameters", (double)params);
    cJSON_AddNumberToObject(sv, "hidden_dim", model_int(&m, "hidden_size", 0));
    cJSON_AddNumberToObject(sv, "num_layers", model_int(&m, "num_layers", 0));
    cJSON_AddNumberToObject(sv, "num_heads", model_int(&m, "num_heads", 0));
    cJSON_AddNumberToObject(sv, "num_kv_heads", model_int(&m, "num_kv_heads", 0));
    cJSON_AddNumberToObject(sv, "intermediate_dim", model_int(&m, "intermediate_size", 0));
    cJSON_AddNumberToObject(sv, "vocab_size", model_int(&m, "vocab_size", 0));
    cJSON_AddNumberToObject(sv, "expected_tensor_count", nt);
    cJSON *fmt = cJSON_AddObjectToObject(doc, "format");
    cJSON_AddStringToObject(fmt, "format_type", m.format);
    cJSON_AddNumberToObject(fmt, "file_size", (double)m.file_size);
    cJSON_AddNumberToObject(fmt, "tensor_count", nt);
    cJSON_AddNumberToObject(fmt, "total_params", (double)params);
    cJSON_AddStringToObject(fmt, "quantization", m.quant);
    cJSON_AddStringToObject(fmt, "architecture", arch);
    cJSON *comp = cJSON_AddObjectToObject(doc, "compliance");
    cJSON_AddBoolToObject(comp, "is_compliant", true);
    cJSON_AddBoolToObject(comp, "tensor_count_match", true);
    cJSON_AddArrayToObject(comp, "missing_tensors");
    cJSON_AddArrayToObject(comp, "unexpected_tensors");
    cJSON *cert = cJSON_AddObjectToObject(doc, "certification");
    cJSON_AddStringToObject(cert, "status", "not_evaluated");
    apr_emit(ctx, doc);
    model_free(&m);
    return 0;
}

/* ------------------------------------------------------------------- hex */

const struct opt_spec HEX_OPTS[] = {
    {"--tensor", NULL, OPT_STR, NULL, NULL},        {"--limit", NULL, OPT_INT, NULL, NULL},
    {"--stats", NULL, OPT_FLAG, NULL, NULL},        {"--list", NULL, OPT_FLAG, NULL, NULL},
    {"--header", NULL, OPT_FLAG, NULL, NULL},       {"--blocks", NULL, OPT_FLAG, NULL, NULL},
    {"--distribution", NULL, OPT_FLAG, NULL, NULL}, {"--contract", NULL, OPT_FLAG, NULL, NULL},
    {"--entropy", NULL, OPT_FLAG, NULL, NULL},      {"--raw", NULL, OPT_FLAG, NULL, NULL},
    {"--offset", NULL, OPT_STR, NULL, NULL},        {"--width", NULL, OPT_INT, NULL, NULL},
    {"--slice", NULL, OPT_STR, NULL, NULL},         {0},
};

int cmd_hex(struct sim_ctx *ctx, const struct parsed_args *pa, const char *const *pos, int npos)
{
    (void)npos;
    struct sim_model m;
    apr_load(ctx, pos[0], &m);
    struct sim_tensor *t;
    int nt = model_tensors(&m, &t);
    const char *pat = args_get(pa, "--tensor");
    const char *lim = args_get(pa, "--limit");
    int from = 0, to = lim ? atoi(lim) : 64;
    if (to > 16)
        to = 16; /* a few values, not a dump */
    const char *slice = args_get(pa, "--slice");
    if (slice && sscanf(slice, "%d:%d", &from, &to) != 2)
        sim_die(2, "invalid --slice '%s' (expected START:END)", slice);
    if (to - from > 64)
        to = from + 64;
    bool stats = args_has(pa, "--stats");
    cJSON *doc = cJSON_CreateArray();
    char *text = strdup("");
    long long offset = 0;
    for (int i = 0; i < nt; i++) {
        long long off = offset;
        offset += (t[i].size_bytes + 63) / 64 * 64;
        if (pat && !strstr(t[i].name, pat))
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", t[i].name);
        cJSON_AddItemToObject(e, "shape", apr_shape_json(&t[i]));
        cJSON_AddStringToObject(e, "dtype", t[i].dtype);
        cJSON_AddNumberToObject(e, "offset", (double)off);
        cJSON_AddNumberToObject(e, "size_bytes", (double)t[i].size_bytes);
        if (stats)
            cJSON_AddItemToObject(e, "stats", apr_stats_json(&t[i], cJSON_CreateObject()));
        cJSON *vals = cJSON_AddArrayToObject(e, "sample_values");
        for (int k = from; k < to && k < t[i].elements; k++)
            cJSON_AddItemToArray(vals, cJSON_CreateNumber(tensor_sample(&t[i], k)));
        cJSON_AddItemToArray(doc, e);
        char *sh = apr_shape_str(&t[i]);
        char *line = sim_printf("%s%s %s %s @0x%llx\n  min=%.6f max=%.6f mean=%.6f std=%.6f\n", text,
                                t[i].name, t[i].dtype, sh, off, t[i].min, t[i].max, t[i].mean, t[i].std);
        free(sh);
        free(text);
        text = line;
    }
    free(t);
    int found = cJSON_GetArraySize(doc);
    if (pat && found == 0) {
        cJSON_Delete(doc);
        free(text);
        model_free(&m);
        fprintf(stderr, "error: Aprender error: no tensor matches '%s'\n", pat);
        return 1;
    }
    if (ctx->json) {
        out_json(ctx, doc);
    } else {
        cJSON_Delete(doc);
        out_text(ctx, text);
    }
    free(text);
    model_free(&m);
    return 0;
}

/* ----------------------------------------------------------------- debug */

const struct opt_spec DEBUG_OPTS[] = {
    {"--drama", NULL, OPT_FLAG, NULL, NULL},
    {"--hex", NULL, OPT_FLAG, NULL, NULL},
    {"--strings", NULL, OPT_FLAG, NULL, NULL},
    {"--limit", NULL, OPT_INT, NULL, NULL},
    {0},
};

int cmd_debug(struct sim_ctx *ctx, const struct parsed_args *pa, const char *const *pos, int npos)
{
    (void)pa, (void)npos;
    struct sim_model m;
    apr_load(ctx, pos[0], &m);
    struct sim_tensor *t;
    int nt = model_tensors(&m, &t);
    free(t);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "model", pos[0]);
    cJSON_AddStringToObject(doc, "format", apr_format_label(&m));
    cJSON_AddStringToObject(doc, "architecture", model_arch(&m));
    cJSON_AddNumberToObject(doc, "tensors", nt);
    cJSON_AddNumberToObject(doc, "parameters", (double)model_param_count(&m));
    cJSON_AddNumberToObject(doc, "size_bytes", (double)m.file_size);
    cJSON_AddStringToObject(doc, "health", "OK");
    apr_emit(ctx, doc);
    model_free(&m);
    return 0;
}

/* -------------------------------------------------------------------- qa */

#define QA_GATES 10
static const char *const QA_GATE_NAMES[QA_GATES] = {
    "golden",        "throughput", "ollama",    "gpu-speedup", "contract",
    "format-parity", "ptx-parity", "gpu-state", "metadata",    "capability",
};

const struct opt_spec QA_OPTS[] = {
    {"--assert-tps", NULL, OPT_NUM, NULL, NULL},
    {"--assert-speedup", NULL, OPT_NUM, NULL, NULL},
    {"--assert-gpu-speedup", NULL, OPT_NUM, NULL, NULL},
    {"--skip-golden", NULL, OPT_FLAG, NULL, NULL},
    {"--skip-throughput", NULL, OPT_FLAG, NULL, NULL},
    {"--skip-ollama", NULL, OPT_FLAG, NULL, NULL},
    {"--skip-gpu-speedup", NULL, OPT_FLAG, NULL, NULL},
    {"--skip-contract", NULL, OPT_FLAG, NULL, NULL},
    {"--skip-format-parity", NULL, OPT_FLAG, NULL, NULL},
    {"--skip-ptx-parity", NULL, OPT_FLAG, NULL, NULL},
    {"--skip-gpu-state", NULL, OPT_FLAG, NULL, NULL},
    {"--skip-metadata", NULL, OPT_FLAG, NULL, NULL},
    {"--skip-capability", NULL, OPT_FLAG, NULL, NULL},
    {"--safetensors-path", NULL, OPT_STR, NULL, NULL},
    {"--iterations", NULL, OPT_INT, NULL, NULL},
    {"--warmup", NULL, OPT_INT, NULL, NULL},
    {"--max-tokens", NULL, OPT_INT, NULL, NULL},
    {"--min-executed", NULL, OPT_INT, NULL, NULL},
    {"--previous-report", NULL, OPT_STR, NULL, NULL},
    {"--regression-threshold", NULL, OPT_NUM, NULL, NULL},
    {"--assert-classifier-head", NULL, OPT_FLAG, NULL, NULL},
    {"--require-golden-output", NULL, OPT_FLAG, NULL, NULL},
    {0},
};

int cmd_qa(struct sim_ctx *ctx, const struct parsed_args *pa, const char *const *pos, int npos)
{
    (void)npos;
    struct sim_model m;
    apr_load(ctx, pos[0], &m);
    double tps = apr_measure(&m, "bench_tps", 40.0, 120.0);
    const char *at = args_get(pa, "--assert-tps");
    bool gpu = apr_gpu_available();
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "model", pos[0]);
    cJSON *gates = cJSON_CreateArray();
    int executed = 0, skipped = 0, failed = 0;
    double total_ms = 0;
    for (int i = 0; i < QA_GATES; i++) {
        const char *name = QA_GATE_NAMES[i];
        char *flag = sim_printf("--skip-%s", name);
        /* No GPU: GPU gates skip themselves; ollama is never installed. */
        const char *why = args_has(pa, flag)                        ? "skipped by flag"
                          : strcmp(name, "ollama") == 0             ? "ollama not installed"
                          : !gpu && strstr(name, "gpu")             ? "no GPU"
                          : !gpu && strcmp(name, "ptx-parity") == 0 ? "no GPU"
                                                                    : NULL;
        free(flag);
        cJSON *g = cJSON_CreateObject();
        cJSON_AddStringToObject(g, "name", name);
        bool ok = true;
        double ms = why ? 0 : apr_measure(&m, name, 2.0, 80.0);
        if (!why && strcmp(name, "throughput") == 0) {
            double thr = at ? atof(at) : 1.0;
            ok = tps >= thr;
            cJSON_AddNumberToObject(g, "value", tps);
            cJSON_AddNumberToObject(g, "threshold", thr);
        }
        cJSON_AddBoolToObject(g, "passed", ok);
        cJSON_AddStringToObject(g, "message", why ? why : ok ? "ok" : "below threshold");
        cJSON_AddNumberToObject(g, "duration_ms", ms);
        cJSON_AddBoolToObject(g, "skipped", why != NULL);
        cJSON_AddItemToArray(gates, g);
        executed += !why;
        skipped += why != NULL;
        failed += !ok;
        total_ms += ms;
    }
    const char *me = args_get(pa, "--min-executed");
    bool passed = failed == 0 && (!me || executed >= atoi(me));
    cJSON_AddBoolToObject(doc, "passed", passed);
    cJSON_AddItemToObject(doc, "gates", gates);
    cJSON_AddNumberToObject(doc, "gates_executed", executed);
    cJSON_AddNumberToObject(doc, "gates_skipped", skipped);
    cJSON_AddNumberToObject(doc, "total_duration_ms", sim_round(total_ms, 3));
    cJSON_AddStringToObject(doc, "timestamp", "2026-01-01T00:00:00Z"); /* fixed: deterministic */
    char *summary = sim_printf("%d/%d gates passed, %d skipped", executed - failed, executed, skipped);
    cJSON_AddStringToObject(doc, "summary", summary);
    free(summary);
    cJSON *si = cJSON_AddObjectToObject(doc, "system_info");
    cJSON_AddStringToObject(si, "cpu_model", "apr-sim virtual CPU");
    apr_emit(ctx, doc);
    model_free(&m);
    if (!passed) {
        fprintf(stderr, "error: Validation failed: QA gates failed\n");
        return 5;
    }
    return 0;
}

/* ------------------------------------------------------------------ list */

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cmd_list(struct sim_ctx *ctx, const struct parsed_args *pa, const char *const *pos, int npos)
{
    (void)pa, (void)pos, (void)npos;
    /* apr lists its pacha cache; the simulator's "cache" is APR_SIM_HF_ROOT. */
    const char *root = getenv("APR_SIM_HF_ROOT");
    cJSON *doc = cJSON_CreateObject();
    cJSON *models = cJSON_AddArrayToObject(doc, "models");
    char *names[256];
    int n = 0;
    DIR *d = root && *root ? opendir(root) : NULL;
    struct dirent *e;
    while (d && n < 256 && (e = readdir(d)))
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    if (d)
        closedir(d);
    qsort(names, (size_t)n, sizeof names[0], name_cmp);
    long long total = 0;
    char *listing = strdup("");
    for (int i = 0; i < n; i++) {
        char *dir = sim_join_path(root, names[i]);
        struct sim_model m;
        char *msg = NULL;
        if (model_load(dir, true, &m, &msg) == 0) {
            char *path = sim_join_path(dir, "model.safetensors");
            const char *hf = desc_str(&m, "hf_id", names[i]);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", hf);
            cJSON_AddNumberToObject(o, "size_bytes", (double)m.file_size);
            cJSON_AddStringToObject(o, "format", "safetensors");
            cJSON_AddStringToObject(o, "path", path);
            cJSON_AddStringToObject(o, "source", "disk_scan");
            cJSON_AddItemToArray(models, o);
            total += m.file_size;
            char *l = sim_printf("%s%s\n", listing, hf);
            free(listing);
            listing = l;
            free(path);
            model_free(&m);
        }
        free(msg);
        free(dir);
        free(names[i]);
    }
    cJSON_AddNumberToObject(doc, "total", cJSON_GetArraySize(models));
    cJSON_AddNumberToObject(doc, "total_size_bytes", (double)total);
    if (ctx->json) {
        out_json(ctx, doc);
    } else {
        cJSON_Delete(doc);
        out_text(ctx, listing);
    }
    free(listing);
    return 0;
}
