"""What a cold run publishes — short answers inline in their records, the identity
record as a second name of the result record, one sync per run — and that none of it costs a
guarantee: entries are whole after a kill -9, and damage is found on use."""
import hashlib
import json
import os
import signal
import time

from conftest import check_table
from faultlib import CANARY, assert_cache_clean, clean_table

CODE_RUN = "apr run smollm-135m/int8.apr code"


def sha(data):
    return hashlib.sha256(data).hexdigest()


def record_path(tmgt, key):
    return tmgt.cache / "ac" / key[:2] / f"{key}.json"


def blob_path(tmgt, digest):
    return tmgt.cache / "cas" / digest[:2] / digest


def action(results, label):
    return next(a for a in results["actions"] if a["id"] == label)


def entries(cache):
    """Names of the cache's records and blobs (what a run left), without its logs and stat cache."""
    return {str(p.relative_to(cache)) for sub in ("ac", "cas") for p in (cache / sub).rglob("*") if p.is_file()}


def test_short_answers_live_in_their_records_and_come_back_from_there(tmgt):
    first = tmgt.run(*CANARY)
    assert first.rc == 0, first.err
    runs = [a for a in first.results["actions"] if a["step"] == "run"]
    assert runs and not any(a["cached"] for a in runs)
    for a in runs:
        rec = json.loads(record_path(tmgt, a["key"]).read_text())
        assert rec["key"] == a["key"]
        text = rec["stdout_text"].encode()
        assert sha(text) == rec["stdout"] == a["stdout"] and rec["stdout_size"] == len(text) > 0
        assert sha(rec["stderr_text"].encode()) == rec["stderr"] == a["stderr"]
        assert not blob_path(tmgt, a["stdout"]).exists()  # no file of its own
    calls = len(tmgt.engine_calls())
    again = tmgt.run(*CANARY)
    assert again.results["actions_executed"] == 0
    assert len(tmgt.engine_calls()) == calls
    assert [a["stdout"] for a in again.results["actions"]] == [a["stdout"] for a in first.results["actions"]]
    assert check_table(again.results) == check_table(first.results)
    assert_cache_clean(tmgt.cache)


def test_binary_output_is_a_blob_and_round_trips(tmgt):
    env = tmgt.env(APR_SIM_FAULTS="run@code=garbage")
    first = tmgt.run(*CANARY, env=env)
    code = action(first.results, CODE_RUN)
    rec = json.loads(record_path(tmgt, code["key"]).read_text())
    assert "stdout_text" not in rec and rec["stdout_size"] == 4096
    assert sha(blob_path(tmgt, code["stdout"]).read_bytes()) == code["stdout"]
    again = tmgt.run(*CANARY, env=env)
    assert again.results["actions_executed"] == 0
    assert action(again.results, CODE_RUN)["stdout"] == code["stdout"]
    assert check_table(again.results) == check_table(first.results)
    assert_cache_clean(tmgt.cache)


def test_damaged_inline_answer_is_detected_on_use_and_its_action_reexecuted(tmgt):
    first = tmgt.run(*CANARY)
    code = action(first.results, CODE_RUN)
    path = record_path(tmgt, code["key"])
    rec = json.loads(path.read_text())
    rec["stdout_text"] = rec["stdout_text"].replace("{", "[", 1)  # same size, other content
    path.write_text(json.dumps(rec))
    again = tmgt.run(*CANARY)
    assert (f"tmgt: {CODE_RUN}: cached stdout {code['stdout'][:12]} kept in the record is corrupt "
            f"(content hashes to ") in again.err
    assert [a["id"] for a in again.results["actions"] if not a["cached"]] == [CODE_RUN]
    assert check_table(again.results) == check_table(first.results)
    rec = json.loads(path.read_text())  # republished intact
    assert sha(rec["stdout_text"].encode()) == code["stdout"]
    assert_cache_clean(tmgt.cache)


def test_the_identity_record_is_the_result_record_under_a_second_name(tmgt):
    r = tmgt.run(*CANARY)
    executed = [a for a in r.results["actions"] if not a["cached"]]
    records = [p for p in (tmgt.cache / "ac").rglob("*.json") if "key" in json.loads(p.read_text())]
    assert len(records) == 2 * len(executed)  # a result and an identity record per action
    # (the other records are the engines' --version answers)
    assert len({p.stat().st_ino for p in records}) == len(executed)  # but one file each
    for a in executed:
        assert record_path(tmgt, a["key"]).stat().st_nlink == 2


def test_a_bad_fsync_setting_is_refused_before_anything_is_written(tmgt):
    r = tmgt.run(*CANARY, env=tmgt.env(TMGT_CACHE_FSYNC="sometimes"))
    assert r.rc == 3
    assert ('TMGT_CACHE_FSYNC=sometimes: expected "run" (one sync at the end of the run, the default) or '
            '"each" (fsync every cache entry)') in r.err
    assert not tmgt.cache.exists() and tmgt.engine_calls() == []


def test_fsync_each_and_once_per_run_store_the_same_entries(tmgt, tmp_path):
    every = tmgt.run(*CANARY, "-j", "2", env=tmgt.env(TMGT_CACHE_FSYNC="each"))
    assert every.rc == 0, every.err
    assert check_table(every.results) == clean_table(tmp_path, *CANARY)  # default mode there
    assert entries(tmgt.cache) == entries(tmp_path / "reference" / "cache")
    again = tmgt.run(*CANARY, env=tmgt.env(TMGT_CACHE_FSYNC="run"))
    assert again.results["actions_executed"] == 0
    assert_cache_clean(tmgt.cache)


def test_kill_9_during_a_cold_run_leaves_only_whole_entries(tmgt, tmp_path):
    selection = (*CANARY, "--check", "inspect", "--check", "roundtrip")  # 14 actions, 100 ms each
    reference = clean_table(tmp_path, *selection)
    killed = 0
    for salt, delay in enumerate((0.15, 0.35, 0.6)):
        env = tmgt.env(APR_SIM_DELAY_MS=100, TMGT_CACHE_SALT=f"kill-{salt}")
        p = tmgt.popen(*selection, "-j", "2", env=env)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.communicate(timeout=60)
        assert p.returncode in (-signal.SIGKILL, 0)
        killed += p.returncode == -signal.SIGKILL
        for path in (tmgt.cache / "ac").rglob("*.json"):
            rec = json.loads(path.read_text())  # whole JSON, never a torn write
            assert isinstance(rec, dict) and ("version" in rec or len(rec["key"]) == 64)
        for path in (tmgt.cache / "cas").rglob("*"):
            if path.is_file() and len(path.name) == 64:
                assert sha(path.read_bytes()) == path.name
        assert_cache_clean(tmgt.cache)
        finished = tmgt.run(*selection, env=env)
        assert check_table(finished.results) == reference
    assert killed > 0
    assert os.listdir(tmgt.cache / "tmp") == []
