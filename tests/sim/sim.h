/*
 * sim.h - shared declarations of the engine simulator (apr-sim & friends).
 *
 * The simulator is one executable that plays several engine CLIs, chosen by
 * basename(argv[0]) (see main.c).  It exists so that tmgt's tests can drive
 * "engines" that are fast, deterministic, and break on command (fault knobs,
 * see faults.c and README.md).  Modules:
 *   util.c    hashing, PRNG, file I/O, UTF-8 and string helpers
 *   args.c    option parsing shared by every personality
 *   faults.c  APR_SIM_FAULTS rules: parsing, matching, immediate actions
 *   output.c  everything written to stdout or to output files (fault-aware)
 *   model.c   model descriptors, derived model files, tensors, generation
 *   container.c  the GGUF / APR v2 / safetensors headers of derived files
 *   apr.c     the apr personality (subcommands)
 *   llama.c   llama-completion, llama-quantize, convert_hf_to_gguf
 *   main.c    personality dispatch, call log, global delay
 */
#ifndef TMGT_SIM_H
#define TMGT_SIM_H

/* XSI for SIGSYS/SIGXCPU and friends; implies POSIX.1-2008. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define SIM_APR_VERSION "0.72.3-sim"
#define SIM_GIT_SHA "simsha"

/* ------------------------------------------------------------------ util.c */

uint64_t sim_hash(const void *data, size_t len, uint64_t seed);
uint64_t sim_hash_str(const char *s, uint64_t seed);
uint64_t sim_rng_next(uint64_t *state);
double sim_rng_unit(uint64_t *state); /* uniform in [0, 1) */
double sim_round(double v, int decimals);
void sim_sleep_ms(long long ms);
char *sim_read_file(const char *path, size_t *len_out); /* NUL-terminated; NULL + errno */
int sim_write_all(int fd, const void *buf, size_t len); /* 0, or -1 + errno */
char *sim_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sim_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
const char *sim_basename(const char *path);
char *sim_dirname(const char *path);
char *sim_join_path(const char *dir, const char *name);
bool sim_contains_ci(const char *haystack, const char *needle);
bool sim_ends_with(const char *s, const char *suffix);
char *sim_trim(char *s);
/* Split at `sep` only outside "..." and outside [] / {} nesting, so that a
 * JSON value inside a fault action may contain commas and semicolons. */
char **sim_split_top(const char *s, char sep, int *count);
void sim_free_list(char **list, int count);
size_t sim_utf8_count(const char *s);
size_t sim_utf8_offset(const char *s, size_t cp_index);

/* ------------------------------------------------------------------ args.c */

enum opt_kind { OPT_FLAG, OPT_STR, OPT_INT, OPT_NUM };

struct opt_spec {
    const char *lng;  /* "--max-tokens", or NULL */
    const char *shrt; /* "-n", "-fa", or NULL */
    enum opt_kind kind;
    const char *choices; /* "a|b|c" accepted values, or NULL */
    const char *meta;    /* value name for messages, e.g. "N" */
};

#define ARGS_MAX 128

struct opt_val {
    const struct opt_spec *spec;
    const char *value; /* NULL for flags */
};

struct parsed_args {
    struct opt_val opts[ARGS_MAX];
    int nopts;
    const char *pos[ARGS_MAX];
    int npos;
};

enum args_status { ARGS_OK, ARGS_UNKNOWN, ARGS_NOVALUE, ARGS_BADVALUE, ARGS_OVERFLOW };

struct args_error {
    enum args_status status;
    const char *token;           /* offending argv element */
    const struct opt_spec *spec; /* for NOVALUE / BADVALUE */
    const char *value;           /* for BADVALUE */
};

/* Parses argv[first..argc) against several option tables (a NULL-terminated
 * array of tables, each terminated by an all-NULL entry). */
enum args_status args_parse(int argc, char **argv, int first, const struct opt_spec *const *tables,
                            struct parsed_args *out, struct args_error *err);
const char *args_get(const struct parsed_args *pa, const char *name);
bool args_has(const struct parsed_args *pa, const char *name);
const char *args_display_name(const struct opt_spec *spec);

/* ---------------------------------------------------------------- context */

