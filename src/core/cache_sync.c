#include "cache_sync.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void sync_cache(void *arg)
{
    cache_sync *cs = arg;
    cs->rc = cache_flush(cs->c);
    cs->err = errno;
}

void cache_sync_start(cache_sync *cs, cache *c)
{
    *cs = (cache_sync){.c = c};
    cs->started = uv_thread_create(&cs->thread, sync_cache, cs) == 0;
    if (!cs->started)
        sync_cache(cs);
}

void cache_sync_join(cache_sync *cs)
{
    if (cs->started)
        uv_thread_join(&cs->thread);
    cs->started = false;
    if (cs->rc != 0)
        fprintf(stderr, "tmgt: cannot sync the cache to disk: %s\n", strerror(cs->err));
}
