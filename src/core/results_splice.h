/* A results document written again after only some of its checks were judged again (a rerun
 * whose only changed inputs were oracle files, run_memo.h): the earlier run's document, with the
 * entries of the checks of the edited models × prompts, those models' oracle provenance and the
 * counts taken from `part` — the document of a run that judged only them — and everything else
 * copied byte for byte. On a 20,000-action matrix the document is 40 MB: copying it is a
 * fraction of what parsing and printing it again would cost, and the bytes come out as a whole
 * run's would (json_stream's layout, the checks in the order the plan gives them). */
#ifndef TMGT_RESULTS_SPLICE_H
#define TMGT_RESULTS_SPLICE_H

#include <cjson/cJSON.h>

#include "util.h"

typedef struct {
    const char *const *models, *const *prompts; /* slugs and prompt keys */
    size_t n_models, n_prompts;
} rejudged_checks;

/* Writes the spliced document into `results_dir` as results_write does (*written: its path).
 * *summary gets what the console report reads of it (the header, and each check's name, suite,
 * model, status, detail, details, and the divergence of a failed one), for the caller to
 * delete. -1 with *err when the two documents do not fit together — a check judged again that
 * the earlier document lacks, or the reverse, an earlier document that does not scan — and
 * nothing is written. */
int results_splice(const char *earlier, const cJSON *part, const rejudged_checks *which,
                   const char *results_dir, char **written, cJSON **summary, tmgt_error *err);

#endif
