/* llama-probe: what llama.cpp's own numerics say about a prompt, as one JSON document on stdout.
 *
 *   llama-probe -m MODEL.gguf -p PROMPT [-n 32] [-k 20] [-t 2] [--ctx 512]
 *               [--teacher-oracle ORACLE.json]
 *   llama-probe --version
 *
 * 1. The prompt ids llama.cpp encodes (llama_tokenize with add_special and parse_special, as
 *    llama-completion does), then greedy decoding (argmax, lower id on ties; no sampler, no
 *    penalty) of up to -n tokens, stopping at an end-of-generation token, with the -k most likely
 *    tokens at every step. The "logprobs" object has the shape of `apr run --json --logprobs K`
 *    ({top_k, prompt_token_ids, steps: [{step, chosen, chosen_logprob, top: [{token_id, logit,
 *    logprob}], logsumexp_full}]}), so one reader serves both engines; "tokens" leaves the
 *    end-of-generation token out, as llama-completion and apr do, and "stop_step" records the
 *    step that chose it.
 * 2. With --teacher-oracle, a teacher-forced pass: the oracle's prompt_tokens (llama.cpp's own
 *    encoding when the oracle has none) followed by its tokens, in one batch as
 *    llama-perplexity evaluates text, giving at every generated position the top -k, the
 *    logprob and full-vocabulary rank of the oracle's token and, where the oracle records
 *    top_logprobs, what llama-perplexity --kl-divergence reports against its base: KLD, whether
 *    the top token is the same, and Δp of the oracle's token. The oracle holds only its top 20,
 *    so the KLD is taken over those ids plus one bucket for the rest of the vocabulary: a lower
 *    bound of the full KLD (merging outcomes never increases a divergence).
 *
 * Log-softmax is computed in double over llama.cpp's float logits. Flash attention is off and
 * the thread count fixed, as in the llama-completion samples. Exit 0 on success, 1 when the
 * model or the oracle cannot be read or decoding fails, 2 on a usage error. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "llama.h"

#define MAX_TOP 64
#define PROBE_VERSION 1 /* of the output's shape */

typedef struct {
    const char *model, *prompt, *teacher_oracle;
    int n_predict, top_k, threads, n_ctx;
} options;

/* One position's distribution: the logits and their normaliser. */
typedef struct {
    const float *logits;
    int n_vocab;
    double lse; /* ln(sum(exp(logits))) */
} distribution;

#define USAGE                                                                        \
    "usage: llama-probe -m MODEL.gguf -p PROMPT [-n 32] [-k 20] [-t 2] [--ctx 512] " \
    "[--teacher-oracle ORACLE.json]"

static void usage(const char *msg)
{
    fprintf(stderr, "llama-probe: %s\n%s\n", msg, USAGE);
    exit(2);
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "llama-probe: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static int int_arg(const char *flag, const char *v, int lo, int hi)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < lo || n > hi) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s: expected an integer from %d to %d, got \"%s\"", flag, lo, hi, v);
        usage(msg);
    }
    return (int)n;
}

static options parse_args(int argc, char **argv)
{
    options o = {.n_predict = 32, .top_k = 20, .threads = 2, .n_ctx = 512};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            puts(USAGE);
            exit(0);
        }
        if (!strcmp(a, "--version")) {
            printf("llama-probe %d (tools/llama-probe.c)\nllama.cpp system: %s\n", PROBE_VERSION,
                   llama_print_system_info());
            exit(0);
        }
        if (i + 1 >= argc)
            usage("every option takes a value");
        const char *v = argv[++i];
        if (!strcmp(a, "-m"))
            o.model = v;
        else if (!strcmp(a, "-p"))
            o.prompt = v;
        else if (!strcmp(a, "--teacher-oracle"))
            o.teacher_oracle = v;
        else if (!strcmp(a, "-n"))
            o.n_predict = int_arg(a, v, 0, 4096);
        else if (!strcmp(a, "-k"))
            o.top_k = int_arg(a, v, 1, MAX_TOP);
        else if (!strcmp(a, "-t"))
            o.threads = int_arg(a, v, 1, 256);
        else if (!strcmp(a, "--ctx"))
            o.n_ctx = int_arg(a, v, 16, 1 << 20);
        else {
            char msg[160];
            snprintf(msg, sizeof msg, "unknown option \"%s\"", a);
            usage(msg);
        }
    }
    if (!o.model || !o.prompt)
        usage("-m and -p are required");
    return o;
}

/* llama.cpp logs model loading at length; only its errors reach stderr. */
static void quiet_log(enum ggml_log_level level, const char *text, void *user)
{
    (void)user;
    if (level == GGML_LOG_LEVEL_ERROR)
        fputs(text, stderr);
}

