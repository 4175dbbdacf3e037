#!/usr/bin/env bash
# Regenerates the parity matrix in README.md from the last real run (results/latest.json), so
# the figures there are never typed in by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
TMGT="${TMGT:-build/tmgt}"
matrix="$(mktemp)"
trap 'rm -f "$matrix"' EXIT
"$TMGT" report --format md > "$matrix"
python3 - "$matrix" <<'PY'
import re, sys
md = open(sys.argv[1]).read().strip()
readme = open("README.md").read()
block = "<!-- matrix:begin -->\n" + md + "\n<!-- matrix:end -->"
new, n = re.subn(r"<!-- matrix:begin -->.*?<!-- matrix:end -->", lambda m: block, readme, flags=re.S)
if n != 1:
    sys.exit("README.md has no matrix markers")
open("README.md", "w").write(new)
PY
echo "update-readme-matrix: README.md matrix regenerated from results/latest.json"
