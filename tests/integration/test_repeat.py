"""--repeat N: every action runs N times in its own processes, a result that varies FAILs every
check reading it as nondeterministic and is never cached; a stable one is judged as with N=1."""
import re

import pytest

from conftest import Tmgt, check_table

NONDETERMINISTIC_RUN = re.compile(
    r"nondeterministic: apr run \S+/int8\.apr \w+: run [23] differs from run 1: tokens\[31\] \d+ vs \d+")


def engine_runs(tmgt):
    """The engine calls of the runs so far, version probes aside, and forget them; the
    workspace and the staging files' unique names are left out, so two workspaces compare."""
    calls = [[re.sub(r"/tmp/\d+-\d+-", "/tmp/", arg.replace(str(tmgt.tmp), "")) for arg in c]
             for c in tmgt.engine_calls() if "--version" not in c]
    tmgt.log.unlink(missing_ok=True)
    return calls


def fresh(tmp_path, name):
    (tmp_path / name).mkdir()
    return Tmgt(tmp_path / name)


def test_a_deterministic_matrix_repeated_three_times_reaches_the_same_verdicts(tmp_path):
    once, thrice = fresh(tmp_path, "once"), fresh(tmp_path, "thrice")
    a = once.run("--repeat", "1")
    b = thrice.run("run", "--repeat", "3")
    assert a.rc == b.rc == 0, b.err
    assert check_table(a.results) == check_table(b.results)
    assert "nondeterministic" not in b.err
    calls_once, calls_thrice = engine_runs(once), engine_runs(thrice)
    assert len(calls_once) == a.results["actions_executed"] > 100
    assert sorted(calls_thrice) == sorted(calls_once * 3)
    assert b.results["repeat"] == 3
    # what the repeated runs agreed on is cached: the next run executes nothing
    again = thrice.run()
    assert again.results["actions_executed"] == 0
    assert check_table(again.results) == check_table(a.results)


def test_a_varying_run_fails_every_check_reading_it_and_runs_again_next_time(tmgt, tmp_path):
    # the checks that read the int8 runs are those a failing int8 run changes (another cache)
    other = fresh(tmp_path, "other")
    baseline = other.run()
    broken = other.run("--no-cache", env=other.env(APR_SIM_FAULTS="run@int8=exit:9"))
    readers = {name for name, verdict in broken.checks().items() if verdict != baseline.checks()[name]}
    assert readers and all("/" in r for r in readers)

    varied = tmgt.run("check", "--repeat", "3", env=tmgt.env(APR_SIM_FAULTS="run@int8=vary"))
    assert varied.rc == 1
    flagged = {n for n, (status, detail) in varied.checks().items() if detail.startswith("nondeterministic")}
    assert flagged == readers
    for name in flagged:
        status, detail = varied.checks()[name]
        assert status == "FAIL"
        assert NONDETERMINISTIC_RUN.fullmatch(detail), detail
    others = {n: v for n, v in varied.checks().items() if n not in flagged}
    assert others == {n: v for n, v in baseline.checks().items() if n not in flagged}
    int8_runs = [a for a in varied.results["actions"] if a["step"] == "run" and "/int8.apr" in a["id"]]
    assert int8_runs and all(a["varied"].startswith("run ") for a in int8_runs)
    assert sum(1 for c in engine_runs(tmgt) if c[1] == "run" and "/int8.apr" in c[2]) == 3 * len(int8_runs)

    # nothing of what varied was stored: the next run executes exactly those again
    after = tmgt.run()
    assert after.rc == 0
    assert check_table(after.results) == check_table(baseline.results)
    rerun = engine_runs(tmgt)
    assert len(rerun) == len(int8_runs) == after.results["actions_executed"]
    assert all(c[1] == "run" and "/int8.apr" in c[2] for c in rerun)


def test_a_varying_conversion_names_the_first_differing_byte_and_is_not_cached(tmgt):
    varied = tmgt.run("--model", "smollm-135m", "--check", "token", "--repeat", "2",
                      env=tmgt.env(APR_SIM_FAULTS="import@int4=vary"))
    assert varied.rc == 1
    status, detail = varied.checks()["convert/smollm-135m/int4.apr"]
    assert status == "FAIL"
    assert re.fullmatch(r"nondeterministic: apr import → smollm-135m/int4\.apr: "
                        r"run 2 differs from run 1: int4\.apr byte \d+", detail), detail
    assert varied.checks()["convert/smollm-135m/int8.apr"][0] == "PASS"
    for prompt in ("arithmetic", "code", "completion", "greeting"):  # they read the varying file
        assert varied.checks()[f"token-parity/smollm-135m/int4/{prompt}"] == (status, detail)
        assert varied.checks()[f"token-parity/smollm-135m/int8/{prompt}"][0] == "PASS"
    engine_runs(tmgt)
    after = tmgt.run("--model", "smollm-135m", "--check", "token")
    assert after.rc == 0
    imports = [c for c in engine_runs(tmgt) if c[1] == "import"]
    assert len(imports) == 1 and "int4" in " ".join(imports[0])


@pytest.mark.parametrize("value", ["0", "-1", "abc", "2.5", ""])
def test_a_bad_repeat_count_is_a_usage_error(tmgt, value):
    r = tmgt.run("--repeat", value)
    assert r.rc == 2
    assert "--repeat wants a number of runs from 1 to 4096" in r.err
    assert not tmgt.log.exists()  # nothing ran
