#!/usr/bin/env python3
"""Runs tmgt side by side with its peers on the same work and writes bench/results/latest.json:
one entry per measurement (name, tmgt figure, peer figure, ratio tmgt/peer, unit), medians of
several repetitions, taken in one run on one machine.

    python3 bench/run.py [--smoke] [--out FILE] [--only N ...]

--smoke shrinks every benchmark to seconds (it proves they run; its figures mean little).
Build tmgt first: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel
(TMGT_BENCH_BUILD names another build directory)."""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import legacy_harness
import lib
import remote_server
import slurm_cluster
import synthetic

JOBS = os.cpu_count() or 1
MiB = 1 << 20


class Config:
    def __init__(self, smoke):
        self.smoke = smoke
        self.reps = 1 if smoke else 5
        self.cold_reps = 1 if smoke else 5
        self.delay_scale = 0.05 if smoke else 0.5
        self.jobs_list = [1, 2] if smoke else [1, 2, 4, 8]
        self.bound_runs = [(self.delay_scale, self.jobs_list)] + ([] if smoke else [(1.0, self.jobs_list)])
        self.big_graph = (2, synthetic.shape_for(100, 2)) if smoke else (20, synthetic.shape_for(20000, 20))
        self.small_graph = (2, synthetic.shape_for(40, 2)) if smoke else (10, synthetic.shape_for(2000, 10))
        self.hash_bytes = 32 * MiB if smoke else 1024 * MiB
        self.model_bytes = 256 * MiB if smoke else 3072 * MiB


def entry(bench, name, tmgt, peer, peer_name, unit, better="lower", **extra):
    e = {"benchmark": bench, "name": name, "tmgt": tmgt, "peer": peer, "peer_name": peer_name,
         "ratio": (tmgt / peer) if peer else None, "unit": unit, "better": better}
    e.update(extra)
    return e


def paired(reps, a, b):
    """Runs A then B `reps` times (interleaved, so drift hits both); medians and samples."""
    sa, sb = [], []
    for _ in range(reps):
        sa.append(a())
        sb.append(b())
    return statistics.median(sa), statistics.median(sb), sa, sb


def ms(seconds):
    return round(seconds * 1000, 2)


def peer_cmds(ws):
    return {"ninja": ["ninja", "-C", str(ws.dir), "-j", str(JOBS)],
            "make": ["make", "-s", "-C", str(ws.dir), "-j", str(JOBS)]}


# ---- 1. cold run against the physical bound ----

def work_of(actions):
    """Critical path, exclusive work (the timings, which run alone) and all work, in ms."""
    return (lib.critical_path_ms(actions), sum(a.wall_ms for a in actions if a.step == "bench"),
            sum(a.wall_ms for a in actions))


