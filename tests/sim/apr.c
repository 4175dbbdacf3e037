/*
 * apr.c - the CLI surface of the apr personality: global flags, clap-style
 * usage errors (exit 2), the command table and dispatch, --help/--version,
 * and helpers shared by the handlers (apr.h).  The argv shapes, JSON field
 * names and exit codes follow the real apr CLI (docs/apr-0.72.3-samples/).
 */
#include "apr.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*cmd_fn)(struct sim_ctx *ctx, const struct parsed_args *pa, const char *const *pos, int npos);

struct cmd {
    const char *name, *alias;
    const char *usage;    /* after "apr NAME " */
    const char *required; /* names of required positionals, for clap's message */
    int min_pos, max_pos; /* positionals after the subcommand name */
    bool gated;           /* runs apr's tensor-contract gate (spec §5) */
    const struct opt_spec *opts;
    cmd_fn fn;
};

/* clap `global = true` flags: valid before or after the subcommand. */
static const struct opt_spec GLOBAL_OPTS[] = {
    {"--json", NULL, OPT_FLAG, NULL, NULL},
    {"--offline", NULL, OPT_FLAG, NULL, NULL},
    {"--skip-contract", NULL, OPT_FLAG, NULL, NULL},
    {"--quiet", "-q", OPT_FLAG, NULL, NULL},
    {"--verbose", "-v", OPT_FLAG, NULL, NULL},
    {"--help", "-h", OPT_FLAG, NULL, NULL},
    {0},
};

bool apr_gpu_available(void)
{
    const char *g = getenv("APR_SIM_GPU");
    return g && *g && strcmp(g, "0") != 0;
}

static const char *git_sha(void)
{
    const char *s = getenv("APR_SIM_GIT_SHA");
    return s && *s ? s : SIM_GIT_SHA;
}

/* ------------------------------------------------------ clap-like errors */

static char *metavar(const struct opt_spec *s)
{
    if (s->meta)
        return strdup(s->meta);
    const char *src = s->lng ? s->lng + 2 : s->shrt + 1;
    char *m = strdup(src);
    for (char *p = m; *p; p++)
        *p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    return m;
}

static void usage_tail(const struct cmd *c)
{
    if (c)
        fprintf(stderr, "\nUsage: apr %s %s\n", c->name, c->usage);
    else
        fprintf(stderr, "\nUsage: apr [OPTIONS] <COMMAND>\n");
    fprintf(stderr, "\nFor more information, try '--help'.\n");
}

static void clap_fail(const struct cmd *c, const struct args_error *e) __attribute__((noreturn));
static void clap_fail(const struct cmd *c, const struct args_error *e)
{
    char *mv = e->spec ? metavar(e->spec) : NULL;
    switch (e->status) {
    case ARGS_NOVALUE:
        fprintf(stderr, "error: a value is required for '%s <%s>' but none was supplied\n",
                args_display_name(e->spec), mv);
        break;
    case ARGS_BADVALUE:
        fprintf(stderr, "error: invalid value '%s' for '%s <%s>'\n", e->value, args_display_name(e->spec),
                mv);
        if (e->spec->choices) {
            fprintf(stderr, "  [possible values: ");
            for (const char *p = e->spec->choices; *p; p++)
                fputs(*p == '|' ? ", " : (char[]){*p, 0}, stderr);
            fprintf(stderr, "]\n");
        }
        break;
    default:
        fprintf(stderr, "error: unexpected argument '%s' found\n", e->token);
        if (e->token[0] == '-')
            fprintf(stderr, "\n  tip: to pass '%s' as a value, use '-- %s'\n", e->token, e->token);
        break;
    }
    free(mv);
    usage_tail(c);
    exit(2);
}

/* `required` is a space-separated list of positional names; the ones from
 * index `given` on are missing. */
