#include "template.h"

#include <stdlib.h>
#include <string.h>

static const cJSON *lookup_var(const template_env *env, const char *name)
{
    for (size_t i = 0; i < env->n_scopes; i++) {
        const cJSON *v = env->scopes[i] ? cJSON_GetObjectItemCaseSensitive(env->scopes[i], name) : NULL;
        if (v)
            return v;
    }
    return NULL;
}

static const char *lookup_input(const template_env *env, const char *name)
{
    for (size_t i = 0; i < env->n_in; i++)
        if (!strcmp(env->in_names[i], name))
            return env->in_paths[i];
    return NULL;
}

/* Resolves one {placeholder} to its text, or returns -1 naming what is unknown. */
static int resolve(const template_env *env, const char *ph, strbuf *out, tmgt_error *err)
{
    if (!strncmp(ph, "in:", 3)) {
        const char *path = lookup_input(env, ph + 3);
        if (!path) {
            err_set(err, "unknown input {%s}", ph);
            return -1;
        }
        sb_puts(out, env->symbolic_paths ? "{" : "");
        sb_puts(out, env->symbolic_paths ? ph : path);
        sb_puts(out, env->symbolic_paths ? "}" : "");
        return 0;
    }
    if (!strcmp(ph, "oracle")) {
        const char *path = lookup_input(env, TEMPLATE_ORACLE_INPUT);
        if (!path) {
            err_set(err, "{oracle} used by a step that reads no prompt's oracle");
            return -1;
        }
        sb_puts(out, env->symbolic_paths ? "{oracle}" : path);
        return 0;
    }
    if (!strcmp(ph, "out")) {
        if (!env->out) {
            err_set(err, "{out} used by a step that produces no artefact");
            return -1;
        }
        sb_puts(out, env->symbolic_paths ? "{out}" : env->out);
        return 0;
    }
    if (!strcmp(ph, "prompt") && env->prompt) {
        sb_puts(out, env->prompt);
        return 0;
    }
    if (!strcmp(ph, "model") && env->model) {
        sb_puts(out, env->model);
        return 0;
    }
    const cJSON *v = lookup_var(env, ph);
    if (cJSON_IsString(v)) {
        sb_puts(out, v->valuestring);
        return 0;
    }
    if (cJSON_IsNumber(v)) {
        sb_printf(out, "%g", v->valuedouble);
        return 0;
    }
    err_set(err,
            v ? "variable {%s} is not a string (a list needs a whole {@…} argument)"
              : "unknown variable {%s}",
            ph);
    return -1;
}

static int expand_one(const char *arg, const template_env *env, strbuf *out, tmgt_error *err)
{
    for (const char *p = arg; *p;) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            sb_putc(out, p[0]);
            p += 2;
            continue;
        }
        if (*p == '}') {
            err_set(err, "unmatched '}' in \"%s\"", arg);
            return -1;
        }
        if (*p != '{') {
            sb_putc(out, *p++);
            continue;
        }
        const char *close = strchr(p, '}');
        if (!close || close == p + 1) {
            err_set(err, "unterminated or empty placeholder in \"%s\"", arg);
            return -1;
        }
        char *ph = xstrndup(p + 1, (size_t)(close - p - 1));
        int rc = resolve(env, ph, out, err);
        free(ph);
        if (rc)
            return -1;
        p = close + 1;
    }
    return 0;
}

static void push(char ***argv, size_t *argc, size_t *cap, char *s)
{
    if (*argc + 2 > *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *argv = xrealloc(*argv, *cap * sizeof **argv);
    }
    (*argv)[(*argc)++] = s;
    (*argv)[*argc] = NULL;
}

static bool is_splice(const char *arg)
{
    size_t n = strlen(arg);
    return n > 3 && arg[0] == '{' && arg[1] == '@' && arg[n - 1] == '}' && !memchr(arg + 1, '{', n - 2) &&
           !memchr(arg, '}', n - 1);
}

int template_expand(char *const *tmpl, size_t n, const template_env *env, char ***argv, size_t *argc,
                    tmgt_error *err)
{
    char **out = NULL;
    size_t count = 0, cap = 0;
    push(&out, &count, &cap, NULL);
    count = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_splice(tmpl[i])) {
            char *name = xstrndup(tmpl[i] + 2, strlen(tmpl[i]) - 3);
            const cJSON *v = lookup_var(env, name);
            if (v && !cJSON_IsArray(v) && !cJSON_IsString(v)) {
                err_set(err, "argv[%zu]: {@%s} must be a list of strings", i, name);
                free(name);
                template_free_argv(out);
                return -1;
            }
            if (cJSON_IsString(v))
                push(&out, &count, &cap, xstrdup(v->valuestring));
            for (const cJSON *it = cJSON_IsArray(v) ? v->child : NULL; it; it = it->next) {
                if (!cJSON_IsString(it)) {
                    err_set(err, "argv[%zu]: {@%s} must be a list of strings", i, name);
                    free(name);
                    template_free_argv(out);
                    return -1;
                }
                push(&out, &count, &cap, xstrdup(it->valuestring));
            }
            free(name); /* an undefined list splices to nothing: optional flags */
            continue;
        }
        strbuf sb;
        sb_init(&sb);
        tmgt_error inner = {{0}};
        if (expand_one(tmpl[i], env, &sb, &inner) != 0) {
            err_set(err, "argv[%zu]: %s", i, inner.msg);
            sb_free(&sb);
            template_free_argv(out);
            return -1;
        }
        push(&out, &count, &cap, sb_detach(&sb));
    }
    *argv = out;
    *argc = count;
    return 0;
}

void template_free_argv(char **argv)
{
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}

char **template_inputs(char *const *tmpl, size_t n, size_t *count)
{
    char **names = NULL;
    size_t cap = 0;
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        for (const char *p = strstr(tmpl[i], "{in:"); p; p = strstr(p + 1, "{in:")) {
            const char *close = strchr(p, '}');
            if (!close)
                break;
            char *name = xstrndup(p + 4, (size_t)(close - p - 4));
            bool seen = false;
            for (size_t j = 0; j < *count && !seen; j++)
                seen = !strcmp(names[j], name);
            if (seen) {
                free(name);
                continue;
            }
            if (*count + 1 >= cap) {
                cap = cap ? cap * 2 : 8;
                names = xrealloc(names, cap * sizeof *names);
            }
            names[(*count)++] = name;
            names[*count] = NULL;
        }
    }
    return names;
}

bool template_reads_oracle(char *const *tmpl, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(tmpl[i], "{oracle}"))
            return true;
    return false;
}
