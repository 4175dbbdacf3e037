"""--executor slurm on a one-node cluster of Debian's slurm-wlm (ci/setup-slurm.sh): the simulator
matrix reaches the local runner's results, a killed job is reported as killed and not cached,
Ctrl-C leaves no job of tmgt's queued, a timeout counts a job's run time and not its wait in the
queue, a parallel bisection builds each candidate as a job, and a cluster tmgt cannot use is an
environment error."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ROOT, TMGT, Tmgt, check_table
from faultlib import CANARY, assert_cache_clean, executed
from test_bisect import BUILD, FIRST_BAD, build_intervals, commit_no, make_repo, start_args, summary, timed_build

SBIN_PATH = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
pytestmark = [pytest.mark.skipif(shutil.which("slurmctld", path=SBIN_PATH) is None,
                                 reason="slurm-wlm is not installed (ci/setup-slurm.sh installs it)"),
              pytest.mark.xdist_group("slurm")]  # one cluster, on one worker (make test)

SETUP = ROOT / "ci" / "setup-slurm.sh"
CODE = "canary/smollm-135m/code"
CODE_RUN = "apr run smollm-135m/int8.apr code"
SLURM = ("--executor", "slurm")


@pytest.fixture(scope="module")
def cluster():
    # munged wants every directory above its socket searchable by all, which pytest's are not.
    directory = Path(tempfile.mkdtemp(prefix="tmgt-slurm-"))
    directory.chmod(0o755)
    try:
        started = subprocess.run([str(SETUP), "start", str(directory)], capture_output=True, text=True,
                                 env={**os.environ, "PATH": SBIN_PATH}, timeout=120)
        assert started.returncode == 0, started.stderr
        yield {"dir": directory, **dict(line.split("=", 1) for line in started.stdout.splitlines() if "=" in line)}
    finally:
        subprocess.run([str(SETUP), "stop", str(directory)], check=True, timeout=60)
        shutil.rmtree(directory)


def slurm_env(tmgt, cluster, **extra):
    return tmgt.env(**{"SLURM_CONF": cluster["SLURM_CONF"], **extra})


def slurm(cluster, *args):
    return subprocess.run(list(args), check=True, capture_output=True, text=True,
                          env={**os.environ, "SLURM_CONF": cluster["SLURM_CONF"]}).stdout


def tmgt_jobs(cluster):
    """The names of tmgt's jobs the controller still knows (pending, running or completing)."""
    return [name for name in slurm(cluster, "squeue", "-h", "-o", "%j").split() if name.startswith("tmgt.")]


def pending_tmgt_jobs(cluster):
    return [name for name, state in (line.split() for line in slurm(cluster, "squeue", "-h", "-o", "%j %T").splitlines())
            if name.startswith("tmgt.") and state == "PENDING"]


def jobs_since(cluster, after):
    """{job id: name} of the jobs the controller has seen since job `after`, ended ones included
    (it keeps them for MinJobAge, 300 s)."""
    out = slurm(cluster, "squeue", "-h", "-t", "all", "-o", "%i %j")
    return {int(i): name for i, name in (line.split() for line in out.splitlines()) if int(i) > after}


def last_job(cluster):
    return max(jobs_since(cluster, 0), default=0)


def node_cpus(cluster):
    return int(slurm(cluster, "sinfo", "-h", "-N", "-o", "%c").split()[0])


@pytest.fixture
def node_held(cluster):
    """A job that holds all but one of the node's CPUs for 10 s: tmgt's probe still runs at once
    on the CPU left, and a step asking for every CPU waits in the queue. Yields once it runs."""
    cpus = node_cpus(cluster)
    assert cpus >= 2
    job = slurm(cluster, "sbatch", "--parsable", f"--cpus-per-task={cpus - 1}", "--job-name=holder",
                "-o", "/dev/null", "--wrap", "sleep 10").strip()
    deadline = time.monotonic() + 30
    while slurm(cluster, "squeue", "-h", "-j", job, "-o", "%T").strip() != "RUNNING":
        assert time.monotonic() < deadline, "the holding job did not start"
        time.sleep(0.1)
    yield job
    slurm(cluster, "scancel", job)


def jobs_allocated(cluster):
    log = (cluster["dir"] / "slurmctld.log").read_text()
    return len(re.findall(r"_slurm_rpc_allocate_resources JobId=\d+", log))


def assert_nothing_ran(tmgt):
    """Refused up front: no engine ran but for the version probes, no results were written."""
    assert [c for c in tmgt.engine_calls() if "--version" not in c] == []
    assert not (tmgt.results / "latest.json").exists()


def local_workspace(tmp_path):
    """A workspace of its own for the same run through the local runner."""
    (tmp_path / "local").mkdir()
    return Tmgt(tmp_path / "local")


