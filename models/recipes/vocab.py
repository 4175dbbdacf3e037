"""The real GPT-2 and Qwen2 tokenizers, rebuilt from llama.cpp's vocab-only GGUF files.

llama.cpp's source bundle (node-llama-cpp's llama/gitRelease.bundle, checked out by
ci/install-llamacpp.sh to third_party/llama.cpp) ships models/ggml-vocab-gpt-2.gguf and
models/ggml-vocab-qwen2.gguf: the vocabularies and merges of openai-community/gpt2 and
Qwen/Qwen1.5-7B, with upstream test vectors (.gguf.inp: texts separated by
"\\n__ggml_vocab_test__\\n"; .gguf.out: one line of ids per text, encoded by the original
HuggingFace tokenizer with add_special_tokens=False).

The GGUF holds only tokens, token types and merges; the pipeline around them (normalizer,
pre-tokenizer, decoder, special tokens) is the one of each model's published tokenizer.json,
written down in TOKENIZERS below. The result is checked against every test vector twice: as
tokenizer.json read by the `tokenizers` library (what apr and other readers of tokenizer.json
see) and through transformers' AutoTokenizer (what gen_oracle.py and convert_hf_to_gguf.py see).
"""
import json
from pathlib import Path

from gguf import GGUFReader
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from common import EnvError, RecipeError

TOKEN_TYPE_NORMAL = 1
TOKEN_TYPE_CONTROL = 3
VECTOR_SEPARATOR = "\n__ggml_vocab_test__\n"

# Qwen2's pre-tokenizer split (Qwen/Qwen1.5-7B tokenizer.json; llama.cpp's "qwen2" pre-tokenizer)
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
               r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def _gpt2_pipeline(tok):
    tok.normalizer = None
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.post_processor = processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True)
    tok.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)


def _qwen2_pipeline(tok):
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)


# Per tokenizer: the GGUF's tokenizer.ggml.pre, the pipeline, and tokenizer_config.json as
# published with the original model (chat template left out: these are base models).
TOKENIZERS = {
    "gpt-2": {
        "pre": "gpt-2",
        "pipeline": _gpt2_pipeline,
        "config": {
            "add_prefix_space": False,
            "bos_token": "<|endoftext|>",
            "clean_up_tokenization_spaces": False,
            "eos_token": "<|endoftext|>",
            "model_max_length": 1024,
            "tokenizer_class": "GPT2Tokenizer",
            "unk_token": "<|endoftext|>",
        },
    },
    "qwen2": {
        "pre": "qwen2",
        "pipeline": _qwen2_pipeline,
        "config": {
            "add_prefix_space": False,
            "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
            "bos_token": None,
            "clean_up_tokenization_spaces": False,
            "eos_token": "<|endoftext|>",
            "errors": "replace",
            "model_max_length": 32768,
            "pad_token": "<|endoftext|>",
            "split_special_tokens": False,
            "tokenizer_class": "Qwen2Tokenizer",
            "unk_token": None,
        },
    },
}


def field(reader, key):
    f = reader.fields.get(key)
    if f is None:
        raise RecipeError(f"GGUF has no {key}")
    if f.types[0].name == "ARRAY":
        if f.types[-1].name == "STRING":
            return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
        return [int(f.parts[i][0]) for i in f.data]
    if f.types[0].name == "STRING":
        return bytes(f.parts[f.data[0]]).decode("utf-8")
    return f.parts[f.data[0]][0].item()


def vocab_paths(llama_dir, name):
    """The vocab GGUF and its two test-vector files in the llama.cpp checkout, or a RecipeError."""
    base = Path(llama_dir) / "models" / f"ggml-vocab-{name}.gguf"
    paths = (base, base.with_name(base.name + ".inp"), base.with_name(base.name + ".out"))
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise EnvError(f"llama.cpp's tokenizer bundle is missing {', '.join(missing)}; "
                          "run ci/install-llamacpp.sh (it checks out node-llama-cpp's llama.cpp "
                          "source to third_party/llama.cpp) or pass --llama-cpp DIR")
    return paths


