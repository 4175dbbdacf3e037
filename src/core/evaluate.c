#include "evaluate.h"

#include <stdlib.h>
#include <string.h>

#include "vocab.h"

/* Vocabularies by model slug, loaded the first time a divergence needs one. */
typedef struct {
    const plan *p;
    strmap by_slug;
    char no_vocab; /* its address marks a model without tokenizer.json */
} vocab_cache;

static const vocab *vocab_for(vocab_cache *vc, const char *slug)
{
    void *v = strmap_get(&vc->by_slug, slug);
    if (!v) {
        char *id = xasprintf("%s/@source", slug);
        const artifact *src = graph_find_artifact(&vc->p->g, id);
        free(id);
        v = src && !src->unavailable ? vocab_load(src->path) : NULL;
        strmap_put(&vc->by_slug, slug, v ? v : &vc->no_vocab);
    }
    return v == &vc->no_vocab ? NULL : v;
}

/* A token divergence says which text each id stands for, when the model's tokenizer is at hand. */
static void name_divergent_tokens(vocab_cache *vc, const check_spec *cs, check_result *r)
{
    divergence *d = &r->div;
    if (!d->present || d->expected_text || d->got_text || (d->expected < 0 && d->got < 0) || !cs->model)
        return;
    const vocab *v = vocab_for(vc, cs->model);
    d->expected_text = vocab_decode(v, d->expected);
    d->got_text = vocab_decode(v, d->got);
}

static char *decode_or_null(const vocab *v, long id)
{
    return id >= 0 ? vocab_decode(v, id) : NULL;
}

/* A token verdict in words: the sentence of divergence.h, appended to the detail (or the whole
 * detail, where the suite leaves it empty), then what the suite saw beside the run. Against an oracle without
 * margins, only a failed engine is worth a sentence: the rest would say "not measured" on every check, which
 * the report says once instead. */
static void describe_token_verdict(vocab_cache *vc, const check_spec *cs, check_result *r)
{
    token_verdict *tv = r->tv;
    if (!tv)
        return;
    const token_divergence *d = &tv->d;
    bool prompt_differs = d->prompt.verdict != PROMPT_UNKNOWN && d->prompt.verdict != PROMPT_SAME;
    const vocab *v = (d->present || prompt_differs) && cs->model ? vocab_for(vc, cs->model) : NULL;
    tv->expected_text = decode_or_null(v, d->expected);
    tv->got_text = decode_or_null(v, d->got);
    if (d->present || d->cls != DIV_NONE) {
        tv->json = divergence_to_json(d);
        divergence_json_name_tokens(tv->json, v);
    }
    if (tv->prompt_only)
        tv->sentence =
            d->prompt.verdict != PROMPT_UNKNOWN ? prompt_sentence(&d->prompt, v, tv->engine) : NULL;
    else if ((d->present || d->cls != DIV_NONE) && (d->oracle_margins || d->cls == DIV_ENGINE_ERROR))
        tv->sentence = divergence_sentence(d, v, tv->engine);
    if (tv->sentence)
        check_result_add_clause(r, tv->sentence);
    if (tv->beside)
        check_result_add_clause(r, tv->beside);
}

/* "apr run" for apr's subcommands; the engine's own name when the step passes only flags. */
static char *command_name(const action *a)
{
    if (!a->step)
        return xstrdup(a->label);
    const char *first = a->step->argc ? a->step->argv[0] : "";
    if (*first && *first != '-' && *first != '{')
        return xasprintf("%s %s", a->step->engine, first);
    return xstrdup(a->step->engine);
}

static void fill_output(query_output *q, const action *a, stdout_json *parsed, char **command)
{
    memset(q, 0, sizeof *q);
    q->json = &parsed[a->index];
    q->status = a->status;
    q->exit_code = a->exit_code;
    q->term_signal = a->term_signal;
    q->out = a->out ? a->out : "";
    q->out_len = a->out ? a->out_len : 0;
    q->err = a->err ? a->err : "";
    q->err_len = a->err ? a->err_len : 0;
    q->reason = a->reason;
    *command = command_name(a);
    q->command = *command;
}

static void evaluate_check(const plan *p, size_t c, bool gpu, vocab_cache *vc, stdout_json *parsed,
                           evaluated_check *ec)
{
    const check_spec *cs = &p->checks.items[c];
    ec->s = cs;
    const pipeline_model *m = pipeline_find_model(p->pl, cs->model);
    check_ctx ctx = {.pl = p->pl, .model = m, .spec = cs, .gpu_available = gpu};
    for (size_t i = 0; m && i < p->pl->n_models; i++)
        if (&p->pl->models[i] == m)
            ctx.oracle = oracle_find(p->oracles[i], cs->prompt);
    query_output q[MAX_CHECK_QUERIES];
    char *names[MAX_CHECK_QUERIES] = {0};
    ec->actions = xcalloc(cs->n_queries + 1, sizeof *ec->actions);
    ec->n_actions = cs->n_queries;
    for (size_t i = 0; i < cs->n_queries; i++) {
        const action *a = p->check_actions[c][i];
        ec->actions[i] = a;
        fill_output(&q[i], a, parsed, &names[i]);
        ctx.q[i] = &q[i];
    }
    const suite_def *sd = suite_find(cs->suite);
    sd->evaluate(&ctx, &ec->r);
    name_divergent_tokens(vc, cs, &ec->r);
    describe_token_verdict(vc, cs, &ec->r);
    for (size_t i = 0; i < cs->n_queries; i++)
        free(names[i]);
}

