"""A loopback stand-in for the HuggingFace Hub, for tmgt's pull tests.

It serves model directories under the Hub's URL shapes and headers (as huggingface_hub
reads them: X-Repo-Commit, ETag / X-Linked-Etag, X-Linked-Size, a 302 to a content host for
LFS files), and a second "CDN" host on another port that records the headers it receives.
Faults are switched on per test through `FakeHub.faults`; every request and every body byte
sent is counted, so tests assert on what actually crossed the wire.

Run alone: python3 fakehub.py ORG/NAME=DIR [...]  (prints the endpoint, serves until ^C).
"""
import hashlib
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


def git_blob_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Repo:
    def __init__(self, repo_id, directory):
        self.repo_id = repo_id
        self.files = {p.relative_to(directory).as_posix(): p.read_bytes()
                      for p in sorted(Path(directory).rglob("*")) if p.is_file()}
        self.commit = hashlib.sha1(repo_id.encode() + b"".join(
            n.encode() + d for n, d in sorted(self.files.items()))).hexdigest()

    @staticmethod
    def is_lfs(name):
        return name.endswith(".safetensors")

    def etag(self, name):
        data = self.files[name]
        return hashlib.sha256(data).hexdigest() if self.is_lfs(name) else git_blob_sha1(data)


class Faults:
    """Every switch is off by default; counts say how many requests a fault hits."""

    def __init__(self):
        self.status = {}        # path substring -> [http status, remaining count (None: always)]
        self.cut = {}           # file name -> remaining GETs that stop halfway through the body
        self.corrupt = set()    # file names whose body has one byte flipped
        self.wrong_etag = set() # file names announced with the ETag of other content
        self.slow = {}          # file name -> seconds to stall after the headers
        self.ignore_range = False
        self.redirect_lfs = False  # LFS files: 302 to the CDN host, as the real Hub does
        self.extra_siblings = []   # names added to the listing (e.g. "../evil.json")
        self.token = None          # when set, the main host wants "Bearer <token>"


