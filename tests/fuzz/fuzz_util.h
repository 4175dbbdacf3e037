/* What every fuzz target needs: the input as a C string, or as a file in a private scratch
 * directory (for parsers that take a path). */
#ifndef TMGT_FUZZ_UTIL_H
#define TMGT_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input (embedded NULs end it early, as they would in argv). */
char *fuzz_cstring(const uint8_t *data, size_t size);
/* This process's scratch directory, created on first use and removed at exit. */
const char *fuzz_scratch_dir(void);
/* Replaces the file at path with the input (aborts when it cannot). */
void fuzz_write_file(const char *path, const uint8_t *data, size_t size);
/* Writes the input to <scratch>/<name> and returns that path (owned by the caller). */
char *fuzz_write_input(const char *name, const uint8_t *data, size_t size);
/* A FILE that discards what a renderer writes. */
FILE *fuzz_null_stream(void);

#endif
