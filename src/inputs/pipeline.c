#include "pipeline.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deps.h"
#include "fs.h"

/* Parsing state: the file name and a field path, so every error says where it is. */
typedef struct {
    const char *file;
    tmgt_error *err;
    bool failed;
} parse_ctx;

static void fail(parse_ctx *pc, const char *field, const char *fmt, const char *arg)
{
    if (pc->failed)
        return;
    strbuf msg;
    sb_init(&msg);
    sb_printf(&msg, fmt, arg ? arg : "");
    err_set(pc->err, "%s: %s: %s", pc->file, field, msg.buf);
    sb_free(&msg);
    pc->failed = true;
}

static const cJSON *want(parse_ctx *pc, const cJSON *obj, const char *key, const char *field, int type,
                         bool required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    char *f = xasprintf("%s%s%s", field, *field ? "." : "", key);
    if (!v) {
        if (required)
            fail(pc, f, "required field is missing%s", NULL);
    } else if (!(v->type & type)) {
        const char *what = type == cJSON_String   ? "a string"
                           : type == cJSON_Number ? "a number"
                           : type == cJSON_Array  ? "an array"
                           : type == cJSON_Object ? "an object"
                                                  : "of another type";
        fail(pc, f, "must be %s", what);
        v = NULL;
    }
    free(f);
    return v;
}

static char *want_str(parse_ctx *pc, const cJSON *obj, const char *key, const char *field, const char *dflt)
{
    const cJSON *v = want(pc, obj, key, field, cJSON_String, dflt == NULL);
    if (v)
        return xstrdup(v->valuestring);
    return dflt ? xstrdup(dflt) : NULL;
}

static char **want_str_array(parse_ctx *pc, const cJSON *arr, const char *field, size_t *n)
{
    *n = 0;
    if (!arr)
        return NULL;
    size_t count = (size_t)cJSON_GetArraySize(arr);
    char **out = xcalloc(count + 1, sizeof *out);
    size_t i = 0;
    for (const cJSON *it = arr->child; it; it = it->next, i++) {
        if (!cJSON_IsString(it)) {
            char *f = xasprintf("%s[%zu]", field, i);
            fail(pc, f, "must be a string%s", NULL);
            free(f);
            break;
        }
        out[(*n)++] = xstrdup(it->valuestring);
    }
    return out;
}

static void free_str_array(char **a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(a[i]);
    free(a);
}

static void parse_engine(parse_ctx *pc, const cJSON *node, pipeline_engine *e)
{
    char *field = xasprintf("engines.%s", node->string);
    e->name = xstrdup(node->string);
    if (!cJSON_IsObject(node)) {
        fail(pc, field, "must be an object%s", NULL);
        free(field);
        return;
    }
    e->binary = want_str(pc, node, "binary", field, NULL);
    char *f = xasprintf("%s.version", field);
    e->version_argv =
        want_str_array(pc, want(pc, node, "version", field, cJSON_Array, false), f, &e->n_version_argv);
    free(f);
    const cJSON *version_file = want(pc, node, "version_file", field, cJSON_String, false);
    e->version_file = version_file ? xstrdup(version_file->valuestring) : NULL;
    const cJSON *env = want(pc, node, "env", field, cJSON_Object, false);
    if (env) {
        size_t n = (size_t)cJSON_GetArraySize(env);
        e->env = xcalloc(n + 1, sizeof *e->env);
        for (const cJSON *it = env->child; it; it = it->next) {
            if (!cJSON_IsString(it)) {
                char *ef = xasprintf("%s.env.%s", field, it->string);
                fail(pc, ef, "must be a string%s", NULL);
                free(ef);
                break;
            }
            e->env[e->n_env++] = xasprintf("%s=%s", it->string, it->valuestring);
        }
    }
    f = xasprintf("%s.identity_files", field);
    e->identity_files = want_str_array(pc, want(pc, node, "identity_files", field, cJSON_Array, false), f,
                                       &e->n_identity_files);
    free(f);
    const cJSON *settings = want(pc, node, "settings", field, cJSON_Object, false);
    e->settings = settings ? cJSON_Duplicate(settings, 1) : cJSON_CreateObject();
    free(field);
}

