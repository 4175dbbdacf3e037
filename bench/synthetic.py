"""A synthetic matrix of any size on the engine simulator: M models × P prompts, where each
model is a distinct simulator source (so no two actions share a cache key) and each prompt has
an oracle the simulator reproduces (so every check passes). With `--check canary --check token`
a model needs 2 imports and 2×P runs: M × (2 + 2P) actions."""
import json
from pathlib import Path

from lib import SIM_MODELS, SIM_PIPELINE

TEMPLATE_MODEL = "smollm-135m"
SUITES = ["canary", "token"]


def actions_for(models, prompts):
    return models * (2 + 2 * prompts)


def shape_for(n_actions, models):
    """Prompts per model giving about n_actions actions."""
    return max(1, round((n_actions / models - 2) / 2))


def _answer(m, p):
    tokens = [(1000 + 31 * m + 7 * p + k) % 49152 for k in range(32)]
    text = " " + " ".join(f"w{t}" for t in tokens)
    return tokens, text


def write(ws, models, prompts):
    """Writes sources, oracles and prompts under the workspace; returns the pipeline path."""
    root = ws.dir / "synthetic"
    template_dir = SIM_MODELS / TEMPLATE_MODEL
    descriptor = json.loads((template_dir / "sim-model.json").read_text())
    oracle_template = json.loads((Path(__file__).resolve().parents[1] / "oracle" / TEMPLATE_MODEL /
                                  "code.json").read_text())
    (root / "prompts").mkdir(parents=True)
    names = [f"p{p:05d}" for p in range(prompts)]
    texts = [f"Synthetic prompt number {p}:" for p in range(prompts)]
    for name, text in zip(names, texts):
        (root / "prompts" / f"{name}.txt").write_text(text)
    doc = json.loads(SIM_PIPELINE.read_text())
    doc["base"] = str(root)
    doc["prompts"] = {"dir": "prompts", "names": names}
    doc["models"] = []
    for m in range(models):
        slug = f"syn{m:04d}"
        src, orc = root / "sources" / slug, root / "oracle" / slug
        src.mkdir(parents=True)
        orc.mkdir(parents=True)
        for f in ("config.json", "model.safetensors"):
            (src / f).write_bytes((template_dir / f).read_bytes())
        d = dict(descriptor, name=slug, hf_id=f"bench/{slug}", prompts={})
        for p, (name, text) in enumerate(zip(names, texts)):
            tokens, answer = _answer(m, p)
            d["prompts"][text] = {"tokens": tokens, "text": answer}
            o = dict(oracle_template, model=d["hf_id"], model_slug=slug, prompt=text,
                     prompt_file=f"{name}.txt", tokens=tokens, text=answer, token_count=32)
            (orc / f"{name}.json").write_text(json.dumps(o))
        (src / "sim-model.json").write_text(json.dumps(d))
        template = next(x for x in json.loads(SIM_PIPELINE.read_text())["models"]
                        if x["slug"] == TEMPLATE_MODEL)
        doc["models"].append(dict(template, slug=slug, source=f"sources/{slug}", oracle=f"oracle/{slug}"))
    return ws.write_pipeline(doc)


def check_args():
    return [arg for s in SUITES for arg in ("--check", s)]
