/*
 * model.c - what the simulator knows about models.
 *
 * A source is an HF-like directory holding sim-model.json (the descriptor:
 * architecture, sizes, perplexities and the exact answer for each known
 * prompt).  Every file an engine writes (import, export, quantize, convert)
 * is a "derived" file: the header of its format (container.c) around pretty
 * JSON {sim_format, quant, model: <descriptor>, lineage: [steps]}.  Carrying the descriptor along is what
 * makes APR -> GGUF -> APR round trips reproduce the original answers, and keeping paths out of the file
 * makes its bytes depend only on its inputs.
 *
 * Tensors and statistics are synthesised from the architecture and a hash of
 * each tensor name, so they are plausible, stable and cost nothing.
 */
#include "sim.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static long long file_size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

static cJSON *read_json(const char *path)
{
    char *text = sim_read_file(path, NULL);
    cJSON *doc = text ? cJSON_Parse(text) : NULL;
    free(text);
    return doc;
}

static bool has_descriptor(const char *dir)
{
    char *p = sim_join_path(dir, "sim-model.json");
    struct stat st;
    bool ok = stat(p, &st) == 0 && S_ISREG(st.st_mode);
    free(p);
    return ok;
}

/* hf://ORG/NAME[/FILE] -> a source directory under APR_SIM_HF_ROOT: either
 * ROOT/ORG/NAME, or any ROOT/<dir> whose descriptor says hf_id "ORG/NAME"
 * (so ROOT can be tests/sim/models, whose directories are named by slug). */
static char *resolve_hf(const char *uri, bool offline, char **msg)
{
    const char *root = getenv("APR_SIM_HF_ROOT");
    const char *slash = strchr(uri, '/');
    size_t idlen = slash ? strcspn(slash + 1, "/") + (size_t)(slash - uri) + 1 : strlen(uri);
    char *id = strndup(uri, idlen);
    char *found = NULL;
    if (root && *root) {
        char *direct = sim_join_path(root, id);
        if (has_descriptor(direct))
            found = direct;
        else
            free(direct);
        DIR *d = found ? NULL : opendir(root);
        struct dirent *e;
        while (d && !found && (e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char *dir = sim_join_path(root, e->d_name);
            char *desc_path = sim_join_path(dir, "sim-model.json");
            cJSON *desc = read_json(desc_path);
            const cJSON *hf = cJSON_GetObjectItemCaseSensitive(desc, "hf_id");
            if (cJSON_IsString(hf) && strcmp(hf->valuestring, id) == 0)
                found = dir;
            else
                free(dir);
            cJSON_Delete(desc);
            free(desc_path);
        }
        if (d)
            closedir(d);
    }
    if (!found)
        *msg = offline ? sim_printf("Network error: OFFLINE-MODE: refusing to fetch hf://%s", id)
                       : sim_printf(
                             "Network error: cannot reach huggingface.co for hf://%s "
                             "(apr-sim has no network; set APR_SIM_HF_ROOT)",
                             id);
    free(id);
    return found;
}

static void set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = strdup(s);
}

static int load_source_dir(const char *dir, struct sim_model *m, char **msg)
{
    char *desc_path = sim_join_path(dir, "sim-model.json");
    struct stat st;
    if (stat(desc_path, &st) != 0) {
        *msg = sim_printf("File not found: %s/model.safetensors (no model files in directory)", dir);
        free(desc_path);
        return 3;
    }
    cJSON *desc = read_json(desc_path);
    free(desc_path);
    if (!cJSON_IsObject(desc)) {
        cJSON_Delete(desc);
        *msg = sim_printf("Invalid format: %s/sim-model.json is not a JSON object", dir);
        return 4;
    }
    m->root = cJSON_CreateObject();
    cJSON_AddStringToObject(m->root, "sim_format", "safetensors");
    cJSON_AddStringToObject(m->root, "quant", "f32");
    cJSON_AddItemToObject(m->root, "model", desc);
    cJSON_AddArrayToObject(m->root, "lineage");
    m->desc = desc;
    set_str(&m->format, "safetensors");
    set_str(&m->quant, "f32");
    set_str(&m->source_dir, dir);
    char *st_path = sim_join_path(dir, "model.safetensors");
    m->file_size = file_size_of(st_path);
    free(st_path);
    return 0;
}