def bench_cold_bound(cfg, tmp):
    """At the benchmark's scale, and once more with every action twice as long (the costs at scale
    1): what tmgt spends per run whatever the graph (start, engine version probes, planning,
    the last sync, writing: about 35 ms) weighs half as much against the bound there.
    The bound counts no CPU: on a machine with fewer cores than jobs the engines' own starts and
    work queue for the cores, so beside it ninja runs the same commands the way tmgt does (the
    timings alone, after the rest; lib.write_ninja_phases), interleaved with tmgt's runs; the bound
    entry says how far from the bound ninja got (peer_ratio_to_bound)."""
    out, workspaces = [], []
    for scale, jobs_list in cfg.bound_runs:
        ws = lib.Workspace(tmp / f"bound-{scale}")
        workspaces.append(ws)
        ws.sim_pipeline()
        env = lib.base_env(APR_SIM_FAULTS=lib.sim_delays(scale))
        lib.run(ws.tmgt_cmd(jobs=jobs_list[0]), env=env)  # the commands, for ninja
        ws.expect_complete()
        peer = lib.peer_graph(ws)
        phases = lib.write_ninja_phases(peer, ws)
        durations = None
        where = "" if scale == cfg.delay_scale else f", action costs at scale {scale:g}"
        for jobs in jobs_list:
            ninja = lib.ninja_phases_cmd(phases, jobs)

            def tmgt_cold():
                ws.set_aside()
                return lib.run(ws.tmgt_cmd(jobs=jobs), env=env)[0]

            def ninja_cold():
                lib.prepare_peer_outputs(ws, peer)
                return lib.run(ninja, env=env)[0]

            wall, peer_wall, samples, peer_samples = paired(cfg.cold_reps, tmgt_cold, ninja_cold)
            ws.expect_complete()
            lib.expect_outputs(peer)
            if durations is None:
                # Per-action durations measured alone (-j1, or the first job count) bound every run.
                durations = lib.action_graph(ws.latest(), ws)
                cp, exclusive, total = work_of(durations)
            bound = max(cp, exclusive + (total - exclusive) / jobs) / 1000
            # The second bound, beside it: the same formula over the durations the actions took in
            # this job count's last run, slowed by sharing the cores; what is left above it is tmgt's.
            own_cp, own_exclusive, own_total = work_of(lib.action_graph(ws.latest(), ws))
            shared = max(own_cp, own_exclusive + (own_total - own_exclusive) / jobs)
            out.append(entry(1, f"cold run -j{jobs} / physical bound{where}", ms(wall), ms(bound), "bound", "ms",
                             target="<= 1.05", samples_ms=[ms(s) for s in samples], critical_path_ms=cp,
                             total_work_ms=total, exclusive_work_ms=exclusive, actions=len(durations),
                             delay_scale=scale, bound_at_shared_durations_ms=shared,
                             ratio_to_shared_bound=ms(samples[-1]) / shared,
                             peer_ratio_to_bound=ms(peer_wall) / ms(bound)))
            out.append(entry(1, f"cold run -j{jobs} vs ninja running its commands, the timings alone after{where}",
                             ms(wall), ms(peer_wall), "ninja", "ms", target="<= 1.05",
                             samples_ms=[ms(s) for s in samples], peer_samples_ms=[ms(s) for s in peer_samples],
                             delay_scale=scale))
    for ws in workspaces:  # only now: see Workspace.set_aside
        ws.drop_trash()
    return out


# ---- 2. the original harness's approach ----

def count_lines(path):
    return sum(1 for _ in open(path)) if path.exists() else 0


def bench_legacy(cfg, tmp):
    ws = lib.Workspace(tmp / "legacy")
    ws.sim_pipeline()
    log = ws.dir / "calls.log"
    env = lib.base_env(APR_SIM_FAULTS=lib.sim_delays(cfg.delay_scale), APR_SIM_LOG=log)
    lib.run(ws.tmgt_cmd(jobs=JOBS), env=env)
    ws.expect_complete()
    tmgt_calls = count_lines(log)
    calls = legacy_harness.engine_calls(ws.latest(), ws)
    peer_actions = lib.peer_graph(ws)

    def run_tmgt():
        ws.reset()
        return lib.run(ws.tmgt_cmd(jobs=JOBS), env=env)[0]

    def run_legacy():
        lib.prepare_peer_outputs(ws, peer_actions)
        log.unlink(missing_ok=True)
        t = time.monotonic()
        legacy_harness.replay(calls, env)
        return time.monotonic() - t

    t, p, st, sp = paired(cfg.cold_reps, run_tmgt, run_legacy)
    legacy_calls = count_lines(log)
    runs = sum(1 for c in calls if c[1:2] == ["run"])
    return [entry(2, f"cold matrix -j{JOBS} vs original harness (serial, no cache)", ms(t), ms(p),
                  "original approach", "ms", samples_ms=[ms(s) for s in st], peer_samples_ms=[ms(s) for s in sp],
                  engine_calls={"tmgt": tmgt_calls, "original": legacy_calls},
                  apr_run_calls_original=runs)]


# ---- 3, 4 (175-check matrix) and 8: against make and ninja ----

