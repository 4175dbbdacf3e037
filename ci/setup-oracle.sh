#!/usr/bin/env bash
# Idempotent: creates the oracle venv at .venv from oracle/requirements.txt (torch, transformers,
# gguf, accelerate, safetensors, tokenizers, sentencepiece, numpy; all pinned).
# Used by ci/setup-fixture.sh, oracle/gen_oracle.py and third_party/bin/convert-hf-to-gguf.
#
# Why this torch and how it is installed (measured on Debian 12, 2 cores, 2026-11-25):
#  * PyPI's only Linux x86_64 torch is the CUDA build. torch 2.10.0's wheel is 916 MB and its
#    metadata pulls ~3.0 GB more (nvidia-* wheels, triton, cuda-bindings): 3.9 GB download.
#    The CPU-only builds live on download.pytorch.org, which is not a reachable registry here.
#  * `pip install torch --no-deps` alone does NOT import: libtorch_global_deps.so, libtorch_cpu.so
#    and libtorch_cuda.so have DT_NEEDED entries for libcudart, libcupti, libcublas(Lt), libcudnn,
#    libcufft, libcufile, libcurand, libcusparse(Lt), libnccl, libnvshmem_host (and nvjitlink
#    behind cusparse), so `import torch` fails with "libcudart.so.12: cannot open shared object".
#    Those 12 nvidia wheels are therefore required even on CPU; the rest (triton 188 MB,
#    cusolver 268 MB, nvrtc 88 MB, nvtx, cuda-bindings) are loaded lazily or never on CPU and
#    are left out. oracle/requirements.txt is a complete lock installed with --no-deps, so pip
#    neither resolves nor adds anything; `pip check` will list the omitted CUDA packages - that
#    is expected. Download ~3.35 GB; venv 5.9 GB on disk.
#  * Debian bookworm's python3-torch 1.13.1 (CPU, 180 MB) is not viable: transformers >= 5
#    disables torch < 2.4 and accelerate needs torch >= 2.0. It would force transformers 4.4x
#    and a different torch than the one behind the reference oracles (2.10.0+cu128).
#  * Older torch from PyPI saves nothing: since 1.13 every Linux wheel depends on nvidia-* wheels.
#  * Budget: measured cold (PIP_NO_CACHE_DIR=1) on Debian 12, 2 cores, next to a running cargo
#    build: pip download + install 118 s, whole script 129 s (peak RSS 0.7 GB). With a slower
#    link (~12 MB/s) expect ~5 min, still small next to the ~50-min cargo build of apr in a
#    90-min CI job. Caching ~/.cache/pip (or .venv keyed on oracle/requirements.txt) makes
#    reruns take seconds; a matching .venv is detected via .venv/.tmgt-requirements.sha256.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
REQ="$ROOT/oracle/requirements.txt"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.tmgt-requirements.sha256"
log() { echo "setup-oracle: $*"; }
t0=$(date +%s)

want=$(sha256sum "$REQ" | cut -d' ' -f1)
smoke() {
  "$VENV/bin/python" - <<'EOF'
import torch, transformers, gguf, safetensors, tokenizers, sentencepiece, numpy, accelerate
from importlib.metadata import version
x = torch.arange(12, dtype=torch.float32).reshape(3, 4)
assert float((x @ x.T).sum()) == 1134.0
print(f"setup-oracle:   python OK: torch {torch.__version__} (cuda available: {torch.cuda.is_available()}), "
      f"transformers {transformers.__version__}, gguf {version('gguf')}, "
      f"numpy {numpy.__version__}, tokenizers {tokenizers.__version__}, accelerate {accelerate.__version__}")
EOF
}

if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && smoke; then
  log ".venv already matches oracle/requirements.txt ($(du -sh "$VENV" | cut -f1)); nothing to do"
  exit 0
fi

pyver=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[ "$pyver" = "3.11" ] || { echo "setup-oracle: need CPython 3.11 (the lock is for cp311 wheels), got $pyver from $PYTHON" >&2; exit 3; }

if [ ! -x "$VENV/bin/python" ]; then
  log "creating venv $VENV with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv "$VENV"
fi
log "pip install --no-deps --only-binary=:all: -r oracle/requirements.txt (~3.4 GB download)"
t1=$(date +%s)
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-input --progress-bar off \
  --no-deps --only-binary=:all: -r "$REQ"
log "pip install took $(( $(date +%s) - t1 ))s"
smoke
echo "$want" > "$STAMP"
dt=$(( $(date +%s) - t0 ))
log "done in ${dt}s; .venv is $(du -sh "$VENV" | cut -f1)"
mkdir -p "$ROOT/third_party"
echo "$(date -u +%FT%TZ) setup-oracle total ${dt}s" >> "$ROOT/third_party/timings.log"
