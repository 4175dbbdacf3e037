#!/usr/bin/env python3
"""Build a recipe's tiny HuggingFace model directory from its committed weights.

    .venv/bin/python models/recipes/build.py models/recipes/tiny-gpt2.json --out models/fixture/tiny-gpt2

Used by ci/setup-tiny-models.sh. In a temporary directory next to --out, renamed onto it only
when every check passed (nothing half-written is left under models/, even when interrupted):

 1. tokenizer.json, tokenizer_config.json, special_tokens_map.json: the real GPT-2 or Qwen2
    tokenizer from llama.cpp's vocab GGUF, checked against the bundle's test vectors (vocab.py);
 2. the committed weights (models/recipes/weights/<name>.safetensors, checked against the
    recipe's weights_sha256) in the recipe's config, the untrained vocabulary rows filled
    (checkpoint.py), saved with transformers' save_pretrained in save_dtype: config.json,
    generation_config.json, model.safetensors;
 3. greedy continuations of prompts/*.txt must be confident (checks.confidence);
 4. llama.cpp's convert_hf_to_gguf.py must accept the directory and write the bundle's
    vocabulary (checks.converter);
 5. the sha256 of model.safetensors must equal the recipe's safetensors_sha256 (--update-pin
    stores it instead, after a deliberate change).

Prints a JSON report (sizes, digest, per-prompt margins). Exit codes: 0 done, 1 a check failed,
2 usage, 3 environment (bundle, weights or packages missing), 130 interrupted.
"""
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (pins the numerics before torch loads)
from common import EnvError, log  # noqa: E402
import checkpoint  # noqa: E402
import checks  # noqa: E402
import vocab  # noqa: E402


def load_weights(recipe_path, recipe):
    from safetensors.torch import load_file

    path = common.weights_path(recipe_path, recipe)
    if not path.is_file():
        raise EnvError(f"{path} is missing (a git checkout without its committed weights?)")
    common.check_pin(recipe_path, recipe, "weights_sha256", common.sha256(path), str(path), False)
    return load_file(str(path))


def build(args, recipe, model_dir):
    torch = common.pin_torch()
    weights = load_weights(args.recipe, recipe)
    model_dir.mkdir()
    n_vocab, n_vectors = vocab.make(args.llama_cpp, recipe["tokenizer"], model_dir)
    log(f"tokenizer {recipe['tokenizer']}: {n_vocab} tokens, all {n_vectors} llama.cpp test vectors pass")
    model = checkpoint.build_model(recipe, torch.float32)
    n_used = checkpoint.load_compact(model, weights, recipe["train"]["seed"])
    model.to(getattr(torch, recipe["save_dtype"]))
    model.save_pretrained(str(model_dir), safe_serialization=True)
    report = {"model": recipe["name"], "architecture": recipe["architecture"],
              "params": sum(p.numel() for p in model.parameters()), "trained_vocab_rows": n_used,
              "save_dtype": recipe["save_dtype"],
              "safetensors_bytes": (model_dir / "model.safetensors").stat().st_size}
    report["confidence"] = checks.confidence(model_dir, args.prompts, recipe["confidence"])
    gguf_vocab = vocab.vocab_paths(args.llama_cpp, recipe["tokenizer"])[0]
    with tempfile.TemporaryDirectory(prefix="recipe-convert-") as scratch:
        report["converter_tensors"] = checks.converter(args.llama_cpp, model_dir, gguf_vocab, n_vocab, scratch)
    log(f"convert_hf_to_gguf.py accepts it: {report['converter_tensors']} tensors, the bundle's vocabulary")
    digest = common.sha256(model_dir / "model.safetensors")
    common.check_pin(args.recipe, recipe, "safetensors_sha256", digest, "the built model.safetensors",
                     args.update_pin)
    report["safetensors_sha256"] = digest
    return report


def run(args):
    recipe = common.load_recipe(args.recipe)
    with common.atomic_output(args.out) as tmp:
        report = build(args, recipe, tmp)
    print(json.dumps(report, indent=1, ensure_ascii=False))


def main():
    ap = common.arg_parser(__doc__, "model.safetensors")
    ap.add_argument("--out", required=True, type=Path, help="the model directory to create or replace")
    ap.add_argument("--prompts", type=Path, default=common.ROOT / "prompts")
    args = ap.parse_args()
    return common.main_wrapper("build", lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
