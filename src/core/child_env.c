#include "child_env.h"

#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "template.h"

extern char **environ;

int action_step_argv(const action *a, const char *out, const char *prompt, bool symbolic, char ***argv,
                     size_t *argc, tmgt_error *err)
{
    const char **paths = xcalloc(a->n_inputs + 1, sizeof *paths);
    /* Symbolic expansion only asks that an input exists: before planning ends it has no path. */
    for (size_t i = 0; i < a->n_inputs; i++)
        paths[i] = symbolic ? a->in_names[i] : a->inputs[i]->path;
    template_env env = {
        .in_names = (const char *const *)a->in_names,
        .in_paths = paths,
        .n_in = a->n_inputs,
        .out = out,
        .prompt = prompt,
        .model = a->model ? a->model->slug : NULL,
        .scopes = a->scopes,
        .n_scopes = a->n_scopes,
        .symbolic_paths = symbolic,
    };
    int rc = template_expand(a->step->argv, a->step->argc, &env, argv, argc, err);
    free(paths);
    return rc;
}

char **child_argv(const action *a, const char *out_path, tmgt_error *err)
{
    char **tail = NULL;
    size_t tail_n = 0;
    if (action_step_argv(a, out_path, a->prompt_text, false, &tail, &tail_n, err) != 0)
        return NULL;
    char **argv = xcalloc(tail_n + 2, sizeof *argv);
    argv[0] = xstrdup(a->eng->path);
    memcpy(argv + 1, tail, tail_n * sizeof *tail);
    free(tail);
    return argv;
}

char **child_environment(const pipeline_engine *def)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = xcalloc(n + def->n_env + 1, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (env_withheld(environ[i]))
            continue;
        bool overridden = false;
        size_t klen = strcspn(environ[i], "=");
        for (size_t j = 0; j < def->n_env && !overridden; j++)
            overridden = !strncmp(def->env[j], environ[i], klen) && def->env[j][klen] == '=';
        if (!overridden)
            env[k++] = environ[i];
    }
    for (size_t j = 0; j < def->n_env; j++)
        env[k++] = def->env[j];
    return env;
}
