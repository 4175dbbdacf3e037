/* A small world for the executor's unit tests: a cache in a fresh directory, one fake engine,
 * steps made up on demand, and actions named by the job the fake runner plays for them. */
#ifndef TMGT_TEST_EXEC_WORLD_H
#define TMGT_TEST_EXEC_WORLD_H

#include <stdbool.h>

#include "cache.h"
#include "exec.h"
#include "fake_runner.h"
#include "graph.h"

enum { WORLD_MAX_STEPS = 8 };

typedef struct {
    char *dir;
    cache *c;
    pipeline_engine def;
    engine eng;
    pipeline_step steps[WORLD_MAX_STEPS];
    size_t n_steps;
    graph g;
    unsigned repeat; /* exec_opts.repeat for world_run: 0, once */
} exec_world;

void world_init(exec_world *w);
void world_free(exec_world *w);
/* A step whose command line is `JOB [OUT]`: the fake runner's job is the action's prompt. */
const pipeline_step *world_step(exec_world *w, const char *name, bool produces, bool exclusive);
/* An action playing `job` through `step`; a producing step's action declares output JOB.out. */
action *world_action(exec_world *w, const char *job, const pipeline_step *step);
/* `consumer` reads what `producer` writes. */
void world_input(action *consumer, const action *producer);
/* Runs the graph with `jobs` slots through the fake runner playing `script`. */
int world_run(exec_world *w, fake_script *script, size_t jobs, exec_stats *st);
/* A fresh graph for the next run (the cache stays). */
void world_reset_graph(exec_world *w);

#endif
