#!/usr/bin/env bash
# Runs every libFuzzer target of a TMGT_FUZZ build for a bounded time on a corpus seeded from
# real outputs, and writes executions and crashes per target to a JSON file (the README's
# reliability table is generated from it). Exits 1 when any target crashed; the crashing
# inputs are left in <build>/fuzz-artifacts/<target>/ to be fixed and kept as seeds.
#   ci/run-fuzz.sh [BUILD_DIR] [SECONDS_PER_TARGET]     (defaults: build-fuzz, 20)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-fuzz}
SECONDS_PER_TARGET=${2:-${FUZZ_SECONDS:-20}}
OUT=$BUILD/fuzz-stats.json

# Real samples for the targets that read them; every target also gets tests/fuzz/seeds/<name>/
# (hand-made seeds and the inputs of crashes already fixed).
samples() {
  case "$1" in
    engine_json) ls docs/apr-0.72.3-samples/*.stdout docs/llamacpp-v0.4.0-samples/*.stdout \
                    docs/apr-0.72.3-samples/logprobs/*.stdout docs/llamacpp-v0.4.0-samples/probe/*.stdout \
                    tests/data/engine-outputs/*.json ;;
    oracle)      ls oracle/*/*.json ;;
    pipeline)    ls pipeline/*.json tests/sim/pipeline.json ;;
    results)     ls tests/data/results-*.json ;;
    writers)     ls tests/data/results-escape.json docs/llamacpp-v0.4.0-samples/*.stderr ;;
  esac
}

shopt -s nullglob
rows=()
status=0
for bin in "$BUILD"/tests/fuzz/fuzz_*; do
  [[ -x $bin && -f $bin ]] || continue
  name=${bin##*/fuzz_}
  corpus=$BUILD/fuzz-corpus/$name
  artifacts=$BUILD/fuzz-artifacts/$name
  mkdir -p "$corpus" "$artifacts"
  seeds=(tests/fuzz/seeds/"$name"/*)
  mapfile -t real < <(samples "$name")
  for f in "${seeds[@]}" "${real[@]}"; do cp -f "$f" "$corpus/${f//\//_}"; done
  log=$BUILD/fuzz-$name.log
  set +e
  # ASan's leak check runs at exit; -rss_limit_mb bounds a runaway allocation.
  "$bin" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
         -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  crashes=$(find "$artifacts" -type f | wc -l)
  ninputs=$(find "$corpus" -type f | wc -l)
  echo "fuzz $name: ${execs:-0} executions, $crashes crash(es), corpus $ninputs (exit $rc)"
  if ((rc != 0 || crashes > 0)); then
    status=1
    tail -30 "$log"
  fi
  rows+=("{\"target\": \"$name\", \"seconds\": $SECONDS_PER_TARGET, \"executions\": ${execs:-0}, \"crashes\": $crashes, \"corpus\": $ninputs, \"seeds\": $((${#seeds[@]} + ${#real[@]})), \"exit\": $rc}")
done
((${#rows[@]})) || { echo "run-fuzz: no fuzz targets in $BUILD (make fuzz builds them)" >&2; exit 3; }
{
  echo "{\"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"seconds_per_target\": $SECONDS_PER_TARGET, \"targets\": ["
  (IFS=$'\n'; echo "${rows[*]}" | sed '$!s/$/,/')
  echo "]}"
} >"$OUT"
echo "run-fuzz: wrote $OUT"
exit $status
