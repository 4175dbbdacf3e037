/*
 * faults.c - the fault knobs tmgt's tests use to make an engine misbehave.
 *
 *   RULE   = SUBCMD[@SUBSTRING]=ACTION[,ACTION...]
 *   source = APR_SIM_FAULTS ("RULE;RULE") then APR_SIM_FAULTS_FILE (one rule
 *            per line, '#' comments), re-read by every invocation so a test
 *            can change the engine's behaviour between two tmgt runs.
 *
 * The first rule whose SUBCMD and SUBSTRING match wins.  Every rule is still
 * parsed on every call: a malformed rule is reported (exit 64) instead of
 * silently never matching, which would make a fault test pass vacuously.
 * README.md documents each action.
 */
#include "sim.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define EX_BADRULE 64

/* Strings that parsed faults point into.  They live until exit; keeping them
 * reachable from here is deliberate (no ownership juggling in a process
 * that lives for milliseconds). */
static char **g_keep;
static int g_nkeep, g_capkeep;

static char *keep(char *s)
{
    if (g_nkeep == g_capkeep) {
        g_capkeep = g_capkeep ? g_capkeep * 2 : 32;
        g_keep = realloc(g_keep, sizeof *g_keep * (size_t)g_capkeep);
    }
    g_keep[g_nkeep++] = s;
    return s;
}

static const struct {
    const char *name;
    int sig;
} SIGNALS[] = {
    {"SEGV", SIGSEGV}, {"ABRT", SIGABRT}, {"KILL", SIGKILL}, {"TERM", SIGTERM}, {"INT", SIGINT},
    {"BUS", SIGBUS},   {"FPE", SIGFPE},   {"ILL", SIGILL},   {"HUP", SIGHUP},   {"PIPE", SIGPIPE},
    {"QUIT", SIGQUIT}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"ALRM", SIGALRM}, {"TRAP", SIGTRAP},
    {"SYS", SIGSYS},   {"XCPU", SIGXCPU},
};

static int parse_signal(const char *s)
{
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof SIGNALS / sizeof SIGNALS[0]; i++)
        if (strcasecmp(s, SIGNALS[i].name) == 0)
            return SIGNALS[i].sig;
    char *end;
    long n = strtol(s, &end, 10);
    return (*s && !*end && n > 0 && n < 65) ? (int)n : -1;
}

static bool parse_ll(const char *s, long long *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < 0)
        return false;
    *out = v;
    return true;
}

/* Different in every process: the pid and the clock, mixed, as a token id from 1 to 10^9. */
static unsigned long long vary_nonce(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long long x = (unsigned long long)getpid() * 0x9E3779B97F4A7C15ull ^
                           (unsigned long long)ts.tv_nsec ^ ((unsigned long long)ts.tv_sec << 30);
    x ^= x >> 31;
    return 1 + x % 1000000000ull;
}

const char *faults_step(const struct sim_ctx *ctx, const char *step)
{
    if (!ctx->faults.vary_nonce)
        return step;
    return keep(sim_printf("%s~%llu", step, ctx->faults.vary_nonce));
}

