"""Checks of a built model directory: confident greedy continuations, and llama.cpp's converter
accepting it with the bundle's vocabulary."""
import os
import subprocess
import sys
from pathlib import Path

from common import EnvError, RecipeError, log
import vocab


def confidence(model_dir, prompts_dir, rule):
    """Greedy continuations of prompts/*.txt as oracle/gen_oracle.py makes them (float32, CPU),
    with the top-2 margin of every position; a RecipeError unless at least min_fraction of the
    max_new_tokens positions of every prompt have a margin of min_margin nats."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32, device_map="cpu")
    model.eval()
    n, margin_min, fraction = rule["max_new_tokens"], rule["min_margin"], rule["min_fraction"]
    report, failed = {}, []
    prompts = sorted(Path(prompts_dir).glob("*.txt"))
    if not prompts:
        raise EnvError(f"no prompts in {prompts_dir}")
    for p in prompts:
        with torch.no_grad():
            inputs = tok(p.read_text(encoding="utf-8").strip(), return_tensors="pt")
            out = model.generate(**inputs, max_new_tokens=n, do_sample=False, output_logits=True,
                                 return_dict_in_generate=True, pad_token_id=tok.eos_token_id)
        margins = [float(s[0].double().log_softmax(-1).topk(2).values.diff().neg()) for s in out.logits]
        confident = sum(m >= margin_min for m in margins)
        ids = out.sequences[0][inputs["input_ids"].shape[1]:].tolist()
        report[p.stem] = {"confident": confident, "positions": n, "min_margin": round(min(margins), 3),
                          "median_margin": round(sorted(margins)[len(margins) // 2], 3),
                          "text": tok.decode(ids, skip_special_tokens=True)}
        r = report[p.stem]
        log(f"{p.stem}: {confident}/{n} positions confident (margin min {r['min_margin']}, "
            f"median {r['median_margin']}): {r['text']!r}")
        if confident < fraction * n:
            failed.append(f"{p.stem}: {confident}/{n} positions with a margin >= {margin_min}")
    if failed:
        raise RecipeError("greedy continuations not confident enough: " + "; ".join(failed))
    return report


def converter(llama_dir, model_dir, gguf_vocab, n_vocab, scratch):
    """llama.cpp's convert_hf_to_gguf.py must accept model_dir, and the vocabulary it writes must
    be the bundle's: the same tokens, merges, pre-tokenizer and EOS, and the same types for the
    tokenizer's n_vocab tokens (the [PAD<i>] entries that fill the model's vocab_size were typed
    USER_DEFINED by the converter that made the bundle, UNUSED by today's). Returns the GGUF's
    tensor count."""
    from gguf import GGUFReader

    script = Path(llama_dir) / "convert_hf_to_gguf.py"
    if not script.is_file():
        raise EnvError(f"{script} is missing; run ci/install-llamacpp.sh")
    outfile = Path(scratch) / "converted.gguf"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(Path(llama_dir) / "gguf-py"),
                                                                       os.environ.get("PYTHONPATH")])))
    res = subprocess.run([sys.executable, str(script), str(model_dir), "--outfile", str(outfile),
                          "--outtype", "f16"], capture_output=True, text=True, env=env)
    if res.returncode != 0:
        raise RecipeError(f"convert_hf_to_gguf.py rejects {model_dir} (exit {res.returncode}):\n"
                          + res.stderr[-1500:])
    got, want = GGUFReader(str(outfile)), GGUFReader(str(gguf_vocab))
    for key in ("tokenizer.ggml.pre", "tokenizer.ggml.tokens", "tokenizer.ggml.token_type",
                "tokenizer.ggml.merges", "tokenizer.ggml.eos_token_id"):
        a, b = vocab.field(got, key), vocab.field(want, key)
        if key == "tokenizer.ggml.token_type":
            a, b = a[:n_vocab], b[:n_vocab]
        if a != b:
            raise RecipeError(f"the vocabulary convert_hf_to_gguf.py writes differs from {gguf_vocab} in {key}")
    n = len(got.tensors)
    outfile.unlink()
    return n