def action(results, label):
    return next(a for a in results["actions"] if a["id"] == label)


def test_the_simulator_matrix_through_slurm_reaches_the_local_runners_results(tmgt, tmp_path, cluster):
    local = local_workspace(tmp_path)
    here = local.run("-j2")
    assert here.results is not None, here.err
    before = jobs_allocated(cluster)
    # as many jobs as the node has CPUs: more would wait in the queue for Slurm's next scheduling
    # pass (seconds each; the queue has tests of its own below)
    there = tmgt.run(*SLURM, f"-j{node_cpus(cluster)}", env=slurm_env(tmgt, cluster))
    assert there.results is not None, there.err
    assert check_table(there.results) == check_table(here.results)
    assert (there.rc, there.results["counts"]) == (here.rc, here.results["counts"])
    assert sorted((a["id"], a["status"]) for a in there.results["actions"]) == \
        sorted((a["id"], a["status"]) for a in here.results["actions"])
    # every action executed was a job of its own, and the probe one more
    assert there.results["actions_executed"] > 100
    assert jobs_allocated(cluster) - before == there.results["actions_executed"] + 1
    assert tmgt_jobs(cluster) == []
    assert_cache_clean(tmgt.cache)


@pytest.mark.parametrize("sig", ["KILL", "SEGV", "TERM"])
def test_a_job_killed_under_slurm_is_reported_as_the_local_runner_reports_it_and_not_cached(
        tmgt, tmp_path, cluster, sig):
    fault = {"APR_SIM_FAULTS": f"run@code=crash:{sig}"}
    local = local_workspace(tmp_path)
    here = local.run(*CANARY, env=local.env(**fault))
    there = tmgt.run(*SLURM, *CANARY, env=slurm_env(tmgt, cluster, **fault))
    num = getattr(signal, "SIG" + sig)
    assert there.rc == here.rc == 1
    assert there.checks()[CODE] == here.checks()[CODE] == ("FAIL", f"apr run killed by signal {num} (SIG{sig})")
    a = action(there.results, CODE_RUN)
    assert (a["status"], a["signal"], a["cached"]) == ("signal", num, False)
    again = tmgt.run(*SLURM, *CANARY, env=slurm_env(tmgt, cluster))
    assert executed(again.results) == [CODE_RUN]
    assert again.rc == 0


def test_an_exit_137_of_the_engines_own_stays_an_exit(tmgt, cluster):
    fault = slurm_env(tmgt, cluster, APR_SIM_FAULTS="run@code=exit:137")
    r = tmgt.run(*SLURM, *CANARY, env=fault)
    a = action(r.results, CODE_RUN)
    assert (a["status"], a["exit"], a.get("signal")) == ("exit", 137, None), a
    assert tmgt.run(*SLURM, *CANARY, env=fault).results["actions_executed"] == 0  # a measurement: cached


def test_a_hung_job_is_cancelled_at_its_timeout(tmgt, cluster):
    pipeline = tmgt.make_pipeline(run={"timeout_s": 4})
    r = tmgt.run(*SLURM, *CANARY, pipeline=pipeline,
                 env=slurm_env(tmgt, cluster, APR_SIM_FAULTS="run@code=hang:noterm"))
    assert r.rc == 1
    assert r.checks()[CODE] == ("TIMEOUT", "apr run timed out after 4 s (not cached)")
    assert action(r.results, CODE_RUN)["cached"] is False
    assert tmgt_jobs(cluster) == []


def whole_node_import(tmgt, cluster, **steps):
    """A pipeline whose import asks for every CPU of the node, so it waits for a holding job."""
    return tmgt.make_pipeline(**{"import": {"resources": {"cpus": node_cpus(cluster)}, "timeout_s": 2}}, **steps)


def test_a_timeout_counts_the_jobs_run_time_not_its_wait_in_the_queue(tmgt, cluster, node_held):
    """Both steps have 2 s: the import waits behind the holding job for longer than that and is
    not killed; the `code` run hangs once running and is killed 2 s into it, a TIMEOUT."""
    pipeline = whole_node_import(tmgt, cluster, run={"timeout_s": 2})
    p = tmgt.popen(*SLURM, *CANARY, pipeline=pipeline,
                   env=slurm_env(tmgt, cluster, APR_SIM_FAULTS="run@code=hang:noterm"))
    waited = []  # when a job of tmgt's was seen waiting in the queue
    while p.poll() is None:
        if pending_tmgt_jobs(cluster):
            waited.append(time.monotonic())
        time.sleep(0.1)
    out, err = p.communicate()
    results = json.loads((tmgt.results / "latest.json").read_text())
    assert action(results, "apr import → smollm-135m/int8.apr")["status"] == "ok"
    assert waited and waited[-1] - waited[0] > 3, waited  # queued longer than its timeout, and then some
    assert p.returncode == 1, err
    checks = {c["name"]: (c["status"], c["detail"]) for c in results["checks"]}
    assert checks.pop(CODE) == ("TIMEOUT", "apr run timed out after 2 s (not cached)")
    assert {status for status, _ in checks.values()} == {"PASS"}, checks
    assert action(results, CODE_RUN)["cached"] is False
    assert tmgt_jobs(cluster) == []
    again = tmgt.run(*SLURM, *CANARY, pipeline=pipeline, env=slurm_env(tmgt, cluster))
    assert (again.rc, executed(again.results)) == (0, [CODE_RUN])


