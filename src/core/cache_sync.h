/* The run's cache entries made durable (cache_flush: one syncfs, or fsyncs) on a thread of its
 * own, while the session judges what is left and builds the results document; joined before the
 * document is written, so a results file never names an entry the disk may still lose. The main
 * thread meanwhile answers Ctrl-C and SIGTERM as it does outside an event loop (proc/interrupt.h):
 * the signal is remembered and the command ends with exit 130, a second one stops at once. */
#ifndef TMGT_CACHE_SYNC_H
#define TMGT_CACHE_SYNC_H

#include <stdbool.h>
#include <uv.h>

#include "cache.h"

typedef struct {
    uv_thread_t thread;
    cache *c;
    bool started; /* false: the sync ran inline, in cache_sync_start */
    int rc, err;
} cache_sync;

/* Nothing may use `c` until cache_sync_join. */
void cache_sync_start(cache_sync *cs, cache *c);
/* Waits for the sync; a failure is said on stderr (the results stand, the cache may not). */
void cache_sync_join(cache_sync *cs);

#endif
