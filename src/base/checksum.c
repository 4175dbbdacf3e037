#include "checksum.h"

#include <string.h>

static const uint64_t K1 = 0x9e3779b185ebca87ull, K2 = 0xc2b2ae3d27d4eb4full, K3 = 0x165667b19e3779f9ull;

static uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static uint64_t word(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w); /* unaligned, host order: the checksum never leaves this machine */
    return w;
}

static uint64_t lane(uint64_t acc, uint64_t w)
{
    return rotl(acc + w * K2, 31) * K1;
}

static uint64_t finish(uint64_t h)
{
    h ^= h >> 33;
    h *= K2;
    h ^= h >> 29;
    h *= K3;
    return h ^ (h >> 32);
}

uint64_t checksum64(const void *data, size_t len)
{
    const unsigned char *p = data, *end = p + len;
    uint64_t acc[4] = {K1 + K2, K2, 0, 0 - K1};
    for (; end - p >= 32; p += 32)
        for (int i = 0; i < 4; i++)
            acc[i] = lane(acc[i], word(p + 8 * i));
    uint64_t h = rotl(acc[0], 1) + rotl(acc[1], 7) + rotl(acc[2], 12) + rotl(acc[3], 18) + (uint64_t)len;
    for (; end - p >= 8; p += 8)
        h = rotl(h ^ lane(0, word(p)), 27) * K1 + K3;
    for (; p < end; p++)
        h = rotl(h ^ (*p * K3), 11) * K1;
    return finish(h);
}