def test_ctrl_c_cancels_a_job_waiting_in_the_queue(tmgt, cluster, node_held):
    p = tmgt.popen(*SLURM, *CANARY, pipeline=whole_node_import(tmgt, cluster), env=slurm_env(tmgt, cluster))
    deadline = time.monotonic() + 30
    while not pending_tmgt_jobs(cluster):
        assert time.monotonic() < deadline and p.poll() is None, "no job of tmgt's waited in the queue"
        time.sleep(0.1)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert tmgt_jobs(cluster) == []
    results = json.loads((tmgt.results / "latest.json").read_text())
    assert action(results, "apr import → smollm-135m/int8.apr")["status"] == "interrupted"
    assert_cache_clean(tmgt.cache)


@pytest.mark.parametrize("parallel", [1, 2])
def test_a_bisection_builds_each_candidate_as_a_job_and_reaches_the_local_serial_answer(
        tmgt, tmp_path, cluster, parallel):
    """`tmgt --executor slurm bisect --parallel N`: the builds go through the same runner as the
    engines, so each is a Slurm job (and the checks' engines are jobs as well)."""
    repo = make_repo(tmp_path / "engine")
    local = local_workspace(tmp_path)
    serial = local.run("bisect", *start_args(repo))
    assert serial.rc == 0, serial.err
    expected = commit_no(repo, summary(local)["first_bad"]["commit"])
    assert expected == FIRST_BAD

    log = tmp_path / "builds.log"
    args = list(start_args(repo, "--parallel", str(parallel)))
    args[args.index(BUILD)] = f'echo "slurm job $SLURM_JOB_ID"; {timed_build(log)}'
    before = last_job(cluster)
    r = tmgt.run(*SLURM, "bisect", *args, env=slurm_env(tmgt, cluster))
    assert r.rc == 0, r.err
    doc = summary(tmgt)
    assert commit_no(repo, doc["first_bad"]["commit"]) == expected
    assert doc["parallel"] == parallel
    if parallel == 1:  # the same commits tested, in the same order
        assert [s["commit"] for s in doc["steps"]] == [s["commit"] for s in summary(local)["steps"]]
    else:
        assert doc["rounds"] < summary(local)["rounds"]
    for step in doc["steps"]:
        assert step["verdict"] == ("bad" if commit_no(repo, step["commit"]) >= FIRST_BAD else "good"), step

    jobs = jobs_since(cluster, before)
    builds = {i for i, name in jobs.items() if name.startswith("tmgt.build.")}
    # each build ran inside its own job: the id its log prints is one of tmgt's build jobs
    logged = set()
    for step in doc["steps"]:
        text = (tmgt.cache / "bisect" / "logs" / f"{step['tree']}.log").read_text()
        logged.add(int(re.search(r"^slurm job (\d+)$", text, re.M).group(1)))
    assert logged == builds and len(builds) == doc["builds"] == len(doc["steps"])
    # with a node each (--exclusive), the one node built one candidate at a time
    spans = sorted((t["start"], t["end"]) for t in build_intervals(log).values())
    assert all(end <= start for (_, end), (start, _) in zip(spans, spans[1:])), spans
    # the candidates' checks ran through Slurm too: a job per action executed, and one probe
    # for the builds and one for each candidate's `tmgt check`
    engine_jobs = [n for n in jobs.values() if n.startswith(("tmgt.import.", "tmgt.run."))]
    assert len(engine_jobs) == doc["actions_executed"] > 0
    assert len([n for n in jobs.values() if n.startswith("tmgt.probe.")]) == 1 + len(doc["steps"])
    assert tmgt_jobs(cluster) == []


