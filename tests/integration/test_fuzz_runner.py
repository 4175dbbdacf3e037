"""Fuzzing every parser of outside data: ci/run-fuzz.sh (make fuzz, make fuzz-deep) runs every target tests/fuzz/CMakeLists.txt
lists, each with its seeds, real samples and dictionary, and keeps what libFuzzer reported. The
targets here are stand-ins that print what a libFuzzer binary prints, so the runner's plumbing
is tested without clang."""
import json
import os
import re
import subprocess

from conftest import ROOT

LISTED = re.search(r"set\(TMGT_FUZZ_TARGETS(.*?)\n\)", (ROOT / "tests/fuzz/CMakeLists.txt").read_text(), re.S).group(1)
TARGETS = [line.split("#")[0].strip() for line in LISTED.splitlines() if line.split("#")[0].strip()]

# A libFuzzer binary's interface as the runner uses it: flags in, final stats out, a crash as an
# artifact under -artifact_prefix and a non-zero exit.
STAND_IN = """#!/bin/sh
printf '%s\\n' "$@" > "$0.args"
for a in "$@"; do case $a in -artifact_prefix=*) prefix=${a#-artifact_prefix=} ;; esac; done
echo "#777 DONE   cov: 41 ft: 59 corp: 3/9b lim: 4 exec/s: 7 rss: 30Mb"
echo "stat::number_of_executed_units: 777"
echo "stat::average_exec_per_sec:     7"
echo "stat::peak_rss_mb:              30"
if [ -n "$CRASH" ]; then echo boom > "${prefix}crash-0123"; exit 1; fi
"""


def fake_build(tmp_path, crash=None, missing=None):
    build = tmp_path / "build-fuzz"
    (build / "tests/fuzz").mkdir(parents=True)
    (build / "CMakeCache.txt").write_text("CMAKE_C_COMPILER:FILEPATH=/bin/echo\n")
    for name in TARGETS:
        if name == missing:
            continue
        exe = build / "tests/fuzz" / f"fuzz_{name}"
        exe.write_text(STAND_IN.replace("$CRASH", "x" if name == crash else ""))
        exe.chmod(0o755)
    return build


def run_fuzz(build, *args, **env):
    full = {**os.environ, "FUZZ_OUT": str(build / "out.json"), **env}
    return subprocess.run([str(ROOT / "ci/run-fuzz.sh"), str(build), *args], capture_output=True, text=True,
                          env=full)


def args_of(build, name):
    return (build / "tests/fuzz" / f"fuzz_{name}.args").read_text().splitlines()


def test_every_listed_target_runs_with_its_bound_seeds_samples_and_dictionary(tmp_path):
    build = fake_build(tmp_path)
    r = run_fuzz(build, "0", FUZZ_RUNS="5000", FUZZ_JOBS="2")
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads((build / "out.json").read_text())
    assert [t["target"] for t in doc["targets"]] == TARGETS
    assert (doc["runs_per_target"], doc["seconds_per_target"], doc["jobs"]) == (5000, 0, 2)
    for t in doc["targets"]:
        assert (t["executions"], t["exec_per_sec"], t["coverage"], t["features"], t["crashes"]) == (777, 7, 41, 59, 0)
        argv = args_of(build, t["target"])
        assert "-runs=5000" in argv and "-max_total_time=0" in argv
        assert argv[-1] == str(build / "fuzz-corpus" / t["target"])
        seeds = list((ROOT / "tests/fuzz/seeds" / t["target"]).glob("*"))
        assert t["corpus"] == t["seeds"] >= len(seeds)
    # real samples reach the corpus of the target that reads them
    oracle = {p.name for p in (build / "fuzz-corpus/oracle").iterdir()}
    assert "oracle_smollm-135m_arithmetic.json" in oracle
    # a dictionary is its own entries after those it includes
    dict_flag = [a for a in args_of(build, "pipeline") if a.startswith("-dict=")]
    assert dict_flag == [f"-dict={build}/fuzz-dict/pipeline.dict"]
    merged = (build / "fuzz-dict/pipeline.dict").read_text()
    own, shared = (ROOT / "tests/fuzz/dict/pipeline.dict").read_text(), (ROOT / "tests/fuzz/dict/json.dict").read_text()
    assert merged == shared + own and '"\\"steps\\":"' in own


def test_a_time_bound_alone_runs_without_an_execution_limit(tmp_path):
    build = fake_build(tmp_path)
    r = run_fuzz(build, "3", FUZZ_TARGETS="hf_uri template")
    assert r.returncode == 0, r.stderr
    assert [t["target"] for t in json.loads((build / "out.json").read_text())["targets"]] == ["hf_uri", "template"]
    argv = args_of(build, "hf_uri")
    assert "-max_total_time=3" in argv and not [a for a in argv if a.startswith("-runs=")]
    assert not (build / "tests/fuzz/fuzz_oracle.args").exists()


def test_a_crash_fails_the_run_and_names_its_input(tmp_path):
    build = fake_build(tmp_path, crash="results")
    r = run_fuzz(build, "1")
    assert r.returncode == 1
    assert "--- fuzz results failed" in r.stdout
    rows = {t["target"]: t for t in json.loads((build / "out.json").read_text())["targets"]}
    assert (rows["results"]["crashes"], rows["results"]["artifacts"], rows["results"]["exit"]) == (1, ["crash-0123"], 1)
    assert all(t["crashes"] == 0 for name, t in rows.items() if name != "results")
    # found again, it counts again; once fixed, the input left from before is not counted
    r = run_fuzz(build, "1", FUZZ_TARGETS="results")
    assert r.returncode == 1 and json.loads((build / "out.json").read_text())["targets"][0]["crashes"] == 1
    fixed = fake_build(tmp_path / "fixed") / "tests/fuzz/fuzz_results"
    os.replace(fixed, build / "tests/fuzz/fuzz_results")
    r = run_fuzz(build, "1", FUZZ_TARGETS="results")
    assert r.returncode == 0, r.stdout
    assert json.loads((build / "out.json").read_text())["targets"][0]["crashes"] == 0
    assert (build / "fuzz-artifacts/results/crash-0123").exists()


def test_a_listed_target_that_is_not_built_is_an_environment_error(tmp_path):
    build = fake_build(tmp_path, missing=TARGETS[-1])
    r = run_fuzz(build, "1")
    assert r.returncode == 3
    assert f"fuzz_{TARGETS[-1]} is not built" in r.stderr


def test_bad_bounds_and_names_are_usage_errors(tmp_path):
    build = fake_build(tmp_path)
    for args, env, message in ((["0"], {}, "no bound"), (["x"], {}, "whole number"),
                               (["1"], {"FUZZ_RUNS": "-5"}, "FUZZ_RUNS"),
                               (["1"], {"FUZZ_TARGETS": "nope"}, "no fuzz target 'nope'")):
        r = run_fuzz(build, *args, **env)
        assert (r.returncode, message in r.stderr) == (2, True), (args, env, r.stderr)


def test_every_fuzz_source_is_a_listed_target():
    sources = {p.stem[len("fuzz_"):] for p in (ROOT / "tests/fuzz").glob("fuzz_*.c")} - {"util"}
    assert sources == set(TARGETS) and len(TARGETS) == len(set(TARGETS))
