#!/usr/bin/env bash
# Regenerates the README's reliability figures from real runs: the fault, interrupt, cache,
# input and security tests (pytest's JUnit XML, with the kill loop's counts as properties), the
# last bounded fuzz run (build-fuzz/fuzz-stats.json, from `make fuzz`), the last deep fuzz run
# (tests/fuzz/results/deep.json, committed by whoever ran `make fuzz-deep`) and a valgrind run.
#   make build fuzz && ci/update-readme-reliability.sh
# RELIABILITY_REUSE=1 takes the tests' JUnit XML and the valgrind summary that the last full run
# of this script left in $BUILD (reliability.xml, valgrind-summary.txt) instead of running them
# again: for new fuzz figures alone, e.g. after a `make fuzz-deep`.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FUZZ_STATS=${FUZZ_STATS:-build-fuzz/fuzz-stats.json}
FUZZ_DEEP=${FUZZ_DEEP:-tests/fuzz/results/deep.json}
[[ -f $FUZZ_STATS ]] || { echo "update-readme-reliability: $FUZZ_STATS missing (make fuzz)" >&2; exit 3; }
xml=$BUILD/reliability.xml
TESTS=(tests/integration/test_faults.py tests/integration/test_interrupts.py
       tests/integration/test_cache_damage.py tests/integration/test_bad_inputs.py
       tests/integration/test_security.py)
valgrind_file=$BUILD/valgrind-summary.txt
if [[ ${RELIABILITY_REUSE:-0} == 1 ]]; then
  [[ -f $xml && -f $valgrind_file ]] ||
    { echo "update-readme-reliability: no $xml and $valgrind_file of an earlier run to reuse" >&2; exit 3; }
  echo "update-readme-reliability: reusing $xml ($(date -r "$xml" -u +%FT%TZ)) and $valgrind_file"
else
  python3 -m pytest -q -o junit_family=xunit1 --junitxml="$xml" "${TESTS[@]}"
  valgrind_summary=$(ci/run-valgrind.sh "$BUILD" | tr '\n' ';')
  printf '%s' "$valgrind_summary" >"$valgrind_file" # only once the run has passed
fi
valgrind_summary=$(cat "$valgrind_file")
python3 - "$xml" "$FUZZ_STATS" "$FUZZ_DEEP" "$valgrind_summary" <<'PY' | ci/replace-readme-block.py reliability
import ast, json, re, sys, xml.etree.ElementTree as ET
from collections import OrderedDict

xml_path, fuzz_path, deep_path, valgrind = sys.argv[1:]
cases = ET.parse(xml_path).getroot().iter("testcase")
groups = OrderedDict()
props = {}
for c in cases:
    m = re.match(r"test_(\w+?)(?:\[(.*)\])?$", c.get("name"))
    name, param = m.group(1), m.group(2)
    ok = not any(c.find(t) is not None for t in ("failure", "error", "skipped"))
    g = groups.setdefault((c.get("classname").split(".")[-1], name), {"params": [], "passed": 0, "total": 0})
    g["total"] += 1
    g["passed"] += ok
    if param:
        g["params"].append(param)
    for p in c.iter("property"):
        props[p.get("name")] = p.get("value")

files = {"test_faults": "engine fault", "test_interrupts": "tmgt interrupted / concurrent",
         "test_cache_damage": "cache damaged / disk full", "test_bad_inputs": "bad input file",
         "test_security": "security"}
lines = ["| area | what is tried (test) | cases | passed |", "|---|---|---|---|"]
for (module, name), g in groups.items():
    what = name.replace("_", " ")
    params = sorted(set(g["params"]), key=g["params"].index)
    if params and len(params) <= 12:
        what += " (" + ", ".join(params) + ")"
    lines.append(f"| {files.get(module, module)} | {what} | {g['total']} | {g['passed']} |")
total = sum(g["total"] for g in groups.values())
passed = sum(g["passed"] for g in groups.values())

kills = ast.literal_eval(props.get("kills", "{}"))
kill_line = (f"Randomized kill loop: {sum(kills.values())} kills "
             f"({', '.join(f'{n} {s}' for s, n in sorted(kills.items()))}), "
             f"{props.get('finished_results_checked', '?')} results reported finished by the killed runs, "
             f"**{props.get('lost_results', '?')} lost**, **{props.get('corrupt_caches', '?')} corrupt cache states**.")

def fuzz_table(run):
    rows = ["| fuzz target | seconds | executions | coverage (edges / features) | crashes | corpus (seeds) |",
            "|---|---|---|---|---|---|"]
    for t in run["targets"]:
        rows.append(f"| `{t['target']}` | {t['seconds']:,} | {t['executions']:,} | {t['coverage']:,} / "
                    f"{t['features']:,} | {t['crashes']} | {t['corpus']:,} ({t['seeds']}) |")
    return rows


def totals(run):
    return (sum(t["executions"] for t in run["targets"]), sum(t["crashes"] for t in run["targets"]))


fuzz = json.load(open(fuzz_path))
execs, crashes = totals(fuzz)

try:
    deep = json.load(open(deep_path))
except FileNotFoundError:
    deep = None
if deep:
    bound = " or ".join(b for b in (f"{deep['runs_per_target']:,} executions" if deep["runs_per_target"] else "",
                                    f"{deep['seconds_per_target']:,} s" if deep["seconds_per_target"] else "") if b)
    dexecs, dcrashes = totals(deep)
    deep_lines = [f"Deep fuzzing (`make fuzz-deep`, each target to {bound}, {deep['jobs']} at a time on "
                  f"{deep['cpus']} CPUs, {deep['compiler']}, ASan/UBSan, at {deep['commit']}, {deep['date']}): "
                  f"{dexecs:,} executions, {dcrashes} crashes.", "", *fuzz_table(deep)]
    diff = deep.get("differential")
    if diff:
        deep_lines += ["", f"Header readers against the second implementations ({diff['reference']}) on "
                       f"{diff['files']:,} fuzzed files: {diff['agree']:,} agree ({diff['both_accept']:,} accepted by "
                       f"both with the same tensor count), {diff['lenient']:,} accepted "
                       f"here and refused there for what only a full read sees, {diff['by_design']:,} refused "
                       f"here by design (big-endian GGUF), **{diff['disagree']:,} disagreements**."]
else:
    deep_lines = [f"No deep fuzzing run recorded yet (`make fuzz-deep` writes `{deep_path}`)."]

md = "\n".join([
    f"{passed} of {total} fault, interrupt, bad-input and security cases pass; every one asserts the",
    "status and message, a clean `tmgt cache verify` and (for faults) that a rerun without the fault",
    "reaches the results of a run that never saw it.", "",
    kill_line, "",
    *lines, "",
    f"Fuzzing (`make fuzz`, {fuzz['seconds_per_target']} s per target as in CI, {fuzz['date']}): "
    f"{execs:,} executions, {crashes} crashes.", "",
    *fuzz_table(fuzz), "",
    *deep_lines, "",
    "valgrind memcheck (`make valgrind`, no definite or indirect leak, no invalid access): "
    + "; ".join(v.replace("valgrind: ", "") for v in valgrind.split(";") if v) + ".",
])
print(md)
PY
echo "update-readme-reliability: README.md reliability figures regenerated"
