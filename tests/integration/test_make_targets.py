"""The original harness's entry points (make pull, convert, check, ticket) are thin
targets over tmgt on pipeline/default.json, with the engines the ci/ scripts install on PATH."""
import os
import re
import subprocess

from conftest import BUILD, ROOT, TMGT

ENGINES_PATH = f'PATH="{ROOT}/third_party/bin:$HOME/.cargo/bin:$PATH"'
SETUP = ["ci/install-llamacpp.sh", "ci/setup-oracle.sh", "ci/setup-fixture.sh", "ci/install-apr.sh"]


def outside_make(env):
    """The environment without an enclosing make's flags (make test runs these tests)."""
    return {k: v for k, v in env.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


def dry_run(target):
    r = subprocess.run(["make", "-n", target, f"BUILD={BUILD}"], cwd=ROOT, capture_output=True, text=True,
                       env=outside_make(os.environ))
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def test_each_entry_point_runs_its_tmgt_command_on_the_default_pipeline():
    for target, command, needs_engines in (("pull", " pull", False), ("convert", " convert", True),
                                           ("check", "", True), ("ticket", " ticket", False)):
        lines = dry_run(target)
        assert lines[-1] == f"{ENGINES_PATH} {BUILD}/tmgt --pipeline pipeline/default.json{command}", target
        assert [line for line in lines if line in SETUP] == (SETUP if needs_engines else []), target
        assert ("ci/setup-deps.sh" in lines) == (target != "ticket"), target


def test_make_ticket_writes_the_last_runs_ticket(tmgt):
    faults = "run@int4=" + ",".join(f"alter-token:{i}" for i in range(6))  # int4 parity fails
    first = tmgt.run("--model", "smollm-135m", "--check", "token", env=tmgt.env(APR_SIM_FAULTS=faults))
    assert first.rc == 1, first.err
    made = subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"), "ticket", f"BUILD={BUILD}"],
                          cwd=tmgt.tmp, capture_output=True, text=True, env=outside_make(tmgt.env()))
    direct = subprocess.run([str(TMGT), "ticket"], cwd=tmgt.tmp, capture_output=True, text=True, env=tmgt.env())
    assert made.returncode == direct.returncode == 0, made.stderr
    assert "token-parity/smollm-135m/int4/" in made.stdout
    assert made.stdout.splitlines()[-len(direct.stdout.splitlines()):] == direct.stdout.splitlines()


def test_phony_lists_every_target():
    text = (ROOT / "Makefile").read_text()
    phony = set(re.search(r"^\.PHONY:(.*)$", text, re.M).group(1).split())
    targets = {m for m in re.findall(r"^([A-Za-z][\w-]*):(?![=])", text, re.M)}
    assert phony == targets
