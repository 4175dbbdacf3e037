"""`tmgt bisect` on a real git repository of a small engine, built by the test."""
import hashlib
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import SIM, TMGT, Tmgt

N_COMMITS = 64
FIRST_BAD = 41
SELECTION = ("--model", "smollm-135m", "--check", "canary")

# The engine: plays `apr` by handing every call to the simulator, and from commit 41 on asks it
# to alter token 3 of the `code` prompt's answer. `engine_revision` makes every code commit a
# different binary; documentation commits leave engine.c, hence the binary, unchanged.
ENGINE_C = """#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
{broken}
int engine_revision = {rev};
#define ALTERED_TOKEN ({altered})

int main(int argc, char **argv)
{{
    (void)argc;
    {at_start}
    if (ALTERED_TOKEN >= 0) {{
        char rule[64];
        snprintf(rule, sizeof rule, "run@code=alter-token:%d", ALTERED_TOKEN);
        setenv("APR_SIM_FAULTS", rule, 1);
    }}
    argv[0] = "apr";
    execv(SIM, argv);
    perror(SIM);
    return 127;
}}
"""
BUILD = f"cc -O0 -DSIM='\"{SIM}\"' -o engine engine.c"


def git(repo, *args, **kw):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, **kw).stdout


def make_repo(path, code_commits=None, broken=(), crashing=(), hanging=(), frozen_after=None):
    """64 commits through one `git fast-import`. Commit k is "commit k"; code commits change
    engine.c, the others only README.md; commits in `broken` do not compile, those in `crashing`
    abort at start, those in `hanging` hang on the `code` prompt; commits after `frozen_after`
    change nothing (identical trees)."""
    code_commits = set(range(1, N_COMMITS + 1)) if code_commits is None else set(code_commits) | {1, FIRST_BAD}
    special = set(broken) | set(crashing) | set(hanging)
    stream, rev = [], 0
    for k in range(1, N_COMMITS + 1):
        files = {"README.md": f"# engine\n\nnotes revision {k}\n"}
        if k in code_commits or k in special or (k - 1) in special:
            rev += 1
            files["engine.c"] = ENGINE_C.format(rev=rev, altered=3 if k >= FIRST_BAD else -1,
                                                broken="#error this commit does not build" if k in broken else "",
                                                at_start="abort();" if k in crashing else
                                                'setenv("APR_SIM_FAULTS", "run@code=hang", 1);' if k in hanging
                                                else "")
        if frozen_after is not None and k > frozen_after:
            files = {}
        msg = f"commit {k}: {'engine' if 'engine.c' in files else 'docs'}\n"
        stream.append(f"commit refs/heads/main\nmark :{k}\n"
                      f"committer Dev <dev@example.com> {1700000000 + k * 60} +0000\n"
                      f"data {len(msg.encode())}\n{msg}")
        if k > 1:
            stream.append(f"from :{k - 1}\n")
        for name, text in files.items():
            stream.append(f"M 100644 inline {name}\ndata {len(text.encode())}\n{text}\n")
    path.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input="".join(stream), text=True, check=True)
    git(path, "reset", "-q", "--hard", "main")
    # the user's own state, which bisect must leave alone: a staged change, an edit, an untracked file
    (path / "README.md").write_text("staged edit\n")
    git(path, "add", "README.md")
    (path / "engine.c").write_text("work in progress\n")
    (path / "scratch.txt").write_text("untracked\n")
    return path


def commit_no(repo, oid):
    return int(git(repo, "log", "-1", "--format=%s", oid).split(":")[0].split()[1])


def user_state(repo):
    index = hashlib.sha256((repo / ".git" / "index").read_bytes()).hexdigest()
    return git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD"), index, (repo / "engine.c").read_text()


def bisect(tmgt, *args, env=None, **kw):
    return tmgt.run("bisect", *args, env=env, **kw)


def start_args(repo, *extra):
    return ("--repo", str(repo), "--good", "HEAD~63", "--bad", "main", "--build", BUILD, "--binary", "engine",
            *SELECTION, *extra)


def summary(tmgt):
    return json.loads((tmgt.results / "bisect.json").read_text())


