#include "action_key.h"

#include <stdlib.h>
#include <string.h>

#include "json_read.h"
#include "child_env.h"
#include "template.h"

static int input_digest(artifact *t, cache *c, tmgt_error *err)
{
    if (t->have_digest)
        return 0;
    if (t->producer) {
        err_set(err, "%s has not been produced", t->id);
        return -1;
    }
    if (cache_digest_path(c, t->path, &t->d, err) != 0)
        return -1;
    t->have_digest = true;
    return 0;
}

static int cmp_env(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

cJSON *action_compute_key(action *a, cache *c, const char *salt, tmgt_error *err)
{
    for (size_t i = 0; i < a->n_inputs; i++)
        if (input_digest(a->inputs[i], c, err) != 0)
            return NULL;
    char **argv = NULL;
    size_t argc = 0;
    if (action_step_argv(a, a->output ? "{out}" : NULL, a->prompt_text, true, &argv, &argc, err) != 0)
        return NULL;

    cJSON *comp = cJSON_CreateObject();
    hasher *h = hasher_new();
    hasher_field_str(h, "format", ACTION_KEY_FORMAT);
    hasher_field_str(h, "step", a->step->name);
    cJSON_AddStringToObject(comp, "step", a->step->name);
    cJSON *jargv = cJSON_AddArrayToObject(comp, "argv");
    for (size_t i = 0; i < argc; i++) {
        hasher_field_str(h, "arg", argv[i]);
        cJSON_AddItemToArray(jargv, cJSON_CreateString(argv[i]));
    }
    template_free_argv(argv);
    /* Only the engine profile's own variables enter the key: the caller's whole environment
     * would make every shell a different cache. */
    char **envs = xcalloc(a->eng->def->n_env + 1, sizeof *envs);
    if (a->eng->def->n_env)
        memcpy(envs, a->eng->def->env, a->eng->def->n_env * sizeof *envs);
    qsort(envs, a->eng->def->n_env, sizeof *envs, cmp_env);
    cJSON *jenv = cJSON_AddArrayToObject(comp, "env");
    for (size_t i = 0; i < a->eng->def->n_env; i++) {
        hasher_field_str(h, "env", envs[i]);
        cJSON_AddItemToArray(jenv, cJSON_CreateString(envs[i]));
    }
    free(envs);
    cJSON *jin = cJSON_AddObjectToObject(comp, "inputs");
    for (size_t i = 0; i < a->n_inputs; i++) {
        hasher_field_str(h, "input", a->in_names[i]);
        hasher_field_str(h, "digest", a->inputs[i]->d.hex);
        cJSON_AddStringToObject(jin, a->in_names[i], a->inputs[i]->d.hex);
    }
    hasher_field_str(h, "engine", a->eng->identity.hex);
    cJSON_AddStringToObject(comp, "engine", a->eng->def->name);
    cJSON_AddStringToObject(comp, "engine_identity", a->eng->identity.hex);
    cJSON_AddStringToObject(comp, "engine_version", a->eng->version);
    hasher_field_str(h, "output", a->output ? a->output->name : "");
    hasher_field_str(h, "salt", salt ? salt : "");
    cJSON_AddStringToObject(comp, "salt", salt ? salt : "");
    hasher_final(h, &a->key);
    a->have_key = true;
    return comp;
}

void action_identity_key(const action *a, digest *out)
{
    hasher *h = hasher_new();
    hasher_field_str(h, "kind", "last-key-v1");
    hasher_field_str(h, "dedupe", a->dedupe);
    hasher_final(h, out);
}

static const char *str_of(const cJSON *o, const char *k)
{
    const char *s = json_str(o, k);
    return s ? s : "";
}

char *action_explain_change(const cJSON *before, const cJSON *now)
{
    if (!before)
        return xstrdup("never run with this cache");
    strbuf sb;
    sb_init(&sb);
    if (strcmp(str_of(before, "engine_identity"), str_of(now, "engine_identity")) != 0)
        sb_printf(&sb, "engine %s changed (%s → %s)", str_of(now, "engine"), str_of(before, "engine_version"),
                  str_of(now, "engine_version"));
    const cJSON *bin = cJSON_GetObjectItemCaseSensitive(before, "inputs");
    const cJSON *nin = cJSON_GetObjectItemCaseSensitive(now, "inputs");
    for (const cJSON *it = nin ? nin->child : NULL; it; it = it->next) {
        const char *old = str_of(bin, it->string);
        if (strcmp(old, it->valuestring) != 0)
            sb_printf(&sb, "%sinput %s changed (%.12s → %.12s)", sb.len ? "; " : "", it->string,
                      *old ? old : "none", it->valuestring);
    }
    if (!cJSON_Compare(cJSON_GetObjectItemCaseSensitive(before, "argv"),
                       cJSON_GetObjectItemCaseSensitive(now, "argv"), 1))
        sb_printf(&sb, "%scommand line changed", sb.len ? "; " : "");
    if (!cJSON_Compare(cJSON_GetObjectItemCaseSensitive(before, "env"),
                       cJSON_GetObjectItemCaseSensitive(now, "env"), 1))
        sb_printf(&sb, "%sengine environment changed", sb.len ? "; " : "");
    if (strcmp(str_of(before, "salt"), str_of(now, "salt")) != 0)
        sb_printf(&sb, "%sTMGT_CACHE_SALT changed", sb.len ? "; " : "");
    if (!sb.len)
        sb_puts(&sb, "no cached result for this key (removed, or produced elsewhere)");
    return sb_detach(&sb);
}
