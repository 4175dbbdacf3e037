#include "hub_cache.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

char *hub_cache_root(void)
{
    const char *v = getenv("HF_HUB_CACHE");
    if (v && *v)
        return xstrdup(v);
    v = getenv("HF_HOME");
    if (v && *v)
        return path_join(v, "hub");
    v = getenv("HOME");
    return xasprintf("%s/.cache/huggingface/hub", v && *v ? v : ".");
}

static bool safe_component(const char *s, size_t n, bool allow_slash)
{
    if (!n || s[0] == '.' || s[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || (allow_slash && c == '/')))
            return false;
    }
    return !strstr(s, "..");
}

int hub_parse_uri(const char *uri, char **org, char **name, char **rev)
{
    if (strncmp(uri, "hf://", 5) != 0)
        return -1;
    const char *s = uri + 5;
    const char *slash = strchr(s, '/');
    if (!slash)
        return -1;
    const char *at = strchr(slash, '@');
    size_t name_len = at ? (size_t)(at - slash - 1) : strlen(slash + 1);
    if (!safe_component(s, (size_t)(slash - s), false) || !safe_component(slash + 1, name_len, false))
        return -1;
    if (at && !safe_component(at + 1, strlen(at + 1), false))
        return -1;
    *org = xstrndup(s, (size_t)(slash - s));
    *name = xstrndup(slash + 1, name_len);
    *rev = xstrdup(at ? at + 1 : "main");
    return 0;
}

static bool is_commit_hash(const char *s)
{
    size_t n = strlen(s);
    if (n != 40)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

char *hub_cache_snapshot(const char *uri, char **why)
{
    char *org = NULL, *name = NULL, *rev = NULL;
    if (hub_parse_uri(uri, &org, &name, &rev) != 0) {
        *why = xasprintf("invalid model source \"%s\" (expected hf://ORG/NAME[@REV])", uri);
        return NULL;
    }
    char *root = hub_cache_root();
    char *repo = xasprintf("%s/models--%s--%s", root, org, name);
    char *commit = NULL;
    if (is_commit_hash(rev)) {
        commit = xstrdup(rev);
    } else {
        char *ref = xasprintf("%s/refs/%s", repo, rev);
        size_t len = 0;
        if (read_file(ref, &commit, &len, NULL) == 0) {
            commit[strcspn(commit, " \r\n")] = '\0';
            if (!is_commit_hash(commit)) {
                free(commit);
                commit = NULL;
            }
        }
        free(ref);
    }
    char *snap = commit ? xasprintf("%s/snapshots/%s", repo, commit) : NULL;
    if (!snap || !path_is_dir(snap)) {
        *why = xasprintf("%s is not in the Hub cache (%s); run `tmgt pull %s` with network access", uri, root, uri);
        free(snap);
        snap = NULL;
    }
    free(commit);
    free(repo);
    free(root);
    free(org);
    free(name);
    free(rev);
    return snap;
}
