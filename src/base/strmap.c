#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

void strmap_init(strmap *m)
{
    memset(m, 0, sizeof *m);
}

void strmap_free(strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->values);
    strmap_init(m);
}

static size_t slot_of(const strmap *m, const char *key)
{
    size_t i = (size_t)fnv1a(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

void *strmap_get(const strmap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    size_t i = slot_of(m, key);
    return m->keys[i] ? m->values[i] : NULL;
}

static void grow(strmap *m)
{
    strmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->keys = xcalloc(m->cap, sizeof *m->keys);
    m->values = xcalloc(m->cap, sizeof *m->values);
    m->count = 0;
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.keys[i])
            continue;
        size_t j = slot_of(m, old.keys[i]);
        m->keys[j] = old.keys[i];
        m->values[j] = old.values[i];
        m->count++;
    }
    free(old.keys);
    free(old.values);
}

void *strmap_put(strmap *m, const char *key, void *value)
{
    if ((m->count + 1) * 4 > m->cap * 3)
        grow(m);
    size_t i = slot_of(m, key);
    if (m->keys[i]) {
        void *prev = m->values[i];
        m->values[i] = value;
        return prev;
    }
    m->keys[i] = xstrdup(key);
    m->values[i] = value;
    m->count++;
    return NULL;
}

bool strmap_next(const strmap *m, size_t *pos, const char **key, void **value)
{
    for (; *pos < m->cap; ++*pos)
        if (m->keys[*pos]) {
            *key = m->keys[*pos];
            *value = m->values[*pos];
            ++*pos;
            return true;
        }
    return false;
}
