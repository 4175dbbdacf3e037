/* Files of the source tree (oracles, captured engine samples) read by unit tests, found through
 * TMGT_SOURCE_DIR as CTest sets it. Header-only: every tests/unit/<layer>/test_*.c file builds into its
 * own executable. Include after cmocka.h. */
#ifndef TMGT_TEST_SOURCE_FILES_H
#define TMGT_TEST_SOURCE_FILES_H

#include <stdlib.h>

#include "fs.h"
#include "json_lenient.h"
#include "util.h"

static inline const char *source_dir(void)
{
    const char *d = getenv("TMGT_SOURCE_DIR");
    return d && *d ? d : ".";
}

/* The file's content (NUL-terminated); fails the test when it cannot be read. */
static inline char *read_source_file(const char *rel, size_t *len)
{
    char *path = xasprintf("%s/%s", source_dir(), rel);
    char *data = NULL;
    size_t n = 0;
    tmgt_error err;
    if (read_file(path, &data, &n, &err) != 0)
        fail_msg("%s", err.msg);
    free(path);
    if (len)
        *len = n;
    return data;
}

/* An engine's captured stdout, read as tmgt reads engine output (json_parse_lenient). */
static inline cJSON *read_engine_json(const char *rel)
{
    size_t len;
    char *data = read_source_file(rel, &len);
    tmgt_error why = {{0}};
    cJSON *doc = json_parse_lenient(data, len, &why);
    if (!doc)
        fail_msg("%s: %s", rel, why.msg);
    free(data);
    return doc;
}

#endif
