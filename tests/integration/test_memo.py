"""A run that executed nothing is remembered (src/core/run_memo.h); its identical successor
replays the verdicts when every file the run read is unchanged, and judges again after any change
that could alter them."""
import json
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import ROOT, SETTLE_S, SIM, TMGT, check_table
from faultlib import verify

SLUG = "smollm-135m"
SELECTION = ("--model", SLUG, "--check", "canary", "--check", "token")
REPLAYED = "tmgt: nothing changed since the last identical run"


@pytest.fixture
def ws(tmgt):
    """A workspace whose oracles, prompts, model source and simulator are private copies."""
    base = tmgt.tmp / "base"
    shutil.copytree(ROOT / "oracle" / SLUG, base / "oracle" / SLUG)
    shutil.copytree(ROOT / "prompts", base / "prompts")
    shutil.copytree(ROOT / "tests" / "sim" / "models" / SLUG, base / "source" / SLUG)
    shutil.copy2(SIM, base / "apr-sim")
    doc = json.loads(tmgt.pipeline.read_text())
    doc["base"] = str(base)
    doc["engines"]["apr"]["binary"] = str(base / "apr-sim")
    doc["models"] = [dict(m, source=f"source/{SLUG}", oracle=f"oracle/{SLUG}") for m in doc["models"]
                     if m["slug"] == SLUG]
    tmgt.pipeline.write_text(json.dumps(doc))
    tmgt.base = base
    return tmgt


def remembered(ws, *args, env=None):
    """A cold run, then a no-op that writes the memo: returns the no-op."""
    first = ws.run(*SELECTION, *args, env=env)
    assert first.results["actions_executed"] > 0, first.err
    time.sleep(SETTLE_S)
    noop = ws.run(*SELECTION, *args, env=env)
    assert noop.results["actions_executed"] == 0 and REPLAYED not in noop.err, noop.err
    assert len(memos(ws)) >= 1
    return noop


def memos(ws):
    d = ws.cache / "memo"
    return sorted(d.iterdir()) if d.exists() else []


HEADER = ("started_at", "finished_at", "wall_ms")


def without_timing(out):
    return re.sub(r" in \d+\.\ds$", " in _s", out, flags=re.M)


def run_documents(ws):
    return sorted(ws.results.glob("run-*.json"))


def test_an_identical_rerun_replays_the_verdicts_and_points_at_the_same_document(ws):
    noop = remembered(ws)
    documents = run_documents(ws)
    noop_doc = next(d for d in documents if d.stat().st_ino == (ws.results / "latest.json").stat().st_ino)
    calls = len(ws.engine_calls())
    replay = ws.run(*SELECTION)
    assert REPLAYED in replay.err
    assert f"its {len(noop.results['checks'])} verdicts stand, in {noop_doc}" in replay.err
    assert replay.rc == noop.rc == 0
    assert len(ws.engine_calls()) == calls  # not even --version
    assert without_timing(replay.out) == without_timing(noop.out)
    assert "0 actions executed" in replay.out
    # no new document: latest.json is the remembered run's, byte for byte (as Bazel keeps a cached
    # test's log)
    assert run_documents(ws) == documents
    assert replay.results == noop.results
    assert (ws.results / "latest.json").stat().st_ino == noop_doc.stat().st_ino


def test_latest_is_pointed_back_at_the_remembered_document_after_another_selection(ws):
    remembered(ws)
    a = (ws.results / "latest.json").read_bytes()
    other = ("--model", SLUG, "--check", "inspect")
    ws.run(*other)
    time.sleep(SETTLE_S)
    ws.run(*other)  # its memo: latest.json now links to the other selection's document
    assert REPLAYED in ws.run(*other).err
    assert (ws.results / "latest.json").read_bytes() != a
    back = ws.run(*SELECTION)
    assert REPLAYED in back.err
    assert (ws.results / "latest.json").read_bytes() == a


def test_a_run_that_executed_something_writes_no_memo(ws):
    first = ws.run(*SELECTION)
    assert first.results["actions_executed"] > 0
    assert memos(ws) == []
    time.sleep(SETTLE_S)
    assert REPLAYED not in ws.run(*SELECTION).err  # judged again: the memo is written now


def test_failures_are_replayed_with_their_exit_status_and_lines(ws):
    oracle = ws.base / "oracle" / SLUG / "code.json"
    doc = json.loads(oracle.read_text())
    doc["tokens"] = [t + 1 for t in doc["tokens"]]
    oracle.write_text(json.dumps(doc))
    noop = remembered(ws, "--jobs", "2")
    assert noop.rc == 1
    replay = ws.run(*SELECTION, "--jobs", "2")
    assert REPLAYED in replay.err and replay.rc == 1
    assert without_timing(replay.out) == without_timing(noop.out)
    assert "✗" in replay.out and check_table(replay.results) == check_table(noop.results)