enum sim_role { ROLE_APR, ROLE_LLAMA, ROLE_PROBE, ROLE_QUANTIZE, ROLE_CONVERT };

enum sim_out_mode { OUTM_NORMAL, OUTM_EMPTY, OUTM_HUGE, OUTM_GARBAGE, OUTM_BADJSON };

enum sim_shape { SHAPE_NONE, SHAPE_WRAP, SHAPE_ARRAY, SHAPE_OBJECT, SHAPE_STRING, SHAPE_NUMBER, SHAPE_NULL };

#define SIM_MAX_EDITS 32

struct sim_alter {
    long idx;
    long newid;
    bool has_newid;
};

struct sim_edit {
    const char *field;
    const char *value; /* NULL: delete the field */
};

enum sim_imm_kind { IMM_DELAY, IMM_CRASH, IMM_HANG, IMM_EXIT, IMM_USAGE };

struct sim_immediate {
    enum sim_imm_kind kind;
    long long num;      /* ms for delay, signal for crash, status for exit and usage */
    const char *text;   /* exit message */
    bool child, noterm; /* hang options */
};

/* The parsed effect of the one fault rule that matched this invocation. */
struct sim_faults {
    const char *rule; /* matched rule text, NULL when none matched */
    struct sim_immediate imm[SIM_MAX_EDITS];
    int nimm;
    enum sim_out_mode out_mode;
    unsigned long long huge_bytes;
    bool ansi, nan, badutf8, nooutput, truncate, elf;
    long long truncate_bytes; /* -1: half of the content */
    enum sim_shape shape;
    struct sim_alter alters[SIM_MAX_EDITS];
    int nalters;
    struct sim_edit edits[SIM_MAX_EDITS];
    int nedits;
    const char *version;
    unsigned long long vary_nonce; /* `vary`: this process's own value (0: no vary) */
    int status;                    /* `status:N`: exit N after the normal output */
    bool has_status;
};

struct sim_ctx {
    const char *personality; /* basename(argv[0]) */
    enum sim_role role;
    int argc;
    char **argv;
    char *joined;       /* argv[1..] joined by single spaces, plus prompt names */
    const char *subcmd; /* name used by fault rules: run, import, llama, version, ... */
    struct sim_faults faults;
    /* apr global flags (clap `global = true`): valid anywhere on the line */
    bool json, quiet, verbose, offline, skip_contract;
};

/* ---------------------------------------------------------------- faults.c */

/* Reads APR_SIM_FAULTS and APR_SIM_FAULTS_FILE, validates every rule (a bad
 * rule exits 64 so a typo never silently disables a test), and records the
 * first rule matching ctx->subcmd / ctx->joined in ctx->faults. */
void faults_load(struct sim_ctx *ctx);
/* Runs delay / crash / hang / exit / usage actions in the order they were written. */
void faults_run_immediate(const struct sim_ctx *ctx);
/* The lineage entry an output file records for `step`: under `vary`, one of its own in every
 * process, so the file differs from run to run. */
const char *faults_step(const struct sim_ctx *ctx, const char *step);
/* Version string for --version: fault `version:`, APR_SIM_VERSION, default. */
const char *faults_version(const struct sim_ctx *ctx, const char *dflt);

/* ---------------------------------------------------------------- output.c */

/* Prints doc as pretty JSON (cJSON_Print) with the output faults applied;
 * frees doc.  JSON goes out even with -q, as in apr. */
void out_json(const struct sim_ctx *ctx, cJSON *doc);
/* Prints human text (suppressed by -q) with the output faults applied. */
void out_text(const struct sim_ctx *ctx, const char *text);
/* Renders doc as "key: value" lines via out_text; frees doc. */
void out_human(const struct sim_ctx *ctx, cJSON *doc);
/* A derived model file: a format's header, then the JSON payload. */
struct sim_file {
    char *data;
    size_t len;
    size_t payload_at; /* where the payload (the data section) starts */
};

/* Writes an engine output file honouring `nooutput`, `truncate` and `elf`;
 * exits 7 (apr's Io code) when the file cannot be written. */
