/* A rerun whose only changed inputs are oracle files (run_memo_compare: MEMO_ORACLES_EDITED).
 * A check reads the oracle of its own model and prompt and nothing else of it (check_ctx.oracle),
 * so only the checks of the edited models × prompts can judge differently: the session plans and
 * judges just those — their actions all found in the cache — and the earlier run's document is
 * written again with their verdicts in it (results_splice.h). On a 20,000-action matrix with one
 * oracle file edited that is a plan of a few actions and a copy of the document, instead of
 * restoring 20,000 actions and judging 30,000 checks. */
#ifndef TMGT_REJUDGE_H
#define TMGT_REJUDGE_H

#include <cjson/cJSON.h>

#include "run_memo.h"
#include "session.h"

typedef struct {
    cJSON *summary;     /* what the console report reads (results_splice.h) */
    char *results_file; /* the document written */
    char *started_at;
} rejudged_run;

/* The exit status of the rerun, its document written and *out filled (rejudged_run_free); or
 * -1 when it cannot stand for a whole rerun — an action of those checks had to run (a step that
 * reads {oracle}), the Hub was asked, the run was interrupted, or the documents do not fit
 * (said on stderr) — and the caller runs the whole session, which finds cached what ran here. */
int rejudge_edited(const session_opts *so, const run_memo *m, const memo_edits *edits, rejudged_run *out);
void rejudged_run_free(rejudged_run *r);

#endif
