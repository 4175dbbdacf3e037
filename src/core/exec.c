#include "exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "action_key.h"
#include "action_record.h"
#include "cache_remote.h"
#include "child_env.h"
#include "exit_code.h"
#include "format_header.h"
#include "fs.h"
#include "interrupt.h"
#include "json_stream.h"
#include "ready_queue.h"
#include "redact.h"
#include "run_compare.h"

typedef struct {
    action **items;
    size_t head, tail, cap;
} action_queue;

typedef struct running_action running_action;

/* --remote-cache: how many actions may be looked for on the server at once. A lookup waits on
 * the network, not on a core or a job slot, so lookups run ahead of the slots; they run on
 * libuv's thread pool (docs/DESIGN.md, "Remote lookups"). */
enum { LOOKUPS_MAX = 8 };

typedef struct {
    graph *g;
    cache *c;
    const exec_opts *o;
    exec_stats *st;
    uv_loop_t loop;
    runner *r;
    interrupt_watch signals;
    ready_queue ready;
    action_queue exclusive; /* run alone, in arrival order, once nothing else is ready */
    action_queue untold;    /* finished, not yet passed to o->finished */
    size_t running;
    bool exclusive_running;
    bool interrupted;
    size_t storing;    /* records being written on the thread pool */
    size_t looking_up; /* actions whose records are being fetched from the remote cache */
    /* looked up, missed, and waiting for a job slot, in the order they were taken from the
     * ready queue */
    running_action *waiting, *waiting_tail;
    size_t done, total;
} exec_state;

struct running_action {
    exec_state *s;
    action *a;
    running_action *next; /* in exec_state.waiting */
    char *staged;         /* where the engine writes the declared output */
    cJSON *components;
    bool identity_stale; /* the identity record names another key: point it at this one */
    /* --repeat */
    unsigned runs_done;
    run_result *first;  /* the first run's result, kept while the later ones run */
    char *first_staged; /* where the first run's declared output waits meanwhile; NULL: none */
};

static void pump(exec_state *s);
static void launch(exec_state *s, running_action *ra);

static unsigned runs_wanted(const exec_state *s)
{
    return s->o->repeat > 1 ? s->o->repeat : 1;
}

static void queue_push(action_queue *q, action *a)
{
    if (q->tail == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 64;
        q->items = xrealloc(q->items, q->cap * sizeof *q->items);
    }
    q->items[q->tail++] = a;
}

static action *queue_pop(action_queue *q)
{
    return q->head < q->tail ? q->items[q->head++] : NULL;
}

static void enqueue(exec_state *s, action *a)
{
    a->queued = true;
    if (a->step && a->step->exclusive)
        queue_push(&s->exclusive, a);
    else
        ready_queue_push(&s->ready, a);
}

/* A finished action releases its dependents: ready ones are queued, and those that can no
 * longer run are skipped with the reason, transitively. */
static void finish(exec_state *s, action *a)
{
    if (a->finished)
        return;
    a->finished = true;
    if (s->o->finished)
        queue_push(&s->untold, a);
    bool counted = a->status != ST_UNAVAILABLE && a->status != ST_SKIPPED && a->status != ST_INTERRUPTED;
    if (counted) {
        s->done++;
        if (a->cached) {
            s->st->cached++;
        } else {
            s->st->executed++;
            ready_queue_learn(&s->ready, a, a->wall_ms);
        }
        if (action_status_is_failure(a->status))
            s->st->failed++;
        if (s->o->progress)
            s->o->progress->finished(s->o->progress, a, s->done, s->total);
    } else if (a->status == ST_SKIPPED) {
        s->st->skipped++;
        s->total--; /* keeps the progress denominator honest */
    } else if (a->status == ST_UNAVAILABLE) {
        s->st->unavailable++;
    }
    for (size_t i = 0; i < a->n_dependents; i++) {
        action *d = a->dependents[i];
        if (d->finished)
            continue;
        d->waiting_on--;
        if (a->status != ST_OK) {
            d->status = a->status == ST_INTERRUPTED ? ST_INTERRUPTED : ST_SKIPPED;
            free(d->reason);
            d->reason =
                xasprintf("input %s not produced: %s %s%s%s", a->output ? a->output->id : "?", a->label,
                          action_status_name(a->status), a->reason ? ": " : "", a->reason ? a->reason : "");
            finish(s, d);
        } else if (d->waiting_on == 0 && !d->queued) {
            enqueue(s, d);
        }
    }
}

