"""What train.py and build.py share: pinned numerics, options, errors and exit codes, recipes and
their digests, and the write-to-a-temporary-directory-then-rename rule for everything they create."""
import argparse
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXIT_CHECK, EXIT_USAGE, EXIT_ENV, EXIT_INTERRUPTED = 1, 2, 3, 130

# Set before torch (and MKL) load; overriding the caller's environment is the point. MKL's CNR
# branch COMPATIBLE (with STRICT) is the one documented to give the same results on non-Intel CPUs
# too; ATEN_CPU_CAPABILITY fixes ATen's own kernels to their AVX2 versions.
PINNED_ENV = {
    "MKL_CBWR": "COMPATIBLE,STRICT",
    "ATEN_CPU_CAPABILITY": "avx2",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
}
os.environ.update(PINNED_ENV)


class RecipeError(Exception):
    """A bad input or a failed check (exit 1): the message says which and what to do."""


class EnvError(RecipeError):
    """Something the recipe needs is not installed (exit 3)."""


def log(msg):
    print(f"recipe: {msg}", file=sys.stderr, flush=True)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def pin_torch():
    import torch

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    return torch


def load_recipe(path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read recipe {path}: {e}") from e


def save_recipe(path, recipe):
    tmp = Path(f"{path}.tmp")
    tmp.write_text(json.dumps(recipe, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def check_pin(recipe_path, recipe, key, digest, what, update):
    """Compare digest with recipe[key]; with update, store it in the recipe file instead."""
    if update:
        recipe[key] = digest
        save_recipe(recipe_path, recipe)
        log(f"pinned {key} {digest} in {recipe_path}")
    elif recipe.get(key) != digest:
        raise RecipeError(f"{what} has sha256 {digest}, {recipe_path} pins {recipe.get(key)}: are the "
                          ".venv packages those of oracle/requirements.txt and does the CPU have AVX2? "
                          "If the recipe changed on purpose, rerun with --update-pin")


class UsageError(RecipeError):
    """Bad command-line input (exit 2)."""


def weights_path(recipe_path, recipe):
    """The recipe's committed trained weights, relative to the recipe file."""
    return Path(recipe_path).resolve().parent / recipe["weights"]


@contextmanager
def atomic_output(out):
    """Yield a fresh temporary path next to out; on success it replaces out in one rename (a
    previous out is moved aside first and removed after). A failed or interrupted run leaves
    out as it was; a temporary left by a killed run is removed by the next one."""
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{out.name}.partial-"
    for stale in out.parent.glob(prefix + "*"):
        shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink()
    tmp_root = Path(tempfile.mkdtemp(prefix=prefix, dir=out.parent))
    tmp = tmp_root / out.name
    try:
        yield tmp
        _umask_modes(tmp)
        old = tmp_root / "previous"
        if out.exists() or out.is_symlink():
            out.rename(old)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)


def arg_parser(doc, pinned_what):
    """The options train.py and build.py share: the recipe, llama.cpp's checkout, --update-pin."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=doc)
    ap.add_argument("recipe", type=Path)
    ap.add_argument("--llama-cpp", type=Path, default=ROOT / "third_party" / "llama.cpp",
                    help="llama.cpp source checkout with models/ggml-vocab-*.gguf (default: %(default)s)")
    ap.add_argument("--update-pin", action="store_true",
                    help=f"store the new {pinned_what} sha256 in the recipe instead of checking it")
    return ap


def _umask_modes(path):
    """The modes a plain create would give (safetensors writes its files 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
        p.chmod((0o777 if p.is_dir() else 0o666) & ~umask)


def _interrupted(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main_wrapper(name, body):
    """Run body() with the exit-code convention; SIGTERM counts as an interruption."""
    signal.signal(signal.SIGTERM, _interrupted)
    t0 = time.monotonic()
    try:
        body()
    except UsageError as e:
        print(f"{name}: {e}", file=sys.stderr)
        return EXIT_USAGE
    except EnvError as e:
        print(f"{name}: {e}", file=sys.stderr)
        return EXIT_ENV
    except RecipeError as e:
        print(f"{name}: {e}", file=sys.stderr)
        return EXIT_CHECK
    except KeyboardInterrupt:
        print(f"{name}: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    log(f"{name} done in {time.monotonic() - t0:.0f}s")
    return 0