static int want_int(parse_ctx *pc, const cJSON *obj, const char *key, const char *field)
{
    const cJSON *v = want(pc, obj, key, field, cJSON_Number, true);
    if (v && (v->valuedouble < 1 || v->valuedouble != floor(v->valuedouble))) {
        char *f = xasprintf("%s.%s", field, key);
        fail(pc, f, "must be a positive integer%s", NULL);
        free(f);
    }
    return v ? v->valueint : 0;
}

static void parse_resources(parse_ctx *pc, const cJSON *node, const char *step_field, pipeline_step *s)
{
    const cJSON *r = want(pc, node, "resources", step_field, cJSON_Object, false);
    if (!r)
        return;
    char *field = xasprintf("%s.resources", step_field);
    if (cJSON_GetObjectItemCaseSensitive(r, "partition"))
        s->resources.partition = want_str(pc, r, "partition", field, NULL);
    if (cJSON_GetObjectItemCaseSensitive(r, "gres"))
        s->resources.gres = want_str(pc, r, "gres", field, NULL);
    if (cJSON_GetObjectItemCaseSensitive(r, "cpus"))
        s->resources.cpus = want_int(pc, r, "cpus", field);
    free(field);
}

static void parse_step(parse_ctx *pc, const cJSON *node, pipeline_step *s)
{
    char *field = xasprintf("steps.%s", node->string);
    s->name = xstrdup(node->string);
    s->timeout_ms = 120000;
    if (!cJSON_IsObject(node)) {
        fail(pc, field, "must be an object%s", NULL);
        free(field);
        return;
    }
    s->engine = want_str(pc, node, "engine", field, NULL);
    char *f = xasprintf("%s.argv", field);
    s->argv = want_str_array(pc, want(pc, node, "argv", field, cJSON_Array, true), f, &s->argc);
    free(f);
    const cJSON *t = want(pc, node, "timeout_s", field, cJSON_Number, false);
    if (t) {
        if (!(t->valuedouble > 0 && t->valuedouble < 86400 * 7)) {
            f = xasprintf("%s.timeout_s", field);
            fail(pc, f, "must be a positive number of seconds%s", NULL);
            free(f);
        } else {
            s->timeout_ms = (int)(t->valuedouble * 1000.0);
        }
    }
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(node, "exclusive");
    s->exclusive = cJSON_IsTrue(x);
    f = xasprintf("%s.varies", field);
    s->varies = want_str_array(pc, want(pc, node, "varies", field, cJSON_Array, false), f, &s->n_varies);
    free(f);
    parse_resources(pc, node, field, s);
    free(field);
}

static void parse_artifact(parse_ctx *pc, const cJSON *node, pipeline_artifact *a)
{
    char *field = xasprintf("artifacts.%s", node->string);
    a->name = xstrdup(node->string);
    if (strchr(a->name, '/') || a->name[0] == '.' || !a->name[0])
        fail(pc, field, "an artefact name must be a plain file name%s", NULL);
    if (!cJSON_IsObject(node)) {
        fail(pc, field, "must be an object%s", NULL);
        free(field);
        return;
    }
    a->step = want_str(pc, node, "step", field, NULL);
    const cJSON *inputs = want(pc, node, "inputs", field, cJSON_Object, false);
    size_t n = inputs ? (size_t)cJSON_GetArraySize(inputs) : 0;
    a->in_names = xcalloc(n + 1, sizeof *a->in_names);
    a->in_artifacts = xcalloc(n + 1, sizeof *a->in_artifacts);
    for (const cJSON *it = inputs ? inputs->child : NULL; it; it = it->next) {
        if (!cJSON_IsString(it)) {
            char *f = xasprintf("%s.inputs.%s", field, it->string);
            fail(pc, f, "must be an artefact name or \"@source\"%s", NULL);
            free(f);
            break;
        }
        a->in_names[a->n_in] = xstrdup(it->string);
        a->in_artifacts[a->n_in++] = xstrdup(it->valuestring);
    }
    const cJSON *vars = want(pc, node, "vars", field, cJSON_Object, false);
    a->vars = vars ? cJSON_Duplicate(vars, 1) : cJSON_CreateObject();
    a->run_step = want_str(pc, node, "run_step", field, "run");
    a->near_tie_nats = -1;
    const cJSON *bound = want(pc, node, "near_tie_nats", field, cJSON_Number, false);
    if (bound && !(bound->valuedouble >= 0 && bound->valuedouble < 1000)) {
        char *f = xasprintf("%s.near_tie_nats", field);
        fail(pc, f, "must be a number of nats from 0 to 1000%s", NULL);
        free(f);
    } else if (bound) {
        a->near_tie_nats = bound->valuedouble;
    }
    free(field);
}

