/* A run that executed nothing is a function of the files it read (deps.h). Its successor — same
 * command line, working directory and environment — that finds every one of those files as it
 * was would plan the same graph, find every action cached, and judge the same outputs against
 * the same oracles: it can replay the verdicts instead. The memo keeps what that run produced
 * (which results document holds its verdicts, the console findings, the counts, the exit status),
 * so a no-op costs one stat per file it depends on, as ninja's no-op does, instead of a plan, a
 * cache lookup per action and the judging — and writes no new document.
 *
 * A memo is written only by a run that executed nothing, pulled nothing from the Hub, was not
 * interrupted, and whose files all predate it (deps_is_racy); it lives at <cache>/memo/<key>,
 * one file replaced atomically, checksummed. `cache gc` and `cache verify` forget every memo,
 * because they may remove what the verdicts were judged from. */
#ifndef TMGT_RUN_MEMO_H
#define TMGT_RUN_MEMO_H

#include <stdbool.h>
#include <stdint.h>

#include "deps.h"
#include "report.h"
#include "util.h"

/* The memo for this invocation (argv[1..argc-1]) in the cache at `cache_dir`: its name digests
 * the arguments, the working directory, the environment variables tmgt reads (env.h), the
 * console's colour and width (the findings are kept as printed) and whether a GPU is present. */
char *run_memo_path(const char *cache_dir, int argc, char **argv, const report_console_opts *console,
                    bool gpu);

/* An oracle file the run read, and which checks read it: those of its model and prompt
 * (check_ctx.oracle). Its bytes' checksum tells an edit from a touch. One that an action reads
 * too (a step's {oracle}) is an input like any other: an edit runs that action, in a whole run. */
typedef struct {
    const char *path, *slug, *prompt;
    uint64_t sum;
    bool action_input;
} memo_oracle;

typedef struct run_memo run_memo;

/* The memo at `path`, when there is one this tmgt wrote whole for a run that was green or only
 * failed checks; NULL otherwise. */
run_memo *run_memo_open(const char *path);
void run_memo_close(run_memo *m);

/* What a rerun may do with an earlier identical run's memo:
 *  MEMO_STANDS  every file it read is as it was (or, for an oracle file, holds the same bytes
 *               again): replay its verdicts;
 *  MEMO_ORACLES_EDITED  only oracle files that no action reads changed: judge again the checks
 *               of their models and prompts (`models` × `prompts`, each listed once), keep the
 *               other verdicts;
 *  MEMO_STALE   anything else changed, or its results document did: run again.
 * Says (unless console->quiet) what changed, and updates the memo's own picture of the files it
 * found touched or edited, for run_memo_refresh and run_memo_save_rejudged. */
typedef enum { MEMO_STANDS, MEMO_ORACLES_EDITED, MEMO_STALE } memo_verdict;
typedef struct {
    char **models, **prompts;
    size_t n_models, n_prompts;
} memo_edits;
memo_verdict run_memo_compare(run_memo *m, const report_console_opts *console, memo_edits *edits);
void memo_edits_free(memo_edits *e);

/* Points <results>/latest.json at the document the remembered run wrote (as Bazel keeps a cached
 * test's log from the run that produced it), prints the console report and returns that run's
 * exit status. A memo that found oracle files touched is written again with their new
 * timestamps, so the next rerun does not read them. */
int run_memo_replay(run_memo *m, const char *path, const char *results_dir,
                    const report_console_opts *console, uint64_t started_ms);

const char *run_memo_document(const run_memo *m);
long long run_memo_actions_cached(const run_memo *m);

/* What a run produced that its memo keeps. */
typedef struct {
    const char *findings; /* report_console_findings as printed */
    size_t findings_len;
    int pass, fail, skip, exit_code;
    long long actions_cached;
    const char *results_file; /* the document the run wrote */
    const char *started_at;   /* its "started_at" */
} run_memo_outcome;

typedef struct {
    run_memo_outcome out;
    const dep_list *deps;
    const memo_oracle *oracles;
    size_t n_oracles;
    int64_t started_ns; /* CLOCK_REALTIME when the run began to read files */
} run_memo_facts;

/* Returns 0 when saved, 1 when the run cannot vouch for a memo (a file it read changed while it
 * ran, or too recently to tell), -1 on an error (*err; the run itself is unaffected). */
int run_memo_save(const char *path, const run_memo_facts *f, tmgt_error *err);
/* The memo of a rerun that judged again the checks of the edited oracles of `m` (compared by
 * run_memo_compare): its own outcome, and the files of `m` as they are now. */
int run_memo_save_rejudged(const run_memo *m, const char *path, const run_memo_outcome *out,
                           int64_t started_ns, tmgt_error *err);

#endif
