"""Every way an engine can misbehave, and what tmgt makes of it.

Each case asserts the status and message of the check that saw the fault, the action's status,
whether it was cached, a clean `tmgt cache verify`, and that a rerun without the fault reaches
the results of a run that never saw it. Faults that end in a normal exit are measurements (the
engine's bug is the finding, docs/DESIGN.md): they stay cached, and only a fixed engine (a new binary)
re-executes them. Faults that are not measurements (signals, timeouts, missing outputs, runaway
output) are never cached, so a plain rerun re-executes exactly the faulted actions.
"""
import os
import shutil
import signal
import stat
import time
from pathlib import Path

import pytest

from conftest import SIM, Run, check_table
from faultlib import CANARY, assert_cache_clean, clean_table, executed, fixed_engine, pipeline_with

CODE = "canary/smollm-135m/code"
CODE_RUN = "apr run smollm-135m/int8.apr code"
IMPORT = "apr import → smollm-135m/int8.apr"
PPL = ("--model", "smollm-135m", "--check", "ppl")

SIGNALS = ["SEGV", "ABRT", "BUS", "FPE", "ILL", "KILL", "TERM", "INT", "HUP", "QUIT", "PIPE"]


def processes_mentioning(text):
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if proc.name.isdigit() and text in cmdline:
            found.append(cmdline)
    return found


def run_with_fault(tmgt, rule, selection=CANARY, pipeline=None):
    r = tmgt.run(*selection, pipeline=pipeline, env=tmgt.env(APR_SIM_FAULTS=rule))
    assert r.results is not None, r.err
    assert_cache_clean(tmgt.cache)
    return r


def action(r, label):
    return next(a for a in r.results["actions"] if a["id"] == label)


def assert_rerun_reexecutes_only(tmgt, tmp_path, faulted, selection=CANARY, pipeline=None):
    again = tmgt.run(*selection, pipeline=pipeline)
    assert executed(again.results) == sorted(faulted)
    assert check_table(again.results) == clean_table(tmp_path, *selection)
    assert again.rc == 0
    assert_cache_clean(tmgt.cache)


def assert_measurement_kept_until_engine_fixed(tmgt, tmp_path, faulty, selection=CANARY):
    same = tmgt.run(*selection)  # the fault is gone but the binary is the same: still cached
    assert same.results["actions_executed"] == 0
    assert check_table(same.results) == check_table(faulty.results)
    fixed = tmgt.run(*selection, "--engine", f"apr={fixed_engine(tmp_path)}")
    apr_actions = sorted(a["id"] for a in faulty.results["actions"] if a["engine"] == "apr")
    assert executed(fixed.results) == apr_actions
    assert check_table(fixed.results) == clean_table(tmp_path, *selection)
    assert_cache_clean(tmgt.cache)


@pytest.mark.parametrize("sig", SIGNALS)
def test_engine_killed_by_a_signal_fails_its_check_and_is_not_cached(tmgt, tmp_path, sig):
    num = getattr(signal, "SIG" + sig)
    r = run_with_fault(tmgt, f"run@code=crash:{sig}")
    assert r.rc == 1
    assert r.checks()[CODE] == ("FAIL", f"apr run killed by signal {num} (SIG{sig})")
    a = action(r, CODE_RUN)
    assert (a["status"], a["signal"], a["cached"]) == ("signal", num, False)
    assert [c for c, (st, _) in r.checks().items() if st != "PASS"] == [CODE]
    assert_rerun_reexecutes_only(tmgt, tmp_path, [CODE_RUN])


TIMED_OUT = "timed out after 1 s (not cached)"


@pytest.mark.parametrize("mode", ["hang", "hang:noterm", "hang:child:noterm"])
def test_hung_engine_is_killed_at_its_timeout(tmgt, tmp_path, mode):
    pipeline = tmgt.make_pipeline(run={"timeout_s": 1})
    r = run_with_fault(tmgt, f"run@code={mode}", pipeline=pipeline)
    assert r.rc == 1
    assert r.checks()[CODE] == ("TIMEOUT", f"apr run {TIMED_OUT}")
    a = action(r, CODE_RUN)
    assert (a["status"], a["reason"], a["cached"]) == ("timeout", TIMED_OUT, False)
    # the process group is gone: no simulator is left holding the pipes
    assert processes_mentioning(str(tmgt.tmp / "models")) == []
    assert_rerun_reexecutes_only(tmgt, tmp_path, [CODE_RUN], pipeline=pipeline)