def bench_peers(cfg, tmp):
    ws = lib.Workspace(tmp / "peers")
    ws.sim_pipeline()
    env = lib.base_env(APR_SIM_FAULTS=lib.sim_delays(cfg.delay_scale))
    lib.run(ws.tmgt_cmd(jobs=JOBS), env=env)
    ws.expect_complete()
    actions = lib.peer_graph(ws)
    lib.write_ninja(actions, ws)
    lib.write_makefile(actions, ws)
    rss = {}
    out = []

    def tmgt_cold():
        ws.reset()
        wall, kib = lib.run(ws.tmgt_cmd(jobs=JOBS), env=env)
        rss["tmgt"] = max(rss.get("tmgt", 0), kib)
        return wall

    for peer, cmd in peer_cmds(ws).items():
        def peer_cold():
            lib.prepare_peer_outputs(ws, actions)
            wall, kib = lib.run(cmd, env=env)
            rss[peer] = max(rss.get(peer, 0), kib)
            return wall
        t, p, st, sp = paired(cfg.cold_reps, tmgt_cold, peer_cold)
        out.append(entry(3, f"cold 175-action matrix -j{JOBS} vs {peer}", ms(t), ms(p), peer, "ms",
                         samples_ms=[ms(s) for s in st], peer_samples_ms=[ms(s) for s in sp]))
    # What follows are no-op reruns. make and ninja share peer-models/, so each first brings
    # its own view up to date (ninja would redo what make rewrote) before anything is timed.
    settle_and_remember(ws.tmgt_cmd(jobs=JOBS), env)
    for peer, cmd in peer_cmds(ws).items():
        lib.run(cmd, env=env)
        t, p, st, sp = paired(cfg.reps, lambda: lib.run(ws.tmgt_cmd(jobs=JOBS), env=env)[0],
                              lambda: lib.run(cmd, env=env)[0])
        out.append(entry(3 if peer == "make" else 4, f"no-op rerun, 175-action matrix vs {peer}", ms(t), ms(p),
                         peer, "ms", target="tmgt < 50 ms", samples_ms=[ms(s) for s in st],
                         peer_samples_ms=[ms(s) for s in sp]))
    out.append(entry(8, "peak RSS, 175-action matrix (cold) vs ninja", rss["tmgt"] / 1024, rss["ninja"] / 1024,
                     "ninja", "MiB"))
    return out


# ---- 4 (20,000 actions), 7 and 8: synthetic graphs against ninja ----

def synthetic_ws(tmp, name, shape):
    """A synthetic graph run once by tmgt, and the equivalent build.ninja of its actions."""
    ws = lib.Workspace(tmp / name)
    synthetic.write(ws, *shape)
    checks, env = synthetic.check_args(), lib.base_env()
    lib.run(ws.tmgt_cmd(*checks, jobs=JOBS), env=env)
    ws.expect_complete()
    actions = lib.peer_graph(ws)
    lib.write_ninja(actions, ws)
    return ws, checks, env, actions


def settle_and_remember(cmd, env):
    """The no-op after a run that executed something judges everything again and leaves the memo
    its successors replay (src/core/run_memo.h); files younger than 100 ms cannot vouch for one."""
    time.sleep(0.3)
    lib.run(cmd, env=env)


def bench_big_noop(cfg, tmp):
    ws, checks, env, actions = synthetic_ws(tmp, "big", cfg.big_graph)
    ninja = peer_cmds(ws)["ninja"]
    lib.prepare_peer_outputs(ws, actions)
    lib.run(ninja, env=env)
    tmgt = ws.tmgt_cmd(*checks, jobs=JOBS)
    settle_and_remember(tmgt, env)
    rss = {"tmgt": 0, "ninja": 0}

    def measure(tool, cmd, before=None):
        def go():
            if before:
                before()
            wall, kib = lib.run(cmd, env=env)
            rss[tool] = max(rss[tool], kib)
            return wall
        return go

    t, p, st, sp = paired(cfg.reps, measure("tmgt", tmgt), measure("ninja", ninja))
    n = len(actions)
    out = [entry(4, f"no-op rerun, {n}-action synthetic graph vs ninja", ms(t), ms(p), "ninja", "ms",
                 target="<= ninja", samples_ms=[ms(s) for s in st], peer_samples_ms=[ms(s) for s in sp]),
           entry(8, f"peak RSS, {n}-action graph (no-op) vs ninja", rss["tmgt"] / 1024, rss["ninja"] / 1024,
                 "ninja", "MiB")]
    # The same rerun after one oracle file was touched (new timestamps, the same bytes: a
    # checkout's touch), then after one oracle file's bytes changed: the checks of its prompt are
    # judged again and the rest of the document copied (src/core/rejudge.h).
    oracle = next((ws.dir / "synthetic" / "oracle").rglob("*.json"))
    rss["tmgt"] = 0
    t, p, st, sp = paired(cfg.reps, measure("tmgt", tmgt, before=oracle.touch), measure("ninja", ninja))
    out.append(entry(4, f"rerun after one oracle file was touched (same bytes), {n}-action graph, vs ninja no-op",
                     ms(t), ms(p), "ninja", "ms", samples_ms=[ms(s) for s in st], peer_samples_ms=[ms(s) for s in sp]))
    original = oracle.read_text()
    edits = iter(range(1, 1 << 20))

    def edit_oracle():
        doc = json.loads(original)
        doc["tokens"][5] = (doc["tokens"][5] + next(edits)) % 49152  # another answer each time
        oracle.write_text(json.dumps(doc))
        time.sleep(0.15)  # old enough for the rerun's memo to vouch for it, as an edit usually is

    rss["tmgt"] = 0
    t, p, st, sp = paired(cfg.reps, measure("tmgt", tmgt, before=edit_oracle), measure("ninja", ninja))
    oracle.write_text(original)
    out += [entry(4, f"rerun judging again one prompt's checks (one oracle file edited), {n}-action graph, vs ninja "
                     "no-op", ms(t), ms(p), "ninja", "ms", target="<= 3", samples_ms=[ms(s) for s in st],
                  peer_samples_ms=[ms(s) for s in sp]),
            entry(8, f"peak RSS, {n}-action graph judged again after an oracle edit vs ninja", rss["tmgt"] / 1024,
                  rss["ninja"] / 1024, "ninja", "MiB")]
    return out


