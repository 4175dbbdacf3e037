#!/usr/bin/env bash
# Idempotent: builds the trained tiny GPT-2 and Qwen2 models from their recipes and committed
# weights (models/recipes/README.md):
#
#   models/fixture/tiny-gpt2/    GPT2LMHeadModel, float32   (models/recipes/tiny-gpt2.json)
#   models/fixture/tiny-qwen2/   Qwen2ForCausalLM, bfloat16 (models/recipes/tiny-qwen2.json)
#
# each with config.json, generation_config.json, model.safetensors, tokenizer.json,
# tokenizer_config.json, special_tokens_map.json; the build report (sizes, digest, margins per
# prompt) goes to models/fixture/<name>.build.json, its log to models/fixture/<name>.build.log.
#
# Needs .venv (ci/setup-oracle.sh) and llama.cpp's source checkout with its vocab GGUFs and test
# vectors (ci/install-llamacpp.sh). build.py checks the weights, the tokenizer, the confidence of
# the continuations, that convert_hf_to_gguf.py accepts the model, and model.safetensors against
# the sha256 pinned in the recipe; any failure is reported and the script exits non-zero with
# nothing half-written under models/. Both models are built at once (one thread each).
# Skips a model whose directory was built from the current recipe inputs (.tmgt-recipe.sha256).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${TMGT_PYTHON:-$ROOT/.venv/bin/python}"
RECIPES="$ROOT/models/recipes"
FIXTURE="$ROOT/models/fixture"
MODELS=(tiny-gpt2 tiny-qwen2)
log() { echo "setup-tiny-models: $*"; }
t0=$(date +%s)
sha() { sha256sum "$1" | cut -d' ' -f1; }

[ -x "$PY" ] || { echo "setup-tiny-models: $PY missing; run ci/setup-oracle.sh first" >&2; exit 3; }
# What a built directory depends on: the recipe, its weights, the recipe code and the prompts.
inputs_digest() {
  local name="$1"
  { sha "$RECIPES/$name.json"; sha "$RECIPES/weights/$name.safetensors" 2>/dev/null || echo none
    for f in "$RECIPES"/*.py "$ROOT"/prompts/*.txt; do sha "$f"; done; } | sha256sum | cut -d' ' -f1
}
pinned() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["safetensors_sha256"])' "$1"; }
is_built() {
  local name="$1" out="$FIXTURE/$1"
  for f in config.json model.safetensors tokenizer.json tokenizer_config.json .tmgt-recipe.sha256; do
    [ -f "$out/$f" ] || return 1
  done
  [ "$(cat "$out/.tmgt-recipe.sha256")" = "$(inputs_digest "$name")" ] \
    && [ "$(sha "$out/model.safetensors")" = "$(pinned "$RECIPES/$name.json")" ]
}

mkdir -p "$FIXTURE"
pids=() names=()
for name in "${MODELS[@]}"; do
  if is_built "$name"; then
    log "$name present and verified: models/fixture/$name"
    continue
  fi
  log "building models/fixture/$name from models/recipes/$name.json"
  "$PY" "$RECIPES/build.py" "$RECIPES/$name.json" --out "$FIXTURE/$name" \
    > "$FIXTURE/$name.build.json" 2> "$FIXTURE/$name.build.log" &
  pids+=($!) names+=("$name")
done
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done' INT TERM
rc=0
for i in "${!pids[@]}"; do
  name="${names[$i]}"
  if wait "${pids[$i]}"; then
    inputs_digest "$name" > "$FIXTURE/$name/.tmgt-recipe.sha256"
    log "$name built: $(grep -h "^recipe: build done" "$FIXTURE/$name.build.log" | cut -d' ' -f3-)" \
        "model.safetensors $(sha "$FIXTURE/$name/model.safetensors")"
  else
    code=$?
    echo "setup-tiny-models: building $name failed (exit $code); its log, models/fixture/$name.build.log:" >&2
    grep -v "Warning" "$FIXTURE/$name.build.log" | tail -25 | sed 's/^/  /' >&2
    [ "$rc" != 0 ] || rc=$code
  fi
done
[ "$rc" = 0 ] || exit "$rc"
dt=$(( $(date +%s) - t0 ))
log "done in ${dt}s"
mkdir -p "$ROOT/third_party"
echo "$(date -u +%FT%TZ) setup-tiny-models total ${dt}s" >> "$ROOT/third_party/timings.log"
