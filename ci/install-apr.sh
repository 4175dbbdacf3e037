#!/usr/bin/env bash
# Installs the pinned apr (crate apr-cli) with cargo; does nothing when that version is present.
# Fat LTO with one codegen unit takes over an hour on 2 cores, so this install turns LTO off and
# raises codegen units: the binary is slower, the tokens are the same.
# Features: only what the subcommands of pipeline/default.json need. apr-cli's defaults add
# `training` (entrenar, distill: the train/finetune/tune/monitor/runs/experiment/pretrain/gpu
# subcommands and eval's classification mode), `visualization` (renacer/trueno-viz: qa and bench
# then use apr's own no-op tracer, whose syscall figures tmgt does not read) and `zram` (a
# showcase demo). `inference` is run/eval/bench/qa/parity; `hf-hub` and `safetensors-compare`
# stay because aprender's import and safetensors inspection are compiled against them.
# Checked with ci/capture-samples.sh apr against the samples of the default build in docs/: every
# subcommand answers alike (same tokens, exit codes, JSON fields and panics); only paths, timings,
# stack frames of the panics and the digests of imported files (not reproducible even between two
# imports by one build) differ.
set -euo pipefail
APR_VERSION="${APR_VERSION:-0.72.3}"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
if [ -x "$CARGO_BIN/apr" ] && "$CARGO_BIN/apr" --version 2>/dev/null | grep -q "apr $APR_VERSION"; then
  echo "install-apr: apr $APR_VERSION already installed at $CARGO_BIN/apr"
  exit 0
fi
command -v cargo >/dev/null || { echo "install-apr: cargo not found (install Rust with rustup)" >&2; exit 3; }
APR_FEATURES="${APR_FEATURES:-inference,hf-hub,safetensors-compare}"
echo "install-apr: building apr-cli $APR_VERSION with features $APR_FEATURES, about 40 min on 2 cores (with the default features it took 40 min; this set compiles 638 crates instead of 712)"
start=$(date +%s)
CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_DEBUG=false \
  cargo install apr-cli --version "$APR_VERSION" --locked --no-default-features --features "$APR_FEATURES"
echo "install-apr: built in $(( $(date +%s) - start )) s"
"$CARGO_BIN/apr" --version