def test_names_commit_41_within_7_builds_and_leaves_the_checkout_alone(tmgt, tmp_path):
    repo = make_repo(tmp_path / "engine")
    before = user_state(repo)
    r = bisect(tmgt, *start_args(repo))
    assert r.rc == 0, r.err
    doc = summary(tmgt)
    first_bad = doc["first_bad"]["commit"]
    assert commit_no(repo, first_bad) == FIRST_BAD
    assert f"{first_bad} is the first bad commit" in r.out
    assert doc["builds"] <= 7
    assert doc["builds"] == doc["tested"] == len(doc["steps"])
    assert [f["name"] for f in doc["first_bad"]["failing"]] == ["canary/smollm-135m/code"]
    assert doc["first_bad"]["failing"][0]["divergence"]["mismatches"] == 1
    assert "first divergence at character" in r.out
    for step in doc["steps"]:
        want = "bad" if commit_no(repo, step["commit"]) >= FIRST_BAD else "good"
        assert step["verdict"] == want, step
    assert user_state(repo) == before


# in parallel too: candidates of one round with the same binary check one after the other
@pytest.mark.parametrize("parallel", [(), ("--parallel", "3")], ids=["serial", "parallel"])
def test_documentation_commits_reuse_the_binary_and_the_cached_checks(tmgt, tmp_path, parallel):
    repo = make_repo(tmp_path / "engine", code_commits=())  # only commits 1 and 41 touch engine.c
    r = bisect(tmgt, *start_args(repo, *parallel))
    assert r.rc == 0, r.err
    doc = summary(tmgt)
    assert commit_no(repo, doc["first_bad"]["commit"]) == FIRST_BAD
    steps = doc["steps"]
    assert doc["binaries"] == 2 and doc["builds"] == len(steps)
    # one import + four runs per distinct binary; every other step answered from the cache
    assert doc["actions_executed"] == 2 * 5
    assert doc["actions_cached"] == (len(steps) - 2) * 5
    seen = set()
    for step in steps:
        assert (step["executed"], step["cached"]) == ((0, 5) if step["binary"] in seen else (5, 0))
        seen.add(step["binary"])
    runs = [c for c in tmgt.engine_calls() if c[1] == "run"]
    assert len(runs) == 2 * 4
    assert f"actions: 10 run, {(len(steps) - 2) * 5} cached" in r.out


def test_commits_that_do_not_build_are_skipped(tmgt, tmp_path):
    # 33 is the first choice in this range, 32 the next best once 33 is skipped
    repo = make_repo(tmp_path / "engine", broken={32, 33})
    r = bisect(tmgt, *start_args(repo))
    assert r.rc == 0, r.err
    doc = summary(tmgt)
    assert commit_no(repo, doc["first_bad"]["commit"]) == FIRST_BAD
    skipped = [s for s in doc["steps"] if s["verdict"] == "skip"]
    assert skipped and {commit_no(repo, s["commit"]) for s in skipped} <= {32, 33}
    for s in skipped:
        assert s["reason"].startswith("build failed: exit 1 (log: ")
        log = Path(s["reason"].split("(log: ")[1].rstrip(")"))
        assert "this commit does not build" in log.read_text()


def test_identical_trees_share_one_checkout_and_one_build(tmgt, tmp_path):
    repo = make_repo(tmp_path / "engine", frozen_after=FIRST_BAD)  # commits 42..64: the tree of 41
    r = bisect(tmgt, *start_args(repo))
    assert r.rc == 0, r.err
    doc = summary(tmgt)
    assert commit_no(repo, doc["first_bad"]["commit"]) == FIRST_BAD
    late = [s for s in doc["steps"] if commit_no(repo, s["commit"]) >= FIRST_BAD]
    assert len(late) >= 2 and len({s["tree"] for s in late}) == 1
    assert [s["built"] for s in late] == [True] + [False] * (len(late) - 1)
    assert all((s["executed"], s["cached"]) == (0, 5) for s in late[1:])
    assert doc["builds"] == doc["tested"] - (len(late) - 1)
    trees = {p.name for p in (tmgt.cache / "bisect" / "trees").iterdir()}
    assert trees == {s["tree"] for s in doc["steps"]}
    assert "build shared with an identical tree; actions: 0 run, 5 cached" in r.out