def bench_overhead(cfg, tmp, where=""):
    ws, checks, env, actions = synthetic_ws(tmp, "small", cfg.small_graph)
    n = len(actions)

    def tmgt_cold():
        ws.reset()
        wall = lib.run(ws.tmgt_cmd(*checks, jobs=JOBS), env=env)[0]
        if ws.expect_complete()["actions_executed"] != n:
            raise RuntimeError("a cold run found cached actions")
        return wall

    def ninja_cold():
        lib.prepare_peer_outputs(ws, actions)
        return lib.run(peer_cmds(ws)["ninja"], env=env)[0]

    t, p, st, sp = paired(cfg.cold_reps, tmgt_cold, ninja_cold)
    return [entry(7, f"time per action, {n} trivial actions -j{JOBS}{where} vs ninja", ms(t) / n, ms(p) / n, "ninja",
                  "ms/action", samples_ms=[ms(s) for s in st], peer_samples_ms=[ms(s) for s in sp])]


# ---- 5. incremental: an engine binary replaced ----

def bench_incremental(cfg, tmp):
    ws = lib.Workspace(tmp / "incremental")
    bindir = ws.copy_engines()
    ws.sim_pipeline(bindir)
    env = lib.base_env(APR_SIM_FAULTS=lib.sim_delays(cfg.delay_scale))
    out = []
    for engine in ("llama-quantize", "apr"):
        ws.reset()
        cold, _ = lib.run(ws.tmgt_cmd(jobs=JOBS), env=env)
        cold_n = ws.expect_complete()["actions_executed"]
        binary = bindir / lib.ENGINE_BINARIES[engine]
        with open(binary, "ab") as f:  # a different build: same behaviour, another digest
            f.write(b"\0rebuilt")
        inc, _ = lib.run(ws.tmgt_cmd(jobs=JOBS), env=env)
        inc_n = ws.latest()["actions_executed"]
        out.append(entry(5, f"rerun after {engine} binary replaced vs cold run", ms(inc), ms(cold), "cold run",
                         "ms", actions_executed={"incremental": inc_n, "cold": cold_n}))
    return out


# ---- 6. hashing and the stat cache ----

