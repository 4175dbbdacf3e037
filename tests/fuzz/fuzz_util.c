#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "fs.h"
#include "util.h"

static char *g_scratch;
static FILE *g_null;

static void remove_scratch(void)
{
    remove_tree(g_scratch);
    free(g_scratch);
    if (g_null)
        fclose(g_null);
}

const char *fuzz_scratch_dir(void)
{
    if (g_scratch)
        return g_scratch;
    const char *tmp = getenv("TMPDIR");
    char *templ = xasprintf("%s/tmgt-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(templ)) {
        perror(templ);
        abort();
    }
    g_scratch = templ;
    atexit(remove_scratch);
    return g_scratch;
}

char *fuzz_cstring(const uint8_t *data, size_t size)
{
    return xstrndup((const char *)data, size);
}

char *fuzz_write_input(const char *name, const uint8_t *data, size_t size)
{
    char *path = path_join(fuzz_scratch_dir(), name);
    tmgt_error err = {{0}};
    if (write_file_atomic(path, data, size, 0644, &err) != 0) {
        fprintf(stderr, "fuzz: %s\n", err.msg);
        abort();
    }
    return path;
}

FILE *fuzz_null_stream(void)
{
    if (!g_null)
        g_null = fopen("/dev/null", "w");
    return g_null;
}
