/* The Hub's repository listing (GET /api/models/ORG/NAME/revision/REV): the commit it resolves
 * to and the files a conversion needs. Pure parsing, so it can be fuzzed. */
#ifndef TMGT_HUB_LISTING_H
#define TMGT_HUB_LISTING_H

#include <stddef.h>

#include "util.h"

/* Sets *commit and appends the wanted top-level file names to *names / *n and returns 0, or
 * returns -1 with *err saying why the answer is refused (a name that could leave the snapshot
 * directory condemns the whole answer); on refusal the names collected so far are still the
 * caller's to free. */
int hub_listing_parse(const char *json, size_t len, char **commit, char ***names, size_t *n, tmgt_error *err);

#endif