/* ---- JSON output ----------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
    size_t n = s[0] < 0x80             ? 1
               : (s[0] & 0xE0) == 0xC0 ? 2
               : (s[0] & 0xF0) == 0xE0 ? 3
               : (s[0] & 0xF8) == 0xF0 ? 4
                                       : 0;
    if (!n || n > left || (n == 2 && s[0] < 0xC2))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    uint32_t cp = n == 1 ? s[0] : n == 2 ? (s[0] & 0x1Fu) : n == 3 ? (s[0] & 0x0Fu) : (s[0] & 0x07u);
    for (size_t i = 1; i < n; i++)
        cp = cp << 6 | (s[i] & 0x3Fu);
    static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    return cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ? 0 : n;
}

/* A JSON string; invalid UTF-8 (a token piece cut inside a character) becomes U+FFFD. */
static void put_string(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        size_t n = utf8_len((const unsigned char *)s + i, len - i);
        if (!n) {
            fputs("\\ufffd", f);
            i++;
        } else if (c == '"' || c == '\\') {
            fprintf(f, "\\%c", c);
            i++;
        } else if (c < 0x20) {
            fprintf(f, "\\u%04x", c);
            i++;
        } else {
            fwrite(s + i, 1, n, f);
            i += n;
        }
    }
    fputc('"', f);
}

/* %.9g reads back as the same float; non-finite values have no JSON form. */
static void put_float(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, "%.9g", x);
    else
        fputs("null", f);
}

static void put_ids(FILE *f, const llama_token *ids, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%d", i ? ", " : "", ids[i]);
    fputc(']', f);
}

/* ---- distributions --------------------------------------------------------------------- */

static distribution distribution_of(const float *logits, int n_vocab)
{
    double max = -INFINITY, sum = 0;
    for (int i = 0; i < n_vocab; i++)
        if (logits[i] > max)
            max = logits[i];
    for (int i = 0; i < n_vocab; i++)
        sum += exp(logits[i] - max);
    return (distribution){logits, n_vocab, max + log(sum)};
}

static double logprob_of(const distribution *d, llama_token t)
{
    return d->logits[t] - d->lse;
}

/* Whether a ranks above b: the higher logit, the lower id on a tie (argmax's first maximum). */
static bool above(const distribution *d, llama_token a, llama_token b)
{
    return d->logits[a] > d->logits[b] || (d->logits[a] == d->logits[b] && a < b);
}

/* The k most likely ids, most likely first; returns how many (k, or the vocabulary if smaller). */
static int top_ids(const distribution *d, int k, llama_token *out)
{
    int n = 0;
    for (llama_token t = 0; t < d->n_vocab; t++) {
        if (n == k && !above(d, t, out[n - 1]))
            continue;
        int at = n < k ? n++ : k - 1;
        while (at > 0 && above(d, t, out[at - 1])) {
            out[at] = out[at - 1];
            at--;
        }
        out[at] = t;
    }
    return n;
}

/* 1-based rank of t over the whole vocabulary. */
static int rank_of(const distribution *d, llama_token t)
{
    int r = 1;
    for (llama_token i = 0; i < d->n_vocab; i++)
        r += i != t && above(d, i, t);
    return r;
}

static void put_top(FILE *f, const distribution *d, int k)
{
    llama_token ids[MAX_TOP];
    int n = top_ids(d, k, ids);
    fputs("\"top\": [", f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s{\"token_id\": %d, \"logit\": ", i ? ", " : "", ids[i]);
        put_float(f, d->logits[ids[i]]);
        fputs(", \"logprob\": ", f);
        put_float(f, logprob_of(d, ids[i]));
        fputc('}', f);
    }
    fputs("], \"logsumexp_full\": ", f);
    put_float(f, d->lse);
}

static void put_step(FILE *f, int step, llama_token chosen, const distribution *d, int k)
{
    fprintf(f, "{\"step\": %d, \"chosen\": %d, \"chosen_logprob\": ", step, chosen);
    put_float(f, logprob_of(d, chosen));
    fputs(", ", f);
    put_top(f, d, k);
    fputc('}', f);
}

/* ---- llama.cpp ------------------------------------------------------------------------- */

typedef struct {
    struct llama_model *model;
    struct llama_context *ctx;
    const struct llama_vocab *vocab;
    int n_vocab;
} engine;

