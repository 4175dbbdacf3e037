"""`tmgt pull` against a fake Hub on loopback (tests/fakehub), selected by HF_ENDPOINT."""
import hashlib
import json
import os
import pty
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, TMGT, check_table

sys.path.insert(0, str(ROOT / "tests" / "fakehub"))
from fakehub import FakeHub, git_blob_sha1  # noqa: E402

TOKEN = "hf_fakeTokenThatMustNeverLeak0123456789"
NEEDED = ("config.json", "tokenizer.json", "model.safetensors")


@pytest.fixture
def hub(tmp_path):
    model = tmp_path / "fixture-model"
    (model / "onnx").mkdir(parents=True)
    (model / "config.json").write_text(json.dumps({"architectures": ["LlamaForCausalLM"], "hidden_size": 8}))
    (model / "tokenizer.json").write_text(json.dumps({"version": "1.0", "model": {"type": "BPE"}}))
    (model / "model.safetensors").write_bytes(hashlib.sha256(b"seed").digest() * 8192)  # 256 KiB
    (model / "README.md").write_text("# not needed by a conversion\n")
    (model / "onnx" / "model.onnx").write_bytes(b"\0" * 1000)
    h = FakeHub()
    h.add_repo("org/tiny", model)
    h.start()
    yield h
    h.stop()


class Pull:
    """tmgt pull in a workspace whose Hub cache is its own."""

    def __init__(self, tmgt, hub, tmp_path):
        self.tmgt, self.hub = tmgt, hub
        self.hub_cache = tmp_path / "hf-hub"
        self.repo_dir = self.hub_cache / "models--org--tiny"

    def env(self, **extra):
        base = self.tmgt.env(HF_ENDPOINT=self.hub.endpoint, HF_HUB_CACHE=self.hub_cache, **extra)
        for k in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HOME"):
            if k not in extra:
                base.pop(k, None)
        base["HF_TOKEN_PATH"] = str(self.hub_cache / "no-token-file")
        return base

    def __call__(self, *args, **env):
        self.hub.reset_counters()
        return self.tmgt.run("pull", *(args or ("hf://org/tiny",)), env=self.env(**env))

    def blobs(self):
        d = self.repo_dir / "blobs"
        return sorted(p.name for p in d.iterdir()) if d.exists() else []

    def snapshot(self):
        repo = self.hub.repos["org/tiny"]
        return self.repo_dir / "snapshots" / repo.commit

    def gets(self, name):
        return [r for r in self.hub.requests if r[1] == "GET" and r[2].endswith("/" + name)]


@pytest.fixture
def pull(tmgt, hub, tmp_path):
    return Pull(tmgt, hub, tmp_path)


def needed_bytes(hub):
    return sum(len(hub.repos["org/tiny"].files[n]) for n in NEEDED)


def assert_nothing_published(pull):
    assert not (pull.repo_dir / "snapshots").exists() or not any((pull.repo_dir / "snapshots").iterdir())
    assert not (pull.repo_dir / "refs").exists()
    assert not [b for b in pull.blobs() if b.endswith(".incomplete")]


# 1. all files, verified, in the Hub layout and the CAS; the second pull transfers nothing
def test_pull_downloads_verifies_publishes_and_second_pull_transfers_nothing(pull, hub, tmgt):
    repo = hub.repos["org/tiny"]
    r = pull()
    assert r.rc == 0, r.err
    assert hub.file_bytes == needed_bytes(hub)
    assert "3 files: 3 downloaded (%d bytes), 0 already cached" % needed_bytes(hub) in r.out
    assert pull.blobs() == sorted(repo.etag(n) for n in NEEDED)
    assert (pull.repo_dir / "refs" / "main").read_text() == repo.commit
    snap = pull.snapshot()
    assert sorted(p.name for p in snap.iterdir()) == sorted(NEEDED)  # no README.md, no onnx/
    for name in NEEDED:
        link = snap / name
        assert os.readlink(link) == "../../blobs/" + repo.etag(name)
        assert link.read_bytes() == repo.files[name]
        sha = hashlib.sha256(repo.files[name]).hexdigest()
        assert (tmgt.cache / "cas" / sha[:2] / sha).read_bytes() == repo.files[name]
    assert all((pull.repo_dir / "blobs" / b).stat().st_mode & 0o777 == 0o444 for b in pull.blobs())
    assert r.err == ""  # no progress display when stderr is not a terminal
    assert hashlib.sha256(repo.files["model.safetensors"]).hexdigest() == repo.etag("model.safetensors")
    assert git_blob_sha1(repo.files["config.json"]) == repo.etag("config.json")

    again = pull()
    assert again.rc == 0, again.err
    assert hub.file_bytes == 0
    assert [m for _, m, p, _ in hub.requests if "/resolve/" in p] == ["HEAD"] * 3
    assert "3 files: 0 downloaded (0 bytes), 3 already cached" in again.out


