#!/usr/bin/env python3
"""Generate (or check) greedy-decoding oracle JSON files with HF transformers on CPU, float32.

Reproduces the original TMGT harness (its scripts/gen_oracle.py) for a local model
directory instead of a Hub id:

  * prompts: every PROMPTS_DIR/*.txt, sorted by file name; key = file stem; text .strip()ed
  * AutoTokenizer / AutoModelForCausalLM.from_pretrained(dir, dtype=float32), CPU, eval()
  * torch.manual_seed(42); pad token = eos token when the tokenizer has none
  * per prompt, under no_grad: inputs = tokenizer(prompt, return_tensors="pt");
    model.generate(**inputs, max_new_tokens=32, do_sample=False); tokens = generated ids only
    (an EOS, if generated, is kept, as in the harness); text = decode(skip_special_tokens=True)
  * OUT_DIR/<stem>.json = json.dumps(obj, indent=2, ensure_ascii=False) + "\\n", with the keys
    model, model_slug, prompt, prompt_file, runtime, format, transformers_version, torch_version,
    tokens, text, token_count, max_new_tokens, do_sample (the committed CPU oracles' key set)

Beyond the harness's key set, two fields say how sure the reference was (issue 15):
  * prompt_tokens (after prompt_file): the ids transformers fed the model, no chat template
  * top_logprobs (last): per generated position, the TOP_K highest {"id", "logprob"} of the
    float32 log_softmax of the raw logits (generate(output_logits=True)), descending; the first
    entry is the chosen token. Logprobs are written as the shortest decimal that reads back as
    the same float32, so regeneration is byte-identical.

Example:
  .venv/bin/python oracle/gen_oracle.py --model-dir models/fixture/smollm2-135m \\
      --slug smollm2-135m --model-id HuggingFaceTB/SmolLM2-135M-Instruct \\
      --prompts-dir prompts --out-dir oracle/smollm2-135m [--check]

--check regenerates into a temporary directory and compares with OUT_DIR: exit 1 if any file is
missing, its tokens or prompt_tokens differ (the first divergence is printed), its top_logprobs
name other ids or a logprob moved by more than 1e-4; 0 otherwise; other differences (text,
versions, bytes) are reported but do not fail.

Reproducibility across hosts: unless already set, ATEN_CPU_CAPABILITY=avx2 and
MKL_ENABLE_INSTRUCTIONS=AVX2 pin torch's CPU kernels to the AVX2 code paths (no AVX-512), and
--threads (default 1) fixes the intra-op thread count.
"""
import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")
os.environ.setdefault("MKL_ENABLE_INSTRUCTIONS", "AVX2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TQDM_DISABLE", "1")

MAX_NEW_TOKENS = 32
SEED = 42
TOP_K = 20
LOGPROB_TOLERANCE = 1e-4


def load_prompts(prompts_dir):
    files = sorted(Path(prompts_dir).glob("*.txt"), key=lambda p: p.name)
    if not files:
        raise SystemExit(f"gen_oracle: no *.txt prompts in {prompts_dir}")
    return [(p.stem, p.name, p.read_text(encoding="utf-8").strip()) for p in files]


def top_logprobs(torch, logits, ids, where):
    """The TOP_K most likely ids at each generated position, chosen token first."""
    if len(logits) != len(ids):
        raise SystemExit(f"gen_oracle: {where}{len(logits)} logit rows for {len(ids)} generated tokens")
    steps = []
    for pos, (row, chosen) in enumerate(zip(logits, ids)):
        logp = torch.log_softmax(row[0].to(torch.float32), dim=-1)
        values, order = torch.topk(logp, TOP_K)
        top = list(zip(order.tolist(), values.numpy()))
        # Greedy decoding takes the first maximal id; topk may order equal values otherwise.
        first = next((k for k, (i, _) in enumerate(top) if i == chosen), None)
        if first is None or top[first][1] != top[0][1]:
            raise SystemExit(f"gen_oracle: {where}position {pos}: generated {chosen} is not the argmax "
                             "of the raw logits (a logits processor changed the choice)")
        top.insert(0, top.pop(first))
        steps.append([{"id": i, "logprob": float(str(v))} for i, v in top])
    return steps