def matrix_row(out, suite):
    """The cells of a suite's row in the console matrix."""
    row = next(line for line in out.splitlines() if line.split()[:1] == [suite] and "/" not in line)
    return row.split(None, 1)[1]


# A timeout is not an engine verdict, and no report may let it pass for one.
def test_a_timeout_is_named_apart_from_a_failure_everywhere_and_runs_again(tmgt, tmp_path):
    pipeline = tmgt.make_pipeline(run={"timeout_s": 1})
    r = run_with_fault(tmgt, "run@code=hang", pipeline=pipeline)
    assert r.rc == 1
    assert f"  ⏱ {CODE}: apr run {TIMED_OUT}" in r.out.splitlines()
    assert matrix_row(r.out, "canary") == "✓ 3 ⏱ 1"
    assert r.out.splitlines()[-1].startswith("4 passed, 0 failed, 1 timed out, 0 skipped (5 checks)")
    assert "✗" not in r.out
    assert (r.results["counts"]["timeout"], r.results["counts"]["fail"]) == (1, 0)

    junit = tmgt.run("report", "--format", "junit").out
    assert 'failures="0" errors="1"' in junit
    assert f'<error type="timeout" message="apr run {TIMED_OUT}">' in junit
    ticket = tmgt.run("ticket").out
    assert "### 1 timeout(s)" in ticket and "failure(s)" not in ticket
    assert f"#### `{CODE}`\n**Timed out**: apr run {TIMED_OUT}\n" in ticket
    html = tmgt.run("report", "--format", "html").out
    assert "<h2>Timed out (1)</h2>" in html and "<h2>Failures (0)</h2>" in html
    markdown = tmgt.run("report", "--format", "md").out
    assert "| smollm-135m | ✓ 1 | ✓ 3 ⏱ 1 |" in markdown.splitlines()

    # not cached: the next run executes exactly the timed-out action again
    again = tmgt.run(*CANARY, pipeline=pipeline, env=tmgt.env(APR_SIM_FAULTS="run@code=hang"))
    assert executed(again.results) == [CODE_RUN]
    assert again.checks()[CODE] == ("TIMEOUT", f"apr run {TIMED_OUT}")
    assert_rerun_reexecutes_only(tmgt, tmp_path, [CODE_RUN], pipeline=pipeline)


def test_a_conversion_that_times_out_is_a_timeout_and_its_dependents_say_why(tmgt, tmp_path):
    pipeline = tmgt.make_pipeline(**{"import": {"timeout_s": 1}})
    r = run_with_fault(tmgt, "import=hang", pipeline=pipeline)
    assert r.rc == 1
    assert r.checks()["convert/smollm-135m/int8.apr"] == ("TIMEOUT", f"{IMPORT} {TIMED_OUT}")
    for prompt in ("arithmetic", "code", "completion", "greeting"):
        status, detail = r.checks()[f"canary/smollm-135m/{prompt}"]
        assert status == "SKIP" and detail.endswith(TIMED_OUT)
    assert matrix_row(r.out, "convert") == "⏱ 1"
    assert_rerun_reexecutes_only(tmgt, tmp_path, [a["id"] for a in r.results["actions"]], pipeline=pipeline)


def test_exit_0_without_the_declared_output_fails_and_is_not_cached(tmgt, tmp_path):
    r = run_with_fault(tmgt, "import=nooutput")
    assert r.rc == 1
    why = "exited 0 but did not write int8.apr"
    assert r.checks()["convert/smollm-135m/int8.apr"] == ("FAIL", f"{IMPORT} output-missing: {why}")
    for prompt in ("arithmetic", "code", "completion", "greeting"):
        status, detail = r.checks()[f"canary/smollm-135m/{prompt}"]
        assert status == "SKIP" and detail.endswith(why)
    assert action(r, IMPORT)["status"] == "output-missing"
    assert not (tmgt.tmp / "models" / "smollm-135m" / "int8.apr").exists()
    assert_rerun_reexecutes_only(tmgt, tmp_path, [IMPORT] + [a["id"] for a in r.results["actions"]
                                                             if a["step"] == "run"])


