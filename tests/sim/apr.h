/*
 * apr.h - internal interface of the apr personality.
 *
 *   apr.c          CLI surface: global flags, clap-style errors, dispatch,
 *                  --help/--version, and helpers shared by the handlers
 *   apr_actions.c  commands behind apr's tensor-contract gate (spec §5):
 *                  run, import, export, eval, check, bench, parity
 *   apr_diag.c     single-model diagnostics: inspect, validate, tensors,
 *                  lint, tree, oracle, hex, debug, qa, list
 *   apr_diff.c     two-model comparisons: diff, rosetta diff-tensors
 *
 * A handler gets the parsed options and the positionals after the
 * subcommand name, builds a cJSON document, hands it to apr_emit() and
 * returns apr's exit status.
 */
#ifndef TMGT_SIM_APR_H
#define TMGT_SIM_APR_H

#include "sim.h"

#define APR_CMD(name) \
    int cmd_##name(struct sim_ctx *ctx, const struct parsed_args *pa, const char *const *pos, int npos)

/* ---------------------------------------------------- helpers (apr.c) */

bool apr_gpu_available(void); /* APR_SIM_GPU set and not "0" */
/* Loads a model or exits with apr's code and "error: ..." on stderr. */
void apr_load(const struct sim_ctx *ctx, const char *path, struct sim_model *m);
/* JSON with --json (-f json for run), else "key: value" text; frees doc. */
void apr_emit(const struct sim_ctx *ctx, cJSON *doc);
/* A deterministic "measurement" in [lo, hi) named `what`, 3 decimals,
 * never integral (so the `nan` fault always has a target). */
double apr_measure(const struct sim_model *m, const char *what, double lo, double hi);
const char *apr_format_label(const struct sim_model *m); /* "APR v2", "GGUF", "SafeTensors" */
cJSON *apr_shape_json(const struct sim_tensor *t);
char *apr_shape_str(const struct sim_tensor *t);
cJSON *apr_stats_json(const struct sim_tensor *t, cJSON *obj); /* adds mean/std/min/max */
long long apr_total_bytes(const struct sim_tensor *t, int n);
/* clap's "required arguments were not provided" for positionals from index
 * `given` of the space-separated `required` list; exits 2. */
void apr_missing(const char *cmd, const char *required, int given) __attribute__((noreturn));
/* clap's "unrecognized subcommand"; returns 2. */
int apr_unknown_subcommand(const char *cmd, const char *sub);

/* ------------------------------------------------------------- handlers */

extern const struct opt_spec RUN_OPTS[], IMPORT_OPTS[], EXPORT_OPTS[], EVAL_OPTS[], CHECK_OPTS[],
    BENCH_OPTS[], PARITY_OPTS[];
APR_CMD(run);
APR_CMD(import);
APR_CMD(export);
APR_CMD(eval);
APR_CMD(check);
APR_CMD(bench);
APR_CMD(parity);

extern const struct opt_spec INSPECT_OPTS[], VALIDATE_OPTS[], TENSORS_OPTS[], TREE_OPTS[], ORACLE_OPTS[],
    HEX_OPTS[], DEBUG_OPTS[], QA_OPTS[];
APR_CMD(inspect);
APR_CMD(validate);
APR_CMD(tensors);
APR_CMD(lint);
APR_CMD(tree);
APR_CMD(oracle);
APR_CMD(hex);
APR_CMD(debug);
APR_CMD(qa);
APR_CMD(list);

extern const struct opt_spec DIFF_OPTS[], ROSETTA_OPTS[];
APR_CMD(diff);
APR_CMD(rosetta);

#endif
