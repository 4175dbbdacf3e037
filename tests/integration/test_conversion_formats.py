"""A conversion check reads the header of what the engine wrote and passes only for a
file of the format its name declares (.gguf, .apr, .safetensors); a file that is something else
fails naming what it holds, and what reads it is skipped with that reason."""
import hashlib
import json
import os
import subprocess

import pytest

from conftest import SIM, Tmgt, check_table
from faultlib import CANARY, assert_cache_clean, executed

SMOLLM = ("--model", "smollm-135m")
EXPORT = "apr export-gguf → smollm-135m/int4.gguf"
IMPORT = "apr import → smollm-135m/int8.apr"
NOT_GGUF = "int4.gguf: not a GGUF file (first bytes 7f 45 4c 46)"
MAGIC = {".gguf": (b"GGUF", "GGUF v3"), ".apr": (b"APR\0", "APR v2.0")}


def model_file(tmgt, name):
    return tmgt.tmp / "models" / "smollm-135m" / name


def tensor_count(path):
    """How many tensors the engine itself says the file holds."""
    out = subprocess.run([str(SIM), "tensors", str(path), "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["tensor_count"]


def action(r, label):
    return next(a for a in r.results["actions"] if a["id"] == label)


def readers_of(results, name):
    """The checks that read artefact `name` of smollm-135m, directly or through what is made from it."""
    paths = {f"/models/smollm-135m/{name}"}
    reading = set()
    grew = True
    while grew:
        grew = False
        for a in results["actions"]:
            if a["id"] not in reading and any(arg.endswith(p) for arg in a["argv"] for p in paths):
                reading.add(a["id"])
                if "output" in a:
                    paths.add(f"/models/smollm-135m/{a['output']['name']}")
                grew = True
    return {c["name"] for c in results["checks"] if c["suite"] != "convert" and reading & set(c["actions"])}


def test_each_conversion_check_says_what_the_header_of_its_file_holds(tmgt):
    r = tmgt.run("convert", *SMOLLM)
    assert r.rc == 0, r.err
    conversions = [c for c in r.results["checks"] if c["suite"] == "convert"]
    assert len(conversions) == 7
    for c in conversions:
        path = model_file(tmgt, c["variant"])
        data = path.read_bytes()
        magic, format_version = MAGIC[path.suffix]
        assert data.startswith(magic)
        assert c["status"] == "PASS"
        assert c["detail"] == (f"{path.name}: {format_version}, {tensor_count(path)} tensors, {len(data)} bytes "
                               f"(sha256 {hashlib.sha256(data).hexdigest()[:12]})")


def test_an_export_that_writes_an_elf_file_fails_and_what_reads_it_is_skipped(tmgt, tmp_path):
    (tmp_path / "reference").mkdir()
    reference = Tmgt(tmp_path / "reference")
    clean = reference.run(*SMOLLM)
    readers = readers_of(clean.results, "int4.gguf")
    assert "roundtrip/smollm-135m/completion" in readers  # through roundtrip.apr, made from int4.gguf

    r = tmgt.run(*SMOLLM, env=tmgt.env(APR_SIM_FAULTS="export=elf"))
    assert r.rc == 1
    checks = r.checks()
    assert checks["convert/smollm-135m/int4.gguf"] == ("FAIL", NOT_GGUF)
    assert checks["convert/smollm-135m/roundtrip.apr"][0] == "SKIP"
    assert checks["convert/smollm-135m/roundtrip.apr"][1].endswith(NOT_GGUF)
    for name in readers:
        status, detail = checks[name]
        assert status == "SKIP" and detail.endswith(NOT_GGUF), (name, detail)
    unaffected = {n: v for n, v in r.checks().items()
                  if n not in readers and n not in ("convert/smollm-135m/int4.gguf", "convert/smollm-135m/roundtrip.apr")}
    assert unaffected == {n: v for n, v in clean.checks().items() if n in unaffected}
    export = action(r, EXPORT)
    assert (export["status"], export["reason"], export["cached"]) == ("output-malformed", NOT_GGUF, False)
    assert not model_file(tmgt, "int4.gguf").exists()  # nothing reads it by mistake
    assert_cache_clean(tmgt.cache)

    again = tmgt.run(*SMOLLM)  # a malformed output is not cached: the export runs again
    assert EXPORT in executed(again.results)
    assert not set(executed(again.results)) & {a["id"] for a in r.results["actions"] if a["status"] == "ok"}
    assert check_table(again.results) == check_table(clean.results)


@pytest.mark.parametrize("rule,selection,conversion,detail", [
    ("export=truncate:12", (*SMOLLM, "--check", "roundtrip"), "convert/smollm-135m/int4.gguf",
     "int4.gguf: truncated GGUF header (12 bytes)"),
    ("import=truncate:40", CANARY, "convert/smollm-135m/int8.apr", "int8.apr: truncated APR header (40 bytes)"),
    ("import=truncate:1000", CANARY, "convert/smollm-135m/int8.apr",
     "int8.apr: truncated: APR header puts tensor data at byte "),
])
def test_a_file_cut_before_its_data_fails_its_conversion(tmgt, rule, selection, conversion, detail):
    r = tmgt.run(*selection, env=tmgt.env(APR_SIM_FAULTS=rule))
    assert r.rc == 1
    status, found = r.checks()[conversion]
    assert status == "FAIL" and found.startswith(detail), found
    skipped = [(n, d) for n, (s, d) in r.checks().items() if s == "SKIP"]
    assert skipped and all(d.endswith(found) for _, d in skipped), skipped


def test_a_cached_output_that_is_not_of_its_format_is_produced_again(tmgt):
    """A record stored before conversions were checked can name any file: it is not trusted."""
    first = tmgt.run(*CANARY)
    key = action(first, IMPORT)["key"]
    record = tmgt.cache / "ac" / key[:2] / f"{key}.json"
    elf = b"\x7fELF\x02\x01\x01\x00" + bytes(56)
    digest = hashlib.sha256(elf).hexdigest()
    blob = tmgt.cache / "cas" / digest[:2] / digest
    blob.parent.mkdir(exist_ok=True)
    blob.write_bytes(elf)
    rec = json.loads(record.read_text())
    rec["outputs"]["int8.apr"].update(digest=digest, size=len(elf))
    os.chmod(record, 0o644)
    record.write_text(json.dumps(rec))

    again = tmgt.run(*CANARY)
    assert (f"tmgt: {IMPORT}: cached output int8.apr: not an APR file (first bytes 7f 45 4c 46); "
            "re-executing") in again.err
    assert executed(again.results) == [IMPORT]  # the same bytes as the first time: the runs stay cached
    assert check_table(again.results) == check_table(first.results)
