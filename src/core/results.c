#include "results.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "json_stream.h"

static cJSON *string_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* The comparison's own divergence: token ids, or code points of a text. */
static cJSON *compared_json(const divergence *dv)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "index", (double)dv->index);
    /* Text divergences have no token ids (the evaluator marks them -1). */
    if (dv->expected >= 0)
        cJSON_AddNumberToObject(d, "expected", (double)dv->expected);
    if (dv->got >= 0)
        cJSON_AddNumberToObject(d, "got", (double)dv->got);
    cJSON_AddItemToObject(d, "expected_text", string_or_null(dv->expected_text));
    cJSON_AddItemToObject(d, "got_text", string_or_null(dv->got_text));
    cJSON_AddNumberToObject(d, "mismatches", (double)dv->mismatches);
    if (dv->text)
        cJSON_AddBoolToObject(d, "whitespace_only", dv->whitespace_only);
    return d;
}

/* Where the run's tokens leave the oracle's (the evaluator's divergence_to_json, with the tokens'
 * texts and the sentence), when it recorded one and there is something to say; a text check's divergence in
 * code points goes beside it as "text". Without a token verdict, the comparison's own. */
static cJSON *divergence_json(const check_result *r)
{
    const token_verdict *tv = r->tv;
    if (!tv || !tv->json)
        return r->div.present ? compared_json(&r->div) : NULL;
    cJSON *d = cJSON_Duplicate(tv->json, true);
    cJSON_AddItemToObject(d, "expected_text", string_or_null(tv->expected_text));
    cJSON_AddItemToObject(d, "got_text", string_or_null(tv->got_text));
    cJSON_AddItemToObject(d, "sentence", string_or_null(tv->sentence));
    if (r->div.present && r->div.text)
        cJSON_AddItemToObject(d, "text", compared_json(&r->div));
    return d;
}

static cJSON *check_json(evaluated_check *ec)
{
    const check_spec *s = ec->s;
    check_result *r = &ec->r;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", s->name);
    cJSON_AddStringToObject(j, "suite", s->suite);
    cJSON_AddStringToObject(j, "model", s->model ? s->model : "global");
    cJSON_AddItemToObject(j, "variant", string_or_null(s->variant));
    cJSON_AddItemToObject(j, "prompt", string_or_null(s->prompt));
    cJSON_AddStringToObject(j, "status", check_status_name(r->status));
    cJSON_AddStringToObject(j, "detail", r->detail ? r->detail : "");
    if (r->details)
        cJSON_AddStringToObject(j, "details", r->details);
    cJSON *div = divergence_json(r);
    if (div)
        cJSON_AddItemToObject(j, "divergence", div);
    if (r->tv && r->tv->beside_json)
        cJSON_AddItemToObject(j, "beside", cJSON_Duplicate(r->tv->beside_json, true));
    /* Moved, not copied: on a large matrix the token sides are most of the memory. */
    if (r->expected)
        cJSON_AddItemToObject(j, "expected", r->expected);
    if (r->got)
        cJSON_AddItemToObject(j, "got", r->got);
    if (r->teacher_forced)
        cJSON_AddItemToObject(j, "teacher_forced", r->teacher_forced);
    r->expected = r->got = r->teacher_forced = NULL;
    cJSON *acts = cJSON_AddArrayToObject(j, "actions");
    for (size_t i = 0; i < ec->n_actions; i++)
        cJSON_AddItemToArray(acts, cJSON_CreateString(ec->actions[i]->label));
    char *repro = s->model && strcmp(s->model, "global") != 0
                      ? xasprintf("tmgt --model %s --check %s", s->model, s->suite)
                      : xasprintf("tmgt --check %s", s->suite);
    cJSON_AddStringToObject(j, "reproduce", repro);
    free(repro);
    return j;
}

