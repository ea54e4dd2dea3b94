"""The Keras dataset cache that the tests need, for CI: checked, downloaded if missing.

    python .github/fetch_datasets.py DIR

fills DIR/datasets/ with the three files that tests/conftest.py copies (the layout of
../shared/datasets/keras), downloading from their public origins only what is missing
or damaged (a cache step restores DIR first), and fails unless every file has its
SHA-256. Under GitHub Actions it also sets FIDLE_SHARED_DATASETS (read by the tests)
and KERAS_HOME (read by `mkdocs build`) to DIR for the next steps. Standard library
only: it runs before the install step, on Linux, macOS and Windows alike.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import urllib.request
from pathlib import Path

UCI = "https://archive.ics.uci.edu/ml/machine-learning-databases/wine-quality/"
# (file, sha256, origin): the values of ../shared/datasets/README.md and of
# src/fidle_examples/core/datasets.py (tests/test_workflows.py checks both).
DATASETS = (
    ("mnist.npz", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
     "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"),
    ("winequality-red.csv", "4a402cf041b025d4566d954c3b9ba8635a3a8a01e039005d97d6a710278cf05e",
     UCI + "winequality-red.csv"),
    ("winequality-white.csv", "76c3f809815c17c07212622f776311faeb31e87610d52c26d87d6e361b169836",
     UCI + "winequality-white.csv"),
)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, target: Path, sha256: str) -> None:
    """Downloads to a temporary file beside target, renamed only once its hash is right:
    a failed or wrong download leaves nothing behind."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=120) as resp:
            while block := resp.read(1 << 20):
                out.write(block)
        found = sha256_of(Path(tmp))
        if found != sha256:
            raise RuntimeError(f"{url} : empreinte SHA-256 {found}, {sha256} attendue.")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def fetch(home: Path, datasets=DATASETS) -> list[str]:
    """Makes home/datasets/ hold every file with its hash; returns what was downloaded."""
    folder = home / "datasets"
    folder.mkdir(parents=True, exist_ok=True)
    downloaded = []
    for name, sha256, url in datasets:
        target = folder / name
        if target.is_file() and sha256_of(target) == sha256:
            continue
        try:
            download(url, target, sha256)
        except OSError as exc:
            raise RuntimeError(f"{name} : téléchargement de {url} impossible ({exc}).") from exc
        downloaded.append(name)
    return downloaded


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    home = Path(argv[0]).resolve()
    try:
        downloaded = fetch(home)
    except (OSError, RuntimeError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    print(f"Jeux de données vérifiés dans {home / 'datasets'}"
          + (f" (téléchargés : {', '.join(downloaded)})." if downloaded else " (tous en cache)."))
    if os.environ.get("GITHUB_ENV"):
        with open(os.environ["GITHUB_ENV"], "a", encoding="utf-8") as env:
            env.write(f"FIDLE_SHARED_DATASETS={home}\nKERAS_HOME={home}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