static void clap_missing(const struct cmd *c, const char *required, int given) __attribute__((noreturn));
static void clap_missing(const struct cmd *c, const char *required, int given)
{
    fprintf(stderr, "error: the following required arguments were not provided:\n");
    int n = 0;
    char **names = sim_split_top(required, ' ', &n);
    for (int i = given; i < n; i++)
        fprintf(stderr, "  %s\n", names[i]);
    sim_free_list(names, n);
    usage_tail(c);
    exit(2);
}

/* ---------------------------------------------------------------- helpers */

void apr_load(const struct sim_ctx *ctx, const char *path, struct sim_model *m)
{
    char *msg = NULL;
    int rc = model_load(path, ctx->offline, m, &msg);
    if (rc) {
        fprintf(stderr, "error: %s\n", msg);
        free(msg);
        exit(rc);
    }
}

void apr_emit(const struct sim_ctx *ctx, cJSON *doc)
{
    if (ctx->json)
        out_json(ctx, doc);
    else
        out_human(ctx, doc);
}

/* A deterministic "measurement" in [lo, hi) that depends on what is measured,
 * with 3 decimals (never integral, so the `nan` fault always has a target). */
double apr_measure(const struct sim_model *m, const char *what, double lo, double hi)
{
    uint64_t st = sim_hash_str(what, sim_hash_str(m->quant, sim_hash_str(model_name(m), 7)));
    double v = sim_round(lo + (hi - lo) * sim_rng_unit(&st), 3);
    return v == floor(v) ? v + 0.001 : v;
}

const char *apr_format_label(const struct sim_model *m)
{
    if (strcmp(m->format, "apr") == 0)
        return "APR v2";
    if (strcmp(m->format, "gguf") == 0)
        return "GGUF";
    return "SafeTensors";
}

cJSON *apr_shape_json(const struct sim_tensor *t)
{
    cJSON *a = cJSON_CreateArray();
    for (int d = 0; d < t->ndim; d++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)t->dims[d]));
    return a;
}

char *apr_shape_str(const struct sim_tensor *t)
{
    return t->ndim == 2 ? sim_printf("[%lld, %lld]", t->dims[0], t->dims[1])
                        : sim_printf("[%lld]", t->dims[0]);
}

cJSON *apr_stats_json(const struct sim_tensor *t, cJSON *obj)
{
    cJSON_AddNumberToObject(obj, "mean", t->mean);
    cJSON_AddNumberToObject(obj, "std", t->std);
    cJSON_AddNumberToObject(obj, "min", t->min);
    cJSON_AddNumberToObject(obj, "max", t->max);
    return obj;
}

long long apr_total_bytes(const struct sim_tensor *t, int n)
{
    long long s = 0;
    for (int i = 0; i < n; i++)
        s += t[i].size_bytes;
    return s;
}

/* ------------------------------------------------------------- dispatch */

/* Action commands print the contract gate's noise on stderr (never parse
 * stderr); the simulator's models never violate the contract. */
static void contract_gate(const struct sim_ctx *ctx)
{
    if (ctx->skip_contract)
        fprintf(stderr, "[PMAT-237] tensor contract gate skipped (--skip-contract)\n");
    else
        fprintf(stderr,
                "[GH-187] Embedding contract: ok (apr-sim)\n"
                "[PMAT-237] tensor contract gate: 0 violations\n");
}

static const struct opt_spec NO_OPTS[] = {{0}};