/* Finished actions are told of once the job slots are full again, never before. */
static void tell_finished(exec_state *s)
{
    for (action *a; (a = queue_pop(&s->untold));)
        s->o->finished(s->o->finished_ctx, a);
    s->untold.head = s->untold.tail = 0;
}

/* Reads the header of an output at `path` when its name declares a format. A file that is not
 * what its name says is false with *why ("int4.gguf: not a GGUF file (first bytes 7f 45 4c 46)"). */
static bool output_format_ok(artifact *t, const char *path, tmgt_error *why)
{
    artefact_format f = artefact_format_of(t->name);
    if (f == ARTEFACT_FORMAT_NONE)
        return true;
    header_finding h;
    format_header_read_file(f, path, &h);
    if (h.verdict != HEADER_OK) {
        err_set(why, "%s: %s", t->name, h.what);
        return false;
    }
    free(t->format_found);
    t->format_found = xstrdup(h.what);
    return true;
}

/* A record is usable only if everything it names is still there and intact; otherwise the
 * action runs again and the user is told why. */
static bool try_cached(exec_state *s, action *a)
{
    action_result res;
    tmgt_error err = {{0}};
    int rc = record_restore(s->c, &a->key, s->o->rerun_failed, a->output ? a->output->name : NULL,
                            a->output ? a->output->path : NULL, &res, &err);
    /* an entry stored before outputs were checked for their format: nothing may read it */
    tmgt_error why;
    if (rc > 0 && a->output && res.exit_code == 0 && !output_format_ok(a->output, a->output->path, &why)) {
        err_set(&err, "cached output %s", why.msg);
        unlink(a->output->path);
        cache_drop_record(s->c, &a->key);
        free(res.out);
        free(res.err);
        rc = -1;
    }
    if (rc < 0 && s->o->progress)
        s->o->progress->retrying(s->o->progress, a, err.msg);
    if (rc <= 0)
        return false;
    a->out = res.out;
    a->out_len = res.out_len;
    a->err = res.err;
    a->err_len = res.err_len;
    a->exit_code = res.exit_code;
    a->status = a->exit_code == 0 ? ST_OK : ST_EXIT;
    a->wall_ms = res.wall_ms;
    a->cached = true;
    a->have_streams = true;
    a->stdout_d = res.stdout_d;
    a->stderr_d = res.stderr_d;
    if (a->output && a->exit_code == 0) {
        a->output->d = res.output_d;
        a->output->have_digest = true;
        a->output->size = res.output_size;
    }
    return true;
}

/* The identity record (what `plan --explain` compares with) already naming this key is left
 * alone: a no-op rerun reads it but writes nothing. */
static bool identity_is_stale(exec_state *s, action *a)
{
    digest id;
    action_identity_key(a, &id);
    return !record_identity_names(s->c, &id, &a->key);
}

static void record_identity(exec_state *s, const action *a, const cJSON *components, bool stored)
{
    digest id;
    action_identity_key(a, &id);
    cache_note_write(s->c, &id);
    record_write_identity(s->c, &id, &a->key, stored, components);
}

static char *read_spill_or_take(char **mem, const char *spill, size_t *len)
{
    if (!spill) {
        char *p = *mem;
        *mem = NULL;
        return p;
    }
    char *data = NULL;
    if (read_file(spill, &data, len, NULL) != 0) {
        *len = 0;
        return xstrdup("");
    }
    return data;
}

/* A producer whose output could not be stored cannot feed its dependents; a query's output is
 * still in memory and its checks can be judged, just not cached. */
