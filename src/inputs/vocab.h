/* A model's vocabulary, read from the HuggingFace `tokenizer.json` beside its weights, so a token
 * divergence can say which text each id stands for. Decoding one token, not a whole sequence. */
#ifndef TMGT_VOCAB_H
#define TMGT_VOCAB_H

typedef struct vocab vocab;

/* NULL when the directory has no readable tokenizer.json with a vocabulary. */
vocab *vocab_load(const char *model_dir);
/* The UTF-8 text of token `id` (invalid bytes of a partial character become U+FFFD), or NULL
 * when the id is not in the vocabulary. The caller frees it. */
char *vocab_decode(const vocab *v, long id);
void vocab_free(vocab *v);

#endif