def edit_oracle(ws):
    oracle = ws.base / "oracle" / SLUG / "code.json"
    doc = json.loads(oracle.read_text())
    doc["tokens"][5] += 1
    oracle.write_text(json.dumps(doc))
    name = f"token-parity/{SLUG}/int8/code"
    return lambda run: (run.check(name)["detail"].startswith("1/") and
                        f"judging again the checks that read {oracle}: it changed" in run.err)


def edit_prompt(ws):
    (ws.base / "prompts" / "greeting.txt").write_text("Hello there, changed prompt:")
    return lambda run: run.results["actions_executed"] > 0


def edit_source(ws):
    with open(ws.base / "source" / SLUG / "config.json", "a") as f:
        f.write(" ")
    return lambda run: run.results["actions_executed"] > 0


def delete_artefact(ws):
    artefact = ws.tmp / "models" / SLUG / "int8.apr"
    artefact.unlink()
    return lambda run: artefact.exists()


def rebuild_engine(ws):
    with open(ws.base / "apr-sim", "ab") as f:
        f.write(b"\0rebuilt")
    return lambda run: run.results["actions_executed"] > 0


def edit_pipeline(ws):
    doc = json.loads(ws.pipeline.read_text())
    doc["models"][0]["metadata"]["ppl_ceiling"] = 19.5
    ws.pipeline.write_text(json.dumps(doc))
    return lambda run: run.results is not None


def edit_document(ws):
    [document] = [d for d in run_documents(ws) if d.stat().st_ino == (ws.results / "latest.json").stat().st_ino]
    document.write_text(document.read_text().replace('"PASS"', '"FAIL"', 1))
    return lambda run: f"judging again: {document} changed" in run.err and run.rc == 0


