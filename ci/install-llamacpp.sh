#!/usr/bin/env bash
# Idempotent: installs llama.cpp (tag v0.4.0) from the npm registry and builds its CLI tools.
#
#   1. npm i -E --omit=optional node-llama-cpp@3.21.1 @node-llama-cpp/linux-x64@3.21.1
#      into third_party/npm (--omit=optional keeps out the 500+ MB CUDA/Vulkan builds).
#   2. git clone of node-llama-cpp's llama/gitRelease.bundle -> third_party/llama.cpp
#   3. cmake Release build of llama-completion, llama-quantize, llama-tokenize (-j2).
#      GGML_NATIVE=OFF with pinned ISA flags (AVX2 + FMA + F16C + BMI2, i.e. x86-64-v3,
#      no AVX-512) so that every CI host of the same kind runs the same kernels and so the
#      same numerics; fails early if the CPU lacks one of them.
#   4. third_party/bin/{llama-completion,llama-quantize,llama-tokenize,convert-hf-to-gguf,
#      gguf-new-metadata}
#      convert-hf-to-gguf runs the bundled convert_hf_to_gguf.py with .venv/bin/python
#      (made by ci/setup-oracle.sh: it needs numpy, torch, transformers, sentencepiece and
#      the bundled gguf-py, which the wrapper puts first on PYTHONPATH).
#   5. third_party/bin/llama-probe: our tools/llama-probe.c (prompt ids, greedy steps with
#      top-K logprobs, a teacher-forced pass over an oracle) linked against the libllama of
#      step 3 and libcjson; rebuilt when the source or libllama is newer.
#   6. third_party/bin/{llama-quantize,convert-hf-to-gguf}.version (ci/llamacpp-version-files.sh):
#      what was built, for the two tools that cannot say it; tmgt reads them (pipeline
#      "version_file"): "llama.cpp 0.4.0-dev, commit 80fb11a" and
#      "convert_hf_to_gguf.py of llama.cpp checkout 80fb11a (0.4.0-dev)".
# Times are printed and appended to third_party/timings.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TP="$ROOT/third_party"
NLC_VERSION="${NLC_VERSION:-3.21.1}"
LLAMA_TAG_EXPECTED="v0.4.0"
JOBS="${JOBS:-2}"
ISA_FLAGS=(-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
           -DGGML_AVX512=OFF -DGGML_AVX_VNNI=OFF)
TARGETS=(llama-completion llama-quantize llama-tokenize)

log() { echo "install-llamacpp: $*"; }
timed() { # timed LABEL CMD...: runs CMD, prints and records its wall time
  local label="$1"; shift; local t0; t0=$(date +%s)
  "$@"
  local dt=$(( $(date +%s) - t0 ))
  log "$label took ${dt}s"
  echo "$(date -u +%FT%TZ) install-llamacpp $label ${dt}s" >> "$TP/timings.log"
}
mkdir -p "$TP"
T_ALL=$(date +%s)

# --- CPU check -------------------------------------------------------------------------
for f in avx2 fma f16c bmi2; do
  grep -qw "$f" /proc/cpuinfo || { echo "install-llamacpp: CPU lacks $f (needed by the pinned ISA flags)" >&2; exit 3; }
done

# --- 1. npm ------------------------------------------------------------------------------
NLC="$TP/npm/node_modules/node-llama-cpp"
if [ -f "$NLC/package.json" ] && grep -q "\"version\": \"$NLC_VERSION\"" "$NLC/package.json" \
   && [ -d "$TP/npm/node_modules/@node-llama-cpp/linux-x64" ]; then
  log "node-llama-cpp $NLC_VERSION already in third_party/npm"
else
  log "npm install node-llama-cpp@$NLC_VERSION @node-llama-cpp/linux-x64@$NLC_VERSION -> third_party/npm"
  mkdir -p "$TP/npm"
  timed npm-install npm i -E --omit=optional --no-audit --no-fund --prefix "$TP/npm" \
    "node-llama-cpp@$NLC_VERSION" "@node-llama-cpp/linux-x64@$NLC_VERSION"
fi
grep -q "\"tag\": \"$LLAMA_TAG_EXPECTED\"" "$NLC/llama/llama.cpp.info.json" \
  || log "warning: llama.cpp.info.json does not name tag $LLAMA_TAG_EXPECTED: $(cat "$NLC/llama/llama.cpp.info.json")"

# --- 2. source checkout ------------------------------------------------------------------
SRC="$TP/llama.cpp"
if [ -f "$SRC/CMakeLists.txt" ] && [ -f "$SRC/convert_hf_to_gguf.py" ]; then
  log "llama.cpp source already at third_party/llama.cpp ($(git -C "$SRC" describe --tags --always 2>/dev/null))"
