/* The action key: SHA-256 over a canonical, length-prefixed record of everything that can
 * change an action's result (docs/DESIGN.md, "The cache"). */
#ifndef TMGT_ACTION_KEY_H
#define TMGT_ACTION_KEY_H

#include <cjson/cJSON.h>

#include "cache.h"
#include "graph.h"

#define ACTION_KEY_FORMAT "tmgt-action-key-3"

/* Needs every input's digest: sources are hashed through the stat cache, produced inputs
 * carry their producer's output digest. Fills a->key and returns the key's components (for
 * the record, and for --explain). Returns NULL with err set when an input cannot be read. */
cJSON *action_compute_key(action *a, cache *c, const char *salt, tmgt_error *err);
/* Says, in a user's words, why `now` differs from the components the last run recorded. */
char *action_explain_change(const cJSON *before, const cJSON *now);
/* Where the last key of the same invocation is remembered, for --explain. */
void action_identity_key(const action *a, digest *out);

#endif
