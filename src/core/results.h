/* The results document (results/latest.json): everything reports and tickets need, so they
 * never re-run anything. Format described in README.md ("Results"). */
#ifndef TMGT_RESULTS_H
#define TMGT_RESULTS_H

#include <stdio.h>
#include <cjson/cJSON.h>

#include "evaluate.h"
#include "exec.h"
#include "plan.h"

#define RESULTS_FORMAT 1

typedef struct {
    const char *command;
    int argc;
    char **argv;
    char *started_at;
    size_t jobs;
    unsigned repeat; /* --repeat: runs of each action (0 or 1: once) */
} run_info;

/* The evaluation's token sides (expected, got) move into the document instead of being copied,
 * so the document outlives evaluation_free(ev). */
cJSON *results_build(const plan *p, evaluation *ev, const exec_stats *st, const run_info *info);
/* Writes <dir>/run-<time>.json atomically and links <dir>/latest.json to it; *written (when not
 * NULL) gets the former's path, for the caller to free. */
int results_write(const cJSON *doc, const char *dir, char **written, tmgt_error *err);
/* The same for a document that `fill` writes to the stream (0, or -1 with errno set). */
int results_write_with(int (*fill)(FILE *out, void *ctx), void *ctx, const char *dir, char **written,
                       tmgt_error *err);
/* Loads <dir>/latest.json (or a file) and checks that this tmgt can read its format. */
cJSON *results_load(const char *path, tmgt_error *err);

#endif
