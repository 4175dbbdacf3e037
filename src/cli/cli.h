/* Command-line options shared by the commands. */
#ifndef TMGT_CLI_H
#define TMGT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cache.h"
#include "exit_code.h"
#include "plan.h"
#include "session.h"

typedef struct command command;

typedef struct {
    const command *cmd;
    const char *command;    /* cmd's name */
    const char *subcommand; /* cache stats|verify|gc */
    size_t jobs;
    const char *pipeline;
    selection sel;
    char **engine_overrides; /* NAME=PATH */
    size_t n_engine_overrides;
    const char *cache_dir;
    const char *remote_cache; /* --remote-cache URL, or TMGT_REMOTE_CACHE; NULL: none */
    bool remote_upload;       /* --remote-upload=yes|no */
    bool slurm;               /* --executor slurm */
    const char *slurm_partition, *slurm_account;
    const char *results_dir;
    const char *format; /* report --format */
    const char *output; /* -o FILE */
    size_t keep_runs;   /* cache gc --keep */
    size_t repeat;      /* --repeat: runs of each action, compared; 1 by default */
    bool no_cache, rerun_failed, json, quiet, explain;
    int verbose;
    int argc;
    char **argv;
    char **rest; /* arguments of a command that parses its own (pull, bisect) */
    int n_rest;
} cli_opts;

/* Returns 0, or EXIT_USAGE after printing the problem. Sets *done when --help/--version ran. */
int cli_parse(int argc, char **argv, cli_opts *o, bool *done);
void cli_free(cli_opts *o);

/* One tmgt command, as git's commands[]: its name, what runs it, and how parsing and main
 * treat it. */
enum {
    CMD_OWNS_ARGUMENTS = 1 << 0, /* what the shared options do not claim is handed over (o->rest) */
    CMD_NO_INTERRUPT = 1 << 1,   /* works in place and publishes atomically: Ctrl-C may kill it */
    CMD_ENGINE_NAME = 1 << 2,    /* --engine NAME without =PATH names the engine its builds play */
};
struct command {
    const char *name;
    int (*run)(const cli_opts *o);
    unsigned flags;
    const char *const *subcommands; /* one of them must follow the name; NULL when none */
};
/* The command called `name`, or NULL. */
const command *command_find(const char *name);

int cmd_run(const cli_opts *o); /* run, check */
int cmd_convert(const cli_opts *o);
int cmd_plan(const cli_opts *o);
int cmd_cache(const cli_opts *o);
int cmd_report(const cli_opts *o);
int cmd_ticket(const cli_opts *o);
int cmd_bisect(const cli_opts *o);
int cmd_pull(const cli_opts *o);
/* The session (core/session.h) that the options describe: run's pipeline, cache, selection and
 * engines; plan pulls nothing, convert judges conversions only. */
session_opts cli_session_opts(const cli_opts *o);

#endif
