#!/usr/bin/env python3
"""Differential check of tmgt's header judge (src/format_header.c) against the second
implementations of its formats: llama.cpp's gguf-py for GGUF and the safetensors package, on the
same fuzzed files. Both must reach the same accept/reject decision and, when both accept, the same
tensor count (and GGUF version).

The files are the GGUF and safetensors inputs of the format_header fuzz target's corpus (each
input's first byte picks the format, its second how much larger the file claims to be, the rest
is the file: here the rest is judged as a whole file), real files given with --files, and files
this script writes: valid GGUF and safetensors files, then mutated where the formats have
structure (counts, string lengths, GGUF value type tags, tensor infos, the safetensors length
field and JSON header, trailing bytes), so that both readers get past the magic.

The judge is driven through format_header_probe (tests/fuzz/format_header_probe.c), whose
contract is: `format_header_probe FILE...` prints, for each FILE in order, one line
`FILE<TAB>OK|BAD<TAB>what`, judging each file as the format its name declares; an OK's `what`
names the count as "<N> tensors" (and a GGUF's version as "GGUF v<V>").

The judge reads only the header, so it accepts files that a full read refuses later (a bad key
or tensor info after a plausible GGUF header, a safetensors dtype it does not check): those are
counted as "lenient", not as disagreements, when the reference's reason lies beyond what the
judge checks. gguf-py reads past the end of a file as empty arrays; here a read past the end is
an error, as in llama.cpp's gguf.cpp. A big-endian GGUF, which gguf-py byte-swaps and tmgt
refuses, is counted apart (by design).

usage: differential_headers.py --build build-fuzz [--corpus DIR]... [--files GLOB]...
                               [--generate N] [--seed S] [--into JSON] [--keep DIR]
exit: 0 all agree, 1 a disagreement (the files are kept under --keep), 2 usage, 3 environment.
"""
import argparse
import glob
import hashlib
import json
import logging
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from collections import Counter

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GGUF_PY = os.path.join(ROOT, "third_party", "llama.cpp", "gguf-py")


def environment_error(msg):
    print(f"differential_headers: {msg}", file=sys.stderr)
    sys.exit(3)


try:
    import numpy as np
    if os.path.isdir(GGUF_PY):
        sys.path.insert(0, GGUF_PY)
    import gguf
    from gguf.gguf_reader import GGUFReader
    import safetensors
except ImportError as e:
    environment_error(f"{e.name} is missing (gguf-py, numpy and safetensors: run it with the .venv's python)")

logging.getLogger("gguf").setLevel(logging.ERROR)


# ---------------------------------------------------------------- the reference readers

class StrictGGUFReader(GGUFReader):
    """gguf-py's reader, where a read past the end of the file is an error, not an empty array."""

    def _get(self, offset, dtype, count=1, override_order=None):
        arr = super()._get(offset, dtype, count, override_order)
        if len(arr) != int(count):
            raise ValueError(f"reads {int(count)} items at byte {offset}, past the end of the file")
        return arr


def reference_gguf(path):
    """(accepted, tensors, version, reason)"""
    try:
        r = StrictGGUFReader(path)
        version = int(r.fields["GGUF.version"].parts[0][0])
        big_endian = r.byte_order == "S"
        return True, len(r.tensors), version, "big-endian" if big_endian else ""
    except Exception as e:  # any refusal, whatever gguf-py raises for it
        return False, None, None, f"{type(e).__name__}: {e}"


def reference_safetensors(data):
    try:
        return True, len(safetensors.deserialize(data)), None, ""
    except Exception as e:
        return False, None, None, str(e)


# What the judge checks, per format: a reference refusal for one of these reasons, of a file the
# judge accepted, is a disagreement; any other is a refusal only a full read can make.
GGUF_HEADER_REASONS = re.compile(r"GGUF magic invalid|cannot handle|count \d+ exceeds maximum")
# serde's data errors (a JSON header of the wrong shape) and the safetensors checks of offsets
# against the data lie beyond the judge, which checks the JSON syntax and that entries are objects.
SAFETENSORS_BEYOND_HEADER = re.compile(
    r"invalid type|invalid value|invalid length|unknown variant|unknown field|missing field|"
    r"duplicate field|not fully covered|invalid offset|invalid shape, data type, or offset|overflow|"
    r"metadata incomplete|out of bounds|misaligned")