def test_progress_on_a_terminal_has_one_line_per_file(pull, hub, tmgt):
    size = len(hub.repos["org/tiny"].files["model.safetensors"])
    primary, secondary = pty.openpty()
    cmd = [str(TMGT), "--cache-dir", str(tmgt.cache), "pull", "hf://org/tiny"]
    p = subprocess.Popen(cmd, env=pull.env(), stdout=subprocess.PIPE, stderr=secondary, text=True)
    os.close(secondary)
    out, _ = p.communicate(timeout=60)
    screen = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the terminal's last writer is gone
            break
        if not chunk:
            break
        screen += chunk
    os.close(primary)
    assert p.returncode == 0
    final = [ln.split("\x1b[K")[-1] for ln in screen.decode().split("\n") if "\x1b[K" in ln][-3:]
    assert sorted(ln.split()[0] for ln in final) == sorted(NEEDED)
    big = next(ln for ln in final if ln.split()[0] == "model.safetensors")
    assert big.split()[1:5] == ["%.1f" % (size / 1024), "KiB", "/", "%.1f" % (size / 1024)]
    assert "/s" in big and big.rstrip().endswith("done")
    assert "downloaded" in out


# 2. a connection cut mid-file is resumed with Range; a server that ignores Range restarts
def test_cut_connection_resumes_with_range_and_verifies(pull, hub):
    data = hub.repos["org/tiny"].files["model.safetensors"]
    hub.faults.cut["model.safetensors"] = 1
    r = pull()
    assert r.rc == 0, r.err
    ranges = [g[3].get("range") for g in pull.gets("model.safetensors")]
    assert len(ranges) == 2 and ranges[0] is None and ranges[1].startswith("bytes="), ranges
    resumed_at = int(ranges[1][len("bytes="):-1])  # what reached tmgt of the half the server sent
    assert 0 < resumed_at <= len(data) // 2
    assert hub.file_bytes == needed_bytes(hub) + len(data) // 2 - resumed_at  # nothing fetched twice
    assert (pull.snapshot() / "model.safetensors").read_bytes() == data


def test_ranged_retry_answered_with_200_starts_over(pull, hub):
    data = hub.repos["org/tiny"].files["model.safetensors"]
    hub.faults.cut["model.safetensors"] = 1
    hub.faults.ignore_range = True
    r = pull()
    assert r.rc == 0, r.err
    ranges = [g[3].get("range") for g in pull.gets("model.safetensors")]
    assert len(ranges) == 2 and ranges[0] is None and ranges[1].startswith("bytes="), ranges
    assert hub.file_bytes == needed_bytes(hub) + len(data) // 2  # the half, then all of it again
    assert (pull.snapshot() / "model.safetensors").read_bytes() == data


# 3. a wrong ETag or a corrupted body is rejected with a clear message, and nothing is published
@pytest.mark.parametrize("fault, name", [("wrong_etag", "model.safetensors"), ("corrupt", "model.safetensors"),
                                         ("corrupt", "config.json")])
def test_checksum_mismatch_is_rejected_and_nothing_published(pull, hub, fault, name):
    repo = hub.repos["org/tiny"]
    getattr(hub.faults, fault).add(name)
    r = pull()
    assert r.rc == 3
    good = repo.etag(name)
    announced = good if fault == "corrupt" else hashlib.sha256(b"other content").hexdigest()
    line = [ln for ln in r.err.splitlines() if ln.startswith("tmgt: pull hf://org/tiny: ")]
    assert len(line) == 1, r.err
    assert line[0].startswith("tmgt: pull hf://org/tiny: %s: checksum mismatch: the Hub's ETag is %s but the "
                              "content hashes to " % (name, announced))
    assert line[0].endswith("; nothing published")
    assert announced not in pull.blobs() and good not in pull.blobs()
    assert_nothing_published(pull)


