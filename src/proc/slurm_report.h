/* Reading srun's words: how a job ended, as srun's stderr and exit status tell it, and the
 * engine's stderr without srun's and slurmstepd's lines. Text only (no process, no file), so
 * what a cluster prints can be fuzzed (tests/fuzz/fuzz_slurm_report.c); runner_slurm.c applies it.
 *
 * srun reports a task's death by signal N as exit 128 + N, with "task 0: <signal name>" on
 * stderr; an engine's own exit 137 reads "task 0: Exited with exit code 137". The stderr line
 * is what tells them apart. No "task 0:" line at all means the job never ran (a refused
 * partition, a failed allocation): srun's last line says why. */
#ifndef TMGT_SLURM_REPORT_H
#define TMGT_SLURM_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "runner.h"

typedef enum {
    SLURM_TASK_EXITED,   /* the engine's own exit status, as srun passed it on */
    SLURM_TASK_SIGNALED, /* task 0 died of `signal` */
    SLURM_JOB_NOT_RUN,   /* srun gave up before the task ran: `why` */
} slurm_ending_kind;

typedef struct {
    slurm_ending_kind kind;
    int signal;      /* SLURM_TASK_SIGNALED: 1 .. NSIG-1, and srun's exit was 128 + signal */
    const char *why; /* SLURM_JOB_NOT_RUN: srun's last line (inside the text read) or a fixed */
    size_t why_len;  /* sentence; not NUL-terminated */
} slurm_ending;

/* How a job that srun ended with `exit_code` (not 0) ended, from srun's stderr (len bytes, any
 * content; NULL when there was none). */
slurm_ending slurm_read_ending(const char *err, size_t len, int exit_code);

/* Whether a stderr line (without its newline) is srun's or slurmstepd's. */
bool slurm_is_own_line(const char *line, size_t n);

/* What a stderr line of srun's says of the job's allocation, as a step's timeout clock reads it
 * (printed unless --quiet): "srun: job N queued and waiting for resources" stops the clock,
 * "srun: job N has been allocated resources" starts it again; any other line keeps it. */
run_clock slurm_allocation_clock(const char *line, size_t n);

/* Removes srun's and slurmstepd's lines from err (len bytes) in place; returns the new length. */
size_t slurm_strip_own_lines(char *err, size_t len);

#endif
