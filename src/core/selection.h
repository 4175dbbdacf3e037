/* What --model and --check select, by the names the reports print. A --check term is "all"
 * (the pipeline's suites), a suite's command-line name ("token"), or a glob (fnmatch(3): a star
 * matches any text, slashes included) over check names, which also selects every check under a
 * name it matches: "token-parity" (the result name) and "token-parity/smollm2-135m" select the
 * checks named under them. Conversions are named "convert/<model>/<artefact>", and "convert"
 * selects them all. The terms add up. */
#ifndef TMGT_SELECTION_H
#define TMGT_SELECTION_H

#include <stdbool.h>
#include <stddef.h>

#include "pipeline.h"
#include "suites.h"
#include "util.h"

typedef struct {
    char **models; /* slugs; none means every model */
    size_t n_models;
    char **suites; /* --check terms; none means "all" */
    size_t n_suites;
    bool conversions_only; /* `tmgt convert`: judge conversions only */
    /* Prompt keys; none means every prompt. Named, they narrow the checks to those of these
     * prompts (a check without a prompt is left out): a rerun judges again only the checks that
     * read an oracle file that changed (run_memo.h). Not a command-line option. */
    char **prompts;
    size_t n_prompts;
} selection;

bool selection_takes_model(const selection *sel, const char *slug);
/* Whether the check `name` of suite `suite_key` is selected; with no term, every check of the
 * pipeline's suites (a conversion only when named: the others come with the checks). */
bool selection_takes_check(const selection *sel, const pipeline *pl, const char *suite_key, const char *name);
bool selection_takes_conversion(const selection *sel, const pipeline *pl, const char *slug,
                                const char *artefact);
/* Whether a whole suite is selected (no term, "all", or its name): its column shows even when
 * the pipeline gives it no check. */
bool selection_names_suite(const selection *sel, const pipeline *pl, const char *suite_key);

/* Appends the selected checks of every suite, the global ones first, then model by model. */
void selection_expand(const selection *sel, const pipeline *pl, check_list *out);

/* NULL when every --model names a model of the pipeline and every --check term selects a check
 * of the selected models; else the usage message (caller frees), which lists the suites and
 * models there are. The prompts are left out: they only narrow a selection found sound. */
char *selection_problem(const selection *sel, const pipeline *pl);

/* "convert, list, canary, token (token-parity), …": each suite's name, and its result name in
 * parentheses where that differs. */
void selection_describe_suites(strbuf *sb);

#endif
