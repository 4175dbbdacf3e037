"""Reports read the last results and nothing else: the HTML page renders in a real browser, and
`ticket` lists exactly the failures without starting any process."""
import collections
import math
import os
import json
import re
import shutil
import subprocess
import time

import pytest

from conftest import ROOT, SETTLE_S, TMGT
from faultlib import pipeline_with
from png import pixels

# pass, fail, skip, mixed cells of the matrix, and the divergent row of a token table (report_html.c)
COLOURS = {"pass": (0xda, 0xfb, 0xe1), "fail": (0xff, 0xd8, 0xd3), "skip": (0xff, 0xf1, 0xc2),
           "mixed": (0xff, 0xe2, 0xb8), "diverge": (0xff, 0xb8, 0xb0)}

# token: int4 fails, int8 passes (mixed); lint: fails; parity-gpu: skips; canary and the
# three conversions (int4, int8, int4.gguf for parity) pass
FAULTS = ("run@int4=" + ",".join(f"alter-token:{i}" for i in range(6))
          + ';lint=set:issues.0.severity="critical"')
SELECTION = ("--model", "smollm-135m", "--check", "canary", "--check", "token", "--check", "lint",
             "--check", "parity-gpu", "-j2")


@pytest.fixture
def failing_run(tmgt):
    r = tmgt.run(*SELECTION, env=tmgt.env(APR_SIM_FAULTS=FAULTS, TMGT_GPU=0))
    assert r.rc == 1, r.err
    statuses = collections.Counter((c["suite"], c["status"]) for c in r.results["checks"])
    assert statuses == {("convert", "PASS"): 3, ("canary", "PASS"): 4, ("token", "FAIL"): 4,
                        ("token", "PASS"): 4, ("lint", "FAIL"): 2, ("parity-gpu", "SKIP"): 1}
    return r


def chromium():
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if not binary:
        pytest.fail("chromium is needed for the HTML report test: run ci/setup-deps.sh")
    return binary


