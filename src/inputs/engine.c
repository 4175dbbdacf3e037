#include "engine.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text.h"
#include "deps.h"
#include "env.h"
#include "fs.h"

/* Absolute but not symlink-resolved: a multi-call binary (busybox style) decides what it is
 * from argv[0], so the link name must survive. */
static char *absolute(const char *p)
{
    if (p[0] == '/')
        return xstrdup(p);
    char cwd[4096];
    return getcwd(cwd, sizeof cwd) ? path_join(cwd, p) : xstrdup(p);
}

static char *find_in_path(const char *name)
{
    if (strchr(name, '/')) {
        deps_note(name);
        return path_exists(name) ? absolute(name) : NULL;
    }
    const char *path = env_get(ENV_PATH);
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    char *copy = xstrdup(path);
    char *save = NULL, *found = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char *cand = path_join(*dir ? dir : ".", name);
        deps_note(cand);
        if (access(cand, X_OK) == 0 && !path_is_dir(cand))
            found = absolute(cand);
        free(cand);
    }
    free(copy);
    return found;
}

/* An engine that hangs on --version, or answers with a flood, must not hang tmgt. */
#define PROBE_TIMEOUT_MS 10000
#define PROBE_OUTPUT_CAP 65536

/* Starts the version command, both streams in the order written. */
static capture *probe_start(const char *path, const pipeline_engine *def)
{
    char **argv = xcalloc(def->n_version_argv + 2, sizeof *argv);
    argv[0] = (char *)path;
    for (size_t i = 0; i < def->n_version_argv; i++)
        argv[i + 1] = def->version_argv[i];
    capture_request req = {
        .argv = argv, .merge_stderr = true, .cap = PROBE_OUTPUT_CAP, .timeout_ms = PROBE_TIMEOUT_MS};
    capture *probe = capture_start(&req);
    free(argv);
    return probe;
}

/* Words a version command answers with when it did not print a version: llama-quantize and
 * convert_hf_to_gguf.py print their usage for --version, other tools an error. */
static bool says_no_version(const char *line)
{
    static const char *const words[] = {"usage", "error"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strncasecmp(line, words[i], strlen(words[i])) == 0)
            return true;
    return false;
}

/* The version an answer names: its first non-empty line as one line of text (ANSI colour
 * dropped, control characters as spaces, invalid bytes as U+FFFD), so the identity it enters is
 * the same whether it was just read or comes back from a cache record; ENGINE_VERSION_UNKNOWN
 * when the command failed, said nothing, or printed its usage or an error instead. */
static char *version_of(const char *text, size_t len, bool succeeded)
{
    const char *end = text + len;
    for (const char *line = text; succeeded && line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *stop = nl ? nl : end;
        char *one = text_one_line(line, (size_t)(stop - line), 200);
        size_t n;
        const char *v = text_strip(one, strlen(one), &n);
        char *version = !n ? NULL : says_no_version(v) ? xstrdup(ENGINE_VERSION_UNKNOWN) : xstrndup(v, n);
        free(one);
        if (version)
            return version;
        line = nl ? nl + 1 : end;
    }
    return xstrdup(ENGINE_VERSION_UNKNOWN);
}

/* The version the probe's answer names. */
static char *probe_finish(capture *probe)
{
    run_result *res = capture_wait(probe);
    bool succeeded = res->outcome == RUN_EXITED && res->exit_code == 0;
    char *version = version_of(res->out, res->out_len, succeeded);
    run_result_free(res);
    return version;
}

/* A tool that cannot name its own version (llama-quantize, convert_hf_to_gguf.py) may have it in
 * a file next to it, written by whatever built it (ci/install-llamacpp.sh). Read instead of asking
 * the tool, never cached, and noted as a dependency of the run, so a rebuild that rewrites it is
 * seen by the next run. False when the pipeline names none or it is not there. */