static cJSON *action_json(const action *a)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", a->label);
    cJSON_AddItemToObject(j, "step", string_or_null(a->step ? a->step->name : NULL));
    cJSON_AddItemToObject(j, "model", string_or_null(a->model ? a->model->slug : NULL));
    cJSON_AddItemToObject(j, "engine", string_or_null(a->step ? a->step->engine : NULL));
    cJSON *argv = cJSON_AddArrayToObject(j, "argv");
    for (char **p = a->argv; p && *p; p++)
        cJSON_AddItemToArray(argv, cJSON_CreateString(*p));
    cJSON_AddItemToObject(j, "key", a->have_key ? cJSON_CreateString(a->key.hex) : cJSON_CreateNull());
    cJSON_AddBoolToObject(j, "cached", a->cached);
    cJSON_AddStringToObject(j, "status", action_status_name(a->status));
    bool exited = a->status == ST_OK || a->status == ST_EXIT;
    cJSON_AddItemToObject(j, "exit", exited ? cJSON_CreateNumber(a->exit_code) : cJSON_CreateNull());
    cJSON_AddItemToObject(j, "signal",
                          a->status == ST_SIGNAL ? cJSON_CreateNumber(a->term_signal) : cJSON_CreateNull());
    cJSON_AddNumberToObject(j, "wall_ms", (double)a->wall_ms);
    if (a->have_streams) {
        cJSON_AddStringToObject(j, "stdout", a->stdout_d.hex);
        cJSON_AddStringToObject(j, "stderr", a->stderr_d.hex);
    }
    if (a->output && a->output->have_digest) {
        cJSON *o = cJSON_AddObjectToObject(j, "output");
        cJSON_AddStringToObject(o, "name", a->output->name);
        cJSON_AddStringToObject(o, "path", a->output->path);
        cJSON_AddStringToObject(o, "digest", a->output->d.hex);
    }
    if (a->reason)
        cJSON_AddStringToObject(j, "reason", a->reason);
    if (a->varied)
        cJSON_AddStringToObject(j, "varied", a->varied);
    return j;
}

static void add_engines(cJSON *doc, const plan *p)
{
    cJSON *arr = cJSON_AddArrayToObject(doc, "engines");
    for (size_t i = 0; i < p->pl->n_engines; i++) {
        const engine *e = &p->engines[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "name", e->def->name);
        cJSON_AddItemToObject(j, "path", string_or_null(e->path));
        cJSON_AddItemToObject(j, "digest",
                              e->path && !e->unavailable ? cJSON_CreateString(e->binary_digest.hex)
                                                         : cJSON_CreateNull());
        cJSON_AddStringToObject(j, "version", e->version ? e->version : ENGINE_VERSION_UNKNOWN);
        cJSON_AddBoolToObject(j, "available", e->unavailable == NULL);
        if (e->unavailable)
            cJSON_AddStringToObject(j, "unavailable", e->unavailable);
        cJSON_AddItemToObject(j, "settings", cJSON_Duplicate(e->def->settings, 1));
        cJSON_AddItemToArray(arr, j);
    }
}

/* Whether every prompt's oracle records prompt_tokens and top_logprobs (oracle_margins.h). */
static bool oracle_has_margins(const oracle_set *s)
{
    for (size_t i = 0; i < s->n_entries; i++)
        if (!s->entries[i].top || !s->entries[i].prompt_tokens)
            return false;
    return s->n_entries > 0;
}

static void add_models(cJSON *doc, const plan *p)
{
    cJSON *arr = cJSON_AddArrayToObject(doc, "models");
    for (size_t i = 0; i < p->pl->n_models; i++) {
        if (!p->oracles[i])
            continue;
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "slug", p->pl->models[i].slug);
        cJSON_AddStringToObject(j, "source", p->pl->models[i].source);
        cJSON *oracle = cJSON_Duplicate(p->oracles[i]->provenance, 1);
        cJSON_AddBoolToObject(oracle, "margins", oracle_has_margins(p->oracles[i]));
        cJSON_AddItemToObject(j, "oracle", oracle);
        cJSON_AddItemToArray(arr, j);
    }
}

