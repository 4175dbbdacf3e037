"""Drives the real tmgt CLI against the engine simulator (tests/sim)."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A run refuses to vouch for files changed within 100 ms of its start (git's racy-clean rule), so a
# test that wants the next run to be a remembered no-op waits this long after writing anything.
SETTLE_S = 0.25
# pytest-xdist's workers set COLUMNS and LINES to the runner's own terminal; a test gives tmgt
# its terminal (or none), and these would override its width.
for name in ("COLUMNS", "LINES"):
    os.environ.pop(name, None)
BUILD = Path(os.environ.get("TMGT_BUILD", ROOT / "build"))
TMGT = BUILD / "tmgt"
SIM = BUILD / "tests" / "apr-sim"
SIM_PIPELINE = ROOT / "tests" / "sim" / "pipeline.json"


class Run:
    def __init__(self, proc, results_dir):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        latest = Path(results_dir) / "latest.json"
        self.results = json.loads(latest.read_text()) if latest.exists() else None

    def checks(self):
        return {c["name"]: (c["status"], c["detail"]) for c in self.results["checks"]}

    def check(self, name):
        return next(c for c in self.results["checks"] if c["name"] == name)


class Tmgt:
    """One isolated workspace: its own cache, results and models directories."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.cache = tmp_path / "cache"
        self.results = tmp_path / "results"
        self.log = tmp_path / "engine-calls.log"
        self.pipeline = self.make_pipeline()

    def make_pipeline(self, **step_overrides):
        """A copy of the simulator pipeline whose artefacts land in this workspace."""
        doc = json.loads(SIM_PIPELINE.read_text())
        doc["base"] = str(ROOT)
        doc["models_dir"] = str(self.tmp / "models")
        for name, binary in (("apr", "apr-sim"), ("llama-completion", "llama-sim"), ("llama-probe", "llama-probe-sim"),
                             ("llama-quantize", "llama-quantize-sim"), ("convert-hf", "convert-hf-sim")):
            doc["engines"][name]["binary"] = str(BUILD / "tests" / binary)
        for step, fields in step_overrides.items():
            doc["steps"][step].update(fields)
        path = self.tmp / f"pipeline-{len(list(self.tmp.glob('pipeline-*.json')))}.json"
        path.write_text(json.dumps(doc))
        return path

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("APR_SIM_", "TMGT_"))}
        env["APR_SIM_LOG"] = str(self.log)
        env["NO_COLOR"] = "1"
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def popen(self, *args, pipeline=None, env=None, **kw):
        cmd = [str(TMGT), "--pipeline", str(pipeline or self.pipeline), "--cache-dir", str(self.cache),
               "--results-dir", str(self.results), *args]
        return subprocess.Popen(cmd, cwd=ROOT, env=env or self.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, **kw)

    def run(self, *args, pipeline=None, env=None, timeout=300):
        p = self.popen(*args, pipeline=pipeline, env=env)
        out, err = p.communicate(timeout=timeout)
        p.stdout, p.stderr = out, err
        return Run(p, self.results)

    def engine_calls(self):
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]


def pytest_configure(config):
    # pytest-xdist declares it; without xdist (one process) the mark is still known
    config.addinivalue_line("markers", "xdist_group(name): run these tests on one xdist worker")


@pytest.fixture
def tmgt(tmp_path):
    if not TMGT.exists() or not SIM.exists():
        pytest.fail(f"build tmgt and the simulator first ({TMGT}, {SIM}): make build")
    return Tmgt(tmp_path)


def check_table(results):
    """What each check concluded, for comparing two runs."""
    return sorted((c["name"], c["status"], c["detail"]) for c in results["checks"])
