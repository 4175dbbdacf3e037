"""Helpers shared by the reliability tests: cache verification, clean references, fixed engines."""
import json
import shutil
import subprocess

from conftest import ROOT, SIM, TMGT, Tmgt, check_table

CANARY = ("--model", "smollm-135m", "--check", "canary")
VERIFY_CLEAN = "0 corrupt blobs, 0 unreadable and 0 dangling records removed"


def verify(cache_dir):
    return subprocess.run([str(TMGT), "cache", "verify", "--cache-dir", str(cache_dir)],
                          capture_output=True, text=True, cwd=ROOT)


def assert_cache_clean(cache_dir):
    v = verify(cache_dir)
    assert v.returncode == 0, v.stdout + v.stderr
    assert VERIFY_CLEAN in v.stdout, v.stdout


def clean_table(tmp_path, *selection):
    """What a run without any fault concludes, from a workspace of its own."""
    ref = tmp_path / "reference"
    ref.mkdir()
    r = Tmgt(ref).run(*selection)
    assert r.results is not None, r.err
    return check_table(r.results)


def pipeline_with(tmgt, mutate):
    """A copy of the workspace's pipeline after mutate(doc) edited it."""
    doc = json.loads(tmgt.pipeline.read_text())
    mutate(doc)
    path = tmgt.tmp / f"pipeline-edited-{len(list(tmgt.tmp.glob('pipeline-edited-*')))}.json"
    path.write_text(json.dumps(doc))
    return path


def fixed_engine(tmp_path):
    """The simulator as a different binary: an engine whose bug was fixed has a new identity."""
    fixed = tmp_path / "apr-fixed"
    shutil.copy(SIM, fixed)
    with open(fixed, "ab") as f:
        f.write(b"\0fixed build\0")
    return fixed


def executed(results):
    return sorted(a["id"] for a in results["actions"] if not a["cached"] and a["status"] != "unavailable")


def planned(tmgt, *selection, env=None):
    """{action id: 'cached' | 'run'} as `tmgt plan` sees the cache now."""
    p = tmgt.popen("plan", *selection, env=env)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    rows = {}
    for line in out.splitlines():
        state, _, label = line.partition("  ")
        if state in ("cached", "run"):
            rows[label.strip()] = state
    return rows