cJSON *results_build(const plan *p, evaluation *ev, const exec_stats *st, const run_info *info)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddNumberToObject(doc, "format", RESULTS_FORMAT);
    cJSON *tool = cJSON_AddObjectToObject(doc, "tool");
    cJSON_AddStringToObject(tool, "name", "tmgt");
    cJSON_AddStringToObject(tool, "version", TMGT_VERSION);
    cJSON_AddStringToObject(doc, "command", info->command);
    cJSON *argv = cJSON_AddArrayToObject(doc, "argv");
    for (int i = 0; i < info->argc; i++)
        cJSON_AddItemToArray(argv, cJSON_CreateString(info->argv[i]));
    cJSON_AddStringToObject(doc, "pipeline", p->pl->path);
    cJSON_AddStringToObject(doc, "started_at", info->started_at);
    char *now = iso8601_now();
    cJSON_AddStringToObject(doc, "finished_at", now);
    free(now);
    cJSON_AddNumberToObject(doc, "wall_ms", (double)st->wall_ms);
    cJSON_AddNumberToObject(doc, "jobs", (double)info->jobs);
    cJSON_AddNumberToObject(doc, "repeat", (double)(info->repeat > 1 ? info->repeat : 1));
    cJSON_AddBoolToObject(doc, "interrupted", st->interrupted);
    add_engines(doc, p);
    add_models(doc, p);
    cJSON *suites = cJSON_AddArrayToObject(doc, "suites");
    cJSON_AddItemToArray(suites, cJSON_CreateString("convert"));
    for (size_t i = 0; i < p->n_suites; i++)
        cJSON_AddItemToArray(suites, cJSON_CreateString(p->suites[i]->key));
    size_t pass = 0, fail = 0, skip = 0, timeout = 0;
    cJSON *checks = cJSON_CreateArray();
    for (size_t i = 0; i < ev->count; i++) {
        check_status s = ev->items[i].r.status;
        pass += s == CHECK_PASS;
        fail += s == CHECK_FAIL;
        skip += s == CHECK_SKIP;
        timeout += s == CHECK_TIMEOUT;
        cJSON_AddItemToArray(checks, check_json(&ev->items[i]));
    }
    cJSON *counts = cJSON_AddObjectToObject(doc, "counts");
    cJSON_AddNumberToObject(counts, "pass", (double)pass);
    cJSON_AddNumberToObject(counts, "fail", (double)fail);
    cJSON_AddNumberToObject(counts, "timeout", (double)timeout);
    cJSON_AddNumberToObject(counts, "skip", (double)skip);
    cJSON_AddNumberToObject(counts, "total", (double)ev->count);
    cJSON_AddNumberToObject(doc, "actions_executed", (double)st->executed);
    cJSON_AddNumberToObject(doc, "actions_cached", (double)st->cached);
    cJSON_AddNumberToObject(doc, "actions_failed", (double)st->failed);
    cJSON_AddNumberToObject(doc, "actions_skipped", (double)(st->skipped + st->unavailable));
    cJSON_AddItemToObject(doc, "checks", checks);
    cJSON *acts = cJSON_AddArrayToObject(doc, "actions");
    for (size_t i = 0; i < p->g.n_actions; i++)
        cJSON_AddItemToArray(acts, action_json(p->g.actions[i]));
    return doc;
}

/* run-<time>.json, or run-<time>-<n>.json when runs finish within the same second: the name is
 * taken by creating it (O_EXCL), so no run's document replaces another's. */
