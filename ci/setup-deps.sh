#!/usr/bin/env bash
# Idempotent install of the Debian packages that tmgt's build and tests need.
set -euo pipefail
PKGS=(build-essential cmake pkg-config libuv1-dev libcjson-dev libcurl4-openssl-dev
      libgit2-dev libssl-dev libcmocka-dev python3 git
      ninja-build make time openssl)  # the last four: bench/ (make bench, bench-smoke)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup-deps: all packages present"
fi
