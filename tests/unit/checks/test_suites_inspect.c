/* Inspection suites: inspect, tensors, tree, oracle-id, hex, debug — on current apr shapes and
 * on the shapes the original harness read. */
#include "suites_fixture.h"

/* ---- inspect ---- */

static void qwen_arch(cJSON *d)
{
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(d, "metadata"), "architecture",
                              cJSON_CreateString("qwen2"));
}
static void no_heads(cJSON *d)
{
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(d, "metadata"), "num_heads");
}
static void wrong_layers(cJSON *d)
{
    cJSON_AddNumberToObject(d, "num_layers", 29);
}
static void no_arch(cJSON *d)
{
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(d, "metadata"), "architecture");
}
static void string_dims(cJSON *d)
{
    cJSON *m = cJSON_GetObjectItem(d, "metadata");
    cJSON_ReplaceItemInObject(m, "vocab_size", cJSON_CreateString("49152"));
    cJSON_ReplaceItemInObject(m, "hidden_size", cJSON_CreateString("wide"));
}

static void test_inspect(void **state)
{
    world *w = *state;
    const char *n = "inspect/smollm-135m/int4";
    expect(on_fixture(w, "inspect", n, "apr-inspect.json", NULL), CHECK_PASS, "arch=llama, layers=30");
    expect(on(w, "inspect", n,
              "{\"architecture\": \"LlamaForCausalLM\", \"num_layers\": 30, \"num_heads\": 9, "
              "\"hidden_size\": 576,"
              " \"vocab_size\": 49152}"),
           CHECK_PASS, "arch=LlamaForCausalLM, layers=30");
    expect(on_fixture(w, "inspect", n, "apr-inspect.json", qwen_arch), CHECK_FAIL,
           "arch: expected llama, got qwen2");
    expect(on_fixture(w, "inspect", n, "apr-inspect.json", no_heads), CHECK_FAIL, "no \"num_heads\" field");
    expect(on_fixture(w, "inspect", n, "apr-inspect.json", wrong_layers), CHECK_FAIL,
           "num_layers: expected 30, got 29");
    expect(on_fixture(w, "inspect", n, "apr-inspect.json", no_arch), CHECK_FAIL,
           "inspect output has no \"architecture\" field");
    check_result r = on_fixture(w, "inspect", n, "apr-inspect.json", string_dims);
    assert_status(r, CHECK_FAIL, "hidden_size: not an integer");
    assert_null(strstr(r.detail, "vocab_size")); /* GGUF-style string values are read */
    check_result_free(&r);
    expect(on(w, "inspect", "inspect/gpt2-124m/int8",
              "{\"architecture\": \"gpt2\", \"metadata\": {\"num_layers\": 12,"
              " \"num_heads\": 12, \"hidden_size\": 768, \"vocab_size\": 50257}}"),
           CHECK_PASS, "arch=gpt2, layers=12");
    query_output q = q_status(ST_SKIPPED, "int4.apr was not produced");
    expect(judge(w, "inspect", n, &q), CHECK_SKIP, "int4.apr was not produced");
}

/* ---- tensors ---- */

static void no_tensors(cJSON *d)
{
    cJSON_ReplaceItemInObject(d, "tensors", cJSON_CreateArray());
}
static void drop_tensors(cJSON *d)
{
    cJSON_DeleteItemFromObject(d, "tensors");
}

static void test_tensors(void **state)
{
    world *w = *state;
    const char *n = "tensors/qwen2-0.5b/int8";
    expect(on_fixture(w, "tensors", n, "apr-tensors.json", NULL), CHECK_PASS, "3 tensors found");
    expect(on(w, "tensors", n, "[{\"name\": \"a\"}, {\"name\": \"b\"}]"), CHECK_PASS, "2 tensors found");
    expect(on_fixture(w, "tensors", n, "apr-tensors.json", no_tensors), CHECK_FAIL, "no tensors returned");
    expect(on_fixture(w, "tensors", n, "apr-tensors.json", drop_tensors), CHECK_FAIL,
           "tensors output has no \"tensors\" field");
    query_output q = q_exit(4, "", "error: Invalid APR format: bad magic\n");
    expect(judge(w, "tensors", n, &q), CHECK_FAIL, "apr tensors failed (exit 4): error: Invalid APR format");
}