/* A file of an HF directory stands for the directory, as in apr. */
static bool names_source_file(const char *path)
{
    const char *b = sim_basename(path);
    return sim_ends_with(b, ".safetensors") || strcmp(b, "config.json") == 0 ||
           strcmp(b, "sim-model.json") == 0 || strcmp(b, "model.safetensors.index.json") == 0;
}

static int load_any(const char *path, bool offline, struct sim_model *m, char **msg)
{
    m->path = strdup(path);
    *msg = NULL;
    if (strncmp(path, "hf://", 5) == 0) {
        char *dir = resolve_hf(path + 5, offline, msg);
        if (!dir)
            return 10;
        int rc = load_source_dir(dir, m, msg);
        free(dir);
        return rc;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        *msg = sim_printf("File not found: %s", path);
        return 3;
    }
    if (S_ISDIR(st.st_mode))
        return load_source_dir(path, m, msg);
    if (!S_ISREG(st.st_mode)) {
        *msg = sim_printf("Not a file: %s", path);
        return 3;
    }
    size_t len = 0, payload_len = 0;
    char *data = sim_read_file(path, &len);
    const char *payload = data ? container_payload(data, len, &payload_len) : NULL;
    cJSON *doc = payload ? cJSON_ParseWithLength(payload, payload_len) : NULL;
    free(data);
    cJSON *fmt = cJSON_GetObjectItemCaseSensitive(doc, "sim_format");
    cJSON *desc = cJSON_GetObjectItemCaseSensitive(doc, "model");
    if (cJSON_IsString(fmt) && cJSON_IsObject(desc)) {
        cJSON *q = cJSON_GetObjectItemCaseSensitive(doc, "quant");
        if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "lineage")))
            cJSON_AddArrayToObject(doc, "lineage");
        m->root = doc;
        m->desc = desc;
        set_str(&m->format, fmt->valuestring);
        set_str(&m->quant, cJSON_IsString(q) ? q->valuestring : "f32");
        m->file_size = (long long)st.st_size;
        return 0;
    }
    cJSON_Delete(doc);
    if (names_source_file(path)) {
        char *dir = sim_dirname(path);
        if (has_descriptor(dir)) {
            int rc = load_source_dir(dir, m, msg);
            free(dir);
            return rc;
        }
        free(dir);
    }
    *msg = len == 0 ? sim_printf("Invalid APR format: %s: file is empty (0 bytes)", path)
                    : sim_printf(
                          "Invalid APR format: %s: unrecognised header "
                          "(not APR v2, GGUF or SafeTensors)",
                          path);
    return 4;
}

int model_load(const char *path, bool offline, struct sim_model *m, char **msg)
{
    memset(m, 0, sizeof *m);
    int rc = load_any(path, offline, m, msg);
    if (rc)
        model_free(m); /* callers only free what loaded */
    return rc;
}

void model_free(struct sim_model *m)
{
    cJSON_Delete(m->root);
    free(m->path);
    free(m->format);
    free(m->quant);
    free(m->source_dir);
    memset(m, 0, sizeof *m);
}

const char *model_name(const struct sim_model *m)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(m->desc, "name");
    if (cJSON_IsString(n))
        return n->valuestring;
    return sim_basename(m->source_dir ? m->source_dir : m->path);
}

const char *model_arch(const struct sim_model *m)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(m->desc, "architecture");
    return cJSON_IsString(a) ? a->valuestring : "unknown";
}

long model_int(const struct sim_model *m, const char *field, long dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m->desc, field);
    return cJSON_IsNumber(v) ? (long)v->valuedouble : dflt;
}

static bool prefixed(const char *s, const char *const *prefixes)
{
    for (; *prefixes; prefixes++)
        if (strncasecmp(s, *prefixes, strlen(*prefixes)) == 0)
            return true;
    return false;
}

