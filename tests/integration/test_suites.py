"""Every suite on the engine simulator: the documented checks, and for each suite the simulator
making it PASS, FAIL for the right reason, and SKIP."""
import collections
import json
import re
import shutil

import pytest

from conftest import ROOT

# The original harness (docs/DESIGN.md): checks per suite for the three models, and the shape of their names.
SLUG = r"(smollm-135m|qwen2-0\.5b|gpt2-124m)"
PROMPT = r"(arithmetic|code|completion|greeting)"
QUANT = r"(int4|int8)"
DOCUMENTED = {
    "canary": (12, rf"canary/{SLUG}/{PROMPT}"),
    "token": (24, rf"token-parity/{SLUG}/{QUANT}/{PROMPT}"),
    "drift": (12, rf"quant-drift/{SLUG}/{PROMPT}"),
    "roundtrip": (6, rf"roundtrip/{SLUG}/(completion|arithmetic)"),
    "ppl": (9, rf"(ppl/{SLUG}/{QUANT}|ppl-drift/{SLUG})"),
    "inspect": (6, rf"inspect/{SLUG}/{QUANT}"),
    "validate": (6, rf"validate/{SLUG}/{QUANT}"),
    "tensors": (6, rf"tensors/{SLUG}/{QUANT}"),
    "lint": (6, rf"lint/{SLUG}/{QUANT}"),
    "selftest": (6, rf"selftest/{SLUG}/{QUANT}"),
    "diff": (3, rf"diff/{SLUG}"),
    "tree": (6, rf"tree/{SLUG}/{QUANT}"),
    "oracle-id": (6, rf"oracle-id/{SLUG}/{QUANT}"),
    "hex": (6, rf"hex/{SLUG}/{QUANT}"),
    "debug": (6, rf"debug/{SLUG}/{QUANT}"),
    "bench": (6, rf"bench/{SLUG}/{QUANT}"),
    "qa": (6, rf"qa/{SLUG}/{QUANT}"),
    "list": (1, r"list/global"),
    "rosetta-diff": (3, rf"rosetta-diff/{SLUG}"),
    "parity-gpu": (3, rf"parity-gpu/{SLUG}"),
    "llamacpp-text": (24, rf"llamacpp-text/{SLUG}/(q8_0|q4_0)/{PROMPT}"),
    "cross-runtime": (12, rf"cross-runtime/{SLUG}/{PROMPT}"),
}
# The suites that read the oracle's margins: one check per prompt and artefact apr runs
# (3), or llama.cpp's GGUF that tools/llama-probe runs (3).
RUN_ARTIFACT = r"(int4\.apr|int8\.apr|q8_0\.gguf|(f16|q8_0|q4_0)\.gguf@llama\.cpp)"
MARGINS = {
    "prompt-tokens": (72, rf"prompt-tokens/{SLUG}/{RUN_ARTIFACT}/{PROMPT}"),
    "logit-parity": (72, rf"logit-parity/{SLUG}/{RUN_ARTIFACT}/{PROMPT}"),
}


def alter(rule, indices):
    return rule + ",".join(f"alter-token:{i}" for i in indices)


# suite -> (simulator faults, one check that must FAIL, the reason its detail must give)
FAILS = {
    "canary": ("run@int8=alter-token:3", "canary/smollm-135m/code", "text mismatch"),
    "token": (alter("run@int4=", range(6)), "token-parity/smollm-135m/int4/greeting",
              "6 mismatches exceeds threshold 5"),
    "drift": (alter("run@int8=", range(2)), "quant-drift/smollm-135m/completion", "int8 (2) > int4 (0) + 1"),
    "roundtrip": ("run@roundtrip=alter-token:2", "roundtrip/smollm-135m/completion",
                  "1 token mismatches after APR→GGUF→APR roundtrip"),
    "ppl": ("eval@int4=set:perplexity=99.5", "ppl/smollm-135m/int4", "PPL=99.50 exceeds ceiling 20.0"),
    "inspect": ("inspect@int8=set:num_layers=7", "inspect/smollm-135m/int8", "num_layers: expected 30, got 7"),
    "validate": ('validate=set:checks.0.status="FAIL"', "validate/smollm-135m/int4",
                 "1 validation failures: Magic bytes"),
    "tensors": ("tensors=set:tensors=[]", "tensors/smollm-135m/int8", "no tensors returned"),
    "lint": ('lint=set:issues.0.severity="critical"', "lint/smollm-135m/int4", "1 critical violations"),
    "selftest": ("check=" + ",".join(f'set:stages.{i}.status="FAIL"' for i in range(4)),
                 "selftest/smollm-135m/int8", "only 6/10 stages passed (need 7)"),
    "diff": ('diff=set:differences.0.type="metadata"', "diff/smollm-135m", "1 structural diffs (not just dtype)"),
    "tree": ("tree=set:num_layers=3", "tree/smollm-135m/int4", "layer count mismatch: expected 30, got 3"),
    "oracle-id": ('oracle=set:format.architecture="bert"', "oracle-id/smollm-135m/int8",
                  "architecture mismatch: expected llama, got bert"),
    "hex": ("hex=set:stats.std=0", "hex/smollm-135m/int4", "std=0 (constant/zero tensor data)"),
    "debug": ('debug=set:health="CORRUPT"', "debug/smollm-135m/int4", "health=CORRUPT"),
    "bench": ("bench=set:tokens_per_second=0", "bench/smollm-135m/int8", "throughput=0.0 tok/s (expected > 0)"),
    "qa": ("qa=set:gates=[]", "qa/smollm-135m/int4", "only 0 gates executed (need ≥3)"),
    "list": ("list=badjson", "list/global", "apr list returned invalid JSON"),
    "rosetta-diff": ('rosetta=set:mismatches=["q_proj transposed"]', "rosetta-diff/smollm-135m",
                     "1 layout mismatches"),
    "parity-gpu": ("parity=alter-token:3", "parity-gpu/smollm-135m", "GPU/CPU parity mismatch (1 tokens)"),
    "llamacpp-text": (alter("llama@q4_0=", range(5, 11)), "llamacpp-text/smollm-135m/q4_0/code",
                      "6 char mismatches exceeds threshold 5"),
    "cross-runtime": ("llama@q8_0=alter-token:3", "cross-runtime/smollm-135m/greeting", "text mismatch"),
}

