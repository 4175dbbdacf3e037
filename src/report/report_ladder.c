#include "report_ladder.h"

#include <stdlib.h>
#include <string.h>

#include "report_common.h"
#include "util.h"

#define LADDER_SUITE "logit-parity"

static const char *field(const cJSON *o, const char *key)
{
    const char *s = json_str(o, key);
    return s ? s : "";
}

static bool is_ladder_check(const cJSON *c, const char *model)
{
    return strcmp(field(c, "suite"), LADDER_SUITE) == 0 && json_str(c, "model") &&
           (!model || strcmp(field(c, "model"), model) == 0);
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
    const char *verdict = field(json_object(div, "prompt"), "verdict");
    if (strcmp(verdict, "templated") == 0)
        fputs("void: chat template", out);
    else if (strcmp(verdict, "extra-bos") == 0)
        fputs("void: extra BOS", out);
    else
        fprintf(out, "void: prompt %s", *verdict ? verdict : "differs");
}

/* A check's verdict as the reports read it (rc_check_read: an unknown status is a FAIL), and
 * where its run left the oracle's tokens. */
static void cell(FILE *out, const cJSON *item)
{
    rc_check c;
    rc_check_read(item, &c);
    const char *cls = field(c.divergence, "class");
    /* cJSON's valueint saturates, where casting an outlandish double would not be defined */
    const cJSON *ix = cJSON_GetObjectItemCaseSensitive(c.divergence, "index");
    bool at = cJSON_IsNumber(ix);
    int index = at ? ix->valueint : 0;
    double margin;
    bool measured = json_num(c.divergence, "margin_nats", &margin);
    const char *plain = c.status == CHECK_PASS ? "agrees" : rc_status_word(c.status);
    if (c.status == CHECK_SKIP || !c.divergence)
        fputs(plain, out);
    else if (strcmp(cls, "prompt-mismatch") == 0)
        prompt_words(out, c.divergence);
    else if (strcmp(cls, "engine-error") == 0)
        fputs(at ? "engine error" : "engine error, tokens agree", out);
    else if (!at)
        fputs(plain, out);
    else if (strcmp(cls, "near-tie") == 0)
        fprintf(out, "near-tie @%d (%.2f)", index, measured ? margin : 0);
    else if (strcmp(cls, "confident") == 0 && measured)
        fprintf(out, "**confident** @%d (%.2f)", index, margin);
    else if (strcmp(cls, "confident") == 0)
        fprintf(out, "**confident** @%d (not in top 20)", index);
    else
        fprintf(out, "unmeasured @%d", index);
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
