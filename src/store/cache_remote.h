/* Puts a remote cache server (--remote-cache, TMGT_REMOTE_CACHE) behind a run's cache. */
#ifndef TMGT_CACHE_REMOTE_H
#define TMGT_CACHE_REMOTE_H

#include <stdbool.h>

#include "cache.h"

/* From now on the cache looks in its directory first, then on the server at `url` (settings:
 * remote_cache_env.h); what is published here is uploaded unless `upload` is false. -1 with a
 * message when the URL or a setting is unusable (the server itself is not asked yet). */
int cache_use_remote(cache *c, const char *url, bool upload, tmgt_error *err);

/* Whether a remote cache is behind the cache and still answering (not given up this run). */
bool cache_remote_usable(cache *c);

#endif