enum qclass model_qclass(const char *quant)
{
    static const char *const I8[] = {"int8", "i8", "q8", "q6", "q5", NULL};
    static const char *const I4[] = {"int4", "i4", "q4", "q3", "q2", "iq", "tq", NULL};
    static const char *const F16[] = {"fp16", "f16", "half", "bf16", NULL};
    if (prefixed(quant, I8))
        return Q_INT8;
    if (prefixed(quant, I4))
        return Q_INT4;
    if (prefixed(quant, F16))
        return Q_F16;
    return Q_F32;
}

double model_ppl(const struct sim_model *m)
{
    static const char *const KEY[] = {
        [Q_F32] = "f32", [Q_F16] = "fp16", [Q_INT8] = "int8", [Q_INT4] = "int4"};
    const cJSON *ppl = cJSON_GetObjectItemCaseSensitive(m->desc, "ppl");
    enum qclass q = model_qclass(m->quant);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ppl, KEY[q]);
    if (!cJSON_IsNumber(v))
        v = cJSON_GetObjectItemCaseSensitive(ppl, "f32");
    return cJSON_IsNumber(v) ? v->valuedouble : 10.0;
}

struct sim_file model_derive(const struct sim_model *src, const char *format, const char *quant,
                             const char *step)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "sim_format", format);
    cJSON_AddStringToObject(doc, "quant", quant);
    cJSON_AddItemToObject(doc, "model", cJSON_Duplicate(src->desc, true));
    cJSON *lineage = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(src->root, "lineage"), true);
    cJSON_AddItemToArray(lineage, cJSON_CreateString(step));
    cJSON_AddItemToObject(doc, "lineage", lineage);
    char *body = cJSON_Print(doc);
    cJSON_Delete(doc);
    char *text = sim_printf("%s\n", body);
    free(body);
    /* the tensors as the new file holds them: its format and quantisation */
    struct sim_model derived = *src;
    derived.format = strdup(format);
    derived.quant = strdup(quant);
    struct sim_tensor *t;
    int n = model_tensors(&derived, &t);
    struct sim_file f = container_wrap(format, model_arch(src), t, n, text);
    free(t);
    free(derived.format);
    free(derived.quant);
    free(text);
    return f;
}

/* ------------------------------------------------------------- tensors */

struct tlist {
    struct sim_tensor *t;
    int n, cap;
};

static void tadd(struct tlist *l, long long d0, long long d1, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void tadd(struct tlist *l, long long d0, long long d1, const char *fmt, ...)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->t = realloc(l->t, sizeof *l->t * (size_t)l->cap);
    }
    struct sim_tensor *t = &l->t[l->n++];
    memset(t, 0, sizeof *t);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->name, sizeof t->name, fmt, ap);
    va_end(ap);
    t->dims[0] = d0;
    t->dims[1] = d1;
    t->ndim = d1 ? 2 : 1;
    t->elements = d1 ? d0 * d1 : d0;
}

static void gpt2_tensors(struct tlist *l, long layers, long h, long inter, long vocab, long ctx)
{
    tadd(l, vocab, h, "wte.weight");
    tadd(l, ctx, h, "wpe.weight");
    for (long i = 0; i < layers; i++) {
        tadd(l, h, 0, "h.%ld.ln_1.weight", i);
        tadd(l, h, 0, "h.%ld.ln_1.bias", i);
        tadd(l, h, 3 * h, "h.%ld.attn.c_attn.weight", i);
        tadd(l, 3 * h, 0, "h.%ld.attn.c_attn.bias", i);
        tadd(l, h, h, "h.%ld.attn.c_proj.weight", i);
        tadd(l, h, 0, "h.%ld.attn.c_proj.bias", i);
        tadd(l, h, 0, "h.%ld.ln_2.weight", i);
        tadd(l, h, 0, "h.%ld.ln_2.bias", i);
        tadd(l, h, inter, "h.%ld.mlp.c_fc.weight", i);
        tadd(l, inter, 0, "h.%ld.mlp.c_fc.bias", i);
        tadd(l, inter, h, "h.%ld.mlp.c_proj.weight", i);
        tadd(l, h, 0, "h.%ld.mlp.c_proj.bias", i);
    }
    tadd(l, h, 0, "ln_f.weight");
    tadd(l, h, 0, "ln_f.bias");
}

