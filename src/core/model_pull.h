/* Pulling the Hub repositories that the selected models come from (hf:// sources), with the
 * one-line summary `run` and `pull` print. */
#ifndef TMGT_MODEL_PULL_H
#define TMGT_MODEL_PULL_H

#include <stdbool.h>
#include <stdio.h>

#include "cache.h"
#include "pipeline.h"
#include "plan.h"

/* The hf:// sources of the selected models, each once, into *uris (malloc'd; the strings are
 * the pipeline's); local sources need no pull. Returns the count. */
size_t selected_sources(const pipeline *pl, const selection *sel, char ***uris);
/* Pulls `uris` into the Hub cache (and `c`), the summary on `out` unless quiet: EXIT_OK,
 * EXIT_ENV when a repository failed, EXIT_INTERRUPTED after Ctrl-C. */
int pull_sources(char *const *uris, size_t n, cache *c, bool quiet, FILE *out);
/* Both: the sources of the selected models, pulled. */
int pull_selected_models(const pipeline *pl, const selection *sel, cache *c, bool quiet, FILE *out);

#endif