static void note_not_cached(action *a, const char *why)
{
    if (a->output && a->status == ST_OK)
        a->status = ST_CACHE_ERROR;
    free(a->reason);
    a->reason = xasprintf("not cached: %s", why);
    fprintf(stderr, "tmgt: %s: %s\n", a->label, a->reason);
}

/* Publishes the streams and the declared output, and returns the record naming them (NULL when
 * one could not be stored: the action is then marked not cached). */
static cJSON *publish_result(exec_state *s, running_action *ra)
{
    action *a = ra->a;
    tmgt_error err = {{0}};
    bool output = a->output && a->status == ST_OK;
    action_result res = {.exit_code = a->exit_code,
                         .wall_ms = a->wall_ms,
                         .out = a->out,
                         .out_len = a->out_len,
                         .err = a->err,
                         .err_len = a->err_len};
    cJSON *rec =
        record_publish(s->c, &a->key, &res, output ? a->output->name : NULL, output ? ra->staged : NULL,
                       output ? a->output->path : NULL, ra->components, &err);
    a->have_streams = res.have_streams;
    a->stdout_d = res.stdout_d;
    a->stderr_d = res.stderr_d;
    if (rec && output) {
        a->output->d = res.output_d;
        a->output->have_digest = true;
        a->output->size = res.output_size;
    }
    if (!rec)
        note_not_cached(a, err.msg);
    return rec;
}

/* The record is the commit point, written after everything it names. */
static bool commit_record(exec_state *s, action *a, cJSON *rec)
{
    tmgt_error err = {{0}};
    int rc = cache_put_record(s->c, &a->key, rec, &err);
    cJSON_Delete(rec);
    if (rc != 0)
        note_not_cached(a, err.msg);
    return rc == 0;
}

/* A leaf's record (and its identity) written on the thread pool: nothing waits for it, so the
 * loop goes on starting and reaping engines while the file system creates the file — an inode
 * was most of the executor's own time on a cold run. The leaf finishes (and is reported) when
 * its record is written. */
typedef struct {
    uv_work_t work;
    exec_state *s;
    action *a;
    digest key;
    char *json;
    digest identity;
    cJSON *components; /* taken from the action when its identity is stale; NULL otherwise */
    tmgt_error err;
    int rc;
} deferred_record;

static void write_record_work(uv_work_t *w)
{
    deferred_record *d = w->data;
    cache *c = d->s->c;
    d->rc = cache_write_record(c, &d->key, d->json, strlen(d->json), &d->err);
    if (d->components)
        record_write_identity(c, &d->identity, &d->key, d->rc == 0, d->components);
}

static void write_record_done(uv_work_t *w, int status)
{
    (void)status;
    deferred_record *d = w->data;
    if (d->rc != 0)
        note_not_cached(d->a, d->err.msg);
    d->s->storing--;
    finish(d->s, d->a); /* only now: the user may take a finished action to be stored */
    tell_finished(d->s);
    free(d->json);
    cJSON_Delete(d->components);
    free(d);
}

static void defer_record(exec_state *s, running_action *ra, cJSON *rec)
{
    deferred_record *d = xcalloc(1, sizeof *d);
    d->work.data = d;
    d->s = s;
    d->a = ra->a;
    d->key = ra->a->key;
    d->json = json_stream_text(rec, false);
    cJSON_Delete(rec);
    cache_note_write(s->c, &d->key);
    if (ra->identity_stale) {
        action_identity_key(ra->a, &d->identity);
        cache_note_write(s->c, &d->identity);
        d->components = ra->components;
        ra->components = NULL;
    }
    s->storing++;
    if (uv_queue_work(&s->loop, &d->work, write_record_work, write_record_done) != 0) {
        write_record_work(&d->work);
        write_record_done(&d->work, 0);
    }
}

