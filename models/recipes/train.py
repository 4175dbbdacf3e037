#!/usr/bin/env python3
"""Train a recipe's tiny model and write its committed weights (models/recipes/weights/).

    .venv/bin/python models/recipes/train.py models/recipes/tiny-gpt2.json [--update-pin]

Only needed when a recipe changes: CI builds the model directories from the committed weights
with build.py. Training takes tens of CPU minutes, far more than CI's fixture budget, and
nothing promises that another machine's CPU gives the same bits.

 * corpus: the recipe's files of pinned .venv packages (oracle/requirements.txt), each checked
   against its sha256, joined in the listed order and tokenized with the recipe's tokenizer;
 * model: the recipe's config with transformers' own seeded initialization;
 * training: AdamW, linear warm-up and decay (no libm in the schedule), windows of seq_len
   tokens every stride tokens, in an order drawn from a seeded generator (all windows once
   per epoch), the softmax over the tokens the corpus
   uses (checkpoint.py: the other vocabulary rows are not trained); one thread, deterministic
   algorithms, MKL's COMPATIBLE branch (common.PINNED_ENV);
 * output: checkpoint.compact_state rounded to save_dtype, as safetensors, written atomically;
   its sha256 is checked against the recipe's weights_sha256 (--update-pin stores it instead).

Exit codes: 0 done, 1 a check failed, 2 usage, 3 environment, 130 interrupted.
"""
import importlib.metadata
import importlib.util
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (pins the numerics before torch loads)
from common import EnvError, RecipeError, log  # noqa: E402
import checkpoint  # noqa: E402
import vocab  # noqa: E402


def corpus_file(item):
    """A file of an installed package ({"package", "path"}) or of its distribution's metadata
    directory ({"dist", "path"}, e.g. METADATA, whose description is the project's README)."""
    if "dist" in item:
        try:
            files = importlib.metadata.distribution(item["dist"]).files or []
        except importlib.metadata.PackageNotFoundError:
            files = []
        found = [f for f in files if f.parent.name.endswith(".dist-info") and f.name == item["path"]]
        if not found:
            raise EnvError(f"distribution {item['dist']} (with {item['path']}) is not installed in {sys.prefix}; "
                           "run ci/setup-oracle.sh")
        return Path(found[0].locate())
    spec = importlib.util.find_spec(item["package"])
    if spec is None or not spec.submodule_search_locations:
        raise EnvError(f"package {item['package']} is not installed in {sys.prefix}; run ci/setup-oracle.sh")
    return Path(list(spec.submodule_search_locations)[0]) / item["path"]


def read_corpus(recipe):
    """The listed files, each checked against its sha256 and cut after its first "after" string
    when the item has one, joined by blank lines."""
    parts = []
    for item in recipe["corpus"]["files"]:
        path = corpus_file(item)
        if not path.is_file():
            raise EnvError(f"corpus file {path} is missing (not the package version of oracle/requirements.txt?)")
        got = common.sha256(path)
        if got != item["sha256"]:
            raise RecipeError(f"corpus file {path} has sha256 {got}, the recipe pins {item['sha256']} "
                              "(not the package version of oracle/requirements.txt?)")
        text = path.read_bytes().decode("utf-8")
        if "after" in item:
            text = text[text.index(item["after"]) + len(item["after"]):]
        parts.append(text)
    return "\n\n".join(parts)


def corpus_ids(recipe, llama_cpp, scratch):
    from tokenizers import Tokenizer

    vocab.make(llama_cpp, recipe["tokenizer"], scratch)
    tok = Tokenizer.from_file(str(Path(scratch) / "tokenizer.json"))
    text = read_corpus(recipe)
    ids = tok.encode(text, add_special_tokens=False).ids[: recipe["corpus"]["max_tokens"]]
    log(f"corpus: {len(text)} characters, first {len(ids)} tokens used")
    return ids


def lr_schedule(t):
    steps, warmup, floor, peak = t["steps"], t["warmup"], t["final_lr_fraction"], t["lr"]

    def lr_at(step):
        if step < warmup:
            return peak * (step + 1) / warmup
        return peak * (1.0 - (1.0 - floor) * (step - warmup) / max(1, steps - warmup))
    return lr_at