def generate(args, out_dir):
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(args.threads)
    tokenizer = AutoTokenizer.from_pretrained(args.model_dir)
    model = AutoModelForCausalLM.from_pretrained(args.model_dir, dtype=torch.float32, device_map="cpu")
    model.eval()
    torch.manual_seed(SEED)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, fname, prompt in load_prompts(args.prompts_dir):
        t = time.monotonic()
        with torch.no_grad():
            inputs = tokenizer(prompt, return_tensors="pt")
            output = model.generate(**inputs, max_new_tokens=MAX_NEW_TOKENS, do_sample=False,
                                    output_logits=True, return_dict_in_generate=True)
        prompt_ids = inputs["input_ids"][0].tolist()
        ids = output.sequences[0][len(prompt_ids):].tolist()
        margins = top_logprobs(torch, output.logits, ids, f"{stem}: ")
        text = tokenizer.decode(ids, skip_special_tokens=True)
        obj = {"model": args.model_id, "model_slug": args.slug}
        if args.source:
            obj["source"] = args.source
        obj.update({
            "prompt": prompt,
            "prompt_file": fname,
            "prompt_tokens": prompt_ids,
            "runtime": "transformers",
            "format": "float32",
            "transformers_version": transformers.__version__,
            "torch_version": torch.__version__,
            "tokens": ids,
            "text": text,
            "token_count": len(ids),
            "max_new_tokens": MAX_NEW_TOKENS,
            "do_sample": False,
            "top_logprobs": margins,
        })
        path = out_dir / f"{stem}.json"
        path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
        print(f"gen_oracle: {path} prompt_ids={prompt_ids} "
              f"{len(ids)} tokens in {time.monotonic() - t:.2f}s: {text!r}", file=sys.stderr)
    return written


def compare_margins(ref, new):
    """Why the committed prompt ids or top-k differ from the regenerated ones, or None. The top-k
    ids must agree; logprobs within LOGPROB_TOLERANCE (float32 noise of another kernel or thread
    count), and the largest difference is printed either way."""
    if ref.get("prompt_tokens") != new["prompt_tokens"]:
        return f"prompt_tokens {ref.get('prompt_tokens')} vs regenerated {new['prompt_tokens']}"
    old_steps = ref.get("top_logprobs")
    if not isinstance(old_steps, list) or len(old_steps) != len(new["top_logprobs"]):
        return "top_logprobs missing or of another length"
    worst = 0.0
    for pos, (a, b) in enumerate(zip(old_steps, new["top_logprobs"])):
        if [e.get("id") for e in a] != [e["id"] for e in b]:
            return f"top_logprobs[{pos}]: ids {[e.get('id') for e in a]} vs {[e['id'] for e in b]}"
        worst = max([worst] + [abs(e["logprob"] - n["logprob"]) for e, n in zip(a, b)])
    if worst > LOGPROB_TOLERANCE:
        return f"a logprob moved by {worst:.3g} (tolerance {LOGPROB_TOLERANCE})"
    print(f"gen_oracle: largest logprob difference {worst:.3g}", file=sys.stderr)
    return None


def check(args):
    committed = Path(args.out_dir)
    bad = 0
    with tempfile.TemporaryDirectory(prefix="gen_oracle-") as tmp:
        fresh = generate(args, Path(tmp))
        for f in fresh:
            old = committed / f.name
            new = json.loads(f.read_text(encoding="utf-8"))
            if not old.exists():
                print(f"gen_oracle: MISSING {old}")
                bad += 1
                continue
            ref = json.loads(old.read_text(encoding="utf-8"))
            a, b = ref.get("tokens"), new["tokens"]
            if a != b:
                bad += 1
                i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
                exp = a[i] if i < len(a) else "<end>"
                got = b[i] if i < len(b) else "<end>"
                print(f"gen_oracle: TOKENS DIFFER {old}: first divergence at index {i}: "
                      f"committed {exp} vs regenerated {got} (lengths {len(a)} / {len(b)})")
                print(f"  committed text:   {ref.get('text')!r}\n  regenerated text: {new['text']!r}")
                continue
            margin_problem = compare_margins(ref, new)
            if margin_problem:
                bad += 1
                print(f"gen_oracle: MARGINS DIFFER {old}: {margin_problem}")
                continue
            same_bytes = old.read_bytes() == f.read_bytes()
            diffs = [k for k in new if ref.get(k) != new[k]]
            note = "byte-identical" if same_bytes else f"tokens equal; other differences: {diffs or 'formatting'}"
            print(f"gen_oracle: OK {old} ({note})")
        extra = sorted(set(p.name for p in committed.glob("*.json")) - set(f.name for f in fresh))
        for name in extra:
            print(f"gen_oracle: note: {committed / name} has no prompt in {args.prompts_dir}")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description="generate or check transformers oracle JSON files")
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--slug", required=True)
    ap.add_argument("--model-id", required=True, help='value of the "model" field')
    ap.add_argument("--prompts-dir", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temp dir; exit 1 if tokens differ from OUT_DIR")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("TMGT_ORACLE_THREADS", "1")))
    ap.add_argument("--source", default=None,
                    help='optional provenance string, stored as a "source" key after "model_slug" '
                         "(not in the original harness's key set; off by default)")
    args = ap.parse_args()
    t = time.monotonic()
    if args.check:
        rc = check(args)
    else:
        generate(args, Path(args.out_dir))
        rc = 0
    print(f"gen_oracle: {'check' if args.check else 'generation'} took {time.monotonic() - t:.1f}s",
          file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
