"""An engine's version says what ran. A version command that prints usage, an
error or nothing, or fails, reads as `version unknown`, never as its text; a tool that cannot
name its version (llama-quantize) is named by the version file next to it, which the llama.cpp
install writes, and that file is part of the engine's identity."""
import json
import subprocess
import time

import pytest

from conftest import ROOT, SETTLE_S, SIM
from faultlib import CANARY, executed, pipeline_with

UNKNOWN = "version unknown"
ENGINES = ("apr", "llama-completion", "llama-probe", "llama-quantize", "convert-hf")
LLAMACPP = ("--model", "smollm-135m", "--check", "llamacpp-text")


def versions(results):
    return {e["name"]: e["version"] for e in results["engines"]}


@pytest.mark.parametrize("answer", ["usage:0", "usage", "exit:2:unrecognized arguments: --version"])
def test_a_version_command_that_answers_usage_an_error_or_fails_is_version_unknown(tmgt, tmp_path, answer):
    env = tmgt.env(APR_SIM_FAULTS=f"version={answer}")
    r = tmgt.run(*CANARY, env=env)
    assert r.rc == 0, r.err  # the engines still work: only their version is unknown
    assert versions(r.results) == {name: UNKNOWN for name in ENGINES}
    page = tmp_path / "report.html"
    assert tmgt.run("report", "--format", "html", "-o", str(page), env=env).rc == 0
    html = page.read_text()
    for name in ENGINES:
        assert f"<strong>{name}</strong> {UNKNOWN} <code" in html
    assert "usage" not in html.lower() and "unrecognized" not in html
    md = tmgt.run("report", "--format", "md", env=env)
    assert f"Engine: `{UNKNOWN}`" in md.out


def quantize_in(tmp_path, version_text):
    """llama-quantize in a directory of its own, with (unless None) a version file next to it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    binary = bin_dir / "llama-quantize-sim"
    if not binary.exists():
        binary.symlink_to(SIM)
    version_file = bin_dir / "llama-quantize.version"
    if version_text is None:
        version_file.unlink(missing_ok=True)
    else:
        version_file.write_text(version_text)
    return binary


def test_the_version_file_next_to_a_tool_names_its_build_and_enters_its_identity(tmgt, tmp_path):
    binary = quantize_in(tmp_path, "llama.cpp 0.4.0-dev, commit 80fb11a\n")
    pipeline = pipeline_with(tmgt, lambda doc: doc["engines"]["llama-quantize"].update(
        binary=str(binary), version_file="llama-quantize.version"))
    env = tmgt.env(APR_SIM_FAULTS="version=usage")  # what the real llama-quantize answers

    first = tmgt.run(*LLAMACPP, pipeline=pipeline, env=env)
    assert first.rc == 0, first.err
    assert versions(first.results)["llama-quantize"] == "llama.cpp 0.4.0-dev, commit 80fb11a"
    assert versions(first.results)["apr"] == UNKNOWN  # the others still ask their command
    asked = [c for c in tmgt.engine_calls() if c[1:] == ["--version"]]
    assert asked and all(c[0] != "llama-quantize-sim" for c in asked)  # the file, not the tool
    quantized = sorted(a["id"] for a in first.results["actions"] if a["step"] == "quantize")
    assert quantized and set(quantized) <= set(executed(first.results))

    time.sleep(SETTLE_S)  # the pipeline was written just before the first run
    same = tmgt.run(*LLAMACPP, pipeline=pipeline, env=env)
    assert same.results["actions_executed"] == 0  # the same file, the same identity

    quantize_in(tmp_path, "llama.cpp 0.4.1, commit 1234abc\n")  # a rebuild rewrites it
    rebuilt = tmgt.run(*LLAMACPP, pipeline=pipeline, env=env)
    assert rebuilt.rc == 0, rebuilt.err
    assert versions(rebuilt.results)["llama-quantize"] == "llama.cpp 0.4.1, commit 1234abc"
    # the no-op before it left a memo: the rewritten file is what makes this run judge again
    assert f"judging again: {tmp_path}/bin/llama-quantize.version changed" in rebuilt.err
    # the new identity re-runs every quantization; their outputs are the same bytes, so what
    # reads them stays cached
    assert executed(rebuilt.results) == quantized

    quantize_in(tmp_path, None)  # no file: the version command answers, with its usage
    gone = tmgt.run(*LLAMACPP, pipeline=pipeline, env=env)
    assert versions(gone.results)["llama-quantize"] == UNKNOWN


def test_the_llamacpp_install_writes_the_version_files_the_default_pipeline_reads(tmp_path):
    tp = tmp_path / "third_party"
    (tp / "bin").mkdir(parents=True)
    completion = tp / "bin" / "llama-completion"  # answers as the v0.4.0 build does (docs/)
    sample = ROOT / "docs" / "llamacpp-v0.4.0-samples" / "version.stderr"
    completion.write_text(f"#!/bin/sh\ncat '{sample}' >&2\n")
    completion.chmod(0o755)
    checkout = tp / "llama.cpp"
    git = ["git", "-C", str(checkout), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "llama.cpp"], check=True)
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()

    subprocess.run([str(ROOT / "ci" / "llamacpp-version-files.sh"), str(tp)], check=True)
    written = {f.name: f.read_text() for f in (tp / "bin").glob("*.version")}
    assert written == {"llama-quantize.version": "llama.cpp 0.4.0-dev, commit 80fb11a\n",
                       "convert-hf-to-gguf.version": f"convert_hf_to_gguf.py of llama.cpp checkout {head} (0.4.0-dev)\n",
                       "gguf-new-metadata.version":
                           f"gguf-py gguf_new_metadata.py of llama.cpp checkout {head} (0.4.0-dev)\n"}

    def version_files(name):
        engines = json.loads((ROOT / "pipeline" / name).read_text())["engines"]
        return {e["version_file"] for e in engines.values() if "version_file" in e}
    # every pipeline on the real tools reads them, and the default one (its template-free GGUF) all
    assert version_files("default.json") == set(written)
    assert version_files("hf.json") == {"llama-quantize.version", "convert-hf-to-gguf.version"}
