/* One run of a pipeline: load → pull → resolve → plan → execute → judge, from plain options.
 * `tmgt run|convert|check|plan` (cli/cmd_run.c) and each step of a bisection call it. */
#ifndef TMGT_SESSION_H
#define TMGT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "cache.h"
#include "engine.h"
#include "pipeline.h"
#include "plan.h"
#include "run_memo.h"

typedef struct {
    const char *pipeline;
    const char *cache_dir, *results_dir;
    const char *remote_cache; /* a remote cache server's URL (cache_remote.h), or NULL */
    bool remote_upload;       /* publish to it what this run stores */
    bool slurm;               /* each action as a Slurm job (proc/runner_slurm.c), not a local child */
    const char *slurm_partition, *slurm_account; /* NULL: the cluster's defaults */
    selection sel;                               /* sel.conversions_only for `convert` */
    char **engine_overrides;                     /* NAME=PATH: the binary that plays an engine */
    size_t n_engine_overrides;
    size_t jobs;
    unsigned repeat; /* --repeat: runs of each action, compared (exec_opts.repeat); 0 or 1: once */
    bool pull;       /* pull the selected models' Hub repositories first */
    bool no_cache, rerun_failed;
    bool quiet;
    int verbose; /* 1 prints each command line */
    /* A run that judges again part of an earlier one (core/rejudge.h): the results document is
     * returned, not written, and what it reads of the cache counts as the earlier run's use. */
    bool partial;
    /* The invocation, as the results document records it. */
    const char *command;
    int argc;
    char **argv;
} session_opts;

typedef struct {
    pipeline *pl;
    cache *c;
    engine *engines; /* parallel to pl->engines */
    plan p;
    bool planned;
    bool asked_hub; /* the Hub was asked about a model: its answer may change unseen */
} session;

/* Loads the pipeline, opens the cache, pulls (o->pull), resolves the engines and plans the
 * selection: 0, or the exit status with the message printed. Close the session either way. */
int session_open(session *s, const session_opts *o);
void session_close(session *s);
/* Executes the plan through the cache, judges it and writes the results document: the run's
 * exit status. *doc gets the document (caller deletes), *results_file the file written (caller
 * frees; NULL when writing failed). */
int session_execute(session *s, const session_opts *o, cJSON **doc, char **results_file);

/* What a run leaves besides its document, for the memo (run_memo.h). */
typedef struct {
    char *results_file; /* the document written, or NULL */
    bool asked_hub;
    memo_oracle *oracles; /* every oracle file the plan read (strings owned) */
    size_t n_oracles;
} session_outcome;
void session_outcome_free(session_outcome *out);

/* open, execute, close. Returns the exit status (0, 1 a check failed, 2/3 the session could not
 * open — message printed, 130 interrupted); *doc receives the results document (caller deletes)
 * whenever the selection was executed, NULL otherwise. `out` may be NULL. */
int session_run(const session_opts *o, cJSON **doc, session_outcome *out);

/* Whether a GPU is there for the checks that need one. TMGT_GPU=1|0 overrides the probe: a
 * machine may hide its device node (containers), and the simulator's GPU needs no device. */
bool gpu_available(void);

#endif