def train(model, ids, t):
    """AdamW on the compact vocabulary: the body sees remapped ids through a small embedding."""
    import torch

    data = torch.tensor(ids, dtype=torch.int64)
    used = torch.unique(data)  # sorted
    remap = torch.full((int(used.max()) + 1,), -1, dtype=torch.int64)
    remap[used] = torch.arange(used.numel())
    data = remap[data]
    emb, head = model.get_input_embeddings(), model.get_output_embeddings()
    tied = head.weight is emb.weight
    small = torch.nn.Embedding(used.numel(), emb.weight.shape[1], dtype=emb.weight.dtype)
    with torch.no_grad():
        small.weight.copy_(emb.weight.index_select(0, used))
    out_w = small.weight if tied else torch.nn.Parameter(head.weight.detach().index_select(0, used).clone())
    model.set_input_embeddings(small)
    body = model.transformer if hasattr(model, "transformer") else model.model
    params = list(body.parameters()) + ([] if tied else [out_w])
    opt = torch.optim.AdamW(params, lr=t["lr"], betas=tuple(t["betas"]), eps=1e-8,
                            weight_decay=t["weight_decay"], foreach=False)
    lr_at = lr_schedule(t)
    seq, batch, steps = t["seq_len"], t["batch"], t["steps"]
    starts = torch.arange(0, data.numel() - seq, t["stride"])
    gen = torch.Generator().manual_seed(t["seed"])
    order, pos = starts[torch.randperm(starts.numel(), generator=gen)], 0
    model.train()
    t0, c0, losses = time.monotonic(), time.process_time(), []
    for step in range(steps):
        if pos + batch > order.numel():
            order, pos = starts[torch.randperm(starts.numel(), generator=gen)], 0
        rows = torch.stack([data[s: s + seq + 1] for s in order[pos: pos + batch].tolist()])
        pos += batch
        logits = body(input_ids=rows[:, :-1]).last_hidden_state @ out_w.T
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, used.numel()), rows[:, 1:].reshape(-1))
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step % 25 == 0 or step == steps - 1:
            log(f"step {step + 1}/{steps} loss {losses[-1]:.4f} ({time.monotonic() - t0:.0f}s wall, "
                f"{time.process_time() - c0:.0f}s CPU)")
    with torch.no_grad():
        emb.weight[used] = small.weight
        if not tied:
            head.weight[used] = out_w
    model.set_input_embeddings(emb)
    model.eval()
    return used, {"first_loss": round(losses[0], 4), "final_loss": round(losses[-1], 4),
                  "used_vocab": used.numel(), "corpus_tokens": data.numel(), "steps": steps,
                  "tokens_seen": steps * batch * seq, "train_wall_s": round(time.monotonic() - t0, 1),
                  "train_cpu_s": round(time.process_time() - c0, 1)}


def run(args):
    import tempfile

    from safetensors.torch import save_file

    torch = common.pin_torch()
    recipe = common.load_recipe(args.recipe)
    with tempfile.TemporaryDirectory(prefix="recipe-tokenizer-") as scratch:
        ids = corpus_ids(recipe, args.llama_cpp, scratch)
    t = recipe["train"]
    model = checkpoint.build_model(recipe, getattr(torch, t["dtype"]))
    used, stats = train(model, ids, t)
    state = {k: v.to(getattr(torch, recipe["save_dtype"])) if v.is_floating_point() else v
             for k, v in checkpoint.compact_state(model, used).items()}
    out = common.weights_path(args.recipe, recipe)
    with common.atomic_output(out) as tmp:
        # only what the same training gives again: no timings
        same = {k: stats[k] for k in ("first_loss", "final_loss", "used_vocab", "corpus_tokens", "tokens_seen")}
        save_file(state, str(tmp), metadata={"recipe": recipe["name"], "training": json.dumps(same)})
        digest = common.sha256(tmp)
        common.check_pin(args.recipe, recipe, "weights_sha256", digest, f"trained {out.name}", args.update_pin)
    stats.update({"weights": str(out), "weights_sha256": digest, "weights_bytes": out.stat().st_size})
    print(json.dumps(stats, indent=1))


def main():
    ap = common.arg_parser(__doc__, "weights")
    args = ap.parse_args()
    return common.main_wrapper("train", lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
