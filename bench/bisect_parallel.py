"""Bisection rounds and wall time at --parallel 1, 2 and 4 on the 64-commit repository of
tests/integration/test_bisect.py (first bad commit 41), each build given a fixed cost.

    python3 bench/bisect_parallel.py [--build-cost S] [--out FILE]

The cost is a sleep before the real (sub-second) build: it stands for builders elsewhere (a
cluster's nodes), so the builds of a round do not compete for this machine's cores. The checks
(the canary suite on the simulator) run here. Writes FILE (default
bench/results/bisect-parallel.json) and prints the README's table."""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = (ROOT / os.environ.get("TMGT_BENCH_BUILD", "build-rel")).resolve()
os.environ["TMGT_BUILD"] = str(BUILD)
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import test_bisect  # noqa: E402  (the repository generator and the engine it builds)
from conftest import Tmgt  # noqa: E402


def bisect(work, repo, parallel, cost):
    work.mkdir()
    ws = Tmgt(work)
    args = list(test_bisect.start_args(repo))
    args[args.index(test_bisect.BUILD)] = f"sleep {cost}; {test_bisect.BUILD}"
    t0 = time.monotonic()
    r = ws.run("bisect", *args, "--parallel", str(parallel), "-j", "2")
    wall = time.monotonic() - t0
    if r.rc != 0:
        sys.exit(f"bisect --parallel {parallel} failed ({r.rc}): {r.err}")
    doc = test_bisect.summary(ws)
    return {"parallel": parallel, "first_bad": test_bisect.commit_no(repo, doc["first_bad"]["commit"]),
            "rounds": doc["rounds"], "tested": doc["tested"], "builds": doc["builds"],
            "wall_s": round(wall, 2), "rounds_wall_s": round(doc["wall_ms"] / 1000, 2)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-cost", type=float, default=2.0, help="seconds each build takes (default 2)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "bisect-parallel.json")
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="tmgt-bisect-bench-") as tmp:
        repo = test_bisect.make_repo(Path(tmp) / "engine")
        rows = [bisect(Path(tmp) / f"n{n}", repo, n, opts.build_cost) for n in (1, 2, 4)]
    assert len({r["first_bad"] for r in rows}) == 1, rows  # every N finds the serial answer
    doc = {"build_cost_s": opts.build_cost, "commits": test_bisect.N_COMMITS, "rows": rows,
           "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                       "kernel": platform.release(), "load": os.getloadavg()},
           "tmgt": subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                  capture_output=True, text=True).stdout.strip(),
           "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    opts.out.write_text(json.dumps(doc, indent=2) + "\n")
    serial = rows[0]["wall_s"]
    print("| --parallel | rounds | commits tested | builds | wall time | vs N=1 |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['parallel']} | {r['rounds']} | {r['tested']} | {r['builds']} | {r['wall_s']:.1f} s | "
              f"{r['wall_s'] / serial:.2f}× |")


if __name__ == "__main__":
    main()
