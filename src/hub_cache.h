/* Reading the standard HuggingFace Hub cache (models--ORG--NAME/{refs,snapshots}), so a model
 * that transformers, apr or `tmgt pull` already downloaded is used where it lies. */
#ifndef TMGT_HUB_CACHE_H
#define TMGT_HUB_CACHE_H

/* The Hub cache root: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
char *hub_cache_root(void);
/* Parses hf://ORG/NAME[@REV]; returns 0 and malloc'd parts (rev defaults to "main"). Names
 * that could escape a directory (.., /, leading dots) are refused. */
int hub_parse_uri(const char *uri, char **org, char **name, char **rev);
/* The snapshot directory of a cached repository revision, or NULL with *why set. */
char *hub_cache_snapshot(const char *uri, char **why);

#endif
