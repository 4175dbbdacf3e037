/* The Hub settings that huggingface_hub reads from the environment, read the same way. */
#ifndef TMGT_HUB_ENV_H
#define TMGT_HUB_ENV_H

#include <stdbool.h>

#include "env.h"

/* HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set to a true value. */
bool hub_offline(void);
/* HF_ENDPOINT without trailing slashes; the public Hub by default. */
char *hub_endpoint(void);
/* HF_TOKEN, else HUGGING_FACE_HUB_TOKEN, else the file HF_TOKEN_PATH ($HF_HOME/token); NULL if none. */
char *hub_token(void);
/* A positive number of seconds from `name`, else `fallback`. */
long hub_env_seconds(env_var name, long fallback);

#endif