static bool read_version_file(engine *e)
{
    if (!e->def->version_file)
        return false;
    char *dir = xstrndup(e->path, (size_t)(strrchr(e->path, '/') - e->path));
    char *file = path_join(dir, e->def->version_file);
    char *data = NULL;
    size_t len = 0;
    deps_note(file);
    bool found = read_file(file, &data, &len, NULL) == 0;
    if (found)
        e->version = version_of(data, len, true);
    free(data);
    free(file);
    free(dir);
    return found;
}

/* The version text is cached per binary digest and name; when it is not, the probe starts now
 * and engine_resolve_finish collects it, so several engines' probes run at once. */
static void look_up_version(cache *c, engine *e)
{
    hasher *h = hasher_new();
    /* v2: the text as version_of reads it (a v1 record may hold usage text). */
    hasher_field_str(h, "kind", "engine-version-v2");
    hasher_field_str(h, "binary", e->binary_digest.hex);
    /* One binary may answer as several programs depending on its name (argv[0]). */
    const char *base = strrchr(e->path, '/');
    hasher_field_str(h, "name", base ? base + 1 : e->path);
    for (size_t i = 0; i < e->def->n_version_argv; i++)
        hasher_field_str(h, "arg", e->def->version_argv[i]);
    hasher_final(h, &e->version_key);
    cJSON *rec = cache_get_record(c, &e->version_key);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, "version");
    if (cJSON_IsString(v)) {
        e->version = xstrdup(v->valuestring);
        cache_note_use(c, &e->version_key);
    } else {
        e->probe = probe_start(e->path, e->def);
    }
    cJSON_Delete(rec);
}

bool engine_changed(const engine *e)
{
    return e->path && !dep_unchanged(&e->binary);
}

void engine_resolve(engine *e, const pipeline_engine *def, const char *override, cache *c)
{
    memset(e, 0, sizeof *e);
    e->def = def;
    const char *want = override ? override : def->binary;
    char *path = find_in_path(want);
    if (!path) {
        e->unavailable = strchr(want, '/') ? xasprintf("%s not found (%s)", def->name, want)
                                           : xasprintf("%s not found in PATH (%s)", def->name, want);
        e->version = xstrdup("unavailable");
        return;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || access(path, X_OK) != 0) {
        e->unavailable = xasprintf("%s at %s is not an executable file", def->name, path);
        e->version = xstrdup("unavailable");
        free(path);
        return;
    }
    e->path = path;
    e->binary.path = path;
    dep_from_stat(&e->binary, &st);
    tmgt_error err = {{0}};
    if (cache_digest_path(c, path, &e->binary_digest, &err) != 0) {
        e->unavailable = xasprintf("%s: %s", def->name, err.msg);
        e->version = xstrdup("unavailable");
        return;
    }
    if (!read_version_file(e))
        look_up_version(c, e);
}

void engine_resolve_finish(engine *e, cache *c)
{
    if (!e->path || e->unavailable)
        return;
    if (e->probe) {
        e->version = probe_finish(e->probe);
        e->probe = NULL;
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddStringToObject(rec, "version", e->version);
        cache_put_record(c, &e->version_key, rec, NULL);
        cJSON_Delete(rec);
    }
    hasher *h = hasher_new();
    hasher_field_str(h, "binary", e->binary_digest.hex);
    for (size_t i = 0; i < e->def->n_identity_files; i++) {
        digest d;
        tmgt_error err = {{0}};
        if (cache_digest_path(c, e->def->identity_files[i], &d, &err) != 0)
            memset(d.hex, '0', sizeof d.hex - 1);
        hasher_field_str(h, "file", e->def->identity_files[i]);
        hasher_field_str(h, "digest", d.hex);
    }
    hasher_field_str(h, "version", e->version);
    hasher_final(h, &e->identity);
}

void engine_free(engine *e)
{
    if (e->probe)
        free(probe_finish(e->probe));
    free(e->path);
    free(e->unavailable);
    free(e->version);
}
