#!/usr/bin/env bash
# Installs the pinned apr (crate apr-cli) with cargo; does nothing when that version is present.
# Fat LTO with one codegen unit takes over an hour on 2 cores, so this install turns LTO off and
# raises codegen units: the binary is slower, the tokens are the same.
set -euo pipefail
APR_VERSION="${APR_VERSION:-0.72.3}"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
if [ -x "$CARGO_BIN/apr" ] && "$CARGO_BIN/apr" --version 2>/dev/null | grep -q "apr $APR_VERSION"; then
  echo "install-apr: apr $APR_VERSION already installed at $CARGO_BIN/apr"
  exit 0
fi
command -v cargo >/dev/null || { echo "install-apr: cargo not found (install Rust with rustup)" >&2; exit 3; }
echo "install-apr: building apr-cli $APR_VERSION (this takes a long time on 2 cores)"
start=$(date +%s)
CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_DEBUG=false \
  cargo install apr-cli --version "$APR_VERSION" --locked
echo "install-apr: built in $(( $(date +%s) - start )) s"
"$CARGO_BIN/apr" --version