def gc_everything(ws):
    ws.run("--model", SLUG, "--check", "inspect")  # the last run now uses none of the memo's entries
    r = subprocess.run([str(TMGT), "cache", "gc", "--keep", "1", "--cache-dir", str(ws.cache)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return lambda run: run.results["actions_executed"] > 0 and memos(ws) == []


@pytest.mark.parametrize("change", [edit_oracle, edit_prompt, edit_source, delete_artefact, rebuild_engine,
                                    edit_pipeline, edit_document, gc_everything], ids=lambda f: f.__name__)
def test_any_change_to_what_the_run_read_means_judging_again(ws, change):
    remembered(ws)
    shows_change = change(ws)
    again = ws.run(*SELECTION)
    assert REPLAYED not in again.err
    assert shows_change(again), again.err
    # the run says which file made it judge again (after gc there is no memo to compare with)
    assert ("tmgt: judging again" in again.err) == (change is not gc_everything), again.err


def without_header(results):
    return {k: v for k, v in results.items() if k not in HEADER}


def fail_on_code(ws):
    """Every token of the code prompt's oracle moved: its token checks now fail (the canary
    compares the text, which stays)."""
    oracle = ws.base / "oracle" / SLUG / "code.json"
    doc = json.loads(oracle.read_text())
    doc["tokens"] = [t + 1 for t in doc["tokens"]]
    oracle.write_text(json.dumps(doc))
    return oracle


def test_an_edited_oracle_judges_again_only_its_prompts_checks_and_reports_as_a_whole_run(ws):
    remembered(ws)
    calls = len(ws.engine_calls())
    oracle = fail_on_code(ws)
    again = ws.run(*SELECTION)
    assert f"tmgt: judging again the checks that read {oracle}: it changed" in again.err
    assert again.rc == 1, (again.out, again.err, again.results["counts"])
    assert [c["name"] for c in again.results["checks"] if c["status"] == "FAIL"] == [
        f"token-parity/{SLUG}/int4/code", f"token-parity/{SLUG}/int8/code"]
    assert not [c for c in ws.engine_calls()[calls:] if c[1:] != ["--version"]]  # all cached
    # a whole run, with no memo to start from, says and writes the same
    shutil.rmtree(ws.cache / "memo")
    whole = ws.run(*SELECTION)
    assert "judging again" not in whole.err and whole.rc == 1
    assert without_timing(again.out) == without_timing(whole.out)
    assert without_header(again.results) == without_header(whole.results)
    assert again.results["actions_executed"] == 0 and again.results["counts"]["fail"] == 2


def test_after_judging_again_the_next_rerun_replays_the_new_verdicts(ws):
    remembered(ws)
    fail_on_code(ws)
    time.sleep(SETTLE_S)  # the oracle is then old enough for the rerun's memo to vouch for it
    again = ws.run(*SELECTION)
    assert "judging again the checks that read" in again.err and again.rc == 1
    replay = ws.run(*SELECTION)
    assert REPLAYED in replay.err and replay.rc == 1
    assert without_timing(replay.out) == without_timing(again.out)
    assert json.loads((ws.results / "latest.json").read_text()) == again.results


def test_a_touched_oracle_with_the_same_bytes_changes_nothing(ws):
    noop = remembered(ws)
    calls = len(ws.engine_calls())
    oracle = ws.base / "oracle" / SLUG / "code.json"
    oracle.write_bytes(oracle.read_bytes())  # new timestamps, as a checkout leaves them
    replay = ws.run(*SELECTION)
    assert REPLAYED in replay.err and replay.rc == noop.rc
    assert without_timing(replay.out) == without_timing(noop.out)
    assert len(ws.engine_calls()) == calls


def test_gc_after_judging_again_keeps_what_the_remembered_run_used(ws):
    remembered(ws)
    fail_on_code(ws)
    ws.run(*SELECTION)
    r = subprocess.run([str(TMGT), "cache", "gc", "--keep", "1", "--cache-dir", str(ws.cache)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    after = ws.run(*SELECTION)  # gc forgot the memos: a whole run, from a cache that kept everything
    assert "judging again" not in after.err
    assert after.results["actions_executed"] == 0


def test_an_edited_oracle_that_an_action_reads_is_a_change_like_any_other_input(ws):
    sel = ("--check", "logit-parity")
    remembered(ws, *sel)
    calls = len(ws.engine_calls())
    oracle = fail_on_code(ws)
    again = ws.run(*SELECTION, *sel)
    assert f"tmgt: judging again: {oracle} changed" in again.err
    code = (ws.base / "prompts" / "code.txt").read_text()
    probes = [c for c in ws.engine_calls()[calls:] if "--teacher-oracle" in c]
    assert probes and all(c[c.index("-p") + 1] == code for c in probes)  # only the edited prompt's
    assert again.results["actions_executed"] == len(probes)  # this run ran them, and says so


@pytest.mark.parametrize("differs", [("env", {"TMGT_GPU": "1"}),
                                     ("env", {"HUGGING_FACE_HUB_TOKEN": "hf_another_token"}),
                                     ("args", ("--jobs", "3")),
                                     ("args", ("-q",))], ids=lambda d: d[0] + "-" + str(d[1]))
def test_another_command_line_or_environment_has_its_own_memo(ws, differs):
    remembered(ws)
    kind, what = differs
    if kind == "env":
        other = ws.run(*SELECTION, env=ws.env(**what))
    else:
        other = ws.run(*SELECTION, *what)
    assert REPLAYED not in other.err
    assert len(memos(ws)) == 2
    assert REPLAYED in ws.run(*SELECTION).err  # the first memo still stands


def test_a_damaged_memo_is_ignored_and_rewritten(ws):
    noop = remembered(ws)
    [memo] = memos(ws)
    data = bytearray(memo.read_bytes())
    data[len(data) - 200] ^= 0x01  # one flipped bit in the stored document
    memo.write_bytes(bytes(data))
    again = ws.run(*SELECTION)
    assert REPLAYED not in again.err
    assert check_table(again.results) == check_table(noop.results)
    assert REPLAYED in ws.run(*SELECTION).err


def test_a_file_changed_just_before_the_run_cannot_vouch_for_a_memo(ws):
    remembered(ws)
    for m in memos(ws):
        m.unlink()
    oracle = ws.base / "oracle" / SLUG / "code.json"
    # a timestamp inside the racy window (at the run's start or later): a further change within
    # the clock's tick could go unseen. Set ahead of now, so that how long the run takes to start
    # on a loaded machine cannot move it out of the window.
    ahead = time.time_ns() + 10 * 10**9
    os.utime(oracle, ns=(ahead, ahead))
    racy = ws.run(*SELECTION)
    assert racy.results["actions_executed"] == 0
    assert memos(ws) == []


def test_cache_verify_that_removes_damage_forgets_the_memos(ws):
    remembered(ws)
    record = next((ws.cache / "ac").rglob("*"))
    while record.is_dir():
        record = next(record.iterdir())
    record.write_text("{ not json")
    v = verify(ws.cache)
    assert v.returncode == 1
    assert memos(ws) == []


def test_runs_finishing_within_the_same_second_keep_a_document_each(ws):
    for _ in range(3):
        ws.run("--model", SLUG, "--check", "inspect", "--no-cache")
    documents = run_documents(ws)
    assert len(documents) == 3
    assert len({d.read_text() for d in documents}) == 3  # three runs, three headers
