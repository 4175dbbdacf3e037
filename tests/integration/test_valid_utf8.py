"""Whatever bytes an engine prints (its version, its stderr) and whatever bytes
a file name holds, every document tmgt writes is valid UTF-8 and well-formed in its format: a
strict reader (Python's json, xml.etree) takes them all, and the bad bytes read as U+FFFD."""
import json
import os
import xml.etree.ElementTree as ET

from faultlib import CANARY

# a lone 0xFF and 0xFE, a truncated two-byte sequence, an encoded UTF-16 surrogate
BAD = b"\xff\xfe\xc3( \xed\xa0\x80"
SHOWN = BAD.decode("utf-8", "replace")  # one U+FFFD per bad byte, as tmgt writes them
assert SHOWN == "\ufffd\ufffd\ufffd( \ufffd\ufffd\ufffd"


def with_bad_bytes(path_bytes):
    """A str path that subprocess hands to tmgt as exactly these bytes."""
    return os.fsdecode(path_bytes)


def workspace_with_bad_names(tmgt, tmp_path):
    """The simulator pipeline under a file name with invalid bytes, its models directory too;
    apr's --version and the stderr of its run of the code prompt carry invalid bytes."""
    doc = json.loads(tmgt.pipeline.read_text())
    doc["models_dir"] = with_bad_bytes(os.fsencode(tmp_path) + b"/models-" + BAD)
    pipeline = with_bad_bytes(os.fsencode(tmp_path) + b"/pipeline-" + BAD + b".json")
    with open(pipeline, "w", encoding="utf-8", errors="surrogateescape") as f:
        json.dump(doc, f, ensure_ascii=False)
    faults = tmp_path / "faults.txt"
    faults.write_bytes(b"version=version:0.72.3 " + BAD + b"\nrun@code=exit:3:" + BAD + b"\n")
    return pipeline, tmgt.env(APR_SIM_FAULTS_FILE=faults)


def shown(s):
    """A str from a path as tmgt writes it: the invalid bytes as U+FFFD."""
    return os.fsencode(s).decode("utf-8", "replace")


def test_invalid_bytes_from_engines_and_file_names_leave_every_document_valid(tmgt, tmp_path):
    pipeline, env = workspace_with_bad_names(tmgt, tmp_path)
    # Run() reads results/latest.json as strict UTF-8 and parses it with json, and the console
    # report is decoded as strict UTF-8: either raises on one invalid byte
    r = tmgt.run(*CANARY, pipeline=pipeline, env=env)
    assert r.rc == 1, r.err
    doc = r.results
    apr = next(e for e in doc["engines"] if e["name"] == "apr")
    assert apr["version"] == f"apr 0.72.3 {SHOWN} (simsha)"
    assert doc["pipeline"] == shown(pipeline) and shown(pipeline) in doc["argv"]
    models = shown(json.loads(open(pipeline, encoding="utf-8", errors="surrogateescape").read())["models_dir"])
    outputs = [a["output"]["path"] for a in doc["actions"] if a["step"] == "import"]
    assert "\ufffd" in models and outputs == [f"{models}/smollm-135m/int8.apr"]
    code = r.check("canary/smollm-135m/code")
    assert code["status"] == "FAIL" and f"error: {SHOWN}" in code["detail"]
    assert f"error: {SHOWN}" in r.out  # the console says what the document says

    junit = tmp_path / "junit.xml"
    assert tmgt.run("report", "--format", "junit", "-o", str(junit), pipeline=pipeline, env=env).rc == 0
    failures = [t for t in ET.parse(junit).iter("testcase") if t.find("failure") is not None]
    assert [t.get("name") for t in failures] == ["canary/smollm-135m/code"]
    assert f"error: {SHOWN}" in failures[0].find("failure").get("message")

    for fmt in ("html", "md"):
        out = tmp_path / f"report.{fmt}"
        assert tmgt.run("report", "--format", fmt, "-o", str(out), pipeline=pipeline, env=env).rc == 0
        text = out.read_bytes().decode("utf-8")  # strict
        assert SHOWN in text or SHOWN.replace("(", "\\(") in text
    ticket = tmgt.run("ticket", pipeline=pipeline, env=env)
    assert ticket.rc == 0 and f"apr 0.72.3 {SHOWN} (simsha)" in ticket.out


def test_a_version_with_invalid_bytes_gives_the_engine_the_same_identity_on_every_run(tmgt, tmp_path):
    pipeline, env = workspace_with_bad_names(tmgt, tmp_path)
    first = tmgt.run(*CANARY, pipeline=pipeline, env=env)
    assert first.results["actions_executed"] > 0
    # the second run reads the version back from the cache: the identity, and so every action
    # key, must be what the first run computed from the engine's own answer
    again = tmgt.run(*CANARY, "--json", pipeline=pipeline, env=env)
    printed = json.loads(again.out)  # --json writes through the same writer
    assert printed["actions_executed"] == 0 and printed["actions_cached"] == first.results["actions_executed"]
    assert [a["key"] for a in printed["actions"]] == [a["key"] for a in first.results["actions"]]
    assert printed["engines"] == first.results["engines"]
