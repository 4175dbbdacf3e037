#!/usr/bin/env bash
# valgrind memcheck of tmgt on the whole simulator matrix, cold (every action executes) then
# warm (every action is a cache hit), then `report` and `cache verify` on what they left: any
# definite or indirect leak, or any invalid access, fails the run.
#   ci/run-valgrind.sh [BUILD_DIR]     (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
VG=(valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=no)
sim=(--pipeline "$work/pipeline.json" --cache-dir "$work/cache" --results-dir "$work/results")

# The simulator pipeline with its engines pointing at this build's simulator.
python3 - "$BUILD" "$work" <<'PY'
import json, os, sys
build, work = sys.argv[1:]
doc = json.load(open("tests/sim/pipeline.json"))
doc["base"] = os.getcwd()
doc["models_dir"] = os.path.join(work, "models")
for name, binary in (("apr", "apr-sim"), ("llama-completion", "llama-sim"), ("llama-probe", "llama-probe-sim"),
                     ("llama-quantize", "llama-quantize-sim"), ("convert-hf", "convert-hf-sim")):
    doc["engines"][name]["binary"] = os.path.abspath(os.path.join(build, "tests", binary))
json.dump(doc, open(os.path.join(work, "pipeline.json"), "w"))
PY

run() {
  local what=$1; shift
  local rc=0
  "${VG[@]}" "$BUILD/tmgt" "$@" >"$work/$what.out" 2>"$work/$what.err" || rc=$?
  if ((rc == 99 || rc > 3)); then
    echo "valgrind: $what: exit $rc"; cat "$work/$what.err"; exit 1
  fi
  echo "valgrind: $what: clean (tmgt exit $rc)"
}
run cold "${sim[@]}" -q
run warm "${sim[@]}" -q
run report report --results-dir "$work/results"
run ticket ticket --results-dir "$work/results"
run verify cache verify --cache-dir "$work/cache"
