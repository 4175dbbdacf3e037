/*
 * llama.c - the llama.cpp side: `llama-completion` (text on stdout, logs on
 * stderr), `llama-quantize IN OUT TYPE` and `convert_hf_to_gguf.py SRC
 * --outfile OUT --outtype T`.  Each reports errors the way its real tool
 * does (exit 1 for llama.cpp, argparse's exit 2 for the converter).
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* llama.cpp reports load failures with the failing function's name, exit 1. */
static void load_or_exit(const char *path, struct sim_model *m, const char *who)
{
    char *msg = NULL;
    int rc = model_load(path, true, m, &msg);
    if (rc) {
        fprintf(stderr, "%s: failed to load model '%s': %s\n", who, path, msg);
        free(msg);
        exit(1);
    }
}

static int print_tool_version(const struct sim_ctx *ctx)
{
    /* llama.cpp prints its build banner on stderr */
    fprintf(stderr, "version: %s (%s)\nbuilt with apr-sim for x86_64-linux-gnu\n",
            faults_version(ctx, "4000"), SIM_GIT_SHA);
    return 0;
}

/* ---------------------------------------------------- llama-completion */

static const struct opt_spec LLAMA_OPTS[] = {
    {"--model", "-m", OPT_STR, NULL, NULL},
    {"--prompt", "-p", OPT_STR, NULL, NULL},
    {"--file", "-f", OPT_STR, NULL, NULL},
    {"--n-predict", "-n", OPT_INT, NULL, NULL},
    {"--temp", NULL, OPT_NUM, NULL, NULL},
    {"--top-k", NULL, OPT_INT, NULL, NULL},
    {"--top-p", NULL, OPT_NUM, NULL, NULL},
    {"--min-p", NULL, OPT_NUM, NULL, NULL},
    {"--repeat-penalty", NULL, OPT_NUM, NULL, NULL},
    {"--seed", "-s", OPT_INT, NULL, NULL},
    {"--threads", "-t", OPT_INT, NULL, NULL},
    {"--flash-attn", "-fa", OPT_STR, "on|off|auto", NULL},
    {"--ctx-size", "-c", OPT_INT, NULL, NULL},
    {"--batch-size", "-b", OPT_INT, NULL, NULL},
    {"--n-gpu-layers", "-ngl", OPT_INT, NULL, NULL},
    {"--no-display-prompt", NULL, OPT_FLAG, NULL, NULL},
    {"--no-warmup", NULL, OPT_FLAG, NULL, NULL},
    {"--no-conversation", "-no-cnv", OPT_FLAG, NULL, NULL},
    {"--simple-io", NULL, OPT_FLAG, NULL, NULL},
    {"--log-disable", NULL, OPT_FLAG, NULL, NULL},
    {"--ignore-eos", NULL, OPT_FLAG, NULL, NULL},
    {"--version", NULL, OPT_FLAG, NULL, NULL},
    {0},
};

static void llama_usage_error(const struct args_error *e)
{
    if (e->status == ARGS_NOVALUE)
        fprintf(stderr, "error: expected value for argument: %s\n", e->token);
    else if (e->status == ARGS_BADVALUE)
        fprintf(stderr, "error: invalid value for argument %s: '%s'\n", e->token, e->value);
    else
        fprintf(stderr, "error: invalid argument: %s\n", e->token);
    exit(1);
}

