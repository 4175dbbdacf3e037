"""What a rerun costs, observed on the cache directory, and the benchmarks' claim that
make, ninja and the original harness run exactly tmgt's engine commands."""
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from conftest import ROOT, SIM

sys.path.insert(0, str(ROOT / "bench"))
import legacy_harness  # noqa: E402
import lib  # noqa: E402


def cache_files(cache):
    """Every file of the cache with its inode and modification time (tmp/ must be empty)."""
    return {str(p.relative_to(cache)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in cache.rglob("*") if p.is_file() and p.parts[-2] != "runs" and "runs" not in p.parts}


def test_noop_rerun_writes_nothing_to_the_store_but_its_memo_and_the_replay_nothing_at_all(tmgt):
    tmgt.run("--model", "smollm-135m")
    time.sleep(0.25)  # files the first run wrote are then old enough to vouch for a memo
    before = cache_files(tmgt.cache)
    again = tmgt.run("--model", "smollm-135m")
    assert again.results["actions_executed"] == 0
    after = cache_files(tmgt.cache)
    changed = sorted(k for k in after if before.get(k) != after[k] and k != "statcache")
    assert len(changed) == 1 and changed[0].startswith("memo/")
    assert not any((tmgt.cache / "tmp").iterdir())  # no staging directory left behind
    replay = tmgt.run("--model", "smollm-135m")
    assert "nothing changed since the last identical run" in replay.err
    assert cache_files(tmgt.cache) == after


def another_build(tmp_path, name):
    path = tmp_path / name
    shutil.copy(SIM, path)
    with open(path, "ab") as f:  # same behaviour, another digest
        f.write(name.encode())
    return path


def test_explain_compares_with_the_key_last_used_even_when_it_came_from_the_cache(tmgt, tmp_path):
    sel = ("--model", "smollm-135m", "--check", "inspect")
    tmgt.run(*sel)
    b, c = another_build(tmp_path, "apr-b"), another_build(tmp_path, "apr-c")
    tmgt.run(*sel, "--engine", f"apr={b}", env=tmgt.env(APR_SIM_VERSION="0.80.0"))  # new keys
    back = tmgt.run(*sel)  # the first keys again: all cached, and now the last used
    assert back.results["actions_executed"] == 0
    p = tmgt.popen("plan", "--explain", *sel, "--engine", f"apr={c}", env=tmgt.env(APR_SIM_VERSION="0.90.0"))
    out, _ = p.communicate()
    assert "engine apr changed (apr 0.72.3-sim (simsha) → apr 0.90.0 (simsha))" in out
    assert "0.80.0" not in out


def test_a_query_whose_output_spills_to_disk_is_stored_whole_and_leaves_no_scratch_file(tmgt):
    r = tmgt.run("--model", "smollm-135m", "--check", "inspect",
                 env=tmgt.env(APR_SIM_FAULTS="inspect=huge:4000000"))  # over the 1 MiB kept in memory
    inspects = [a for a in r.results["actions"] if a["step"] == "inspect"]
    assert inspects and all(not a["cached"] for a in inspects)
    for a in inspects:
        blob = tmgt.cache / "cas" / a["stdout"][:2] / a["stdout"]
        assert blob.stat().st_size == 4000000
    assert not any((tmgt.cache / "tmp").iterdir())


def test_peers_run_the_same_commands_and_produce_the_same_artefacts(tmgt):
    tmgt.run("-j", "2")
    ws = lib.Workspace(tmgt.tmp, fresh=False)  # the fixture's cache/, results/ and models/
    actions = lib.peer_graph(ws)
    lib.write_ninja(actions, ws)
    lib.prepare_peer_outputs(ws, actions)
    subprocess.run(["ninja", "-C", str(ws.dir), "-j", "2"], env=lib.base_env(), check=True,
                   capture_output=True)
    produced = [a for a in actions if a.output]
    assert len(produced) == len([a for a in tmgt.run().results["actions"] if a["step"] in
                                 ("import", "export-gguf", "reimport", "convert-hf", "quantize")])
    for a in produced:
        ours = tmgt.tmp / "models" / a.output[len(str(ws.peer_models)) + 1:]
        assert ours.read_bytes() == open(a.output, "rb").read(), a.id


def test_original_harness_replay_makes_28_apr_runs_per_model(tmgt):
    r = tmgt.run("-j", "2")
    ws = lib.Workspace(tmgt.tmp, fresh=False)
    calls = legacy_harness.engine_calls(r.results, ws)
    runs = Counter(c[2].split("/")[-2] for c in calls if Path(c[0]).name == SIM.name and c[1] == "run")
    assert runs == {"smollm-135m": 28, "qwen2-0.5b": 28, "gpt2-124m": 28}
