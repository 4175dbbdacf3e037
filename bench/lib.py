"""Shared pieces of the benchmarks: workspaces on the engine simulator, running tmgt and its
peers, turning a tmgt results document into the equivalent build.ninja and Makefile."""
import json
import os
import shlex
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Relative to the repository root (pipelines elsewhere resolve relative engine paths
# against their own base).
BUILD = (ROOT / os.environ.get("TMGT_BENCH_BUILD", "build-rel")).resolve()
TMGT = BUILD / "tmgt"
SIM_DIR = BUILD / "tests"
SIM_PIPELINE = ROOT / "tests" / "sim" / "pipeline.json"
SIM_MODELS = ROOT / "tests" / "sim" / "models"
ENGINE_BINARIES = {"apr": "apr-sim", "llama-completion": "llama-sim", "llama-probe": "llama-probe-sim",
                   "llama-quantize": "llama-quantize-sim", "convert-hf": "convert-hf-sim"}

# Realistic relative costs of the engine calls (ms at scale 1): conversions and evaluations
# dominate, inference is mid-sized, metadata queries are cheap. Fault rules are first-match,
# so the catch-all comes last.
SIM_COSTS = [("import", 120), ("export", 80), ("convert", 150), ("quantize", 100),
             ("eval", 200), ("bench", 150), ("qa", 150), ("run", 40), ("llama", 40),
             ("parity", 40), ("*", 10)]


def sim_delays(scale):
    """APR_SIM_FAULTS rules giving each simulated engine call its realistic cost."""
    return ";".join(f"{cmd}=delay:{max(1, round(ms * scale))}" for cmd, ms in SIM_COSTS)


def base_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APR_SIM_", "TMGT_"))}
    env["NO_COLOR"] = "1"
    env["APR_OFFLINE"] = "1"
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Workspace:
    """A directory holding one pipeline's models, cache, results and generated build files."""

    def __init__(self, path, fresh=True):
        self.dir = Path(path)
        if fresh:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir.mkdir(parents=True)
        self.models = self.dir / "models"
        self.cache = self.dir / "cache"
        self.results = self.dir / "results"
        self.peer_models = self.dir / "peer-models"  # make, ninja and the original write here
        self.pipeline = None
        self.set_aside_runs = 0

    def copy_engines(self):
        """Private copies of the simulator, so one engine can be replaced without touching the
        others (they are one binary under four names)."""
        bindir = self.dir / "bin"
        bindir.mkdir(exist_ok=True)
        for name in ENGINE_BINARIES.values():
            shutil.copy2(SIM_DIR / "apr-sim", bindir / name)
        return bindir

    def sim_pipeline(self, bindir=SIM_DIR):
        """A copy of tests/sim/pipeline.json whose artefacts land in this workspace."""
        doc = json.loads(SIM_PIPELINE.read_text())
        doc["base"] = str(ROOT)
        return self.write_pipeline(doc, bindir)

    def write_pipeline(self, doc, bindir=SIM_DIR):
        doc["models_dir"] = str(self.models)
        for name, binary in ENGINE_BINARIES.items():
            doc["engines"][name]["binary"] = str(Path(bindir) / binary)
        self.pipeline = self.dir / "pipeline.json"
        self.pipeline.write_text(json.dumps(doc, indent=1))
        return self.pipeline

    def tmgt_cmd(self, *args, jobs=None):
        cmd = [str(TMGT), "--pipeline", str(self.pipeline), "--cache-dir", str(self.cache),
               "--results-dir", str(self.results), "-q"]
        if jobs:
            cmd += ["-j", str(jobs)]
        return cmd + list(args)

    def reset(self, cache=True):
        """Back to cold: no artefacts (and no cache unless cache=False)."""
        for d in [self.models] + ([self.cache, self.results] if cache else []):
            shutil.rmtree(d, ignore_errors=True)

    def set_aside(self):
        """Back to cold like reset(), but what the last run wrote is moved under trash/ rather than
        deleted (drop_trash() deletes it): ext4 will not reuse an inode freed in the last minute
        (ialloc.c, recently_deleted) and searches past every one, so deleting the last run's few
        hundred files right before the next one made tmgt's own file creation several times
        dearer than on a filesystem no benchmark has just emptied."""
        self.set_aside_runs += 1
        trash = self.dir / "trash" / str(self.set_aside_runs)
        trash.mkdir(parents=True)
        for d in (self.models, self.cache, self.results):
            if d.exists():
                d.rename(trash / d.name)

    def drop_trash(self):
        shutil.rmtree(self.dir / "trash", ignore_errors=True)

    def latest(self):
        return json.loads((self.results / "latest.json").read_text())

    def expect_complete(self):
        """The last run left no action out (a missing engine would make a fast, empty run)."""
        r = self.latest()
        if r["actions_skipped"] or r["actions_executed"] + r["actions_cached"] != len(r["actions"]):
            raise RuntimeError(f"{self.pipeline}: {r['actions_skipped']} actions skipped or unavailable")
        return r


def run(cmd, env=None, cwd=ROOT, check_rc=(0,)):
    """Runs a command to completion; returns (wall seconds, peak RSS in KiB). The peak comes
    from GNU time: a child forked from Python would report Python's own size (the kernel keeps
    the high-water mark across exec)."""
    with tempfile.NamedTemporaryFile("r") as rss:
        wrapped = ["/usr/bin/time", "-q", "-f", "%M", "-o", rss.name] + [str(c) for c in cmd]
        start = time.monotonic()
        proc = subprocess.run(wrapped, cwd=cwd, env=env or base_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
        wall = time.monotonic() - start
        peak = rss.read().split()
    if check_rc is not None and proc.returncode not in check_rc:
        err = proc.stderr.decode(errors="replace")
        raise RuntimeError(f"{shlex.join(map(str, cmd))} exited {proc.returncode}:\n{err[-2000:]}")
    return wall, int(peak[-1]) if peak and peak[-1].isdigit() else 0


def repeat(reps, prepare, cmd, env=None, check_rc=(0,)):
    """Median wall seconds (and the samples) of `reps` runs, `prepare()` before each."""
    samples = []
    for _ in range(reps):
        if prepare:
            prepare()
        samples.append(run(cmd, env=env, check_rc=check_rc)[0])
    return statistics.median(samples), samples


def io_read_chars():
    """Bytes this process and its reaped children have read (the kernel adds a child's I/O
    counters to its parent's when the parent waits for it)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise RuntimeError("/proc/self/io has no rchar")


# ---- the action graph of a results document, and its make/ninja equivalents ----

class Action:
    def __init__(self, doc, argv, output, inputs):
        self.id = doc["id"]
        self.step = doc["step"]
        self.wall_ms = doc.get("wall_ms") or 0
        self.argv = argv
        self.output = output
        self.inputs = inputs


def action_graph(results, ws, models_dir=None):
    """The actions of a run with real paths, artefacts moved to `models_dir` (default: tmgt's
    own). An executed producer's argv names its staging file (cache/tmp/<pid>-<n>-NAME), which
    lands as <models>/<slug>/NAME (the action's output name)."""
    staging = str(ws.cache / "tmp") + "/"
    ours = str(ws.models) + "/"
    models_dir = Path(models_dir or ws.models)
    docs = results["actions"]
    argvs, outputs = [], []
    for a in docs:
        argv, out = [], None
        for arg in a["argv"]:
            if arg.startswith(staging):
                out = str(models_dir / a["model"] / (a.get("output") or {}).get("name", Path(arg).name))
                arg = out
            elif arg.startswith(ours):
                arg = str(models_dir / arg[len(ours):])
            argv.append(arg)
        argvs.append(argv)
        outputs.append(out)
    produced = {o for o in outputs if o}
    return [Action(d, argv, out, [x for x in argv[1:] if x in produced and x != out])
            for d, argv, out in zip(docs, argvs, outputs)]


def peer_graph(ws):
    """The last tmgt run's actions, writing where the peers (make, ninja, the original) write."""
    return action_graph(json.loads((ws.results / "latest.json").read_text()), ws, ws.peer_models)


def query_output(ws, index):
    return ws.dir / "out" / f"{index}.out"


def _command(ws, i, a):
    """The shell command of an action: a producer writes its file, a query's answer is kept."""
    cmd = shlex.join(a.argv)
    if a.output:
        return f"{cmd} >/dev/null 2>&1"
    return f"{cmd} >{shlex.quote(str(query_output(ws, i)))} 2>/dev/null; true"


def _target(ws, i, a):
    return a.output or str(query_output(ws, i))


def _ninja_path(path):
    return path.replace(":", "$:").replace(" ", "$ ")


def _ninja_builds(actions, ws, command):
    """One `build` per action (its target, its inputs) whose command is command(i, action)."""
    lines = ["rule run", "  command = $cmd", ""]
    for i, a in enumerate(actions):
        deps = " ".join(_ninja_path(x) for x in a.inputs)
        lines.append(f"build {_ninja_path(_target(ws, i, a))}: run {deps}".rstrip())
        lines.append("  cmd = " + command(i, a).replace("$", "$$"))
    return lines


def write_ninja(actions, ws):
    path = ws.dir / "build.ninja"
    path.write_text("\n".join(_ninja_builds(actions, ws, lambda i, a: _command(ws, i, a))) + "\n")
    return path


def write_ninja_phases(actions, ws, alone="bench"):
    """A ninja file running what tmgt runs the way tmgt runs it (ninja_phases_cmd): the target
    `together` is every action but the `alone` step's, `alone` those (the timings). Each command
    is the engine's argv alone, so /bin/sh (ninja runs every command through it) execs it
    directly and ninja captures its output, as tmgt does."""
    lines = _ninja_builds(actions, ws, lambda i, a: shlex.join(a.argv))
    for phase, pick in (("together", lambda a: a.step != alone), ("alone", lambda a: a.step == alone)):
        lines.append(f"build {phase}: phony " +
                     " ".join(_ninja_path(_target(ws, i, a)) for i, a in enumerate(actions) if pick(a)))
    path = ws.dir / "phases.ninja"
    path.write_text("\n".join(lines) + "\n")
    return path


def ninja_phases_cmd(path, jobs):
    """`together` at `jobs` at once, then `alone` one at a time with nothing else running; -k 0
    goes on past a failure, as tmgt does."""
    ninja = f"ninja -k 0 -f {shlex.quote(path.name)} -C {shlex.quote(str(path.parent))}"
    return ["sh", "-c", f"{ninja} -j{jobs} together >/dev/null; {ninja} -j1 alone >/dev/null; true"]


def expect_outputs(actions):
    """After a peer's run: every artefact it should have made is there."""
    missing = [a.output for a in actions if a.output and not Path(a.output).exists()]
    if missing:
        raise RuntimeError(f"the peer did not make {len(missing)} artefacts, e.g. {missing[0]}")


def write_makefile(actions, ws):
    targets = [_target(ws, i, a) for i, a in enumerate(actions)]
    lines = [".PHONY: all", "all: " + " ".join(targets), ""]
    for i, (a, t) in enumerate(zip(actions, targets)):
        lines.append(f"{t}: {' '.join(a.inputs)}".rstrip())
        lines.append("\t@" + _command(ws, i, a).replace("$", "$$"))
    path = ws.dir / "Makefile"
    path.write_text("\n".join(lines) + "\n")
    return path


def prepare_peer_outputs(ws, actions):
    """Cold state for make and ninja: no artefacts, no answers, no build log."""
    shutil.rmtree(ws.peer_models, ignore_errors=True)
    shutil.rmtree(ws.dir / "out", ignore_errors=True)
    for d in {ws.dir / "out"} | {Path(a.output).parent for a in actions if a.output}:
        d.mkdir(parents=True, exist_ok=True)
    for f in (".ninja_log", ".ninja_deps"):
        (ws.dir / f).unlink(missing_ok=True)


def critical_path_ms(actions):
    """Longest chain of measured durations through the graph."""
    by_output = {a.output: a for a in actions if a.output}
    memo = {}

    def finish(a):
        if a.id not in memo:
            memo[a.id] = a.wall_ms + max((finish(by_output[x]) for x in a.inputs), default=0)
        return memo[a.id]

    return max((finish(a) for a in actions), default=0)
