#include "exec_world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

void world_init(exec_world *w)
{
    memset(w, 0, sizeof *w);
    char tmpl[] = "/tmp/tmgt-exec-test-XXXXXX";
    w->dir = xstrdup(mkdtemp(tmpl));
    char *cache_dir = path_join(w->dir, "cache");
    tmgt_error err = {{0}};
    w->c = cache_open(cache_dir, &err);
    free(cache_dir);
    if (!w->c) {
        fprintf(stderr, "cache: %s\n", err.msg);
        abort();
    }
    w->def.name = "fake";
    w->eng.def = &w->def;
    w->eng.path = xstrdup("/bin/true"); /* never run: the fake runner plays it */
    w->eng.version = xstrdup("fake 1.0");
    hash_bytes("fake engine", 11, &w->eng.identity);
    w->eng.binary.path = xstrdup(w->eng.path);
    dep_stat(&w->eng.binary);
    graph_init(&w->g);
}

void world_free(exec_world *w)
{
    graph_free(&w->g);
    for (size_t i = 0; i < w->n_steps; i++) {
        free(w->steps[i].name);
        for (size_t j = 0; j < w->steps[i].argc; j++)
            free(w->steps[i].argv[j]);
        free(w->steps[i].argv);
    }
    free(w->eng.binary.path);
    engine_free(&w->eng);
    cache_close(w->c);
    remove_tree(w->dir);
    free(w->dir);
}

const pipeline_step *world_step(exec_world *w, const char *name, bool produces, bool exclusive)
{
    pipeline_step *s = &w->steps[w->n_steps++];
    s->name = xstrdup(name);
    s->argc = produces ? 2 : 1;
    s->argv = xcalloc(3, sizeof *s->argv);
    s->argv[0] = xstrdup("{prompt}");
    if (produces)
        s->argv[1] = xstrdup("{out}");
    s->timeout_ms = 1000;
    s->exclusive = exclusive;
    return s;
}

action *world_action(exec_world *w, const char *job, const pipeline_step *step)
{
    action *a = graph_add_action(&w->g, job, job);
    a->step = step;
    a->eng = &w->eng;
    a->prompt_text = job;
    if (step->argc == 2) {
        char *name = xasprintf("%s.out", job);
        char *path = path_join(w->dir, name);
        a->output = graph_add_artifact(&w->g, "m", name, path);
        a->output->producer = a;
        free(path);
        free(name);
    }
    return a;
}

void world_input(action *consumer, const action *producer)
{
    graph_add_input(consumer, producer->output->name, producer->output);
}

int world_run(exec_world *w, fake_script *script, size_t jobs, exec_stats *st)
{
    exec_opts o = {
        .jobs = jobs,
        .read_cache = true,
        .repeat = w->repeat,
        .output_limit = 1u << 20,
        .new_runner = fake_runner_new,
        .runner_ctx = script,
    };
    return exec_run(&w->g, w->c, &o, st);
}

void world_reset_graph(exec_world *w)
{
    graph_free(&w->g);
    graph_init(&w->g);
}