# An engine that crashes at start, or a check that times out (no verdict on the engine, issue
# 13.6), says nothing about the change: the commit is skipped, not called bad.
@pytest.mark.parametrize("fault, reason", [
    ("crashing", "the engine crashed: apr import → smollm-135m/int8.apr"),
    ("hanging", "a check timed out: canary/smollm-135m/code"),
])
def test_a_commit_that_gives_no_verdict_is_skipped(tmgt, tmp_path, fault, reason):
    repo = make_repo(tmp_path / "engine", **{fault: {33}})
    pipeline = tmgt.make_pipeline(run={"timeout_s": 1}) if fault == "hanging" else None
    r = bisect(tmgt, *start_args(repo), pipeline=pipeline)
    assert r.rc == 0, r.err
    doc = summary(tmgt)
    assert commit_no(repo, doc["first_bad"]["commit"]) == FIRST_BAD
    skipped = [s for s in doc["steps"] if s["verdict"] == "skip"]
    assert [commit_no(repo, s["commit"]) for s in skipped] == [33]
    assert skipped[0]["reason"] == reason


def test_skips_around_the_change_give_the_exact_range(tmgt, tmp_path):
    repo = make_repo(tmp_path / "engine", broken={40, 41})
    r = bisect(tmgt, *start_args(repo))
    assert r.rc == 0, r.err
    doc = summary(tmgt)
    assert doc["first_bad"] is None
    assert sorted(commit_no(repo, c["commit"]) for c in doc["could_be"]) == [40, 41, 42]
    oids = "\n".join(c["commit"] for c in doc["could_be"])
    assert ("There are only 'skip'ped commits left to test.\nThe first bad commit could be any of:\n"
            f"{oids}\nWe cannot bisect more!\n") in r.out


def interrupt_when(tmgt, args, build, marker):
    """Starts a bisection building with `build` and sends it Ctrl-C once `marker` exists (a
    build hangs after writing it): the bisection must stop with 130. Returns its stderr."""
    args = list(args)
    args[args.index(BUILD)] = build
    p = tmgt.popen("bisect", *args)
    deadline = time.monotonic() + 120
    while not marker.exists() and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), p.communicate()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    return err


def test_interrupted_bisect_continues_to_the_same_answer(tmgt, tmp_path):
    repo = make_repo(tmp_path / "engine")
    before = user_state(repo)
    count, hanging = tmp_path / "builds", tmp_path / "hanging"
    # the second build hangs, once: Ctrl-C reaches tmgt while it waits on a build
    build = (f"n=$(cat {count} 2>/dev/null || echo 0); echo $((n + 1)) > {count}; "
             f"if [ $n -eq 1 ]; then touch {hanging}; exec sleep 600; fi; {BUILD}")
    err = interrupt_when(tmgt, start_args(repo), build, hanging)
    assert "resume with: tmgt bisect --continue" in err
    state = json.loads((tmgt.cache / "bisect" / "state.json").read_text())
    recorded = [s["commit"] for s in state["steps"]]
    assert len(recorded) == 1  # the first step; the interrupted one is not recorded
    assert not (tmgt.results / "bisect.json").exists()

    r = bisect(tmgt, "--continue")
    assert r.rc == 0, r.err
    doc = summary(tmgt)
    assert commit_no(repo, doc["first_bad"]["commit"]) == FIRST_BAD
    assert [s["commit"] for s in doc["steps"]][:1] == recorded
    assert len({s["commit"] for s in doc["steps"]}) == len(doc["steps"])  # nothing tested twice
    assert user_state(repo) == before

    # the answer is kept until --reset, which removes the checkouts
    again = bisect(tmgt, "--continue")
    assert again.rc == 0 and summary(tmgt)["steps"] == doc["steps"]
    assert any((tmgt.cache / "bisect" / "trees").iterdir())
    gone = bisect(tmgt, "--reset")
    assert gone.rc == 0 and not (tmgt.cache / "bisect").exists()


