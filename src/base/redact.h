/* Secrets from tmgt's environment that an engine may echo back (a Hub token in a "401 for
 * hf_..." message): replaced before the output is judged, cached or quoted anywhere. */
#ifndef TMGT_REDACT_H
#define TMGT_REDACT_H

#include <stddef.h>

/* Replaces every occurrence of a secret's value in buf[0..*len) by "[NAME]"; *buf may be
 * reallocated. Values shorter than 8 bytes are left alone (they would match ordinary text). */
void redact_secrets(char **buf, size_t *len);

#endif