static const struct cmd CMDS[] = {
    {"run", NULL, "[OPTIONS] <SOURCE> [PROMPT]", "<SOURCE>", 1, 2, true, RUN_OPTS, cmd_run},
    {"import", NULL, "[OPTIONS] <SOURCE>", "<SOURCE>", 1, 1, true, IMPORT_OPTS, cmd_import},
    {"export", NULL, "[OPTIONS] [FILE]", "<FILE>", 0, 1, true, EXPORT_OPTS, cmd_export},
    {"eval", NULL, "[OPTIONS] <FILE>", "<FILE>", 1, 1, true, EVAL_OPTS, cmd_eval},
    {"inspect", NULL, "[OPTIONS] <FILE>", "<FILE>", 1, 1, false, INSPECT_OPTS, cmd_inspect},
    {"validate", NULL, "[OPTIONS] <FILE>", "<FILE>", 1, 1, false, VALIDATE_OPTS, cmd_validate},
    {"tensors", NULL, "[OPTIONS] <FILE>", "<FILE>", 1, 1, false, TENSORS_OPTS, cmd_tensors},
    {"lint", NULL, "[OPTIONS] <FILE>", "<FILE>", 1, 1, false, NO_OPTS, cmd_lint},
    {"check", NULL, "[OPTIONS] <FILE>", "<FILE>", 1, 1, true, CHECK_OPTS, cmd_check},
    {"diff", NULL, "[OPTIONS] <FILE1> <FILE2>", "<FILE1> <FILE2>", 2, 2, false, DIFF_OPTS, cmd_diff},
    {"tree", NULL, "[OPTIONS] <FILE>", "<FILE>", 1, 1, false, TREE_OPTS, cmd_tree},
    {"oracle", NULL, "[OPTIONS] [SOURCE]", "", 0, 1, false, ORACLE_OPTS, cmd_oracle},
    {"hex", NULL, "[OPTIONS] <FILE>", "<FILE>", 1, 1, false, HEX_OPTS, cmd_hex},
    {"debug", NULL, "[OPTIONS] <FILE>", "<FILE>", 1, 1, false, DEBUG_OPTS, cmd_debug},
    {"bench", NULL, "[OPTIONS] <FILE>", "<FILE>", 1, 1, true, BENCH_OPTS, cmd_bench},
    {"qa", NULL, "[OPTIONS] <FILE>", "<FILE>", 1, 1, false, QA_OPTS, cmd_qa},
    {"list", "ls", "[OPTIONS]", "", 0, 0, false, NO_OPTS, cmd_list},
    {"rosetta", NULL, "diff-tensors [OPTIONS] <MODEL_A> <MODEL_B>", "<COMMAND>", 1, 3, false, ROSETTA_OPTS,
     cmd_rosetta},
    {"parity", NULL, "[OPTIONS] <FILE>", "<FILE>", 1, 1, true, PARITY_OPTS, cmd_parity},
};

static const struct cmd *find_cmd(const char *name)
{
    for (size_t i = 0; i < sizeof CMDS / sizeof CMDS[0]; i++)
        if (strcmp(CMDS[i].name, name) == 0 || (CMDS[i].alias && strcmp(CMDS[i].alias, name) == 0))
            return &CMDS[i];
    return NULL;
}

void apr_missing(const char *cmd, const char *required, int given)
{
    clap_missing(find_cmd(cmd), required, given);
}

int apr_unknown_subcommand(const char *cmd, const char *sub)
{
    fprintf(stderr, "error: unrecognized subcommand '%s'\n", sub);
    usage_tail(find_cmd(cmd));
    return 2;
}

/* The subcommand for fault matching: the first argument that is not a flag
 * (apr's global flags take no value), "version" for a top-level --version. */
const char *apr_subcmd(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0)
            return "version";
        if (argv[i][0] != '-') {
            const struct cmd *c = find_cmd(argv[i]);
            return c ? c->name : argv[i];
        }
    }
    return NULL;
}

static void print_help(const struct sim_ctx *ctx, const struct cmd *c)
{
    char *text;
    if (!c) {
        text = strdup(
            "apr-sim: simulated apr CLI for tmgt tests\n\n"
            "Usage: apr [OPTIONS] <COMMAND>\n\nCommands:\n");
        for (size_t i = 0; i < sizeof CMDS / sizeof CMDS[0]; i++) {
            char *t = sim_printf("%s  %s\n", text, CMDS[i].name);
            free(text);
            text = t;
        }
    } else {
        text = sim_printf("Usage: apr %s %s\n\nOptions:\n", c->name, c->usage);
        for (const struct opt_spec *s = c->opts; s->lng || s->shrt; s++) {
            char *mv = s->kind == OPT_FLAG ? strdup("") : metavar(s);
            char *t = sim_printf("%s  %s%s%s%s%s%s\n", text, s->shrt ? s->shrt : "    ",
                                 s->shrt && s->lng ? ", " : "", s->lng ? s->lng : "", *mv ? " <" : "", mv,
                                 *mv ? ">" : "");
            free(mv);
            free(text);
            text = t;
        }
    }
    char *t = sim_printf("%s\nGlobal options: --json --offline --skip-contract -q -v -h\n", text);
    free(text);
    bool quiet = ctx->quiet;
    ((struct sim_ctx *)ctx)->quiet = false; /* help always prints */
    out_text(ctx, t);
    ((struct sim_ctx *)ctx)->quiet = quiet;
    free(t);
}

