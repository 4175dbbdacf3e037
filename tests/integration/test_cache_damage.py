"""The cache damaged behind tmgt's back, and a disk that fills up while tmgt writes it."""
import hashlib
import os
import resource

from conftest import check_table
from faultlib import CANARY, assert_cache_clean, clean_table, executed, planned, verify

CODE_RUN = "apr run smollm-135m/int8.apr code"
IMPORT = "apr import → smollm-135m/int8.apr"
RUNS = [f"apr run smollm-135m/int8.apr {p}" for p in ("arithmetic", "code", "completion", "greeting")]
# over the 4 KiB of text a record keeps inline: the code run's stdout gets a blob of its own
BIG_CODE_OUTPUT = {"APR_SIM_FAULTS": "run@code=huge:8192"}


def blob(tmgt, hexdigest):
    return tmgt.cache / "cas" / hexdigest[:2] / hexdigest


def test_corrupt_blob_is_detected_on_use_and_its_action_reexecuted(tmgt, tmp_path):
    env = tmgt.env(**BIG_CODE_OUTPUT)
    first = tmgt.run(*CANARY, env=env)
    code = next(a for a in first.results["actions"] if a["id"] == CODE_RUN)
    damaged = blob(tmgt, code["stdout"])
    os.chmod(damaged, 0o644)
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0x20  # one flipped bit, same size
    damaged.write_bytes(bytes(data))
    again = tmgt.run(*CANARY, env=env)
    assert (f"tmgt: {CODE_RUN}: cache blob {code['stdout'][:12]} is corrupt (content hashes to "
            in again.err)
    assert "); dropped; re-executing" in again.err
    assert executed(again.results) == [CODE_RUN]
    assert check_table(again.results) == check_table(first.results)
    assert hashlib.sha256(damaged.read_bytes()).hexdigest() == code["stdout"]  # republished intact
    assert_cache_clean(tmgt.cache)


def test_deleted_output_blob_reexecutes_its_producer_only(tmgt, tmp_path):
    first = tmgt.run(*CANARY)
    model = tmgt.tmp / "models" / "smollm-135m" / "int8.apr"
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    blob(tmgt, digest).unlink()
    again = tmgt.run(*CANARY)
    assert f"tmgt: {IMPORT}: cached output int8.apr is missing or damaged; re-executing" in again.err
    assert executed(again.results) == [IMPORT]  # same bytes again: every run stays cached
    assert check_table(again.results) == check_table(first.results)
    assert blob(tmgt, digest).exists()
    assert_cache_clean(tmgt.cache)


def test_verify_reports_and_drops_what_was_damaged(tmgt):
    first = tmgt.run(*CANARY, env=tmgt.env(**BIG_CODE_OUTPUT))
    code = next(a for a in first.results["actions"] if a["id"] == CODE_RUN)
    damaged = blob(tmgt, code["stdout"])
    os.chmod(damaged, 0o644)
    damaged.write_bytes(b"not what was stored")
    v = verify(tmgt.cache)
    assert v.returncode == 1
    assert "1 corrupt blobs, 0 unreadable and 1 dangling records removed" in v.stdout
    assert not damaged.exists()
    assert planned(tmgt, *CANARY)[CODE_RUN] == "run"  # its record went with it
    assert_cache_clean(tmgt.cache)


def test_disk_full_while_writing_the_cache_is_a_clear_error_and_the_next_run_completes(tmgt, tmp_path):
    tmgt.run("convert", *CANARY)  # the engine's own writes are not what this test limits
    env = tmgt.env()
    del env["APR_SIM_LOG"]  # the simulator's call log would hit the limit first

    def small_disk():
        resource.setrlimit(resource.RLIMIT_FSIZE, (256, 256))

    p = tmgt.popen(*CANARY, env=env, preexec_fn=small_disk)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 3, err
    for label in RUNS:
        assert f"tmgt: {label}: not cached: cannot write " in err
    assert err.count(": File too large") == len(RUNS) + 1
    assert "tmgt: cannot write results: cannot write " in err
    assert_cache_clean(tmgt.cache)
    assert list((tmgt.cache / "tmp").iterdir()) == []
    plan = planned(tmgt, *CANARY)
    assert plan[IMPORT] == "cached" and all(plan[r] == "run" for r in RUNS)
    again = tmgt.run(*CANARY)
    assert again.rc == 0
    assert executed(again.results) == RUNS
    assert check_table(again.results) == clean_table(tmp_path, *CANARY)
    assert_cache_clean(tmgt.cache)