# The simulator has a GPU only when asked; tmgt believes in one only when told.
WITH_GPU = {"APR_SIM_GPU": 1, "TMGT_GPU": 1}


def run_suite(tmgt, suite, **env):
    # the faults are not part of any action key: a run with them must not read the clean run's cache
    fresh = ["--no-cache"] if "APR_SIM_FAULTS" in env else []
    return tmgt.run("--model", "smollm-135m", "--check", suite, "-j2", *fresh, env=tmgt.env(**env))


def by_suite(results, status=None):
    counts = collections.Counter(c["suite"] for c in results["checks"]
                                 if status is None or c["status"] == status)
    counts.pop("convert", None)
    return dict(counts)


def test_full_matrix_has_the_documented_checks_and_names(tmgt):
    r = tmgt.run("-j2", env=tmgt.env(**WITH_GPU))
    assert r.rc == 0, r.err
    assert by_suite(r.results) == {s: n for s, (n, _) in {**DOCUMENTED, **MARGINS}.items()}
    assert sum(n for n, _ in DOCUMENTED.values()) == 175
    for c in r.results["checks"]:
        if c["suite"] != "convert":
            assert re.fullmatch({**DOCUMENTED, **MARGINS}[c["suite"]][1], c["name"]), c["name"]
    # the simulator's oracles are the seed's, without prompt ids: nothing to compare, never a failure
    assert by_suite(r.results, "SKIP") == {"prompt-tokens": 72}
    assert by_suite(r.results, "PASS") == {s: n for s, (n, _) in {**DOCUMENTED, **MARGINS}.items()
                                           if s != "prompt-tokens"}


def test_the_suites_match_the_help_text(tmgt):
    r = tmgt.run("--help")
    listed = r.out.split("Suites (--check NAME, or the result name in parentheses):")[1]
    names = re.findall(r"([\w-]+)(?: \(([\w-]+)\))?,?", listed)
    assert sorted(key for key, _ in names) == sorted([*DOCUMENTED, *MARGINS, "convert", "all"])
    assert dict(names)["token"] == "token-parity" and dict(names)["drift"] == "quant-drift"
    assert all(label == "" for key, label in names if key not in ("token", "drift"))


@pytest.mark.parametrize("suite", list(FAILS))
def test_each_suite_passes_and_fails_for_the_right_reason(tmgt, suite):
    clean = run_suite(tmgt, suite, **WITH_GPU)
    assert clean.rc == 0, clean.err
    assert set(by_suite(clean.results, "PASS")) == {suite}
    assert by_suite(clean.results, "FAIL") == {} and by_suite(clean.results, "SKIP") == {}

    faults, name, reason = FAILS[suite]
    broken = run_suite(tmgt, suite, APR_SIM_FAULTS=faults, **WITH_GPU)
    assert broken.rc == 1
    check = broken.check(name)
    assert check["status"] == "FAIL" and reason in check["detail"], check


def test_parity_gpu_skips_without_a_gpu_instead_of_passing(tmgt):
    # tmgt knows there is no GPU: it does not even trust the engine's answer
    r = run_suite(tmgt, "parity-gpu", TMGT_GPU=0)
    assert r.rc == 0
    assert r.check("parity-gpu/smollm-135m")["status"] == "SKIP"
    assert "no GPU" in r.check("parity-gpu/smollm-135m")["detail"]
    # tmgt was told of a GPU but the engine cannot reach one: still a SKIP, with apr's words
    r = run_suite(tmgt, "parity-gpu", TMGT_GPU=1)
    check = r.check("parity-gpu/smollm-135m")
    assert check["status"] == "SKIP" and "CUDA not available: no GPU" in check["detail"], check


