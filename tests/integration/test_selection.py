"""--check selects by the names the reports print (a suite's command-line name, its
result name, a glob over check names), the conversions the selected checks need come along, and a
selection of no check is a usage error that lists what exists."""
import fnmatch
import json
import re

import pytest

from conftest import SIM_PIPELINE

MODELS = ("smollm-135m", "qwen2-0.5b", "gpt2-124m")


@pytest.fixture
def everything(tmgt):
    """The whole matrix's checks: what each selection is compared with."""
    r = tmgt.run("-j2")
    assert r.rc == 0, r.err
    return r.results["checks"]


def selected_by(pattern, checks):
    """The glob as the README states it: the whole name, or a leading run of its components."""
    def matches(name):
        parts = name.split("/")
        return any(fnmatch.fnmatchcase("/".join(parts[:n]), pattern) for n in range(1, len(parts) + 1))
    return {c["name"] for c in checks if c["suite"] != "convert" and matches(c["name"])}


def conversions_needed(names, checks):
    """convert/<model>/<artefact> for every artefact the named checks' engine calls read, and the
    artefacts those are made from (the simulator pipeline's recipes)."""
    recipes = json.loads(SIM_PIPELINE.read_text())["artifacts"]
    wanted = set()
    for c in checks:
        if c["name"] in names:
            for action in c["actions"]:
                wanted |= set(re.findall(r"(\S+)/(\S+\.(?:apr|gguf))\b", action))
    closure = set()
    while wanted:
        slug, artefact = wanted.pop()
        closure.add(f"convert/{slug}/{artefact}")
        wanted |= {(slug, src) for src in recipes[artefact]["inputs"].values() if src != "@source"} - \
            {tuple(n.split("/")[1:]) for n in closure}
    return closure


def names(r):
    return {c["name"] for c in r.results["checks"] if c["suite"] != "convert"}


def conversions(r):
    return {c["name"] for c in r.results["checks"] if c["suite"] == "convert"}


@pytest.mark.parametrize("terms, pattern", [
    (("token",), "token-parity"),                       # the suite's command-line name
    (("token-parity",), "token-parity"),                # its result name
    (("token-parity/*/int8/*",), "token-parity/*/int8/*"),
    (("quant-drift/smollm-135m",), "quant-drift/smollm-135m"),  # a name selects what is under it
    (("ppl-drift",), "ppl-drift"),                      # a result name that is no suite's label
    (("*/gpt2-124m/int4",), "*/gpt2-124m/int4"),        # * matches across components
], ids=["key", "result-name", "glob", "prefix", "ppl-drift", "any-suite"])
def test_each_form_selects_exactly_the_checks_it_names(tmgt, everything, terms, pattern):
    args = [a for t in terms for a in ("--check", t)]
    r = tmgt.run(*args, "-j2")
    assert r.rc == 0, r.err
    want = selected_by(pattern, everything)
    assert want and names(r) == want
    assert conversions(r) == conversions_needed(want, everything)
    assert r.results["counts"]["total"] == len(want) + len(conversions(r))
    assert f"({len(r.results['checks'])} checks)" in r.out


def test_terms_add_up_and_model_narrows_them(tmgt, everything):
    r = tmgt.run("--check", "canary", "--check", "token-parity/*/int4/code", "--check", "list",
                 "--model", "qwen2-0.5b", "-j2")
    assert r.rc == 0, r.err
    want = {n for n in selected_by("canary", everything) | selected_by("token-parity/*/int4/code", everything)
            if "/qwen2-0.5b/" in n} | {"list/global"}
    assert names(r) == want and len(want) == 4 + 1 + 1
    assert [s for s in r.results["suites"]] == ["convert", "list", "canary", "token"]
    assert {c["model"] for c in r.results["checks"]} == {"qwen2-0.5b", "global"}


def test_plan_counts_the_selected_checks(tmgt, everything):
    r = tmgt.run("plan", "--check", "token-parity/*/int8/*")
    assert r.rc == 0, r.err
    n = len(selected_by("token-parity/*/int8/*", everything))
    assert n == 3 * 4
    assert f"{n} checks need {n + len(MODELS)} actions:" in r.out  # an apr run each, an int8 import a model


def test_a_conversion_is_selected_by_its_name_with_what_it_is_made_from(tmgt, everything):
    r = tmgt.run("--check", "convert/smollm-135m/roundtrip.apr")
    assert r.rc == 0, r.err
    assert names(r) == set()
    assert conversions(r) == {"convert/smollm-135m/roundtrip.apr", "convert/smollm-135m/int4.gguf",
                              "convert/smollm-135m/int4.apr"}
    r = tmgt.run("--check", "convert", "--model", "gpt2-124m")
    assert conversions(r) == {c["name"] for c in everything if c["name"].startswith("convert/gpt2-124m/")}


def test_convert_with_a_selection_converts_what_the_checks_read(tmgt, everything):
    r = tmgt.run("convert", "--check", "token-parity/*/int8/*")
    assert r.rc == 0, r.err
    assert names(r) == set()
    assert conversions(r) == {f"convert/{m}/int8.apr" for m in MODELS}
    assert all(c["status"] == "PASS" for c in r.results["checks"])


@pytest.mark.parametrize("command", ["run", "check", "plan", "convert"])
@pytest.mark.parametrize("args, problem", [
    (("--check", "token-parity/nosuch"), "--check token-parity/nosuch selects no check"),
    (("--check", "canary", "--check", "tokn"), "--check tokn selects no check"),
    (("--model", "smollm-135m", "--check", "*/gpt2-124m/*"), "--check */gpt2-124m/* selects no check of --model smollm-135m"),
    (("--model", "nope"), "--model nope: the pipeline has no such model"),
], ids=["glob", "one-of-two", "other-model", "model"])
def test_a_selection_of_no_check_is_a_usage_error_that_lists_what_exists(tmgt, command, args, problem):
    r = tmgt.run(command, *args)
    assert r.rc == 2, (r.rc, r.err)
    lines = r.err.splitlines()
    assert lines[0] == f"tmgt: {problem}"
    assert "token (token-parity)" in lines[1] and "drift (quant-drift)" in lines[1] and "cross-runtime" in lines[1]
    assert lines[2] == "  models (--model): " + ", ".join(MODELS)
    assert r.results is None and tmgt.engine_calls() == []
    assert r.out == ""
