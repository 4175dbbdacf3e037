/* What a conversion really wrote: the header of a GGUF, APR v2 or safetensors file, read from
 * its first bytes (never the whole file) and checked against the format its name declares, so
 * that "produced int4.gguf" means a GGUF and not any file. The judge is a pure function of a byte
 * prefix (fuzzed by tests/fuzz/fuzz_format_header.c); format_header_read_file feeds it a file. */
#ifndef TMGT_FORMAT_HEADER_H
#define TMGT_FORMAT_HEADER_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    ARTEFACT_FORMAT_NONE, /* a name without a known extension: only its existence is checked */
    ARTEFACT_FORMAT_GGUF,
    ARTEFACT_FORMAT_APR,
    ARTEFACT_FORMAT_SAFETENSORS,
} artefact_format;

/* The format an artefact's name declares: .gguf, .apr, .safetensors (any case). */
artefact_format artefact_format_of(const char *name);

typedef enum { HEADER_OK, HEADER_BAD, HEADER_NEED_MORE } header_verdict;

typedef struct {
    header_verdict verdict;
    uint64_t need;  /* HEADER_NEED_MORE: judge again with this many leading bytes */
    char what[160]; /* OK: "GGUF v3, 272 tensors"; BAD: what was found instead (ASCII) */
} header_finding;

/* How many leading bytes a first call should pass: all that GGUF and APR need. */
#define FORMAT_HEADER_PREFIX 64

/* Judges the first `len` bytes of a file of `file_size` bytes (len <= file_size). Asks for more
 * (HEADER_NEED_MORE) only when the file has them: a safetensors JSON header, at most 100 MB. */
void format_header_judge(artefact_format f, const uint8_t *prefix, size_t len, uint64_t file_size,
                         header_finding *out);

/* Reads what the judge needs of the file at `path`; an unreadable file is HEADER_BAD. */
void format_header_read_file(artefact_format f, const char *path, header_finding *out);

#endif
