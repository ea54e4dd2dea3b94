"""The shell scripts of `make test`, with a stand-in Python that records each call
instead of running it: scripts/install.sh (which pip calls, with which options; the real
install runs at the start of every `make test` in a fresh clone, and in CI) and
scripts/test.sh (the two pytest processes of `make test`)."""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import ROOT, as_from_a_terminal

SCRIPT = ROOT / "scripts" / "install.sh"
# make and its bash scripts serve on Linux and macOS; on Windows the tests and the site
# are installed and run by pip, pytest and mkdocs directly (.github/workflows/tests.yml).
pytestmark = pytest.mark.skipif(sys.platform == "win32",
                                reason="scripts de make (bash) : Linux et macOS seulement")


def fake_python(path: Path, log: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/usr/bin/env bash\necho "$*" >> "{log}"\n', encoding="utf-8")
    path.chmod(0o755)
    return path


def install(tmp_path: Path, **settings: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run the script with a venv whose Python only records its arguments."""
    log = tmp_path / "calls.log"
    venv = tmp_path / "venv"
    python = fake_python(venv / "bin" / "python", log)
    env = {key: value for key, value in os.environ.items()
           if key not in ("COMPILE", "PYTHONDONTWRITEBYTECODE")}
    env.update(VENV=str(venv), PYTHON=str(python), **settings)
    proc = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=60)
    calls = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return proc, calls


def lock_installs(calls: list[str]) -> list[str]:
    return [c for c in calls if c.startswith("-m pip install") and "--require-hashes" in c]


@pytest.mark.parametrize("setting, flag", [
    ({}, "--no-compile"), ({"COMPILE": ""}, "--no-compile"), ({"COMPILE": "0"}, "--no-compile"),
    ({"COMPILE": "1"}, "--compile"),
    # Python keeps no bytecode: every process would compile again.
    ({"PYTHONDONTWRITEBYTECODE": "1"}, "--compile"),
    ({"PYTHONDONTWRITEBYTECODE": "1", "COMPILE": "0"}, "--no-compile")])
def test_the_lock_is_installed_with_bytecode_compiled_only_when_asked(tmp_path, setting, flag):
    proc, calls = install(tmp_path, **setting)
    assert proc.returncode == 0, proc.stderr
    installs = lock_installs(calls)
    assert len(installs) == 2  # TensorFlow's pip and the rest's, side by side
    assert all(f" {flag} " in f" {c} " for c in installs), installs


@pytest.mark.parametrize("compile_, flag", [("0", "--no-compile"), ("1", "--compile")])
def test_the_extras_are_installed_with_the_same_bytecode_setting(tmp_path, compile_, flag):
    proc, calls = install(tmp_path, COMPILE=compile_, EXTRAS="dev,gpu,jax")
    assert proc.returncode == 0, proc.stderr
    installs = [c for c in calls if c.startswith("-m pip install")
                and ("--require-hashes" in c or "--constraint" in c)]
    # TensorFlow, the rest of the lock, the GPU lock, the jax extra.
    assert len(installs) == 4 and any("requirements-gpu.lock" in c for c in installs)
    assert all(f" {flag} " in f" {c} " for c in installs), installs


@pytest.mark.parametrize("value", ["oui", "2", "01"])
def test_another_compile_value_stops_before_anything_is_done(tmp_path, value):
    proc, calls = install(tmp_path, COMPILE=value)
    assert proc.returncode == 2
    assert f"Erreur : COMPILE doit valoir 0 ou 1, pas « {value} »." in proc.stderr
    assert calls == []


# --- scripts/test.sh: make test as two pytest processes at once --------------------------

TEST_SCRIPT = ROOT / "scripts" / "test.sh"
# A stand-in for `python -m pytest -m EXPR ARGS`: says which part it is, records its pid,
# arguments and FIDLE_TESTS_ variables, and, as the test asks of that part (PART is main
# or beside): CHILD_PART=1 starts a child that outlives a plain kill of the part;
# TEARDOWN_PART=N takes N s to stop after SIGINT (pytest tearing its fixtures down);
# WAIT_END_PART=1 waits for FIDLE_TESTS_BESIDE_END and records what it holds;
# SLEEP_PART sleeps; KILL9_PART=1 dies of SIGKILL; STATUS_PART is its exit status.
FAKE_PYTEST = r"""#!/usr/bin/env bash
case "$4" in "not slow"*) part=beside ;; *) part=main ;; esac
setting() { name="$1_$part"; echo "${!name:-}"; }
echo "$$" > "$CALLS/$part.pid"
echo "$*" > "$CALLS/$part.args"
env | grep '^FIDLE_TESTS_' > "$CALLS/$part.env"
echo "sortie de $part"
if [ -n "$(setting CHILD)" ]; then sleep 30 & echo "$!" > "$CALLS/$part.child"; fi
if [ -n "$(setting TEARDOWN)" ]; then trap "sleep $(setting TEARDOWN); exit 2" INT; fi
if [ -n "$(setting WAIT_END)" ]; then
    for _ in $(seq 100); do [ -e "$FIDLE_TESTS_BESIDE_END" ] && break; sleep 0.1; done
    cat "$FIDLE_TESTS_BESIDE_END" > "$CALLS/$part.saw_end"