int llama_main(struct sim_ctx *ctx)
{
    const struct opt_spec *const tables[] = {LLAMA_OPTS, NULL};
    struct parsed_args pa;
    struct args_error err;
    if (args_parse(ctx->argc, ctx->argv, 1, tables, &pa, &err) != ARGS_OK)
        llama_usage_error(&err);
    if (args_has(&pa, "--version"))
        return print_tool_version(ctx);
    if (pa.npos > 0) {
        struct args_error extra = {.status = ARGS_UNKNOWN, .token = pa.pos[0]};
        llama_usage_error(&extra);
    }
    const char *model = args_get(&pa, "-m");
    if (!model) {
        fprintf(stderr, "error: --model is required\n");
        return 1;
    }
    char *from_file = NULL;
    const char *prompt = args_get(&pa, "-p");
    if (!prompt && args_get(&pa, "-f")) {
        from_file = sim_read_file(args_get(&pa, "-f"), NULL);
        if (!from_file) {
            fprintf(stderr, "error: failed to open file '%s'\n", args_get(&pa, "-f"));
            return 1;
        }
        prompt = from_file;
    }
    if (!prompt)
        prompt = "";
    const char *ns = args_get(&pa, "-n");
    int n = ns ? atoi(ns) : -1;
    if (n < 0)
        n = 32; /* "until EOS": the descriptor's answers are 32 tokens long */

    fprintf(stderr, "build: 4000 (%s) with apr-sim\nmain: llama backend init\n", SIM_GIT_SHA);
    struct sim_model m;
    load_or_exit(model, &m, "llama_model_load");
    if (strcmp(m.format, "gguf") != 0) {
        fprintf(stderr,
                "gguf_init_from_file_impl: invalid magic characters: not a GGUF file\n"
                "llama_model_load: error loading model: %s\n"
                "main: error: unable to load model\n",
                model);
        model_free(&m);
        free(from_file);
        return 1;
    }
    fprintf(stderr,
            "llama_model_loader: loaded meta data from %s (arch %s, type %s)\n"
            "sampler seed: %s\nsampler chain: top-k -> temp -> dist\n",
            model, model_arch(&m), m.quant, args_get(&pa, "-s") ? args_get(&pa, "-s") : "-1");
    struct sim_gen g;
    model_generate(&m, prompt, n, &ctx->faults, &g);
    const char *text = g.text;
    char *with_prompt = NULL;
    if (!args_has(&pa, "--no-display-prompt"))
        text = with_prompt = sim_printf("%s%s", prompt, g.text);
    out_text(ctx, text);
    fprintf(stderr, "\nllama_perf_context_print: eval time = %.2f ms / %d runs\n", g.n * 7.5 + 0.25, g.n);
    free(with_prompt);
    gen_free(&g);
    model_free(&m);
    free(from_file);
    return 0;
}

/* ------------------------------------------------------ llama-quantize */

static const char *const QUANT_TYPES[] = {
    "F32",    "F16",    "BF16",   "Q8_0",   "Q4_0",   "Q4_1",   "Q5_0",   "Q5_1", "Q2_K",
    "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K", NULL,
};

static const struct opt_spec QUANTIZE_OPTS[] = {
    {"--allow-requantize", NULL, OPT_FLAG, NULL, NULL},
    {"--leave-output-tensor", NULL, OPT_FLAG, NULL, NULL},
    {"--pure", NULL, OPT_FLAG, NULL, NULL},
    {"--imatrix", NULL, OPT_STR, NULL, NULL},
    {"--version", NULL, OPT_FLAG, NULL, NULL},
    {0},
};

static void quantize_usage(const char *why)
{
    fprintf(stderr,
            "%s\nusage: llama-quantize [--allow-requantize] [--leave-output-tensor] "
            "[--pure] [--imatrix file] model-f32.gguf [model-quant.gguf] type [nthreads]\n",
            why);
    exit(1);
}

int quantize_main(struct sim_ctx *ctx)
{
    const struct opt_spec *const tables[] = {QUANTIZE_OPTS, NULL};
    struct parsed_args pa;
    struct args_error err;
    if (args_parse(ctx->argc, ctx->argv, 1, tables, &pa, &err) != ARGS_OK) {
        char *why = sim_printf("error: unknown argument: %s", err.token);
        quantize_usage(why); /* exits */
    }
    if (args_has(&pa, "--version"))
        return print_tool_version(ctx);
    if (pa.npos < 3 || pa.npos > 4)
        quantize_usage("error: expected IN OUT TYPE");
    const char *in = pa.pos[0], *out = pa.pos[1], *type = pa.pos[2];
    int ok = 0;
    for (int i = 0; QUANT_TYPES[i]; i++)
        ok |= strcasecmp(type, QUANT_TYPES[i]) == 0;
    if (!ok) {
        char *why = sim_printf("main: invalid ftype '%s'", type);
        quantize_usage(why);
    }
    struct sim_model m;
    load_or_exit(in, &m, "llama_model_quantize");
    if (strcmp(m.format, "gguf") != 0) {
        fprintf(stderr, "llama_model_quantize: failed to quantize: %s is not a GGUF file\n", in);
        model_free(&m);
        return 1;
    }
    char quant[16];
    size_t i = 0;
    for (; type[i] && i + 1 < sizeof quant; i++)
        quant[i] = (char)((type[i] >= 'A' && type[i] <= 'Z') ? type[i] + 32 : type[i]);
    quant[i] = '\0';
    char *step = sim_printf("quantize:%s", quant);
    struct sim_file content = model_derive(&m, "gguf", quant, faults_step(ctx, step));
    fprintf(stderr, "main: quantizing '%s' to '%s' as %s\n", in, out, type);
    out_file(ctx, out, &content);
    char *summary =
        sim_printf("main: quantize time = %8.2f ms\nmain:    total time = %8.2f ms\n", 123.45, 130.5);
    out_text(ctx, summary);
    free(summary);
    free(content.data);
    free(step);
    model_free(&m);
    return 0;
}

