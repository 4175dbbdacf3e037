#!/usr/bin/env bash
# Regenerates the parity matrix in README.md from the last real run, so the figures there are
# never typed in by hand: results/latest.json of `make check`, or the latest.json of the results
# directory given (e.g. the cold run `make e2e` makes, which is `make check`'s run: the same
# pipeline, engines and -j2).
#
#   ci/update-readme-matrix.sh [RESULTS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
TMGT="${TMGT:-build/tmgt}"
dir="${1:-results}"
[ -f "$dir/latest.json" ] || { echo "update-readme-matrix: $dir/latest.json is missing: run make check first" >&2; exit 3; }
"$TMGT" report --format md --results-dir "$dir" | ci/replace-readme-block.py matrix
echo "update-readme-matrix: README.md matrix regenerated from $dir/latest.json"
