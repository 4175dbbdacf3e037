/* srun's stderr as a cluster prints it (slurm_report.c): any bytes, with any exit status of
 * srun, read as one job's end without a crash, and every reading keeps its promises: a signal
 * death only for exit 128 + a real signal, a reason that lies inside what srun printed, and a
 * stripped stderr that holds none of srun's or slurmstepd's lines. The input is a sample of
 * docs/slurm-samples/: a first line "exit N" (srun's exit status; anything else, or 0, reads
 * as 1: the runner reads srun's words only when it failed), then srun's stderr. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "slurm_report.h"
#include "util.h"

static void check_ending(const char *err, size_t len, int exit_code)
{
    slurm_ending e = slurm_read_ending(err, len, exit_code);
    switch (e.kind) {
    case SLURM_TASK_SIGNALED:
        if (e.signal < 1 || e.signal >= NSIG || exit_code != 128 + e.signal)
            abort();
        break;
    case SLURM_JOB_NOT_RUN:
        /* srun's own line (inside the text) or the fixed sentence, never one of the engine's */
        if (!e.why)
            abort();
        if (err && e.why >= err && e.why < err + len &&
            (e.why_len > len - (size_t)(e.why - err) || !slurm_is_own_line(e.why, e.why_len)))
            abort();
        if (memchr(e.why, '\n', e.why_len))
            abort();
        break;
    case SLURM_TASK_EXITED:
        break;
    default:
        abort();
    }
}

static void check_strip(char *err, size_t len)
{
    size_t n = slurm_strip_own_lines(err, len);
    if (n > len)
        abort();
    for (size_t pos = 0; pos < n;) {
        const char *eol = memchr(err + pos, '\n', n - pos);
        size_t line = eol ? (size_t)(eol - (err + pos)) : n - pos;
        if (slurm_is_own_line(err + pos, line))
            abort();
        pos += line + (eol != NULL);
    }
    if (slurm_strip_own_lines(err, n) != n) /* nothing left to strip */
        abort();
}

/* srun's exit status from the first line: 1..255 as a wait status gives it. */
static int exit_status(const uint8_t *data, size_t size, size_t *line_len)
{
    const uint8_t *eol = memchr(data, '\n', size);
    *line_len = eol ? (size_t)(eol - data) + 1 : size;
    int status = 0;
    if (*line_len > 5 && !memcmp(data, "exit ", 5))
        for (size_t i = 5; i < *line_len && data[i] >= '0' && data[i] <= '9'; i++)
            status = (status * 10 + (data[i] - '0')) % 256;
    return status ? status : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t first = 0;
    int exit_code = exit_status(data, size, &first);
    size_t len = size - first;
    char *err = xmalloc(len ? len : 1); /* exactly the bytes srun wrote: no terminator to lean on */
    memcpy(err, data + first, len);
    check_ending(len ? err : NULL, len, exit_code);
    check_strip(err, len);
    free(err);
    return 0;
}