/* ---- tree ---- */

static void drop_layer(cJSON *d)
{
    cJSON *layers = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "children"), 1);
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(layers, "children"), 29);
}

static void no_layers(cJSON *d)
{
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(d, "children"), 1);
}

static void test_tree(void **state)
{
    world *w = *state;
    const char *n = "tree/smollm-135m/int8";
    expect(on_fixture(w, "tree", n, "apr-tree.json", NULL), CHECK_PASS, "layers=30, tensors=62");
    expect(on_fixture(w, "tree", n, "legacy-tree.json", NULL), CHECK_PASS, "layers=30, tensors=272");
    expect(on_fixture(w, "tree", n, "apr-tree.json", drop_layer), CHECK_FAIL,
           "layer count mismatch: expected 30, got 29");
    expect(on_fixture(w, "tree", n, "apr-tree.json", no_layers), CHECK_FAIL,
           "tree output has no \"num_layers\" field and no layer nodes");
    /* GPT-2 names its blocks h.N. */
    strbuf gpt2;
    sb_init(&gpt2);
    sb_puts(&gpt2, "{\"name\": \"root\", \"type\": \"group\", \"children\": [");
    for (int i = 0; i < 12; i++)
        sb_printf(&gpt2,
                  "%s{\"name\": \"ln_1.weight\", \"path\": \"h.%d.ln_1.weight\", \"type\": \"tensor\"}",
                  i ? ", " : "", i);
    sb_puts(&gpt2, "]}");
    expect(on(w, "tree", "tree/gpt2-124m/int4", gpt2.buf), CHECK_PASS, "layers=12");
    sb_free(&gpt2);
    expect(on(w, "tree", "tree/gpt2-124m/int4", "{\"num_layers\": 11}"), CHECK_FAIL,
           "layer count mismatch: expected 12, got 11");
}

/* ---- oracle-id ---- */

static void family_qwen(cJSON *d)
{
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(d, "format"), "architecture", cJSON_CreateString("qwen2"));
}

static void no_architecture(cJSON *d)
{
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(d, "format"), "architecture");
    cJSON_DeleteItemFromObject(d, "family");
}

static void family_only(cJSON *d)
{
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(d, "format"), "architecture");
}

static void test_oracle_id(void **state)
{
    world *w = *state;
    const char *n = "oracle-id/smollm-135m/int4";
    expect(on_fixture(w, "oracle-id", n, "apr-oracle.json", NULL), CHECK_PASS,
           "arch=llama, params=134515008");
    expect(on_fixture(w, "oracle-id", n, "apr-oracle.json", family_only), CHECK_PASS, "arch=llama");
    expect(on_fixture(w, "oracle-id", n, "legacy-oracle.json", NULL), CHECK_PASS,
           "arch=LlamaForCausalLM, params=134515008");
    check_result r = on_fixture(w, "oracle-id", n, "apr-oracle.json", family_qwen);
    assert_status(r, CHECK_FAIL, "architecture mismatch: expected llama, got qwen2");
    assert_non_null(strstr(r.details, "full output: {\"source\":"));
    check_result_free(&r);
    expect(on_fixture(w, "oracle-id", n, "apr-oracle.json", no_architecture), CHECK_FAIL,
           "oracle output has no \"architecture\" field");
}

/* ---- hex ---- */

static void zero_std(cJSON *d)
{
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(cJSON_GetArrayItem(d, 0), "stats"), "std",
                              cJSON_CreateNumber(0));
}

static void no_stats(cJSON *d)
{
    cJSON_DeleteItemFromObject(cJSON_GetArrayItem(d, 0), "stats");
}