def lenient_beyond_header(fmt, reason):
    if fmt == "gguf":
        return not GGUF_HEADER_REASONS.search(reason)
    return bool(SAFETENSORS_BEYOND_HEADER.search(reason))


# ---------------------------------------------------------------- files with structure

GGUF_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<B", 10: "<Q", 11: "<q",
                12: "<d"}
GGUF_STRING, GGUF_ARRAY = 8, 9
# ggml type → (block, bytes per block); Q8_0 rows are whole blocks of 32
GGML_TYPES = {0: (1, 4), 1: (1, 2), 8: (32, 34), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8),
              30: (1, 2)}
INTERESTING = [0, 1, 2, 3, 4, 7, 8, 9, 12, 13, 31, 32, 33, 255, 256, 0x7fffffff, 0x80000000, 0xffffffff,
               1 << 30, (1 << 30) + 1, 1 << 32, (1 << 63) - 1, 1 << 63, (1 << 64) - 1]


class Fields:
    """Bytes written in order, remembering where each integer field lies and its width."""

    def __init__(self, endian="<"):
        self.endian, self.buf, self.ints, self.cuts = endian, bytearray(), [], []

    def put(self, fmt, value, label=None):
        packed = struct.pack(self.endian + fmt.lstrip("<"), value)
        if label:
            self.ints.append((len(self.buf), len(packed), label))
        self.buf += packed

    def raw(self, data):
        self.buf += data

    def boundary(self):
        self.cuts.append(len(self.buf))

    def string(self, s, label="string length"):
        b = s.encode() if isinstance(s, str) else s
        self.put("<Q", len(b), label)
        self.raw(b)


def gguf_value(rng, f, vtype, depth=0):
    if vtype == GGUF_STRING:
        f.string(rng.choice(["", "llama", "gpt2", "é", "x" * rng.randint(1, 40)]))
    elif vtype == GGUF_ARRAY:
        inner = rng.choice([0, 4, 5, 6, GGUF_STRING] + ([GGUF_ARRAY] if depth == 0 else []))
        f.put("<I", inner, "array type")
        n = rng.randint(0, 5)
        f.put("<Q", n, "array length")
        for _ in range(n):
            gguf_value(rng, f, inner, depth + 1)
    else:
        fmt = GGUF_SCALARS[vtype]
        if fmt[-1] in "fd":
            f.put(fmt, rng.uniform(-1e3, 1e3))
        else:
            bits = struct.calcsize(fmt) * 8
            lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if fmt[-1].islower() else (0, (1 << bits) - 1)
            f.put(fmt, rng.randint(lo, hi) if vtype != 7 else rng.randint(0, 1))


