/* tmgt: argument parsing and dispatch only. */
#include <signal.h>
#include <string.h>

#include "cli.h"
#include "interrupt.h"

int main(int argc, char **argv)
{
    /* Past RLIMIT_FSIZE a write must fail with EFBIG (reported, nothing published), not kill
     * tmgt mid-publish. Engines get the default back: libuv resets dispositions in children. */
    signal(SIGXFSZ, SIG_IGN);
    cli_opts o;
    bool done = false;
    int rc = cli_parse(argc, argv, &o, &done);
    if (rc == 0 && !done) {
        /* report, ticket and cache work in place and publish atomically: Ctrl-C may kill them */
        if (strcmp(o.command, "report") && strcmp(o.command, "ticket") && strcmp(o.command, "cache"))
            interrupt_install();
        if (!strcmp(o.command, "cache"))
            rc = cmd_cache(&o);
        else if (!strcmp(o.command, "pull"))
            rc = cmd_pull(&o);
        else if (!strcmp(o.command, "bisect"))
            rc = cmd_bisect(&o);
        else if (!strcmp(o.command, "report") || !strcmp(o.command, "ticket"))
            rc = cmd_report(&o);
        else
            rc = cmd_run(&o);
    }
    if (interrupt_pending() && rc != EXIT_USAGE)
        rc = EXIT_INTERRUPTED;
    cli_free(&o);
    return rc;
}