static void test_hex(void **state)
{
    world *w = *state;
    const char *n = "hex/smollm-135m/int4";
    char *good = fixture("apr-hex.json"), *legacy = fixture("legacy-hex.json");
    query_output q[2] = {q_ok(good), q_ok(good)};
    expect(judge(w, "hex", n, q), CHECK_PASS,
           "std=0.051200 (non-zero data) in model.layers.0.self_attn.q_proj.weight");
    q[0] = q_ok(legacy);
    expect(judge(w, "hex", n, q), CHECK_PASS, "std=0.051200 (non-zero data)");

    cJSON *doc = parsed_fixture("apr-hex.json");
    zero_std(doc);
    char *zero = printed(doc);
    q[0] = q_ok(zero);
    expect(judge(w, "hex", n, q), CHECK_FAIL, "std=0 (constant/zero tensor data)");
    doc = parsed_fixture("apr-hex.json");
    no_stats(doc);
    char *bare = printed(doc);
    q[0] = q_ok(bare);
    expect(judge(w, "hex", n, q), CHECK_FAIL, "hex output has no \"stats.std\" field");
    q[0] = q_ok("{\"std\": NaN}");
    expect(judge(w, "hex", n, q), CHECK_FAIL, "std=nan (NaN/Inf in tensor data)");
    q[0] = q_ok("[{\"name\": \"w\", \"stats\": {\"std\": inf}}]");
    expect(judge(w, "hex", n, q), CHECK_FAIL, "std=inf (NaN/Inf in tensor data) in w");

    /* The probe tensor is absent (GPT-2): the unfiltered dump stands in. */
    q[0] = q_exit(1, "", "error: No tensor matching 'layers.0.self_attn.q_proj.weight'\n");
    q[1] = q_ok(good);
    expect(judge(w, "hex", "hex/gpt2-124m/int8", q), CHECK_PASS, "(fallback: no tensor filter)");
    q[0] = q_ok("[]");
    expect(judge(w, "hex", "hex/gpt2-124m/int8", q), CHECK_PASS, "(fallback: no tensor filter)");
    q[1] = q_exit(2, "", "error: unexpected argument\n");
    expect(judge(w, "hex", "hex/gpt2-124m/int8", q), CHECK_FAIL, "hex output lists no tensors");
    q[0] = q_exit(1, "", "error: No tensor matching\n");
    expect(judge(w, "hex", "hex/gpt2-124m/int8", q), CHECK_FAIL,
           "apr hex failed (exit 1): error: No tensor matching");
    q[0] = q_status(ST_SKIPPED, "int8.apr was not produced");
    q[1] = q_status(ST_SKIPPED, "int8.apr was not produced");
    expect(judge(w, "hex", "hex/gpt2-124m/int8", q), CHECK_SKIP, "int8.apr was not produced");
    free(good);
    free(legacy);
    free(zero);
    free(bare);
}

/* ---- debug ---- */

static void sick(cJSON *d)
{
    cJSON_ReplaceItemInObject(d, "health", cJSON_CreateString("DEGRADED"));
}
static void no_health(cJSON *d)
{
    cJSON_DeleteItemFromObject(d, "health");
}
static void with_error(cJSON *d)
{
    no_health(d);
    cJSON_AddStringToObject(d, "error", "checksum mismatch");
}

static void test_debug(void **state)
{
    world *w = *state;
    const char *n = "debug/qwen2-0.5b/int4";
    expect(on_fixture(w, "debug", n, "apr-debug.json", NULL), CHECK_PASS, "health=OK");
    expect(on(w, "debug", n, "{\"status\": \"healthy\"}"), CHECK_PASS, "health=healthy");
    expect(on_fixture(w, "debug", n, "apr-debug.json", sick), CHECK_FAIL, "health=DEGRADED");
    expect(on_fixture(w, "debug", n, "apr-debug.json", with_error), CHECK_FAIL, "error: checksum mismatch");
    expect(on_fixture(w, "debug", n, "apr-debug.json", no_health), CHECK_FAIL,
           "debug output has no \"health\" field");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inspect),   cmocka_unit_test(test_tensors), cmocka_unit_test(test_tree),
        cmocka_unit_test(test_oracle_id), cmocka_unit_test(test_hex),     cmocka_unit_test(test_debug),
    };
    return cmocka_run_group_tests(tests, world_setup, world_teardown);
}