def headless(tmp_path, *args):
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--disable-background-networking", "--disable-extensions", "--no-first-run",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", "--enable-logging=stderr", "--v=0",
           "--hide-scrollbars", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_html_report_renders_the_matrix_grid_in_headless_chromium(tmgt, failing_run, tmp_path):
    page = tmp_path / "report.html"
    r = tmgt.run("report", "--format", "html", "-o", str(page))
    assert r.rc == 0, r.err
    html = page.read_text()
    assert not re.search(r'(src|href)="(https?:)?//', html), "the page must be self-contained"

    dom = headless(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "CONSOLE" not in dom.stderr and "Uncaught" not in dom.stderr
    matrix = re.search(r'<table id="matrix">(.*?)</table>', dom.stdout, re.S).group(1)
    # suites as rows, models as columns
    assert re.findall(r"<th>([^<]+)</th>", matrix) == ["suite", "smollm-135m", "convert", "canary", "token",
                                                        "lint", "parity-gpu"]
    cells = re.findall(r'<td class="(\w+)"', matrix)
    assert cells == ["pass", "pass", "mixed", "fail", "skip"]
    # each failing token check shows both streams with the divergence marked at index 0
    assert dom.stdout.count('<table class="tokens">') == 4
    assert dom.stdout.count('<tr class="diverge">') >= 4

    assert_drawn(tmp_path, page, "1280,2400", COLOURS, 300)


def assert_drawn(tmp_path, page, window, colours, least):
    """Each of `colours` covers more than `least` pixels of the page's screenshot in Chromium."""
    shot = tmp_path / f"{page.stem}.png"
    drawn = headless(tmp_path, f"--window-size={window}", f"--screenshot={shot}", page.as_uri())
    assert drawn.returncode == 0 and shot.exists(), drawn.stderr[-2000:]
    seen = collections.Counter(pixels(shot))
    for name, rgb in colours.items():
        assert seen[rgb] > least, f"{name} ({rgb}) hardly drawn: {seen[rgb]} pixels"


def page_width(tmp_path, page, window_width):
    """(document width, window width) of the page in Chromium: a copy of it measures itself
    (the report has no script of its own)."""
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text().replace(
        "</body>", "<script>document.body.dataset.fit = document.documentElement.scrollWidth + 'x' + "
                   "window.innerWidth;</script></body>"))
    dom = headless(tmp_path, f"--window-size={window_width},900", "--dump-dom", probe.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    return tuple(int(n) for n in re.search(r'data-fit="(\d+)x(\d+)"', dom.stdout).groups())


def many_models(tmgt):
    """The simulator pipeline with three more copies of each model, under long slugs (each with
    its oracle copied under that slug)."""
    def mutate(doc):
        extra = []
        for copy in range(3):
            for m in doc["models"]:
                slug = f"{m['slug']}-a-deliberately-long-slug-for-the-layout-{copy}"
                oracle = tmgt.tmp / "oracle" / slug
                oracle.mkdir(parents=True)
                for prompt in (ROOT / m["oracle"]).glob("*.json"):
                    (oracle / prompt.name).write_text(json.dumps(dict(json.loads(prompt.read_text()),
                                                                      model_slug=slug)))
                extra.append(dict(m, slug=slug, oracle=str(oracle)))
        doc["models"] += extra
    return pipeline_with(tmgt, mutate)


# The matrix of twelve models over every suite, failures with long details, fits a
# 1024 px window: nothing on the page scrolls sideways.
def test_html_report_fits_a_1024_px_window(tmgt, tmp_path):
    r = tmgt.run("-j2", pipeline=many_models(tmgt), env=tmgt.env(APR_SIM_FAULTS=FAULTS, TMGT_GPU=0))
    assert r.rc == 1, r.err
    assert len({c["model"] for c in r.results["checks"]}) == 13  # twelve models and "global"
    page = tmp_path / "report.html"
    assert tmgt.run("report", "--format", "html", "-o", str(page)).rc == 0
    assert page_width(tmp_path, page, 1024) == (1024, 1024)


# The pictures' colours (html_pictures.c): the expected and the got token's bars, and the
# margin strip's near-tie and close cells.
PICTURE_COLOURS = {"expected bar": (0x4a, 0xc2, 0x6b), "got bar": (0xfa, 0x45, 0x49),
                   "near-tie cell": (0xfb, 0x8f, 0x44), "close cell": (0xfa, 0xe1, 0x7d)}


def sections(html):
    """Each failure's section of the page, by check name."""
    return dict(re.findall(r'<section class="failure">\s*<h3><code>([^<]+)</code></h3>(.*?)</section>', html, re.S))


def bars(table):
    """(id, bar width %, printed logprob, mark) of each row of a top-k table."""
    rows = re.findall(r'<tr(?: class="(\w+)")?><td><code>(\d+)[^<]*</code></td><td class="bar"><span '
                      r'style="width:([\d.]+)%"></span></td><td class="logp">([^<]+)</td>', table)
    return [(int(i), float(w), float(lp.replace("\u2212", "-")), mark) for mark, i, w, lp in rows]


def expect_bars(table, top, div):
    marks = {div["expected"]: "expected", div["got"]: "got"}
    assert bars(table) == [(e["id"], pytest.approx(100 * math.exp(e["logprob"]), abs=0.05),
                            pytest.approx(e["logprob"], abs=0.005), marks.get(e["id"], "")) for e in top]


# At each first divergence, the oracle's and the engine's top-k as bars, the chosen tokens
# marked, and the oracle's margin at each position as a strip; a check whose oracle records no
# margins draws nothing and the page says nothing about it. The page still fits 1024 px.
def test_html_report_pictures_each_divergence(tmgt, tmp_path):
    fixture = ROOT / "tests" / "data" / "results-divergence.json"
    tmgt.results.mkdir(parents=True, exist_ok=True)
    shutil.copy(fixture, tmgt.results / "latest.json")
    checks = {c["name"]: c for c in json.loads(fixture.read_text())["checks"]}
    page = tmp_path / "report.html"
    r = tmgt.run("report", "--format", "html", "-o", str(page))
    assert r.rc == 0, r.err
    dom = headless(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    shown = sections(dom.stdout)
    pictured = {name for name, html in shown.items() if 'class="tops"' in html or "<svg" in html}
    assert pictured == {"token-parity/smollm2-135m/q8_0-gguf/greeting",
                        "token-parity/smollm2-135m/q8_0-gguf/completion"}

    for name in sorted(pictured):
        div = checks[name]["divergence"]
        html = shown[name]
        tables = re.findall(r'<table class="top">(.*?)</table>', html, re.S)
        expect_bars(tables[0], div["oracle_top"], div)
        if div["engine_top"]:
            expect_bars(tables[1], div["engine_top"], div)
        else:
            assert len(tables) == 1 and "The engine reported no log-probabilities here." in html
        strip = re.search(r'<svg class="strip"[^>]*>(.*?)</svg>', html, re.S).group(1)
        cells = re.findall(r'<rect class="(m-\w+)" x="\d+"', strip)
        bound = div["near_tie_nats"]
        assert cells == ["m-none" if m is None else "m-near" if m <= bound else "m-close" if m <= 5 else "m-clear"
                         for m in div["position_margins"]]
        outlined = re.findall(r'<rect class="at" x="(\d+)"', strip)
        assert outlined == [str(3 + 20 * div["index"] - 2)]
        assert f"outlined: the first divergence, token {div['index']}" in html
    # the engine's 198 is far outside the oracle's top: said under its bars
    assert "got 198 is not among them" in shown["token-parity/smollm2-135m/q8_0-gguf/completion"]
    seed = shown["token-parity/smollm-135m/int4/code"]
    assert "<figure" not in seed and "warn" not in seed and "not recorded" not in seed

    assert_drawn(tmp_path, page, "1024,4000", PICTURE_COLOURS, 200)
    assert page_width(tmp_path, page, 1024) == (1024, 1024)


def assert_fits(text, width):
    wide = [line for line in text.splitlines() if len(line) > width]
    assert not wide, f"{len(wide)} lines wider than {width} columns, e.g. {wide[0]!r}"


# No line of the console report is wider than the terminal.
def test_console_report_fits_80_columns(tmgt):
    r = tmgt.run("-j2", env=tmgt.env(COLUMNS=80, TMGT_GPU=0))
    assert r.rc == 0, r.err
    assert len({c["model"] for c in r.results["checks"]}) == 4  # three models and "global"
    assert_fits(r.out, 80)
    header = next(line for line in r.out.splitlines() if line.startswith("  suite "))
    assert header.split() == ["suite", "smollm-135m", "qwen2-0.5b", "gpt2-124m", "global"]
    assert "  canary         ✓ 4          ✓ 4         ✓ 4        ·" in r.out.splitlines()
    # a no-op rerun replays the report it remembered at this width, never one of another width
    time.sleep(SETTLE_S)
    cached = tmgt.run("-j2", env=tmgt.env(COLUMNS=80, TMGT_GPU=0))
    replayed = tmgt.run("-j2", env=tmgt.env(COLUMNS=80, TMGT_GPU=0))
    assert "nothing changed since the last identical run" in replayed.err
    assert replayed.out.rsplit("\n\n", 1)[0] == cached.out.rsplit("\n\n", 1)[0]
    narrow = tmgt.run("-j2", env=tmgt.env(COLUMNS=40, TMGT_GPU=0))
    assert "nothing changed" not in narrow.err
    assert_fits(narrow.out, 40)
    assert narrow.out.count("  suite ") == 2  # the models in two blocks


def test_console_report_fits_the_terminal_without_columns(tmgt):
    tmgt.run(env=tmgt.env(TMGT_GPU=0))
    rc, shown = run_on_a_terminal(tmgt, "report", columns=60)
    assert rc == 0
    assert_fits(re.sub("\x1b\\[[0-9;]*m", "", shown), 60)
    assert "\n      " in shown  # long check lines wrapped under their name


def trace_processes(tmp_path, argv):
    strace = shutil.which("strace")
    if not strace:
        pytest.fail("strace is needed to prove ticket starts no process: run ci/setup-deps.sh")
    log = tmp_path / "strace.log"
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")  # LeakSanitizer cannot run under ptrace
    p = subprocess.run([strace, "-f", "-qq", "-o", str(log), "-e", "trace=execve,fork,vfork,clone,clone3",
                        *argv], capture_output=True, text=True, timeout=60, env=env)
    calls = [line.split(None, 1)[1].split("(")[0] for line in log.read_text().splitlines()]
    return p, calls


def test_ticket_starts_no_process_and_lists_exactly_the_failures(tmgt, failing_run, tmp_path):
    engine_calls = len(tmgt.engine_calls())
    out = tmp_path / "ticket.md"
    p, calls = trace_processes(tmp_path, [str(TMGT), "ticket", "--results-dir", str(tmgt.results),
                                          "-o", str(out)])
    assert p.returncode == 0, p.stderr
    assert calls == ["execve"], calls  # tmgt's own start, and nothing after it
    assert len(tmgt.engine_calls()) == engine_calls

    ticket = out.read_text()
    failures = sorted(c["name"] for c in failing_run.results["checks"] if c["status"] == "FAIL")
    assert sorted(re.findall(r"^#### `([^`]+)`", ticket, re.M)) == failures
    assert f"### {len(failures)} failure(s)" in ticket
    assert "first divergence at token 0: expected" in ticket
    assert "tmgt --model smollm-135m --check token" in ticket
    assert "transformers 5.1.0" in ticket  # oracle provenance, read from the oracle files
    stdout = tmgt.run("ticket")
    assert stdout.rc == 0 and stdout.out == ticket


def run_on_a_terminal(tmgt, *args, columns=None, **env):
    """Runs tmgt with stdout on a pseudo-terminal (of `columns` columns, stderr then kept off
    it); returns (exit status, what the terminal got)."""
    import fcntl
    import pty
    import struct
    import termios

    pid, fd = pty.fork()
    if pid == 0:
        if columns:
            fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
        os.chdir(tmgt.tmp)
        os.execve(str(TMGT), [str(TMGT), "--pipeline", str(tmgt.pipeline), "--cache-dir", str(tmgt.cache),
                              "--results-dir", str(tmgt.results), *args], tmgt.env(**env))
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode()


def test_console_lists_each_check_then_the_matrix_with_colour_only_on_a_terminal(tmgt):
    args = ("--model", "smollm-135m", "--check", "lint", "--check", "parity-gpu")
    env = {"APR_SIM_FAULTS": 'lint@int8=set:issues.0.severity="critical"', "TMGT_GPU": 0}
    piped = tmgt.run(*args, env=tmgt.env(**env))
    assert piped.rc == 1 and "\x1b[" not in piped.out
    lines = piped.out.splitlines()
    assert "  ✓ lint/smollm-135m/int4: 2 warnings, 0 critical" in lines
    assert any(line.startswith("  ✗ lint/smollm-135m/int8: 1 critical violations") for line in lines)
    assert any(line.startswith("  − parity-gpu/smollm-135m: no GPU") for line in lines)
    matrix = lines.index("  suite       smollm-135m")
    assert lines[matrix + 1:matrix + 4] == ["  convert     ✓ 3", "  lint        ✓ 1 ✗ 1", "  parity-gpu  − 1"]
    assert lines[-1].startswith("4 passed, 1 failed, 1 skipped (6 checks)")

    rc, shown = run_on_a_terminal(tmgt, *args, **env, NO_COLOR="")
    assert rc == 1 and "\x1b[32m" in shown and "\x1b[31m" in shown
    rc, shown = run_on_a_terminal(tmgt, *args, **env, NO_COLOR="1")
    # the progress line may still erase itself (ESC [K); NO_COLOR is about colours (ESC [..m)
    assert rc == 1 and not re.search("\x1b\\[[0-9;]*m", shown) and "✗ lint/smollm-135m/int8" in shown


def test_json_option_prints_the_results_document_with_its_token_sides(tmgt):
    r = tmgt.run("--model", "smollm-135m", "--check", "token", "--json")
    assert r.rc == 0, r.err
    printed = json.loads(r.out)
    assert printed["checks"] == r.results["checks"]
    check = next(c for c in printed["checks"] if c["name"] == "token-parity/smollm-135m/int8/code")
    assert len(check["expected"]["tokens"]) == 32 and check["got"]["tokens"] == check["expected"]["tokens"]