def test_zero_byte_output_file_is_a_missing_output(tmgt, tmp_path):
    r = run_with_fault(tmgt, "import=truncate:0")
    assert r.checks()["convert/smollm-135m/int8.apr"] == (
        "FAIL", f"{IMPORT} output-missing: exited 0 but int8.apr is empty")
    assert action(r, IMPORT)["cached"] is False
    assert_rerun_reexecutes_only(tmgt, tmp_path, [a["id"] for a in r.results["actions"]])


def test_truncated_output_file_is_a_measurement_that_its_readers_report(tmgt, tmp_path):
    r = run_with_fault(tmgt, "import=truncate")
    assert r.rc == 1
    status, detail = r.checks()[CODE]
    assert status == "FAIL" and detail.startswith("apr run failed (exit 4): error: Invalid APR format")
    assert action(r, IMPORT)["status"] == "ok"
    assert_measurement_kept_until_engine_fixed(tmgt, tmp_path, r)


def run_measuring_memory(tmgt, rule):
    """A run and tmgt's peak RSS. ASan's quarantine would keep the freed read buffers resident
    (that is not tmgt holding the output), so it is kept to 1 MiB here."""
    env = tmgt.env(APR_SIM_FAULTS=rule, ASAN_OPTIONS="quarantine_size_mb=1")
    p = tmgt.popen(*CANARY, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    p.stdout, p.stderr = p.stdout.read(), p.stderr.read()
    return Run(p, tmgt.results), usage.ru_maxrss * 1024


def test_a_gigabyte_of_stdout_is_capped_and_the_engine_killed(tmgt, tmp_path):
    _, baseline = run_measuring_memory(tmgt, "run@code=huge:10")
    shutil.rmtree(tmgt.cache)
    r, peak = run_measuring_memory(tmgt, "run@code=huge:1073741824")
    assert r.rc == 1
    # tmgt spills past 1 MiB and kills at 64 MiB: its memory does not grow with the output
    assert peak < baseline + (8 << 20)
    assert r.checks()[CODE] == ("FAIL", "apr run printed more output than tmgt keeps and was killed")
    a = action(r, CODE_RUN)
    assert (a["status"], a["reason"], a["cached"]) == ("output-limit", "printed more than 67108864 bytes; killed", False)
    assert list((tmgt.cache / "tmp").iterdir()) == []  # the spilled 64 MiB are gone
    assert_cache_clean(tmgt.cache)
    assert_rerun_reexecutes_only(tmgt, tmp_path, [CODE_RUN])


@pytest.mark.parametrize("rule, selection, check, detail", [
    ("run@code=empty", CANARY, CODE, "apr run returned invalid JSON: (empty output)"),
    ("run@code=garbage", CANARY, CODE, "apr run returned invalid JSON: (4096 bytes, not UTF-8 text)"),
    ("run@code=badutf8", CANARY, CODE,
     "text mismatch; apr run output is not valid UTF-8 (bad bytes compared as U+FFFD)"),
    ("run@code=wrongshape", CANARY, CODE, 'run output has no "text" field'),
    ("run@code=wrongshape:null", CANARY, CODE, "apr run returned invalid JSON: null"),
    ("eval=nan", PPL, "ppl/smollm-135m/int8", "PPL=nan (not a number)"),
], ids=["empty", "garbage", "invalid-utf8", "wrong-shape", "null", "nan-inf"])
def test_bad_engine_output_fails_its_check_with_a_clear_message(tmgt, tmp_path, rule, selection, check, detail):
    r = run_with_fault(tmgt, rule, selection)
    assert r.rc == 1
    assert r.checks()[check] == ("FAIL", detail)
    assert_measurement_kept_until_engine_fixed(tmgt, tmp_path, r, selection)


def test_log_lines_and_ansi_codes_around_json_are_tolerated(tmgt, tmp_path):
    r = run_with_fault(tmgt, "run=ansi")
    assert r.rc == 0
    assert check_table(r.results) == clean_table(tmp_path, *CANARY)


def test_engine_replaced_by_a_new_version_mid_run_caches_nothing_after_the_change(tmgt, tmp_path):
    engine = tmp_path / "apr-upgradable"
    shutil.copy(SIM, engine)
    faults = tmp_path / "faults.txt"
    env = tmgt.env(APR_SIM_DELAY_MS=500, APR_SIM_FAULTS_FILE=faults)
    p = tmgt.popen(*CANARY, "-j", "1", "--engine", f"apr={engine}", env=env)
    while not [c for c in tmgt.engine_calls() if c[1] == "run"]:  # the import is done, a run started
        assert p.poll() is None
        time.sleep(0.02)
    upgraded = tmp_path / "apr-new"
    shutil.copy(fixed_engine(tmp_path), upgraded)
    os.replace(upgraded, engine)  # the way package managers upgrade a binary
    faults.write_text("version=version:0.73.0\n")
    out, err = p.communicate(timeout=60)
    assert p.returncode == 3, err
    assert "tmgt: apr changed during the run" in err
    p.stdout, p.stderr = out, err
    r = Run(p, tmgt.results)
    assert action(r, IMPORT)["status"] == "ok"  # finished by the old binary: cached, rightly
    changed = [a for a in r.results["actions"] if a["status"] == "engine-changed"]
    assert sorted(a["id"] for a in changed) == sorted(a["id"] for a in r.results["actions"] if a["step"] == "run")
    assert all(not a["cached"] for a in changed)
    for a in changed:
        name = next(c["name"] for c in r.results["checks"] if a["id"] in c["actions"])
        assert r.checks()[name] == ("SKIP", "apr changed during the run; not cached")
    assert_cache_clean(tmgt.cache)
    again = tmgt.run(*CANARY, "--engine", f"apr={engine}", env=tmgt.env(APR_SIM_FAULTS_FILE=faults))
    apr = next(e for e in again.results["engines"] if e["name"] == "apr")
    assert apr["version"] == "apr 0.73.0 (simsha)"
    assert executed(again.results) == sorted(a["id"] for a in r.results["actions"])
    assert check_table(again.results) == clean_table(tmp_path, *CANARY)


def apr_calls(tmgt):
    return [c for c in tmgt.engine_calls() if c[0] == "apr-sim"]


def test_missing_engine_binary_in_the_pipeline_skips_its_checks(tmgt, tmp_path):
    missing = tmp_path / "no-such-apr"
    pipeline = pipeline_with(tmgt, lambda doc: doc["engines"]["apr"].update(binary=str(missing)))
    r = tmgt.run(*CANARY, pipeline=pipeline)
    assert r.rc == 0
    assert {st for st, _ in r.checks().values()} == {"SKIP"}
    assert all(d.endswith(f"apr not found ({missing})") for _, d in r.checks().values())
    assert apr_calls(tmgt) == []
    assert_cache_clean(tmgt.cache)
    shutil.copy(SIM, missing)  # installed: the next run executes everything
    again = tmgt.run(*CANARY, pipeline=pipeline)
    assert check_table(again.results) == clean_table(tmp_path, *CANARY)


def test_engine_binary_without_execute_permission_is_an_environment_error(tmgt, tmp_path):
    noexec = tmp_path / "apr-noexec"
    shutil.copy(SIM, noexec)
    os.chmod(noexec, stat.S_IRUSR | stat.S_IWUSR)
    r = tmgt.run(*CANARY, "--engine", f"apr={noexec}")
    assert r.rc == 3
    assert f"apr at {noexec} is not an executable file" in r.err
    assert apr_calls(tmgt) == []
    os.chmod(noexec, 0o755)
    fixed = tmgt.run(*CANARY, "--engine", f"apr={noexec}")
    assert check_table(fixed.results) == clean_table(tmp_path, *CANARY)