static void parse_model(parse_ctx *pc, const cJSON *node, size_t index, pipeline_model *m)
{
    char *field = xasprintf("models[%zu]", index);
    if (!cJSON_IsObject(node)) {
        fail(pc, field, "must be an object%s", NULL);
        free(field);
        return;
    }
    m->slug = want_str(pc, node, "slug", field, NULL);
    m->source = want_str(pc, node, "source", field, NULL);
    if (m->slug && (strchr(m->slug, '/') || m->slug[0] == '.' || !m->slug[0]))
        fail(pc, field, "slug must be a plain name (no '/', not starting with '.')%s", NULL);
    char *dflt = m->slug ? xasprintf("oracle/%s", m->slug) : NULL;
    m->oracle_dir = want_str(pc, node, "oracle", field, dflt ? dflt : "oracle");
    free(dflt);
    char *mf = xasprintf("%s.metadata", field);
    const cJSON *meta = want(pc, node, "metadata", field, cJSON_Object, true);
    if (meta) {
        m->meta.architecture = want_str(pc, meta, "architecture", mf, NULL);
        m->meta.layers = want_int(pc, meta, "layers", mf);
        m->meta.heads = want_int(pc, meta, "heads", mf);
        m->meta.kv_heads = want_int(pc, meta, "kv_heads", mf);
        m->meta.hidden = want_int(pc, meta, "hidden", mf);
        m->meta.vocab = want_int(pc, meta, "vocab", mf);
        const cJSON *c = want(pc, meta, "ppl_ceiling", mf, cJSON_Number, true);
        m->meta.ppl_ceiling = c ? c->valuedouble : 0;
    }
    free(mf);
    const cJSON *vars = want(pc, node, "vars", field, cJSON_Object, false);
    m->vars = vars ? cJSON_Duplicate(vars, 1) : cJSON_CreateObject();
    free(field);
}

static void parse_prompts(parse_ctx *pc, pipeline *p, const cJSON *node)
{
    const cJSON *dir = want(pc, node, "dir", "prompts", cJSON_String, true);
    const cJSON *names = want(pc, node, "names", "prompts", cJSON_Array, true);
    if (!dir || !names)
        return;
    size_t n = (size_t)cJSON_GetArraySize(names);
    p->prompts = xcalloc(n + 1, sizeof *p->prompts);
    size_t i = 0;
    for (const cJSON *it = names->child; it && !pc->failed; it = it->next, i++) {
        char *f = xasprintf("prompts.names[%zu]", i);
        if (!cJSON_IsString(it) || strchr(it->valuestring, '/')) {
            fail(pc, f, "must be a prompt file stem%s", NULL);
            free(f);
            break;
        }
        char *rel = xasprintf("%s/%s.txt", dir->valuestring, it->valuestring);
        char *path = pipeline_path(p, rel);
        char *text = NULL;
        size_t len = 0;
        tmgt_error rerr = {{0}};
        deps_note(path);
        if (read_file(path, &text, &len, &rerr) != 0) {
            fail(pc, f, "cannot read the prompt file: %s", rerr.msg);
        } else {
            /* The original harness strips prompt files. */
            char *s = text;
            while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
                s++;
            size_t l = strlen(s);
            while (l && (s[l - 1] == ' ' || s[l - 1] == '\n' || s[l - 1] == '\t' || s[l - 1] == '\r'))
                l--;
            p->prompts[p->n_prompts].key = xstrdup(it->valuestring);
            p->prompts[p->n_prompts++].text = xstrndup(s, l);
        }
        free(text);
        free(path);
        free(rel);
        free(f);
    }
}

#define PARSE_MAP(pc, root, key, arr, count, fn)                                                  \
    do {                                                                                          \
        const cJSON *obj_ = want(pc, root, key, "", cJSON_Object, true);                          \
        size_t n_ = obj_ ? (size_t)cJSON_GetArraySize(obj_) : 0;                                  \
        arr = xcalloc(n_ + 1, sizeof *arr);                                                       \
        for (const cJSON *it_ = obj_ ? obj_->child : NULL; it_ && !(pc)->failed; it_ = it_->next) \
            fn(pc, it_, &arr[count++]);                                                           \
    } while (0)