static void check_declared_output(running_action *ra)
{
    action *a = ra->a;
    if (!a->output || a->status != ST_OK)
        return;
    struct stat st;
    tmgt_error why;
    if (stat(ra->staged, &st) != 0 || !S_ISREG(st.st_mode)) {
        a->status = ST_OUTPUT_MISSING;
        a->reason = xasprintf("exited 0 but did not write %s", a->output->name);
    } else if (st.st_size == 0) {
        a->status = ST_OUTPUT_MISSING;
        a->reason = xasprintf("exited 0 but %s is empty", a->output->name);
    } else if (!output_format_ok(a->output, ra->staged, &why)) {
        a->status = ST_OUTPUT_MALFORMED;
        a->reason = xstrdup(why.msg);
    }
}

/* A result from a binary other than the one in the action key would poison the cache. */
static void check_engine_unchanged(exec_state *s, action *a)
{
    if ((a->status != ST_OK && a->status != ST_EXIT) || !engine_changed(a->eng))
        return;
    s->st->engine_changed = true;
    if (!a->eng->change_reported)
        fprintf(stderr,
                "tmgt: %s changed during the run (%s); results from after the change are not cached\n",
                a->eng->def->name, a->eng->path);
    a->eng->change_reported = true;
    a->status = ST_ENGINE_CHANGED;
    free(a->reason);
    a->reason = xasprintf("%s changed during the run; not cached", a->eng->def->name);
}

/* A spilled stdout is read back for the comparison; *owned is what the caller frees. */
static run_observed observe(const run_result *res, const char *output, char **owned)
{
    run_observed o = {.outcome = res->outcome,
                      .exit_code = res->exit_code,
                      .term_signal = res->term_signal,
                      .out = res->out ? res->out : "",
                      .out_len = res->out ? res->out_len : 0,
                      .output = output && path_exists(output) ? output : NULL};
    *owned = NULL;
    if (res->out_spill && read_file(res->out_spill, owned, &o.out_len, NULL) == 0)
        o.out = *owned;
    return o;
}

static void note_difference(exec_state *s, running_action *ra, const run_result *later)
{
    action *a = ra->a;
    char *mine, *theirs;
    run_observed x = observe(ra->first, ra->first_staged, &mine);
    run_observed y = observe(later, ra->staged, &theirs);
    char *d = run_difference(&x, &y, a->output ? a->output->name : NULL, a->step->varies, a->step->n_varies);
    if (d) {
        a->varied = xasprintf("run %u differs from run 1: %s", ra->runs_done, d);
        s->st->varied++;
        fprintf(stderr, "tmgt: %s: nondeterministic: %s; not cached\n", a->label, a->varied);
    }
    free(d);
    free(mine);
    free(theirs);
}

/* --repeat: the first run's result is kept, each later one compared with it and dropped, and
 * the next run started in the same job slot. True when the action runs again; otherwise *res
 * is the result the action is made of (the first run's, or the one an interrupt cut short). */
static bool run_again(exec_state *s, running_action *ra, run_result **res)
{
    ra->runs_done++;
    if (!ra->first) {
        /* only an exit is a result worth repeating: a timeout or a crash is never cached anyway */
        if (ra->runs_done >= runs_wanted(s) || s->interrupted || (*res)->outcome != RUN_EXITED)
            return false;
        ra->first = *res;
        if (ra->staged && path_exists(ra->staged)) {
            ra->first_staged = xasprintf("%s.run1", ra->staged);
            if (rename(ra->staged, ra->first_staged) != 0) {
                free(ra->first_staged);
                ra->first_staged = NULL;
            }
        }
        launch(s, ra);
        return true;
    }
    bool cancelled = (*res)->outcome == RUN_CANCELLED;
    if (cancelled) { /* the interrupted run is the action's result: it is not cached */
        run_result_free(ra->first);
    } else {
        if (!ra->a->varied)
            note_difference(s, ra, *res);
        run_result_free(*res);
        if (ra->staged)
            remove_tree(ra->staged);
        if (ra->runs_done < runs_wanted(s) && !s->interrupted) {
            launch(s, ra);
            return true;
        }
        *res = ra->first;
    }
    ra->first = NULL;
    if (ra->first_staged) {
        if (cancelled || rename(ra->first_staged, ra->staged) != 0)
            remove_tree(ra->first_staged);
        free(ra->first_staged);
        ra->first_staged = NULL;
    }
    return false;
}

