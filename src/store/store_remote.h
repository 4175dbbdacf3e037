/* A local store backed by a remote cache: what the local store lacks is looked for on the
 * server, and what is published here is uploaded there.
 *
 * A blob comes from the server only through the local store: fetched, verified against its
 * digest (remote_cache), published locally, then served from there; so `has_blob` true means
 * the local store holds it, as for the local store alone, and `holds_blob` asks the local
 * store only: publishing bytes it holds, or verifying its records, downloads nothing. A record found on the
 * server is copied into the local store as it is read (it is trusted as far as the server is; the cache
 * checks the blobs it names). Drops, walks and flushes concern the local store only. */
#ifndef TMGT_STORE_REMOTE_H
#define TMGT_STORE_REMOTE_H

#include "remote_cache.h"
#include "store.h"

/* Owns `local` and `remote`. `tmp`: a directory on the local store's filesystem for fetches
 * in progress. `upload`: false for a read-only client. */
store *store_remote_open(store *local, remote_cache *remote, const char *tmp, bool upload);
/* The remote cache of a store made by store_remote_open, else NULL. */
remote_cache *store_remote_cache(store *s);

#endif
