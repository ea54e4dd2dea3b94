"""scripts/kit/install-offline.sh on a tiny fake kit, in seconds (the real kit, built and
installed end to end, is the release tier: tests/test_kit.py, make test-release).

The fake kit has the real script and the real kit lock (scripts/make_kit.py `kit_lock`)
over two wheels built here with `pip wheel`: a dependency, and a stand-in for the
project (`fidle-examples`, whose command records how it is called). What is checked:
every wheel installed from the kit with its hash checked, then the project with
--no-deps; a wheel that is not the one of the lock, or a damaged data file, stops the
install before anything is installed; data, site, notebooks and reference copied;
doctor and a quick example called as the README says.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from support import ROOT

VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"

spec = importlib.util.spec_from_file_location("make_kit", ROOT / "scripts" / "make_kit.py")
make_kit = importlib.util.module_from_spec(spec)
sys.modules.setdefault("make_kit", make_kit)
spec.loader.exec_module(make_kit)

# The stand-in for the project: `fidle-examples ARGS` appends ARGS to calls.jsonl in the
# working directory; `run ... --output DIR` writes DIR/result.json.
FAKE_CLI = '''\
import json, pathlib, sys


def main():
    args = sys.argv[1:]
    with open("calls.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps(args) + "\\n")
    if args[:1] == ["doctor"]:
        import fidle_tiny_dep  # the dependency, installed from the kit
        print("Tout est prêt pour lancer les exemples.", fidle_tiny_dep.VALUE)
    if args[:1] == ["run"]:
        out = pathlib.Path(args[args.index("--output") + 1])
        out.mkdir(parents=True, exist_ok=True)
        (out / "result.json").write_text("{}", encoding="utf-8")
        print("Résultats : exemple factice")
    return 0
'''


def _package(folder: Path, name: str, module: str, code: str, **extra: str) -> Path:
    folder.mkdir(parents=True)
    (folder / f"{module}.py").write_text(code, encoding="utf-8")
    (folder / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{name}"
        version = "1.0"
        dependencies = {json.dumps(extra.get("dependencies", "").split())}

        [tool.setuptools]
        py-modules = ["{module}"]
        """) + extra.get("tail", ""), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    """The two wheels, built once (one `pip wheel` call, no network, no isolation)."""
    work = tmp_path_factory.mktemp("wheels")
    dep = _package(work / "dep", "fidle-tiny-dep", "fidle_tiny_dep", "VALUE = 42\n")
    project = _package(work / "project", "fidle-examples", "fidle_fake", FAKE_CLI,
                       dependencies="fidle-tiny-dep==1.0",
                       tail='\n[project.scripts]\nfidle-examples = "fidle_fake:main"\n')
    out = work / "wheels"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(out), str(dep), str(project)],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(list(out.glob("*.whl"))) == 2
    return out


@pytest.fixture(scope="module")
def venv_template(tmp_path_factory) -> Path:
    """A venv with pip, made once: a test that is not about creating it starts from a
    copy (the script keeps a venv it finds; creating one costs seconds of CPU)."""
    venv = tmp_path_factory.mktemp("template") / ".venv"
    subprocess.run([sys._base_executable, "-m", "venv", str(venv)], check=True, timeout=600)
    return venv


@pytest.fixture
def kit(wheels, tmp_path) -> Path:
    """A fake kit laid out as make_kit.py lays it out."""
    kit = tmp_path / "fidle-kit"
    shutil.copytree(wheels, kit / "wheels")
    (kit / "requirements.lock").write_text(make_kit.kit_lock("", kit / "wheels"),
                                           encoding="utf-8")
    data = kit / "datasets"
    data.mkdir()
    sums = []
    for name, content in (("mnist.npz", b"chiffres"), ("winequality-red.csv", b"vins;rouges\n")):
        (data / name).write_bytes(content)
        sums.append(f"{hashlib.sha256(content).hexdigest()}  {name}\n")
    (data / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")
    for folder, name, text in (("site", "index.html", "<h1>Le cours</h1>"),
                               ("carnets", "mnist.ipynb", "{}"),
                               ("reference", "mnist.json", "{}")):
        (kit / folder).mkdir()
        (kit / folder / name).write_text(text, encoding="utf-8")
    shutil.copy2(ROOT / "scripts" / "kit" / "install-offline.sh", kit / "install-offline.sh")
    (kit / "PYTHONS").write_text(f"{VERSION}\n", encoding="utf-8")
    return kit


def install(kit: Path, tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, Path, Path]:
    """bash install-offline.sh TARGET, with a fresh HOME and KERAS_HOME; returns (the
    run, the target, the Keras cache)."""
    home, target, keras = tmp_path / "home", tmp_path / "fidle", tmp_path / "keras"
    home.mkdir(exist_ok=True)
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("KERAS_", "FIDLE_", "PIP_", "PYTHON"))}
    clean.update(HOME=str(home), KERAS_HOME=str(keras), PYTHON=sys._base_executable, **env)
    done = subprocess.run(["bash", str(kit / "install-offline.sh"), str(target)],
                          capture_output=True, text=True, env=clean, timeout=600)
    return done, target, keras


