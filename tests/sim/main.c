/*
 * main.c - personality dispatch.  One binary plays several engines, chosen
 * by basename(argv[0]) (symlinks): llama-quantize* -> llama-quantize,
 * llama-probe* -> tools/llama-probe, llama* -> llama-completion, *convert* -> convert_hf_to_gguf.py, anything
 * else -> apr.  Before any work every invocation is logged (APR_SIM_LOG),
 * delayed (APR_SIM_DELAY_MS) and matched against the fault rules, so a test
 * can count, slow down or break any engine call.
 */
#include "sim.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum sim_role role_of(const char *name)
{
    if (strncmp(name, "llama-quantize", 14) == 0)
        return ROLE_QUANTIZE;
    if (strncmp(name, "llama-probe", 11) == 0)
        return ROLE_PROBE;
    if (strncmp(name, "llama", 5) == 0)
        return ROLE_LLAMA;
    if (strstr(name, "convert"))
        return ROLE_CONVERT;
    return ROLE_APR;
}

/* TMGT's four fixed prompts (docs/DESIGN.md, "Prompts").  Their names are
 * appended to the text fault rules search, so `run@code=...` targets the
 * "def fibonacci(n):" prompt without quoting it. */
static const char *const PROMPT_NAMES[][2] = {
    {"What is 2+2? Answer:", "arithmetic"},
    {"def fibonacci(n):", "code"},
    {"The capital of France is", "completion"},
    {"Hello, my name is", "greeting"},
};

static char *join_args(int argc, char **argv)
{
    char *s = strdup("");
    for (int i = 1; i < argc; i++) {
        char *t = sim_printf("%s%s%s", s, i > 1 ? " " : "", argv[i]);
        free(s);
        s = t;
    }
    for (int i = 1; i < argc; i++) {
        for (size_t k = 0; k < sizeof PROMPT_NAMES / sizeof PROMPT_NAMES[0]; k++) {
            if (strcmp(argv[i], PROMPT_NAMES[k][0]) == 0) {
                char *t = sim_printf("%s %s", s, PROMPT_NAMES[k][1]);
                free(s);
                s = t;
            }
        }
    }
    return s;
}

/* One JSON array per line, written with a single O_APPEND write() so that
 * concurrent engine processes never interleave their lines. */
static void log_call(const struct sim_ctx *ctx)
{
    const char *path = getenv("APR_SIM_LOG");
    if (!path || !*path)
        return;
    cJSON *arr = cJSON_CreateArray();
    cJSON_AddItemToArray(arr, cJSON_CreateString(ctx->personality));
    for (int i = 1; i < ctx->argc; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(ctx->argv[i]));
    char *body = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    char *line = sim_printf("%s\n", body);
    free(body);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0 || sim_write_all(fd, line, strlen(line)) != 0)
        fprintf(stderr, "%s: cannot append to APR_SIM_LOG %s\n", ctx->personality, path);
    if (fd >= 0)
        close(fd);
    free(line);
}

static const char *role_subcmd(enum sim_role role, int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (role != ROLE_APR && strcmp(argv[i], "--version") == 0)
            return "version";
    switch (role) {
    case ROLE_LLAMA:
        return "llama";
    case ROLE_PROBE:
        return "probe";
    case ROLE_QUANTIZE:
        return "quantize";
    case ROLE_CONVERT:
        return "convert";
    default:
        return apr_subcmd(argc, argv);
    }
}

int main(int argc, char **argv)
{
    static struct sim_ctx ctx; /* static: reachable for the whole run */
    ctx.personality = sim_basename(argc > 0 ? argv[0] : "apr-sim");
    ctx.role = role_of(ctx.personality);
    ctx.argc = argc;
    ctx.argv = argv;
    ctx.joined = join_args(argc, argv);
    ctx.subcmd = role_subcmd(ctx.role, argc, argv);

    log_call(&ctx);
    const char *delay = getenv("APR_SIM_DELAY_MS");
    if (delay && *delay)
        sim_sleep_ms(atoll(delay));
    faults_load(&ctx);
    faults_run_immediate(&ctx);

    int rc;
    switch (ctx.role) {
    case ROLE_LLAMA:
        rc = llama_main(&ctx);
        break;
    case ROLE_PROBE:
        rc = probe_main(&ctx);
        break;
    case ROLE_QUANTIZE:
        rc = quantize_main(&ctx);
        break;
    case ROLE_CONVERT:
        rc = convert_main(&ctx);
        break;
    default:
        rc = apr_main(&ctx);
        break;
    }
    free(ctx.joined);
    return ctx.faults.has_status ? ctx.faults.status : rc;
}
