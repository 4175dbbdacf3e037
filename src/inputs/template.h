/* Expansion of step argv templates. A whole argument `{@name}` splices a list variable;
 * `{in:NAME}`, `{out}`, `{prompt}`, `{oracle}`, `{model}` and `{name}` may appear inside an
 * argument. `{oracle}` is the model's oracle file for the step's prompt: an input like
 * `{in:NAME}` (its content enters the action key), bound by the planner, not by the artefact's
 * recipe. `{{` and `}}` are literal braces. No shell is ever involved. */
#ifndef TMGT_TEMPLATE_H
#define TMGT_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "util.h"

/* The input name `{oracle}` stands for; a template names it only through `{oracle}`. */
#define TEMPLATE_ORACLE_INPUT "@oracle"

typedef struct {
    const char *const *in_names; /* input names and their paths, in step order */
    const char *const *in_paths;
    size_t n_in;
    const char *out;    /* output path, or NULL when the step has none */
    const char *prompt; /* NULL when the step takes none */
    const char *model;
    const cJSON *const *scopes; /* variable objects, searched in order */
    size_t n_scopes;
    /* For action keys: leave {in:…} and {out} as written, since their paths differ between
     * runs while the content digests (hashed separately) say what matters. */
    bool symbolic_paths;
} template_env;

/* Returns 0 and a NULL-terminated argv (free with template_free_argv), or -1 with an error
 * that names the argument and the problem. */
int template_expand(char *const *tmpl, size_t n, const template_env *env, char ***argv, size_t *argc,
                    tmgt_error *err);
void template_free_argv(char **argv);
/* Names of the inputs ({in:NAME}) a template uses, in first-use order (caller frees). */
char **template_inputs(char *const *tmpl, size_t n, size_t *count);
/* Whether a template reads the oracle ({oracle}). */
bool template_reads_oracle(char *const *tmpl, size_t n);

#endif
