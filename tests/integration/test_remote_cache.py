"""The remote cache client against a real nginx with WebDAV (ci/setup-nginx.sh), including
servers that tamper with blobs, truncate them, fail, hang, die, or want TLS or credentials."""
import hashlib
import os
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import BUILD, ROOT, Tmgt, check_table

PROBE = BUILD / "tests" / "remote-cache-probe"
NGINX = shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (ci/setup-nginx.sh installs it)")


def start_nginx(directory):
    out = subprocess.run([str(ROOT / "ci" / "setup-nginx.sh"), "start", str(directory)], check=True,
                         capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


@pytest.fixture(scope="module")
def nginx(tmp_path_factory):
    directory = tmp_path_factory.mktemp("nginx")
    server = start_nginx(directory)
    yield server
    subprocess.run([str(ROOT / "ci" / "setup-nginx.sh"), "stop", str(directory)], check=True)


@pytest.fixture
def prefix(request):
    """A directory of the server's own for each test."""
    return request.node.name


def probe_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMGT_")}
    env.update({"TMGT_REMOTE_CACHE_RETRIES": "2", "TMGT_REMOTE_CACHE_TIMEOUT": "5"})
    env.update(extra)
    return env


def probe(url, *ops, store=None, read_only=False, **env):
    cmd = [str(PROBE), url]
    if store:
        cmd += ["--store", str(store)] + (["--read-only"] if read_only else [])
    p = subprocess.run(cmd, input="".join(op + "\n" for op in ops), capture_output=True, text=True,
                       env=probe_env(**env), timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines(), p.stderr


def counts(line):
    return {k: int(v) for k, v in (field.split("=") for field in line.split())}


def warnings(stderr):
    return [line for line in stderr.splitlines() if line.startswith("tmgt: warning: remote cache")]


def blob(tmp_path, content, name="blob"):
    path = tmp_path / name
    path.write_bytes(content)
    return path, hashlib.sha256(content).hexdigest()


def test_put_then_get_round_trip_in_bazels_layout(nginx, prefix, tmp_path):
    path, hexd = blob(tmp_path, b"tokens 1 2 3\n" * 1000)
    small, small_hex = blob(tmp_path, b"stdout text", "small")
    record = tmp_path / "record.json"
    record.write_text('{"exit": 0}')
    key = "ab" * 32
    url = f"{nginx['NGINX_HTTP_URL']}/{prefix}"
    out, err = probe(url, f"put {path}", f"put-bytes {small}", f"has {hexd}", f"fetch {hexd} {tmp_path / 'back'}",
                     f"put-record {key} {record}", f"get-record {key}", "counts")
    assert out[:6] == [f"{hexd} ok", f"{small_hex} ok", f"ok {path.stat().st_size}",
                       f"ok {path.stat().st_size}", "ok", 'ok {"exit": 0}']
    assert (tmp_path / "back").read_bytes() == path.read_bytes()
    root = Path(nginx["NGINX_ROOT"]) / prefix
    assert (root / "cas" / hexd).read_bytes() == path.read_bytes()
    assert (root / "cas" / small_hex).read_bytes() == b"stdout text"
    assert (root / "ac" / key).read_text() == '{"exit": 0}'
    c = counts(out[6])
    assert (c["requests"], c["uploads"], c["hits"], c["corrupt"]) == (6, 3, 2, 0)
    assert c["bytes_up"] == path.stat().st_size + 11 + 11
    assert c["bytes_down"] == path.stat().st_size + 11
    assert err == ""


def test_a_missing_key_is_missing_not_a_failure(nginx, prefix, tmp_path):
    url = f"{nginx['NGINX_HTTP_URL']}/{prefix}"
    hexd = "cd" * 32
    path, present = blob(tmp_path, b"present")
    out, err = probe(url, f"has {hexd}", f"fetch {hexd} {tmp_path / 'out'}", f"get-record {hexd}",
                     f"put {path}", f"has {present}", "counts")
    assert out[:5] == ["missing", "missing", "missing", f"{present} ok", "ok 7"]
    assert counts(out[5])["misses"] == 3
    assert not (tmp_path / "out").exists()
    assert err == ""


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_blob_the_server_changed_is_rejected_by_its_hash(nginx, prefix, tmp_path, damage):
    url = f"{nginx['NGINX_HTTP_URL']}/{prefix}"
    path, hexd = blob(tmp_path, bytes(range(256)) * 64)
    assert probe(url, f"put {path}")[0] == [f"{hexd} ok"]
    served = Path(nginx["NGINX_ROOT"]) / prefix / "cas" / hexd
    data = bytearray(served.read_bytes())
    if damage == "flip":
        data[1000] ^= 0x01
    else:
        del data[len(data) // 2:]
    served.write_bytes(bytes(data))
    got = hashlib.sha256(data).hexdigest()
    out, err = probe(url, f"fetch {hexd} {tmp_path / 'out'}", f"fetch {hexd} {tmp_path / 'out2'}", "counts",
                     store=tmp_path / "local")
    assert out[:2] == ["corrupt", "corrupt"]
    assert counts(out[2])["corrupt"] == 2
    assert not (tmp_path / "out").exists() and not (tmp_path / "out2").exists()
    assert warnings(err) == [f"tmgt: warning: remote cache {url}: blob {hexd[:12]} hashes to {got[:12]}; "
                             "ignored (and so is any more like it)"]
    # Through the store, the local cache never receives it either.
    out, _ = probe(url, f"store-has {hexd}", store=tmp_path / "local")
    assert out == ["no"]
    assert not list((tmp_path / "local" / "cas").rglob(hexd))


def test_a_server_answering_500_is_given_up_with_one_warning(nginx, prefix, tmp_path):
    url = f"{nginx['NGINX_HTTP_URL']}/answers500/{prefix}"
    path, hexd = blob(tmp_path, b"x")
    out, err = probe(url, f"has {hexd}", f"get-record {hexd}", f"put {path}", "counts")
    assert out[:3] == ["down", "down", f"{hexd} down"]
    assert counts(out[3])["requests"] == 1  # one exchange (3 attempts), then nothing more is asked
    assert warnings(err) == [f"tmgt: warning: remote cache {url}: HEAD cas/{hexd[:12]}: HTTP 500 (after 3 attempts); "
                             "continuing with the local cache only"]
    log = Path(nginx["NGINX_ACCESS_LOG"]).read_text()
    assert log.count(f"/answers500/{prefix}/") == 3


class HalfAnswer:
    """A server that announces a body and closes the connection halfway through it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.answered = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.recv(65536)
            self.answered += 1
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"a" * 100)
            conn.close()


def test_a_body_cut_short_is_retried_then_given_up(tmp_path):
    server = HalfAnswer()
    hexd = "ef" * 32
    out, err = probe(server.url, f"fetch {hexd} {tmp_path / 'out'}", f"get-record {hexd}", "counts")
    server.sock.close()
    assert out[:2] == ["down", "down"]
    assert server.answered == 3
    assert not (tmp_path / "out").exists()
    [warning] = warnings(err)
    assert f"GET cas/{hexd[:12]}:" in warning and "(after 3 attempts)" in warning


def test_a_server_that_hangs_is_given_up_after_the_timeout(nginx, prefix, tmp_path):
    silent = socket.socket()  # accepts connections (the kernel's backlog) and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    hexd = "12" * 32
    started = time.monotonic()
    out, err = probe(f"http://127.0.0.1:{silent.getsockname()[1]}", f"has {hexd}", f"has {hexd}",
                     TMGT_REMOTE_CACHE_TIMEOUT="1")
    elapsed = time.monotonic() - started
    silent.close()
    assert out == ["down", "down"]
    assert elapsed < 4, elapsed  # one timeout, not retried, not repeated
    [warning] = warnings(err)
    assert f"HEAD cas/{hexd[:12]}: no answer within 1 s (TMGT_REMOTE_CACHE_TIMEOUT); continuing" in warning
    # nginx trickling a blob at a byte a second: the same, once the blob's body stalls.
    url = f"{nginx['NGINX_HTTP_URL']}/{prefix}"
    path, hexd = blob(tmp_path, b"slow" * 4096)
    assert probe(url, f"put {path}")[0] == [f"{hexd} ok"]
    started = time.monotonic()
    out, err = probe(f"{nginx['NGINX_HTTP_URL']}/stalls/{prefix}", f"fetch {hexd} {tmp_path / 'out'}",
                     TMGT_REMOTE_CACHE_TIMEOUT="2")
    assert out == ["down"] and time.monotonic() - started < 6
    assert not (tmp_path / "out").exists()
    [warning] = warnings(err)
    assert f"GET cas/{hexd[:12]}: no progress for 2 s (TMGT_REMOTE_CACHE_TIMEOUT)" in warning


def test_tls_with_the_servers_ca(nginx, prefix, tmp_path):
    url = f"{nginx['NGINX_HTTPS_URL']}/{prefix}"
    path, hexd = blob(tmp_path, b"over tls")
    out, err = probe(url, f"put {path}", f"fetch {hexd} {tmp_path / 'out'}", TMGT_REMOTE_CACHE_CA=nginx["NGINX_CA"])
    assert out == [f"{hexd} ok", "ok 8"] and err == ""
    out, err = probe(url, f"has {hexd}")
    assert out == ["down"]
    assert "SSL certificate problem" in warnings(err)[0]


def test_extra_headers_are_sent_and_never_printed(nginx, prefix, tmp_path):
    token = nginx["NGINX_TOKEN"]
    url = f"{nginx['NGINX_HTTP_URL']}/private/{prefix}"
    path, hexd = blob(tmp_path, b"for members")
    out, err = probe(url, f"put {path}", f"has {hexd}")
    assert out == [f"{hexd} down", "down"]
    assert warnings(err) == [  # a refused upload stops uploads; a refused read, everything
        f"tmgt: warning: remote cache {url}: PUT cas/{hexd[:12]}: HTTP 401; not uploading to it any more",
        f"tmgt: warning: remote cache {url}: HEAD cas/{hexd[:12]}: HTTP 401; continuing with the local cache only"]
    header = f"X-Trace: 1\nAuthorization: Bearer {token}"
    out, err = probe(url, f"store-put {path}", store=tmp_path / "first", TMGT_REMOTE_CACHE_HEADER=header)
    assert out == [hexd] and err == ""
    out, err = probe(url, f"store-has {hexd}", store=tmp_path / "second", TMGT_REMOTE_CACHE_HEADER=header)
    assert out == ["yes 11"] and err == ""
    bad = subprocess.run([str(PROBE), url], input="", capture_output=True, text=True,
                         env=probe_env(TMGT_REMOTE_CACHE_HEADER=f"Authorization Bearer {token}"))
    assert bad.returncode == 2
    assert bad.stderr == "remote-cache-probe: TMGT_REMOTE_CACHE_HEADER: line 1 is not a header (Name: value)\n"
    for f in tmp_path.rglob("*"):
        assert not f.is_file() or token.encode() not in f.read_bytes()


def test_a_server_killed_mid_run_degrades_to_local_only_once(tmp_path):
    directory = tmp_path / "nginx"
    server = start_nginx(directory)
    url = f"{server['NGINX_HTTP_URL']}/run"
    path, hexd = blob(tmp_path, b"before")
    p = subprocess.Popen([str(PROBE), url, "--store", str(tmp_path / "local")], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=probe_env())

    def ask(op):
        p.stdin.write(op + "\n")
        p.stdin.flush()
        return p.stdout.readline().strip()

    try:
        assert ask(f"store-put {path}") == hexd
        assert ask(f"has {hexd}") == "ok 6"
        subprocess.run([str(ROOT / "ci" / "setup-nginx.sh"), "stop", str(directory)], check=True)
        assert ask(f"has {hexd}") == "down"
        later, later_hex = blob(tmp_path, b"after", "later")
        assert ask(f"store-put {later}") == later_hex  # still published locally
        assert ask(f"store-has {later_hex}") == "yes 5"
        assert ask(f"get-record {hexd}") == "down"
        p.stdin.close()
        assert p.wait(timeout=30) == 0
    finally:
        subprocess.run([str(ROOT / "ci" / "setup-nginx.sh"), "stop", str(directory)], check=True)
    [warning] = warnings(p.stderr.read())
    assert "Couldn't connect to server" in warning or "Connection refused" in warning
    assert warning.endswith("(after 3 attempts); continuing with the local cache only")


def test_two_local_caches_share_one_server(nginx, prefix, tmp_path):
    url = f"{nginx['NGINX_HTTP_URL']}/{prefix}"
    path, hexd = blob(tmp_path, b"an engine's output\n" * 100)
    record = tmp_path / "record.json"
    record.write_text(f'{{"output": "{hexd}"}}')
    key = "9f" * 32
    assert probe(url, f"store-put {path}", f"store-put-record {key} {record}", store=tmp_path / "first")[0] == \
        [hexd, "ok"]
    # A second machine: a cold local cache, the same server.
    second = tmp_path / "second"
    out, err = probe(url, f"store-get-record {key}", f"store-has {hexd}", "counts", store=second)
    assert out[:2] == [record.read_text(), f"yes {path.stat().st_size}"] and err == ""
    assert (second / "ac" / key[:2] / f"{key}.json").read_text() == record.read_text()
    assert (second / "cas" / hexd[:2] / hexd).read_bytes() == path.read_bytes()
    # ...and from then on it needs the server no more.
    out, _ = probe(url, f"store-get-record {key}", f"store-has {hexd}", "counts", store=second)
    assert counts(out[2])["requests"] == 0


def test_a_read_only_client_uploads_nothing(nginx, prefix, tmp_path):
    url = f"{nginx['NGINX_HTTP_URL']}/{prefix}"
    path, hexd = blob(tmp_path, b"local only")
    record = tmp_path / "record.json"
    record.write_text("{}")
    key = "77" * 32
    out, _ = probe(url, f"store-put {path}", f"store-put-record {key} {record}", f"has {hexd}",
                   f"get-record {key}", "counts", store=tmp_path / "local", read_only=True)
    assert out[:4] == [hexd, "ok", "missing", "missing"]
    assert counts(out[4])["uploads"] == 0
    assert f"PUT /{prefix}/" not in Path(nginx["NGINX_ACCESS_LOG"]).read_text()


def test_publishing_and_verifying_download_nothing_the_server_has(nginx, prefix, tmp_path):
    """A run's cache publishes an engine's large output and adopts a pulled file by asking its
    own directory only, so bytes the server already has are not downloaded to learn it; verify
    drops a record naming a blob the directory lacks without fetching that blob either."""
    url = f"{nginx['NGINX_HTTP_URL']}/{prefix}"
    output, output_hex = blob(tmp_path, b"an engine's stdout\n" * 1000, "output")
    pulled, pulled_hex = blob(tmp_path, b"a pulled model file\n" * 1000, "pulled")
    elsewhere, elsewhere_hex = blob(tmp_path, b"only on the server\n" * 1000, "elsewhere")
    assert probe(url, f"put {output}", f"put {pulled}", f"put {elsewhere}")[0] == \
        [f"{output_hex} ok", f"{pulled_hex} ok", f"{elsewhere_hex} ok"]
    record = tmp_path / "record.json"
    record.write_text(f'{{"exit": 0, "stdout": "{elsewhere_hex}"}}')
    key = "5e" * 32
    cold = tmp_path / "cold"
    log = Path(nginx["NGINX_ACCESS_LOG"])
    log_before = log.read_text()
    out, err = probe(url, f"store-put-record {key} {record}", f"cache-publish {output}", f"cache-adopt {pulled}",
                     "cache-verify", store=cold)
    assert out == ["ok", output_hex, pulled_hex, "dangling=1"]
    assert (cold / "cas" / output_hex[:2] / output_hex).read_bytes() == output.read_bytes()
    assert (cold / "cas" / pulled_hex[:2] / pulled_hex).read_bytes() == pulled.read_bytes()
    assert not (cold / "cas" / elsewhere_hex[:2] / elsewhere_hex).exists()
    new_lines = [line for line in log.read_text()[len(log_before):].splitlines() if f"/{prefix}/" in line]
    assert new_lines and not [line for line in new_lines if '"GET ' in line]
    assert f"HEAD /{prefix}/cas/{pulled_hex}" in "\n".join(new_lines)  # a file is asked about, not sent again
    assert f"PUT /{prefix}/cas/{pulled_hex}" not in "\n".join(new_lines)


# tmgt itself with --remote-cache: two machines (two workspaces, each with its own cache,
# models and results) sharing one server.

def workspace(directory):
    directory.mkdir()
    return Tmgt(directory)


def shared_run(directory, url, *args, **env):
    tm = workspace(directory)
    return tm, tm.run("--remote-cache", url, *args, env=tm.env(**env))


def test_a_second_machine_with_a_cold_cache_executes_nothing(nginx, prefix, tmp_path):
    url = f"{nginx['NGINX_HTTP_URL']}/{prefix}"
    _, first = shared_run(tmp_path / "first", url)
    assert first.results["actions_executed"] > 0 and "warning" not in first.err
    second_tm, second = shared_run(tmp_path / "second", url)
    assert second.results["actions_executed"] == 0
    assert second.results["actions_cached"] == first.results["actions_executed"]
    assert second_tm.engine_calls() == []  # not even a --version probe
    assert check_table(second.results) == check_table(first.results) and second.rc == first.rc
    assert "warning" not in second.err


class SlowReader:
    """A read-only server of a directory in Bazel's layout that takes `delay` seconds over each
    answer and counts how many it was answering at once."""

    def __init__(self, root, delay):
        self.root, self.delay = Path(root), delay
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = self.answered = 0
        reader = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real server
            disable_nagle_algorithm = True  # headers and body leave at once, as nginx sends them

            def do_GET(self):
                with reader.lock:
                    reader.in_flight += 1
                    reader.most_in_flight = max(reader.most_in_flight, reader.in_flight)
                time.sleep(reader.delay)
                path = reader.root / self.path.lstrip("/")
                body = path.read_bytes() if path.is_file() else None
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")
                with reader.lock:
                    reader.in_flight -= 1
                    reader.answered += 1

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_lookups_and_fetches_are_made_concurrently(nginx, prefix, tmp_path):
    _, first = shared_run(tmp_path / "first", f"{nginx['NGINX_HTTP_URL']}/{prefix}")
    delay = 0.05
    server = SlowReader(Path(nginx["NGINX_ROOT"]) / prefix, delay)
    started = time.monotonic()
    _, second = shared_run(tmp_path / "second", server.url, "--remote-upload=no", "-j1")
    elapsed = time.monotonic() - started
    server.close()
    assert second.results["actions_executed"] == 0
    assert check_table(second.results) == check_table(first.results)
    # one after another, the answers alone would take answered * delay; even at -j1 the records
    # and blobs are asked for several at a time
    assert server.answered > 50
    assert server.most_in_flight >= 3, server.most_in_flight
    assert elapsed < server.answered * delay / 2, (elapsed, server.answered)


def test_a_server_that_tampers_with_blobs_cannot_change_a_verdict(nginx, prefix, tmp_path):
    url = f"{nginx['NGINX_HTTP_URL']}/{prefix}"
    _, first = shared_run(tmp_path / "first", url)
    for i, served in enumerate(sorted((Path(nginx["NGINX_ROOT"]) / prefix / "cas").iterdir())):
        data = bytearray(served.read_bytes())
        if i % 2 and data:
            data[len(data) // 2] ^= 0x20
        else:
            data += b"!"  # a truncation shows the same way: the bytes hash to another name
        served.write_bytes(bytes(data))
    second_tm, second = shared_run(tmp_path / "second", url)
    assert second.results["actions_executed"] > 0  # what needed a blob ran again here
    assert check_table(second.results) == check_table(first.results) and second.rc == first.rc
    assert len([line for line in second.err.splitlines() if "hashes to" in line]) == 1


def test_a_read_only_client_reads_and_uploads_nothing(nginx, prefix, tmp_path):
    url = f"{nginx['NGINX_HTTP_URL']}/{prefix}"
    _, first = shared_run(tmp_path / "first", url, "--check", "token")
    log_before = Path(nginx["NGINX_ACCESS_LOG"]).read_text()
    _, second = shared_run(tmp_path / "second", url, "--remote-upload=no")
    assert 0 < second.results["actions_executed"] < len(second.results["actions"])
    new_lines = Path(nginx["NGINX_ACCESS_LOG"]).read_text()[len(log_before):].splitlines()
    assert new_lines and not [line for line in new_lines if '"PUT ' in line]


def test_a_dead_server_leaves_a_local_run_with_one_warning(tmp_path):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{closed.getsockname()[1]}/cache"  # bound, never listening: refused
    local = workspace(tmp_path / "local")
    alone = local.run()
    tm, run = shared_run(tmp_path / "remote", url, TMGT_REMOTE_CACHE_RETRIES="1")
    closed.close()
    assert run.results["actions_executed"] == alone.results["actions_executed"]
    assert check_table(run.results) == check_table(alone.results) and run.rc == alone.rc
    [warning] = [line for line in run.err.splitlines() if line.startswith("tmgt: warning: remote cache")]
    assert warning.endswith("(after 2 attempts); continuing with the local cache only")


@pytest.mark.parametrize("args, env, message", [
    (["--remote-upload=maybe"], {}, 'tmgt: --remote-upload wants yes or no, not "maybe"'),
    (["--remote-cache", "ftp://host/c"], {}, "tmgt: --remote-cache: remote cache URL is not an http:// or https:// URL"),
    (["--remote-cache", "http://host/c"], {"TMGT_REMOTE_CACHE_HEADER": "Authorization Bearer t0ps3cr3t-v4lue"},
     "tmgt: --remote-cache: TMGT_REMOTE_CACHE_HEADER: line 1 is not a header (Name: value)"),
])
def test_unusable_remote_settings_are_usage_errors(tmp_path, args, env, message):
    tm = Tmgt(tmp_path)
    r = tm.run(*args, env=tm.env(**env))
    assert r.rc == 2
    assert message in r.err and "t0ps3cr3t" not in r.err
    assert tm.engine_calls() == []


def test_the_credential_header_reaches_the_server_and_nothing_else(nginx, prefix, tmp_path):
    token = nginx["NGINX_TOKEN"]
    url = f"{nginx['NGINX_HTTP_URL']}/private/{prefix}"
    seen = tmp_path / "engine-env.txt"
    wrapper = tmp_path / "apr-sim"  # the simulator picks its personality by this name
    wrapper.write_text(f'#!/bin/sh\nenv >> "{seen}"\nexec "{BUILD / "tests" / "apr-sim"}" "$@"\n')
    wrapper.chmod(0o755)
    header = f"Authorization: Bearer {token}"
    tm, run = shared_run(tmp_path / "first", url, "--check", "canary", "--engine", f"apr={wrapper}", "-v",
                         TMGT_REMOTE_CACHE_HEADER=header)
    assert run.results["actions_executed"] > 0 and "warning" not in run.err
    assert list((Path(nginx["NGINX_ROOT"]) / prefix / "ac").iterdir())  # the server took the uploads
    assert seen.read_text() and token not in seen.read_text()  # engines never see it
    written = [run.out, run.err]
    for top in (tm.cache, tm.results):
        written += [f.read_bytes().decode("utf-8", "replace") for f in top.rglob("*") if f.is_file()]
    assert len(written) > 10 and not [w for w in written if token in w]
