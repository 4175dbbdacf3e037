#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "child_env.h"
#include "deps.h"
#include "fs.h"
#include "hub_cache.h"
#include "template.h"

static engine *engine_for(plan *p, const char *name)
{
    for (size_t i = 0; i < p->pl->n_engines; i++)
        if (!strcmp(p->pl->engines[i].name, name))
            return &p->engines[i];
    return NULL;
}

static void set_unavailable(action *a, char *reason)
{
    if (a->status == ST_UNAVAILABLE) {
        free(reason);
        return;
    }
    a->status = ST_UNAVAILABLE;
    free(a->reason);
    a->reason = reason;
}

static artifact *ensure_artifact(plan *p, const pipeline_model *m, const char *name, tmgt_error *err);

/* Binds the step's {in:…} placeholders, in first-use order, to artefacts. */
static int bind_inputs(plan *p, action *a, const pipeline_model *m, const char *const *artifacts, size_t n,
                       tmgt_error *err)
{
    size_t n_names = 0;
    char **names = template_inputs(a->step->argv, a->step->argc, &n_names);
    int rc = 0;
    if (n_names != n) {
        err_set(err, "%s: steps.%s.argv reads %zu input(s) but is used with %zu", p->pl->path, a->step->name,
                n_names, n);
        rc = -1;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        artifact *t = ensure_artifact(p, m, artifacts[i], err);
        if (!t) {
            rc = -1;
            break;
        }
        graph_add_input(a, names[i], t);
        if (t->unavailable)
            set_unavailable(a, xasprintf("needs %s: %s", t->id, t->unavailable));
    }
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    return rc;
}

static void attach_engine(plan *p, action *a)
{
    a->eng = engine_for(p, a->step->engine);
    if (a->eng && a->eng->unavailable)
        set_unavailable(a, xstrdup(a->eng->unavailable));
}

static artifact *source_artifact(plan *p, const pipeline_model *m)
{
    char *id = xasprintf("%s/@source", m->slug);
    artifact *t = graph_find_artifact(&p->g, id);
    free(id);
    if (t)
        return t;
    tmgt_error why = {{0}};
    char *path = NULL;
    if (!strncmp(m->source, "hf://", 5)) {
        path = hub_cache_snapshot(m->source, &why);
    } else {
        path = pipeline_path(p->pl, m->source);
        deps_note(path);
        if (!path_exists(path))
            err_set(&why, "model source %s does not exist (run the fixture or pull step first)", path);
    }
    t = graph_add_artifact(&p->g, m->slug, "@source", path ? path : m->source);
    t->unavailable = why.msg[0] ? xstrdup(why.msg) : NULL;
    free(path);
    return t;
}

static artifact *ensure_artifact(plan *p, const pipeline_model *m, const char *name, tmgt_error *err)
{
    if (!strcmp(name, "@source"))
        return source_artifact(p, m);
    char *id = xasprintf("%s/%s", m->slug, name);
    artifact *t = graph_find_artifact(&p->g, id);
    free(id);
    if (t)
        return t;
    char *path = xasprintf("%s/%s/%s", p->models_root, m->slug, name);
    t = graph_add_artifact(&p->g, m->slug, name, path);
    free(path);
    const pipeline_artifact *recipe = pipeline_find_artifact(p->pl, name);
    if (!recipe) {
        t->unavailable = xasprintf("the pipeline has no recipe for %s", name);
        return t;
    }
    const pipeline_step *step = pipeline_find_step(p->pl, recipe->step);
    char *dedupe = xasprintf("produce|%s", t->id);
    char *label = xasprintf("%s %s → %s", step->engine, step->name, t->id);
    action *a = graph_add_action(&p->g, dedupe, label);
    free(dedupe);
    free(label);
    a->step = step;
    a->model = m;
    a->output = t;
    a->scopes[a->n_scopes++] = recipe->vars;
    a->scopes[a->n_scopes++] = m->vars;
    t->producer = a;
    attach_engine(p, a);
    if (bind_inputs(p, a, m, (const char *const *)recipe->in_artifacts, recipe->n_in, err) != 0)
        return NULL;
    return t;
}

static const char *prompt_text(const pipeline *pl, const char *key)
{
    for (size_t i = 0; key && i < pl->n_prompts; i++)
        if (!strcmp(pl->prompts[i].key, key))
            return pl->prompts[i].text;
    return NULL;
}

