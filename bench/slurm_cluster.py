"""A one-node Slurm cluster for the Slurm executor's benchmark, started and stopped by
ci/setup-slurm.sh (the one the tests use)."""
import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import lib

SETUP = lib.ROOT / "ci" / "setup-slurm.sh"
SBIN_PATH = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"


def installed():
    return shutil.which("slurmctld", path=SBIN_PATH) is not None


@contextlib.contextmanager
def cluster():
    """Yields the cluster's SLURM_CONF. munged wants every directory above its socket searchable by
    all, so the cluster's directory is a 0755 one of its own under $TMPDIR."""
    directory = Path(tempfile.mkdtemp(prefix="tmgt-bench-slurm-"))
    directory.chmod(0o755)
    try:
        subprocess.run([str(SETUP), "start", str(directory)], check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "PATH": SBIN_PATH})
        yield str(directory / "slurm.conf")
    finally:
        subprocess.run([str(SETUP), "stop", str(directory)], check=True)
        shutil.rmtree(directory, ignore_errors=True)