static void check_references(parse_ctx *pc, pipeline *p)
{
    for (size_t i = 0; i < p->n_steps && !pc->failed; i++) {
        if (!pipeline_find_engine(p, p->steps[i].engine)) {
            char *f = xasprintf("steps.%s.engine", p->steps[i].name);
            fail(pc, f, "unknown engine \"%s\"", p->steps[i].engine);
            free(f);
        }
    }
    for (size_t i = 0; i < p->n_artifacts && !pc->failed; i++) {
        const pipeline_artifact *a = &p->artifacts[i];
        char *f = xasprintf("artifacts.%s.step", a->name);
        if (!pipeline_find_step(p, a->step))
            fail(pc, f, "unknown step \"%s\"", a->step);
        free(f);
        f = xasprintf("artifacts.%s.run_step", a->name);
        if (!pc->failed && strcmp(a->run_step, "run") != 0 && !pipeline_find_step(p, a->run_step))
            fail(pc, f, "unknown step \"%s\"", a->run_step);
        free(f);
        for (size_t j = 0; j < a->n_in && !pc->failed; j++) {
            if (strcmp(a->in_artifacts[j], "@source") != 0 &&
                !pipeline_find_artifact(p, a->in_artifacts[j])) {
                f = xasprintf("artifacts.%s.inputs.%s", a->name, a->in_names[j]);
                fail(pc, f, "unknown artefact \"%s\"", a->in_artifacts[j]);
                free(f);
            }
        }
    }
    for (size_t i = 0; i < p->n_models && !pc->failed; i++)
        for (size_t j = 0; j < i; j++)
            if (p->models[i].slug && p->models[j].slug && !strcmp(p->models[i].slug, p->models[j].slug)) {
                char *f = xasprintf("models[%zu].slug", i);
                fail(pc, f, "duplicate slug \"%s\"", p->models[i].slug);
                free(f);
                break;
            }
}

/* A recipe that (indirectly) consumes itself would never become ready. */
static bool artifact_cycle(const pipeline *p, const pipeline_artifact *a, size_t depth)
{
    if (depth > p->n_artifacts)
        return true;
    for (size_t j = 0; j < a->n_in; j++) {
        const pipeline_artifact *in = pipeline_find_artifact(p, a->in_artifacts[j]);
        if (in && artifact_cycle(p, in, depth + 1))
            return true;
    }
    return false;
}

pipeline *pipeline_load(const char *path, tmgt_error *err)
{
    char *data = NULL;
    size_t len = 0;
    deps_note(path);
    if (read_file(path, &data, &len, err) != 0)
        return NULL;
    cJSON *root = cJSON_ParseWithLength(data, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= data && at <= data + len ? (size_t)(at - data) : 0;
        size_t line = 1;
        for (size_t i = 0; i < off; i++)
            line += data[i] == '\n';
        err_set(err, "%s: line %zu: invalid JSON", path, line);
        free(data);
        return NULL;
    }
    free(data);
    pipeline *p = xcalloc(1, sizeof *p);
    p->root = root;
    p->path = xstrdup(path);
    parse_ctx pc = {.file = path, .err = err};
    if (!cJSON_IsObject(root)) {
        fail(&pc, "(top level)", "must be an object%s", NULL);
    } else {
        const cJSON *fmt = want(&pc, root, "format", "", cJSON_Number, true);
        if (fmt && fmt->valueint != 1)
            fail(&pc, "format", "unsupported pipeline format (this tmgt reads format 1)%s", NULL);
        char *filedir = xstrdup(path);
        char *slash = strrchr(filedir, '/');
        if (slash)
            *slash = '\0';
        else
            strcpy(filedir, ".");
        char *base = want_str(&pc, root, "base", "", "..");
        /* Canonical, so engines never see "a/../b" (apr refuses such paths as traversal). */
        char *joined = path_join(filedir, base);
        char *canonical = realpath(joined, NULL);
        p->dir = canonical ? canonical : xstrdup(joined);
        free(joined);
        free(base);
        free(filedir);
        p->models_dir = want_str(&pc, root, "models_dir", "", "models");
        PARSE_MAP(&pc, root, "engines", p->engines, p->n_engines, parse_engine);
        PARSE_MAP(&pc, root, "steps", p->steps, p->n_steps, parse_step);
        PARSE_MAP(&pc, root, "artifacts", p->artifacts, p->n_artifacts, parse_artifact);
        const cJSON *models = want(&pc, root, "models", "", cJSON_Array, true);
        if (models) {
            size_t n = (size_t)cJSON_GetArraySize(models);
            p->models = xcalloc(n + 1, sizeof *p->models);
            for (const cJSON *it = models->child; it && !pc.failed; it = it->next, p->n_models++)
                parse_model(&pc, it, p->n_models, &p->models[p->n_models]);
        }
        const cJSON *prompts = want(&pc, root, "prompts", "", cJSON_Object, true);
        if (prompts && !pc.failed)
            parse_prompts(&pc, p, prompts);
        p->suites =
            want_str_array(&pc, want(&pc, root, "suites", "", cJSON_Array, false), "suites", &p->n_suites);
        if (!pc.failed)
            check_references(&pc, p);
        for (size_t i = 0; i < p->n_artifacts && !pc.failed; i++)
            if (artifact_cycle(p, &p->artifacts[i], 0)) {
                char *f = xasprintf("artifacts.%s", p->artifacts[i].name);
                fail(&pc, f, "recipe depends on itself%s", NULL);
                free(f);
            }
    }
    if (pc.failed) {
        pipeline_free(p);
        return NULL;
    }
    return p;
}

