#!/usr/bin/env bash
# Idempotent install of the Debian packages that tmgt's build and tests need, plus any named
# as arguments (ci/setup-fuzz-deps.sh adds the fuzz and valgrind tools).
set -euo pipefail
PKGS=(build-essential cmake pkg-config libuv1-dev libcjson-dev libcurl4-openssl-dev
      libgit2-dev libssl-dev libxxhash-dev libcmocka-dev python3 git
      strace chromium fonts-dejavu-core  # strace, chromium: the report tests
      ninja-build make time openssl      # bench/ (make bench, bench-smoke)
      "$@")
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}"
else
  echo "setup-deps: all packages present"
fi