static void llama_tensors(struct tlist *l, long layers, long h, long heads, long kv_heads, long inter,
                          long vocab, bool qkv_bias, bool tied)
{
    long kv = heads > 0 ? h / heads * kv_heads : h;
    tadd(l, vocab, h, "model.embed_tokens.weight");
    for (long i = 0; i < layers; i++) {
        tadd(l, h, 0, "model.layers.%ld.input_layernorm.weight", i);
        tadd(l, h, h, "model.layers.%ld.self_attn.q_proj.weight", i);
        tadd(l, kv, h, "model.layers.%ld.self_attn.k_proj.weight", i);
        tadd(l, kv, h, "model.layers.%ld.self_attn.v_proj.weight", i);
        if (qkv_bias) {
            tadd(l, h, 0, "model.layers.%ld.self_attn.q_proj.bias", i);
            tadd(l, kv, 0, "model.layers.%ld.self_attn.k_proj.bias", i);
            tadd(l, kv, 0, "model.layers.%ld.self_attn.v_proj.bias", i);
        }
        tadd(l, h, h, "model.layers.%ld.self_attn.o_proj.weight", i);
        tadd(l, h, 0, "model.layers.%ld.post_attention_layernorm.weight", i);
        tadd(l, inter, h, "model.layers.%ld.mlp.gate_proj.weight", i);
        tadd(l, inter, h, "model.layers.%ld.mlp.up_proj.weight", i);
        tadd(l, h, inter, "model.layers.%ld.mlp.down_proj.weight", i);
    }
    tadd(l, h, 0, "model.norm.weight");
    if (!tied)
        tadd(l, vocab, h, "lm_head.weight");
}

/* GGUF type names for quant strings; llama-quantize types (q4_k_m) name
 * their dominant tensor type (Q4_K).  Only string literals are returned. */
