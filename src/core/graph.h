/* The action graph: artefacts (files), actions (engine invocations) and who waits on whom.
 * No I/O here: the planner builds it, the executor walks it. */
#ifndef TMGT_GRAPH_H
#define TMGT_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "hash.h"
#include "pipeline.h"
#include "status.h"
#include "strmap.h"

typedef struct action action;

typedef struct {
    char *id;   /* "smollm-135m/int4.apr", or "smollm-135m/@source" */
    char *name; /* "int4.apr" */
    char *path; /* where it is (sources) or will be materialized */
    const char *model;
    action *producer;  /* NULL for sources */
    char *unavailable; /* why it cannot exist (missing source, no recipe); NULL if fine */
    bool have_digest;
    digest d;
    uint64_t size;
    char *format_found; /* its header, as read: "GGUF v3, 272 tensors"; NULL when not read */
} artifact;

struct action {
    size_t index;
    char *label;  /* progress text: "apr run smollm-135m/int8.apr code" */
    char *dedupe; /* identity inside one run: step|model|inputs|prompt */
    const pipeline_step *step;
    engine *eng;
    const pipeline_model *model;
    char *prompt_key;
    const char *prompt_text;
    char **in_names; /* template input names, parallel to inputs */
    artifact **inputs;
    size_t n_inputs;
    artifact *output; /* at most one */
    const cJSON *scopes[2];
    size_t n_scopes;

    /* scheduling */
    size_t waiting_on; /* producers not yet finished */
    action **dependents;
    size_t n_dependents, cap_dependents;
    bool queued, started, finished;

    /* result */
    action_status status;
    bool cached;
    int exit_code, term_signal;
    uint64_t wall_ms;
    bool have_key;
    digest key;
    bool have_streams;
    digest stdout_d, stderr_d;
    char *reason; /* skipped/unavailable/spawn error/why it ran (explain) */
    /* --repeat: where a later run first differed from the first ("run 2 differs from run 1:
     * tokens[31] 1783 vs 1290"); NULL when every run agreed. Such a result is never cached. */
    char *varied;
    char **argv; /* expanded command line as run (for results and -v) */
    char *out;   /* stdout and stderr, loaded for evaluation */
    size_t out_len;
    char *err;
    size_t err_len;
};

typedef struct {
    action **actions;
    size_t n_actions, cap_actions;
    artifact **artifacts;
    size_t n_artifacts, cap_artifacts;
    strmap action_by_dedupe;
    strmap artifact_by_id;
} graph;

void graph_init(graph *g);
void graph_free(graph *g);
/* Frees the captured stdout/stderr of every action (they are in the cache): once the checks
 * are judged, a large graph need not hold them while the results are written. */
void graph_release_streams(graph *g);
artifact *graph_find_artifact(const graph *g, const char *id);
artifact *graph_add_artifact(graph *g, const char *model, const char *name, const char *path);
action *graph_find_action(graph *g, const char *dedupe);
action *graph_add_action(graph *g, const char *dedupe, const char *label);
/* Records that `consumer` reads `a`: it waits for a's producer. */
void graph_add_input(action *consumer, const char *in_name, artifact *a);

#endif
