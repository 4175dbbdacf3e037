/* IEEE CRC32 (polynomial 0xEDB88320, the zlib/PNG one): the APR v2 container checksums its header
 * with it. Shared by the header reader and the engine simulator that writes such headers. */
#ifndef TMGT_CRC32_H
#define TMGT_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues a running checksum: start with crc32_update(0, ...) and feed the pieces in order. */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);

#endif
