"""Malformed pipeline, oracle and results files get one clear line and exit 3; nothing
runs, nothing is cached, and the files that were there before are left as they were."""
import json
import shutil

import pytest

from conftest import ROOT
from faultlib import CANARY, assert_cache_clean, pipeline_with


def set_in(path, value):
    def mutate(doc):
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return mutate


@pytest.mark.parametrize("mutate, message", [
    (set_in(["format"], 2), "format: unsupported pipeline format (this tmgt reads format 1)"),
    (set_in(["steps", "run", "engine"], "nope"), 'steps.run.engine: unknown engine "nope"'),
    (set_in(["steps", "run", "argv"], "run {in:model}"), "steps.run.argv: must be an array"),
    (set_in(["steps", "run", "argv"], ["run", "{in:model}", "{no_such_var}"]),
     "steps.run.argv[2]: unknown variable {no_such_var} for model smollm-135m"),
    (set_in(["steps", "run", "argv"], ["run", "{in:model", "{prompt}"]),
     "steps.run.argv reads 0 input(s) but is used with 1"),
    (set_in(["models_dir"], 7), "models_dir: must be a string"),
    (lambda doc: doc.pop("steps"), "steps: required field is missing"),
    (set_in(["artifacts", "x.apr"], {"from": "nowhere"}), "artifacts.x.apr.step: required field is missing"),
    (set_in(["steps", "run", "resources"], ["gpu"]), "steps.run.resources: must be an object"),
    (set_in(["steps", "run", "resources"], {"gres": 1}), "steps.run.resources.gres: must be a string"),
    (set_in(["steps", "run", "resources"], {"cpus": 0.5}), "steps.run.resources.cpus: must be a positive integer"),
], ids=["newer-format", "unknown-engine", "argv-not-list", "unknown-variable", "unclosed-brace", "wrong-type",
        "missing-section", "incomplete-recipe", "resources-not-object", "gres-not-string", "cpus-not-integer"])
def test_malformed_pipeline_is_a_one_line_environment_error(tmgt, mutate, message):
    bad = pipeline_with(tmgt, mutate)
    r = tmgt.run(*CANARY, pipeline=bad)
    assert r.rc == 3
    assert r.err.strip() == f"tmgt: {bad}: {message}"
    assert r.results is None
    assert [c for c in tmgt.engine_calls() if c[1:] != ["--version"]] == []


@pytest.fixture
def oracle_copy(tmgt):
    """The smollm-135m oracle in a directory the test may damage, and a pipeline that uses it."""
    oracles = tmgt.tmp / "oracle"
    shutil.copytree(ROOT / "oracle" / "smollm-135m", oracles)
    tmgt.pipeline = pipeline_with(tmgt, lambda doc: doc["models"][0].update(oracle=str(oracles)))
    return oracles


@pytest.mark.parametrize("damage, message", [
    (lambda d: '{"model_slug": "smollm-135m", "tokens": [1, 2', "invalid JSON near line 1"),
    (lambda d: json.dumps({**d, "tokens": d["tokens"][:5]}), "token_count: 32 does not match len(tokens) = 5"),
    (lambda d: json.dumps({**d, "model_slug": "gpt2-124m"}), 'model_slug: expected "smollm-135m", got "gpt2-124m"'),
    (lambda d: json.dumps([d]), "not a JSON object"),
    (lambda d: "", "invalid JSON near line 1"),
], ids=["truncated", "token-count", "other-model", "not-object", "empty"])
def test_malformed_oracle_stops_the_run_before_any_engine_call(tmgt, oracle_copy, damage, message):
    first = tmgt.run(*CANARY)  # a cache with results in it: the bad oracle must not touch them
    assert first.rc == 0
    latest = (tmgt.results / "latest.json").read_bytes()
    calls = len(tmgt.engine_calls())
    code = oracle_copy / "code.json"
    code.write_text(damage(json.loads(code.read_text())))
    r = tmgt.run(*CANARY)
    assert r.rc == 3
    line = r.err.strip()
    assert line == f"tmgt: {code}: {message}"
    assert len(tmgt.engine_calls()) == calls
    assert (tmgt.results / "latest.json").read_bytes() == latest
    assert_cache_clean(tmgt.cache)


@pytest.mark.parametrize("document, message", [
    ('{"format": 1, "checks": [', "not a results document (invalid JSON)"),
    ("[1, 2]", "not a results document (invalid JSON)"),
    ('{"checks": []}', 'not a results document (no "format" number)'),
    ('{"format": 1}', 'results document has no "checks" list'),
    ('{"format": 1, "checks": [7]}', "checks[0]: must be an object"),
    ('{"format": 1, "checks": [{"name": 5, "status": "PASS"}]}', "checks[0].name: must be a string"),
    ('{"format": 1, "checks": [], "actions": [{"id": "a", "status": null}]}', "actions[0].status: must be a string"),
    ('{"format": 2, "checks": []}', "results format 2 is newer than this tmgt reads (1); upgrade tmgt"),
], ids=["truncated", "not-object", "no-format", "no-checks", "check-not-object", "name-not-string",
        "status-not-string", "newer-format"])
@pytest.mark.parametrize("command", [("report",), ("report", "--format", "junit"), ("ticket",)],
                         ids=["report", "junit", "ticket"])
def test_malformed_results_file_is_refused_by_report_and_ticket(tmgt, document, message, command):
    tmgt.results.mkdir()
    latest = tmgt.results / "latest.json"
    latest.write_text(document)
    p = tmgt.popen(*command)  # not tmgt.run: that would parse the broken file itself
    out, err = p.communicate(timeout=60)
    assert p.returncode == 3
    assert err.strip() == f"tmgt: {latest}: {message}"
    assert out == ""
    assert latest.read_text() == document


def test_report_without_any_run_says_to_run_first(tmgt):
    r = tmgt.run("report")
    assert r.rc == 3
    assert r.err.strip().endswith("No such file or directory (run `tmgt run` first)")


def test_results_from_this_format_round_trip_through_every_renderer(tmgt):
    tmgt.run(*CANARY)
    for command in (("report",), ("report", "--format", "junit"), ("report", "--format", "html"),
                    ("report", "--format", "md"), ("ticket",)):
        r = tmgt.run(*command)
        assert r.rc == 0, r.err
        assert r.out
