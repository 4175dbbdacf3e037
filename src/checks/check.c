#include "check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

check_spec *check_list_add(check_list *l, const char *suite, const char *name, const char *model,
                           const char *variant, const char *prompt, double threshold)
{
    if (l->count == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->items = xrealloc(l->items, l->cap * sizeof *l->items);
    }
    check_spec *c = &l->items[l->count++];
    memset(c, 0, sizeof *c);
    c->suite = suite;
    c->name = xstrdup(name);
    c->model = xstrdup(model);
    c->variant = dup_or_null(variant);
    c->prompt = dup_or_null(prompt);
    c->threshold = threshold;
    return c;
}

/* Step, artefact and prompt strings are referenced, not copied: they are literals or pipeline
 * data, which outlive any check list made from them. */
void check_add_query(check_spec *c, const char *step, const char *artifact_a, const char *artifact_b,
                     const char *prompt)
{
    if (c->n_queries == MAX_CHECK_QUERIES) {
        fprintf(stderr, "tmgt: internal error: check %s has more than %d queries\n", c->name,
                MAX_CHECK_QUERIES);
        abort();
    }
    query_spec *q = &c->queries[c->n_queries++];
    memset(q, 0, sizeof *q);
    q->step = step;
    if (artifact_a)
        q->artifacts[q->n_artifacts++] = artifact_a;
    if (artifact_b)
        q->artifacts[q->n_artifacts++] = artifact_b;
    q->prompt = prompt;
}

void check_spec_free(check_spec *c)
{
    free(c->name);
    free(c->model);
    free(c->variant);
    free(c->prompt);
}

void check_list_free(check_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        check_spec_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

void check_result_set(check_result *r, check_status st, const char *fmt, ...)
{
    strbuf sb;
    va_list ap;
    sb_init(&sb);
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    free(r->detail);
    r->status = st;
    r->detail = sb_detach(&sb);
}

void check_result_add_clause(check_result *r, const char *clause)
{
    if (r->detail && *r->detail)
        check_result_set(r, r->status, "%s; %s", r->detail, clause);
    else
        check_result_set(r, r->status, "%s", clause);
}

void check_result_free(check_result *r)
{
    free(r->detail);
    free(r->details);
    free(r->div.expected_text);
    free(r->div.got_text);
    if (r->tv) {
        free(r->tv->sentence);
        free(r->tv->expected_text);
        free(r->tv->got_text);
        cJSON_Delete(r->tv->json);
        free(r->tv->beside);
        cJSON_Delete(r->tv->beside_json);
        free(r->tv);
    }
    cJSON_Delete(r->expected);
    cJSON_Delete(r->got);
    cJSON_Delete(r->teacher_forced);
    memset(r, 0, sizeof *r);
}
