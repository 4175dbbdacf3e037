#!/usr/bin/env python3
"""Benchmark 7 (time per action, 2,000 trivial actions, cold) for two tmgt builds and ninja,
interleaved in one run (A B ninja, A B ninja, ...), so a change is measured against the unchanged
binary under the same machine load:

    python3 bench/ab_overhead.py BASE_TMGT NEW_TMGT [REPS] [WORKDIR]

WORKDIR (default $TMPDIR) picks the filesystem: /dev/shm for tmpfs."""
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import lib
import run as bench


def main():
    binaries = {"base": sys.argv[1], "new": sys.argv[2]}
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    tmp = Path(tempfile.mkdtemp(dir=sys.argv[4] if len(sys.argv) > 4 else None))
    ws, checks, env, actions = bench.synthetic_ws(tmp, "small", bench.Config(False).small_graph)
    n = len(actions)

    def tmgt_cold(which):
        ws.reset()
        cmd = ws.tmgt_cmd(*checks, jobs=bench.JOBS)
        cmd[0] = binaries[which]
        wall = lib.run(cmd, env=env)[0]
        if ws.expect_complete()["actions_executed"] != n:
            raise RuntimeError("a cold run found cached actions")
        return wall

    def ninja_cold():
        lib.prepare_peer_outputs(ws, actions)
        return lib.run(bench.peer_cmds(ws)["ninja"], env=env)[0]

    samples = {"base": [], "new": [], "ninja": []}
    for _ in range(reps):
        for which in samples:
            samples[which].append(ninja_cold() if which == "ninja" else tmgt_cold(which))
    shutil.rmtree(tmp)
    print(f"{n} actions, -j{bench.JOBS}, under {tmp.parent}")
    for which, s in samples.items():
        print(f"{which:6s} median {statistics.median(s) * 1000 / n:.3f} ms/action  "
              f"samples {[round(x * 1000 / n, 3) for x in s]}")


if __name__ == "__main__":
    main()
