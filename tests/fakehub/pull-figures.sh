#!/usr/bin/env bash
# The figures of README's pull section: a cold and a warm `tmgt pull` of a model with a
# SIZE_MIB safetensors file from the fake Hub on loopback (LFS files redirected to its CDN host).
# Usage: tests/fakehub/pull-figures.sh [SIZE_MIB]   (from the repository root, after make build)
set -euo pipefail
size=${1:-64}
work=$(mktemp -d)
trap 'kill "$hub_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/model"
echo '{"architectures": ["LlamaForCausalLM"]}' > "$work/model/config.json"
echo '{"version": "1.0"}' > "$work/model/tokenizer.json"
head -c "$((size << 20))" /dev/urandom > "$work/model/model.safetensors"
python3 - "$work" <<'PY' &
import sys, threading
sys.path.insert(0, "tests/fakehub")
from fakehub import FakeHub
hub = FakeHub()
hub.add_repo("org/bench", sys.argv[1] + "/model")
hub.faults.redirect_lfs = True
hub.start()
open(sys.argv[1] + "/endpoint", "w").write(hub.endpoint)
threading.Event().wait()
PY
hub_pid=$!
while [ ! -s "$work/endpoint" ]; do sleep 0.1; done
export HF_ENDPOINT=$(cat "$work/endpoint") HF_HUB_CACHE=$work/hub
for pass in cold warm; do
  start=$(date +%s.%N)
  build/tmgt pull hf://org/bench --cache-dir "$work/cache"
  awk -v pass="$pass" -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%s: %.2f s\n", pass, b - a }'
done
