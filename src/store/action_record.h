/* The action record: what one execution of an action left in the cache, under its action key,
 * and the identity record that remembers an invocation's last key. This module alone knows
 * their fields; the executor, `plan`, and `cache verify|gc` ask it.
 *
 * An action record (format 1) is a JSON object:
 *   key            the action key it is stored under
 *   exit           the engine's exit status; a non-zero exit is a measurement, cached too
 *   stdout, stderr digest of the captured stream; `<stream>_size` its length, and
 *                  `<stream>_text` the text itself when it is short valid UTF-8 (no blob then)
 *   outputs        {name: {digest, size}}: the declared output, a blob
 *   wall_ms, created_at, components (the key's inputs, for `plan --explain`)
 * The record is the commit point: it is written after every blob it names.
 *
 * An identity record (under action_identity_key) is either a second name for the action record
 * (a hard link) or {key, components} of its own; either way its "key" names the last result. */
#ifndef TMGT_ACTION_RECORD_H
#define TMGT_ACTION_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "cache.h"

/* One execution's result, as the executor holds it. */
typedef struct {
    int exit_code;
    uint64_t wall_ms;
    char *out, *err; /* the captured streams (owned by whoever filled them) */
    size_t out_len, err_len;
    digest stdout_d, stderr_d;
    digest output_d;   /* the declared output, when the action has one */
    bool have_streams; /* the streams are in the cache (stdout_d, stderr_d name them) */
    uint64_t output_size;
} action_result;

/* The hit rule: the record holds an exit status and, under --rerun-failed, a zero one. */
bool record_answers(const cJSON *rec, bool rerun_failed);
/* The digest and size the record names for output `name`; false unless both are well-formed. */
bool record_output(const cJSON *rec, const char *name, digest *d, uint64_t *size);

/* Loads the result stored under `key` into *res: 1 when the record answers and everything it
 * names is there and intact (the streams read back, the output `output_name` materialized at
 * `output_path`); 0 when there is no record that answers; -1 when there is one but something
 * it names is missing or damaged: *err says what, and the record is dropped. */
int record_restore(cache *c, const digest *key, bool rerun_failed, const char *output_name,
                   const char *output_path, action_result *res, tmgt_error *err);
/* Brings the record under `key` and the blobs it names into this machine's store, from a remote
 * cache behind it where the store lacks them; true when a record was found. It touches only the
 * store (no run bookkeeping), so it may run on the thread pool, where a server's answers are
 * awaited off the event loop; it judges nothing: record_restore then checks what it brought as
 * it checks any local entry (each fetched blob was already hashed on arrival). */
bool record_fetch(cache *c, const digest *key);
/* Publishes res's streams and, when `staged` is not NULL, the output file there (moved into
 * the store and materialized at `output_path`, its digest and size set in res); returns the
 * record naming them, not yet stored, or NULL with *err when something could not be published. */
cJSON *record_publish(cache *c, const digest *key, action_result *res, const char *output_name,
                      const char *staged, const char *output_path, const cJSON *components, tmgt_error *err);

/* A captured stream of a record: `field` gets its digest and `field`_size; a short text stream
 * is kept in the record itself (`field`_text), saving the new file a blob costs, anything else
 * becomes a blob. */
int record_put_stream(cache *c, cJSON *record, const char *field, const char *data, size_t len, digest *out,
                      tmgt_error *err);
/* Reads it back, checked against its digest (a mismatch is reported like a corrupt blob). */
int record_get_stream(cache *c, const cJSON *record, const char *field, char **data, size_t *len,
                      tmgt_error *err);
/* Whether the record keeps that stream inline (so no blob is named by it). */
bool record_stream_is_inline(const cJSON *record, const char *field);
/* Calls fn with each blob the record depends on: its captured streams and its outputs. (Records
 * also hold other digests — input trees, engine identities, other keys — that are not blobs.) */
void record_each_blob(const cJSON *rec, void (*fn)(const char *hex, void *ctx), void *ctx);

/* Whether the record found under `name` is another key's record under a second name (an
 * identity record): its blobs are that record's to answer for. */
bool record_is_alias(const cJSON *rec, const digest *name);
/* Whether the identity record `id` already names `key` (a no-op rerun then writes nothing). */
bool record_identity_names(cache *c, const digest *id, const digest *key);
/* The components the identity record `id` remembers (caller deletes), or NULL. */
cJSON *record_identity_components(cache *c, const digest *id);
/* Points the identity record `id` at `key`: the stored result under a second name, or, where
 * there is none (`stored` false) or linking fails, a record of its own. Touches only files, so
 * it may run on the thread pool. */
void record_write_identity(cache *c, const digest *id, const digest *key, bool stored,
                           const cJSON *components);

#endif