/* The first line of stderr that starts with "error", else its last non-empty line. */
static char *error_line(const action *a)
{
    const char *e = a->err ? a->err : "";
    const char *best = NULL;
    size_t best_len = 0;
    for (const char *line = e; *line;) {
        size_t len = strcspn(line, "\n");
        if (len && (!best || strncmp(best, "error", 5) != 0)) {
            best = line;
            best_len = len;
        }
        line += len + (line[len] == '\n');
    }
    return best ? xstrndup(best, best_len > 300 ? 300 : best_len) : xstrdup("");
}

static void evaluate_conversion(const artifact *t, evaluated_check *ec)
{
    const action *a = t->producer;
    ec->spec.name = xasprintf("convert/%s/%s", t->model, t->name);
    ec->spec.suite = "convert";
    ec->spec.model = xstrdup(t->model);
    ec->spec.variant = xstrdup(t->name);
    ec->s = &ec->spec;
    ec->actions = xcalloc(2, sizeof *ec->actions);
    ec->actions[0] = a;
    ec->n_actions = 1;
    char *err = error_line(a);
    switch (a->status) {
    case ST_OK:
        if (t->format_found)
            check_result_set(&ec->r, CHECK_PASS, "%s: %s, %llu bytes (sha256 %.12s)", t->name,
                             t->format_found, (unsigned long long)t->size, t->d.hex);
        else
            check_result_set(&ec->r, CHECK_PASS, "%s produced (%llu bytes, sha256 %.12s)", t->name,
                             (unsigned long long)t->size, t->d.hex);
        break;
    case ST_OUTPUT_MALFORMED: /* the reason names the file and what it holds instead */
        check_result_set(&ec->r, CHECK_FAIL, "%s", a->reason);
        break;
    case ST_EXIT:
        check_result_set(&ec->r, CHECK_FAIL, "%s failed (exit %d)%s%s", a->label, a->exit_code,
                         *err ? ": " : "", err);
        break;
    case ST_TIMEOUT:
        check_result_set(&ec->r, CHECK_TIMEOUT, "%s %s", a->label, a->reason ? a->reason : "timed out");
        break;
    case ST_SKIPPED:
    case ST_UNAVAILABLE:
    case ST_INTERRUPTED:
    case ST_NONE:
        check_result_set(&ec->r, CHECK_SKIP, "not run: %s",
                         a->reason ? a->reason : action_status_name(a->status));
        break;
    default:
        check_result_set(&ec->r, CHECK_FAIL, "%s %s%s%s", a->label, action_status_name(a->status),
                         a->reason ? ": " : "", a->reason ? a->reason : "");
    }
    free(err);
}

/* The action, or one whose output it reads (transitively), that --repeat saw vary. */
static const action *varied_source(const action *a)
{
    if (!a)
        return NULL;
    if (a->varied)
        return a;
    for (size_t i = 0; i < a->n_inputs; i++) {
        const action *v = varied_source(a->inputs[i]->producer);
        if (v)
            return v;
    }
    return NULL;
}

/* A check that reads a result seen to vary has no verdict to give but that. */
static void judge_repeats(evaluated_check *ec)
{
    for (size_t i = 0; i < ec->n_actions; i++) {
        const action *v = varied_source(ec->actions[i]);
        if (v) {
            check_result_set(&ec->r, CHECK_FAIL, "nondeterministic: %s: %s", v->label, v->varied);
            return;
        }
    }
}

/* Each item of the evaluation has a fixed place (conversions in artefact order, then the checks in
 * plan order) whenever it is judged, so the results read the same whatever finished first. */
struct evaluator {
    const plan *p;
    bool gpu;
    void (*tell)(void *ctx, const evaluated_check *ec);
    void *tell_ctx;
    evaluation ev;
    const artifact **converted; /* per conversion item: the artefact it judges */
    size_t n_conversions;
    size_t *pending;     /* per item: its actions not yet finished, one per query */
    bool *judged;        /* per item */
    size_t *waiter_from; /* per action index: where its items start in `waiters` (CSR) */
    size_t *waiters;     /* item indices, grouped by the action they wait on */
    size_t *readers;     /* per action index: unjudged checks' queries that read its stdout */
    stdout_json *parsed; /* per action index */
    vocab_cache vc;
};