def installed(target: Path) -> set[str]:
    """The distributions of the kit's venv."""
    listed = subprocess.run([str(target / ".venv" / "bin" / "python"), "-m", "pip", "list",
                             "--format=json", "--disable-pip-version-check"],
                            capture_output=True, text=True, check=True)
    return {entry["name"] for entry in json.loads(listed.stdout)}


def test_the_kit_lock_pins_every_wheel_but_the_project_with_its_hash(kit):
    entries = make_kit.lock_entries((kit / "requirements.lock").read_text(encoding="utf-8"))
    digest = hashlib.sha256(next((kit / "wheels").glob("fidle_tiny_dep-*.whl")).read_bytes())
    assert entries == {"fidle-tiny-dep": ("1.0", [digest.hexdigest()])}


def test_install_from_the_kit_then_doctor_and_a_quick_example(kit, tmp_path):
    done, target, keras = install(kit, tmp_path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert {"fidle-examples", "fidle-tiny-dep"} <= installed(target)
    calls = [json.loads(line) for line in
             (target / "calls.jsonl").read_text(encoding="utf-8").splitlines()]
    assert calls == [
        ["doctor", "--offline", "--lock", str(kit / "requirements.lock")],
        ["run", "linear-regression", "--profile", "quick", "--quiet",
         "--output", str(target / "results" / "linear-regression")]]
    assert "Tout est prêt pour lancer les exemples. 42" in done.stdout
    assert (target / "results" / "linear-regression" / "result.json").is_file()
    for name in ("mnist.npz", "winequality-red.csv"):
        assert (keras / "datasets" / name).read_bytes() == (kit / "datasets" / name).read_bytes()
    for path in ("site/index.html", "carnets/mnist.ipynb", "reference/mnist.json"):
        assert (target / path).read_bytes() == (kit / path).read_bytes(), path
    assert "Installation terminée en" in done.stdout
    # Run again: the venv and the intact data are kept, nothing is copied twice.
    again, _, _ = install(kit, tmp_path)
    assert again.returncode == 0, again.stderr
    assert re.search(r"mnist\.npz\s:\sdéjà présent et intact", again.stdout), again.stdout


def test_a_wheel_that_is_not_the_locked_one_stops_the_install(kit, tmp_path, venv_template):
    shutil.copytree(venv_template, tmp_path / "fidle" / ".venv", symlinks=True)
    dep = next((kit / "wheels").glob("fidle_tiny_dep-*.whl"))
    dep.write_bytes(dep.read_bytes() + b"\0")  # still a zip file, another hash
    done, target, _ = install(kit, tmp_path)
    assert done.returncode == 1
    assert "des paquets du kit ne correspondent pas à leurs empreintes" in done.stderr
    assert not {"fidle-examples", "fidle-tiny-dep"} & installed(target)
    assert not (target / "calls.jsonl").exists()


def test_a_corrupted_kit_stops_before_installing_anything(kit, tmp_path):
    data = kit / "datasets" / "winequality-red.csv"
    data.write_bytes(data.read_bytes()[:-3])
    done, target, keras = install(kit, tmp_path)
    assert done.returncode == 1
    assert "des fichiers de données du kit sont corrompus" in done.stderr
    assert not (target / ".venv").exists() and not keras.exists()


def test_a_kit_for_another_python_says_which_one(kit, tmp_path):
    (kit / "PYTHONS").write_text("3.99\n", encoding="utf-8")
    done, target, _ = install(kit, tmp_path)
    assert done.returncode == 1
    assert f"ce kit a été préparé pour Python 3.99, pas pour {VERSION}" in done.stderr
    assert not target.exists()