fi
[ -z "$(setting SLEEP)" ] || sleep "$(setting SLEEP)"
[ -z "$(setting KILL9)" ] || kill -9 $$
status=$(setting STATUS)
exit "${status:-0}"
"""


def run_test_script(tmp_path: Path, *args: str, **settings: str) -> subprocess.Popen:
    calls = tmp_path / "calls"
    calls.mkdir()
    python = tmp_path / "python"
    python.write_text(FAKE_PYTEST, encoding="utf-8")
    python.chmod(0o755)
    env = {**os.environ, "PYTHON": str(python), "CALLS": str(calls), **settings}
    return subprocess.Popen(["bash", str(TEST_SCRIPT), *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, preexec_fn=as_from_a_terminal)


def test_both_parts_run_with_the_arguments_and_the_one_beside_reports_after(tmp_path):
    proc = run_test_script(tmp_path, "-x", "--durations=5")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    calls = tmp_path / "calls"
    main = (calls / "main.args").read_text().split()
    beside = (calls / "beside.args").read_text().split()
    assert main[:2] == beside[:2] == ["-m", "pytest"]
    assert main[-2:] == beside[-2:] == ["-x", "--durations=5"]
    # Its own pytest cache: two sessions writing one .pytest_cache at once could garble it.
    assert "cache_dir=.pytest_cache/beside" in beside and not any("cache_dir" in a for a in main)
    assert out.index("sortie de main") < out.index("=== Second processus pytest") \
        < out.index("sortie de beside") < out.index("les deux parties de la suite ont réussi")


@pytest.mark.parametrize("main, beside, expected", [("1", "0", 1), ("0", "1", 1),
                                                    ("2", "1", 2), ("0", "5", 5)])
def test_a_failure_in_either_part_fails_make_test(tmp_path, main, beside, expected):
    proc = run_test_script(tmp_path, STATUS_main=main, STATUS_beside=beside)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == expected
    assert f"échec (code de sortie {main} pour le processus principal, {beside} pour le " \
           "second" in err
    assert "sortie de beside" in out  # its report is shown even when the main one failed


@pytest.mark.parametrize("beside, saw", [({"STATUS_beside": "3"}, "3"),
                                         ({"KILL9_beside": "1"}, "137")])
def test_the_main_part_sees_when_the_one_beside_ends_however_it_ends(tmp_path, beside, saw):
    """What the timed first page of `mkdocs serve` waits for (test_serve.py): the end
    file, with the status, even when the pytest beside was killed outright."""
    proc = run_test_script(tmp_path, WAIT_END_main="1", SLEEP_beside="0.5", **beside)
    proc.communicate(timeout=60)
    calls = tmp_path / "calls"
    assert (calls / "main.saw_end").read_text().strip() == saw
    assert "FIDLE_TESTS_BESIDE_END=" in (calls / "main.env").read_text()
    assert "FIDLE_TESTS_BESIDE_END" not in (calls / "beside.env").read_text()
    assert proc.returncode == int(saw)


def wait_for_files(calls: Path, names: tuple[str, ...], proc: subprocess.Popen) -> None:
    """Until the stand-ins have written these files (the script still running)."""
    deadline = time.monotonic() + 20
    while not all((calls / name).exists() for name in names):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)


def ended(pids: list[int], timeout: float = 10) -> bool:
    """Whether all these processes are gone within `timeout`."""
    deadline = time.monotonic() + timeout
    while any(map(_alive, pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(map(_alive, pids))


def test_ctrl_c_stops_the_tests_beside_and_what_they_started(tmp_path):
    """A terminal's Ctrl-C reaches the main part; the part beside has a process group of
    its own, which the script stops, children included (a child that ignores SIGINT, as
    a shell's background job does, is ended by the SIGTERM that follows)."""
    proc = run_test_script(tmp_path, SLEEP_main="30", SLEEP_beside="30", CHILD_beside="1")
    calls = tmp_path / "calls"
    wait_for_files(calls, ("main.pid", "beside.pid", "beside.child"), proc)
    beside = [int((calls / name).read_text()) for name in ("beside.pid", "beside.child")]
    assert os.getpgid(beside[0]) != os.getpgid(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=20) == 130
    assert ended(beside), "le second processus tourne encore après Ctrl-C"


def test_a_second_ctrl_c_does_not_cut_the_stop_of_the_tests_beside_short(tmp_path):
    """While the part beside tears down (2 s here), another Ctrl-C must not make the
    script leave without ending the rest of that part and removing its work folder."""
    proc = run_test_script(tmp_path, SLEEP_main="30", SLEEP_beside="30", CHILD_beside="1",
                           TEARDOWN_beside="2")
    calls = tmp_path / "calls"
    wait_for_files(calls, ("main.env", "beside.child"), proc)
    child = int((calls / "beside.child").read_text())
    end = re.search(r"FIDLE_TESTS_BESIDE_END=(.+)", (calls / "main.env").read_text())[1]
    work = Path(end).parent
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(0.5)  # the script is now stopping the part beside
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=20) == 130
    assert ended([child]) and not work.exists()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def selection(name: str) -> str:
    """The -m expression of one part, as scripts/test.sh writes it (BESIDE or MAIN)."""
    return re.search(rf"^{name}='(.+)'$", TEST_SCRIPT.read_text(encoding="utf-8"), re.M)[1]


