#include "hub_cache.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deps.h"
#include "env.h"
#include "fs.h"
#include "util.h"

char *hub_cache_root(void)
{
    const char *v = env_get(ENV_HF_HUB_CACHE);
    if (v && *v)
        return xstrdup(v);
    v = env_get(ENV_HF_HOME);
    if (v && *v)
        return path_join(v, "hub");
    v = env_get(ENV_HOME);
    return xasprintf("%s/.cache/huggingface/hub", v && *v ? v : ".");
}

static bool safe_component(const char *s, size_t n, bool allow_slash)
{
    if (!n || s[0] == '.' || s[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.' || (allow_slash && c == '/')))
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

char *hub_repo_dir(const char *root, const char *org, const char *name)
{
    return xasprintf("%s/models--%s--%s", root, org, name);
}

bool hub_safe_repo_path(const char *name)
{
    if (!*name || name[0] == '/' || strlen(name) > 1024)
        return false;
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
            return false;
    for (const char *c = name; c;) {
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        c = slash ? slash + 1 : NULL;
    }
    return true;
}

bool hub_is_commit_hash(const char *s)
{
    size_t n = strlen(s);
    if (n != 40)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

char *hub_cached_commit(const char *repo_dir, const char *rev)
{
    if (hub_is_commit_hash(rev))
        return xstrdup(rev);
    char *ref = xasprintf("%s/refs/%s", repo_dir, rev);
    char *commit = NULL;
    size_t len = 0;
    deps_note(ref);
    if (read_file(ref, &commit, &len, NULL) == 0) {
        commit[strcspn(commit, " \r\n")] = '\0';
        if (!hub_is_commit_hash(commit)) {
            free(commit);
            commit = NULL;
        }
    }
    free(ref);
    return commit;
}

char *hub_snapshot_broken_link(const char *snapshot_dir)
{
    DIR *d = opendir(snapshot_dir);
    struct dirent *e;
    char *problem = NULL;
    while (d && !problem && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *p = path_join(snapshot_dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0)
            problem = xasprintf("HF_HUB_OFFLINE=1 and the Hub cache lacks the blob of %s", p);
        else if (S_ISDIR(st.st_mode))
            problem = hub_snapshot_broken_link(p);
        free(p);
    }
    if (d)
        closedir(d);
    return problem;
}

char *hub_cache_snapshot(const char *uri, tmgt_error *why)
{
    char *org = NULL, *name = NULL, *rev = NULL;
    if (hub_parse_uri(uri, &org, &name, &rev) != 0) {
        err_set(why, "invalid model source \"%s\" (expected hf://ORG/NAME[@REV])", uri);
        return NULL;
    }
    char *root = hub_cache_root();
    char *repo = hub_repo_dir(root, org, name);
    char *commit = hub_cached_commit(repo, rev);
    char *snap = commit ? xasprintf("%s/snapshots/%s", repo, commit) : NULL;
    if (snap)
        deps_note(snap);
    if (!snap || !path_is_dir(snap)) {
        err_set(why, "%s is not in the Hub cache (%s); run `tmgt pull %s` with network access", uri, root,
                uri);
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