def answer(repo, doc):
    """What a bisection concluded, by commit number: the first bad one, or the range."""
    if doc["first_bad"]:
        return commit_no(repo, doc["first_bad"]["commit"])
    return sorted(commit_no(repo, c["commit"]) for c in doc["could_be"])


def timed_build(log):
    """BUILD, logging when each build starts and ends, half a second apart at least."""
    return f"echo start $(pwd) $(date +%s.%N) >> {log}; sleep 0.5; {BUILD}; echo end $(pwd) $(date +%s.%N) >> {log}"


def build_intervals(log):
    times = {}
    for line in log.read_text().splitlines():
        what, tree_dir, t = line.split()
        times.setdefault(Path(tree_dir).name, {})[what] = float(t)
    return times


# (changes the repository makes, what the serial bisection concludes): a plain history, builds
# that fail where the serial search looks first, and skips around the change (a range)
SCENARIOS = {"plain": ({}, FIRST_BAD), "skips": ({"broken": {32, 33}}, FIRST_BAD),
             "ambiguous": ({"broken": {40, 41}}, [40, 41, 42])}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_parallel_bisection_reaches_the_serial_answer_in_fewer_rounds(tmp_path, scenario):
    changes, expected = SCENARIOS[scenario]
    repo = make_repo(tmp_path / "engine", **changes)
    answers, rounds = {}, {}
    for n in (1, 2, 3, 4):
        (tmp_path / f"n{n}").mkdir()
        ws = Tmgt(tmp_path / f"n{n}")
        log = tmp_path / f"builds-{n}.log"
        args = list(start_args(repo))
        args[args.index(BUILD)] = timed_build(log)
        r = bisect(ws, *args, *(("--parallel", str(n)) if n > 1 else ()))
        assert r.rc == 0, r.err
        doc = summary(ws)
        answers[n], rounds[n] = answer(repo, doc), doc["rounds"]
        assert doc["parallel"] == n and doc["wall_ms"] > 0
        assert f"in {doc['rounds']} rounds of up to {n}, " in r.out
        by_round = {}
        for step in doc["steps"]:
            by_round.setdefault(step["round"], []).append(step)
        assert sorted(by_round) == list(range(1, doc["rounds"] + 1))
        assert all(len(steps) <= n for steps in by_round.values())
        # a round's builds ran at once: each started before any of the others ended
        times = build_intervals(log)
        for steps in by_round.values():
            built = [times[s["tree"]] for s in steps if s["built"]]
            if len(built) > 1:
                assert max(t["start"] for t in built) < min(t["end"] for t in built), built
        for step in doc["steps"]:  # every verdict is the commit's own, whoever tested it
            k = commit_no(repo, step["commit"])
            want = "skip" if k in changes.get("broken", ()) else "bad" if k >= FIRST_BAD else "good"
            assert step["verdict"] == want, step
    assert answers == {n: expected for n in (1, 2, 3, 4)}
    assert rounds[4] < rounds[2] < rounds[1]


def test_an_interrupted_parallel_bisection_continues_in_parallel_to_the_same_answer(tmgt, tmp_path):
    repo = make_repo(tmp_path / "engine")
    hanging = tmp_path / "hanging"
    # the first round tests commits 17, 33 and 48, the second 37, 41 and 44: the build of commit
    # 44 hangs, once, so Ctrl-C reaches tmgt while the second round's other builds are done
    build = (f"if grep -q 'engine_revision = 44;' engine.c && [ ! -e {hanging} ]; then "
             f"touch {hanging}; exec sleep 600; fi; {BUILD}")
    interrupt_when(tmgt, start_args(repo, "--parallel", "3"), build, hanging)
    state = json.loads((tmgt.cache / "bisect" / "state.json").read_text())
    assert state["parallel"] == 3
    recorded = [s["commit"] for s in state["steps"]]
    assert sorted(commit_no(repo, c) for c in recorded) == [17, 33, 48]  # the first round only
    assert {s["round"] for s in state["steps"]} == {1}

    r = bisect(tmgt, "--continue")
    assert r.rc == 0, r.err
    doc = summary(tmgt)
    assert commit_no(repo, doc["first_bad"]["commit"]) == FIRST_BAD
    assert [s["commit"] for s in doc["steps"]][:3] == recorded
    assert len({s["commit"] for s in doc["steps"]}) == len(doc["steps"])  # nothing tested twice
    assert doc["parallel"] == 3 and doc["rounds"] >= 2
    assert max(len([s for s in doc["steps"] if s["round"] == k]) for k in range(2, doc["rounds"] + 1)) == 3


