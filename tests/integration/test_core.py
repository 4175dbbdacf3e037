"""The executor, the cache and the CLI, observed from outside."""
import json
import os
import random
import shutil
import signal
import subprocess
import time
from collections import Counter

from conftest import ROOT, SIM, TMGT, check_table


def executed_apr_actions(results):
    return [a for a in results["actions"] if a["engine"] == "apr" and not a["cached"] and a["status"] != "unavailable"]


def test_cold_run_executes_every_unique_action_once(tmgt):
    r = tmgt.run("-j", "2")
    assert r.results is not None, r.err
    acts = r.results["actions"]
    runnable = [a for a in acts if a["status"] not in ("unavailable", "skipped")]
    assert r.results["actions_executed"] == len(runnable)
    assert r.results["actions_cached"] == 0
    calls = [c for c in tmgt.engine_calls() if c[1:] != ["--version"]]
    # every engine invocation happened exactly once: no two identical command lines
    dup = [c for c, n in Counter(json.dumps(c) for c in calls).items() if n > 1]
    assert dup == []
    assert len(calls) == len(runnable)
    # the original harness ran 28 `apr run` per model; 14 unique inferences suffice (10 apr + 4 on q8_0 GGUF,
    # those with --logprobs, which serve prompt-tokens and logit-parity too)
    runs = [a for a in acts if a["step"] in ("run", "run-logprobs")]
    assert len(runs) == 3 * 14
    assert sorted(a["id"] for a in runs if a["step"] == "run-logprobs") == sorted(
        a["id"] for a in runs if "/q8_0.gguf " in a["id"])


def test_immediate_rerun_executes_nothing_and_agrees(tmgt):
    first = tmgt.run()
    calls_before = len(tmgt.engine_calls())
    second = tmgt.run()
    assert second.results["actions_executed"] == 0
    assert second.results["actions_cached"] == first.results["actions_executed"]
    assert len(tmgt.engine_calls()) == calls_before  # not even a --version probe
    assert check_table(second.results) == check_table(first.results)
    assert second.rc == first.rc


def test_new_engine_binary_reexecutes_exactly_its_actions(tmgt, tmp_path):
    first = tmgt.run()
    other = tmp_path / "apr-other"
    shutil.copy(SIM, other)
    with open(other, "ab") as f:  # a different binary, same behaviour
        f.write(b"\0different build\0")
    second = tmgt.run("--engine", f"apr={other}")
    apr_actions = [a for a in first.results["actions"] if a["engine"] == "apr" and a["status"] != "unavailable"]
    reran = [a for a in second.results["actions"] if not a["cached"] and a["status"] != "unavailable"]
    assert {a["id"] for a in reran} == {a["id"] for a in apr_actions}
    assert all(a["engine"] == "apr" for a in reran)
    assert check_table(second.results) == check_table(first.results)


def test_jobs_1_and_4_agree_and_4_runs_in_parallel(tmgt):
    # canary on one model: one import, then 4 independent `apr run`
    args = ("--model", "smollm-135m", "--check", "canary")
    tmgt.run(*args)  # engine version probes are cached from here on
    env = tmgt.env(APR_SIM_DELAY_MS=1000)
    t0 = time.monotonic()
    serial = tmgt.run("-j", "1", "--no-cache", *args, env=env)
    t_serial = time.monotonic() - t0
    t0 = time.monotonic()
    parallel = tmgt.run("-j", "4", "--no-cache", *args, env=env)
    t_parallel = time.monotonic() - t0
    assert check_table(serial.results) == check_table(parallel.results)
    assert serial.results["actions_executed"] == parallel.results["actions_executed"] == 5
    # 5 x 1 s serially; 1 s + 1 s with four at once (generous bound for a loaded machine)
    assert t_serial >= 5.0
    assert t_parallel < t_serial * 0.6


def verify_cache(tmgt):
    p = subprocess.run([str(TMGT), "cache", "verify", "--cache-dir", str(tmgt.cache)], capture_output=True, text=True)
    return p


def test_killed_runs_leave_a_clean_cache_and_rerun_completes(tmgt):
    reference = tmgt.run("--model", "smollm-135m")
    shutil.rmtree(tmgt.cache)
    env = tmgt.env(APR_SIM_DELAY_MS=50)
    rng = random.Random(1234)
    for sig in [signal.SIGINT, signal.SIGKILL] * 4:
        p = tmgt.popen("--model", "smollm-135m", env=env)
        time.sleep(rng.uniform(0.05, 1.5))
        p.send_signal(sig)
        p.communicate(timeout=60)
        if sig == signal.SIGINT:
            # -SIGINT: the signal came before main installed its handler (exec and the loader
            # can take longer than the shortest wait on a loaded machine); nothing had started
            assert p.returncode in (130, 0, 1, -signal.SIGINT)
        v = verify_cache(tmgt)
        assert v.returncode == 0, v.stdout + v.stderr
        assert "0 corrupt blobs, 0 unreadable and 0 dangling" in v.stdout
    final = tmgt.run("--model", "smollm-135m")
    assert check_table(final.results) == check_table(reference.results)
    # nothing is left staged by the killed runs once a later run has swept them
    leftovers = [p for p in (tmgt.cache / "tmp").iterdir()]
    assert leftovers == []