static int print_version(struct sim_ctx *ctx)
{
    const char *version = faults_version(ctx, SIM_APR_VERSION);
    bool json = false;
    for (int i = 1; i < ctx->argc; i++)
        json |= strcmp(ctx->argv[i], "--json") == 0;
    if (json) {
        bool gpu = apr_gpu_available();
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "name", "apr");
        cJSON_AddStringToObject(doc, "version", version);
        cJSON_AddStringToObject(doc, "git_sha", git_sha());
        cJSON_AddBoolToObject(doc, "cuda_feature", gpu);
        cJSON_AddBoolToObject(doc, "cuda_runtime_available", gpu);
        cJSON *devs = cJSON_AddArrayToObject(doc, "visible_devices");
        if (gpu)
            cJSON_AddItemToArray(devs, cJSON_CreateString("apr-sim GPU"));
        out_json(ctx, doc);
    } else {
        char *line = sim_printf("apr %s (%s)\n", version, git_sha());
        out_text(ctx, line);
        free(line);
    }
    return 0;
}

int apr_main(struct sim_ctx *ctx)
{
    const char *sub = ctx->subcmd;
    if (sub && strcmp(sub, "version") == 0)
        return print_version(ctx);
    const struct cmd *c = sub ? find_cmd(sub) : NULL;
    if (!sub) {
        for (int i = 1; i < ctx->argc; i++)
            if (strcmp(ctx->argv[i], "--help") == 0 || strcmp(ctx->argv[i], "-h") == 0) {
                print_help(ctx, NULL);
                return 0;
            }
        fprintf(stderr, "error: 'apr' requires a subcommand but one was not provided\n");
        usage_tail(NULL);
        return 2;
    }
    if (!c) {
        fprintf(stderr, "error: unrecognized subcommand '%s'\n", sub);
        usage_tail(NULL);
        return 2;
    }
    const struct opt_spec *const tables[] = {GLOBAL_OPTS, c->opts, NULL};
    struct parsed_args pa;
    struct args_error err;
    if (args_parse(ctx->argc, ctx->argv, 1, tables, &pa, &err) != ARGS_OK)
        clap_fail(c, &err);
    ctx->json = args_has(&pa, "--json");
    ctx->quiet = args_has(&pa, "--quiet");
    ctx->verbose = args_has(&pa, "--verbose");
    ctx->offline = args_has(&pa, "--offline") || (getenv("APR_OFFLINE") && *getenv("APR_OFFLINE"));
    ctx->skip_contract = args_has(&pa, "--skip-contract");
    if (args_has(&pa, "--help")) {
        print_help(ctx, c);
        return 0;
    }
    /* pos[0] is the subcommand itself */
    const char *const *pos = pa.pos + 1;
    int npos = pa.npos - 1;
    if (npos < c->min_pos)
        clap_missing(c, c->required, npos);
    if (npos > c->max_pos) {
        struct args_error extra = {.status = ARGS_UNKNOWN, .token = pos[c->max_pos]};
        clap_fail(c, &extra);
    }
    if (ctx->verbose)
        fprintf(stderr, "[apr-sim] %s: %d positional argument(s)\n", c->name, npos);
    if (c->gated && npos > 0 && strncmp(pos[0], "hf://", 5) != 0)
        contract_gate(ctx);
    return c->fn(ctx, &pa, pos, npos);
}
