"""llama.cpp's teacher-forced figures in logit-parity: tools/llama-probe,
given the model's oracle file (`{oracle}`, an input of its action key), forces the oracle's
tokens through llama.cpp in the same invocation that serves the checks, and logit-parity
reports what llama-perplexity --kl-divergence would: KLD mean and p99 (lower bounds: the
oracle keeps its top 20), same top-1 rate and RMS Δp. They inform; a malformed figure FAILs.

The simulator's teacher-forced distribution is the oracle's own, except where it chooses another
token (alter-token): there the two tokens trade probabilities (tests/sim/teacher_forced.c). The
margins oracle of test_verdicts lists, at each position, the token at logprob −0.1 and id + j at
−0.1 − 0.25 j."""
import json
import math

import pytest

from conftest import ROOT
from test_verdicts import COMPLETION, margins_oracle, pipeline_with, run

PROBE_ARTEFACTS = ("f16.gguf", "q8_0.gguf", "q4_0.gguf")


def traded(p_lp, q_lp, n=32):
    """KLD mean, same top-1 and RMS Δp when one of n positions trades logprob p_lp for q_lp."""
    p, q = math.exp(p_lp), math.exp(q_lp)
    return (p - q) * (p_lp - q_lp) / n, (n - 1) / n, abs(q - p) / math.sqrt(n)


def probe_calls(tmgt):
    return [c for c in tmgt.engine_calls() if c[0] == "llama-probe-sim" and "-m" in c]


def test_the_probe_run_reports_teacher_forced_figures(tmgt, tmp_path):
    oracle = margins_oracle(tmp_path)
    faults = f"probe@q8_0.gguf -p {COMPLETION}=alter-token:4;probe@q4_0.gguf -p {COMPLETION}=alter-token:2:99999"
    r = run(tmgt, pipeline_with(tmgt, tmp_path, oracle), "logit-parity", "prompt-tokens", faults=faults)
    assert r.rc == 1, r.err  # q4_0's confident divergence, as without the figures

    # one probe call per artefact and prompt, given the prompt's oracle, serves both suites
    calls = probe_calls(tmgt)
    assert len(calls) == 12, calls
    by_prompt = {c[c.index("-p") + 1]: c[c.index("--teacher-oracle") + 1] for c in calls}
    assert by_prompt[COMPLETION] == str(oracle / "completion.json"), by_prompt

    f16 = r.check("logit-parity/smollm-135m/f16.gguf@llama.cpp/completion")
    assert f16["status"] == "PASS", f16
    assert f16["teacher_forced"] == {"positions": 32, "kld_mean": 0, "kld_p99": 0, "kld_max": 0,
                                     "same_top1": 1, "rms_dp": 0, "kld_lower_bound": True}, f16
    assert f16["detail"] == ("all 32 tokens agree with the oracle's; teacher-forced over 32 positions: "
                             "KLD mean 0 (p99 0; lower bounds), same top-1 100.0%, RMS \u0394p 0%"), f16

    q8 = r.check("logit-parity/smollm-135m/q8_0.gguf@llama.cpp/completion")
    kld, same, rms = traded(-0.1, -0.35)
    tf = q8["teacher_forced"]
    assert q8["status"] == "PASS" and q8["divergence"]["class"] == "near-tie", q8
    assert tf["positions"] == 32 and math.isclose(tf["kld_mean"], kld) and math.isclose(tf["kld_max"], 32 * kld)
    assert tf["kld_p99"] == tf["kld_max"] and tf["same_top1"] == same and math.isclose(tf["rms_dp"], rms), tf
    assert ("the tokens agree up to a near-tie; teacher-forced over 32 positions: KLD mean 0.0016 "
            "(p99 0.05; lower bounds), same top-1 96.9%, RMS \u0394p 3.5%") in q8["detail"], q8

    q4 = r.check("logit-parity/smollm-135m/q4_0.gguf@llama.cpp/completion")
    kld, same, rms = traded(-0.1, -0.1 - 0.25 * 19)  # 99999 is unlisted: the least listed probability
    assert q4["status"] == "FAIL" and q4["divergence"]["class"] == "confident", q4
    assert math.isclose(q4["teacher_forced"]["kld_mean"], kld) and q4["teacher_forced"]["same_top1"] == same
    assert "teacher-forced over 32 positions: KLD mean 0.13 (p99 4.3; lower bounds)" in q4["detail"], q4

    # the console says the figures in words; apr gives no teacher-forced pass, prompt-tokens reads none
    assert r.out.count("teacher-forced over 32 positions") == 12, r.out
    assert "teacher_forced" not in r.check("logit-parity/smollm-135m/q8_0.gguf/completion")
    assert "teacher_forced" not in r.check("prompt-tokens/smollm-135m/q8_0.gguf@llama.cpp/completion")


