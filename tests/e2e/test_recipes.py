"""The tiny-model recipes (models/recipes) on bad input: no tokenizer bundle, a failing test
vector, weights that are not the pinned ones, a built model that is not the pinned one, a config
llama.cpp's converter rejects, an interruption. Each must say what is wrong, exit non-zero, and
leave nothing where the model would go. Needs .venv and llama.cpp's checkout (`make e2e-setup`)."""
import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = ROOT / ".venv" / "bin" / "python"
RECIPES = ROOT / "models" / "recipes"
LLAMA = ROOT / "third_party" / "llama.cpp"
VOCAB = LLAMA / "models" / "ggml-vocab-gpt-2.gguf"


def build_cmd(out, recipe=RECIPES / "tiny-gpt2.json", *extra):
    return [str(PY), str(RECIPES / "build.py"), str(recipe), "--out", str(out), *map(str, extra)]


def build(out, *args, **kw):
    return subprocess.run(build_cmd(out, *args, **kw), capture_output=True, text=True, timeout=1200)


def assert_nothing_written(out):
    assert not out.exists()
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def assert_refused(p, out, code, *phrases):
    """The run exited with code, its message holds every phrase, and out was not written."""
    assert p.returncode == code, p.stderr
    assert all(phrase in p.stderr for phrase in phrases), p.stderr
    assert_nothing_written(out)


def recipe_copy(tmp, change):
    """The tiny-gpt2 recipe in tmp (with its weights beside it), changed by change(recipe)."""
    recipe = json.loads((RECIPES / "tiny-gpt2.json").read_text())
    change(recipe)
    (tmp / "weights").mkdir()
    shutil.copy(RECIPES / recipe["weights"], tmp / recipe["weights"])
    path = tmp / "tiny-gpt2.json"
    path.write_text(json.dumps(recipe, indent=2))
    return path


def test_without_the_tokenizer_bundle_nothing_is_built(tmp_path):
    out = tmp_path / "models" / "tiny-gpt2"
    p = build(out, RECIPES / "tiny-gpt2.json", "--llama-cpp", tmp_path / "no-llama")
    assert_refused(p, out, 3, "ggml-vocab-gpt-2.gguf", "ci/install-llamacpp.sh")


def test_a_failing_tokenizer_vector_is_named(tmp_path):
    fake = tmp_path / "llama" / "models"
    fake.mkdir(parents=True)
    for suffix in ("", ".inp"):
        (fake / f"{VOCAB.name}{suffix}").symlink_to(Path(f"{VOCAB}{suffix}"))
    lines = Path(f"{VOCAB}.out").read_text().splitlines()
    lines[11] = lines[11] + " 13"  # "Hello world" gains a token
    (fake / f"{VOCAB.name}.out").write_text("\n".join(lines) + "\n")
    out = tmp_path / "models" / "tiny-gpt2"
    p = build(out, RECIPES / "tiny-gpt2.json", "--llama-cpp", tmp_path / "llama")
    assert_refused(p, out, 1, "fails 1 of 46 llama.cpp test vectors", "'Hello world'")


def test_weights_that_are_not_the_pinned_ones_are_refused(tmp_path):
    recipe = recipe_copy(tmp_path, lambda r: r.update(weights_sha256="0" * 64))
    out = tmp_path / "models" / "tiny-gpt2"
    assert_refused(build(out, recipe), out, 1, f"pins {'0' * 64}", "--update-pin")


def test_a_built_model_that_is_not_the_pinned_one_is_refused(tmp_path):
    # every check before the last passes: only the digest of the generated model.safetensors differs
    recipe = recipe_copy(tmp_path, lambda r: r.update(safetensors_sha256="0" * 64))
    out = tmp_path / "models" / "tiny-gpt2"
    assert_refused(build(out, recipe), out, 1, "the built model.safetensors has sha256",
                   f"pins {'0' * 64}")


def test_a_config_the_converter_rejects_fails_the_build(tmp_path):
    # GPT-2's converter reads n_ctx, which transformers 5 no longer writes on its own
    recipe = recipe_copy(tmp_path, lambda r: r["config"].pop("n_ctx"))
    out = tmp_path / "models" / "tiny-gpt2"
    assert_refused(build(out, recipe), out, 1, "convert_hf_to_gguf.py rejects", "n_ctx")


def test_an_interrupted_build_leaves_nothing(tmp_path):
    out = tmp_path / "models" / "tiny-gpt2"
    proc = subprocess.Popen(build_cmd(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    partial = []
    deadline = time.monotonic() + 300
    while not partial and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        partial = [p for p in out.parent.glob(".tiny-gpt2.partial-*/tiny-gpt2/tokenizer.json")]
    assert partial, "the build never started writing"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted; nothing was written" in err
    assert_nothing_written(out)


def test_training_refuses_a_corpus_file_that_is_not_the_pinned_one(tmp_path):
    recipe = recipe_copy(tmp_path, lambda r: r["corpus"]["files"][0].update(sha256="1" * 64))
    p = subprocess.run([str(PY), str(RECIPES / "train.py"), str(recipe)], capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 1, p.stderr
    assert "METADATA has sha256" in p.stderr and f"pins {'1' * 64}" in p.stderr
    assert not (tmp_path / "weights" / ".tiny-gpt2.safetensors.partial-").exists()
    assert [f.name for f in (tmp_path / "weights").iterdir()] == ["tiny-gpt2.safetensors"]
