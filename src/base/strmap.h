/* String-keyed hash map (open addressing). Keys are copied; values are borrowed. */
#ifndef TMGT_STRMAP_H
#define TMGT_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char **keys;
    void **values;
    size_t cap, count;
} strmap;

void strmap_init(strmap *m);
void strmap_free(strmap *m); /* frees the keys, not the values */
void *strmap_get(const strmap *m, const char *key);
/* Returns the previous value, or NULL. */
void *strmap_put(strmap *m, const char *key, void *value);
/* The entry at or after *pos, in table order, advancing *pos past it; false after the last:
 *   for (size_t pos = 0; strmap_next(m, &pos, &key, &value);) */
bool strmap_next(const strmap *m, size_t *pos, const char **key, void **value);

#endif