def test_an_oracle_without_margins_gives_no_figures(tmgt):
    r = tmgt.run("--model", "smollm-135m", "--check", "logit-parity", "-j2")
    assert r.rc == 0, r.err
    probed = [c for c in r.results["checks"] if c["name"].endswith("@llama.cpp/completion")]
    assert len(probed) == 3 and all(c["status"] == "PASS" and "teacher_forced" not in c for c in probed), probed
    assert all("--teacher-oracle" in c for c in probe_calls(tmgt))
    assert "teacher-forced" not in r.out


def test_an_edited_oracle_runs_the_probe_again_for_its_prompt_only(tmgt, tmp_path):
    oracle = margins_oracle(tmp_path)
    pipeline = pipeline_with(tmgt, tmp_path, oracle)
    args = ("--model", "smollm-135m", "--check", "logit-parity")
    first = tmgt.run(*args, pipeline=pipeline)
    assert first.rc == 0, first.err
    assert tmgt.run(*args, pipeline=pipeline).results["actions_executed"] == 0
    doc = json.loads((oracle / "code.json").read_text())
    doc["top_logprobs"][7][19]["logprob"] -= 0.5  # the figures change, not the tokens
    (oracle / "code.json").write_text(json.dumps(doc))
    tmgt.log.unlink()
    again = tmgt.run(*args, pipeline=pipeline)
    assert again.rc == 0, again.err
    calls = probe_calls(tmgt)
    assert len(calls) == 3 and all(c[c.index("--teacher-oracle") + 1] == str(oracle / "code.json") for c in calls)
    assert again.results["actions_executed"] == 3, again.results["actions_executed"]


BAD_FIGURES = {
    "NaN": ("set:teacher_forced.summary.kld_mean=NaN", "teacher_forced.summary.kld_mean: not a finite number"),
    "null": ("set:teacher_forced.summary.rms_delta_p=null", "teacher_forced.summary.rms_delta_p: not a finite"),
    "missing": ("del:teacher_forced.summary.kld_p99", "teacher_forced.summary.kld_p99: missing"),
    "negative": ("set:teacher_forced.summary.kld_max=-0.5", "teacher_forced.summary.kld_max: -0.5 is outside"),
    "a rate above 1": ("set:teacher_forced.summary.same_top_p=1.5", "teacher_forced.summary.same_top_p: 1.5"),
    "positions": ("set:teacher_forced.summary.n=31", "teacher_forced.summary.n: 31 positions for the oracle's 32"),
    "other tokens": ("set:teacher_forced.tokens=[1,2,3]", "teacher_forced.tokens: not the oracle's 32 tokens"),
    "not an object": ("set:teacher_forced.summary=7", "teacher_forced.summary: not an object"),
}


@pytest.mark.parametrize("why", list(BAD_FIGURES))
def test_a_malformed_figure_fails_naming_the_field_never_passes(tmgt, tmp_path, why):
    fault, message = BAD_FIGURES[why]
    pipeline = pipeline_with(tmgt, tmp_path, margins_oracle(tmp_path))
    r = run(tmgt, pipeline, "logit-parity", "prompt-tokens", faults=f"probe@q8_0.gguf -p {COMPLETION}={fault}")
    assert r.rc == 1, (why, r.err)
    check = r.check("logit-parity/smollm-135m/q8_0.gguf@llama.cpp/completion")
    assert check["status"] == "FAIL" and check["detail"].startswith(f"llama-probe output {message}"), (why, check)
    assert "teacher_forced" not in check
    # the same run's other readers, and the other prompts, are judged as before
    assert r.check("prompt-tokens/smollm-135m/q8_0.gguf@llama.cpp/completion")["status"] == "PASS"
    assert r.check("logit-parity/smollm-135m/q8_0.gguf@llama.cpp/code")["status"] == "PASS"