static void free_running_action(running_action *ra)
{
    free(ra->staged);
    cJSON_Delete(ra->components);
    free(ra);
}

static void on_run_done(void *ctx, run_result *res)
{
    running_action *ra = ctx;
    exec_state *s = ra->s;
    action *a = ra->a;
    if (run_again(s, ra, &res))
        return;
    s->running--;
    if (a->step->exclusive)
        s->exclusive_running = false;
    /* Nothing waits for what this action stores: start the next one first, so an engine runs
     * while we hash, write and fsync, and a job slot never idles on our bookkeeping. */
    if (a->n_dependents == 0)
        pump(s);
    a->wall_ms = res->wall_ms;
    a->exit_code = res->exit_code;
    a->term_signal = res->term_signal;
    switch (res->outcome) {
    case RUN_EXITED:
        a->status = res->exit_code == 0 ? ST_OK : ST_EXIT;
        break;
    case RUN_SIGNALED:
        a->status = ST_SIGNAL;
        a->reason = xasprintf("killed by signal %d (%s)", res->term_signal, strsignal(res->term_signal));
        break;
    case RUN_TIMED_OUT:
        a->status = ST_TIMEOUT;
        a->reason = xasprintf("timed out after %.0f s (not cached)", a->step->timeout_ms / 1000.0);
        break;
    case RUN_OUTPUT_LIMIT:
        a->status = ST_OUTPUT_LIMIT;
        a->reason = xasprintf("printed more than %llu bytes; killed", (unsigned long long)s->o->output_limit);
        break;
    case RUN_SPAWN_FAILED:
        a->status = ST_SPAWN_ERROR;
        a->reason = xstrdup(res->error.msg);
        break;
    case RUN_CANCELLED:
        a->status = ST_INTERRUPTED;
        a->reason = xstrdup("interrupted");
        break;
    }
    if (a->status != ST_OUTPUT_LIMIT) {
        a->out = read_spill_or_take(&res->out, res->out_spill, &res->out_len);
        a->out_len = res->out_len;
        a->err = read_spill_or_take(&res->err, res->err_spill, &res->err_len);
        a->err_len = res->err_len;
        redact_secrets(&a->out, &a->out_len);
        redact_secrets(&a->err, &a->err_len);
    }
    check_engine_unchanged(s, a);
    check_declared_output(ra);
    /* Exits are measurements and are cached; timeouts, signals, missing or malformed outputs are
     * not. A result seen to vary is published (its dependents read the first run's output) but
     * gets no record: a later run executes it again rather than take one run for the answer. */
    cJSON *rec = a->status == ST_OK || a->status == ST_EXIT ? publish_result(s, ra) : NULL;
    if (rec && a->varied) {
        cJSON_Delete(rec);
        rec = NULL;
    }
    bool deferred = rec && a->n_dependents == 0;
    if (deferred) {
        defer_record(s, ra, rec);
    } else {
        bool stored = rec && commit_record(s, a, rec);
        if (ra->identity_stale)
            record_identity(s, a, ra->components, stored);
    }
    run_result_free(res);
    if (ra->staged)
        remove_tree(ra->staged);
    free_running_action(ra);
    if (!deferred)
        finish(s, a);
    pump(s);
}

/* A job slot for an action the cache could not answer: an engine starts. */
static void run_in_slot(exec_state *s, running_action *ra)
{
    action *a = ra->a;
    tmgt_error err = {{0}};
    /* Only a producer gets a path to write to; outputs past the memory limit spill into the
     * shared tmp/ under a unique name, and run_result_free removes the spill. */
    if (a->output)
        ra->staged = cache_staging_path(s->c, a->output->name);
    a->argv = child_argv(a, ra->staged, &err);
    if (!a->argv) {
        a->status = ST_SPAWN_ERROR;
        a->reason = xstrdup(err.msg);
        if (ra->identity_stale)
            record_identity(s, a, ra->components, false);
        free_running_action(ra);
        finish(s, a);
        return;
    }
    s->running++;
    if (a->step->exclusive)
        s->exclusive_running = true;
    launch(s, ra);
}

