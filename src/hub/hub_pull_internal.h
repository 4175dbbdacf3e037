/* Shared by hub_pull.c (repositories: listing, snapshot, refs) and hub_file.c (one file:
 * metadata, download, verification, blob). */
#ifndef TMGT_HUB_PULL_INTERNAL_H
#define TMGT_HUB_PULL_INTERNAL_H

#include "hub_progress.h"
#include "interrupt.h"
#include "hub_pull.h"
#include "hub_request.h"
#include "hub_verify.h"

typedef struct pull_ctx pull_ctx;
typedef struct pull_repo pull_repo;

typedef struct {
    hub_request req; /* first member: request callbacks cast back to the file */
    pull_repo *repo;
    void (*done)(pull_repo *repo); /* called once the file is published or has failed */
    char *name;
    char etag[DIGEST_HEX_LEN + 1];
    uint64_t size;
    char *incomplete; /* set while a download is in progress */
    int fd;
    hub_verifier *v;
    size_t line;         /* progress line, from pull_file_start on */
    const char *refused; /* why on_file_body stopped the transfer */
    char *error;
} pull_file;

struct pull_repo {
    hub_request req; /* the listing */
    pull_ctx *ctx;
    char *uri, *org, *name, *rev, *dir, *commit;
    strbuf listing;
    pull_file *files;
    size_t n_files, pending;
    char *error;
};

struct pull_ctx {
    uv_loop_t loop;
    hub_client *client;
    hub_http_conf conf;
    const hub_pull_opts *o;
    hub_pull_stats *st;
    hub_progress *progress;
    interrupt_watch signals;
    bool interrupted;
    char *endpoint, *token, *root;
};

/* Asks the Hub for the file's metadata, then downloads it unless its blob is cached; f->done
 * tells the repository when the file is through. */
void pull_file_start(pull_file *f);

#endif
