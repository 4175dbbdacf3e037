#include "status.h"

#include <stddef.h>
#include <string.h>

const char *action_status_name(action_status s)
{
    static const char *const names[] = {
        [ST_NONE] = "pending",
        [ST_OK] = "ok",
        [ST_EXIT] = "exit",
        [ST_TIMEOUT] = "timeout",
        [ST_SIGNAL] = "signal",
        [ST_SPAWN_ERROR] = "spawn-error",
        [ST_OUTPUT_LIMIT] = "output-limit",
        [ST_OUTPUT_MISSING] = "output-missing",
        [ST_OUTPUT_MALFORMED] = "output-malformed",
        [ST_SKIPPED] = "skipped",
        [ST_UNAVAILABLE] = "unavailable",
        [ST_INTERRUPTED] = "interrupted",
        [ST_CACHE_ERROR] = "cache-error",
        [ST_ENGINE_CHANGED] = "engine-changed",
    };
    return (size_t)s < sizeof names / sizeof *names && names[s] ? names[s] : "unknown";
}

bool action_status_is_failure(action_status s)
{
    return s != ST_OK && s != ST_NONE;
}

bool action_status_ran(action_status s)
{
    return s == ST_OK || s == ST_CACHE_ERROR;
}

bool action_status_not_run(action_status s)
{
    switch (s) {
    case ST_NONE:
    case ST_OUTPUT_MISSING:
    case ST_OUTPUT_MALFORMED:
    case ST_SKIPPED:
    case ST_UNAVAILABLE:
    case ST_INTERRUPTED:
    case ST_ENGINE_CHANGED:
        return true;
    case ST_OK:
    case ST_EXIT:
    case ST_TIMEOUT:
    case ST_SIGNAL:
    case ST_SPAWN_ERROR:
    case ST_OUTPUT_LIMIT:
    case ST_CACHE_ERROR:
        return false;
    }
    return true;
}

static const char *const check_words[CHECK_NSTATUS] = {
    [CHECK_PASS] = "PASS", [CHECK_FAIL] = "FAIL", [CHECK_TIMEOUT] = "TIMEOUT", [CHECK_SKIP] = "SKIP"};

const char *check_status_name(check_status s)
{
    return check_words[s];
}

check_status check_status_parse(const char *name)
{
    for (int s = 0; name && s < CHECK_NSTATUS; s++)
        if (strcmp(name, check_words[s]) == 0)
            return (check_status)s;
    return CHECK_FAIL;
}