static engine engine_open(const options *o)
{
    engine e = {0};
    llama_log_set(quiet_log, NULL);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    if (!(e.model = llama_model_load_from_file(o->model, mp)))
        die("cannot load the model", o->model);
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = cp.n_batch = cp.n_ubatch = (uint32_t)o->n_ctx;
    cp.n_threads = cp.n_threads_batch = o->threads;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.no_perf = true;
    if (!(e.ctx = llama_init_from_model(e.model, cp)))
        die("cannot create a context for", o->model);
    e.vocab = llama_model_get_vocab(e.model);
    e.n_vocab = llama_vocab_n_tokens(e.vocab);
    return e;
}

static void engine_close(engine *e)
{
    llama_free(e->ctx);
    llama_model_free(e->model);
    llama_backend_free();
}

static llama_token *tokenize(const engine *e, const char *text, int *n)
{
    int len = (int)strlen(text);
    int cap = len + 8;
    llama_token *ids = malloc(sizeof *ids * (size_t)cap);
    if (!ids)
        die("out of memory", NULL);
    *n = llama_tokenize(e->vocab, text, len, ids, cap, true, true);
    if (*n < 0)
        die("llama_tokenize failed on the prompt", NULL);
    return ids;
}

/* Decodes ids[0..n) at positions from `pos`; outputs logits where `want_logits` says so
 * (NULL: for the last only). */
static void decode(const engine *e, const llama_token *ids, int n, int pos, const bool *want_logits)
{
    struct llama_batch b = llama_batch_init(n, 0, 1);
    for (int i = 0; i < n; i++) {
        b.token[i] = ids[i];
        b.pos[i] = pos + i;
        b.n_seq_id[i] = 1;
        b.seq_id[i][0] = 0;
        b.logits[i] = want_logits ? want_logits[i] : i == n - 1;
    }
    b.n_tokens = n;
    int rc = llama_decode(e->ctx, b);
    llama_batch_free(b);
    if (rc != 0) {
        char detail[32];
        snprintf(detail, sizeof detail, "returned %d", rc);
        die("llama_decode failed", detail);
    }
}

static llama_token argmax(const distribution *d)
{
    llama_token best = 0;
    for (llama_token t = 1; t < d->n_vocab; t++)
        if (d->logits[t] > d->logits[best])
            best = t;
    return best;
}

static void put_piece_text(FILE *f, const engine *e, const llama_token *ids, int n)
{
    size_t cap = 256, len = 0;
    char *text = malloc(cap);
    for (int i = 0; text && i < n; i++) {
        char piece[256];
        int m = llama_token_to_piece(e->vocab, ids[i], piece, sizeof piece, 0, false);
        if (m < 0)
            die("llama_token_to_piece failed", NULL);
        if (len + (size_t)m >= cap && !(text = realloc(text, cap = 2 * (len + (size_t)m))))
            break;
        memcpy(text + len, piece, (size_t)m);
        len += (size_t)m;
    }
    if (!text)
        die("out of memory", NULL);
    put_string(f, text, len);
    free(text);
}

/* Greedy generation from llama.cpp's encoding of the prompt. */
static void generate(FILE *f, const engine *e, const options *o)
{
    int n_prompt;
    llama_token *prompt = tokenize(e, o->prompt, &n_prompt);
    if (n_prompt < 1 || n_prompt + o->n_predict > o->n_ctx)
        die("the prompt and -n do not fit the context (--ctx)", NULL);
    llama_token *out = malloc(sizeof *out * (size_t)(o->n_predict + 1));
    if (!out)
        die("out of memory", NULL);
    fprintf(f, "  \"n_vocab\": %d,\n  \"add_bos\": %s,\n  \"prompt_tokens\": %d,\n", e->n_vocab,
            llama_vocab_get_add_bos(e->vocab) ? "true" : "false", n_prompt);
    fprintf(f, "  \"logprobs\": {\"top_k\": %d, \"prompt_token_ids\": ", o->top_k);
    put_ids(f, prompt, n_prompt);
    fputs(", \"steps\": [", f);
    decode(e, prompt, n_prompt, 0, NULL);
    int n = 0;
    bool stopped = false;
    while (n < o->n_predict) {
        distribution d = distribution_of(llama_get_logits_ith(e->ctx, -1), e->n_vocab);
        llama_token t = argmax(&d);
        if (llama_vocab_is_eog(e->vocab, t)) {
            fputs("]},\n  \"stop_step\": ", f);
            put_step(f, n, t, &d, o->top_k);
            stopped = true;
            break;
        }
        fputs(n ? ",\n    " : "\n    ", f);
        put_step(f, n, t, &d, o->top_k);
        out[n++] = t;
        if (n < o->n_predict)
            decode(e, &t, 1, n_prompt + n - 1, NULL);
    }
    if (!stopped)
        fputs("]},\n  \"stop_step\": null", f);
    fprintf(f, ",\n  \"finish_reason\": \"%s\",\n  \"tokens\": ", stopped ? "stop" : "length");
    put_ids(f, out, n);
    fputs(",\n  \"text\": ", f);
    put_piece_text(f, e, out, n);
    free(out);
    free(prompt);
}

