#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "suites.h"
#include "selection.h"

static const char USAGE[] =
    "usage: tmgt [OPTIONS] [COMMAND]\n"
    "\n"
    "Checks that engine conversions and runtimes reproduce the greedy tokens of the\n"
    "HuggingFace transformers float32 oracle. Every engine call is cached by content.\n"
    "\n"
    "Commands:\n"
    "  run            pull, convert and check (the default)\n"
    "  convert        produce the artefacts the selection needs, judge only conversions\n"
    "  check          same as run (artefacts come from the cache when unchanged)\n"
    "  plan           show the actions a selection needs and which are cached;\n"
    "                 with --explain, why each other one must run\n"
    "  report         render the last results: --format console|junit|html|md [-o FILE]\n"
    "  ticket         the Markdown issue body for the last failures [-o FILE]\n"
    "  cache stats    blobs, records and bytes in the cache\n"
    "  cache verify   re-hash every blob; drop corrupt blobs and broken records\n"
    "  cache gc       keep only what the last N runs used (--keep N, default 5)\n"
    "  pull [hf://ORG/NAME[@REV]...]\n"
    "                 download the selected models' Hub repositories (or those named)\n"
    "                 into the HuggingFace cache; run, convert and check pull first\n"
    "  bisect         find the engine commit that broke the selected checks\n"
    "                 (tmgt bisect --help for its options)\n"
    "\n"
    "Options:\n"
    "  -j, --jobs N            concurrent engine processes (default: number of CPUs)\n"
    "  --pipeline FILE         pipeline file (default: pipeline/default.json)\n"
    "  --model SLUG            select a model (repeatable; default: all)\n"
    "  --check SEL             select checks (repeatable, the selections add up; default:\n"
    "                          all): a suite (token), its result name (token-parity), or a\n"
    "                          glob over check names, where * matches / too\n"
    "                          ('token-parity/*/int8/*'); a name also selects the checks\n"
    "                          under it (token-parity/smollm2-135m). Selecting no check is\n"
    "                          a usage error; the conversions the checks need come along\n"
    "  --engine NAME=PATH      binary that plays an engine, e.g. apr=/usr/local/bin/apr\n"
    "  --cache-dir DIR         cache location (default: $TMGT_CACHE_DIR or cache/)\n"
    "  --results-dir DIR       where results go (default: results/)\n"
    "  --remote-cache URL      also look for results on this server (Bazel's HTTP remote\n"
    "                          cache: URL/cas/, URL/ac/; default: $TMGT_REMOTE_CACHE)\n"
    "  --remote-upload=no      only read from it (default: yes, upload what ran here)\n"
    "  --executor local|slurm  where engines run: here (default), or each action (and each\n"
    "                          bisect build) as a Slurm job (srun; cache and models on a\n"
    "                          shared filesystem; a timeout counts the job's run time)\n"
    "  --slurm-partition P     its default partition (a step's resources.partition wins)\n"
    "  --slurm-account A       the account its jobs are charged to\n"
    "  --no-cache              ignore cached results: execute every action again\n"
    "  --rerun-failed          re-execute actions whose cached result is a non-zero exit\n"
    "  --repeat N              run (and check): execute each action N times, ignoring the\n"
    "                          cache, and compare the runs: a check reading a result that\n"
    "                          varied FAILs as nondeterministic, and it is not cached\n"
    "  --explain               with plan: say why each action must run\n"
    "  --json                  print the results document instead of the console report\n"
    "  -q, --quiet             only the matrix and totals\n"
    "  -v, --verbose           print each command line, and each verdict once reached\n"
    "  --version, --help\n"
    "\n"
    "Environment: TMGT_CACHE_DIR, TMGT_CACHE_SALT (changes every action key), NO_COLOR,\n"
    "  COLUMNS (the console report's width; default: the terminal's, else 100),\n"
    "  TMGT_GPU=1|0 (a GPU is present or not; default: /dev/nvidia0 exists),\n"
    "  TMGT_CACHE_FSYNC=run|each (one sync at the end of a run, the default, or one per entry);\n"
    "  remote cache: TMGT_REMOTE_CACHE_HEADER (\"Name: value\" lines, never printed),\n"
    "  TMGT_REMOTE_CACHE_CA, TMGT_REMOTE_CACHE_NETRC, TMGT_REMOTE_CACHE_TIMEOUT (s, default 30),\n"
    "  TMGT_REMOTE_CACHE_RETRIES (default 2);\n"
    "  Slurm: SLURM_CONF (the cluster's slurm.conf, as srun reads it);\n"
    "  pull: HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HOME, HF_HUB_CACHE, HF_HUB_DOWNLOAD_TIMEOUT.\n"
    "Exit: 0 all selected checks passed (skips allowed), 1 a check failed or timed out (⏱),\n"
    "      2 usage error, 3 environment error (engine, pipeline, oracle or cache unusable),\n"
    "      130 interrupted.\n";

