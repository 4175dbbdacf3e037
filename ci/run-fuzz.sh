#!/usr/bin/env bash
# Runs the libFuzzer targets of a TMGT_FUZZ build, each on a corpus seeded from real outputs and
# with its dictionary, and writes per target executions, coverage, corpus and crashes to a JSON
# file (the README's reliability figures are generated from it). Exits 1 when any target crashed
# or hung; the inputs are left in <build>/fuzz-artifacts/<target>/ to be fixed and kept as seeds.
#   ci/run-fuzz.sh [BUILD_DIR] [SECONDS_PER_TARGET]     (defaults: build-fuzz, 20; 0: no time limit)
# Environment:
#   FUZZ_RUNS     stop each target after this many executions (default: none, time only)
#   FUZZ_OUT      the JSON file (default <build>/fuzz-stats.json)
#   FUZZ_JOBS     how many targets are fuzzed at once (default 1)
#   FUZZ_TARGETS  the targets to run, space-separated (default: all)
#   FUZZ_FLAGS    more libFuzzer flags, word-split (e.g. -use_value_profile=1)
# The targets are the names in tests/fuzz/CMakeLists.txt's TMGT_FUZZ_TARGETS, so a new one is run
# as soon as it is listed there. Per target NAME, all optional:
#   tests/fuzz/seeds/NAME/    hand-made seeds and the inputs of crashes already fixed
#   tests/fuzz/samples/NAME   globs of real samples (docs/, oracle/, ...), one a line
#   tests/fuzz/dict/NAME.dict its libFuzzer dictionary; a line "# include F" adds tests/fuzz/dict/F
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-fuzz}
SECONDS_PER_TARGET=${2:-${FUZZ_SECONDS:-20}}
RUNS=${FUZZ_RUNS:-}
OUT=${FUZZ_OUT:-$BUILD/fuzz-stats.json}
JOBS=${FUZZ_JOBS:-1}
read -r -a EXTRA_FLAGS <<<"${FUZZ_FLAGS:-}"

usage() { echo "run-fuzz: $*" >&2; exit 2; }
[[ $SECONDS_PER_TARGET =~ ^[0-9]+$ ]] || usage "seconds per target must be a whole number, not '$SECONDS_PER_TARGET'"
[[ -z $RUNS || $RUNS =~ ^[1-9][0-9]*$ ]] || usage "FUZZ_RUNS must be a positive number of executions, not '$RUNS'"
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || usage "FUZZ_JOBS must be a positive number, not '$JOBS'"
((SECONDS_PER_TARGET > 0)) || [[ -n $RUNS ]] || usage "no bound: give seconds per target or FUZZ_RUNS"

mapfile -t ALL < <(sed -n '/^set(TMGT_FUZZ_TARGETS/,/^)/{/^set(/d;/^)/d;s/#.*//;p}' tests/fuzz/CMakeLists.txt |
                   tr -s ' \t' '\n' | sed '/^$/d')