else
  rm -rf "$SRC"
  log "git clone $NLC/llama/gitRelease.bundle -> third_party/llama.cpp"
  timed git-clone git -c advice.detachedHead=false clone -q "$NLC/llama/gitRelease.bundle" "$SRC"
fi

# --- 3. build ---------------------------------------------------------------------------
BUILD="$SRC/build"
built=1
for t in "${TARGETS[@]}"; do [ -x "$BUILD/bin/$t" ] || built=0; done
if [ "$built" = 1 ] && [ "$BUILD/bin/llama-completion" -nt "$SRC/CMakeLists.txt" ]; then
  log "llama.cpp tools already built in third_party/llama.cpp/build/bin"
else
  log "cmake configure (Release, ${ISA_FLAGS[*]})"
  timed cmake-configure cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF \
    -DLLAMA_BUILD_APP=OFF -DGGML_CCACHE=OFF "${ISA_FLAGS[@]}" >/dev/null
  log "cmake --build -j$JOBS --target ${TARGETS[*]}"
  timed cmake-build cmake --build "$BUILD" -j"$JOBS" --target "${TARGETS[@]}"
fi

# --- 4. third_party/bin -----------------------------------------------------------------
mkdir -p "$TP/bin"
for t in "${TARGETS[@]}"; do ln -sfn "../llama.cpp/build/bin/$t" "$TP/bin/$t"; done  # relative: relocatable
# llama.cpp's Python tools, run with the oracle venv (numpy, torch, transformers, sentencepiece)
# and the bundled gguf-py: convert_hf_to_gguf.py, and gguf_new_metadata.py, which writes a GGUF
# without its chat template for the pipeline's template-free artefact.
python_tool() {  # NAME SCRIPT (relative to third_party/llama.cpp)
  cat > "$TP/bin/$1" <<EOF
#!/usr/bin/env bash
# generated by ci/install-llamacpp.sh: runs llama.cpp's bundled $2
# with the oracle venv and the bundled gguf-py.
set -euo pipefail
ROOT="\$(cd "\$(dirname "\$(readlink -f "\${BASH_SOURCE[0]}")")/../.." && pwd)"
PY="\${TMGT_PYTHON:-\$ROOT/.venv/bin/python}"
[ -x "\$PY" ] || { echo "$1: \$PY missing; run ci/setup-oracle.sh" >&2; exit 3; }
export PYTHONPATH="\$ROOT/third_party/llama.cpp/gguf-py\${PYTHONPATH:+:\$PYTHONPATH}"
exec "\$PY" "\$ROOT/third_party/llama.cpp/$2" "\$@"
EOF
  chmod +x "$TP/bin/$1"
}
python_tool convert-hf-to-gguf convert_hf_to_gguf.py
python_tool gguf-new-metadata gguf-py/gguf/scripts/gguf_new_metadata.py

# --- 5. tools/llama-probe ---------------------------------------------------------------
PROBE="$TP/bin/llama-probe"
if [ -x "$PROBE" ] && [ "$PROBE" -nt "$ROOT/tools/llama-probe.c" ] && [ "$PROBE" -nt "$BUILD/bin/libllama.so" ]; then
  log "llama-probe already built in third_party/bin"
else
  log "cc tools/llama-probe.c -> third_party/bin/llama-probe"
  # shellcheck disable=SC2046,SC2016  # pkg-config's words split on purpose; $ORIGIN is for the linker
  timed probe-build "${CC:-cc}" -std=c11 -O2 -Wall -Wextra -Wshadow -Werror \
    -I"$SRC/include" -I"$SRC/ggml/include" $(pkg-config --cflags libcjson) \
    "$ROOT/tools/llama-probe.c" -o "$PROBE" -L"$BUILD/bin" -lllama -lggml -lggml-base \
    $(pkg-config --libs libcjson) -lm -Wl,-rpath,'$ORIGIN/../llama.cpp/build/bin'
fi

# --- 6. version files (rewritten on every run: they name the build that is there now) ---
"$ROOT/ci/llamacpp-version-files.sh" "$TP"
log "third_party/bin: $(ls "$TP/bin" | tr '\n' ' ')"
"$TP/bin/llama-completion" --version 2>&1 | sed 's/^/install-llamacpp:   /' | head -3 || true
for f in llama-quantize convert-hf-to-gguf gguf-new-metadata; do log "$f: $(cat "$TP/bin/$f.version")"; done
dt=$(( $(date +%s) - T_ALL )); log "done in ${dt}s"
echo "$(date -u +%FT%TZ) install-llamacpp total ${dt}s" >> "$TP/timings.log"
