"""No shell between tmgt and an engine, no file name that escapes its directory, no
world-writable cache file, no token in anything tmgt writes."""
import os
import stat

import pytest

from faultlib import CANARY, pipeline_with

INSPECT = ("--model", "smollm-135m", "--check", "inspect")
TOKEN = "hf_rel7SecretTokenValue0123456789"


def test_engine_arguments_reach_the_engine_verbatim_without_a_shell(tmgt):
    canary = tmgt.tmp / "shell-ran"
    hostile = (f"$(touch {canary}) `touch {canary}` ; touch {canary} | cat > {canary} && "
               "'single' \"double\" * ? ~ \\ \n newline $HOME")
    pipeline = pipeline_with(tmgt, lambda doc: (
        doc["models"][0]["vars"].update(hostile=hostile),
        doc["steps"]["inspect"].update(argv=["inspect", "{in:model}", "--json", "--label={hostile}"])))
    tmgt.run(*INSPECT, pipeline=pipeline)
    inspects = [c for c in tmgt.engine_calls() if c[1:2] == ["inspect"]]
    assert inspects and all(c[-1] == f"--label={hostile}" for c in inspects)
    assert not canary.exists()


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["artifacts"].update({"../../escape.apr": d["artifacts"]["int8.apr"]}),
     "artifacts.../../escape.apr: an artefact name must be a plain file name"),
    (lambda d: d["artifacts"].update({"sub/x.apr": d["artifacts"]["int8.apr"]}),
     "artifacts.sub/x.apr: an artefact name must be a plain file name"),
    (lambda d: d["models"][0].update(slug="../evil"),
     "models[0]: slug must be a plain name (no '/', not starting with '.')"),
    (lambda d: d["prompts"].update(names=["../../etc/passwd"]), "prompts.names[0]: must be a prompt file stem"),
], ids=["artefact-dotdot", "artefact-subdir", "slug-dotdot", "prompt-dotdot"])
def test_names_from_a_pipeline_cannot_escape_their_directory(tmgt, mutate, message):
    bad = pipeline_with(tmgt, mutate)
    r = tmgt.run(*CANARY, pipeline=bad)
    assert r.rc == 3
    assert r.err.strip() == f"tmgt: {bad}: {message}"
    assert not (tmgt.tmp / "escape.apr").exists() and not (tmgt.tmp / "evil").exists()


@pytest.mark.parametrize("source", ["hf://org/../../etc", "hf://../x/y", "hf://org/.hidden", "hf://org/name@../../main",
                                    "hf://org"])
def test_hub_sources_that_could_escape_the_hub_cache_are_refused(tmgt, source):
    bad = pipeline_with(tmgt, lambda d: d["models"][0].update(source=source))
    r = tmgt.run(*CANARY, pipeline=bad)
    assert r.results is not None
    conv = r.check("convert/smollm-135m/int8.apr")
    assert conv["status"] == "SKIP"
    assert f'invalid model source "{source}" (expected hf://ORG/NAME[@REV])' in conv["detail"]


def test_cache_and_results_are_never_world_writable_even_under_umask_0(tmgt):
    p = tmgt.popen(*CANARY, env=tmgt.env(), preexec_fn=lambda: os.umask(0))
    _, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    p = tmgt.popen(*CANARY, env=tmgt.env(APR_SIM_FAULTS="run@code=crash:SEGV"), preexec_fn=lambda: os.umask(0))
    p.communicate(timeout=120)
    writable, blobs = [], 0
    for top in (tmgt.cache, tmgt.results, tmgt.tmp / "models"):
        for dirpath, dirnames, filenames in os.walk(top):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                mode = os.lstat(path).st_mode
                if mode & stat.S_IWOTH:
                    writable.append((path, oct(mode)))
                if "/cas/" in path and stat.S_ISREG(mode):
                    blobs += 1
                    assert mode & 0o222 == 0, path  # blobs are immutable
    assert blobs > 0
    assert writable == []


def test_hf_token_never_reaches_results_logs_tickets_or_the_cache(tmgt):
    env = tmgt.env(HF_TOKEN=TOKEN, HUGGING_FACE_HUB_TOKEN=TOKEN,
                   APR_SIM_FAULTS=f"run@code=crash:SEGV;run@greeting=exit:1:401 Unauthorized for {TOKEN}")
    r = tmgt.run(*CANARY, "-v", env=env)
    assert r.results is not None
    # an engine that echoes the token has it replaced before anything judges or stores it
    assert r.checks()["canary/smollm-135m/greeting"] == (
        "FAIL", "apr run failed (exit 1): error: 401 Unauthorized for [HF_TOKEN]")
    written = [r.out, r.err]
    for command in (("report",), ("report", "--format", "html"), ("report", "--format", "junit"),
                    ("report", "--format", "md"), ("ticket",), ("plan", "--explain", *CANARY)):
        p = tmgt.popen(*command, env=env)
        out, err = p.communicate(timeout=60)
        written += [out, err]
    for top in (tmgt.cache, tmgt.results):
        for dirpath, _, filenames in os.walk(top):
            for name in filenames:
                with open(os.path.join(dirpath, name), "rb") as f:
                    written.append(f.read().decode("utf-8", "replace"))
    assert len(written) > 20
    assert not [w for w in written if TOKEN in w]