((${#ALL[@]})) || { echo "run-fuzz: no TMGT_FUZZ_TARGETS in tests/fuzz/CMakeLists.txt" >&2; exit 3; }
read -r -a TARGETS <<<"${FUZZ_TARGETS:-${ALL[*]}}"
for name in "${TARGETS[@]}"; do
  [[ " ${ALL[*]} " == *" $name "* ]] || usage "no fuzz target '$name' (tests/fuzz/CMakeLists.txt has: ${ALL[*]})"
  [[ -x $BUILD/tests/fuzz/fuzz_$name ]] ||
    { echo "run-fuzz: $BUILD/tests/fuzz/fuzz_$name is not built (make fuzz-build builds it)" >&2; exit 3; }
done

shopt -s nullglob
ROWS=$BUILD/fuzz-rows
rm -rf "$ROWS"
mkdir -p "$ROWS" "$BUILD/fuzz-dict"

# The target's dictionary with its includes, as one file for -dict=.
dictionary() {
  local own=tests/fuzz/dict/$1.dict merged=$BUILD/fuzz-dict/$1.dict
  [[ -f $own ]] || return 0
  { sed -n 's/^# include //p' "$own" | while read -r inc; do cat "tests/fuzz/dict/$inc"; done; cat "$own"; } >"$merged"
  echo "-dict=$merged"
}

artifact_times() { find "$1" -type f -printf '%f %T@\n' | sort; }

# One of the figures libFuzzer prints at exit (-print_final_stats=1).
final_stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -1; }

fuzz_one() {
  local name=$1
  local corpus=$BUILD/fuzz-corpus/$name artifacts=$BUILD/fuzz-artifacts/$name log=$BUILD/fuzz-$name.log
  mkdir -p "$corpus" "$artifacts"
  local seeds=(tests/fuzz/seeds/"$name"/*) real=() glob
  if [[ -f tests/fuzz/samples/$name ]]; then
    while read -r glob; do
      [[ -z $glob || $glob == \#* ]] || real+=($glob)
    done <"tests/fuzz/samples/$name"
  fi
  local f
  for f in "${seeds[@]}" "${real[@]}"; do cp -f "$f" "$corpus/${f//\//_}"; done
  local flags=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -max_total_time="$SECONDS_PER_TARGET")
  [[ -z $RUNS ]] || flags+=(-runs="$RUNS")
  local dict
  dict=$(dictionary "$name")
  [[ -z $dict ]] || flags+=("$dict")
  # what the artifacts directory held before, by name and time: a crash found again rewrites its file
  local before t0=$SECONDS rc=0
  before=$(artifact_times "$artifacts")
  # ASan's leak check runs at exit; -rss_limit_mb bounds a runaway allocation.
  "$BUILD/tests/fuzz/fuzz_$name" "${flags[@]}" "${EXTRA_FLAGS[@]}" -artifact_prefix="$artifacts/" "$corpus" \
    >"$log" 2>&1 || rc=$?
  local seconds=$((SECONDS - t0))
  local found=()
  mapfile -t found < <(comm -13 <(echo "$before") <(artifact_times "$artifacts") | sed 's/ .*//; s/.*/"&"/')
  local execs rate rss cov ft
  execs=$(final_stat "$log" number_of_executed_units) rate=$(final_stat "$log" average_exec_per_sec)
  rss=$(final_stat "$log" peak_rss_mb)
  read -r cov ft < <(sed -n 's/^#[0-9]*.* cov: \([0-9]*\) ft: \([0-9]*\).*/\1 \2/p' "$log" | tail -1) || true
  local ninputs
  ninputs=$(find "$corpus" -type f | wc -l)
  local row
  row=$(IFS=,; printf '{"target": "%s", "seconds": %d, "executions": %d, "exec_per_sec": %d, "coverage": %d, ' \
         "$name" "$seconds" "${execs:-0}" "${rate:-0}" "${cov:-0}"
        printf '"features": %d, "corpus": %d, "seeds": %d, "crashes": %d, "artifacts": [%s], ' \
         "${ft:-0}" "$ninputs" $((${#seeds[@]} + ${#real[@]})) ${#found[@]} "${found[*]}"
        printf '"peak_rss_mb": %d, "exit": %d}' "${rss:-0}" "$rc")
  echo "$row" >"$ROWS/$name.json"
  echo "fuzz $name: ${execs:-0} executions in $seconds s, coverage ${cov:-0} edges / ${ft:-0} features," \
       "${#found[@]} crash(es), corpus $ninputs (exit $rc)"
  ((rc == 0 && ${#found[@]} == 0)) || touch "$ROWS/$name.failed"
}

for name in "${TARGETS[@]}"; do
  while (($(jobs -rp | wc -l) >= JOBS)); do wait -n || true; done
  fuzz_one "$name" &
done
wait

status=0
for name in "${TARGETS[@]}"; do
  [[ -f $ROWS/$name.json ]] || { echo "run-fuzz: $name left no figures" >&2; status=1; continue; }
  if [[ -f $ROWS/$name.failed ]]; then
    status=1
    echo "--- fuzz $name failed; the end of $BUILD/fuzz-$name.log:"
    tail -30 "$BUILD/fuzz-$name.log"
  fi
done

compiler=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
mkdir -p "$(dirname "$OUT")"
{
  printf '{"date": "%s", "commit": "%s", "compiler": "%s", "sanitizers": "address,undefined", ' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(git describe --always --dirty 2>/dev/null || echo unknown)" \
    "$("${compiler:-clang}" --version | head -1)"
  printf '"cpus": %d, "jobs": %d, "seconds_per_target": %d, "runs_per_target": %s, "targets": [\n' \
    "$(nproc)" "$JOBS" "$SECONDS_PER_TARGET" "${RUNS:-null}"
  for name in "${TARGETS[@]}"; do cat "$ROWS/$name.json"; done | sed '$!s/$/,/'
  echo "]}"
} >"$OUT"
python3 -m json.tool "$OUT" >/dev/null
echo "run-fuzz: wrote $OUT"
exit $status
