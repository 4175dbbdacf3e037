#include "env.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

extern char **environ;

static const char *const NAMES[ENV_COUNT] = {
#define TMGT_ENV_NAME(name) #name,
    TMGT_ENV_VARS(TMGT_ENV_NAME)
#undef TMGT_ENV_NAME
};

const char *env_name(env_var v)
{
    return NAMES[v];
}

const char *env_get(env_var v)
{
    return getenv(NAMES[v]);
}

static bool run_depends_on(const char *entry)
{
    if (!strncmp(entry, "TMGT_", 5) || !strncmp(entry, "HF_", 3))
        return true;
    size_t len = strcspn(entry, "=");
    for (size_t i = 0; i < ENV_COUNT; i++)
        if (strlen(NAMES[i]) == len && !strncmp(entry, NAMES[i], len))
            return true;
    return false;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

const char **env_run_entries(size_t *n)
{
    size_t total = 0;
    for (char **e = environ; e && *e; e++)
        total++;
    const char **entries = xcalloc(total + 1, sizeof *entries);
    size_t k = 0;
    for (char **e = environ; e && *e; e++)
        if (run_depends_on(*e))
            entries[k++] = *e;
    qsort(entries, k, sizeof *entries, cmp_str);
    *n = k;
    return entries;
}

bool env_withheld(const char *entry)
{
    static const env_var withheld[] = {ENV_TMGT_REMOTE_CACHE_HEADER};
    for (size_t i = 0; i < sizeof withheld / sizeof *withheld; i++) {
        size_t n = strlen(NAMES[withheld[i]]);
        if (!strncmp(entry, NAMES[withheld[i]], n) && entry[n] == '=')
            return true;
    }
    return false;
}

char **env_for_children(char **env)
{
    size_t n = 0;
    while (env[n])
        n++;
    char **out = xcalloc(n + 1, sizeof *out);
    for (size_t i = 0, k = 0; i < n; i++)
        if (!env_withheld(env[i]))
            out[k++] = env[i];
    return out;
}
