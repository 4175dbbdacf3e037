#include "remote_cache_env.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "fs.h"
#include "util.h"

static bool is_token_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* "Name: value" with a header name of token characters and no control character after it. */
static bool is_header_line(const char *line)
{
    const char *p = line;
    while (is_token_char(*p))
        p++;
    if (p == line || *p != ':')
        return false;
    for (; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t')
            return false;
    return true;
}

static int parse_headers(remote_cache_conf *conf, const char *text, tmgt_error *err)
{
    char *copy = xstrdup(text);
    int rc = 0, line_no = 0;
    for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        if (!n)
            continue;
        if (!is_header_line(line)) {
            err_set(err, "TMGT_REMOTE_CACHE_HEADER: line %d is not a header (Name: value)", line_no);
            rc = -1;
            break;
        }
        conf->headers = xrealloc(conf->headers, (conf->n_headers + 1) * sizeof *conf->headers);
        conf->headers[conf->n_headers++] = xstrdup(line);
    }
    free(copy);
    return rc;
}

static int env_number(env_var var, long fallback, long min, long max, long *out, tmgt_error *err)
{
    const char *name = env_name(var), *v = env_get(var);
    if (!v || !*v) {
        *out = fallback;
        return 0;
    }
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (*end || n < min || n > max) {
        err_set(err, "%s=%s: expected a whole number from %ld to %ld", name, v, min, max);
        return -1;
    }
    *out = n;
    return 0;
}

static int env_readable_file(env_var var, char **out, tmgt_error *err)
{
    const char *name = env_name(var), *v = env_get(var);
    if (!v || !*v)
        return 0;
    if (access(v, R_OK) != 0 || path_is_dir(v)) {
        err_set(err, "%s=%s: not a readable file", name, v);
        return -1;
    }
    *out = xstrdup(v);
    return 0;
}

int remote_cache_conf_from_env(remote_cache_conf *conf, const char *url, tmgt_error *err)
{
    memset(conf, 0, sizeof *conf);
    conf->url = xstrdup(url);
    conf->backoff_ms = 200;
    long timeout = 0, retries = 0;
    const char *headers = env_get(ENV_TMGT_REMOTE_CACHE_HEADER);
    if ((headers && parse_headers(conf, headers, err) != 0) ||
        env_readable_file(ENV_TMGT_REMOTE_CACHE_CA, &conf->ca_file, err) != 0 ||
        env_readable_file(ENV_TMGT_REMOTE_CACHE_NETRC, &conf->netrc_file, err) != 0 ||
        env_number(ENV_TMGT_REMOTE_CACHE_TIMEOUT, 30, 1, 3600, &timeout, err) != 0 ||
        env_number(ENV_TMGT_REMOTE_CACHE_RETRIES, 2, 0, 10, &retries, err) != 0) {
        remote_cache_conf_free(conf);
        return -1;
    }
    conf->timeout_s = timeout;
    conf->max_attempts = (int)retries + 1;
    return 0;
}
