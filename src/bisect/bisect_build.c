#include "bisect_build.h"

#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "fs.h"
#include "util.h"

/* The log is kept in memory, to this size. */
#define BUILD_OUTPUT_LIMIT (64u << 20)

static void write_log(const char *path, const run_result *res)
{
    strbuf sb;
    sb_init(&sb);
    sb_append(&sb, res->out ? res->out : "", res->out_len);
    sb_append(&sb, res->err ? res->err : "", res->err_len);
    if (res->error[0])
        sb_printf(&sb, "%s\n", res->error);
    write_file_atomic(path, sb.buf ? sb.buf : "", sb.len, 0644, NULL);
    sb_free(&sb);
}

static char *failure_reason(const run_result *res)
{
    switch (res->outcome) {
    case RUN_EXITED:
        return xasprintf("exit %d", res->exit_code);
    case RUN_SIGNALED:
        return xasprintf("killed by signal %d", res->term_signal);
    case RUN_OUTPUT_LIMIT:
        return xasprintf("printed more than %u bytes", BUILD_OUTPUT_LIMIT);
    case RUN_SPAWN_FAILED:
        return xstrdup(res->error);
    case RUN_TIMED_OUT:
    case RUN_CANCELLED:
        break;
    }
    return xstrdup("interrupted");
}

void bisect_build(const char *command, const char *dir, const char *log_path, build_outcome *out)
{
    memset(out, 0, sizeof *out);
    char *argv[] = {"/bin/sh", "-c", (char *)command, NULL};
    capture_request req = {.argv = argv,
                           .cwd = dir,
                           .cap = BUILD_OUTPUT_LIMIT,
                           .kill_grace_ms = 2000,
                           .stop_on_interrupt = true};
    run_result *res = capture_run(&req);
    write_log(log_path, res);
    out->wall_ms = res->wall_ms;
    out->interrupted = res->outcome == RUN_CANCELLED;
    out->ok = res->outcome == RUN_EXITED && res->exit_code == 0;
    if (!out->ok)
        out->reason = failure_reason(res);
    run_result_free(res);
}

void build_outcome_free(build_outcome *out)
{
    free(out->reason);
    out->reason = NULL;
}