@pytest.mark.parametrize("value", ["0", "65", "abc", "-2", ""])
def test_a_bad_parallel_count_is_a_usage_error(tmgt, tmp_path, value):
    repo = make_repo(tmp_path / "engine")
    r = bisect(tmgt, *start_args(repo, "--parallel", value))
    assert r.rc == 2 and f'--parallel wants a number from 1 to 64, not "{value}"' in r.err, r.err
    assert not (tmgt.cache / "bisect").exists()


@pytest.mark.parametrize("args, message", [
    (("--good", "main", "--bad", "HEAD~63"), "--bad HEAD~63 ("),
    (("--good", "HEAD~63", "--bad", "nope"), 'unknown revision "nope" in '),
    (("--good", "main", "--bad", "main"), "--good main and --bad main are the same commit"),
])
def test_bad_revisions_are_clear_errors(tmgt, tmp_path, args, message):
    repo = make_repo(tmp_path / "engine")
    r = bisect(tmgt, "--repo", str(repo), *args, "--build", BUILD, "--binary", "engine", *SELECTION)
    assert r.rc == 2
    assert message in r.err
    if args[1] == "main" and args[3] == "HEAD~63":
        assert "is an ancestor of --good main" in r.err
    assert not (tmgt.cache / "bisect").exists()


def test_good_off_the_bad_line_names_the_merge_base(tmgt, tmp_path):
    repo = make_repo(tmp_path / "engine")
    base = git(repo, "rev-parse", "HEAD~10").strip()
    side = git(repo, "commit-tree", "-p", base, "-m", "side", f"{base}^{{tree}}",
               env={"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a",
                    "GIT_COMMITTER_EMAIL": "a@b", "PATH": "/usr/bin:/bin"}).strip()
    git(repo, "branch", "side", side)
    r = bisect(tmgt, "--repo", str(repo), "--good", "side", "--bad", "main", "--build", BUILD, "--binary", "engine")
    assert r.rc == 2
    assert (f"--good side ({side[:12]}) is not an ancestor of --bad main ("
            in r.err) and f"their merge base is {base[:12]}: test it and bisect from there" in r.err


