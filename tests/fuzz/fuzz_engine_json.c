/* Engine stdout is whatever a buggy engine prints: the lenient JSON reader, the reader of its
 * logprobs and the helpers that quote it in messages must survive any bytes. */
#include <stdlib.h>

#include "compare.h"
#include "engine_logprobs.h"
#include "fuzz_util.h"
#include "json_lenient.h"
#include "json_read.h"
#include "text.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    tmgt_error error;
    cJSON *doc = json_parse_lenient(text, size, &error);
    if (doc) {
        long *ids = NULL;
        size_t n = 0;
        const char *const keys[] = {"tokens", "items", NULL};
        if (json_int_list(json_first_list(doc, keys), &ids, &n)) {
            engine_logprobs lp;
            if (engine_logprobs_read(cJSON_GetObjectItemCaseSensitive(doc, "logprobs"), ids, n, &lp,
                                     &error) == 0)
                engine_logprobs_free(&lp);
            free(ids);
        }
        double v;
        json_number(cJSON_GetObjectItemCaseSensitive(doc, "perplexity"), &v);
    }
    cJSON_Delete(doc);
    free(text_one_line(text, size, 200));
    free(utf8_sanitize(text, size, NULL));
    size_t half = size / 2, stripped = 0;
    text_strip(text, half, &stripped);
    count_char_mismatches(text, half, text + half, size - half);
    first_char_divergence(text, half, text + half, size - half);
    return 0;
}
