#include "rejudge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_code.h"
#include "json_read.h"
#include "results_splice.h"

void rejudged_run_free(rejudged_run *r)
{
    cJSON_Delete(r->summary);
    free(r->results_file);
    free(r->started_at);
    memset(r, 0, sizeof *r);
}

static bool executed_nothing(const cJSON *doc, const session_outcome *so)
{
    double executed = -1;
    json_num(doc, "actions_executed", &executed);
    return executed == 0 && !so->asked_hub &&
           !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "interrupted"));
}

int rejudge_edited(const session_opts *so, const run_memo *m, const memo_edits *edits, rejudged_run *out)
{
    memset(out, 0, sizeof *out);
    session_opts narrow = *so;
    narrow.partial = true;
    narrow.sel.models = edits->models;
    narrow.sel.n_models = edits->n_models;
    narrow.sel.prompts = edits->prompts;
    narrow.sel.n_prompts = edits->n_prompts;
    cJSON *part = NULL;
    session_outcome o = {0};
    int rc = session_run(&narrow, &part, &o);
    bool usable = part && (rc == EXIT_OK || rc == EXIT_CHECK_FAILED) && executed_nothing(part, &o);
    session_outcome_free(&o);
    /* The session could not open (the whole rerun would stop there too, as it said), or Ctrl-C
     * stopped it: no whole rerun either way. */
    if (!part || rc == EXIT_INTERRUPTED) {
        cJSON_Delete(part);
        return rc;
    }
    if (!usable) {
        cJSON_Delete(part);
        return -1;
    }
    rejudged_checks which = {.models = (const char *const *)edits->models,
                             .n_models = edits->n_models,
                             .prompts = (const char *const *)edits->prompts,
                             .n_prompts = edits->n_prompts};
    tmgt_error err = {{0}};
    rc = results_splice(run_memo_document(m), part, &which, so->results_dir, &out->results_file,
                        &out->summary, &err);
    if (rc != 0) {
        fprintf(stderr, "tmgt: warning: judging every check again: %s\n", err.msg);
        cJSON_Delete(part);
        return -1;
    }
    out->started_at = xstrdup(json_str(part, "started_at") ? json_str(part, "started_at") : "");
    cJSON_Delete(part);
    const cJSON *counts = json_object(out->summary, "counts");
    double fail = 0, timeout = 0;
    json_num(counts, "fail", &fail);
    json_num(counts, "timeout", &timeout);
    return fail > 0 || timeout > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
}