static char *claim_name(const char *dir, const char *stamp, tmgt_error *err)
{
    for (unsigned n = 1; n < 1000; n++) {
        char *name = n == 1 ? xasprintf("run-%s.json", stamp) : xasprintf("run-%s-%u.json", stamp, n);
        char *path = path_join(dir, name);
        free(name);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            close(fd);
            return path;
        }
        int e = errno;
        if (e != EEXIST) {
            err_set(err, "cannot write %s: %s", path, strerror(e));
            free(path);
            return NULL;
        }
        free(path);
    }
    err_set(err, "%s: a thousand results documents of %s already", dir, stamp);
    return NULL;
}

static int print_document(FILE *out, void *doc)
{
    return json_stream_print(doc, out);
}

int results_write(const cJSON *doc, const char *dir, char **written, tmgt_error *err)
{
    return results_write_with(print_document, (void *)doc, dir, written, err);
}

int results_write_with(int (*fill)(FILE *out, void *ctx), void *ctx, const char *dir, char **written,
                       tmgt_error *err)
{
    if (written)
        *written = NULL;
    if (mkdir_p(dir, 0755, err) != 0)
        return -1;
    char *stamp = iso8601_now();
    for (char *c = stamp; *c; c++)
        if (*c == ':')
            *c = '-';
    char *copy = claim_name(dir, stamp, err);
    free(stamp);
    if (!copy)
        return -1;
    char *latest = path_join(dir, "latest.json");
    int rc = write_stream_atomic(copy, 0644, fill, ctx, err);
    if (rc != 0)
        unlink(copy); /* the empty file that claimed the name */
    /* latest.json is the run's own file under a second name, so the document is written (and
     * fsynced) once; where hard links are refused it is written again. */
    if (rc == 0 && link_replace(copy, latest) != 0)
        rc = write_stream_atomic(latest, 0644, fill, ctx, err);
    free(latest);
    if (rc == 0 && written)
        *written = copy;
    else
        free(copy);
    return rc;
}

/* Reports index into checks and actions without re-checking each field's type: a results file
 * edited by hand or written by another tool is refused here, with the entry that is wrong. */
static bool entries_are_valid(const char *path, const cJSON *doc, const char *list, bool required,
                              const char *const *string_fields, tmgt_error *err)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, list);
    if (!arr && !required)
        return true;
    if (!cJSON_IsArray(arr)) {
        err_set(err, "%s: results document has no \"%s\" list", path, list);
        return false;
    }
    int i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        if (!cJSON_IsObject(e)) {
            err_set(err, "%s: %s[%d]: must be an object", path, list, i);
            return false;
        }
        for (const char *const *f = string_fields; *f; f++)
            if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, *f))) {
                err_set(err, "%s: %s[%d].%s: must be a string", path, list, i, *f);
                return false;
            }
    }
    return true;
}

cJSON *results_load(const char *path, tmgt_error *err)
{
    char *data = NULL;
    size_t len = 0;
    if (read_file(path, &data, &len, err) != 0)
        return NULL;
    cJSON *doc = cJSON_ParseWithLength(data, len);
    free(data);
    if (!doc || !cJSON_IsObject(doc)) {
        err_set(err, "%s: not a results document (invalid JSON)", path);
        cJSON_Delete(doc);
        return NULL;
    }
    static const char *const check_fields[] = {"name", "status", NULL};
    static const char *const action_fields[] = {"id", "status", NULL};
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(doc, "format");
    bool ok = false;
    if (!cJSON_IsNumber(fmt))
        err_set(err, "%s: not a results document (no \"format\" number)", path);
    else if (fmt->valuedouble > RESULTS_FORMAT)
        err_set(err, "%s: results format %g is newer than this tmgt reads (%d); upgrade tmgt", path,
                fmt->valuedouble, RESULTS_FORMAT);
    else
        ok = entries_are_valid(path, doc, "checks", true, check_fields, err) &&
             entries_are_valid(path, doc, "actions", false, action_fields, err);
    if (!ok) {
        cJSON_Delete(doc);
        return NULL;
    }
    return doc;
}
