#!/usr/bin/env bash
# Regenerates the parity matrix in README.md from the last real run (results/latest.json), so
# the figures there are never typed in by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
TMGT="${TMGT:-build/tmgt}"
"$TMGT" report --format md | ci/replace-readme-block.py matrix
echo "update-readme-matrix: README.md matrix regenerated from results/latest.json"
