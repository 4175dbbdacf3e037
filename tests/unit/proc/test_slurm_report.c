/* Reading srun's words, on the stderr a real cluster printed (docs/slurm-samples/, captured by
 * its capture.sh): each way a job ends is told apart, and srun's lines leave the engine's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "slurm_report.h"
#include "util.h"

typedef struct {
    char *data; /* the whole file */
    int exit_code;
    const char *err; /* srun's stderr: after the "exit N" line */
    size_t err_len;
} sample;

static sample load(const char *name)
{
    char *path = xasprintf("docs/slurm-samples/%s.txt", name);
    sample s = {0};
    size_t len = 0;
    tmgt_error err = {{0}};
    assert_int_equal(read_file(path, &s.data, &len, &err), 0);
    assert_int_equal(sscanf(s.data, "exit %d", &s.exit_code), 1);
    const char *eol = memchr(s.data, '\n', len);
    assert_non_null(eol);
    s.err = eol + 1;
    s.err_len = len - (size_t)(s.err - s.data);
    free(path);
    return s;
}

static slurm_ending ending_of(const sample *s)
{
    return slurm_read_ending(s->err, s->err_len, s->exit_code);
}

static void assert_signaled(const char *name, int sig, int exit_code)
{
    sample s = load(name);
    assert_int_equal(s.exit_code, exit_code);
    slurm_ending e = ending_of(&s);
    assert_int_equal(e.kind, SLURM_TASK_SIGNALED);
    assert_int_equal(e.signal, sig);
    free(s.data);
}

static void test_a_task_killed_by_a_signal_is_told_by_its_name(void **state)
{
    (void)state;
    assert_signaled("killed", SIGKILL, 137);
    assert_signaled("aborted", SIGABRT, 134);
    assert_signaled("segfault", SIGSEGV, 139);
    assert_signaled("time_limit", SIGTERM, 143); /* Slurm's own time limit */
}

static void test_the_engines_own_exit_137_is_an_exit_not_a_kill(void **state)
{
    (void)state;
    static const char *const exits[] = {"exit137", "failing"};
    for (size_t i = 0; i < sizeof exits / sizeof exits[0]; i++) {
        sample s = load(exits[i]);
        assert_int_equal(ending_of(&s).kind, SLURM_TASK_EXITED);
        free(s.data);
    }
}

static void test_a_job_srun_could_not_run_says_srun_s_last_line(void **state)
{
    (void)state;
    sample s = load("bad_partition");
    slurm_ending e = ending_of(&s);
    assert_int_equal(e.kind, SLURM_JOB_NOT_RUN);
    char *why = xstrndup(e.why, e.why_len);
    assert_string_equal(why, "srun: error: Unable to allocate resources: Invalid partition name specified");
    free(why);
    free(s.data);

    e = slurm_read_ending(NULL, 0, 1);
    assert_int_equal(e.kind, SLURM_JOB_NOT_RUN);
    assert_int_equal(e.why_len, strlen("srun exited without running the job"));
}

static void assert_stripped_to(const char *name, const char *engine_lines)
{
    sample s = load(name);
    char *err = xstrndup(s.err, s.err_len);
    size_t n = slurm_strip_own_lines(err, s.err_len);
    assert_int_equal(n, strlen(engine_lines));
    assert_memory_equal(err, engine_lines, n);
    free(err);
    free(s.data);
}

static void test_srun_s_and_slurmstepd_s_lines_leave_the_engine_s_stderr(void **state)
{
    (void)state;
    assert_stripped_to("killed", "loading\n");
    assert_stripped_to("terminated", "started\n"); /* slurmstepd-vm: error: *** STEP ... CANCELLED */
    assert_stripped_to("time_limit", "");
    assert_stripped_to("normal", "a warning of its own\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_task_killed_by_a_signal_is_told_by_its_name),
        cmocka_unit_test(test_the_engines_own_exit_137_is_an_exit_not_a_kill),
        cmocka_unit_test(test_a_job_srun_could_not_run_says_srun_s_last_line),
        cmocka_unit_test(test_srun_s_and_slurmstepd_s_lines_leave_the_engine_s_stderr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