void out_file(const struct sim_ctx *ctx, const char *path, const struct sim_file *content);
/* Inserts invalid UTF-8 into a copy of s (the `badutf8` fault). */
char *out_badutf8(const char *s);

/* ----------------------------------------------------------------- model.c */

enum qclass { Q_F32, Q_F16, Q_INT8, Q_INT4 };

struct sim_model {
    cJSON *root;      /* owned: the derived file, or a wrapper around a source */
    cJSON *desc;      /* the descriptor (borrowed from root) */
    char *path;       /* what the user passed */
    char *format;     /* "apr", "gguf", "safetensors" */
    char *quant;      /* "int4", "int8", "fp16", "f32", "q8_0", ... */
    char *source_dir; /* for HF sources: the directory */
    long long file_size;
};

struct sim_tensor {
    char name[128];
    long long dims[2];
    int ndim;
    const char *dtype;
    long long elements;
    long long size_bytes;
    double mean, std, min, max;
    uint64_t seed;
};

struct sim_gen {
    long *tokens;
    int n;
    char *text;
};

/* Loads a model: a derived .apr/.gguf, an HF source directory (or a file in
 * it), or hf://ORG/NAME resolved under APR_SIM_HF_ROOT.  Returns 0, or an apr
 * exit code (3 not found, 4 invalid format, 10 network) with msg set. */
int model_load(const char *path, bool offline, struct sim_model *m, char **msg);
void model_free(struct sim_model *m);
const char *model_name(const struct sim_model *m);
const char *model_arch(const struct sim_model *m);
long model_int(const struct sim_model *m, const char *field, long dflt);
enum qclass model_qclass(const char *quant);
double model_ppl(const struct sim_model *m);
/* Builds a derived model file of `format` (apr, gguf, safetensors); the
 * caller frees its data. */
struct sim_file model_derive(const struct sim_model *src, const char *format, const char *quant,
                             const char *step);
/* Synthetic tensor list (HF names) for the architecture; caller frees. */
int model_tensors(const struct sim_model *m, struct sim_tensor **out);
long long model_param_count(const struct sim_model *m);
double tensor_sample(const struct sim_tensor *t, int i);
/* Greedy "generation": the descriptor's answer for a known prompt, else
 * pseudo tokens from a hash of the prompt.  Applies alter-token faults. */
void model_generate(const struct sim_model *m, const char *prompt, int n, const struct sim_faults *faults,
                    struct sim_gen *out);
void gen_free(struct sim_gen *g);

/* ---------------------------------------------------------- run_logprobs.c */

/* The ids apr reports for a prompt: one per word (a hash of it), inside the
 * chat template's ids when `templated`. */
cJSON *sim_prompt_ids(const char *prompt, bool templated);
/* apr's "logprobs" object for `g` with K entries per step; takes prompt_ids. */
cJSON *sim_run_logprobs(cJSON *prompt_ids, const struct sim_gen *g, int k);

/* -------------------------------------------------------- teacher_forced.c */

/* llama-probe's "teacher_forced" object for --teacher-oracle FILE, the
 * simulator's choices read from `g`; NULL with *err set when the oracle cannot
 * be read. */
cJSON *sim_teacher_forced(const char *oracle_path, const char *prompt, const struct sim_gen *g, char **err);

/* ------------------------------------------------------------- container.c */

/* Wraps the payload in a minimal but real header of `format` describing the
 * tensors (sorts them by name for apr, as apr does). */
struct sim_file container_wrap(const char *format, const char *arch, struct sim_tensor *t, int n,
                               const char *payload);
/* The JSON payload of a file container_wrap wrote, or NULL when the bytes are
 * not such a file (or were cut before the payload). Points into data. */
const char *container_payload(const char *data, size_t len, size_t *payload_len);

/* ---------------------------------------------------------- personalities */

int apr_main(struct sim_ctx *ctx);
const char *apr_subcmd(int argc, char **argv);
int llama_main(struct sim_ctx *ctx);
/* tools/llama-probe: greedy tokens, prompt ids and per-step top-k as JSON (probe.c). */
int probe_main(struct sim_ctx *ctx);
int quantize_main(struct sim_ctx *ctx);
int convert_main(struct sim_ctx *ctx);

#endif