/* The suites, wrapped between entries to the width of the text above. */
static void print_suites(FILE *f)
{
    strbuf sb;
    sb_init(&sb);
    selection_describe_suites(&sb);
    sb_puts(&sb, ", all");
    fputs("Suites (--check NAME, or the result name in parentheses):\n ", f);
    size_t col = 1;
    for (const char *item = sb.buf; item;) {
        const char *next = strstr(item, ", ");
        int len = next ? (int)(next - item) + 1 : (int)strlen(item); /* with its comma */
        if (col > 1 && col + 1 + (size_t)len > 88) {
            fputs("\n ", f);
            col = 1;
        }
        fprintf(f, " %.*s", len, item);
        col += 1 + (size_t)len;
        item = next ? next + 2 : NULL;
    }
    fputc('\n', f);
    sb_free(&sb);
}

static void push(char ***arr, size_t *n, const char *v)
{
    *arr = xrealloc(*arr, (*n + 1) * sizeof **arr);
    (*arr)[(*n)++] = xstrdup(v);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "tmgt: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nRun 'tmgt --help' for usage.\n");
    return EXIT_USAGE;
}

static bool parse_count(const char *s, size_t *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 1 || v > 4096)
        return false;
    *out = (size_t)v;
    return true;
}

/* Options that take a value accept "--opt VALUE", "--opt=VALUE" and "-oVALUE". Returns 1 when `argv[*i]`
 * is this option (val set), 0 when it is not, -1 when the value is missing. */
