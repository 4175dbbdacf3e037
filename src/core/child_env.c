#include "child_env.h"

#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "template.h"

extern char **environ;

char **child_argv(const action *a, const char *out_path, tmgt_error *err)
{
    const char **names = xcalloc(a->n_inputs + 1, sizeof *names);
    const char **paths = xcalloc(a->n_inputs + 1, sizeof *paths);
    for (size_t i = 0; i < a->n_inputs; i++) {
        names[i] = a->in_names[i];
        paths[i] = a->inputs[i]->path;
    }
    template_env env = {
        .in_names = names,
        .in_paths = paths,
        .n_in = a->n_inputs,
        .out = out_path,
        .prompt = a->prompt_text,
        .model = a->model ? a->model->slug : NULL,
        .scopes = a->scopes,
        .n_scopes = a->n_scopes,
    };
    char **tail = NULL;
    size_t tail_n = 0;
    int rc = template_expand(a->step->argv, a->step->argc, &env, &tail, &tail_n, err);
    free(names);
    free(paths);
    if (rc != 0)
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
