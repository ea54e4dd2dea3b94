"""The offline classroom kit (make kit): built here, then installed with the network cut.
Release tier (`make test-release`, run by .ci/run after `make test`): it downloads and
installs about 120 real wheels. tests/test_install_offline.py checks the install
script itself on a tiny fake kit, in `make test`.

The kit is built for the running Python only (the full kit adds 3.12 and 3.13,
same code path) and with a stand-in site (building the real one is the job of
test_site_build.py), and extracted once. The install runs in a network namespace with
no interface (`unshare -n`): pip, the datasets and the example can only use the kit.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from support import ROOT
from fidle_examples.core import datasets

pytestmark = [pytest.mark.release, pytest.mark.slow, pytest.mark.trains]
IN_CI = os.environ.get("CI", "").strip().lower() == "true"
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


def _no_network_prefix() -> list[str]:
    """`unshare -n` (root), or with a user namespace; skipped (failed under CI) if neither works."""
    for prefix in (["unshare", "-n"], ["unshare", "-r", "-n"]):
        if shutil.which("unshare") and subprocess.run(
                [*prefix, "true"], capture_output=True).returncode == 0:
            return prefix
    message = ("« unshare -n » ne fonctionne pas ici (ni root, ni espaces de noms "
               "utilisateur) : l'installation hors ligne ne peut pas être vérifiée.")
    if IN_CI:
        pytest.fail(message + " (CI=true : c'est une erreur)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("kit")
    site = out / "site"
    site.mkdir()
    (site / "index.html").write_text("<h1>Le cours</h1>", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "scripts/make_kit.py", "--pythons", VERSION, "--site", str(site),
         "--output", str(out / "fidle-kit.tar")],
        cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout + done.stderr
    print(done.stdout)
    return out / "fidle-kit.tar"


@pytest.fixture(scope="module")
def extracted(kit, tmp_path_factory) -> Path:
    """The kit, extracted once: the tests only read it (the install writes elsewhere)."""
    out = tmp_path_factory.mktemp("extracted")
    with tarfile.open(kit) as tar:
        tar.extractall(out, filter="data")
    return out / "fidle-kit"


def test_the_kit_holds_wheels_data_site_notebooks_and_the_script(kit):
    with tarfile.open(kit) as tar:
        names = set(tar.getnames())
    wheels = {Path(n).name for n in names if n.startswith("fidle-kit/wheels/")}
    assert any(w.startswith("fidle_examples-") for w in wheels)
    tag = f"cp{VERSION.replace('.', '')}"
    assert any(w.startswith("tensorflow-") and f"-{tag}-" in w for w in wheels), sorted(wheels)
    for dataset in (datasets.MNIST, datasets.WINE_RED):
        assert f"fidle-kit/datasets/{dataset.fname}" in names
    for notebook in (ROOT / "docs" / "carnets").glob("*.ipynb"):
        assert f"fidle-kit/carnets/{notebook.name}" in names
    for name in ("install-offline.sh", "requirements.lock", "LISEZMOI.txt", "PYTHONS",
                 "datasets/SHA256SUMS", "site/index.html"):
        assert f"fidle-kit/{name}" in names


def test_sha256sums_match_the_declared_datasets(extracted):
    lines = (extracted / "datasets" / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    sums = {name: digest for digest, name in (line.split("  ") for line in lines)}
    assert sums[datasets.MNIST.fname] == datasets.MNIST.sha256
    assert sums[datasets.WINE_RED.fname] == datasets.WINE_RED.sha256


def _install(kit_dir: Path, target: Path, home: Path) -> subprocess.CompletedProcess:
    # No PYTHONPATH either: the kit's venv must import the installed wheel, not src/.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KERAS_", "FIDLE_", "PIP_", "PYTHON"))}
    env.update(HOME=str(home), PYTHON=sys._base_executable)
    return subprocess.run([*_no_network_prefix(), "bash", str(kit_dir / "install-offline.sh"),
                           str(target)], capture_output=True, text=True, env=env, timeout=1800)


def test_the_network_namespace_really_has_no_network():
    probe = "import socket; socket.create_connection(('pypi.org', 443), timeout=5)"
    done = subprocess.run([*_no_network_prefix(), sys.executable, "-c", probe],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and ("gaierror" in done.stderr or "OSError" in done.stderr
                                     or "unreachable" in done.stderr), done.stderr


def test_offline_install_then_a_quick_example(extracted, tmp_path):
    home, target = tmp_path / "home", tmp_path / "fidle"
    home.mkdir()
    start = time.perf_counter()
    done = _install(extracted, target, home)
    seconds = time.perf_counter() - start
    print(f"installation hors ligne : {seconds:.0f} s")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-6000:]
    out = done.stdout
    assert "Tout est prêt pour lancer les exemples." in out  # doctor, offline, exit 0
    assert "Résultats : Régression linéaire par calcul direct" in out
    assert (target / "results" / "linear-regression" / "result.json").is_file()
    for dataset in (datasets.MNIST, datasets.WINE_RED):
        copied = home / ".keras" / "datasets" / dataset.fname
        assert hashlib.sha256(copied.read_bytes()).hexdigest() == dataset.sha256
    assert (target / "site" / "index.html").is_file()
    assert sorted(p.name for p in (target / "carnets").glob("*.ipynb")) == \
        sorted(p.name for p in (ROOT / "docs" / "carnets").glob("*.ipynb"))
    if (ROOT / "reference").is_dir():  # compared with by `run`, from the working directory
        assert sorted(p.name for p in (target / "reference").iterdir()) == \
            sorted(p.name for p in (ROOT / "reference").iterdir())