def write_big_file(path, size):
    block = os.urandom(MiB)
    with open(path, "wb") as f:
        for _ in range(size // MiB):
            f.write(block)


def sparse_file(path, size):
    with open(path, "wb") as f:
        f.truncate(size)


def model_ws(tmp, name, payload):
    """The simulator pipeline cut to one model whose source holds `payload` as its weights."""
    ws = lib.Workspace(tmp / name)
    src = ws.dir / "source"
    shutil.copytree(lib.SIM_MODELS / "smollm-135m", src)
    (src / "model.safetensors").unlink()
    payload(src / "model.safetensors")
    past = time.time() - 3600  # older than any stat cache (git's racy rule does not apply)
    os.utime(src / "model.safetensors", (past, past))
    doc = json.loads(lib.SIM_PIPELINE.read_text())
    doc["base"] = str(lib.ROOT)
    doc["models"] = [dict(doc["models"][0], source=str(src))]
    ws.write_pipeline(doc)
    return ws, src / "model.safetensors"


def bench_hashing(cfg, tmp):
    big, big_file = model_ws(tmp, "hash-big", lambda p: write_big_file(p, cfg.hash_bytes))
    small, _ = model_ws(tmp, "hash-small", lambda p: p.write_bytes(b"\0" * 8))
    with open(big_file, "rb") as f:  # into the page cache: every hasher reads from memory
        while f.read(16 * MiB):
            pass
    plan = ["plan", "--check", "canary"]
    reset = (lambda w: lambda: shutil.rmtree(w.cache, ignore_errors=True))
    t_big, _ = lib.repeat(cfg.reps, reset(big), big.tmgt_cmd(*plan))
    t_small, _ = lib.repeat(cfg.reps, reset(small), small.tmgt_cmd(*plan))
    tmgt_rate = cfg.hash_bytes / MiB / max(t_big - t_small, 1e-9)
    out = []
    for peer, cmd in (("sha256sum", ["sha256sum", str(big_file)]),
                      ("openssl dgst", ["openssl", "dgst", "-sha256", str(big_file)])):
        t, _ = lib.repeat(cfg.reps, None, cmd)
        out.append(entry(6, f"SHA-256 of a {cfg.hash_bytes // MiB} MiB file vs {peer}", round(tmgt_rate, 1),
                         round(cfg.hash_bytes / MiB / t, 1), peer, "MiB/s", better="higher"))
    return out


def bench_statcache(cfg, tmp):
    ws, _ = model_ws(tmp, "statcache", lambda p: sparse_file(p, cfg.model_bytes))
    cmd = ws.tmgt_cmd("--check", "canary", jobs=JOBS)

    def bytes_read():
        before = lib.io_read_chars()
        lib.run(cmd)
        return lib.io_read_chars() - before

    first, rerun = bytes_read(), bytes_read()
    return [entry(6, f"bytes read by a rerun over {cfg.model_bytes // MiB} MiB of unchanged models "
                     "vs the first run", rerun, first, "first run (empty stat cache)", "bytes",
                  model_bytes=cfg.model_bytes)]


def bench_overhead_tmpfs(cfg, tmp):
    """The same on tmpfs: what is left when creating a file costs nothing."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        return []
    with tempfile.TemporaryDirectory(prefix="tmgt-bench-", dir=shm) as d:
        return bench_overhead(cfg, Path(d), ", on tmpfs")


# ---- 9. the Slurm executor against the local runner ----

def bench_slurm(cfg, tmp):
    """The simulator matrix cold through --executor slurm on a one-node cluster, against the local
    runner on the same machine: what a job costs on top of the engine (srun asking slurmctld for an
    allocation, slurmd starting the step), per action, with the probe up front."""
    if not slurm_cluster.installed():
        print("bench 9: slurm-wlm is not installed (ci/setup-slurm.sh installs it); skipped", file=sys.stderr)
        return []
    ws = lib.Workspace(tmp / "slurm")
    ws.sim_pipeline()
    selection = ("--model", "smollm-135m", "--check", "canary") if cfg.smoke else ()
    with slurm_cluster.cluster() as conf:
        env = lib.base_env(SLURM_CONF=conf)

        def cold(*executor):
            def go():
                ws.reset()
                wall = lib.run(ws.tmgt_cmd(*selection, *executor, jobs=JOBS), env=env)[0]
                ws.expect_complete()
                return wall
            return go

        t, p, st, sp = paired(cfg.cold_reps, cold("--executor", "slurm"), cold())
    n = ws.latest()["actions_executed"]
    return [entry(9, f"time per action, {n}-action simulator matrix cold -j{JOBS}, --executor slurm "
                     "(one-node cluster) vs the local runner", ms(t) / n, ms(p) / n, "local runner", "ms/action",
                  overhead_ms_per_action=(ms(t) - ms(p)) / n, samples_ms=[ms(s) for s in st],
                  peer_samples_ms=[ms(s) for s in sp])]


# ---- 10. a second machine with a warm remote cache ----

def bench_remote(cfg, tmp):
    """The simulator matrix on a "second machine": a workspace with a cold local cache whose
    --remote-cache server holds what a first workspace executed, against the first workspace's
    own warm local cache (models removed in both, so every output is restored, none replayed)."""
    if not remote_server.installed():
        print("bench 10: nginx is not installed (ci/setup-nginx.sh installs it); skipped", file=sys.stderr)
        return []
    first, second = lib.Workspace(tmp / "remote-first"), lib.Workspace(tmp / "remote-second")
    first.sim_pipeline()
    second.sim_pipeline()
    selection = ("--model", "smollm-135m", "--check", "canary") if cfg.smoke else ()
    with remote_server.server() as srv:
        url = f"{srv['NGINX_HTTP_URL']}/bench"
        log = srv["NGINX_ACCESS_LOG"]
        lib.run(first.tmgt_cmd(*selection, "--remote-cache", url, jobs=JOBS))
        executed = first.expect_complete()["actions_executed"]
        fetched = []

        def from_server():
            second.reset()
            since = os.path.getsize(log)
            wall = lib.run(second.tmgt_cmd(*selection, "--remote-cache", url, "--remote-upload=no", jobs=JOBS))[0]
            r = second.expect_complete()
            if r["actions_executed"]:
                raise RuntimeError(f"bench 10: the second machine executed {r['actions_executed']} actions")
            fetched.append(remote_server.downloads(log, since))
            return wall

        def from_local():
            first.reset(cache=False)
            wall = lib.run(first.tmgt_cmd(*selection, jobs=JOBS))[0]
            first.expect_complete()
            return wall

        t, p, st, sp = paired(cfg.cold_reps, from_server, from_local)
    files, nbytes = fetched[-1]
    return [entry(10, f"the {executed}-action simulator matrix on a second machine: cold local cache, warm "
                      f"remote cache (nginx on loopback) vs the first machine's warm local cache, -j{JOBS}",
                  ms(t), ms(p), "local warm cache", "ms", files_downloaded=files, bytes_downloaded=nbytes,
                  actions=executed, samples_ms=[ms(s) for s in st], peer_samples_ms=[ms(s) for s in sp])]


BENCHMARKS = [("1", bench_cold_bound), ("2", bench_legacy), ("3", bench_peers), ("4", bench_big_noop),
              ("5", bench_incremental), ("6", bench_hashing), ("6", bench_statcache), ("7", bench_overhead),
              ("7", bench_overhead_tmpfs), ("9", bench_slurm), ("10", bench_remote)]


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((int(l.split()[1]) // 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)

    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
        except (OSError, IndexError):
            return None

    commit = version(["git", "-C", str(lib.ROOT), "rev-parse", "--short", "HEAD"])
    return {"cpu": cpu, "cores": JOBS, "memory_mib": mem, "kernel": platform.release(),
            "python": platform.python_version(), "tmgt": version([str(lib.TMGT), "--version"]),
            "commit": commit, "ninja": version(["ninja", "--version"]), "make": version(["make", "--version"]),
            "build": str(lib.BUILD), "loadavg": os.getloadavg()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, one repetition")
    ap.add_argument("--out", type=Path, default=lib.ROOT / "bench" / "results" / "latest.json")
    ap.add_argument("--only", action="append", help="benchmark number(s) to run (default: all)")
    args = ap.parse_args()
    if not lib.TMGT.exists():
        sys.exit(f"bench: {lib.TMGT} is missing; build it first (see bench/README.md)")
    for tool in ("ninja", "make", "sha256sum", "openssl", "/usr/bin/time"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is not installed (ci/setup-deps.sh installs it)")
    cfg = Config(args.smoke)
    started = datetime.datetime.now(datetime.timezone.utc)
    entries = []
    with tempfile.TemporaryDirectory(prefix="tmgt-bench-") as d:
        for number, fn in BENCHMARKS:
            if args.only and number not in args.only:
                continue
            print(f"bench {number}: {fn.__name__[6:]} ...", file=sys.stderr, flush=True)
            entries += fn(cfg, Path(d))
    doc = {"format": 1, "smoke": cfg.smoke, "started_at": started.isoformat(timespec="seconds"),
           "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "machine": machine(), "jobs": JOBS, "repetitions": {"cold": cfg.cold_reps, "other": cfg.reps},
           "statistic": "median", "command": "make bench" if not cfg.smoke else "make bench-smoke",
           "entries": entries}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    for e in entries:
        shared = (f"; its last run against the bound at its own durations {e['bound_at_shared_durations_ms']:.4g}, "
                  f"ratio {e['ratio_to_shared_bound']:.3g}; ninja's ratio to the bound {e['peer_ratio_to_bound']:.3g}"
                  if "ratio_to_shared_bound" in e else "")
        print(f"{e['benchmark']}. {e['name']}: tmgt {e['tmgt']:.4g} {e['unit']}, {e['peer_name']} "
              f"{e['peer']:.4g}, ratio {e['ratio']:.3g}{shared}" if e["ratio"] is not None else e["name"])
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
