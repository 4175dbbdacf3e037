#!/usr/bin/env bash
# Writes THIRD_PARTY/bin/{llama-quantize,convert-hf-to-gguf,gguf-new-metadata}.version: what was
# built, for the llama.cpp tools that cannot say it themselves (llama-quantize prints its usage for
# --version, the Python scripts have none). tmgt reads them instead of asking the tools (the pipeline's
# "version_file"), and they enter the tools' identity, so a rebuild re-runs what they made.
# Called by ci/install-llamacpp.sh after every build; rewritten each time.
#   ci/llamacpp-version-files.sh THIRD_PARTY
set -euo pipefail
TP=${1:?usage: ci/llamacpp-version-files.sh THIRD_PARTY}
# llama-completion --version: "version: 0.4.0-dev (build 1, commit 80fb11a)" on stderr.
BUILT=$("$TP/bin/llama-completion" --version 2>&1 | head -1 || true)
NUMBER=$(sed -n -E 's/^version: ([^ ]+) .*/\1/p' <<<"$BUILT")
COMMIT=$(sed -n -E 's/^version: .*commit ([0-9a-f]+).*/\1/p' <<<"$BUILT")
CHECKOUT=$(git -C "$TP/llama.cpp" describe --tags --always --dirty 2>/dev/null || echo "unknown")
echo "llama.cpp ${NUMBER:-version unknown}, commit ${COMMIT:-$CHECKOUT}" >"$TP/bin/llama-quantize.version"
echo "convert_hf_to_gguf.py of llama.cpp checkout $CHECKOUT (${NUMBER:-version unknown})" \
  >"$TP/bin/convert-hf-to-gguf.version"
echo "gguf-py gguf_new_metadata.py of llama.cpp checkout $CHECKOUT (${NUMBER:-version unknown})" \
  >"$TP/bin/gguf-new-metadata.version"