class FakeHub:
    def __init__(self):
        self.repos = {}
        self.faults = Faults()
        self.lock = threading.Lock()
        self.requests = []      # (host "hub"|"cdn", method, path, headers dict)
        self.file_bytes = 0     # bytes of file content sent by both hosts (not listings)
        self.hub = self._server("hub")
        self.cdn = self._server("cdn")

    def _server(self, role):
        hub = self

        class Handler(_Handler):
            pass
        Handler.hub, Handler.role = hub, role
        srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        srv.daemon_threads = True
        return srv

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.hub.server_address[1]

    @property
    def cdn_endpoint(self):
        return "http://127.0.0.1:%d" % self.cdn.server_address[1]

    def add_repo(self, repo_id, directory):
        self.repos[repo_id] = Repo(repo_id, directory)
        return self.repos[repo_id]

    def start(self):
        for srv in (self.hub, self.cdn):
            threading.Thread(target=srv.serve_forever, daemon=True).start()
        return self

    def stop(self):
        for srv in (self.hub, self.cdn):
            srv.shutdown()
            srv.server_close()

    def reset_counters(self):
        with self.lock:
            self.requests.clear()
            self.file_bytes = 0

    def record(self, role, method, path, headers):
        with self.lock:
            self.requests.append((role, method, path, {k.lower(): v for k, v in headers.items()}))

    def sent(self, n):
        with self.lock:
            self.file_bytes += n

    def take(self, table, key):
        """Consumes one use of a counted fault; True when it applies."""
        with self.lock:
            left = table.get(key)
            if left is None or left == 0:
                return False
            if isinstance(left, int):
                table[key] = left - 1
            return True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub = None
    role = None

    def log_message(self, fmt, *args):
        pass

    def do_HEAD(self):
        self.handle_any(head=True)

    def do_GET(self):
        self.handle_any(head=False)

    def reply(self, status, body=b"", headers=None, head=False):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and body:
            self.wfile.write(body)

    def handle_any(self, head):
        hub, faults = self.hub, self.hub.faults
        path = unquote(urlsplit(self.path).path)
        hub.record(self.role, self.command, path, dict(self.headers))
        for needle, rule in list(faults.status.items()):
            if needle in path and self.role == "hub":
                code, left = rule
                if left is None or left > 0:
                    if left is not None:
                        rule[1] = left - 1
                    return self.reply(code, b'{"error": "simulated"}', head=head)
        if self.role == "cdn":
            return self.serve_cdn(path, head)
        if faults.token and self.headers.get("Authorization") != "Bearer " + faults.token:
            return self.reply(401, b'{"error": "Invalid credentials"}', head=head)
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "models"] and len(parts) >= 6 and parts[4] == "revision":
            return self.serve_listing("/".join(parts[2:4]), parts[5], head)
        if len(parts) >= 5 and parts[2] == "resolve":
            return self.serve_resolve("/".join(parts[:2]), parts[3], "/".join(parts[4:]), head)
        return self.reply(404, b'{"error": "no route"}', head=head)

    def find(self, repo_id, rev):
        repo = self.hub.repos.get(repo_id)
        return repo if repo and rev in ("main", repo.commit) else None

    def serve_listing(self, repo_id, rev, head):
        repo = self.find(repo_id, rev)
        if not repo:
            return self.reply(404, b'{"error": "Repository not found"}', head=head)
        names = list(repo.files) + self.hub.faults.extra_siblings
        doc = {"id": repo_id, "sha": repo.commit, "siblings": [{"rfilename": n} for n in names]}
        self.reply(200, json.dumps(doc).encode(), {"Content-Type": "application/json"}, head)

    def serve_resolve(self, repo_id, rev, name, head):
        repo, faults = self.find(repo_id, rev), self.hub.faults
        if not repo or name not in repo.files:
            return self.reply(404, b"Entry not found", {"X-Error-Code": "EntryNotFound"}, head)
        data = repo.files[name]
        etag = repo.etag(name)
        if name in faults.wrong_etag:
            etag = hashlib.sha256(b"other content").hexdigest() if repo.is_lfs(name) else git_blob_sha1(b"other")
        headers = {"X-Repo-Commit": repo.commit, "ETag": '"%s"' % etag}
        if repo.is_lfs(name):
            headers.update({"X-Linked-Etag": '"%s"' % etag, "X-Linked-Size": str(len(data))})
            if faults.redirect_lfs:
                headers["Location"] = "%s/blobs/%s?name=%s" % (self.hub.cdn_endpoint, repo.etag(name), name)
                return self.reply(302, b"", headers, head)
        self.serve_body(name, data, headers, head)

    def serve_cdn(self, path, head):
        sha = path.rsplit("/", 1)[-1]
        for repo in self.hub.repos.values():
            for name, data in repo.files.items():
                if hashlib.sha256(data).hexdigest() == sha:
                    return self.serve_body(name, data, {"ETag": '"%s"' % sha}, head)
        self.reply(404, b"NoSuchKey", head=head)

    def serve_body(self, name, data, headers, head):
        faults = self.hub.faults
        if name in faults.corrupt:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and not faults.ignore_range:
            start = int(rng[6:].split("-")[0])
            headers = dict(headers, **{"Content-Range": "bytes %d-%d/%d" % (start, len(data) - 1, len(data))})
        body = data[start:]
        if head:
            return self.reply(200, body, headers, head=True)
        self.send_response(206 if start else 200)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if name in faults.slow:
            self.wfile.flush()
            time.sleep(faults.slow[name])
        if self.hub.take(faults.cut, name):
            half = body[: len(body) // 2]
            self.wfile.write(half)
            self.wfile.flush()
            self.hub.sent(len(half))
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)
        self.hub.sent(len(body))


def main(argv):
    hub = FakeHub()
    for spec in argv:
        repo_id, directory = spec.split("=", 1)
        hub.add_repo(repo_id, directory)
    hub.start()
    print(hub.endpoint, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        hub.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
