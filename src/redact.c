#include "redact.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const SECRET_VARS[] = { "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN" };

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

/* The credential of each "Name: value" line of `var`: the value's last word ("Bearer <token>",
 * "Basic <base64>", or a bare key). */
static void redact_header_credentials(char **buf, size_t *len, const char *var)
{
    const char *headers = getenv(var);
    if (!headers)
        return;
    char *copy = xstrdup(headers);
    for (char *save = NULL, *line = strtok_r(copy, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
        char *value = strchr(line, ':');
        size_t n = value ? strlen(value) : 0;
        while (n > 1 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
            value[--n] = '\0';
        const char *word = value ? value + n : NULL;
        while (word && word > value + 1 && word[-1] != ' ' && word[-1] != '\t')
            word--;
        if (*buf && word && strlen(word) >= 8)
            replace_all(buf, len, word, var);
    }
    free(copy);
}

void redact_secrets(char **buf, size_t *len)
{
    for (size_t i = 0; i < sizeof SECRET_VARS / sizeof *SECRET_VARS; i++) {
        const char *value = getenv(SECRET_VARS[i]);
        if (*buf && value && strlen(value) >= 8)
            replace_all(buf, len, value, SECRET_VARS[i]);
    }
    redact_header_credentials(buf, len, "TMGT_REMOTE_CACHE_HEADER");
}