# 4. 401, 404, 500 and slow responses: distinct errors; 500 is retried
def test_401_without_and_with_a_refused_token(pull, hub):
    hub.faults.token = "hf_theRightOne"
    r = pull()
    port = hub.hub.server_address[1]
    assert r.rc == 3
    assert ("tmgt: pull hf://org/tiny: listing the repository: 401 Unauthorized from 127.0.0.1:%d: the repository "
            "is private or gated; set HF_TOKEN to a token that can read it" % port) in r.err
    refused = pull(HF_TOKEN=TOKEN)
    assert refused.rc == 3
    assert "401 Unauthorized from 127.0.0.1:%d: the repository is private or gated; HF_TOKEN was refused" % port \
        in refused.err
    assert TOKEN not in refused.err + refused.out
    ok = pull(HF_TOKEN="hf_theRightOne")
    assert ok.rc == 0, ok.err


def test_404_names_the_repository(pull, hub):
    r = pull("hf://org/missing")
    assert r.rc == 3
    assert ("tmgt: pull hf://org/missing: listing the repository: 404 Not Found from 127.0.0.1:%d "
            "(no such repository or revision)" % hub.hub.server_address[1]) in r.err
    assert not (pull.hub_cache / "models--org--missing" / "refs").exists()


def test_500_is_retried_then_reported(pull, hub):
    hub.faults.status["/resolve/"] = [500, 2]  # the first two file requests fail once each
    r = pull()
    assert r.rc == 0, r.err
    assert len([q for q in hub.requests if "/resolve/" in q[2]]) == 2 + 3 + 3  # 2 failed, 3 HEAD, 3 GET
    hub.faults.status["/api/models/"] = [500, None]
    failed = pull()
    assert failed.rc == 3
    assert [q[2] for q in hub.requests] == ["/api/models/org/tiny/revision/main"] * 4
    assert ("tmgt: pull hf://org/tiny: listing the repository: server error 500 from 127.0.0.1:%d after 4 attempts"
            % hub.hub.server_address[1]) in failed.err


def test_a_missing_file_fails_the_repository_naming_it(pull, hub):
    commit = hub.repos["org/tiny"].commit
    hub.faults.status["/resolve/%s/tokenizer.json" % commit] = [404, None]
    r = pull()
    assert r.rc == 3
    assert "tmgt: pull hf://org/tiny: tokenizer.json: 404 Not Found from 127.0.0.1:%d" % hub.hub.server_address[1] \
        in r.err
    assert_nothing_published(pull)


def test_stalled_download_times_out_with_its_own_message(pull, hub):
    hub.faults.slow["model.safetensors"] = 6
    r = pull(HF_HUB_DOWNLOAD_TIMEOUT=1)
    assert r.rc == 3
    assert ("tmgt: pull hf://org/tiny: model.safetensors: 127.0.0.1:%d sent no data for 1 s "
            "(HF_HUB_DOWNLOAD_TIMEOUT); nothing published" % hub.hub.server_address[1]) in r.err
    assert_nothing_published(pull)


# 5. a redirect to another host is followed without the Authorization header
def test_redirect_to_other_host_is_followed_without_the_token(pull, hub, tmgt):
    hub.faults.redirect_lfs = True
    r = pull(HF_TOKEN=TOKEN)
    assert r.rc == 0, r.err
    cdn = [q for q in hub.requests if q[0] == "cdn"]
    sha = hub.repos["org/tiny"].etag("model.safetensors")
    assert [(q[1], q[2]) for q in cdn] == [("GET", "/blobs/" + sha)]
    assert "authorization" not in cdn[0][3]
    assert all(q[3].get("authorization") == "Bearer " + TOKEN for q in hub.requests if q[0] == "hub")
    assert (pull.snapshot() / "model.safetensors").read_bytes() == hub.repos["org/tiny"].files["model.safetensors"]
    assert TOKEN not in r.out + r.err


# 6. a server-supplied name with ../ is refused and nothing lands outside the cache
def test_file_name_escaping_the_cache_is_refused(pull, hub, tmp_path):
    hub.faults.extra_siblings = ["../../evil.json"]
    r = pull()
    assert r.rc == 3
    assert ('tmgt: pull hf://org/tiny: the Hub listed the file name "../../evil.json", which would escape the cache '
            "directory; refusing the repository") in r.err
    assert [q for q in hub.requests if "/resolve/" in q[2]] == []
    assert not list(tmp_path.rglob("evil.json"))
    assert_nothing_published(pull)


