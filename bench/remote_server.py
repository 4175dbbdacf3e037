"""A cache server for the remote-cache benchmark: nginx with WebDAV on loopback, started and
stopped by ci/setup-nginx.sh (the one the tests use)."""
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import lib

SETUP = lib.ROOT / "ci" / "setup-nginx.sh"
SBIN_PATH = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
# nginx's default "combined" format: "GET /path HTTP/1.1" STATUS BYTES
REQUEST = re.compile(r'"(GET|HEAD|PUT) (\S+) [^"]*" (\d{3}) (\d+)')


def installed():
    return shutil.which("nginx", path=SBIN_PATH) is not None


@contextlib.contextmanager
def server():
    """Yields the server's settings (NGINX_HTTP_URL, NGINX_ACCESS_LOG, ...)."""
    directory = Path(tempfile.mkdtemp(prefix="tmgt-bench-nginx-"))
    try:
        out = subprocess.run([str(SETUP), "start", str(directory)], check=True, capture_output=True,
                             text=True).stdout
        yield dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    finally:
        subprocess.run([str(SETUP), "stop", str(directory)], check=True)
        shutil.rmtree(directory, ignore_errors=True)


def downloads(access_log, since):
    """(GET requests answered 200, body bytes sent) in the access log after byte offset `since`."""
    with open(access_log, "rb") as f:
        f.seek(since)
        text = f.read().decode(errors="replace")
    got = [int(m.group(4)) for m in REQUEST.finditer(text) if m.group(1) == "GET" and m.group(3) == "200"]
    return len(got), sum(got)