/* Once the cache has answered: a hit finishes at once, a miss runs in a job slot, now or when
 * one frees (an action looked up remotely holds none meanwhile). */
static void resolve(exec_state *s, running_action *ra, bool hit)
{
    action *a = ra->a;
    if (hit) {
        tmgt_error err = {{0}};
        if (ra->identity_stale)
            record_identity(s, a, ra->components, false);
        a->argv = child_argv(a, a->output ? a->output->path : NULL, &err);
        free_running_action(ra);
        finish(s, a);
    } else if (s->running < s->o->jobs) {
        run_in_slot(s, ra);
    } else if (s->waiting_tail) {
        s->waiting_tail = s->waiting_tail->next = ra;
    } else {
        s->waiting = s->waiting_tail = ra;
    }
}

static bool reads_cache(const exec_state *s)
{
    return s->o->read_cache && runs_wanted(s) == 1;
}

/* Whether the cache's answers come from a server: then every action but the exclusive ones
 * (timings, which run alone once everything else has settled, and are looked up on the loop
 * while nothing else is going on) is looked up on the thread pool, never on the loop. */
static bool looks_up_remotely(const exec_state *s)
{
    return reads_cache(s) && cache_remote_usable(s->c);
}

/* A record, the blobs it names and the identity record brought from the server on the thread
 * pool; the loop then finds them in the local store. */
typedef struct {
    uv_work_t work;
    running_action *ra;
    bool found, identity_stale;
} remote_lookup;

static void look_up_work(uv_work_t *w)
{
    remote_lookup *l = w->data;
    action *a = l->ra->a;
    cache *c = l->ra->s->c;
    digest id;
    action_identity_key(a, &id);
    l->identity_stale = !record_identity_names(c, &id, &a->key);
    l->found = record_fetch(c, &a->key);
}

static void look_up_done(uv_work_t *w, int status)
{
    (void)status;
    remote_lookup *l = w->data;
    running_action *ra = l->ra;
    exec_state *s = ra->s;
    s->looking_up--;
    ra->identity_stale = l->identity_stale;
    bool found = l->found;
    free(l);
    if (s->interrupted) { /* not started: exec_run says so */
        free_running_action(ra);
        return;
    }
    /* not found: the server was asked already, and is not asked again */
    resolve(s, ra, found && try_cached(s, ra->a));
    pump(s);
}

static void look_up_remotely(exec_state *s, running_action *ra)
{
    remote_lookup *l = xcalloc(1, sizeof *l);
    l->work.data = l;
    l->ra = ra;
    s->looking_up++;
    if (uv_queue_work(&s->loop, &l->work, look_up_work, look_up_done) != 0) {
        look_up_work(&l->work);
        look_up_done(&l->work, 0);
    }
}

static void start_action(exec_state *s, action *a)
{
    tmgt_error err = {{0}};
    a->started = true;
    cJSON *components = action_compute_key(a, s->c, s->o->salt, &err);
    if (!components) {
        a->status = ST_UNAVAILABLE;
        a->reason = xstrdup(err.msg);
        finish(s, a);
        return;
    }
    running_action *ra = xcalloc(1, sizeof *ra);
    ra->s = s;
    ra->a = a;
    ra->components = components;
    if (!a->step->exclusive && looks_up_remotely(s)) {
        look_up_remotely(s, ra);
        return;
    }
    ra->identity_stale = identity_is_stale(s, a);
    resolve(s, ra, reads_cache(s) && try_cached(s, a));
}

