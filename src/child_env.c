#include "child_env.h"

#include <string.h>

#include "util.h"

static const char *const WITHHELD[] = {"TMGT_REMOTE_CACHE_HEADER"};

bool child_env_withheld(const char *entry)
{
    for (size_t i = 0; i < sizeof WITHHELD / sizeof *WITHHELD; i++) {
        size_t n = strlen(WITHHELD[i]);
        if (!strncmp(entry, WITHHELD[i], n) && entry[n] == '=')
            return true;
    }
    return false;
}

char **child_env(char **env)
{
    size_t n = 0;
    while (env[n])
        n++;
    char **out = xcalloc(n + 1, sizeof *out);
    for (size_t i = 0, k = 0; i < n; i++)
        if (!child_env_withheld(env[i]))
            out[k++] = env[i];
    return out;
}
