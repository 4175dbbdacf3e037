"""Checks are judged while the engines run: each as soon as the actions it reads have finished, with the
verdict, and the results document, that judging everything after the run gives."""
import json
import signal

from conftest import Tmgt
from faultlib import assert_cache_clean, planned

CANARY = ("--model", "smollm-135m", "--check", "canary")
SLOW_CODE = "run@code=delay:2500"


def fresh(tmp_path, name):
    (tmp_path / name).mkdir()
    return Tmgt(tmp_path / name)


def checks_without_workspace(tm, run):
    """The checks as the results document lists them (order, statuses, details and all), with the
    workspace's own paths left out so that two workspaces compare."""
    return json.loads(json.dumps(run.results["checks"]).replace(str(tm.tmp), "WORKSPACE"))


def test_a_check_is_judged_while_an_action_it_does_not_read_still_runs(tmgt, tmp_path):
    reference = fresh(tmp_path, "reference")
    serial = reference.run(*CANARY, "-j1")
    assert serial.rc == 0, serial.err
    r = tmgt.run(*CANARY, "-j2", "-v", env=tmgt.env(APR_SIM_FAULTS=SLOW_CODE))
    assert r.rc == 0, r.err
    lines = r.err.splitlines()
    judged = lines.index("judged canary/smollm-135m/arithmetic: PASS")
    slow_done = next(i for i, line in enumerate(lines) if line.startswith("[5/5] apr run smollm-135m/int8.apr code"))
    assert judged < slow_done, r.err
    # the slow one's own check comes after it, and every verdict is the one of a run without delays
    assert lines.index("judged canary/smollm-135m/code: PASS") > slow_done
    assert checks_without_workspace(tmgt, r) == checks_without_workspace(reference, serial)


def test_the_matrix_at_eight_jobs_concludes_what_it_does_at_one(tmp_path):
    one, eight = fresh(tmp_path, "one"), fresh(tmp_path, "eight")
    a = one.run("-j1")
    b = eight.run("-j8")
    assert a.rc == b.rc, b.err
    assert len(a.results["checks"]) > 300
    assert checks_without_workspace(eight, b) == checks_without_workspace(one, a)


def test_ctrl_c_after_early_verdicts_skips_the_checks_of_what_did_not_finish(tmgt):
    p = tmgt.popen(*CANARY, "-j2", "-v", env=tmgt.env(APR_SIM_FAULTS="run@code=delay:20000"))
    seen = []
    for line in p.stderr:  # the verdicts reached while the slow run still runs
        seen.append(line.rstrip("\n"))
        if seen[-1].startswith("judged canary/smollm-135m/greeting"):
            break
    p.send_signal(signal.SIGINT)
    _, rest = p.communicate(timeout=60)
    err = "\n".join(seen) + "\n" + rest
    assert p.returncode == 130, err
    assert "finished results are kept" in err
    results = json.loads((tmgt.results / "latest.json").read_text())
    verdicts = {c["name"]: (c["status"], c["detail"]) for c in results["checks"]}
    assert verdicts.pop("canary/smollm-135m/code") == ("SKIP", "interrupted")
    assert {status for status, _ in verdicts.values()} == {"PASS"}
    assert results["interrupted"] is True
    # the interrupted run left no record; what finished did
    state = planned(tmgt, *CANARY)
    assert state.pop("apr run smollm-135m/int8.apr code") == "run"
    assert set(state.values()) == {"cached"}
    assert_cache_clean(tmgt.cache)
    again = tmgt.run(*CANARY)
    assert again.rc == 0 and again.results["actions_executed"] == 1
    assert {status for status, _ in again.checks().values()} == {"PASS"}


def test_a_varying_run_fails_the_checks_judged_before_the_run_ends(tmp_path):
    # the varying run is judged as it finishes, the other checks (at -j8, many finish later) as
    # theirs do: each reader of the varying run says so, no other check does
    tm = fresh(tmp_path, "varied")
    r = tm.run(*CANARY, "--repeat", "2", "-j8", "-v", env=tm.env(APR_SIM_FAULTS="run@code=vary"))
    assert r.rc == 1, r.err
    status, detail = r.checks()["canary/smollm-135m/code"]
    assert status == "FAIL" and detail.startswith("nondeterministic: apr run smollm-135m/int8.apr code: run 2")
    others = {n: s for n, (s, _) in r.checks().items() if n != "canary/smollm-135m/code"}
    assert set(others.values()) == {"PASS"}
    assert "judged canary/smollm-135m/code: FAIL" in r.err.splitlines()
