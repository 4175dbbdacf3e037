#!/usr/bin/env bash
# What `make fuzz`, `make valgrind` and `make format-check` need besides the build: clang, the
# libFuzzer runtime (on Debian bookworm libclang_rt.fuzzer is in libclang-rt-14-dev), valgrind
# and clang-format.
set -euo pipefail
exec "$(dirname "$0")/setup-deps.sh" clang libclang-rt-14-dev valgrind clang-format
