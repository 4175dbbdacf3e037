/* A fast 64-bit checksum against damage at rest (a flipped bit, a torn page), not against an
 * adversary: SHA-256 at ~1.8 GB/s would cost a replayed run (run_memo.h) more than all its other
 * work on a large matrix. xxHash's XXH3 (Debian's libxxhash-dev), the field's reviewed choice.
 * Its values are persisted in run memos: MEMO_MAGIC names the function that made them. */
#ifndef TMGT_CHECKSUM_H
#define TMGT_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

uint64_t checksum64(const void *data, size_t len);

#endif
