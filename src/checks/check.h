/* A check as every layer above sees it: what the planner expands (check_spec and the engine
 * queries it needs), what an evaluator is handed (check_ctx: the query outputs) and what it
 * concludes (check_result, with the token verdict that divergence.h explains), and the suite
 * table entry that does both (suite_def). The suites themselves are listed by suites.h. */
#ifndef TMGT_CHECK_H
#define TMGT_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "divergence.h"
#include "oracle.h"
#include "pipeline.h"
#include "status.h"

#define MAX_QUERY_INPUTS 2
#define MAX_CHECK_QUERIES 4

/* One engine invocation a check needs: a pipeline step applied to artefacts (bound to the
 * step's {in:NAME} placeholders in order) and, for generation steps, a prompt. */
typedef struct {
    const char *step;                        /* pipeline step name: "run", "eval", "llama-run" */
    const char *artifacts[MAX_QUERY_INPUTS]; /* artefact names: "int8.apr", "q8_0.gguf" */
    size_t n_artifacts;
    const char *prompt; /* prompt key, or NULL */
} query_spec;

typedef struct {
    char *name;        /* "token-parity/smollm-135m/int4/code" */
    const char *suite; /* suite key: "token" */
    char *model;       /* slug, or "global" */
    char *variant;     /* "int4", "q8_0", … or NULL */
    char *prompt;      /* prompt key or NULL */
    double threshold;  /* suite-specific bound, e.g. 5 mismatches */
    query_spec queries[MAX_CHECK_QUERIES];
    size_t n_queries;
} check_spec;

typedef struct {
    check_spec *items;
    size_t count, cap;
} check_list;

/* Adds a check; the strings are copied. Returns it so the caller can add queries. */
check_spec *check_list_add(check_list *l, const char *suite, const char *name, const char *model,
                           const char *variant, const char *prompt, double threshold);
void check_add_query(check_spec *c, const char *step, const char *artifact_a, const char *artifact_b,
                     const char *prompt);
/* Frees the strings of one check (check_list_free frees them all). */
void check_spec_free(check_spec *c);
void check_list_free(check_list *l);

/* What one query produced, as an evaluator sees it. */
/* A query's stdout as JSON, parsed once however many checks read it (an engine's top-k
 * logprobs run to megabytes, and a run is read by up to five checks); owned by whoever judges,
 * who deletes `doc` once every check that reads the query is judged. */
typedef struct {
    bool parsed;
    cJSON *doc; /* NULL when the stdout holds no JSON */
} stdout_json;

typedef struct {
    action_status status;
    int exit_code;
    int term_signal;
    const char *out; /* stdout, NUL-terminated (may contain NULs before out_len) */
    size_t out_len;
    const char *err; /* stderr, NUL-terminated */
    size_t err_len;
    const char *reason;  /* the action's: why it did not run, could not start or was stopped */
    const char *command; /* short human form for messages: "apr run", "llama-completion" */
    stdout_json *json;   /* where the parse of `out` is kept (query.h's query_json): never NULL */
} query_output;

typedef struct {
    bool present;
    long index;
    long expected, got; /* token ids; -1 when beyond the shorter stream */
    char *expected_text, *got_text;
    size_t mismatches;
    bool text;            /* indices count code points (compare_text), not tokens */
    bool whitespace_only; /* text: the two differ only by leading or trailing whitespace */
} divergence;

/* Where a run's tokens leave the oracle's and what that cost (divergence.h), recorded by every
 * token-comparing check, passing or failing. The evaluator, which holds the model's tokenizer,
 * names the tokens and appends the sentence to the check's detail. */
typedef struct {
    token_divergence d;
    const char *engine; /* "apr": who chose the tokens, for the sentence */
    bool prompt_only;   /* the sentence is the prompt comparison alone (prompt-tokens) */
    char *sentence, *expected_text, *got_text; /* filled by the evaluator */
    /* divergence_to_json with the top entries' texts, by the evaluator; NULL when the tokens
     * agree and there is no class: the results document then says nothing of them */
    cJSON *json;
    /* logit-parity's peer and float32 rung beside the run, in words (appended after the
     * sentence) and as [{role, engine, artifact, index, class, …}] (yardstick.h); or NULL */
    char *beside;
    cJSON *beside_json;
} token_verdict;

typedef struct {
    check_status status;
    char *detail;  /* one line */
    char *details; /* optional, multi-line */
    divergence div;
    token_verdict *tv; /* NULL when the check compares no run's tokens with the oracle's */
    cJSON *expected;   /* optional {tokens:[…], text:"…"} for side-by-side reports */
    cJSON *got;
    cJSON *teacher_forced; /* optional: the run's teacher-forced figures (teacher_forced.h) */
} check_result;

typedef struct {
    const pipeline *pl;
    const pipeline_model *model; /* NULL for global checks */
    /* The oracle of the check's own prompt; NULL for a check without one, or when the model's
     * oracle has none for it. A check reads nothing else of the oracle: that is what lets a rerun
     * after one oracle file changed judge again only the checks of that prompt (run_memo.h). */
    const oracle_entry *oracle;
    const check_spec *spec;
    const query_output *q[MAX_CHECK_QUERIES];
    bool gpu_available;
} check_ctx;

typedef struct {
    const char *key;   /* --check name: "token" */
    const char *label; /* result name prefix: "token-parity" */
    bool global;       /* expanded once, not per model ("list") */
    /* Adds this suite's checks for model `m` (NULL for a global suite). */
    void (*expand)(const pipeline *pl, const pipeline_model *m, check_list *out);
    void (*evaluate)(const check_ctx *ctx, check_result *r);
} suite_def;

void check_result_set(check_result *r, check_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends `clause` to the detail after "; ", or makes it the whole detail when there is none:
 * how the sentences said beside a verdict (a divergence, teacher-forced figures, the peer) join it. */
void check_result_add_clause(check_result *r, const char *clause);
void check_result_free(check_result *r);

#endif