def gguf_file(rng):
    """A valid GGUF (v2 or v3, sometimes big-endian) and where its integer fields lie."""
    f = Fields(">" if rng.random() < 0.04 else "<")
    f.raw(b"GGUF")
    f.put("<I", rng.choice([2, 3, 3]), "version")
    tensors = []
    for i in range(rng.randint(0, 4)):
        gtype = rng.choice(list(GGML_TYPES))
        block, _ = GGML_TYPES[gtype]
        dims = [rng.randint(1, 3) * block] + [rng.randint(1, 3) for _ in range(rng.randint(0, 2))]
        tensors.append((f"blk.{i}.w{rng.randint(0, 99)}", dims, gtype))
    alignment = rng.choice([None, None, 8, 16, 64])
    kvs = [("general.architecture", GGUF_STRING)] + [
        (f"k{i}.{rng.choice(['a', 'b', 'é'])}", rng.choice(list(GGUF_SCALARS) + [GGUF_STRING, GGUF_ARRAY]))
        for i in range(rng.randint(0, 5))]
    f.put("<Q", len(tensors), "tensor count")
    f.put("<Q", len(kvs) + (alignment is not None), "key count")
    f.boundary()
    for key, vtype in kvs:
        f.string(key, "key length")
        f.put("<I", vtype, "value type")
        gguf_value(rng, f, vtype)
        f.boundary()
    if alignment is not None:
        f.string("general.alignment", "key length")
        f.put("<I", 4, "value type")
        f.put("<I", alignment, "alignment")
        f.boundary()
    align = alignment or 32
    offset, sizes = 0, []
    for name, dims, gtype in tensors:
        block, per_block = GGML_TYPES[gtype]
        n = 1
        for d in dims:
            n *= d
        sizes.append(n // block * per_block)
        f.string(name, "tensor name length")
        f.put("<I", len(dims), "dimension count")
        for d in dims:
            f.put("<Q", d, "dimension")
        f.put("<I", gtype, "tensor type")
        f.put("<Q", offset, "tensor offset")
        f.boundary()
        offset += -(-sizes[-1] // align) * align
    f.raw(b"\0" * (-len(f.buf) % align))
    for size in sizes:
        f.boundary()
        f.raw(bytes(rng.getrandbits(8) for _ in range(size)))
        f.raw(b"\0" * (-len(f.buf) % align))
    return f


def mutate_bytes(rng, data, fields=None):
    """One structure-aware change (an integer field to an edge value, a cut at a field boundary,
    bytes appended or flipped) and its name."""
    data = bytearray(data)
    ops = {"int": 5, "cut": 2, "append": 1, "flip": 2, "magic": 1} if fields else {"cut": 1, "append": 1, "flip": 1}
    op = rng.choices(list(ops), weights=list(ops.values()))[0]
    present = [i for i in fields.ints if i[0] + i[1] <= len(data)] if fields else []
    if op == "int" and present:
        at, width, label = rng.choice(present)
        order = "big" if fields.endian == ">" else "little"
        value = rng.choice(INTERESTING + [int.from_bytes(data[at:at + width], order) + rng.choice([-1, 1])])
        op = f"{label} {value}"
        data[at:at + width] = (value % (1 << (8 * width))).to_bytes(width, order)
    elif op == "cut":
        cuts = (fields.cuts if fields else []) + [rng.randint(0, len(data))]
        del data[rng.choice(cuts):]
    elif op == "append":
        data += rng.choice([b"\0" * rng.randint(1, 64), bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64)))])
    elif op == "flip" and data:
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.getrandbits(8)
    elif op == "magic":
        data[:4] = rng.choice([b"GGUf", b"FUGG", b"GGML", b"\x7fELF", b"GGU"])
    return bytes(data), op


ST_DTYPES = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "U8": 1, "BOOL": 1, "F64": 8}


def safetensors_parts(rng):
    """The header as a dict (tensors in order, maybe __metadata__) and the data bytes."""
    header, offset = {}, 0
    if rng.random() < 0.3:
        header["__metadata__"] = {"format": "pt", rng.choice(["a", "é", "k"]): "v"}
    for i in range(rng.randint(0, 5)):
        dtype = rng.choice(list(ST_DTYPES))
        shape = [rng.randint(0, 4) for _ in range(rng.randint(0, 3))]
        n = ST_DTYPES[dtype]
        for d in shape:
            n *= d
        name = f"t{i}.{rng.choice(['w', 'b', 'é'])}"
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    return header, bytes(rng.getrandbits(8) for _ in range(offset))


