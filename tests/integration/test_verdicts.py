"""Verdicts that explain themselves: every token check's first divergence with the
oracle's margin and its class, the prompt-tokens and logit-parity suites, and bad margins.

The simulator's oracles are the seed's, without margins; these tests give smollm-135m an oracle
with them: the seed's tokens, the prompt ids the simulator reports, and at every position a top
20 in which each next id is 0.25 nats less likely than the one before (the chosen token first),
so the simulator's `alter-token:I` (id + 1) is a 0.25-nat near-tie and `alter-token:I:ID` with
an id outside the top 20 is confident."""
import json
import subprocess

import pytest

from conftest import BUILD, ROOT

SIM_DIR = BUILD / "tests"
PROMPTS = ("arithmetic", "code", "completion", "greeting")
COMPLETION = "The capital of France is"


def sim_prompt_ids(tmp_path, prompt):
    """The ids the simulator's apr reports for `prompt`, read from a GGUF run with --logprobs."""
    gguf = tmp_path / "ids.gguf"
    if not gguf.exists():
        subprocess.run([SIM_DIR / "convert-hf-sim", ROOT / "tests/sim/models/smollm-135m", "--outfile", gguf,
                        "--outtype", "f16"], check=True, capture_output=True)
    out = subprocess.run([SIM_DIR / "apr-sim", "run", gguf, prompt, "-n", "1", "-f", "json", "--logprobs", "1"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["logprobs"]["prompt_token_ids"]


def top20(token):
    return [{"id": token + j, "logprob": -0.1 - 0.25 * j} for j in range(20)]


def margins_oracle(tmp_path, edit=None):
    """smollm-135m's oracle with prompt_tokens and top_logprobs; `edit(prompt, doc)` may spoil one."""
    out = tmp_path / "oracle-margins"
    out.mkdir(exist_ok=True)
    for prompt in PROMPTS:
        doc = json.loads((ROOT / "oracle" / "smollm-135m" / f"{prompt}.json").read_text())
        doc["prompt_tokens"] = sim_prompt_ids(tmp_path, doc["prompt"])
        doc["top_logprobs"] = [top20(t) for t in doc["tokens"]]
        if edit:
            edit(prompt, doc)
        (out / f"{prompt}.json").write_text(json.dumps(doc))
    return out


def pipeline_with(tmgt, tmp_path, oracle, run_logprobs_extra=()):
    doc = json.loads(tmgt.pipeline.read_text())
    doc["models"][0]["oracle"] = str(oracle)
    doc["steps"]["run-logprobs"]["argv"] += list(run_logprobs_extra)
    path = tmp_path / f"margins-{len(list(tmp_path.glob('margins-*.json')))}.json"
    path.write_text(json.dumps(doc))
    return path


def run(tmgt, pipeline, *checks, faults=None):
    args = ["--model", "smollm-135m", "-j2", "--no-cache"]
    for c in checks:
        args += ["--check", c]
    env = tmgt.env(COLUMNS=400, **({"APR_SIM_FAULTS": faults} if faults else {}))
    return tmgt.run(*args, pipeline=pipeline, env=env)


def test_a_near_tie_and_a_confident_divergence_are_told_apart(tmgt, tmp_path):
    pipeline = pipeline_with(tmgt, tmp_path, margins_oracle(tmp_path))
    expected = json.loads((ROOT / "oracle/smollm-135m/completion.json").read_text())["tokens"][4]
    faults = f"run@int8.apr {COMPLETION}=alter-token:4;run@int4.apr {COMPLETION}=alter-token:4:99999"
    r = run(tmgt, pipeline, "token", "logit-parity", faults=faults)
    assert r.rc == 1, r.err

    near = r.check("token-parity/smollm-135m/int8/completion")
    assert near["status"] == "PASS", near  # the seed's verdict: 1 mismatch within 3
    div = near["divergence"]
    assert (div["index"], div["expected"], div["got"], div["class"]) == (4, expected, expected + 1, "near-tie")
    assert abs(div["margin_nats"] - 0.25) < 1e-9 and div["near_tie_nats"] == 0.5 and div["got_rank"] == 2
    assert near["detail"] == (f"1/3 mismatches; first divergence at token 4: expected {expected} (logp \u22120.10), "
                              f"got {expected + 1} (logp \u22120.35, 0.25 nats below) \u2014 near-tie (bound 0.50 nats)")
    assert r.check("logit-parity/smollm-135m/int8.apr/completion")["status"] == "PASS"

    confident = r.check("token-parity/smollm-135m/int4/completion")
    assert confident["status"] == "PASS" and confident["divergence"]["class"] == "confident", confident
    assert confident["divergence"]["margin_nats"] is None
    assert "got 99999 (not in the oracle's top 20) \u2014 confident" in confident["detail"]
    parity = r.check("logit-parity/smollm-135m/int4.apr/completion")
    assert parity["status"] == "FAIL" and "beyond the near-tie bound of 6 nats" in parity["detail"], parity

    # the other prompts agree: no divergence object, logit-parity passes
    clean = r.check("token-parity/smollm-135m/int8/code")
    assert clean["status"] == "PASS" and "divergence" not in clean, clean
    assert r.check("logit-parity/smollm-135m/q8_0.gguf/code")["detail"] == "all 32 tokens agree with the oracle's"
    # the console says each check's sentence once, in its detail (two suites, two artefacts)
    assert r.out.count("first divergence at token 4") == 4, r.out


def test_a_templated_prompt_voids_the_comparison(tmgt, tmp_path):
    # apr's GGUF path applying a chat template: the oracle's ids inside more
    pipeline = pipeline_with(tmgt, tmp_path, margins_oracle(tmp_path), ["--chat"])
    r = run(tmgt, pipeline, "prompt-tokens", "cross-runtime", "logit-parity")
    assert r.rc == 1, r.err
    prompt = r.check("prompt-tokens/smollm-135m/q8_0.gguf/completion")
    assert prompt["status"] == "FAIL", prompt
    assert prompt["detail"] == ("the oracle's 5 prompt ids appear inside apr's 13 at offset 3: "
                                "a chat template was applied"), prompt
    cross = r.check("cross-runtime/smollm-135m/completion")
    assert cross["status"] == "FAIL" and cross["divergence"]["class"] == "prompt-mismatch", cross
    assert "prompt-mismatch: the token comparison is void" in cross["detail"]
    assert cross["divergence"]["prompt"] == {"verdict": "templated", "oracle_ids": 5, "engine_ids": 13,
                                             "offset": 3}
    parity = r.check("logit-parity/smollm-135m/q8_0.gguf/greeting")
    assert parity["status"] == "FAIL" and "read another prompt" in parity["detail"], parity
    # .apr runs report a count only, and theirs is the oracle's
    apr = r.check("prompt-tokens/smollm-135m/int8.apr/completion")
    assert apr["status"] == "PASS" and apr["detail"] == "the prompt matches: 5 ids, as the oracle's", apr
    assert r.check("logit-parity/smollm-135m/int8.apr/completion")["status"] == "PASS"


def test_a_prompt_with_an_extra_id_or_one_id_dropped_is_named(tmgt, tmp_path):
    def edit(prompt, doc):
        if prompt == "code":
            doc["prompt_tokens"] = doc["prompt_tokens"][1:]  # apr then reads one more, at 0
        if prompt == "greeting":
            doc["prompt_tokens"] = doc["prompt_tokens"] + [77]
    pipeline = pipeline_with(tmgt, tmp_path, margins_oracle(tmp_path, edit))
    r = run(tmgt, pipeline, "prompt-tokens")
    assert r.rc == 1
    extra = r.check("prompt-tokens/smollm-135m/q8_0.gguf/code")
    assert extra["status"] == "FAIL" and extra["detail"].startswith("an extra BOS at 0"), extra
    dropped = r.check("prompt-tokens/smollm-135m/q8_0.gguf/greeting")
    assert dropped["status"] == "FAIL" and "ids the oracle fed were left out" in dropped["detail"], dropped
    counted = r.check("prompt-tokens/smollm-135m/int4.apr/greeting")
    assert counted["status"] == "FAIL" and "reports a count, not the ids" in counted["detail"], counted
    assert r.check("prompt-tokens/smollm-135m/q8_0.gguf/completion")["status"] == "PASS"


def test_an_engine_that_fails_although_its_tokens_agree_is_an_engine_error(tmgt, tmp_path):
    pipeline = pipeline_with(tmgt, tmp_path, margins_oracle(tmp_path))
    r = run(tmgt, pipeline, "token", "logit-parity", "prompt-tokens", faults=f"run@int8.apr {COMPLETION}=status:8")
    assert r.rc == 1
    token = r.check("token-parity/smollm-135m/int8/completion")
    assert token["status"] == "FAIL" and "exit 8" in token["detail"], token
    assert "apr failed although its 32 tokens agree with the oracle's \u2014 engine-error" in token["detail"]
    assert token["divergence"]["class"] == "engine-error" and token["divergence"]["index"] is None
    parity = r.check("logit-parity/smollm-135m/int8.apr/completion")
    assert parity["status"] == "FAIL" and parity["divergence"]["class"] == "engine-error", parity
    # what it read is still judged: the prompt was the oracle's
    assert r.check("prompt-tokens/smollm-135m/int8.apr/completion")["status"] == "PASS"


def test_a_text_that_differs_only_by_whitespace_says_so_with_its_tokens(tmgt, tmp_path):
    pipeline = pipeline_with(tmgt, tmp_path, margins_oracle(tmp_path))
    text = json.loads((ROOT / "oracle/smollm-135m/completion.json").read_text())["text"]
    r = run(tmgt, pipeline, "canary", faults=f"run@int8.apr {COMPLETION}=set:text={json.dumps(text.strip())}")
    check = r.check("canary/smollm-135m/completion")
    assert check["status"] == "FAIL", check
    assert check["detail"] == ("text mismatch: only leading or trailing whitespace differs, "
                               "and the tokens agree with the oracle's"), check
    assert check["divergence"]["whitespace_only"] is True

    r = run(tmgt, pipeline, "canary",
            faults=f"run@int8.apr {COMPLETION}=set:text={json.dumps(text.strip())},alter-token:6")
    check = r.check("canary/smollm-135m/completion")
    assert check["status"] == "FAIL" and "first divergence at token 6" in check["detail"], check
    assert check["divergence"]["class"] == "near-tie" and check["divergence"]["text"]["index"] == 0


def test_an_oracle_without_margins_degrades_and_says_so_once(tmgt):
    r = tmgt.run("--model", "smollm-135m", "--check", "token", "--check", "logit-parity", "-j2",
                 env=tmgt.env(APR_SIM_FAULTS=f"run@int8.apr {COMPLETION}=alter-token:4"))
    assert r.rc == 0, r.err
    check = r.check("token-parity/smollm-135m/int8/completion")
    assert check["detail"] == "1/3 mismatches" and check["divergence"]["class"] is None, check
    # tokens that agree need no margins; a divergence without them cannot be judged, nor failed
    parity = {c["name"]: c["status"] for c in r.results["checks"] if c["suite"] == "logit-parity"}
    assert len(parity) == 24 and parity.pop("logit-parity/smollm-135m/int8.apr/completion") == "SKIP"
    assert set(parity.values()) == {"PASS"}
    assert r.out.count("records no margins") == 1, r.out
    assert r.results["models"][0]["oracle"]["margins"] is False


def test_prompt_tokens_is_selected_by_its_name(tmgt, tmp_path):
    pipeline = pipeline_with(tmgt, tmp_path, margins_oracle(tmp_path))
    r = tmgt.run("--model", "smollm-135m", "--check", "prompt-tokens", pipeline=pipeline)
    assert r.rc == 0, r.err
    names = sorted(c["name"] for c in r.results["checks"] if c["suite"] != "convert")
    artefacts = ("int4.apr", "int8.apr", "q8_0.gguf",
                 "f16.gguf@llama.cpp", "q8_0.gguf@llama.cpp", "q4_0.gguf@llama.cpp")
    assert names == sorted(f"prompt-tokens/smollm-135m/{a}/{p}" for a in artefacts for p in PROMPTS)
    assert all(c["status"] == "PASS" for c in r.results["checks"])
    # one engine call per artefact and prompt: apr with --logprobs on the GGUF only, the probe
    runs = [call for call in tmgt.engine_calls() if call[1] == "run"]
    assert len(runs) == 12
    assert all(("--logprobs" in call) == call[2].endswith(".gguf") for call in runs), runs
    assert len([call for call in tmgt.engine_calls() if call[0] == "llama-probe-sim" and "-m" in call]) == 12


def test_llama_cpp_through_the_probe_is_judged_by_its_own_bound(tmgt, tmp_path):
    pipeline = pipeline_with(tmgt, tmp_path, margins_oracle(tmp_path))
    faults = f"probe@q4_0.gguf -p {COMPLETION}=alter-token:2:99999;probe@q8_0.gguf -p {COMPLETION}=alter-token:2"
    r = run(tmgt, pipeline, "logit-parity", faults=faults)
    assert r.rc == 1
    q4 = r.check("logit-parity/smollm-135m/q4_0.gguf@llama.cpp/completion")
    assert q4["status"] == "FAIL" and q4["divergence"]["class"] == "confident", q4
    assert "got 99999 (not in the oracle's top 20)" in q4["detail"]
    assert "expected" in q4["detail"] and "in llama-probe's top 20" in q4["detail"], q4  # vLLM's cross check
    q8 = r.check("logit-parity/smollm-135m/q8_0.gguf@llama.cpp/completion")
    assert q8["status"] == "PASS" and q8["divergence"]["near_tie_nats"] == 0.5, q8
    assert r.check("logit-parity/smollm-135m/f16.gguf@llama.cpp/completion")["status"] == "PASS"


BAD_LOGPROBS = {
    "a step missing": ("del:logprobs.steps.3", "logprobs.steps"),
    "NaN": ("set:logprobs.steps.2.top.1.logprob=NaN", "logprobs.steps[2].top[1].logprob"),
    "unsorted": ("set:logprobs.steps.2.top.1.logprob=-0.01", "logprobs.steps[2].top[1]"),
}


def test_bad_engine_logprobs_fail_naming_the_field_never_pass(tmgt, tmp_path):
    pipeline = pipeline_with(tmgt, tmp_path, margins_oracle(tmp_path))
    for why, (fault, field) in BAD_LOGPROBS.items():
        r = run(tmgt, pipeline, "logit-parity", "prompt-tokens", "cross-runtime",
                faults=f"run@q8_0.gguf {COMPLETION}={fault}")
        assert r.rc == 1, (why, r.err)
        for name in ("logit-parity/smollm-135m/q8_0.gguf/completion",
                     "prompt-tokens/smollm-135m/q8_0.gguf/completion", "cross-runtime/smollm-135m/completion"):
            check = r.check(name)
            assert check["status"] == "FAIL", (why, check)
            assert check["detail"].startswith(f"apr run output {field}"), (why, check)


BAD_ORACLES = {
    "prompt ids not ints": (lambda doc: doc.update(prompt_tokens=[1, "two", 3]), "prompt_tokens[1]: not an integer"),
    "prompt ids not a list": (lambda doc: doc.update(prompt_tokens="1 2 3"),
                              "prompt_tokens: not a list of token ids"),
    "top short": (lambda doc: doc["top_logprobs"].pop(), "top_logprobs: 31 positions for 32 tokens"),
    "top not the token": (lambda doc: doc["top_logprobs"][3].reverse(), "top_logprobs[3]"),
    "NaN": (lambda doc: doc["top_logprobs"][2][1].update(logprob=float("nan")), "is not a finite number"),
}


@pytest.mark.parametrize("why", list(BAD_ORACLES))
def test_a_bad_oracle_margin_stops_the_run_naming_the_file_and_field(tmgt, tmp_path, why):
    spoil, message = BAD_ORACLES[why]

    def edit(prompt, doc):
        if prompt == "code":
            spoil(doc)
    oracle = margins_oracle(tmp_path, edit)
    r = run(tmgt, pipeline_with(tmgt, tmp_path, oracle), "prompt-tokens")
    assert r.rc == 3, (why, r.err)
    assert str(oracle / "code.json") in r.err and message in r.err, (why, r.err)
    assert tmgt.engine_calls() == [] or all(c[1:] == ["--version"] for c in tmgt.engine_calls())


def ladder_pipeline(tmgt, tmp_path):
    """The margins pipeline with the float32 rung of pipeline/default.json: apr's import without
    quantization beside the quantized artefacts."""
    path = pipeline_with(tmgt, tmp_path, margins_oracle(tmp_path))
    doc = json.loads(path.read_text())
    doc["artifacts"]["f32.apr"] = {"step": "reimport", "inputs": {"src": "@source"}}
    path.write_text(json.dumps(doc))
    return path


def test_logit_parity_places_a_divergence_by_the_peer_and_the_float32_rung(tmgt, tmp_path):
    pipeline = ladder_pipeline(tmgt, tmp_path)
    # int8 leaves the oracle where apr's float32 import does not; int4 where it already does
    faults = (f"run@int8.apr {COMPLETION}=alter-token:4:99999;run@int4.apr {COMPLETION}=alter-token:4:99999;"
              f"run@f32.apr {COMPLETION}=alter-token:2:99999")
    r = run(tmgt, pipeline, "logit-parity", faults=faults)
    assert r.rc == 1, r.err
    n = len(json.loads((ROOT / "oracle/smollm-135m/completion.json").read_text())["tokens"])

    int8 = r.check("logit-parity/smollm-135m/int8.apr/completion")
    assert int8["status"] == "FAIL" and int8["divergence"]["index"] == 4, int8
    assert int8["detail"].endswith(
        f"; beside it, llama.cpp on q8_0.gguf stays on the oracle's path through all {n} tokens; apr on f32.apr "
        "leaves it at token 2 (confident), so the divergence is there before quantization"), int8["detail"]
    assert [(b["role"], b["engine"], b["artifact"], b["index"], b["class"]) for b in int8["beside"]] == [
        ("peer", "llama.cpp", "q8_0.gguf", None, None), ("float32", "apr", "f32.apr", 2, "confident")]
    # each query is an action the check read: the peer's probe and the float32 run
    assert len(int8["actions"]) == 3, int8["actions"]

    int4 = r.check("logit-parity/smollm-135m/int4.apr/greeting")
    assert int4["status"] == "PASS" and "beside it" not in int4["detail"], int4  # agreeing: figures only
    assert [b["artifact"] for b in int4["beside"]] == ["q4_0.gguf", "f32.apr"]

    # the float32 rung has its own checks, its peer llama.cpp's f16 GGUF, and is not placed further
    f32 = r.check("logit-parity/smollm-135m/f32.apr/completion")
    assert f32["status"] == "FAIL" and f32["detail"].endswith(
        f"beside it, llama.cpp on f16.gguf stays on the oracle's path through all {n} tokens"), f32

    # the Markdown report's ladder: one row per artefact, one column per prompt
    md = tmgt.run("report", "--format", "md")
    assert md.rc == 0, md.err
    rows = {line.split(" | ")[0].lstrip("| "): line for line in md.out.splitlines() if line.startswith("| ")}
    assert rows["int8.apr"] == ("| int8.apr | agrees | agrees | **confident** @4 (not in top 20) | agrees |"), md.out
    assert rows["f32.apr"] == ("| f32.apr | agrees | agrees | **confident** @2 (not in top 20) | agrees |"), md.out
    assert rows["f16.gguf@llama.cpp"].count("agrees") == 4, md.out


def test_int8_quantization_alone_is_named_when_the_float32_rung_agrees(tmgt, tmp_path):
    r = run(tmgt, ladder_pipeline(tmgt, tmp_path), "logit-parity",
            faults=f"run@int8.apr {COMPLETION}=alter-token:4:99999")
    int8 = r.check("logit-parity/smollm-135m/int8.apr/completion")
    assert int8["status"] == "FAIL" and int8["detail"].endswith(", so the divergence comes with quantization"), int8
    # the seed's pipeline has no float32 rung: the check reads its own run and the peer's only
    plain = run(tmgt, pipeline_with(tmgt, tmp_path, margins_oracle(tmp_path)), "logit-parity",
                faults=f"run@int8.apr {COMPLETION}=alter-token:4:99999")
    beside = plain.check("logit-parity/smollm-135m/int8.apr/completion")["beside"]
    assert [b["role"] for b in beside] == ["peer"], beside
    assert not any("f32" in c["name"] for c in plain.results["checks"])
