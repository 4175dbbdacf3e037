/* The header judge as a command, for the differential check against gguf-py and the safetensors
 * package (differential_headers.py): for each FILE, in order, one line
 *     FILE <TAB> OK|BAD <TAB> what the judge found
 * judged as the format its name declares, exactly as a conversion check reads an artefact. */
#include <stdio.h>

#include "format_header.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: format_header_probe FILE...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        header_finding h;
        format_header_read_file(artefact_format_of(argv[i]), argv[i], &h);
        printf("%s\t%s\t%s\n", argv[i], h.verdict == HEADER_OK ? "OK" : "BAD", h.what);
    }
    return 0;
}
