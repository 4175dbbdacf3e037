/* The pipeline file: models, prompts, engines, step templates and artefact recipes. It is
 * data, so a change of an engine's command line is an edit of JSON, not of C. */
#ifndef TMGT_PIPELINE_H
#define TMGT_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "util.h"

typedef struct {
    char *name;
    char *binary;        /* name looked up in PATH, or a path; overridden by --engine NAME=PATH */
    char **version_argv; /* arguments that print the version, e.g. ["--version"] */
    size_t n_version_argv;
    char *version_file; /* read instead, when it exists: relative to the binary's directory */
    char **env;         /* "KEY=VALUE" added to the engine's environment (and its action keys) */
    size_t n_env;
    char **identity_files; /* extra files whose digests are part of the engine's identity */
    size_t n_identity_files;
    cJSON *settings; /* recorded in results: settings that change greedy tokens */
} pipeline_engine;

typedef struct {
    char *name;
    char *engine;
    char **argv; /* template: {in:NAME} {out} {prompt} {var} {@listvar} */
    size_t argc;
    int timeout_ms;
    bool exclusive; /* measures speed: runs alone */
    /* JSON fields of its stdout that measure time ("tok_per_sec"), named at any depth: --repeat
     * does not compare them between runs */
    char **varies;
    size_t n_varies;
    /* Where --executor slurm places its jobs ("resources"; the local executor ignores it and
     * so does the action key: where an action runs does not change what it computes). */
    struct {
        char *partition, *gres; /* NULL: the run's --slurm-partition, no generic resources */
        int cpus;               /* 0: Slurm's default */
    } resources;
} pipeline_step;

typedef struct {
    char *name; /* e.g. "int4.apr" */
    char *step;
    char **in_names; /* template input name → artefact name ("@source" is the model source) */
    char **in_artifacts;
    size_t n_in;
    cJSON *vars; /* object of strings or arrays of strings */
    /* The step that runs a generation on this artefact: "run" unless the pipeline names another
     * (apr accepts --logprobs on GGUF only, so GGUF artefacts get a step that asks for them). */
    char *run_step;
    double near_tie_nats; /* the bound of a near-tie (divergence.h); < 0: the format's default */
} pipeline_artifact;

typedef struct {
    char *architecture;
    int layers, heads, kv_heads, hidden, vocab;
    double ppl_ceiling;
} model_metadata;

typedef struct {
    char *slug;
    char *source; /* local directory, or hf://ORG/NAME[@REV] */
    char *oracle_dir;
    model_metadata meta;
    cJSON *vars;
} pipeline_model;

typedef struct {
    char *key; /* file stem, e.g. "code" */
    char *text;
} pipeline_prompt;

typedef struct {
    char *path;
    char *dir; /* paths in the file are relative to the repository root, which is
                  the directory above pipeline/ (or the file's own directory) */
    char *models_dir;
    pipeline_engine *engines;
    size_t n_engines;
    pipeline_step *steps;
    size_t n_steps;
    pipeline_artifact *artifacts;
    size_t n_artifacts;
    pipeline_model *models;
    size_t n_models;
    pipeline_prompt *prompts;
    size_t n_prompts;
    char **suites; /* what `--check all` means for this pipeline */
    size_t n_suites;
    cJSON *root;
} pipeline;

/* Errors name the file and the field, e.g. "pipeline/default.json: steps.run.argv[2]: ...". */
pipeline *pipeline_load(const char *path, tmgt_error *err);
void pipeline_free(pipeline *p);

const pipeline_engine *pipeline_find_engine(const pipeline *p, const char *name);
const pipeline_step *pipeline_find_step(const pipeline *p, const char *name);
const pipeline_artifact *pipeline_find_artifact(const pipeline *p, const char *name);
const pipeline_model *pipeline_find_model(const pipeline *p, const char *slug);
/* Resolves a path from the pipeline relative to its base directory (owned by the caller). */
char *pipeline_path(const pipeline *p, const char *rel);

#endif
