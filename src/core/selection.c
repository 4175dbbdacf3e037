#include "selection.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

bool selection_takes_model(const selection *sel, const char *slug)
{
    for (size_t i = 0; i < sel->n_models; i++)
        if (!strcmp(sel->models[i], slug))
            return true;
    return sel->n_models == 0;
}

static bool takes_prompt(const selection *sel, const char *key)
{
    for (size_t i = 0; key && i < sel->n_prompts; i++)
        if (!strcmp(sel->prompts[i], key))
            return true;
    return sel->n_prompts == 0;
}

/* The suites "all" means: those the pipeline lists, else every suite. */
static bool in_pipeline_suites(const pipeline *pl, const char *key)
{
    for (size_t i = 0; i < pl->n_suites; i++)
        if (!strcmp(pl->suites[i], key))
            return true;
    return pl->n_suites == 0;
}

/* The pattern matches the name or one of its leading runs of components, so that a result name
 * ("token-parity") or a model's part of it ("token-parity/smollm2-135m") selects what is under it. */
static bool pattern_matches(const char *pattern, const char *name)
{
    char *prefix = xstrdup(name);
    bool hit = fnmatch(pattern, prefix, 0) == 0;
    for (char *slash = strrchr(prefix, '/'); slash && !hit; slash = strrchr(prefix, '/')) {
        *slash = '\0';
        hit = fnmatch(pattern, prefix, 0) == 0;
    }
    free(prefix);
    return hit;
}

static bool term_takes(const char *term, const pipeline *pl, const char *suite_key, const char *name)
{
    if (!strcmp(term, "all"))
        return strcmp(suite_key, "convert") != 0 && in_pipeline_suites(pl, suite_key);
    return !strcmp(term, suite_key) || pattern_matches(term, name);
}

bool selection_takes_check(const selection *sel, const pipeline *pl, const char *suite_key, const char *name)
{
    for (size_t i = 0; i < sel->n_suites; i++)
        if (term_takes(sel->suites[i], pl, suite_key, name))
            return true;
    return sel->n_suites == 0 && term_takes("all", pl, suite_key, name);
}

bool selection_takes_conversion(const selection *sel, const pipeline *pl, const char *slug,
                                const char *artefact)
{
    char *name = xasprintf("convert/%s/%s", slug, artefact);
    bool taken = sel->n_suites > 0 && selection_takes_check(sel, pl, "convert", name);
    free(name);
    return taken;
}

bool selection_names_suite(const selection *sel, const pipeline *pl, const char *suite_key)
{
    for (size_t i = 0; i < sel->n_suites; i++)
        if (!strcmp(sel->suites[i], suite_key) ||
            (!strcmp(sel->suites[i], "all") && in_pipeline_suites(pl, suite_key)))
            return true;
    return sel->n_suites == 0 && in_pipeline_suites(pl, suite_key);
}

/* Every check's name starts with its suite's label (suites.h), so a term whose first component
 * is literal takes checks only from the suites whose label begins it: the others need not be
 * expanded, which on a large pipeline is most of the planning. */
static bool term_may_take_suite(const char *term, const pipeline *pl, const suite_def *s)
{
    if (!strcmp(term, "all"))
        return in_pipeline_suites(pl, s->key);
    size_t head = strcspn(term, "/"), label = strlen(s->label);
    if (!strcmp(term, s->key) || strcspn(term, "*?[\\") < head)
        return true;
    return label <= head && !strncmp(term, s->label, label);
}

static bool may_take_suite(const selection *sel, const pipeline *pl, const suite_def *s)
{
    for (size_t i = 0; i < sel->n_suites; i++)
        if (term_may_take_suite(sel->suites[i], pl, s))
            return true;
    return sel->n_suites == 0 && term_may_take_suite("all", pl, s);
}