/* ---- teacher forcing ------------------------------------------------------------------- */

typedef struct {
    llama_token *prompt, *tokens;
    int n_prompt, n_tokens;
    const cJSON *top; /* the oracle's top_logprobs, or NULL */
    bool own_prompt;  /* the prompt is llama.cpp's encoding: the oracle records none */
} reference;

static llama_token *read_ids(const cJSON *arr, const char *field, int n_vocab, int *n)
{
    if (!cJSON_IsArray(arr) || (*n = cJSON_GetArraySize(arr)) < 1)
        die(field, "missing, empty or not a list in the oracle");
    llama_token *ids = malloc(sizeof *ids * (size_t)*n);
    if (!ids)
        die("out of memory", NULL);
    int i = 0;
    const cJSON *v;
    cJSON_ArrayForEach (v, arr) {
        double id = cJSON_IsNumber(v) ? v->valuedouble : -1;
        if (!(id >= 0 && id < n_vocab && id == floor(id)))
            die(field, "holds an id that is not in the model's vocabulary");
        ids[i++] = (llama_token)id;
    }
    return ids;
}

static cJSON *read_json(const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        die("cannot open the oracle", path);
    char *data = NULL;
    size_t len = 0, cap = 0;
    for (size_t got;; len += got) {
        if (len + 65536 > cap && !(data = realloc(data, cap = 2 * (len + 65536))))
            die("out of memory", NULL);
        if (!(got = fread(data + len, 1, cap - len, in)))
            break;
    }
    fclose(in);
    cJSON *doc = cJSON_ParseWithLength(data, len);
    free(data);
    if (!cJSON_IsObject(doc))
        die("the oracle is not a JSON object", path);
    return doc;
}

static double p99(double *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    int at = (int)ceil(0.99 * n) - 1;
    return v[at < 0 ? 0 : at];
}

typedef struct {
    double kld_sum, dp2_sum, *klds;
    int same_top, n;
} kld_totals;

/* KLD(oracle || llama.cpp) over the oracle's listed ids plus one bucket for the rest. */
static void put_reference_stats(FILE *f, const distribution *d, const cJSON *top, llama_token token,
                                kld_totals *t)
{
    double p_listed = 0, q_listed = 0, kld = 0, p_token = NAN;
    const cJSON *e;
    cJSON_ArrayForEach (e, top) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id"),
                    *lp = cJSON_GetObjectItemCaseSensitive(e, "logprob");
        if (!cJSON_IsNumber(id) || !cJSON_IsNumber(lp) || id->valueint < 0 || id->valueint >= d->n_vocab)
            die("top_logprobs", "an entry without a valid id and logprob in the oracle");
        double p = exp(lp->valuedouble), q = exp(logprob_of(d, id->valueint));
        if (id->valueint == token)
            p_token = p;
        p_listed += p;
        q_listed += q;
        kld += p * (lp->valuedouble - logprob_of(d, id->valueint));
    }
    if (isnan(p_token))
        die("top_logprobs", "a position whose list lacks the oracle's token");
    double p_rest = p_listed < 1 ? 1 - p_listed : 0, q_rest = q_listed < 1 ? 1 - q_listed : 0;
    if (p_rest > 0)
        kld += p_rest * log(p_rest / (q_rest > 1e-300 ? q_rest : 1e-300));
    double dp = exp(logprob_of(d, token)) - p_token;
    bool same = argmax(d) == token;
    fputs(", \"reference_logprob\": ", f);
    put_float(f, log(p_token));
    fputs(", \"delta_p\": ", f);
    put_float(f, dp);
    fputs(", \"kld_top_lumped\": ", f);
    put_float(f, kld);
    fprintf(f, ", \"same_top\": %s", same ? "true" : "false");
    t->klds[t->n++] = kld;
    t->kld_sum += kld;
    t->dp2_sum += dp * dp;
    t->same_top += same;
}

