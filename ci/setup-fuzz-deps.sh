#!/usr/bin/env bash
# Idempotent install of what the fuzz build (clang + libFuzzer runtime) and the valgrind run need.
# On Debian bookworm libclang_rt.fuzzer lives in libclang-rt-14-dev, next to clang 14.
set -euo pipefail
PKGS=(clang libclang-rt-14-dev valgrind)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup-fuzz-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}"
else
  echo "setup-fuzz-deps: all packages present"
fi