# Changes to the header's text that the JSON and safetensors rules treat differently.
ST_TEXT_EDITS = [
    ("trailing space", lambda t: t + b" "), ("trailing newline", lambda t: t + b"\n"),
    ("trailing tab", lambda t: t + b"\t"), ("trailing carriage return", lambda t: t + b"\r"),
    ("trailing NUL", lambda t: t + b"\0"), ("trailing garbage", lambda t: t + b"x"),
    ("leading space", lambda t: b" " + t), ("leading newline", lambda t: b"\n" + t),
    ("byte order mark", lambda t: b"\xef\xbb\xbf" + t), ("trailing comma", lambda t: t[:-1] + b",}"),
    ("unclosed object", lambda t: t[:-1]), ("second object", lambda t: t + b"{}"),
    ("invalid UTF-8 key", lambda t: t.replace(b'"t', b'"\xff', 1)),
    ("control character in a key", lambda t: t.replace(b'"t', b'"\x01', 1)),
    ("NUL escape in a key", lambda t: t.replace(b'"t', b'"\\u0000', 1)),
    ("lone surrogate in a key", lambda t: t.replace(b'"t', b'"\\ud800', 1)),
    ("leading zero", lambda t: t.replace(b"[0,", b"[00,", 1)),
    ("number with a bare dot", lambda t: t.replace(b"[0,", b"[0.,", 1)),
    ("plus sign", lambda t: t.replace(b"[0,", b"[+0,", 1)),
    ("huge exponent", lambda t: t.replace(b"[0,", b"[1e999,", 1)),
    ("NaN", lambda t: t.replace(b"[0,", b"[NaN,", 1)),
    ("single quotes", lambda t: t.replace(b'"dtype"', b"'dtype'", 1)),
    ("comment", lambda t: t[:1] + b"/*x*/" + t[1:]),
    ("deep nesting", lambda t: t[:-1] + (b',"z":' if len(t) > 2 else b'"z":') + b"[" * 200 + b"]" * 200 + b"}"),
]

# Changes to the header's structure: what entries hold.
ST_ENTRY_EDITS = [
    ("entry a list", lambda e: []), ("entry a number", lambda e: 1), ("entry a string", lambda e: "F32"),
    ("entry null", lambda e: None), ("entry empty", lambda e: {}),
    ("unknown dtype", lambda e: {**e, "dtype": "F99"}), ("lower-case dtype", lambda e: {**e, "dtype": "f32"}),
    ("negative dimension", lambda e: {**e, "shape": [-1]}), ("shape a string", lambda e: {**e, "shape": "1"}),
    ("offsets reversed", lambda e: {**e, "data_offsets": e["data_offsets"][::-1]}),
    ("offsets beyond", lambda e: {**e, "data_offsets": [0, 1 << 40]}), ("extra field", lambda e: {**e, "x": 1}),
    ("no dtype", lambda e: {k: v for k, v in e.items() if k != "dtype"}),
]


def safetensors_file(rng):
    """A safetensors file, valid or with one change, and what that change was."""
    header, data = safetensors_parts(rng)
    kind = rng.random()
    tensors = [k for k in header if k != "__metadata__"]
    change = "valid"
    if kind < 0.25 and tensors:
        name = rng.choice(tensors)
        change, edit = rng.choice(ST_ENTRY_EDITS)
        header[name] = edit(header[name])
    elif kind < 0.3 and "__metadata__" in header:
        change, header["__metadata__"] = "metadata not of strings", rng.choice([{"n": 1}, [], "x", None])
    compact = rng.random() < 0.7
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":") if compact else (", ", ": ")).encode()
    if 0.3 <= kind < 0.55:
        change, edit = rng.choice(ST_TEXT_EDITS)
        text = edit(text)
    elif 0.55 <= kind < 0.6 and tensors:
        entry = json.dumps({tensors[-1]: header[tensors[-1]]}, separators=(",", ":")).encode()[1:-1]
        change, text = "a tensor described twice", text[:-1] + b"," + entry + b"}"
    if rng.random() < 0.5:
        text += b" " * (-len(text) % 8)  # padded to 8 bytes, as the safetensors writer does
    length = len(text)
    if 0.6 <= kind < 0.75:
        change, length = "header length", rng.choice([0, 1, 2, 7, length - 1, length + 1, length + len(data),
                                                      length + len(data) + 1, 100_000_000, 100_000_001, 1 << 63,
                                                      (1 << 64) - 1])
    out = struct.pack("<Q", length) + text + data
    if kind >= 0.9:
        out, change = mutate_bytes(rng, out)
    return out, change