/* Expands suite `s` for model `m` (NULL: a global suite) and keeps the selected checks. */
static void expand_selected(const selection *sel, const pipeline *pl, const suite_def *s,
                            const pipeline_model *m, check_list *out)
{
    if (!may_take_suite(sel, pl, s))
        return;
    size_t kept = out->count;
    s->expand(pl, m, out);
    for (size_t i = kept; i < out->count; i++) {
        if (selection_takes_check(sel, pl, s->key, out->items[i].name) &&
            takes_prompt(sel, out->items[i].prompt))
            out->items[kept++] = out->items[i];
        else
            check_spec_free(&out->items[i]);
    }
    out->count = kept;
}

void selection_expand(const selection *sel, const pipeline *pl, check_list *out)
{
    size_t n = 0;
    const suite_def *const *all = suites_all(&n);
    for (size_t s = 0; s < n; s++)
        if (all[s]->global)
            expand_selected(sel, pl, all[s], NULL, out);
    for (size_t i = 0; i < pl->n_models; i++)
        for (size_t s = 0; selection_takes_model(sel, pl->models[i].slug) && s < n; s++)
            if (!all[s]->global)
                expand_selected(sel, pl, all[s], &pl->models[i], out);
}

/* How many checks and conversions the selection takes. */
static size_t count_selected(const selection *sel, const pipeline *pl)
{
    check_list checks = {0};
    selection_expand(sel, pl, &checks);
    size_t n = checks.count;
    check_list_free(&checks);
    for (size_t i = 0; i < pl->n_models; i++)
        for (size_t a = 0; selection_takes_model(sel, pl->models[i].slug) && a < pl->n_artifacts; a++)
            n += selection_takes_conversion(sel, pl, pl->models[i].slug, pl->artifacts[a].name);
    return n;
}

void selection_describe_suites(strbuf *sb)
{
    size_t n = 0;
    const suite_def *const *all = suites_all(&n);
    sb_puts(sb, "convert");
    for (size_t i = 0; i < n; i++) {
        sb_printf(sb, ", %s", all[i]->key);
        if (strcmp(all[i]->key, all[i]->label) != 0)
            sb_printf(sb, " (%s)", all[i]->label);
    }
}

static char *with_what_exists(strbuf *msg, const pipeline *pl)
{
    sb_puts(msg, "\n  suites (--check NAME, or the result name in parentheses): ");
    selection_describe_suites(msg);
    sb_puts(msg, "\n  models (--model):");
    for (size_t i = 0; i < pl->n_models; i++)
        sb_printf(msg, "%s %s", i ? "," : "", pl->models[i].slug);
    sb_puts(msg, "\n  or a glob over check names, e.g. --check 'token-parity/*/int8/*'");
    return sb_detach(msg);
}

char *selection_problem(const selection *narrowed, const pipeline *pl)
{
    selection whole = *narrowed, *sel = &whole;
    whole.n_prompts = 0;
    strbuf msg;
    sb_init(&msg);
    for (size_t i = 0; i < sel->n_models; i++)
        if (!pipeline_find_model(pl, sel->models[i])) {
            sb_printf(&msg, "--model %s: the pipeline has no such model", sel->models[i]);
            return with_what_exists(&msg, pl);
        }
    for (size_t i = 0; i < sel->n_suites; i++) {
        selection one = *sel;
        one.suites = &sel->suites[i];
        one.n_suites = 1;
        if (count_selected(&one, pl) == 0) {
            sb_printf(&msg, "--check %s selects no check", sel->suites[i]);
            for (size_t m = 0; m < sel->n_models; m++)
                sb_printf(&msg, "%s%s", m ? ", " : " of --model ", sel->models[m]);
            return with_what_exists(&msg, pl);
        }
    }
    if (sel->n_models && !sel->n_suites && count_selected(sel, pl) == 0) {
        sb_puts(&msg, "the selection selects no check");
        return with_what_exists(&msg, pl);
    }
    sb_free(&msg);
    return NULL;
}