def test_ctrl_c_while_planning_exits_130_and_starts_nothing(tmgt):
    # the version probe happens while planning; slowed down, it is where the signal lands
    env = tmgt.env(APR_SIM_FAULTS="version=delay:1500")
    p = tmgt.popen("--model", "smollm-135m", "--check", "canary", env=env)
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "tmgt: interrupted" in err
    assert {call[1] for call in tmgt.engine_calls()} == {"--version"}  # no engine work started


def test_hung_and_crashing_actions_are_reported_and_the_rest_goes_on(tmgt):
    pipeline = tmgt.make_pipeline(run={"timeout_s": 1})
    env = tmgt.env(APR_SIM_FAULTS="run@int8.apr What is 2+2=hang;run@int8.apr Hello=crash:SEGV")
    r = tmgt.run("--model", "smollm-135m", "--check", "canary", pipeline=pipeline, env=env)
    assert r.rc == 1
    hung = r.check("canary/smollm-135m/arithmetic")
    crashed = r.check("canary/smollm-135m/greeting")
    assert (hung["status"], hung["detail"]) == ("TIMEOUT", "apr run timed out after 1 s (not cached)")
    assert crashed["status"] == "FAIL" and "signal 11" in crashed["detail"]
    assert r.check("canary/smollm-135m/code")["status"] == "PASS"
    assert r.check("canary/smollm-135m/completion")["status"] == "PASS"
    statuses = {a["id"]: a["status"] for a in r.results["actions"]}
    assert sorted(statuses.values()).count("timeout") == 1
    assert sorted(statuses.values()).count("signal") == 1
    # neither a timeout nor a crash is cached: a rerun without the fault passes
    again = tmgt.run("--model", "smollm-135m", "--check", "canary", pipeline=pipeline)
    assert again.rc == 0
    assert again.results["actions_executed"] == 2


def test_invalid_pipeline_is_a_one_line_environment_error(tmgt, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": 1, "engines": {')
    r = tmgt.run(pipeline=bad)
    assert r.rc == 3
    assert r.err.strip().count("\n") == 0 and str(bad) in r.err and "invalid JSON" in r.err


def test_pipeline_field_errors_name_the_field(tmgt, tmp_path):
    doc = json.loads(tmgt.pipeline.read_text())
    doc["steps"]["run"]["timeout_s"] = "soon"
    bad = tmp_path / "field.json"
    bad.write_text(json.dumps(doc))
    r = tmgt.run(pipeline=bad)
    assert r.rc == 3
    assert "steps.run.timeout_s: must be a number" in r.err


def test_missing_engine_binary_is_an_environment_error(tmgt):
    r = tmgt.run("--engine", "apr=/nonexistent/apr")
    assert r.rc == 3
    assert "apr not found (/nonexistent/apr)" in r.err


def test_unusable_cache_dir_is_an_environment_error(tmgt, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    p = subprocess.run([str(TMGT), "--pipeline", str(tmgt.pipeline), "--cache-dir", str(blocker / "cache")],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 3
    assert "cannot use the cache" in p.stderr and p.stderr.strip().count("\n") == 0


def test_plan_reports_cached_and_explains_engine_change(tmgt, tmp_path):
    tmgt.run("--model", "smollm-135m", "--check", "inspect")
    p = tmgt.popen("plan", "--model", "smollm-135m", "--check", "inspect")
    out, _ = p.communicate()
    assert "0 to run" in out
    other = tmp_path / "apr-other"
    shutil.copy(SIM, other)
    with open(other, "ab") as f:
        f.write(b"x")
    p = tmgt.popen("plan", "--explain", "--model", "smollm-135m", "--check", "inspect", "--engine", f"apr={other}")
    out, _ = p.communicate()
    assert "engine apr changed" in out


def test_usage_errors_exit_2(tmgt):
    p = subprocess.run([str(TMGT), "--jobs", "zero"], capture_output=True, text=True)
    assert p.returncode == 2 and "--jobs" in p.stderr
    p = subprocess.run([str(TMGT), "frobnicate"], capture_output=True, text=True)
    assert p.returncode == 2 and "unknown command" in p.stderr
