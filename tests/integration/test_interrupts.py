"""tmgt itself interrupted at random points, and several tmgt processes on one cache."""
import random
import re
import signal
import time
from collections import Counter

import pytest

from conftest import Run, check_table
from faultlib import CANARY, VERIFY_CLEAN, assert_cache_clean, planned, verify

SELECTION = ("--model", "smollm-135m", "--check", "canary", "--check", "inspect", "--check", "roundtrip")
KILLS = 50
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)
# "[3/9] apr run smollm-135m/int8.apr code (0.1s)": printed after the result is stored
FINISHED = re.compile(r"^\[\d+/\d+\] (.+) \((?:cached|exit \d+, [\d.]+s|[\d.]+s)\)$")


def finished_actions(stderr):
    return [m.group(1) for m in map(FINISHED.match, stderr.splitlines()) if m]


def test_randomized_kills_lose_no_finished_result_and_corrupt_nothing(tmgt, record_property):
    reference = tmgt.run(*SELECTION)
    assert reference.rc == 0, reference.err
    rng = random.Random(20261126)
    sent, corrupt, lost, checked = Counter(), 0, [], 0
    for i in range(KILLS):
        # five kills per salt: the later ones resume a half-filled cache, the first starts cold
        env = tmgt.env(APR_SIM_DELAY_MS=40, TMGT_CACHE_SALT=f"kill-{i // 5}")
        sig = rng.choice(SIGNALS)
        p = tmgt.popen(*SELECTION, "-j", "2", env=env)
        time.sleep(rng.uniform(0.0, 0.6))
        p.send_signal(sig)
        _, err = p.communicate(timeout=60)
        sent[sig.name] += 1
        # 130 when tmgt caught it: the executor says what it keeps, the handler outside the loops
        # (planning, writing results) says it was interrupted; death by the signal itself only
        # before main() installs that handler; 0 when tmgt was done
        assert p.returncode in (130, 0, -sig), err
        if p.returncode == 130:
            assert sig != signal.SIGKILL
            assert "finished results are kept" in err or "tmgt: interrupted" in err, err
        v = verify(tmgt.cache)
        assert v.returncode == 0, v.stderr
        if VERIFY_CLEAN not in v.stdout:
            corrupt += 1
        done = finished_actions(err)
        plan = planned(tmgt, *SELECTION, env=env)
        lost += [(i, sig.name, a) for a in done if plan.get(a) != "cached"]
        checked += len(done)
    record_property("kills", dict(sent))
    record_property("finished_results_checked", checked)
    record_property("corrupt_caches", corrupt)
    record_property("lost_results", len(lost))
    assert sum(sent.values()) == KILLS and len(sent) == 3
    assert checked > KILLS  # the kills did land after work had finished
    assert corrupt == 0
    assert lost == []
    final = tmgt.run(*SELECTION, env=tmgt.env(TMGT_CACHE_SALT=f"kill-{(KILLS - 1) // 5}"))
    assert check_table(final.results) == check_table(reference.results)
    assert_cache_clean(tmgt.cache)
    assert list((tmgt.cache / "tmp").iterdir()) == []  # the killed runs' staging is swept


@pytest.mark.parametrize("n", [2, 4])
def test_concurrent_runs_on_one_cache_agree(tmgt, tmp_path, n):
    env = tmgt.env(APR_SIM_DELAY_MS=50)
    procs = []
    for k in range(n):
        cmd_results = tmp_path / f"results-{k}"
        p = tmgt.popen(*CANARY, "--check", "inspect", "--results-dir", str(cmd_results), env=env)
        procs.append((p, cmd_results))
    tables = []
    for p, results_dir in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        p.stdout, p.stderr = out, err
        tables.append(check_table(Run(p, results_dir).results))
    assert all(t == tables[0] for t in tables)
    assert {status for _, status, _ in tables[0]} == {"PASS"}
    assert_cache_clean(tmgt.cache)
    # what they stored together serves a later run completely
    after = tmgt.run(*CANARY, "--check", "inspect")
    assert after.results["actions_executed"] == 0
    assert check_table(after.results) == tables[0]


def test_concurrent_runs_with_one_results_dir_leave_a_readable_latest(tmgt):
    procs = [tmgt.popen(*CANARY, env=tmgt.env(APR_SIM_DELAY_MS=20)) for _ in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    r = tmgt.run("report")
    assert r.rc == 0
    assert r.results is not None and len(r.results["checks"]) == 5