/* One run of the action, in the job slot start_action took for it. */
static void launch(exec_state *s, running_action *ra)
{
    action *a = ra->a;
    if (s->o->progress)
        s->o->progress->starting(s->o->progress, a);
    char **envp = child_environment(a->eng->def);
    run_resources resources = {.partition = a->step->resources.partition,
                               .gres = a->step->resources.gres,
                               .cpus = a->step->resources.cpus};
    run_request req = {.argv = a->argv,
                       .env = envp,
                       .cwd = NULL,
                       .spill_dir = cache_tmp_dir(s->c),
                       .timeout_ms = a->step->timeout_ms,
                       .label = a->step->name,
                       .resources = &resources};
    s->r->ops->start(s->r, &req, on_run_done, ra);
    free(envp);
}

/* Starts what it can. Cache hits finish inline, so a fully cached graph never waits on the
 * loop; with a remote cache, ready actions are looked up there ahead of the job slots.
 * Exclusive actions (timings) start only when nothing else runs or waits. */
static void pump(exec_state *s)
{
    while (!s->interrupted && !s->exclusive_running) {
        bool slot = s->running < s->o->jobs;
        if (slot && s->waiting) {
            running_action *ra = s->waiting;
            s->waiting = ra->next;
            if (!s->waiting)
                s->waiting_tail = NULL;
            run_in_slot(s, ra);
            continue;
        }
        action *a = NULL;
        if (s->ready.count && (looks_up_remotely(s) ? s->looking_up < LOOKUPS_MAX : slot))
            a = ready_queue_pop(&s->ready);
        else if (s->running == 0 && !s->ready.count && !s->looking_up &&
                 s->exclusive.head < s->exclusive.tail)
            a = queue_pop(&s->exclusive);
        if (!a)
            break;
        start_action(s, a);
    }
    tell_finished(s);
}

static void on_signal(void *ctx, int signum)
{
    exec_state *s = ctx;
    if (s->interrupted)
        return;
    s->interrupted = true;
    s->st->interrupted = true;
    if (s->o->progress)
        s->o->progress->stopping(s->o->progress, signum, s->running);
    s->r->ops->cancel_all(s->r);
}

static void close_walk(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int exec_run(graph *g, cache *c, const exec_opts *o, exec_stats *st)
{
    memset(st, 0, sizeof *st);
    exec_state s = {.g = g, .c = c, .o = o, .st = st};
    ready_queue_init(&s.ready);
    uint64_t t0 = now_ms();
    uv_loop_init(&s.loop);
    s.r = o->new_runner(&s.loop, o->runner_ctx);
    /* Ctrl-C during planning: start nothing. */
    interrupt_watch_start(&s.signals, &s.loop, true, on_signal, &s);
    for (size_t i = 0; i < g->n_actions; i++)
        if (g->actions[i]->status != ST_UNAVAILABLE)
            s.total++;
    for (size_t i = 0; i < g->n_actions; i++) {
        action *a = g->actions[i];
        if (a->finished)
            continue;
        if (a->status == ST_UNAVAILABLE)
            finish(&s, a);
        else if (a->waiting_on == 0 && !a->queued)
            enqueue(&s, a);
    }
    pump(&s);
    while (s.running > 0 || s.storing > 0 || s.looking_up > 0)
        uv_run(&s.loop, UV_RUN_ONCE);
    while (s.waiting) { /* interrupted before a slot freed */
        running_action *ra = s.waiting;
        s.waiting = ra->next;
        free_running_action(ra);
    }
    for (size_t i = 0; i < g->n_actions; i++) {
        action *a = g->actions[i];
        if (!a->finished) {
            a->status = ST_INTERRUPTED;
            a->reason = xstrdup("not started: the run was interrupted");
            finish(&s, a);
        }
    }
    tell_finished(&s);
    if (o->progress)
        o->progress->ended(o->progress);
    interrupt_watch_stop(&s.signals);
    uv_walk(&s.loop, close_walk, NULL);
    uv_run(&s.loop, UV_RUN_DEFAULT);
    uv_loop_close(&s.loop);
    s.r->ops->close(s.r);
    ready_queue_free(&s.ready);
    free(s.exclusive.items);
    free(s.untold.items);
    st->wall_ms = now_ms() - t0;
    return st->interrupted ? EXIT_INTERRUPTED : EXIT_OK;
}
