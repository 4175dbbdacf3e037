#include "hub_env.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fs.h"
#include "util.h"

bool hub_offline(void)
{
    const env_var vars[] = {ENV_HF_HUB_OFFLINE, ENV_TRANSFORMERS_OFFLINE};
    for (size_t i = 0; i < 2; i++) {
        const char *v = env_get(vars[i]);
        if (v && (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on")))
            return true;
    }
    return false;
}

long hub_env_seconds(env_var name, long fallback)
{
    const char *v = env_get(name);
    char *end = NULL;
    long s = v ? strtol(v, &end, 10) : 0;
    return v && *v && !*end && s > 0 ? s : fallback;
}

char *hub_token(void)
{
    const env_var vars[] = {ENV_HF_TOKEN, ENV_HUGGING_FACE_HUB_TOKEN};
    for (size_t i = 0; i < 2; i++) {
        const char *v = env_get(vars[i]);
        if (v && *v)
            return xstrdup(v);
    }
    const char *path = env_get(ENV_HF_TOKEN_PATH);
    const char *home = env_get(ENV_HF_HOME);
    const char *user = env_get(ENV_HOME);
    char *file = path && *path   ? xstrdup(path)
                 : home && *home ? path_join(home, "token")
                                 : xasprintf("%s/.cache/huggingface/token", user && *user ? user : ".");
    char *token = NULL;
    size_t len = 0;
    if (read_file(file, &token, &len, NULL) == 0) {
        token[strcspn(token, " \t\r\n")] = '\0';
        if (!*token) {
            free(token);
            token = NULL;
        }
    }
    free(file);
    return token;
}

char *hub_endpoint(void)
{
    const char *ep = env_get(ENV_HF_ENDPOINT);
    char *endpoint = xstrdup(ep && *ep ? ep : "https://huggingface.co");
    size_t n = strlen(endpoint);
    while (n > 0 && endpoint[n - 1] == '/')
        endpoint[--n] = '\0';
    return endpoint;
}