static void put_summary(FILE *f, kld_totals *t)
{
    fprintf(f, ",\n    \"summary\": {\"n\": %d, \"kld_mean\": ", t->n);
    put_float(f, t->kld_sum / t->n);
    fputs(", \"kld_p99\": ", f);
    put_float(f, p99(t->klds, t->n));
    fputs(", \"kld_max\": ", f);
    put_float(f, t->klds[t->n - 1]);
    fputs(", \"same_top_p\": ", f);
    put_float(f, (double)t->same_top / t->n);
    fputs(", \"rms_delta_p\": ", f);
    put_float(f, sqrt(t->dp2_sum / t->n));
    fputs(", \"kld\": \"over the oracle's top ids plus one bucket for the rest: a lower bound\"}", f);
}

static reference read_reference(const engine *e, const options *o)
{
    reference r = {0};
    cJSON *doc = read_json(o->teacher_oracle);
    r.tokens = read_ids(cJSON_GetObjectItemCaseSensitive(doc, "tokens"), "tokens", e->n_vocab, &r.n_tokens);
    const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(doc, "prompt_tokens");
    if (prompt) {
        r.prompt = read_ids(prompt, "prompt_tokens", e->n_vocab, &r.n_prompt);
    } else {
        r.prompt = tokenize(e, o->prompt, &r.n_prompt);
        r.own_prompt = true;
    }
    const cJSON *top = cJSON_GetObjectItemCaseSensitive(doc, "top_logprobs");
    if (top && (!cJSON_IsArray(top) || cJSON_GetArraySize(top) != r.n_tokens))
        die("top_logprobs", "not one list per token in the oracle");
    r.top = top ? cJSON_DetachItemViaPointer(doc, (cJSON *)top) : NULL;
    cJSON_Delete(doc);
    return r;
}

static void teacher_forced(FILE *f, const engine *e, const options *o)
{
    reference r = read_reference(e, o);
    int n = r.n_prompt + r.n_tokens - 1;
    if (n + 1 > o->n_ctx)
        die("the oracle's prompt and tokens do not fit the context (--ctx)", NULL);
    llama_token *ids = malloc(sizeof *ids * (size_t)(n + 1));
    bool *want = calloc((size_t)n, sizeof *want);
    kld_totals t = {.klds = calloc((size_t)r.n_tokens, sizeof(double))};
    if (!ids || !want || !t.klds)
        die("out of memory", NULL);
    memcpy(ids, r.prompt, sizeof *ids * (size_t)r.n_prompt);
    memcpy(ids + r.n_prompt, r.tokens, sizeof *ids * (size_t)(r.n_tokens - 1));
    for (int i = r.n_prompt - 1; i < n; i++)
        want[i] = true;
    llama_memory_clear(llama_get_memory(e->ctx), true);
    decode(e, ids, n, 0, want);

    fputs(",\n  \"teacher_forced\": {\"reference\": ", f);
    put_string(f, o->teacher_oracle, strlen(o->teacher_oracle));
    fprintf(f, ", \"prompt_source\": \"%s\", \"prompt_token_ids\": ", r.own_prompt ? "llama.cpp" : "oracle");
    put_ids(f, r.prompt, r.n_prompt);
    fputs(", \"tokens\": ", f);
    put_ids(f, r.tokens, r.n_tokens);
    fputs(",\n    \"positions\": [", f);
    for (int i = 0; i < r.n_tokens; i++) {
        distribution d = distribution_of(llama_get_logits_ith(e->ctx, r.n_prompt - 1 + i), e->n_vocab);
        llama_token tok = r.tokens[i];
        fprintf(f, "%s\n      {\"index\": %d, \"token\": %d, \"logprob\": ", i ? "," : "", i, tok);
        put_float(f, logprob_of(&d, tok));
        fprintf(f, ", \"rank\": %d", rank_of(&d, tok));
        if (r.top)
            put_reference_stats(f, &d, cJSON_GetArrayItem(r.top, i), tok, &t);
        fputs(", ", f);
        put_top(f, &d, o->top_k);
        fputc('}', f);
    }
    fputs("]", f);
    if (r.top)
        put_summary(f, &t);
    fputs("}", f);
    cJSON_Delete((cJSON *)r.top);
    free(t.klds);
    free(want);
    free(ids);
    free(r.prompt);
    free(r.tokens);
}

int main(int argc, char **argv)
{
    options o = parse_args(argc, argv);
    engine e = engine_open(&o);
    FILE *f = stdout;
    fprintf(f, "{\n  \"probe\": \"llama-probe\",\n  \"probe_version\": %d,\n  \"model\": ", PROBE_VERSION);
    put_string(f, o.model, strlen(o.model));
    fputs(",\n", f);
    generate(f, &e, &o);
    if (o.teacher_oracle)
        teacher_forced(f, &e, &o);
    fputs("\n}\n", f);
    engine_close(&e);
    return fflush(f) == 0 ? 0 : 1;
}