def generated(rng, n):
    for i in range(n):
        if i % 2 == 0:
            f = gguf_file(rng)
            data, changes = bytes(f.buf), []
            for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
                data, change = mutate_bytes(rng, data, f)
                changes.append(change)
            yield "gguf", data, f"generated ({', '.join(changes) or 'valid'})"
        else:
            data, change = safetensors_file(rng)
            yield "safetensors", data, f"generated ({change})"


def from_corpus(dirs):
    formats = ["gguf", None, "safetensors"]  # fuzz_format_header: GGUF, APR, safetensors
    for d in dirs:
        for p in sorted(glob.glob(os.path.join(d, "*"))):
            data = open(p, "rb").read()
            if len(data) >= 2 and formats[data[0] % 3]:
                yield formats[data[0] % 3], data[2:], f"corpus {os.path.basename(p)}"


def from_files(globs):
    for g in globs:
        for p in sorted(glob.glob(g)):
            ext = os.path.splitext(p)[1].lower().lstrip(".")
            if ext in ("gguf", "safetensors"):
                yield ext, open(p, "rb").read(), p


# ---------------------------------------------------------------- the comparison

def probe(binary, paths):
    verdicts = {}
    for i in range(0, len(paths), 400):
        out = subprocess.run([binary, *paths[i:i + 400]], capture_output=True, text=True, errors="replace")
        if out.returncode != 0:
            environment_error(f"{binary} exited {out.returncode}: {out.stderr.strip()[-2000:]}")
        for line in out.stdout.splitlines():
            path, verdict, what = line.split("\t", 2)
            verdicts[path] = (verdict == "OK", what)
    missing = [p for p in paths if p not in verdicts]
    if missing:
        environment_error(f"{binary} said nothing of {missing[0]} (expected one line per file)")
    return verdicts


def judged_counts(what):
    tensors = re.search(r"(\d+) tensors", what)
    version = re.search(r"GGUF v(\d+)", what)
    return int(tensors.group(1)) if tensors else None, int(version.group(1)) if version else None


def shape_of(message):
    """A message with its numbers, bytes and quoted parts blanked, to group files by kind."""
    message = re.sub(r"`[^`]*`|\"[^\"]*\"|'[^']*'|(?<=first bytes )[0-9a-f ]+", "…", message)
    message = re.sub(r"\b0x[0-9a-fA-F]+\b|\b[0-9a-fA-F]*\d[0-9a-fA-F]*\b", "N", message)
    return re.sub(r"\b(N )+N\b", "N…", message)[:120]


def compare(fmt, path, data, c_verdict):
    """(class, kind) with class one of agree, lenient, by_design, disagree."""
    c_ok, what = c_verdict
    ref_ok, tensors, version, reason = reference_gguf(path) if fmt == "gguf" else reference_safetensors(data)
    if ref_ok and fmt == "gguf" and reason == "big-endian":
        return ("by_design", "big-endian GGUF: gguf-py byte-swaps it, tmgt refuses it") if not c_ok else \
               ("disagree", f"gguf: big-endian accepted ({shape_of(what)})")
    if c_ok and ref_ok:
        counted, judged_version = judged_counts(what)
        if judged_version != version:
            return "disagree", f"{fmt}: both accept, tmgt reads version {judged_version}, the reference {version}"
        if counted != tensors:
            more = "more" if counted is not None and counted > tensors else "other"
            return "disagree", f"{fmt}: both accept, tmgt counts {more} tensors than the reference"
        return "agree", "both accept"
    if not c_ok and not ref_ok:
        return "agree", "both refuse"
    if c_ok:
        if lenient_beyond_header(fmt, reason):
            return "lenient", f"{fmt}: {shape_of(reason)}"
        return "disagree", f"{fmt}: tmgt accepts ({shape_of(what)}), the reference refuses: {shape_of(reason)}"
    return "disagree", f"{fmt}: tmgt refuses ({shape_of(what)}), the reference accepts"


