/* Engine profiles: which binary plays an engine, and its identity (digest of the binary and
 * its declared companion files, plus its version text), which goes into every action key. */
#ifndef TMGT_ENGINE_H
#define TMGT_ENGINE_H

#include <stdbool.h>

#include "cache.h"
#include "capture.h"
#include "deps.h"
#include "pipeline.h"

/* An engine whose version cannot be read (no answer, a failed command, its usage text). */
#define ENGINE_VERSION_UNKNOWN "version unknown"

typedef struct {
    const pipeline_engine *def;
    char *path;        /* resolved absolute path; NULL when unavailable */
    char *unavailable; /* why it cannot be used, e.g. "apr not found in PATH" */
    digest binary_digest;
    digest identity;
    char *version; /* what the version file or command names, or ENGINE_VERSION_UNKNOWN */
    /* The binary's stat at resolve time (its path is `path`): a binary replaced mid-run (an
     * upgrade) must not have its results cached under the old identity. */
    dep binary;
    bool change_reported;
    capture *probe; /* the version command runs: engine_resolve_finish collects it */
    digest version_key;
} engine;

/* Resolves `override` (from --engine NAME=PATH) or the pipeline's binary through PATH. A
 * missing engine is not an error: it makes the checks that need it SKIP. The version text is
 * cached per binary digest, so a no-op run spawns nothing. */
void engine_resolve(engine *e, const pipeline_engine *def, const char *override, cache *c);
/* Completes engine_resolve: waits for the version probe it may have started (engines probe in
 * parallel: resolve them all, then finish them all) and fixes the identity. */
void engine_resolve_finish(engine *e, cache *c);
/* True when the binary at e->path is no longer the file that was resolved and hashed. */
bool engine_changed(const engine *e);
void engine_free(engine *e);

#endif