static const oracle_set *oracles_of(const plan *p, const pipeline_model *m)
{
    for (size_t i = 0; i < p->pl->n_models; i++)
        if (&p->pl->models[i] == m)
            return p->oracles[i];
    return NULL;
}

/* The artefact that stands for the oracle file of a model's prompt (graph ids are <slug>/<name>). */
static char *oracle_input_name(const char *prompt_key)
{
    return xasprintf("%s/%s", TEMPLATE_ORACLE_INPUT, prompt_key);
}

static artifact *oracle_input(const plan *p, const char *slug, const char *prompt_key)
{
    char *name = oracle_input_name(prompt_key);
    char *id = xasprintf("%s/%s", slug, name);
    artifact *t = graph_find_artifact(&p->g, id);
    free(id);
    free(name);
    return t;
}

bool plan_reads_oracle(const plan *p, const char *slug, const char *prompt_key)
{
    return oracle_input(p, slug, prompt_key) != NULL;
}

/* Binds a step's {oracle} to the model's oracle file for the query's prompt: an input like an
 * artefact, so its content enters the action key and an edited oracle runs the step again. */
static void bind_oracle(plan *p, action *a, const pipeline_model *m)
{
    const oracle_entry *o = a->prompt_key ? oracle_find(oracles_of(p, m), a->prompt_key) : NULL;
    if (!o)
        return; /* check_templates names the step whose {oracle} has nothing to read */
    artifact *t = oracle_input(p, m->slug, a->prompt_key);
    if (!t) {
        char *name = oracle_input_name(a->prompt_key);
        t = graph_add_artifact(&p->g, m->slug, name, o->path);
        free(name);
    }
    graph_add_input(a, TEMPLATE_ORACLE_INPUT, t);
}

static action *ensure_query(plan *p, const pipeline_model *m, const query_spec *q, tmgt_error *err)
{
    strbuf id;
    sb_init(&id);
    sb_printf(&id, "query|%s|%s", q->step, m ? m->slug : "");
    for (size_t i = 0; i < q->n_artifacts; i++)
        sb_printf(&id, "|%s", q->artifacts[i]);
    sb_printf(&id, "|%s", q->prompt ? q->prompt : "");
    action *a = graph_find_action(&p->g, id.buf);
    if (a) {
        sb_free(&id);
        return a;
    }
    const pipeline_step *step = pipeline_find_step(p->pl, q->step);
    strbuf label;
    sb_init(&label);
    sb_printf(&label, "%s %s", step ? step->engine : "?", q->step);
    for (size_t i = 0; i < q->n_artifacts; i++)
        sb_printf(&label, " %s/%s", m ? m->slug : "", q->artifacts[i]);
    if (q->prompt)
        sb_printf(&label, " %s", q->prompt);
    a = graph_add_action(&p->g, id.buf, label.buf);
    sb_free(&id);
    sb_free(&label);
    a->model = m;
    if (!step) {
        set_unavailable(a, xasprintf("the pipeline has no step \"%s\"", q->step));
        return a;
    }
    a->step = step;
    if (m)
        a->scopes[a->n_scopes++] = m->vars;
    if (q->prompt) {
        a->prompt_key = xstrdup(q->prompt);
        a->prompt_text = prompt_text(p->pl, q->prompt);
        if (!a->prompt_text)
            set_unavailable(a, xasprintf("the pipeline has no prompt \"%s\"", q->prompt));
    }
    attach_engine(p, a);
    if (m && bind_inputs(p, a, m, q->artifacts, q->n_artifacts, err) != 0)
        return NULL;
    if (m && template_reads_oracle(step->argv, step->argc))
        bind_oracle(p, a, m);
    return a;
}

static int load_oracles(plan *p, const pipeline_model *m, size_t idx, tmgt_error *err)
{
    const char **keys = xcalloc(p->pl->n_prompts + 1, sizeof *keys);
    for (size_t i = 0; i < p->pl->n_prompts; i++)
        keys[i] = p->pl->prompts[i].key;
    char *dir = pipeline_path(p->pl, m->oracle_dir);
    p->oracles[idx] = oracle_load(dir, m->slug, keys, p->pl->n_prompts, err);
    free(dir);
    free(keys);
    return p->oracles[idx] ? 0 : -1;
}

/* A step template naming a variable that no scope of the action defines is a pipeline error:
 * caught here, before anything runs, instead of skipping every check that uses the step. */