static const char *gguf_dtype(const char *quant)
{
    static const struct {
        const char *prefix, *dtype;
    } T[] = {
        {"q8_0", "Q8_0"}, {"q4_0", "Q4_0"}, {"q4_1", "Q4_1"}, {"q5_0", "Q5_0"},
        {"q5_1", "Q5_1"}, {"q2_k", "Q2_K"}, {"q3_k", "Q3_K"}, {"q4_k", "Q4_K"},
        {"q4k", "Q4_K"},  {"q5_k", "Q5_K"}, {"q6_k", "Q6_K"}, {"bf16", "BF16"},
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
        if (strncasecmp(quant, T[i].prefix, strlen(T[i].prefix)) == 0)
            return T[i].dtype;
    switch (model_qclass(quant)) {
    case Q_INT4:
        return "Q4_0";
    case Q_INT8:
        return "Q8_0";
    case Q_F16:
        return "F16";
    default:
        return "F32";
    }
}

static const char *tensor_dtype(const struct sim_model *m, int ndim)
{
    if (ndim < 2) /* norms and biases stay F32 in every format */
        return "F32";
    if (strcmp(m->format, "gguf") == 0)
        return gguf_dtype(m->quant);
    switch (model_qclass(m->quant)) {
    case Q_INT4:
        return strcasecmp(m->quant, "q4k") == 0 ? "Q4_K" : "Q4";
    case Q_INT8:
        return "Q8";
    case Q_F16:
        return strncasecmp(m->quant, "bf16", 4) == 0 ? "BF16" : "F16";
    default:
        return "F32";
    }
}

static long long dtype_bytes(const char *dtype, long long n)
{
    static const struct {
        const char *name;
        long long block, bytes;
    } T[] = {
        {"F32", 1, 4},      {"F16", 1, 2},      {"BF16", 1, 2},     {"Q4", 32, 18},     {"Q4_0", 32, 18},
        {"Q4_1", 32, 20},   {"Q5_0", 32, 22},   {"Q5_1", 32, 24},   {"Q8_0", 32, 34},   {"Q2_K", 256, 84},
        {"Q3_K", 256, 110}, {"Q4_K", 256, 144}, {"Q5_K", 256, 176}, {"Q6_K", 256, 210},
    };
    if (strcmp(dtype, "Q8") == 0)
        return n + 4; /* apr Q8: one f32 scale, then n x i8 */
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
        if (strcmp(T[i].name, dtype) == 0)
            return (n + T[i].block - 1) / T[i].block * T[i].bytes;
    return n;
}

int model_tensors(const struct sim_model *m, struct sim_tensor **out)
{
    long layers = model_int(m, "num_layers", 2), h = model_int(m, "hidden_size", 64);
    long heads = model_int(m, "num_heads", 4), kvh = model_int(m, "num_kv_heads", heads);
    long inter = model_int(m, "intermediate_size", 4 * h);
    long vocab = model_int(m, "vocab_size", 1000);
    const char *arch = model_arch(m);
    const cJSON *tied = cJSON_GetObjectItemCaseSensitive(m->desc, "tie_word_embeddings");
    struct tlist l = {0};
    if (sim_contains_ci(arch, "gpt2") || sim_contains_ci(arch, "gpt-2"))
        gpt2_tensors(&l, layers, h, inter, vocab, model_int(m, "max_position_embeddings", 1024));
    else
        llama_tensors(&l, layers, h, heads, kvh, inter, vocab, sim_contains_ci(arch, "qwen"),
                      !cJSON_IsFalse(tied));

    enum qclass q = model_qclass(m->quant);
    static const double NOISE[] = {[Q_F32] = 1.0, [Q_F16] = 1.0001, [Q_INT8] = 1.001, [Q_INT4] = 1.012};
    for (int i = 0; i < l.n; i++) {
        struct sim_tensor *t = &l.t[i];
        t->dtype = tensor_dtype(m, t->ndim);
        t->size_bytes = dtype_bytes(t->dtype, t->elements);
        t->seed = sim_hash_str(t->name, 0x74656e736f72ULL);
        uint64_t st = t->seed;
        bool bias = sim_ends_with(t->name, ".bias");
        bool norm = !bias && (strstr(t->name, "norm") || strstr(t->name, "ln_"));
        double u1 = sim_rng_unit(&st), u2 = sim_rng_unit(&st), u3 = sim_rng_unit(&st);
        double std = bias ? 0.01 + 0.02 * u1 : norm ? 0.02 + 0.05 * u1 : 0.015 + 0.06 * u1;
        double mean = norm ? 0.9 + 0.2 * u2 : (u2 - 0.5) * 0.004;
        std *= NOISE[q]; /* quantisation changes the statistics a little */
        mean += (double)q * 1e-5;
        double spread = 3.5 + 1.5 * u3;
        t->std = sim_round(std, 6);
        t->mean = sim_round(mean, 6);
        t->min = sim_round(mean - spread * std, 6);
        t->max = sim_round(mean + spread * std, 6);
    }
    *out = l.t;
    return l.n;
}

long long model_param_count(const struct sim_model *m)
{
    struct sim_tensor *t;
    int n = model_tensors(m, &t);
    long long total = 0;
    for (int i = 0; i < n; i++)
        total += t[i].elements;
    free(t);
    return total;
}

double tensor_sample(const struct sim_tensor *t, int i)
{
    uint64_t st = t->seed + (uint64_t)i * 0x9E37ULL;
    double v = t->mean + t->std * (2.0 * sim_rng_unit(&st) - 1.0) * 1.7;
    return sim_round(fmin(t->max, fmax(t->min, v)), 6);
}

/* ---------------------------------------------------------- generation */

static const char *const SYLLABLES[] = {"ka", "lo", "mi", "ne", "ru", "sa",
                                        "to", "vi", "ze", "po", "da", "fe"};

/* Text for a pseudo token: a made-up word, so unknown prompts still produce
 * readable, deterministic output. */
static char *append_word(char *text, long tok)
{
    char *next = sim_printf("%s %s%s%s", text, SYLLABLES[tok % 12], SYLLABLES[(tok / 12) % 12],
                            tok % 3 == 0 ? SYLLABLES[(tok / 144) % 12] : "");
    free(text);
    return next;
}

static long pseudo_token(uint64_t *st, long vocab)
{
    long lo = vocab > 200 ? 100 : 0;
    long span = vocab - lo > 0 ? vocab - lo : 1;
    return lo + (long)(sim_rng_next(st) % (uint64_t)span);
}

/* One changed token changes exactly one code point of the text, at the
 * proportional position: text comparisons then count one mismatch per
 * altered token (unless two land on the same code point). */
static char *alter_text(const char *text, size_t cp_index)
{
    size_t ncp = sim_utf8_count(text);
    if (ncp == 0)
        return strdup("~");
    size_t off = sim_utf8_offset(text, cp_index < ncp ? cp_index : ncp - 1);
    size_t end = sim_utf8_offset(text, (cp_index < ncp ? cp_index : ncp - 1) + 1);
    unsigned char c = (unsigned char)text[off];
    char repl;
    if ((c >= 'a' && c < 'z') || (c >= 'A' && c < 'Z') || (c >= '0' && c < '9'))
        repl = (char)(c + 1);
    else if (c == 'z' || c == 'Z' || c == '9')
        repl = (char)(c - (c == '9' ? 9 : 25));
    else if (c == ' ')
        repl = '_';
    else if (c < 0x80)
        repl = c == '#' ? '*' : '#';
    else
        repl = '?';
    return sim_printf("%.*s%c%s", (int)off, text, repl, text + end);
}

void model_generate(const struct sim_model *m, const char *prompt, int n, const struct sim_faults *faults,
                    struct sim_gen *out)
{
    if (n < 0)
        n = 0;
    long vocab = model_int(m, "vocab_size", 32000);
    const cJSON *entry =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m->desc, "prompts"), prompt);
    const cJSON *toks = cJSON_GetObjectItemCaseSensitive(entry, "tokens");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(entry, "text");
    int known = cJSON_IsArray(toks) && cJSON_IsString(text) ? cJSON_GetArraySize(toks) : 0;

    out->n = n;
    out->tokens = calloc((size_t)n + 1, sizeof *out->tokens);
    if (known > 0) {
        const char *t = text->valuestring;
        size_t ncp = sim_utf8_count(t);
        size_t keep = n >= known ? ncp : (size_t)n * ncp / (size_t)known;
        out->text = strndup(t, sim_utf8_offset(t, keep));
    } else {
        out->text = strdup("");
        known = 0;
    }
    uint64_t st = sim_hash_str(prompt, sim_hash_str(model_name(m), 0));
    for (int i = 0; i < n; i++) {
        if (i < known) {
            out->tokens[i] = (long)cJSON_GetArrayItem(toks, i)->valuedouble;
        } else {
            out->tokens[i] = pseudo_token(&st, vocab);
            out->text = append_word(out->text, out->tokens[i]);
        }
    }
    for (int a = 0; faults && a < faults->nalters; a++) {
        const struct sim_alter *al = &faults->alters[a];
        if (al->idx >= n)
            continue; /* out of range: nothing generated there to alter */
        long old = out->tokens[al->idx];
        long nw = al->has_newid ? al->newid : old + 1;
        if (nw == old)
            continue;
        out->tokens[al->idx] = nw;
        size_t ncp = sim_utf8_count(out->text);
        char *t = alter_text(out->text, (size_t)al->idx * ncp / (size_t)n);
        free(out->text);
        out->text = t;
    }
}

void gen_free(struct sim_gen *g)
{
    free(g->tokens);
    free(g->text);
    memset(g, 0, sizeof *g);
}
