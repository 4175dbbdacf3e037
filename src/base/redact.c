#include "redact.h"

#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "util.h"

static const env_var SECRET_VARS[] = {ENV_HF_TOKEN, ENV_HUGGING_FACE_HUB_TOKEN};

static const char *find_bytes(const char *hay, size_t hay_len, const char *needle, size_t n)
{
    for (size_t i = 0; n <= hay_len && i <= hay_len - n; i++)
        if (hay[i] == needle[0] && !memcmp(hay + i, needle, n))
            return hay + i;
    return NULL;
}

static void replace_all(char **buf, size_t *len, const char *value, const char *name)
{
    size_t n = strlen(value);
    const char *hit = find_bytes(*buf, *len, value, n);
    if (!hit)
        return;
    strbuf sb;
    sb_init(&sb);
    const char *p = *buf, *end = *buf + *len;
    for (; hit; hit = find_bytes(p, (size_t)(end - p), value, n)) {
        sb_append(&sb, p, (size_t)(hit - p));
        sb_printf(&sb, "[%s]", name);
        p = hit + n;
    }
    sb_append(&sb, p, (size_t)(end - p));
    free(*buf);
    *len = sb.len;
    *buf = sb_detach(&sb);
}

void redact_secrets(char **buf, size_t *len)
{
    for (size_t i = 0; i < sizeof SECRET_VARS / sizeof *SECRET_VARS; i++) {
        const char *value = env_get(SECRET_VARS[i]);
        if (*buf && value && strlen(value) >= 8)
            replace_all(buf, len, value, env_name(SECRET_VARS[i]));
    }
}
