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

/* When the memo at `path` is intact and every file it lists is unchanged: points
 * <results>/latest.json at the document the remembered run wrote (as Bazel keeps a cached
 * test's log from the run that produced it), prints the console report and returns that run's
 * exit status. Otherwise returns -1 having done nothing but say (unless -q) what changed. */
/* console->quiet: say nothing of what changed. */
int run_memo_replay(const char *path, const char *results_dir, const report_console_opts *console,
                    uint64_t started_ms);

typedef struct {
    const char *findings; /* report_console_findings as printed */
    size_t findings_len;
    int pass, fail, skip, exit_code;
    long long actions_cached;
    const char *results_file; /* the document the run wrote */
    const char *started_at;   /* its "started_at" */
    const dep_list *deps;
    int64_t started_ns; /* CLOCK_REALTIME when the run began to read files */
} run_memo_facts;

/* Returns 0 when saved, 1 when the run cannot vouch for a memo (a file it read changed while it
 * ran, or too recently to tell), -1 on an error (*err; the run itself is unaffected). */
int run_memo_save(const char *path, const run_memo_facts *f, tmgt_error *err);

#endif