def test_missing_engine_skips_its_checks_naming_it(tmgt, tmp_path):
    pipeline = json.loads(tmgt.pipeline.read_text())
    pipeline["engines"]["llama-completion"]["binary"] = str(tmp_path / "no-such-llama")
    path = tmp_path / "no-llama.json"
    path.write_text(json.dumps(pipeline))
    r = tmgt.run("--model", "smollm-135m", "--check", "llamacpp-text", "--check", "canary", pipeline=path)
    assert r.rc == 0, r.err
    skipped = [c for c in r.results["checks"] if c["suite"] == "llamacpp-text"]
    assert len(skipped) == 8
    assert all(c["status"] == "SKIP" and "llama-completion" in c["detail"] for c in skipped), skipped
    assert by_suite(r.results, "PASS") == {"canary": 4}


def test_missing_model_source_skips_its_checks_naming_it(tmgt, tmp_path):
    pipeline = json.loads(tmgt.pipeline.read_text())
    missing = tmp_path / "gone" / "qwen2"
    pipeline["models"][1]["source"] = str(missing)
    path = tmp_path / "no-qwen.json"
    path.write_text(json.dumps(pipeline))
    r = tmgt.run("--check", "token", "--check", "inspect", "-j2", pipeline=path)
    assert r.rc == 0, r.err
    qwen = [c for c in r.results["checks"] if c["model"] == "qwen2-0.5b" and c["suite"] != "convert"]
    assert len(qwen) == 8 + 2
    assert all(c["status"] == "SKIP" and str(missing) in c["detail"] for c in qwen), qwen
    others = [c for c in r.results["checks"] if c["model"] != "qwen2-0.5b" and c["suite"] != "convert"]
    assert len(others) == 2 * 10 and all(c["status"] == "PASS" for c in others)


def test_failed_conversion_skips_its_dependents_with_the_reason(tmgt):
    r = run_suite(tmgt, "roundtrip", APR_SIM_FAULTS="import@int4.gguf=exit:5:PMAT-237 CONTRACT VIOLATION")
    assert r.rc == 1
    conversion = r.check("convert/smollm-135m/roundtrip.apr")
    assert conversion["status"] == "FAIL" and "PMAT-237 CONTRACT VIOLATION" in conversion["detail"]
    for prompt in ("completion", "arithmetic"):
        dependent = r.check(f"roundtrip/smollm-135m/{prompt}")
        assert dependent["status"] == "SKIP" and "roundtrip.apr" in dependent["detail"], dependent


def test_absent_json_field_fails_naming_it(tmgt):
    r = run_suite(tmgt, "token", APR_SIM_FAULTS="run@int8=del:tokens")
    check = r.check("token-parity/smollm-135m/int8/code")
    assert check["status"] == "FAIL" and 'run output has no "tokens" field' in check["detail"], check


def test_token_7_divergence_is_reported_with_both_ids_and_their_text(tmgt, tmp_path):
    expected = json.loads((ROOT / "oracle" / "smollm-135m" / "completion.json").read_text())["tokens"][7]
    # the model's own tokenizer.json names the two tokens (byte-level spelling: Ġ is a space)
    source = tmp_path / "smollm-135m"
    shutil.copytree(ROOT / "tests" / "sim" / "models" / "smollm-135m", source)
    (source / "tokenizer.json").write_text(json.dumps({
        "model": {"type": "BPE", "vocab": {"\u0120largest": expected, "\u0120smallest": 4242}},
        "decoder": {"type": "ByteLevel"}}))
    doc = json.loads(tmgt.pipeline.read_text())
    doc["models"][0]["source"] = str(source)
    pipeline = tmp_path / "with-tokenizer.json"
    pipeline.write_text(json.dumps(doc))

    r = tmgt.run("--model", "smollm-135m", "--check", "token", pipeline=pipeline,
                 env=tmgt.env(APR_SIM_FAULTS="run@int4.apr The capital=alter-token:7:4242"))
    check = r.check("token-parity/smollm-135m/int4/completion")
    assert check["status"] == "PASS" and check["detail"].startswith("1/5"), check
    div = check["divergence"]
    assert (div["index"], div["expected"], div["got"], div["mismatches"]) == (7, expected, 4242, 1), div
    assert (div["expected_text"], div["got_text"]) == (" largest", " smallest"), div
    untouched = r.check("token-parity/smollm-135m/int8/completion")
    assert untouched["status"] == "PASS" and not untouched.get("divergence")