/* Parses one ACTION into f; returns an error message or NULL. */
static const char *parse_action(char *act, struct sim_faults *f)
{
    char *arg = strchr(act, ':');
    if (arg)
        *arg++ = '\0';
    long long n = 0;

    if (f->nimm >= SIM_MAX_EDITS || f->nalters >= SIM_MAX_EDITS || f->nedits >= SIM_MAX_EDITS)
        return "too many actions in one rule";

    struct sim_immediate *im = &f->imm[f->nimm];
    memset(im, 0, sizeof *im);
    if (strcmp(act, "crash") == 0) {
        int sig = arg ? parse_signal(arg) : -1;
        if (sig < 0)
            return "crash needs a signal name or number (crash:SEGV)";
        im->kind = IMM_CRASH;
        im->num = sig;
        f->nimm++;
    } else if (strcmp(act, "hang") == 0) {
        im->kind = IMM_HANG;
        for (char *o = arg; o && *o;) {
            char *next = strchr(o, ':');
            if (next)
                *next++ = '\0';
            if (strcmp(o, "child") == 0)
                im->child = true;
            else if (strcmp(o, "noterm") == 0)
                im->noterm = true;
            else
                return "hang options are child and noterm (hang:child:noterm)";
            o = next;
        }
        f->nimm++;
    } else if (strcmp(act, "exit") == 0) {
        char *msg = arg ? strchr(arg, ':') : NULL;
        if (msg)
            *msg++ = '\0';
        if (!parse_ll(arg, &n) || n > 255)
            return "exit needs a status 0..255 (exit:5)";
        im->kind = IMM_EXIT;
        im->num = n;
        im->text = msg;
        f->nimm++;
    } else if (strcmp(act, "usage") == 0) {
        if (arg && (!parse_ll(arg, &n) || n > 255))
            return "usage takes an optional exit status 0..255 (usage:0)";
        im->kind = IMM_USAGE;
        im->num = arg ? n : 1;
        f->nimm++;
    } else if (strcmp(act, "status") == 0) {
        if (!parse_ll(arg, &n) || n > 255)
            return "status needs an exit status 0..255 (status:5)";
        f->status = (int)n;
        f->has_status = true;
    } else if (strcmp(act, "delay") == 0) {
        if (!parse_ll(arg, &n))
            return "delay needs milliseconds (delay:250)";
        im->kind = IMM_DELAY;
        im->num = n;
        f->nimm++;
    } else if (strcmp(act, "badjson") == 0 || strcmp(act, "empty") == 0 || strcmp(act, "garbage") == 0 ||
               strcmp(act, "huge") == 0) {
        enum sim_out_mode m = act[0] == 'b'   ? OUTM_BADJSON
                              : act[0] == 'e' ? OUTM_EMPTY
                              : act[0] == 'g' ? OUTM_GARBAGE
                                              : OUTM_HUGE;
        if (m == OUTM_HUGE && !parse_ll(arg, &n))
            return "huge needs a byte count (huge:1073741824)";
        if (f->out_mode == OUTM_NORMAL) { /* the first stdout replacement wins */
            f->out_mode = m;
            f->huge_bytes = (unsigned long long)n;
        }
    } else if (strcmp(act, "nooutput") == 0) {
        f->nooutput = true;
    } else if (strcmp(act, "elf") == 0) {
        f->elf = true;
    } else if (strcmp(act, "truncate") == 0) {
        if (arg && !parse_ll(arg, &n))
            return "truncate takes an optional byte count (truncate:0)";
        f->truncate = true;
        f->truncate_bytes = arg ? n : -1;
    } else if (strcmp(act, "badutf8") == 0) {
        f->badutf8 = true;
    } else if (strcmp(act, "nan") == 0) {
        f->nan = true;
    } else if (strcmp(act, "ansi") == 0) {
        f->ansi = true;
    } else if (strcmp(act, "wrongshape") == 0) {
        static const char *const KINDS[] = {"array", "object", "string", "number", "null"};
        static const enum sim_shape SHAPES[] = {SHAPE_ARRAY, SHAPE_OBJECT, SHAPE_STRING, SHAPE_NUMBER,
                                                SHAPE_NULL};
        f->shape = SHAPE_WRAP;
        if (arg) {
            f->shape = SHAPE_NONE;
            for (size_t i = 0; i < 5; i++)
                if (strcmp(arg, KINDS[i]) == 0)
                    f->shape = SHAPES[i];
            if (f->shape == SHAPE_NONE)
                return "wrongshape kinds: array object string number null";
        }
    } else if (strcmp(act, "alter-token") == 0) {
        struct sim_alter *a = &f->alters[f->nalters];
        char *newid = arg ? strchr(arg, ':') : NULL;
        if (newid)
            *newid++ = '\0';
        if (!parse_ll(arg, &n))
            return "alter-token needs a 0-based index (alter-token:3[:NEWID])";
        a->idx = (long)n;
        a->has_newid = newid != NULL;
        if (newid && !parse_ll(newid, &n))
            return "alter-token NEWID must be a non-negative integer";
        a->newid = (long)n;
        f->nalters++;
    } else if (strcmp(act, "vary") == 0) {
        if (arg && !parse_ll(arg, &n))
            return "vary takes an optional 0-based token index (vary:31)";
        f->vary_nonce = vary_nonce();
        struct sim_alter *a = &f->alters[f->nalters++];
        a->idx = arg ? (long)n : 31;
        a->has_newid = true;
        a->newid = (long)f->vary_nonce;
    } else if (strcmp(act, "set") == 0) {
        char *eq = arg ? strchr(arg, '=') : NULL;
        if (!eq || eq == arg)
            return "set needs FIELD=JSON (set:perplexity=99.5)";
        *eq = '\0';
        f->edits[f->nedits].field = arg;
        f->edits[f->nedits].value = eq + 1;
        f->nedits++;
    } else if (strcmp(act, "del") == 0) {
        if (!arg || !*arg)
            return "del needs a field name (del:tokens)";
        f->edits[f->nedits].field = arg;
        f->edits[f->nedits].value = NULL;
        f->nedits++;
    } else if (strcmp(act, "version") == 0) {
        if (!arg || !*arg)
            return "version needs a string (version:0.99.0)";
        f->version = arg;
    } else {
        return "unknown action";
    }
    return NULL;
}

static void bad_rule(const struct sim_ctx *ctx, const char *rule, const char *why)
{
    fprintf(stderr, "%s: bad fault rule '%s': %s\n", ctx->personality, rule, why);
    exit(EX_BADRULE);
}

