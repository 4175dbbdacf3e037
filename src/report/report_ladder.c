#include "report_ladder.h"

#include <stdlib.h>
#include <string.h>

#include "report_common.h"
#include "util.h"

#define LADDER_SUITE "logit-parity"

static bool is_ladder_check(const cJSON *c, const char *model)
{
    const char *suite = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "suite"));
    const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "model"));
    return suite && m && strcmp(suite, LADDER_SUITE) == 0 && (!model || strcmp(m, model) == 0);
}

static const char *field(const cJSON *o, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
    return s ? s : "";
}

/* The index of `s` in `list`, appended when absent (the list has room for every check). */
static size_t add_unique(const char **list, size_t *n, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(list[i], s) == 0)
            return i;
    list[*n] = s;
    return (*n)++;
}

static const char **room_for_every_check(const cJSON *checks)
{
    return xcalloc((size_t)cJSON_GetArraySize(checks) + 1, sizeof(const char *));
}

static void prompt_words(FILE *out, const cJSON *div)
{
    const char *verdict = field(cJSON_GetObjectItemCaseSensitive(div, "prompt"), "verdict");
    if (strcmp(verdict, "templated") == 0)
        fputs("void: chat template", out);
    else if (strcmp(verdict, "extra-bos") == 0)
        fputs("void: extra BOS", out);
    else
        fprintf(out, "void: prompt %s", *verdict ? verdict : "differs");
}

static void cell(FILE *out, const cJSON *check)
{
    const char *status = field(check, "status");
    const cJSON *div = cJSON_GetObjectItemCaseSensitive(check, "divergence");
    const char *cls = field(div, "class");
    const cJSON *index = cJSON_GetObjectItemCaseSensitive(div, "index");
    const cJSON *margin = cJSON_GetObjectItemCaseSensitive(div, "margin_nats");
    if (strcmp(status, "SKIP") == 0)
        fputs("skip", out);
    else if (!cJSON_IsObject(div))
        fputs(strcmp(status, "PASS") == 0 ? "agrees" : "fail", out);
    else if (strcmp(cls, "prompt-mismatch") == 0)
        prompt_words(out, div);
    else if (strcmp(cls, "engine-error") == 0)
        fputs(cJSON_IsNumber(index) ? "engine error" : "engine error, tokens agree", out);
    else if (!cJSON_IsNumber(index))
        fputs(strcmp(status, "PASS") == 0 ? "agrees" : "fail", out);
    else if (strcmp(cls, "near-tie") == 0)
        fprintf(out, "near-tie @%d (%.2f)", index->valueint,
                cJSON_IsNumber(margin) ? margin->valuedouble : 0);
    else if (strcmp(cls, "confident") == 0 && cJSON_IsNumber(margin))
        fprintf(out, "**confident** @%d (%.2f)", index->valueint, margin->valuedouble);
    else if (strcmp(cls, "confident") == 0)
        fprintf(out, "**confident** @%d (not in top 20)", index->valueint);
    else
        fprintf(out, "unmeasured @%d", index->valueint);
}

static void model_table(FILE *out, const cJSON *checks, const char *model)
{
    const char **prompts = room_for_every_check(checks), **variants = room_for_every_check(checks);
    size_t n_prompts = 0, n_variants = 0;
    const cJSON *c;
    cJSON_ArrayForEach (c, checks) {
        if (!is_ladder_check(c, model))
            continue;
        add_unique(prompts, &n_prompts, field(c, "prompt"));
        add_unique(variants, &n_variants, field(c, "variant"));
    }
    const cJSON **cells = xcalloc(n_variants * n_prompts + 1, sizeof *cells);
    cJSON_ArrayForEach (c, checks) {
        if (is_ladder_check(c, model))
            cells[add_unique(variants, &n_variants, field(c, "variant")) * n_prompts +
                  add_unique(prompts, &n_prompts, field(c, "prompt"))] = c;
    }
    fputs("\n", out);
    rc_md_code(out, model);
    fputs("\n\n| artefact |", out);
    for (size_t p = 0; p < n_prompts; p++) {
        fputc(' ', out);
        escape_puts(out, prompts[p], ESC_MD);
        fputs(" |", out);
    }
    fputs("\n|---|", out);
    for (size_t p = 0; p < n_prompts; p++)
        fputs("---|", out);
    fputc('\n', out);
    for (size_t v = 0; v < n_variants; v++) {
        fputs("| ", out);
        escape_puts(out, variants[v], ESC_MD);
        fputs(" |", out);
        for (size_t p = 0; p < n_prompts; p++) {
            const cJSON *check = cells[v * n_prompts + p];
            fputc(' ', out);
            if (check)
                cell(out, check);
            else
                fputs("·", out);
            fputs(" |", out);
        }
        fputc('\n', out);
    }
    free(cells);
    free(prompts);
    free(variants);
}

void rc_ladder_markdown(FILE *out, const cJSON *results)
{
    const cJSON *checks = json_array(results, "checks");
    const char **models = room_for_every_check(checks);
    size_t n_models = 0;
    const cJSON *c;
    /* A model whose oracle has no margins has only skips here: the reports say that once. */
    cJSON_ArrayForEach (c, checks) {
        if (is_ladder_check(c, NULL) && strcmp(field(c, "status"), "SKIP") != 0)
            add_unique(models, &n_models, field(c, "model"));
    }
    if (!n_models) {
        free(models);
        return;
    }
    fputs(
        "\n### Precision ladder (logit-parity)\n\nEach artefact's first divergence from the oracle: "
        "`near-tie @i (m)` within the artefact's bound (m nats below the oracle's token), "
        "`confident` beyond it, `void` where the engine read another prompt; apr's runs by "
        "artefact, llama.cpp's as `<artefact>@llama.cpp`.\n",
        out);
    for (size_t m = 0; m < n_models; m++)
        model_table(out, checks, models[m]);
    free(models);
}