# 7. HF_HUB_OFFLINE=1: a warm cache needs no request; a cold one fails naming the file
def test_offline_uses_the_warm_cache_and_names_what_a_cold_one_lacks(pull, hub):
    cold = pull(HF_HUB_OFFLINE="1")
    assert cold.rc == 3
    assert "tmgt: pull hf://org/tiny: HF_HUB_OFFLINE=1 and the Hub cache lacks %s" % (
        pull.repo_dir / "refs" / "main") in cold.err
    assert hub.requests == []
    assert pull().rc == 0
    warm = pull(HF_HUB_OFFLINE="1")
    assert warm.rc == 0, warm.err
    assert hub.requests == []
    assert "1 of 1 repositories ready" in warm.out and "(offline)" in warm.out
    blob = pull.repo_dir / "blobs" / hub.repos["org/tiny"].etag("tokenizer.json")
    blob.unlink()
    broken = pull(HF_HUB_OFFLINE="1")
    assert broken.rc == 3
    assert "HF_HUB_OFFLINE=1 and the Hub cache lacks the blob of %s" % (pull.snapshot() / "tokenizer.json") \
        in broken.err


@pytest.mark.parametrize("arg", ["org/tiny", "hf://org/../tiny", "hf://org/tiny@../../refs", "--resume"])
def test_pull_rejects_an_argument_that_is_not_a_hub_uri(pull, hub, arg):
    r = pull(arg)
    assert r.rc == 2
    assert 'tmgt: pull takes hf://ORG/NAME[@REV] repositories, not "%s"' % arg in r.err
    assert hub.requests == [] and not pull.hub_cache.exists()


# 8. `tmgt run` on the models of pipeline/hf.json pulls them from the Hub, converts and checks
def test_run_on_hub_models_pulls_converts_and_checks(tmgt, tmp_path):
    hf = json.loads((ROOT / "pipeline" / "hf.json").read_text())
    sources = {m["slug"]: m["source"] for m in hf["models"]}
    doc = json.loads(tmgt.pipeline.read_text())
    h = FakeHub()
    for m in doc["models"]:
        m["source"] = sources[m["slug"]]
        h.add_repo(m["source"][len("hf://"):], ROOT / "tests" / "sim" / "models" / m["slug"])
    pipeline = tmp_path / "pipeline-hf.json"
    pipeline.write_text(json.dumps(doc))
    h.start()
    try:
        env = Pull(tmgt, h, tmp_path).env()
        r = tmgt.run(pipeline=pipeline, env=env)
        assert "pull: 3 of 3 repositories ready; 9 files: 9 downloaded" in r.err
        assert r.rc == 0, r.err
        calls = [c for c in tmgt.engine_calls() if c[1:] != ["--version"]]
        for repo_id, repo in h.repos.items():
            snap = str(tmp_path / "hf-hub" / ("models--" + repo_id.replace("/", "--")) / "snapshots" / repo.commit)
            assert [c[:2] for c in calls if c[0] == "convert-hf-sim" and c[1] == snap] == [["convert-hf-sim", snap]]
            assert len([c for c in calls if c[1:3] == ["import", snap]]) == 2  # int4 and int8
        # the same verdicts as the simulator's models read from their local directories
        local = tmgt.run(env=env)
        verdicts = {c["name"]: c["status"] for c in r.results["checks"]}
        assert verdicts == {c["name"]: c["status"] for c in local.results["checks"]}
        assert "PASS" in verdicts.values() and "FAIL" not in verdicts.values()
        before = check_table(r.results)
        h.reset_counters()
        offline = tmgt.run(pipeline=pipeline, env=dict(env, HF_HUB_OFFLINE="1"))
        assert offline.rc == 0, offline.err
        assert check_table(offline.results) == before
        assert offline.results["actions_executed"] == 0
        assert h.requests == []
    finally:
        h.stop()


def test_interrupted_pull_exits_130_and_leaves_no_partial_file(pull, hub, tmgt):
    hub.faults.slow["model.safetensors"] = 30
    hub.reset_counters()
    p = tmgt.popen("pull", "hf://org/tiny", env=pull.env())
    deadline = time.monotonic() + 60
    while not pull.gets("model.safetensors") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pull.gets("model.safetensors"), "the download never started"
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    # the first file still in flight is named (config.json may be, beside model.safetensors)
    assert re.search(r"^tmgt: pull hf://org/tiny: (%s): interrupted; nothing published$" % "|".join(
        re.escape(n) for n in NEEDED), err, re.M), err
    assert [b for b in pull.blobs() if b.endswith(".incomplete")] == []
    assert_nothing_published(pull)