static int check_templates(const plan *p, tmgt_error *err)
{
    for (size_t i = 0; i < p->g.n_actions; i++) {
        const action *a = p->g.actions[i];
        if (!a->step)
            continue;
        char **argv = NULL;
        size_t argc = 0;
        tmgt_error why = {{0}};
        /* The prompt's text is not read yet: only whether the step takes one matters. */
        if (action_step_argv(a, a->output ? "{out}" : NULL, a->prompt_key ? "" : NULL, true, &argv, &argc,
                             &why) != 0) {
            err_set(err, "%s: steps.%s.%s%s%s", p->pl->path, a->step->name, why.msg,
                    a->model ? " for model " : "", a->model ? a->model->slug : "");
            return -1;
        }
        template_free_argv(argv);
    }
    return 0;
}

/* Under `tmgt convert`, the artefacts the selected checks read, not the checks. */
static int ensure_check_artifacts(plan *p, tmgt_error *err)
{
    for (size_t c = 0; c < p->checks.count; c++) {
        const check_spec *cs = &p->checks.items[c];
        const pipeline_model *m = pipeline_find_model(p->pl, cs->model);
        for (size_t q = 0; m && q < cs->n_queries; q++)
            for (size_t i = 0; i < cs->queries[q].n_artifacts; i++)
                if (!ensure_artifact(p, m, cs->queries[q].artifacts[i], err))
                    return -1;
    }
    check_list_free(&p->checks);
    return 0;
}

static int ensure_queries(plan *p, tmgt_error *err)
{
    p->check_actions = xcalloc(p->checks.count + 1, sizeof *p->check_actions);
    for (size_t c = 0; c < p->checks.count; c++) {
        check_spec *cs = &p->checks.items[c];
        const pipeline_model *m = pipeline_find_model(p->pl, cs->model);
        p->check_actions[c] = xcalloc(cs->n_queries + 1, sizeof **p->check_actions);
        for (size_t q = 0; q < cs->n_queries; q++) {
            p->check_actions[c][q] = ensure_query(p, m, &cs->queries[q], err);
            if (!p->check_actions[c][q])
                return -1;
        }
    }
    return 0;
}

/* The matrix's suites: those selected whole, and those with a selected check. */
static void collect_suites(plan *p, const selection *sel)
{
    size_t n_all = 0;
    const suite_def *const *all = suites_all(&n_all);
    p->suites = xcalloc(n_all + 1, sizeof *p->suites);
    for (size_t i = 0; i < n_all; i++) {
        bool want = selection_names_suite(sel, p->pl, all[i]->key);
        for (size_t c = 0; !want && c < p->checks.count; c++)
            want = !strcmp(p->checks.items[c].suite, all[i]->key);
        if (want)
            p->suites[p->n_suites++] = all[i];
    }
}

int plan_build(plan *p, const pipeline *pl, const selection *sel, engine *engines, tmgt_error *err)
{
    memset(p, 0, sizeof *p);
    p->pl = pl;
    p->engines = engines;
    graph_init(&p->g);
    p->models_root = pipeline_path(pl, pl->models_dir);
    p->oracles = xcalloc(pl->n_models + 1, sizeof *p->oracles);
    /* `tmgt convert` with no --check converts everything; otherwise what the selection reads. */
    bool every_artefact = sel->conversions_only && !sel->n_suites;
    if (!every_artefact)
        selection_expand(sel, pl, &p->checks);
    collect_suites(p, sel);
    for (size_t i = 0; i < pl->n_models; i++) {
        const pipeline_model *m = &pl->models[i];
        if (!selection_takes_model(sel, m->slug))
            continue;
        if (load_oracles(p, m, i, err) != 0)
            return -1;
        for (size_t a = 0; a < pl->n_artifacts; a++)
            if ((every_artefact || selection_takes_conversion(sel, pl, m->slug, pl->artifacts[a].name)) &&
                !ensure_artifact(p, m, pl->artifacts[a].name, err))
                return -1;
    }
    if (sel->conversions_only ? ensure_check_artifacts(p, err) != 0 : ensure_queries(p, err) != 0)
        return -1;
    return check_templates(p, err);
}

void plan_free(plan *p)
{
    for (size_t c = 0; p->check_actions && c < p->checks.count; c++)
        free(p->check_actions[c]);
    free(p->check_actions);
    check_list_free(&p->checks);
    graph_free(&p->g);
    for (size_t i = 0; p->oracles && i < p->pl->n_models; i++)
        if (p->oracles[i])
            oracle_free(p->oracles[i]);
    free(p->oracles);
    free(p->suites);
    free(p->models_root);
}
