#include "graph.h"

#include <stdlib.h>
#include <string.h>

void graph_init(graph *g)
{
    memset(g, 0, sizeof *g);
    strmap_init(&g->action_by_dedupe);
    strmap_init(&g->artifact_by_id);
}

static void free_argv(char **argv)
{
    for (char **p = argv; p && *p; p++)
        free(*p);
    free(argv);
}

void graph_release_streams(graph *g)
{
    for (size_t i = 0; i < g->n_actions; i++) {
        action *a = g->actions[i];
        free(a->out);
        free(a->err);
        a->out = a->err = NULL;
        a->out_len = a->err_len = 0;
    }
}

void graph_free(graph *g)
{
    graph_release_streams(g);
    for (size_t i = 0; i < g->n_actions; i++) {
        action *a = g->actions[i];
        free(a->label);
        free(a->dedupe);
        free(a->prompt_key);
        for (size_t j = 0; j < a->n_inputs; j++)
            free(a->in_names[j]);
        free(a->in_names);
        free(a->inputs);
        free(a->dependents);
        free(a->reason);
        free(a->varied);
        free_argv(a->argv);
        free(a);
    }
    free(g->actions);
    for (size_t i = 0; i < g->n_artifacts; i++) {
        artifact *t = g->artifacts[i];
        free(t->id);
        free(t->name);
        free(t->path);
        free(t->unavailable);
        free(t->format_found);
        free(t);
    }
    free(g->artifacts);
    strmap_free(&g->action_by_dedupe);
    strmap_free(&g->artifact_by_id);
}

artifact *graph_find_artifact(const graph *g, const char *id)
{
    return strmap_get(&g->artifact_by_id, id);
}

artifact *graph_add_artifact(graph *g, const char *model, const char *name, const char *path)
{
    artifact *t = xcalloc(1, sizeof *t);
    t->id = xasprintf("%s/%s", model, name);
    t->name = xstrdup(name);
    t->path = xstrdup(path);
    t->model = model;
    if (g->n_artifacts == g->cap_artifacts) {
        g->cap_artifacts = g->cap_artifacts ? g->cap_artifacts * 2 : 32;
        g->artifacts = xrealloc(g->artifacts, g->cap_artifacts * sizeof *g->artifacts);
    }
    g->artifacts[g->n_artifacts++] = t;
    strmap_put(&g->artifact_by_id, t->id, t);
    return t;
}

action *graph_find_action(graph *g, const char *dedupe)
{
    return strmap_get(&g->action_by_dedupe, dedupe);
}

action *graph_add_action(graph *g, const char *dedupe, const char *label)
{
    action *a = xcalloc(1, sizeof *a);
    a->index = g->n_actions;
    a->dedupe = xstrdup(dedupe);
    a->label = xstrdup(label);
    if (g->n_actions == g->cap_actions) {
        g->cap_actions = g->cap_actions ? g->cap_actions * 2 : 64;
        g->actions = xrealloc(g->actions, g->cap_actions * sizeof *g->actions);
    }
    g->actions[g->n_actions++] = a;
    strmap_put(&g->action_by_dedupe, a->dedupe, a);
    return a;
}

void graph_add_input(action *consumer, const char *in_name, artifact *t)
{
    consumer->inputs = xrealloc(consumer->inputs, (consumer->n_inputs + 1) * sizeof *consumer->inputs);
    consumer->in_names = xrealloc(consumer->in_names, (consumer->n_inputs + 1) * sizeof *consumer->in_names);
    consumer->inputs[consumer->n_inputs] = t;
    consumer->in_names[consumer->n_inputs++] = xstrdup(in_name);
    action *p = t->producer;
    if (!p)
        return;
    consumer->waiting_on++;
    if (p->n_dependents == p->cap_dependents) {
        p->cap_dependents = p->cap_dependents ? p->cap_dependents * 2 : 4;
        p->dependents = xrealloc(p->dependents, p->cap_dependents * sizeof *p->dependents);
    }
    p->dependents[p->n_dependents++] = consumer;
}
