#!/usr/bin/env python3
"""Turn the SmolLM2-135M Q4_1 GGUF into a HuggingFace directory (float32 safetensors).

Used by ci/setup-fixture.sh:

    .venv/bin/python oracle/gguf_to_hf.py --gguf FILE.gguf --out models/fixture/smollm2-135m

Weights and config: transformers' own GGUF loader
(`AutoModelForCausalLM.from_pretrained(dir, gguf_file=..., dtype=torch.float32)`, which
dequantizes every tensor with gguf-py) followed by `save_pretrained(safe_serialization=True)`.

Tokenizer: NOT transformers' GGUF tokenizer conversion. In transformers 5.1.0 that conversion
mangles this gpt2-style (tokenizer.ggml.model = "gpt2", pre = "smollm") vocabulary: it yields a
CodeLlamaTokenizer whose post-processor prepends <|im_start|> to every input, whose eos is
<|im_start|>, and whose decoder is the SentencePiece one. Instead the tokenizer is rebuilt with the
`tokenizers` library from the GGUF's vocabulary and merges, with the pipeline of SmolLM2's
published tokenizer.json (Digits(individual) + ByteLevel pre-tokenizer, ByteLevel decoder and
post-processor, no BOS added). llama.cpp's "smollm" pre-tokenizer implements the same split
(\\p{N} then the GPT-2 regex); ci/setup-fixture.sh cross-checks the ids against llama-tokenize.
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from gguf import GGUFReader  # noqa: E402
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerFast  # noqa: E402

transformers.utils.logging.disable_progress_bar()

TOKEN_TYPE_CONTROL = 3


def field_value(reader, key):
    f = reader.fields[key]
    if len(f.types) == 1 and f.types[0].name == "STRING":
        return bytes(f.parts[f.data[0]]).decode("utf-8")
    if f.types[0].name == "ARRAY":
        if f.types[-1].name == "STRING":
            return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
        return [int(f.parts[i][0]) for i in f.data]
    return f.parts[f.data[0]][0].item()


def build_tokenizer(gguf_path):
    r = GGUFReader(gguf_path)
    assert field_value(r, "tokenizer.ggml.model") == "gpt2", "expected a gpt2-style BPE vocabulary"
    pre = field_value(r, "tokenizer.ggml.pre")
    assert pre == "smollm", f"unexpected tokenizer.ggml.pre {pre!r}"
    tokens = field_value(r, "tokenizer.ggml.tokens")
    types = field_value(r, "tokenizer.ggml.token_type")
    merges = field_value(r, "tokenizer.ggml.merges")
    bos = tokens[field_value(r, "tokenizer.ggml.bos_token_id")]
    eos = tokens[field_value(r, "tokenizer.ggml.eos_token_id")]
    unk = tokens[field_value(r, "tokenizer.ggml.unknown_token_id")]
    pad = tokens[field_value(r, "tokenizer.ggml.padding_token_id")]
    chat_template = field_value(r, "tokenizer.chat_template") if "tokenizer.chat_template" in r.fields else None

    vocab = {t: i for i, t in enumerate(tokens)}
    assert len(vocab) == len(tokens), "duplicate tokens in the GGUF vocabulary"
    bpe = models.BPE(vocab=vocab, merges=[tuple(m.split(" ", 1)) for m in merges],
                     fuse_unk=False, byte_fallback=False)
    tok = Tokenizer(bpe)
    tok.normalizer = None
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    tok.post_processor = processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True)
    tok.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    specials = [t for t, ty in zip(tokens, types) if ty == TOKEN_TYPE_CONTROL]
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])

    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=bos, eos_token=eos, unk_token=unk, pad_token=pad,
        additional_special_tokens=[bos, eos], model_max_length=8192,
        clean_up_tokenization_spaces=False, add_prefix_space=False)
    if chat_template:
        fast.chat_template = chat_template
    return fast, specials


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gguf", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--llama-tokenize", metavar="PATH",
                    help="cross-check the rebuilt tokenizer against llama.cpp's llama-tokenize")
    args = ap.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    model = AutoModelForCausalLM.from_pretrained(str(args.gguf.parent), gguf_file=args.gguf.name,
                                                 dtype=torch.float32)
    model.eval()
    for p in model.parameters():
        assert p.dtype == torch.float32, p.dtype
    model.save_pretrained(str(out), safe_serialization=True)

    tok, specials = build_tokenizer(str(args.gguf))
    tok.save_pretrained(str(out))

    # reload through the Auto classes, as gen_oracle.py will
    t2 = AutoTokenizer.from_pretrained(str(out))
    probe = ["The capital of France is", "What is 2+2? Answer:", "def fibonacci(n):",
             "Hello, my name is", "  12345 x\n\ty é 😀 <|im_end|>"]
    for s in probe:
        a = tok(s)["input_ids"]
        b = t2(s)["input_ids"]
        assert a == b, (s, a, b)
        assert t2.decode(b) == s, (s, t2.decode(b))
    if args.llama_tokenize:
        cross = probe + ["x=10**3; y = 3.14159 ", "Ünïcödé — “quotes” 日本語", " leading and trailing ",
                         "line1\n\nline2\r\n", "I'm you're it's", "<|im_start|>user\nhi<|im_end|>"]
        for s in cross:
            res = subprocess.run([args.llama_tokenize, "-m", str(args.gguf), "-p", s, "--ids",
                                  "--log-disable", "--no-bos", "--no-parse-special"],
                                 capture_output=True, text=True, check=True)
            ref = json.loads(res.stdout.strip().splitlines()[-1])
            got = t2(s)["input_ids"] if "<|" not in s else t2(s, split_special_tokens=True)["input_ids"]
            assert got == ref, f"tokenizer mismatch vs llama-tokenize for {s!r}: {got} != {ref}"
        print(f"gguf_to_hf: tokenizer ids match llama-tokenize on {len(cross)} strings", file=sys.stderr)
    n_params = sum(p.numel() for p in model.parameters())
    print(json.dumps({
        "out": str(out), "files": sorted(os.listdir(out)), "params": n_params,
        "tokenizer_class": type(t2).__name__, "special_tokens": len(specials),
        "bos": t2.bos_token, "eos": t2.eos_token, "pad": t2.pad_token,
        "probe_ids": {s: t2(s)["input_ids"] for s in probe[:4]},
    }, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