def test_the_two_selections_split_make_test_and_keep_the_shared_build_in_one():
    """Together exactly -m "not release", without overlap; every test of the session's
    shared build (trained examples, site) in the main one, where it is made once; every
    test of make test-fast beside."""
    beside, main = selection("BESIDE"), selection("MAIN")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    fast = re.search(r'^test-fast:.*\n\t.*-m pytest -m "(.+)"$', makefile, re.M)[1]
    markers = ("slow", "browser", "trains", "shared_build", "release")
    combinations = 0
    for values in itertools.product((False, True), repeat=len(markers)):
        marked = dict(zip(markers, values))
        if marked["shared_build"] and not marked["trains"]:
            continue  # conftest.py sets both
        combinations += 1
        in_beside, in_main = eval(beside, {}, marked), eval(main, {}, marked)
        assert not (in_beside and in_main), marked
        assert (in_beside or in_main) == (not marked["release"]), marked
        if marked["shared_build"]:
            assert not in_beside, marked
        if eval(fast, {}, marked):
            assert in_beside, marked
    assert combinations == 24


def test_the_tests_of_the_shared_build_are_marked_so():
    """conftest.py marks the users of quick_results, site_build and built_site: without
    it they would run beside, and the session would train and build a second time."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "--collect-only",
                           "-p", "no:cacheprovider", "-m", "shared_build and trains",
                           "tests/test_site_build.py"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    selected = set(re.findall(r"^tests/test_site_build\.py::(\w+)", proc.stdout, re.M))
    assert "test_the_build_reads_every_result_from_the_session_cache" in selected  # site_build
    assert "test_every_page_of_docs_is_built_with_the_search_index" in selected  # built_site
    assert "test_python_block_check_tells_included_from_hand_written_code" not in selected


def test_a_timed_test_runs_last_in_the_main_part():
    """The timed first page of `mkdocs serve` (marked timed_alone) comes after the
    browser tests, which tests/browser/conftest.py puts after the others."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "--collect-only",
                           "-p", "no:cacheprovider", "-m", selection("MAIN"),
                           "tests/test_serve.py",
                           "tests/browser/test_redirects.py"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    collected = re.findall(r"^(tests/\S+::\w+)", proc.stdout, re.M)
    assert len(collected) > 2 and any("browser" in node for node in collected)
    assert collected[-1] == \
        "tests/test_serve.py::test_the_course_is_served_at_once_with_a_cold_cache"