def test_ctrl_c_cancels_every_job_tmgt_submitted(tmgt, cluster):
    p = tmgt.popen(*SLURM, "-j2", env=slurm_env(tmgt, cluster, APR_SIM_FAULTS="import=delay:60000"))
    deadline = time.monotonic() + 60
    while len([j for j in tmgt_jobs(cluster) if j.startswith("tmgt.import.")]) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len([j for j in tmgt_jobs(cluster) if j.startswith("tmgt.import.")]) == 2
    interrupted = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert time.monotonic() - interrupted < 20  # the jobs were cancelled, not waited for
    assert tmgt_jobs(cluster) == []
    results = json.loads((tmgt.results / "latest.json").read_text())
    imports = [a for a in results["actions"] if a["step"] == "import"]
    assert imports and {a["status"] for a in imports} == {"interrupted"}
    assert_cache_clean(tmgt.cache)


@pytest.mark.parametrize("resources, refusal", [
    ({"partition": "gpu"}, "Invalid partition name specified"),
    ({"gres": "gpu:1"}, "Invalid generic resource (gres) specification"),
    ({"partition": "ci", "cpus": 1}, None),
])
def test_a_steps_resources_place_its_jobs(tmgt, cluster, resources, refusal):
    """The step's resources reach srun: what the cluster lacks fails that step as a job that never
    ran (not as the engine's exit, and not cached); what it has runs."""
    pipeline = tmgt.make_pipeline(run={"resources": resources})
    r = tmgt.run(*SLURM, *CANARY, pipeline=pipeline, env=slurm_env(tmgt, cluster))
    a = action(r.results, CODE_RUN)
    if refusal:
        assert (a["status"], a["cached"]) == ("spawn-error", False), a
        assert refusal in a["reason"]
    else:
        assert r.rc == 0, r.err
    assert action(r.results, "apr import → smollm-135m/int8.apr")["status"] == "ok"


def test_a_cluster_tmgt_cannot_use_is_an_environment_error(tmgt, cluster, tmp_path):
    conf = tmp_path / "slurm.conf"
    conf.write_text(re.sub(r"(?m)^SlurmctldPort=\d+", "SlurmctldPort=1", open(cluster["SLURM_CONF"]).read()))
    r = tmgt.run(*SLURM, *CANARY, env=slurm_env(tmgt, cluster, SLURM_CONF=conf))
    assert r.rc == 3
    assert "tmgt: --executor slurm: the cluster did not run a test job: srun: error: Unable to allocate " \
           "resources: Unable to contact slurm controller" in r.err
    assert_nothing_ran(tmgt)
    missing = tmgt.run(*SLURM, *CANARY, env=slurm_env(tmgt, cluster, SLURM_CONF=tmp_path / "none.conf"))
    assert (missing.rc, missing.err.strip()) == (
        3, f"tmgt: --executor slurm: SLURM_CONF={tmp_path / 'none.conf'}: No such file or directory")
    no_srun = tmgt.run(*SLURM, *CANARY, env=slurm_env(tmgt, cluster, PATH="/nonexistent"))
    assert (no_srun.rc, no_srun.err.strip()) == (
        3, "tmgt: --executor slurm: cannot start srun: No such file or directory "
           "(Slurm's client commands must be on PATH)")
    partition = tmgt.run(*SLURM, "--slurm-partition", "nosuch", *CANARY, env=slurm_env(tmgt, cluster))
    assert partition.rc == 3
    assert "Invalid partition name specified" in partition.err


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare")
def test_a_cache_the_nodes_do_not_see_is_refused_up_front(tmgt, cluster, tmp_path):
    """tmgt in a mount namespace of its own, with the cache on a tmpfs the node's slurmd cannot see."""
    private = tmp_path / "private"
    private.mkdir()
    script = f'mount -t tmpfs none "{private}" && exec "$@"'
    cmd = ["unshare", "-m", "sh", "-c", script, "sh", str(TMGT),
           "--pipeline", str(tmgt.pipeline), "--cache-dir", str(private / "cache"), "--results-dir",
           str(private / "results"), *SLURM, *CANARY]
    p = subprocess.run(cmd, cwd=ROOT, env=slurm_env(tmgt, cluster), capture_output=True, text=True, timeout=120)
    assert p.returncode == 3, p.stderr
    assert p.stderr.strip() == (
        f"tmgt: --executor slurm: the node the test job ran on does not see {private}/cache/tmp, inside the "
        "cache directory: the cache and the models must be on a filesystem every node mounts at the same path")
    assert_nothing_ran(tmgt)


def test_slurm_options_are_checked(tmgt):
    for args, message in ((("--executor", "pbs"), 'tmgt: --executor wants local or slurm, not "pbs"'),
                          (("--slurm-partition", "gpu"),
                           "tmgt: --slurm-partition and --slurm-account need --executor slurm")):
        r = tmgt.run(*args, *CANARY)
        assert (r.rc, r.err.splitlines()[0]) == (2, message)
