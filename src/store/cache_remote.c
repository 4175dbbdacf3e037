#include "cache_remote.h"

#include "cache_internal.h"
#include "remote_cache_env.h"
#include "store_remote.h"

int cache_use_remote(cache *c, const char *url, bool upload, tmgt_error *err)
{
    remote_cache_conf conf;
    if (remote_cache_conf_from_env(&conf, url, err) != 0)
        return -1;
    remote_cache *rc = remote_cache_open(&conf, err);
    remote_cache_conf_free(&conf);
    if (!rc)
        return -1;
    c->st = store_remote_open(c->st, rc, c->tmp, upload);
    return 0;
}

bool cache_remote_usable(cache *c)
{
    remote_cache *rc = store_remote_cache(c->st);
    return rc && !remote_cache_is_down(rc);
}
