/* Conversion outputs are whatever an engine wrote: the header judge must answer on any bytes, ask
 * only for bytes the file has, and say what it found in ASCII. The first input byte picks the
 * format, the second how much longer than the input the file claims to be; the rest is the file. */
#include <stdlib.h>

#include "format_header.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const artefact_format formats[] = {ARTEFACT_FORMAT_GGUF, ARTEFACT_FORMAT_APR,
                                              ARTEFACT_FORMAT_SAFETENSORS};
    artefact_format f = formats[data[0] % 3];
    uint64_t beyond = data[1] ? 1ull << (data[1] % 48) : 0;
    const uint8_t *file = data + 2;
    size_t len = size - 2;
    for (size_t given = len < FORMAT_HEADER_PREFIX ? len : FORMAT_HEADER_PREFIX;;) {
        header_finding h;
        format_header_judge(f, file, given, len + beyond, &h);
        if (h.verdict != HEADER_NEED_MORE) {
            for (const char *p = h.what; *p; p++)
                if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
                    abort();
            if (!h.what[0])
                abort();
            break;
        }
        if (h.need <= given || h.need > len + beyond)
            abort();
        if (h.need > len)
            break; /* the rest of the file lies beyond the input */
        given = (size_t)h.need;
    }
    return 0;
}