def reference_name():
    st = f"safetensors {safetensors.__version__}"
    try:
        rev = subprocess.run(["git", "-C", os.path.dirname(GGUF_PY), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
    except OSError:
        rev = ""
    where = f"llama.cpp {rev}" if rev and os.path.dirname(gguf.__file__).startswith(GGUF_PY) else "installed"
    return f"gguf-py ({where}), {st}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build-fuzz", help="the TMGT_FUZZ build holding tests/fuzz/format_header_probe")
    ap.add_argument("--probe", help="the probe itself (default: BUILD/tests/fuzz/format_header_probe)")
    ap.add_argument("--corpus", action="append", default=[], help="a format_header fuzz corpus directory")
    ap.add_argument("--files", action="append", default=[], help="a glob of real .gguf/.safetensors files")
    ap.add_argument("--generate", type=int, default=0, help="how many structured, mutated files to write")
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--into", help="a fuzz figures JSON file to add the results to (as 'differential')")
    ap.add_argument("--keep", help="where disagreeing files are kept (default BUILD/differential)")
    args = ap.parse_args()
    binary = args.probe or os.path.join(args.build, "tests", "fuzz", "format_header_probe")
    if not os.access(binary, os.X_OK):
        environment_error(f"no {binary} (make fuzz-build builds it with the format_header fuzz target)")
    cases = [*from_corpus(args.corpus), *from_files(args.files), *generated(random.Random(args.seed), args.generate)]
    if not cases:
        print("differential_headers: no files (give --corpus, --files or --generate)", file=sys.stderr)
        sys.exit(2)
    keep = args.keep or os.path.join(args.build, "differential")
    classes, kinds, examples = Counter(), Counter(), []
    per_format = {}
    with tempfile.TemporaryDirectory(prefix="tmgt-differential-") as tmp:
        paths = []
        for i, (fmt, data, _) in enumerate(cases):
            paths.append(os.path.join(tmp, f"{i:06d}.{fmt}"))
            with open(paths[-1], "wb") as out:
                out.write(data)
        verdicts = probe(binary, paths)
        for (fmt, data, origin), path in zip(cases, paths):
            cls, kind = compare(fmt, path, data, verdicts[path])
            classes[cls] += 1
            per_format.setdefault(fmt, Counter())[cls] += 1
            if cls == "agree":
                per_format[fmt][kind] += 1
            else:
                kinds[(cls, kind)] += 1
            if cls == "disagree":
                os.makedirs(keep, exist_ok=True)
                kept = os.path.join(keep, f"{hashlib.sha1(data).hexdigest()[:16]}.{fmt}")
                shutil.copyfile(path, kept)
                if len(examples) < 20:
                    examples.append({"file": kept, "origin": origin, "kind": kind, "tmgt": verdicts[path][1]})
    both_accept = sum(c["both accept"] for c in per_format.values())
    summary = {"reference": reference_name(), "files": len(cases), "agree": classes["agree"],
               "both_accept": both_accept,
               "lenient": classes["lenient"], "by_design": classes["by_design"], "disagree": classes["disagree"],
               "formats": {f: dict(c) for f, c in sorted(per_format.items())},
               "kinds": [{"class": c, "kind": k, "files": n} for (c, k), n in kinds.most_common()],
               "examples": examples}
    print(f"differential: {summary['files']} files ({summary['reference']}): {summary['agree']} agree "
          f"({both_accept} accepted by both), "
          f"{summary['lenient']} lenient (refused only by a full read), {summary['by_design']} by design, "
          f"{summary['disagree']} disagree")
    for k in summary["kinds"]:
        print(f"  {k['class']:9} {k['files']:6}  {k['kind']}")
    if summary["disagree"]:
        print(f"differential: the disagreeing files are in {keep}/")
    if args.into:
        doc = json.load(open(args.into))
        doc["differential"] = summary
        with open(args.into, "w") as out:
            json.dump(doc, out, indent=1, ensure_ascii=False)
            out.write("\n")
    sys.exit(1 if summary["disagree"] else 0)


if __name__ == "__main__":
    main()