static const action *item_action(const evaluator *e, size_t item, size_t q)
{
    if (item < e->n_conversions)
        return e->converted[item]->producer;
    return e->p->check_actions[item - e->n_conversions][q];
}

static size_t item_queries(const evaluator *e, size_t item)
{
    return item < e->n_conversions ? 1 : e->p->checks.items[item - e->n_conversions].n_queries;
}

evaluator *evaluator_new(const plan *p, bool gpu_available,
                         void (*judged)(void *ctx, const evaluated_check *ec), void *judged_ctx)
{
    evaluator *e = xcalloc(1, sizeof *e);
    e->p = p;
    e->gpu = gpu_available;
    e->tell = judged;
    e->tell_ctx = judged_ctx;
    e->vc.p = p;
    strmap_init(&e->vc.by_slug);
    size_t n_actions = p->g.n_actions;
    e->converted = xcalloc(p->g.n_artifacts + 1, sizeof *e->converted);
    for (size_t i = 0; i < p->g.n_artifacts; i++)
        if (p->g.artifacts[i]->producer)
            e->converted[e->n_conversions++] = p->g.artifacts[i];
    e->ev.count = e->n_conversions + p->checks.count;
    e->ev.items = xcalloc(e->ev.count + 1, sizeof *e->ev.items);
    e->pending = xcalloc(e->ev.count + 1, sizeof *e->pending);
    e->judged = xcalloc(e->ev.count + 1, sizeof *e->judged);
    e->readers = xcalloc(n_actions + 1, sizeof *e->readers);
    e->parsed = xcalloc(n_actions + 1, sizeof *e->parsed);
    e->waiter_from = xcalloc(n_actions + 2, sizeof *e->waiter_from);
    size_t n_waits = 0;
    for (size_t item = 0; item < e->ev.count; item++) {
        e->pending[item] = item_queries(e, item);
        n_waits += e->pending[item];
        for (size_t q = 0; q < e->pending[item]; q++) {
            size_t a = item_action(e, item, q)->index;
            e->waiter_from[a + 1]++;
            e->readers[a] += item >= e->n_conversions;
        }
    }
    for (size_t a = 0; a < n_actions; a++)
        e->waiter_from[a + 1] += e->waiter_from[a];
    e->waiters = xcalloc(n_waits + 1, sizeof *e->waiters);
    size_t *fill = xcalloc(n_actions + 1, sizeof *fill);
    for (size_t item = 0; item < e->ev.count; item++)
        for (size_t q = 0; q < e->pending[item]; q++) {
            size_t a = item_action(e, item, q)->index;
            e->waiters[e->waiter_from[a] + fill[a]++] = item;
        }
    free(fill);
    return e;
}

/* A query's parse is dropped once the last check reading it is judged: a run's top-k logprobs
 * need not outlive their checks while the rest of the matrix runs. */
static void release_parses(evaluator *e, size_t item)
{
    for (size_t q = 0; q < item_queries(e, item); q++) {
        size_t a = item_action(e, item, q)->index;
        if (--e->readers[a] == 0) {
            cJSON_Delete(e->parsed[a].doc);
            e->parsed[a] = (stdout_json){0};
        }
    }
}

static void judge(evaluator *e, size_t item)
{
    evaluated_check *ec = &e->ev.items[item];
    e->judged[item] = true;
    if (item < e->n_conversions) {
        evaluate_conversion(e->converted[item], ec);
    } else {
        evaluate_check(e->p, item - e->n_conversions, e->gpu, &e->vc, e->parsed, ec);
        release_parses(e, item);
    }
    judge_repeats(ec);
    if (e->tell)
        e->tell(e->tell_ctx, ec);
}

void evaluator_action_finished(evaluator *e, const action *a)
{
    for (size_t w = e->waiter_from[a->index]; w < e->waiter_from[a->index + 1]; w++) {
        size_t item = e->waiters[w];
        if (--e->pending[item] == 0 && !e->judged[item])
            judge(e, item);
    }
}

void evaluator_finish(evaluator *e, evaluation *ev)
{
    for (size_t item = 0; item < e->ev.count; item++)
        if (!e->judged[item])
            judge(e, item);
    *ev = e->ev;
    const char *slug;
    void *v;
    for (size_t pos = 0; strmap_next(&e->vc.by_slug, &pos, &slug, &v);)
        if (v != &e->vc.no_vocab)
            vocab_free(v);
    strmap_free(&e->vc.by_slug);
    free(e->converted);
    free(e->pending);
    free(e->judged);
    free(e->waiter_from);
    free(e->waiters);
    free(e->readers);
    free(e->parsed);
    free(e);
}

void evaluation_free(evaluation *ev)
{
    for (size_t i = 0; i < ev->count; i++) {
        evaluated_check *ec = &ev->items[i];
        free(ec->spec.name);
        free(ec->spec.model);
        free(ec->spec.variant);
        free(ec->actions);
        check_result_free(&ec->r);
    }
    free(ev->items);
}
