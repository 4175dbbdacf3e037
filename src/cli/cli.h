/* Command-line options shared by the commands. */
#ifndef TMGT_CLI_H
#define TMGT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cache.h"
#include "exit_code.h"
#include "plan.h"

typedef struct {
    const char *command;
    const char *subcommand;   /* cache stats|verify|gc */
    size_t jobs;
    const char *pipeline;
    selection sel;
    char **engine_overrides;  /* NAME=PATH */
    size_t n_engine_overrides;
    const char *cache_dir;
    const char *results_dir;
    const char *format;       /* report --format */
    const char *output;       /* -o FILE */
    size_t keep_runs;         /* cache gc --keep */
    bool no_cache, rerun_failed, json, quiet, explain;
    int verbose;
    int argc;
    char **argv;
    char **rest;              /* arguments of a command that parses its own (pull, bisect) */
    int n_rest;
} cli_opts;

/* Returns 0, or EXIT_USAGE after printing the problem. Sets *done when --help/--version ran. */
int cli_parse(int argc, char **argv, cli_opts *o, bool *done);
void cli_free(cli_opts *o);

int cmd_run(const cli_opts *o);     /* run, convert, check, plan */
int cmd_cache(const cli_opts *o);
int cmd_report(const cli_opts *o);  /* report, ticket */
int cmd_bisect(const cli_opts *o);
int cmd_pull(const cli_opts *o);
/* Pulls the hf:// sources of the selected models (summary on `out`): EXIT_OK, EXIT_ENV when one
 * failed, EXIT_INTERRUPTED after Ctrl-C. */
int pull_selected_models(const cli_opts *o, const pipeline *pl, cache *c, FILE *out);

#endif
