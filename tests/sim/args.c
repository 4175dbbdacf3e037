/*
 * args.c - one small option parser for every personality.  It only reports
 * what is wrong; each personality formats the message its real engine would
 * print (clap for apr, llama.cpp's own, argparse for the converter).
 */
#include "sim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *args_display_name(const struct opt_spec *spec)
{
    return spec->lng ? spec->lng : spec->shrt;
}

static bool choice_ok(const char *choices, const char *value)
{
    size_t vlen = strlen(value);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == vlen && strncmp(p, value, len) == 0)
            return true;
        if (!bar)
            break;
        p = bar + 1;
    }
    return false;
}

static bool value_ok(const struct opt_spec *spec, const char *value)
{
    char *end = NULL;
    errno = 0;
    switch (spec->kind) {
    case OPT_INT:
        (void)strtoll(value, &end, 10);
        if (errno || end == value || *end)
            return false;
        break;
    case OPT_NUM:
        (void)strtod(value, &end);
        if (errno || end == value || *end)
            return false;
        break;
    default:
        break;
    }
    return !spec->choices || choice_ok(spec->choices, value);
}

static const struct opt_spec *find_exact(const struct opt_spec *const *tables, const char *tok)
{
    for (int t = 0; tables[t]; t++)
        for (const struct opt_spec *s = tables[t]; s->lng || s->shrt; s++)
            if ((s->lng && strcmp(s->lng, tok) == 0) || (s->shrt && strcmp(s->shrt, tok) == 0))
                return s;
    return NULL;
}

/* "--name=value" for long options, "-n32" for value-taking short options. */
static const struct opt_spec *find_attached(const struct opt_spec *const *tables, const char *tok,
                                            const char **value)
{
    for (int t = 0; tables[t]; t++) {
        for (const struct opt_spec *s = tables[t]; s->lng || s->shrt; s++) {
            if (s->lng) {
                size_t n = strlen(s->lng);
                if (strncmp(tok, s->lng, n) == 0 && tok[n] == '=') {
                    *value = tok + n + 1;
                    return s;
                }
            }
            if (s->shrt && s->kind != OPT_FLAG && strlen(s->shrt) == 2 && strncmp(tok, s->shrt, 2) == 0 &&
                tok[2] && tok[2] != '=') {
                *value = tok + 2;
                return s;
            }
        }
    }
    return NULL;
}

static enum args_status fail(struct args_error *err, enum args_status st, const char *tok,
                             const struct opt_spec *spec, const char *value)
{
    err->status = st;
    err->token = tok;
    err->spec = spec;
    err->value = value;
    return st;
}

enum args_status args_parse(int argc, char **argv, int first, const struct opt_spec *const *tables,
                            struct parsed_args *out, struct args_error *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    bool only_pos = false;
    for (int i = first; i < argc; i++) {
        const char *tok = argv[i];
        if (only_pos || tok[0] != '-' || strcmp(tok, "-") == 0) {
            if (out->npos == ARGS_MAX)
                return fail(err, ARGS_OVERFLOW, tok, NULL, NULL);
            out->pos[out->npos++] = tok;
            continue;
        }
        if (strcmp(tok, "--") == 0) {
            only_pos = true;
            continue;
        }
        const char *value = NULL;
        const struct opt_spec *spec = find_exact(tables, tok);
        if (spec && spec->kind != OPT_FLAG) {
            if (i + 1 >= argc)
                return fail(err, ARGS_NOVALUE, tok, spec, NULL);
            value = argv[++i];
        } else if (!spec) {
            spec = find_attached(tables, tok, &value);
            if (!spec || (spec->kind == OPT_FLAG && value))
                return fail(err, ARGS_UNKNOWN, tok, NULL, NULL);
        }
        if (value && !value_ok(spec, value))
            return fail(err, ARGS_BADVALUE, tok, spec, value);
        if (out->nopts == ARGS_MAX)
            return fail(err, ARGS_OVERFLOW, tok, NULL, NULL);
        out->opts[out->nopts].spec = spec;
        out->opts[out->nopts].value = value;
        out->nopts++;
    }
    return ARGS_OK;
}

static bool spec_named(const struct opt_spec *s, const char *name)
{
    return (s->lng && strcmp(s->lng, name) == 0) || (s->shrt && strcmp(s->shrt, name) == 0);
}

/* Last occurrence wins, as with clap's overriding options. */
const char *args_get(const struct parsed_args *pa, const char *name)
{
    for (int i = pa->nopts - 1; i >= 0; i--)
        if (spec_named(pa->opts[i].spec, name))
            return pa->opts[i].value;
    return NULL;
}

bool args_has(const struct parsed_args *pa, const char *name)
{
    for (int i = 0; i < pa->nopts; i++)
        if (spec_named(pa->opts[i].spec, name))
            return true;
    return false;
}