static int takes_value(int argc, char **argv, int *i, const char *longname, const char *shortname,
                       const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(longname);
    if (!strcmp(a, longname) || (shortname && !strcmp(a, shortname))) {
        if (*i + 1 >= argc) {
            usage_error("%s needs a value", a);
            return -1;
        }
        *val = argv[++*i];
        return 1;
    }
    if (!strncmp(a, longname, n) && a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    size_t sn = shortname ? strlen(shortname) : 0;
    if (sn && !strncmp(a, shortname, sn) && a[sn]) {
        *val = a + sn; /* -j4 */
        return 1;
    }
    return 0;
}

/* Commands that parse their own arguments: whatever the shared options do not claim (positional
 * arguments, unknown options and their values) is handed to them in order. */
static bool owns_arguments(const cli_opts *o)
{
    return o->cmd && (o->cmd->flags & CMD_OWNS_ARGUMENTS);
}

static bool is_subcommand(const command *cmd, const char *name)
{
    for (const char *const *c = cmd->subcommands; *c; c++)
        if (!strcmp(*c, name))
            return true;
    return false;
}

int cli_parse(int argc, char **argv, cli_opts *o, bool *done)
{
    memset(o, 0, sizeof *o);
    *done = false;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->jobs = cpus > 0 ? (size_t)cpus : 1;
    o->pipeline = "pipeline/default.json";
    o->results_dir = "results";
    o->keep_runs = 5;
    o->repeat = 1;
    const char *env_cache = env_get(ENV_TMGT_CACHE_DIR);
    o->cache_dir = env_cache && *env_cache ? env_cache : "cache";
    const char *env_remote = env_get(ENV_TMGT_REMOTE_CACHE);
    o->remote_cache = env_remote && *env_remote ? env_remote : NULL;
    o->remote_upload = true;
    o->argc = argc;
    o->argv = argv;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        int t;
        if ((!strcmp(a, "-h") || !strcmp(a, "--help")) && !owns_arguments(o)) {
            fputs(USAGE, stdout);
            print_suites(stdout);
            *done = true;
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("tmgt %s\n", TMGT_VERSION);
            *done = true;
            return 0;
        } else if ((t = takes_value(argc, argv, &i, "--jobs", "-j", &val))) {
            if (t < 0)
                return EXIT_USAGE;
            if (!parse_count(val, &o->jobs))
                return usage_error("--jobs wants a number from 1 to 4096, not \"%s\"", val);
        } else if ((t = takes_value(argc, argv, &i, "--repeat", NULL, &val))) {
            if (t < 0)
                return EXIT_USAGE;
            if (!parse_count(val, &o->repeat))
                return usage_error("--repeat wants a number of runs from 1 to 4096, not \"%s\"", val);
        } else if ((t = takes_value(argc, argv, &i, "--pipeline", NULL, &val))) {
            if (t < 0)
                return EXIT_USAGE;
            o->pipeline = val;
        } else if ((t = takes_value(argc, argv, &i, "--model", NULL, &val))) {
            if (t < 0)
                return EXIT_USAGE;
            push(&o->sel.models, &o->sel.n_models, val);
        } else if ((t = takes_value(argc, argv, &i, "--check", NULL, &val))) {
            if (t < 0)
                return EXIT_USAGE;
            push(&o->sel.suites, &o->sel.n_suites, val);
        } else if ((t = takes_value(argc, argv, &i, "--engine", NULL, &val))) {
            if (t < 0)
                return EXIT_USAGE;
            push(&o->engine_overrides, &o->n_engine_overrides, val);
        } else if ((t = takes_value(argc, argv, &i, "--cache-dir", NULL, &val))) {
            if (t < 0)
                return EXIT_USAGE;
            o->cache_dir = val;
        } else if ((t = takes_value(argc, argv, &i, "--remote-cache", NULL, &val))) {
            if (t < 0)
                return EXIT_USAGE;
            o->remote_cache = *val ? val : NULL;
        } else if ((t = takes_value(argc, argv, &i, "--remote-upload", NULL, &val))) {
            if (t < 0)
                return EXIT_USAGE;
            if (strcmp(val, "yes") && strcmp(val, "no"))
                return usage_error("--remote-upload wants yes or no, not \"%s\"", val);
            o->remote_upload = !strcmp(val, "yes");
        } else if ((t = takes_value(argc, argv, &i, "--executor", NULL, &val))) {
            if (t < 0)
                return EXIT_USAGE;
            if (strcmp(val, "local") && strcmp(val, "slurm"))
                return usage_error("--executor wants local or slurm, not \"%s\"", val);
            o->slurm = !strcmp(val, "slurm");
        } else if ((t = takes_value(argc, argv, &i, "--slurm-partition", NULL, &val))) {
            if (t < 0)
                return EXIT_USAGE;
            o->slurm_partition = *val ? val : NULL;
        } else if ((t = takes_value(argc, argv, &i, "--slurm-account", NULL, &val))) {
            if (t < 0)
                return EXIT_USAGE;
            o->slurm_account = *val ? val : NULL;
        } else if ((t = takes_value(argc, argv, &i, "--results-dir", NULL, &val))) {
            if (t < 0)
                return EXIT_USAGE;
            o->results_dir = val;
        } else if ((t = takes_value(argc, argv, &i, "--format", NULL, &val))) {
            if (t < 0)
                return EXIT_USAGE;
            o->format = val;
        } else if ((t = takes_value(argc, argv, &i, "--output", "-o", &val))) {
            if (t < 0)
                return EXIT_USAGE;
            o->output = val;
        } else if ((t = takes_value(argc, argv, &i, "--keep", NULL, &val))) {
            if (t < 0)
                return EXIT_USAGE;
            if (!parse_count(val, &o->keep_runs))
                return usage_error("--keep wants a positive number, not \"%s\"", val);
        } else if (!strcmp(a, "--no-cache")) {
            o->no_cache = true;
        } else if (!strcmp(a, "--rerun-failed")) {
            o->rerun_failed = true;
        } else if (!strcmp(a, "--explain")) {
            o->explain = true;
        } else if (!strcmp(a, "--json")) {
            o->json = true;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            o->quiet = true;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o->verbose++;
        } else if (owns_arguments(o)) {
            o->rest = xrealloc(o->rest, (size_t)(o->n_rest + 1) * sizeof *o->rest);
            o->rest[o->n_rest++] = argv[i];
        } else if (a[0] == '-') {
            return usage_error("unknown option %s", a);
        } else if (!o->cmd) {
            if (!(o->cmd = command_find(a)))
                return usage_error("unknown command \"%s\"", a);
        } else if (o->cmd->subcommands && !o->subcommand) {
            if (!is_subcommand(o->cmd, a))
                return usage_error("unknown cache command \"%s\" (stats, verify or gc)", a);
            o->subcommand = a;
        } else {
            return usage_error("unexpected argument \"%s\"", a);
        }
    }
    if (!o->cmd)
        o->cmd = command_find("run");
    o->command = o->cmd->name;
    /* bisect's --engine NAME names the engine its builds play; the command may come after it. */
    for (size_t i = 0; i < o->n_engine_overrides; i++) {
        const char *val = o->engine_overrides[i], *eq = strchr(val, '=');
        bool bare_name = !eq && *val && (o->cmd->flags & CMD_ENGINE_NAME);
        if (!bare_name && (!eq || eq == val || !eq[1]))
            return usage_error("--engine wants NAME=PATH, not \"%s\"", val);
    }
    if (o->cmd->subcommands && !o->subcommand)
        return usage_error("%s", "cache needs a command: stats, verify or gc");
    if ((o->slurm_partition || o->slurm_account) && !o->slurm)
        return usage_error("%s", "--slurm-partition and --slurm-account need --executor slurm");
    return 0;
}

void cli_free(cli_opts *o)
{
    for (size_t i = 0; i < o->sel.n_models; i++)
        free(o->sel.models[i]);
    free(o->sel.models);
    for (size_t i = 0; i < o->sel.n_suites; i++)
        free(o->sel.suites[i]);
    free(o->sel.suites);
    for (size_t i = 0; i < o->n_engine_overrides; i++)
        free(o->engine_overrides[i]);
    free(o->engine_overrides);
    free(o->rest);
}