/* Parses a rule; returns true when it applies to this invocation. */
static bool parse_rule(const struct sim_ctx *ctx, const char *rule_text, struct sim_faults *f)
{
    char *rule = keep(strdup(rule_text));
    char *eq = strchr(rule, '=');
    if (!eq)
        bad_rule(ctx, rule_text, "expected SUBCMD[@SUBSTRING]=ACTION[,ACTION...]");
    *eq = '\0';
    char *subcmd = sim_trim(rule);
    char *substring = strchr(subcmd, '@');
    if (substring)
        *substring++ = '\0';
    if (!*subcmd)
        bad_rule(ctx, rule_text, "empty SUBCMD (use * for any)");
    if (substring && !*substring)
        bad_rule(ctx, rule_text, "empty SUBSTRING after @");

    memset(f, 0, sizeof *f);
    f->rule = keep(strdup(rule_text));
    int nacts = 0;
    char **acts = sim_split_top(eq + 1, ',', &nacts);
    for (int i = 0; i < nacts; i++) {
        char *act = sim_trim(keep(acts[i]));
        const char *err = *act ? parse_action(act, f) : "empty action";
        if (err) {
            char *why = sim_printf("%s in '%s'", err, act);
            bad_rule(ctx, rule_text, keep(why));
        }
    }
    free(acts); /* the strings themselves are kept */

    bool sub_ok = strcmp(subcmd, "*") == 0 || (ctx->subcmd && strcmp(subcmd, ctx->subcmd) == 0);
    return sub_ok && (!substring || strstr(ctx->joined, substring));
}

static void consider(struct sim_ctx *ctx, const char *rule, bool *matched)
{
    struct sim_faults f;
    if (parse_rule(ctx, rule, &f) && !*matched) {
        ctx->faults = f;
        *matched = true;
    }
}

void faults_load(struct sim_ctx *ctx)
{
    bool matched = false;
    const char *env = getenv("APR_SIM_FAULTS");
    if (env && *env) {
        int n = 0;
        char **rules = sim_split_top(env, ';', &n);
        for (int i = 0; i < n; i++) {
            char *r = sim_trim(rules[i]);
            if (*r)
                consider(ctx, r, &matched);
        }
        sim_free_list(rules, n);
    }
    const char *path = getenv("APR_SIM_FAULTS_FILE");
    if (path && *path) {
        char *text = sim_read_file(path, NULL);
        if (!text) {
            /* A missing file means "no faults": tests create it on demand. */
            if (errno != ENOENT) {
                fprintf(stderr, "%s: cannot read APR_SIM_FAULTS_FILE %s: %s\n", ctx->personality, path,
                        strerror(errno));
                exit(EX_BADRULE);
            }
            return;
        }
        for (char *line = text, *next; line; line = next) {
            next = strchr(line, '\n');
            if (next)
                *next++ = '\0';
            char *r = sim_trim(line);
            if (*r && *r != '#')
                consider(ctx, r, &matched);
        }
        free(text);
    }
}

static void do_crash(int sig)
{
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none); /* no core files in test directories */
    fflush(NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(sig, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    kill(getpid(), sig);
    _exit(128 + sig); /* only for signals that cannot terminate us */
}

static void do_hang(const struct sim_ctx *ctx, const struct sim_immediate *im)
{
    if (im->noterm) {
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
    }
    fprintf(stderr, "%s: hanging (fault rule '%s')\n", ctx->personality, ctx->faults.rule);
    fflush(NULL);
    /* hang:child leaves a grandchild holding stdout/stderr open: a runner
     * that kills only its direct child never sees EOF on the pipes. */
    if (im->child && fork() < 0)
        perror("fork");
    for (;;)
        pause();
}

void faults_run_immediate(const struct sim_ctx *ctx)
{
    const struct sim_faults *f = &ctx->faults;
    for (int i = 0; i < f->nimm; i++) {
        const struct sim_immediate *im = &f->imm[i];
        switch (im->kind) {
        case IMM_DELAY:
            sim_sleep_ms(im->num);
            break;
        case IMM_CRASH:
            do_crash((int)im->num);
            break;
        case IMM_HANG:
            do_hang(ctx, im);
            break;
        case IMM_EXIT:
            fprintf(stderr, "error: %s\n", im->text ? im->text : "simulated failure");
            fflush(NULL);
            exit((int)im->num);
        case IMM_USAGE: /* what llama-quantize answers to --version: usage on stdout, exit 1 */
            printf(
                "usage: %s [--help] [--allow-requantize] [--pure] model-f32.gguf [model-quant.gguf] type\n"
                "       [nthreads]\n",
                ctx->argv[0]);
            fflush(NULL);
            exit((int)im->num);
        }
    }
}

const char *faults_version(const struct sim_ctx *ctx, const char *dflt)
{
    if (ctx->faults.version)
        return ctx->faults.version;
    const char *env = getenv("APR_SIM_VERSION");
    return (env && *env) ? env : dflt;
}