/* ------------------------------------------------- convert_hf_to_gguf */

static const struct opt_spec CONVERT_OPTS[] = {
    {"--outfile", NULL, OPT_STR, NULL, NULL},
    {"--outtype", NULL, OPT_STR, "f32|f16|bf16|q8_0|tq1_0|tq2_0|auto", NULL},
    {"--vocab-only", NULL, OPT_FLAG, NULL, NULL},
    {"--use-temp-file", NULL, OPT_FLAG, NULL, NULL},
    {"--no-lazy", NULL, OPT_FLAG, NULL, NULL},
    {"--model-name", NULL, OPT_STR, NULL, NULL},
    {"--verbose", NULL, OPT_FLAG, NULL, NULL},
    {"--bigendian", NULL, OPT_FLAG, NULL, NULL},
    {"--dry-run", NULL, OPT_FLAG, NULL, NULL},
    {"--version", NULL, OPT_FLAG, NULL, NULL},
    {0},
};

static void argparse_fail(const char *fmt, const char *arg)
{
    fprintf(stderr,
            "usage: convert_hf_to_gguf.py [-h] [--outfile OUTFILE] "
            "[--outtype {f32,f16,bf16,q8_0,tq1_0,tq2_0,auto}] model\n"
            "convert_hf_to_gguf.py: error: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(2);
}

int convert_main(struct sim_ctx *ctx)
{
    const struct opt_spec *const tables[] = {CONVERT_OPTS, NULL};
    struct parsed_args pa;
    struct args_error err;
    if (args_parse(ctx->argc, ctx->argv, 1, tables, &pa, &err) != ARGS_OK) {
        if (err.status == ARGS_BADVALUE)
            argparse_fail("argument --outtype: invalid choice: '%s'", err.value);
        if (err.status == ARGS_NOVALUE)
            argparse_fail("argument %s: expected one argument", err.token);
        argparse_fail("unrecognized arguments: %s", err.token);
    }
    if (args_has(&pa, "--version")) { /* on stdout, as argparse's version action */
        char *line = sim_printf("convert_hf_to_gguf.py %s (%s)\n", faults_version(ctx, "4000"), SIM_GIT_SHA);
        out_text(ctx, line);
        free(line);
        return 0;
    }
    if (pa.npos != 1)
        argparse_fail(pa.npos ? "unrecognized arguments: %s"
                              : "the following arguments are "
                                "required: model%s",
                      pa.npos ? pa.pos[1] : "");
    const char *src = pa.pos[0];
    const char *outtype = args_get(&pa, "--outtype");
    if (!outtype || strcmp(outtype, "auto") == 0)
        outtype = "f16";
    char *cfg = sim_join_path(src, "config.json");
    struct stat st;
    if (stat(cfg, &st) != 0) {
        fprintf(stderr,
                "Traceback (most recent call last):\nFileNotFoundError: [Errno 2] No "
                "such file or directory: '%s'\n",
                cfg);
        free(cfg);
        return 1;
    }
    free(cfg);
    struct sim_model m;
    char *msg = NULL;
    if (model_load(src, true, &m, &msg) != 0 || !m.source_dir) {
        fprintf(stderr, "ERROR:hf-to-gguf:Model %s is not supported: %s\n", src,
                msg ? msg : "not an HF model directory");
        free(msg);
        return 1;
    }
    char upper[16];
    size_t i = 0;
    for (; outtype[i] && i + 1 < sizeof upper; i++)
        upper[i] = (char)((outtype[i] >= 'a' && outtype[i] <= 'z') ? outtype[i] - 32 : outtype[i]);
    upper[i] = '\0';
    const char *o = args_get(&pa, "--outfile");
    char *out = o ? strdup(o) : sim_printf("%s/%s-%s.gguf", src, model_name(&m), upper);
    fprintf(stderr, "INFO:hf-to-gguf:Loading model: %s\nINFO:hf-to-gguf:Model architecture: %s\n",
            sim_basename(src), model_arch(&m));
    char *step = sim_printf("convert:%s", outtype);
    struct sim_file content = model_derive(&m, "gguf", outtype, faults_step(ctx, step));
    if (!args_has(&pa, "--dry-run"))
        out_file(ctx, out, &content);
    fprintf(stderr, "INFO:hf-to-gguf:Model successfully exported to %s\n", out);
    free(content.data);
    free(step);
    free(out);
    model_free(&m);
    return 0;
}