def build(gguf_path, name):
    """tokenizers.Tokenizer and the tokenizer_config dict for TOKENIZERS[name] from the GGUF."""
    spec = TOKENIZERS[name]
    r = GGUFReader(str(gguf_path))
    if field(r, "tokenizer.ggml.model") != "gpt2":
        raise RecipeError(f"{gguf_path}: tokenizer.ggml.model is not gpt2 (byte-level BPE)")
    pre = field(r, "tokenizer.ggml.pre")
    if pre != spec["pre"]:
        raise RecipeError(f"{gguf_path}: tokenizer.ggml.pre is {pre!r}, expected {spec['pre']!r}")
    tokens = field(r, "tokenizer.ggml.tokens")
    types = field(r, "tokenizer.ggml.token_type")
    merges = field(r, "tokenizer.ggml.merges")
    # Normal tokens first, then the control tokens; llama.cpp's converter padded the rest of the
    # model's vocab_size with user-defined [PAD<i>] tokens that the original tokenizer does not have.
    n_normal = next((i for i, t in enumerate(types) if t != TOKEN_TYPE_NORMAL), len(types))
    if any(t == TOKEN_TYPE_NORMAL for t in types[n_normal:]):
        raise RecipeError(f"{gguf_path}: normal tokens after the first special one")
    specials = [(i, tokens[i]) for i, t in enumerate(types) if t == TOKEN_TYPE_CONTROL]
    if [i for i, _ in specials] != list(range(n_normal, n_normal + len(specials))):
        raise RecipeError(f"{gguf_path}: control tokens are not contiguous after the normal ones")
    vocab = {t: i for i, t in enumerate(tokens[:n_normal])}
    if len(vocab) != n_normal:
        raise RecipeError(f"{gguf_path}: duplicate tokens")
    bpe = models.BPE(vocab=vocab, merges=[tuple(m.split(" ", 1)) for m in merges], dropout=None,
                     unk_token=None, continuing_subword_prefix="", end_of_word_suffix="",
                     fuse_unk=False, byte_fallback=False)
    tok = Tokenizer(bpe)
    spec["pipeline"](tok)
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for _, t in specials])
    got = [(tok.token_to_id(t), t) for _, t in specials]
    if got != specials:
        raise RecipeError(f"special tokens landed at {got}, expected {specials}")
    return tok, dict(spec["config"]), n_normal + len(specials)


def read_vectors(inp_path, out_path):
    texts = Path(inp_path).read_text(encoding="utf-8").split(VECTOR_SEPARATOR)
    if texts and texts[-1] == "":
        texts.pop()  # the file ends with a separator
    ids = [[int(x) for x in line.split()] for line in Path(out_path).read_text(encoding="utf-8").splitlines()]
    if len(texts) != len(ids) or not texts:
        raise RecipeError(f"{inp_path}: {len(texts)} texts but {out_path}: {len(ids)} id lines")
    return list(zip(texts, ids))


def check_vectors(encode, vectors, what):
    """Raise RecipeError naming the first vectors whose ids differ; return how many passed."""
    bad = [(text, want, encode(text)) for text, want in vectors]
    bad = [b for b in bad if b[1] != b[2]]
    if bad:
        lines = [f"  {text!r}: expected {want}, got {got}" for text, want, got in bad[:3]]
        raise RecipeError(f"{what} fails {len(bad)} of {len(vectors)} llama.cpp test vectors:\n"
                          + "\n".join(lines))
    return len(vectors)


def write(tok, config, out_dir):
    out = Path(out_dir)
    tok.save(str(out / "tokenizer.json"), pretty=True)
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n",
                                               encoding="utf-8")
    specials = {k: config[k] for k in ("bos_token", "eos_token", "unk_token", "pad_token",
                                       "additional_special_tokens") if config.get(k) is not None}
    (out / "special_tokens_map.json").write_text(json.dumps(specials, indent=2, ensure_ascii=False) + "\n",
                                                 encoding="utf-8")


def make(llama_dir, name, out_dir):
    """Write the tokenizer files of TOKENIZERS[name] into out_dir, checked against the bundle's
    test vectors both as tokenizer.json and through AutoTokenizer. Returns (vocab size incl.
    specials, number of vectors)."""
    from transformers import AutoTokenizer

    gguf_path, inp, outp = vocab_paths(llama_dir, name)
    tok, config, n_vocab = build(gguf_path, name)
    vectors = read_vectors(inp, outp)
    write(tok, config, out_dir)
    raw = Tokenizer.from_file(str(Path(out_dir) / "tokenizer.json"))
    check_vectors(lambda s: raw.encode(s, add_special_tokens=False).ids, vectors,
                  f"{name} tokenizer.json")
    auto = AutoTokenizer.from_pretrained(str(out_dir))
    n = check_vectors(lambda s: auto.encode(s, add_special_tokens=False), vectors,
                      f"{name} AutoTokenizer ({type(auto).__name__})")
    for text, _ in vectors:
        if auto.decode(auto.encode(text, add_special_tokens=False)) != (
                text if name == "gpt-2" else raw.normalizer.normalize_str(text)):
            raise RecipeError(f"{name}: decode(encode({text!r})) does not give the text back")
    return n_vocab, n