def test_bad_input_is_refused_before_anything_is_built(tmgt, tmp_path):
    repo = make_repo(tmp_path / "engine")
    not_repo = tmp_path / "plain"
    not_repo.mkdir()
    cases = [
        (("--repo", str(not_repo), "--good", "a", "--bad", "b", "--build", "true", "--binary", "x"),
         f"--repo {not_repo} is not a git repository"),
        (("--repo", str(repo), "--good", "HEAD~63"), "a new bisect needs --repo, --good and --bad"),
        (start_args(repo, "--engine", "nosuch"), "--engine nosuch: the pipeline has no such engine"),
        (("--repo", str(repo), "--good", "HEAD~63", "--bad", "main"), "--build is needed: "),
        (start_args(repo, "--engine", f"apr={SIM}"), f"--engine apr={SIM}: the bisected engine is played by each"),
        (("--continue",), "no bisect in progress in "),
        (("--continue", "--repo", str(repo)), "--continue and --reset take no --repo"),
        (("--frobnicate",), "unknown option --frobnicate"),
    ]
    for args, message in cases:
        r = bisect(tmgt, *args)
        assert (r.rc, message in r.err) == (2, True), (args, r.err)
    r = tmgt.run("--engine", "apr", "plan")  # a bare NAME is for bisect only
    assert r.rc == 2 and '--engine wants NAME=PATH, not "apr"' in r.err
    r = bisect(tmgt, "--help")
    assert r.rc == 0 and "run by /bin/sh -c in the checkout" in r.out and "--continue" in r.out
    assert not (tmgt.cache / "bisect").exists()

    first = bisect(tmgt, *start_args(repo, "--check", "nosuch"))
    assert first.rc == 2 and "tmgt: bisect: --check nosuch selects no check" in first.err
    # a damaged state file is reported, not trusted
    (tmgt.cache / "bisect").mkdir(parents=True)
    (tmgt.cache / "bisect" / "state.json").write_text("{")
    r = bisect(tmgt, "--continue")
    assert r.rc == 2 and "is damaged or from another tmgt version" in r.err
    r = bisect(tmgt, *start_args(repo))
    assert r.rc == 2 and "a bisect is already in progress" in r.err
    fields = {k: "x" for k in ("repo", "good_rev", "bad_rev", "build", "binary", "engine", "pipeline", "results_dir")}
    step = {"commit": "c" * 40, "tree": "d" * 40, "summary": "s", "verdict": "meh"}
    state = {"format": 1, **fields, "good": "a" * 40, "bad": "b" * 40, "checks": [], "models": [],
             "engine_overrides": [], "steps": [step]}
    (tmgt.cache / "bisect" / "state.json").write_text(json.dumps(state))
    r = bisect(tmgt, "--continue")
    assert r.rc == 2 and "is damaged or from another tmgt version" in r.err
    step["verdict"] = "good"
    (tmgt.cache / "bisect" / "state.json").write_text(json.dumps(state))
    r = bisect(tmgt, "--continue")  # well-formed, but its repository is gone
    assert r.rc == 3 and "tmgt: x is not a git repository" in r.err


@pytest.mark.parametrize("selection, problem", [
    (("--check", "token-parity/nosuch"), "--check token-parity/nosuch selects no check"),
    (("--model", "smollm-135m", "--check", "*/gpt2-124m/*"), "--check */gpt2-124m/* selects no check of --model"),
    (("--model", "nope"), "--model nope: the pipeline has no such model"),
], ids=["glob", "other-model", "model"])
def test_a_selection_of_no_check_is_refused_before_any_checkout_or_build(tmgt, tmp_path, selection, problem):
    repo = make_repo(tmp_path / "engine")
    built = tmp_path / "built"
    r = bisect(tmgt, "--repo", str(repo), "--good", "HEAD~63", "--bad", "main", "--build", f"touch {built}",
               "--binary", "engine", *selection)
    assert r.rc == 2 and f"tmgt: bisect: {problem}" in r.err, r.err
    assert "token (token-parity)" in r.err and "models (--model): smollm-135m, qwen2-0.5b, gpt2-124m" in r.err
    assert not built.exists() and not (tmgt.cache / "bisect").exists() and tmgt.engine_calls() == []


def test_a_glob_selection_bisects_the_checks_it_names(tmgt, tmp_path):
    repo = make_repo(tmp_path / "engine", code_commits=())
    r = bisect(tmgt, "--repo", str(repo), "--good", "HEAD~63", "--bad", "main", "--build", BUILD,
               "--binary", "engine", "--check", "canary/*/code", "--model", "smollm-135m")
    assert r.rc == 0, r.err
    doc = summary(tmgt)
    assert commit_no(repo, doc["first_bad"]["commit"]) == FIRST_BAD
    assert [f["name"] for f in doc["first_bad"]["failing"]] == ["canary/smollm-135m/code"]
    step = json.loads((Path(doc["steps"][0]["results"]) / "latest.json").read_text())
    assert [c["name"] for c in step["checks"]] == ["convert/smollm-135m/int8.apr", "canary/smollm-135m/code"]


if __name__ == "__main__":
    # The README's example: python3 tests/integration/test_bisect.py DIR [docs] writes the
    # 64-commit repository into DIR (with "docs", only commits 1 and 41 touch the engine).
    import shlex
    import sys
    target = make_repo(Path(sys.argv[1]), code_commits=() if sys.argv[2:] == ["docs"] else None)
    print(shlex.join(["bisect", *start_args(target)]))
