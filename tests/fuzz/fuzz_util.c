#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    /* in memory where there is a tmpfs: a cache's end-of-run syncfs, which some targets make
     * once per input, then waits on nothing but that (on a shared disk, 25 ms an input) */
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
    char *templ = xasprintf("%s/tmgt-fuzz-XXXXXX", tmp);
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

void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    tmgt_error err = {{0}};
    /* not durable: a scratch input needs no fsync, and the two per file (file and directory)
     * kept the targets that read files waiting on the disk most of their time */
    if (write_file_replace(path, data, size, 0644, false, &err) != 0) {
        fprintf(stderr, "fuzz: %s\n", err.msg);
        abort();
    }
}

char *fuzz_write_input(const char *name, const uint8_t *data, size_t size)
{
    char *path = path_join(fuzz_scratch_dir(), name);
    fuzz_write_file(path, data, size);
    return path;
}

FILE *fuzz_null_stream(void)
{
    if (!g_null)
        g_null = fopen("/dev/null", "w");
    return g_null;
}