void pipeline_free(pipeline *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_engines; i++) {
        pipeline_engine *e = &p->engines[i];
        free(e->name);
        free(e->binary);
        free_str_array(e->version_argv, e->n_version_argv);
        free(e->version_file);
        free_str_array(e->env, e->n_env);
        free_str_array(e->identity_files, e->n_identity_files);
        cJSON_Delete(e->settings);
    }
    free(p->engines);
    for (size_t i = 0; i < p->n_steps; i++) {
        free(p->steps[i].name);
        free(p->steps[i].engine);
        free(p->steps[i].resources.partition);
        free(p->steps[i].resources.gres);
        free_str_array(p->steps[i].argv, p->steps[i].argc);
        free_str_array(p->steps[i].varies, p->steps[i].n_varies);
    }
    free(p->steps);
    for (size_t i = 0; i < p->n_artifacts; i++) {
        pipeline_artifact *a = &p->artifacts[i];
        free(a->name);
        free(a->step);
        free(a->run_step);
        free_str_array(a->in_names, a->n_in);
        free_str_array(a->in_artifacts, a->n_in);
        cJSON_Delete(a->vars);
    }
    free(p->artifacts);
    for (size_t i = 0; i < p->n_models; i++) {
        pipeline_model *m = &p->models[i];
        free(m->slug);
        free(m->source);
        free(m->oracle_dir);
        free(m->meta.architecture);
        cJSON_Delete(m->vars);
    }
    free(p->models);
    for (size_t i = 0; i < p->n_prompts; i++) {
        free(p->prompts[i].key);
        free(p->prompts[i].text);
    }
    free(p->prompts);
    free_str_array(p->suites, p->n_suites);
    cJSON_Delete(p->root);
    free(p->path);
    free(p->dir);
    free(p->models_dir);
    free(p);
}

#define FIND_BY(field, arr, count, key)                       \
    for (size_t i_ = 0; key && i_ < (count); i_++)            \
        if ((arr)[i_].field && !strcmp((arr)[i_].field, key)) \
            return &(arr)[i_];                                \
    return NULL

const pipeline_engine *pipeline_find_engine(const pipeline *p, const char *name)
{
    FIND_BY(name, p->engines, p->n_engines, name);
}

const pipeline_step *pipeline_find_step(const pipeline *p, const char *name)
{
    FIND_BY(name, p->steps, p->n_steps, name);
}

const pipeline_artifact *pipeline_find_artifact(const pipeline *p, const char *name)
{
    FIND_BY(name, p->artifacts, p->n_artifacts, name);
}

const pipeline_model *pipeline_find_model(const pipeline *p, const char *slug)
{
    FIND_BY(slug, p->models, p->n_models, slug);
}

char *pipeline_path(const pipeline *p, const char *rel)
{
    return path_join(p->dir, rel);
}
