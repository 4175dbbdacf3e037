#define _GNU_SOURCE /* strsignal, memmem */
#include "slurm_report.h"

#include <signal.h>
#include <string.h>

/* The line at *pos (without its newline), *pos moved past it; false at the end. */
static bool next_line(const char *buf, size_t len, size_t *pos, const char **line, size_t *n)
{
    if (!buf || *pos >= len)
        return false;
    *line = buf + *pos;
    const char *eol = memchr(*line, '\n', len - *pos);
    *n = eol ? (size_t)(eol - *line) : len - *pos;
    *pos += *n + (eol != NULL);
    return true;
}

bool slurm_is_own_line(const char *line, size_t n)
{
    return (n >= 6 && !strncmp(line, "srun: ", 6)) || (n >= 10 && !strncmp(line, "slurmstepd", 10));
}

/* A srun line that says how task 0 ended, e.g. "srun: error: node1: task 0: Killed": the
 * text after "task 0: ", or NULL when srun said nothing of the task. */
static const char *task_report(const char *err, size_t len, size_t *report_len)
{
    static const char marker[] = ": task 0: ";
    const char *line;
    size_t n;
    for (size_t pos = 0; next_line(err, len, &pos, &line, &n);) {
        const char *m =
            n >= 6 && !strncmp(line, "srun: ", 6) ? memmem(line, n, marker, sizeof marker - 1) : NULL;
        if (m) {
            *report_len = n - (size_t)(m + sizeof marker - 1 - line);
            return m + sizeof marker - 1;
        }
    }
    return NULL;
}

/* The last line srun printed: why it could not run the job. */
static slurm_ending not_run(const char *err, size_t len)
{
    static const char fallback[] = "srun exited without running the job";
    slurm_ending e = {.kind = SLURM_JOB_NOT_RUN, .why = fallback, .why_len = sizeof fallback - 1};
    const char *line;
    size_t n;
    for (size_t pos = 0; next_line(err, len, &pos, &line, &n);)
        if (slurm_is_own_line(line, n)) {
            e.why = line;
            e.why_len = n;
        }
    return e;
}

slurm_ending slurm_read_ending(const char *err, size_t len, int exit_code)
{
    size_t report_len = 0;
    const char *report = task_report(err, len, &report_len);
    if (!report)
        return not_run(err, len);
    slurm_ending e = {.kind = SLURM_TASK_EXITED};
    int sig = exit_code - 128;
    const char *name = sig > 0 && sig < NSIG ? strsignal(sig) : NULL;
    size_t name_len = name ? strlen(name) : 0;
    if (name && report_len >= name_len && !strncmp(report, name, name_len) &&
        (report_len == name_len || report[name_len] == ' ')) { /* " (core dumped)" may follow */
        e.kind = SLURM_TASK_SIGNALED;
        e.signal = sig;
    }
    return e;
}

size_t slurm_strip_own_lines(char *err, size_t len)
{
    size_t w = 0, n;
    const char *line;
    for (size_t pos = 0, from = 0; next_line(err, len, &pos, &line, &n); from = pos) {
        if (!slurm_is_own_line(line, n)) {
            memmove(err + w, line, pos - from);
            w += pos - from;
        }
    }
    return w;
}

static bool ends_with(const char *line, size_t n, const char *tail)
{
    size_t t = strlen(tail);
    return n >= t && !memcmp(line + n - t, tail, t);
}

run_clock slurm_allocation_clock(const char *line, size_t n)
{
    if (n < 11 || strncmp(line, "srun: job ", 10) != 0)
        return RUN_CLOCK_KEEP;
    if (ends_with(line, n, " queued and waiting for resources"))
        return RUN_CLOCK_STOP;
    if (ends_with(line, n, " has been allocated resources"))
        return RUN_CLOCK_START;
    return RUN_CLOCK_KEEP;
}
