"""The original harness's approach, replayed on the same engine commands as a tmgt run: one
process at a time, no cache, the conversions once, then every check calls the engine itself,
even when another check already asked the same question (28 `apr run` per model where 14
suffice, docs/DESIGN.md).

    python3 bench/legacy_harness.py RESULTS_JSON WORKSPACE_DIR

RESULTS_JSON is a tmgt results document from a run whose cache and models lived in
WORKSPACE_DIR (for the command lines); prints the number of engine calls it made."""
import json
import subprocess
import sys
from pathlib import Path

import lib

# tmgt's own suites, which the original harness never had (issue 15).
NOT_IN_THE_ORIGINAL = {"prompt-tokens", "logit-parity"}


def producer_order(actions):
    by_output = {a.output: a for a in actions if a.output}
    done, order = set(), []

    def visit(a):
        if a.id in done:
            return
        done.add(a.id)
        for x in a.inputs:
            visit(by_output[x])
        order.append(a)

    for a in actions:
        if a.output:
            visit(a)
    return order


def engine_calls(results, ws):
    """The command lines the original would run, in its order (artefacts in ws.peer_models)."""
    actions = lib.action_graph(results, ws, ws.peer_models)
    by_id = {a.id: a for a in actions}
    calls = [a.argv for a in producer_order(actions)]
    for check in results["checks"]:
        if check["suite"] in NOT_IN_THE_ORIGINAL:
            continue
        calls += [by_id[i].argv for i in check.get("actions", []) if by_id[i].output is None]
    return calls


def replay(calls, env):
    for argv in calls:
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def main():
    results = json.loads(Path(sys.argv[1]).read_text())
    ws = lib.Workspace(sys.argv[2], fresh=False)
    calls = engine_calls(results, ws)
    lib.prepare_peer_outputs(ws, lib.action_graph(results, ws, ws.peer_models))
    replay(calls, lib.base_env())
    print(f"{len(calls)} engine calls")


if __name__ == "__main__":
    main()
