#include "checksum.h"

#include <xxhash.h>

uint64_t checksum64(const void *data, size_t len)
{
    return XXH3_64bits(data, len);
}
