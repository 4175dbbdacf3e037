/*
 * probe.c - tools/llama-probe: `llama-probe -m GGUF -p PROMPT [-n 32] [-k 20]
 * [-t N] [--ctx N] [--teacher-oracle FILE]`, one JSON document on stdout with
 * the shape of the real probe (docs/llamacpp-v0.4.0-samples/probe/): greedy
 * tokens and text as llama-completion would give them, the prompt ids and the
 * per-step top-k of apr's "logprobs" object, and with --teacher-oracle the
 * teacher-forced pass over the oracle (teacher_forced.c).  Usage errors exit
 * 2, an unreadable or non-GGUF model or oracle 1.
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct opt_spec PROBE_OPTS[] = {
    {"-m", NULL, OPT_STR, NULL, NULL},
    {"-p", NULL, OPT_STR, NULL, NULL},
    {"-n", NULL, OPT_INT, NULL, NULL},
    {"-k", NULL, OPT_INT, NULL, NULL},
    {"-t", NULL, OPT_INT, NULL, NULL},
    {"--ctx", NULL, OPT_INT, NULL, NULL},
    {"--teacher-oracle", NULL, OPT_STR, NULL, NULL},
    {"--version", NULL, OPT_FLAG, NULL, NULL},
    {0},
};

#define PROBE_USAGE                                                                  \
    "usage: llama-probe -m MODEL.gguf -p PROMPT [-n 32] [-k 20] [-t 2] [--ctx 512] " \
    "[--teacher-oracle ORACLE.json]"

int probe_main(struct sim_ctx *ctx)
{
    const struct opt_spec *const tables[] = {PROBE_OPTS, NULL};
    struct parsed_args pa;
    struct args_error err;
    if (args_parse(ctx->argc, ctx->argv, 1, tables, &pa, &err) != ARGS_OK || pa.npos > 0) {
        fprintf(stderr, "llama-probe: bad arguments\n%s\n", PROBE_USAGE);
        return 2;
    }
    if (args_has(&pa, "--version")) {
        printf("llama-probe 1 (llama.cpp %s, %s)\n", faults_version(ctx, "4000"), SIM_GIT_SHA);
        return 0;
    }
    const char *model = args_get(&pa, "-m"), *prompt = args_get(&pa, "-p");
    int k = args_get(&pa, "-k") ? atoi(args_get(&pa, "-k")) : 20;
    int n = args_get(&pa, "-n") ? atoi(args_get(&pa, "-n")) : 32;
    if (!model || !prompt || k < 1 || k > 64 || n < 0) {
        fprintf(stderr, "llama-probe: -m and -p are required, -k from 1 to 64\n%s\n", PROBE_USAGE);
        return 2;
    }
    struct sim_model m;
    char *msg = NULL;
    int rc = model_load(model, true, &m, &msg);
    if (rc == 0 && strcmp(m.format, "gguf") != 0) {
        model_free(&m);
        msg = strdup("not a GGUF file");
        rc = 1;
    }
    if (rc != 0) {
        fprintf(stderr, "llama-probe: cannot load %s: %s\n", model, msg);
        free(msg);
        return 1;
    }
    struct sim_gen g;
    model_generate(&m, prompt, n, &ctx->faults, &g);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "probe", "llama-probe");
    cJSON_AddNumberToObject(doc, "probe_version", 1);
    cJSON_AddStringToObject(doc, "model", model);
    cJSON_AddBoolToObject(doc, "add_bos", false);
    cJSON *ids = sim_prompt_ids(prompt, false);
    cJSON_AddNumberToObject(doc, "prompt_tokens", cJSON_GetArraySize(ids));
    cJSON_AddItemToObject(doc, "logprobs", sim_run_logprobs(ids, &g, k));
    cJSON_AddStringToObject(doc, "finish_reason", g.n < n ? "stop" : "length");
    cJSON *toks = cJSON_AddArrayToObject(doc, "tokens");
    for (int i = 0; i < g.n; i++)
        cJSON_AddItemToArray(toks, cJSON_CreateNumber((double)g.tokens[i]));
    cJSON_AddStringToObject(doc, "text", g.text);
    const char *oracle = args_get(&pa, "--teacher-oracle");
    cJSON *forced = oracle ? sim_teacher_forced(oracle, prompt, &g, &msg) : NULL;
    if (oracle && !forced) {
        fprintf(stderr, "llama-probe: %s\n", msg);
        free(msg);
        cJSON_Delete(doc);
        gen_free(&g);
        model_free(&m);
        return 1;
    }
    if (forced)
        cJSON_AddItemToObject(doc, "teacher_forced", forced);
    out_json(ctx, doc);
    gen_free(&g);
    model_free(&m);
    return 0;
}
