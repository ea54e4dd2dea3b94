"""The offline classroom kit: one archive to copy onto machines without a network.

    python scripts/make_kit.py [--pythons "3.11 3.12 3.13"] [--site DIR] [--output FILE]

dist/fidle-kit.tar holds, under fidle-kit/:
    install-offline.sh   installs everything from the kit (pip --no-index), see its header
    requirements.lock    the kit's wheels and their hashes (pip --require-hashes, and `doctor --lock`)
    wheels/              the project's wheel and every package it needs, for Linux x86-64
                         (glibc 2.28 or newer) and each Python version asked for
    datasets/            the declared datasets (core/datasets.py) and SHA256SUMS
    site/                the built site (its print page, and the PDF when make pdf made it)
    carnets/             the Jupyter notebooks of docs/carnets/
    reference/           the reference results (when the project has them), which
                         `fidle-examples run` compares a run with
    LISEZMOI.txt         what to do with it, in French

Wheels come from the package index (pip download, binary only, for the target
platform, not this machine's). A package that has no wheel for a version is built
here from its source, when that Python is installed (quickjs has no cp313 wheel);
such a wheel is tagged linux_x86_64 and needs a glibc as recent as this machine's.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # the declared datasets, without installing

from fidle_examples.core import datasets, frenchfmt  # noqa: E402

DEFAULT_PYTHONS = ("3.11", "3.12", "3.13")
# Lowest patch release the lock accepts (pymdown-extensions needs 3.11.5, like
# scripts/install.sh); pip reads "3.11" as 3.11.0.
PATCH = {"3.11": "3.11.5"}
GLIBC_MINOR = 28  # wheels up to manylinux_2_28: RHEL 8, Debian 10, Ubuntu 20.04 and newer
PLATFORMS = [f"manylinux_2_{minor}_x86_64" for minor in range(GLIBC_MINOR, 4, -1)] + [
    "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64",
    "linux_x86_64"]  # the tag of a wheel built here (see above); PyPI has none
PIP_VERSION = "26.3"  # the pip scripts/install.sh installs
KIT = "fidle-kit"
_NO_WHEEL = re.compile(r"depends on ([A-Za-z0-9_.-]+)==([^\s]+)")


def say(message: str) -> None:
    print(f"[kit] {message}", flush=True)


def pip(*args: str, python: str = sys.executable, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([python, "-m", "pip", *args], capture_output=True, text=True,
                          check=check)


def project_wheel(wheels: Path) -> str:
    """Build the project's wheel from a copy of its sources (no build/ left here)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "project"
        copy.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, copy / name)
        shutil.copytree(ROOT / "src", copy / "src",
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        pip("wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheels), str(copy))
    built = sorted(wheels.glob("fidle_examples-*.whl"))
    version = built[-1].name.split("-")[1]
    say(f"paquet du projet : {built[-1].name}")
    return version


def find_interpreter(version: str) -> str | None:
    """A working pythonX.Y on this machine (PATH, then pyenv), or None."""
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(glob.glob(os.path.expanduser(
        f"~/.pyenv/versions/{version}.*/bin/python{version}")), reverse=True)
    for candidate in filter(None, candidates):
        done = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"],
                              capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip() == str(tuple(map(int, version.split(".")))):
            return candidate
    return None


def download(wheels: Path, lock: Path, version: str, project: str) -> None:
    """Every wheel the project needs on Linux x86-64 for Python `version`."""
    args = ["download", "--only-binary=:all:", "--implementation", "cp",
            "--python-version", PATCH.get(version, version), "--constraint", str(lock),
            "--find-links", str(wheels), "--dest", str(wheels)]
    for platform in PLATFORMS:
        args += ["--platform", platform]
    built: set[str] = set()
    while True:
        done = pip(*args, f"fidle-examples=={project}", check=False)
        if done.returncode == 0:
            return
        missing = [m for m in _NO_WHEEL.findall(done.stdout + done.stderr)
                   if m[0] != "fidle-examples" and m[0] not in built]
        interpreter = find_interpreter(version)
        if not missing or interpreter is None:
            raise SystemExit(
                f"Erreur : pas de roue (wheel) pour Python {version} : "
                f"{', '.join('=='.join(m) for m in missing) or 'voir ci-dessous'}"
                + ("" if interpreter else f", et python{version} est absent de cette machine "
                   "pour la construire") + ".\n" + (done.stdout + done.stderr)[-3000:])
        for name, pinned in missing[:1]:
            say(f"Python {version} : pas de roue publiée pour {name}=={pinned}, "
                f"construction avec {interpreter}")
            pip("wheel", "--no-deps", "--no-binary", name, "--quiet", "--wheel-dir",
                str(wheels), f"{name}=={pinned}", python=interpreter)
            built.add(name)


def copy_datasets(dest: Path) -> None:
    """The declared datasets of the Keras cache, checked, with SHA256SUMS."""
    source = datasets.keras_datasets_dir()
    dest.mkdir()
    sums = []
    for dataset in [v for v in vars(datasets).values() if isinstance(v, datasets.DatasetFile)]:
        path = source / dataset.fname
        if not path.is_file():
            raise SystemExit(f"Erreur : {path} ({dataset.description}) manque. Lancez une fois "
                             "l'exemple qui l'utilise avec Internet, ou indiquez avec KERAS_HOME "
                             "le dossier qui contient datasets/.")
        if datasets.sha256_of(path) != dataset.sha256:
            raise SystemExit(f"Erreur : {path} est corrompu (empreinte SHA-256 inattendue).")
        shutil.copy2(path, dest / dataset.fname)
        sums.append(f"{dataset.sha256}  {dataset.fname}\n")
    (dest / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")
    say(f"données : {len(sums)} fichiers de {source}, empreintes vérifiées")


def site_folder(site: Path | None, tmp: Path) -> Path:
    """The built site given (or site/), else one built now with mkdocs.yml's profile."""
    if site is not None:
        if not (site / "index.html").is_file():
            raise SystemExit(f"Erreur : {site} ne contient pas de site construit (index.html).")
        return site
    if (ROOT / "site" / "index.html").is_file():
        return ROOT / "site"
    profile = os.environ.get("FIDLE_EXAMPLES_PROFILE", "celui de mkdocs.yml")
    say(f"site/ absent : construction du site (profil {profile})")
    built = tmp / "site"
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(built)],
                   cwd=ROOT, check=True)
    return built


def _size(path: Path) -> str:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() \
        else path.stat().st_size
    return frenchfmt.number(total / 2**20, 0) + "\u00a0Mio"


_ENTRY = re.compile(r"(?m)^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_entries(text: str) -> dict[str, tuple[str, list[str]]]:
    """{normalized name: (version, [sha256])} of a lock with hashes."""
    starts = list(_ENTRY.finditer(text))
    found = {}
    for match, nxt in zip(starts, starts[1:] + [None]):
        body = text[match.end(): nxt.start() if nxt else len(text)]
        found[_normal(match[1])] = (match[2], re.findall(r"--hash=sha256:([0-9a-f]{64})", body))
    return found


def kit_lock(lock_text: str, wheels: Path) -> str:
    """The kit's own lock: one entry per package whose wheels it carries, with the
    committed lock's hashes; a wheel that is not the published one (built here, when
    none was published for a Python version, and pip itself) adds its own hash, so
    that install-offline.sh checks every file it installs (pip --require-hashes)."""
    locked = lock_entries(lock_text)
    kit: dict[str, tuple[str, str, set[str]]] = {}
    for wheel in sorted(wheels.glob("*.whl")):
        name, version = wheel.name.split("-")[:2]
        if _normal(name) == "fidle-examples":
            continue  # the project itself, installed with --no-deps after the others
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        pinned, hashes = locked.get(_normal(name), (version, []))
        if pinned != version:
            raise SystemExit(f"Erreur : la roue {wheel.name} n'est pas la version du verrou "
                             f"({name}=={pinned}).")
        entry = kit.setdefault(_normal(name), (name, version, set(hashes)))
        entry[2].add(digest)
    lines = ["# Les paquets de ce kit, avec les empreintes de leurs fichiers (pip --require-hashes).\n"]
    for name, version, hashes in sorted(kit.values(), key=lambda e: _normal(e[0])):
        lines.append(f"{name}=={version} \\\n" + " \\\n".join(
            f"    --hash=sha256:{h}" for h in sorted(hashes)) + "\n")
    return "".join(lines)


def build_kit(output: Path, pythons: list[str], site: Path | None, with_site: bool) -> Path:
    start = time.perf_counter()
    lock_text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(dir=output.parent) as tmp:
        # pip download follows the lock's versions as constraints; hashes in a
        # constraints file would turn on hash checking for the project's own wheel.
        lock = Path(tmp) / "constraints.txt"
        lock.write_text("".join(f"{name}=={version}\n" for name, (version, _)
                                in lock_entries(lock_text).items()), encoding="utf-8")
        kit = Path(tmp) / KIT
        wheels = kit / "wheels"
        wheels.mkdir(parents=True)
        project = project_wheel(wheels)
        pip("download", "--no-deps", "--quiet", "--only-binary=:all:", "--dest", str(wheels),
            f"pip=={PIP_VERSION}")
        for version in pythons:
            say(f"roues pour Python {version}...")
            download(wheels, lock, version, project)
        say(f"roues : {len(list(wheels.glob('*.whl')))} fichiers, {_size(wheels)}")
        copy_datasets(kit / "datasets")
        if with_site:
            shutil.copytree(site_folder(site, Path(tmp)), kit / "site")
            say(f"site : {_size(kit / 'site')}"
                + (", avec le PDF" if (kit / "site" / "fidle-cours.pdf").is_file() else ""))
        (kit / "carnets").mkdir()
        for notebook in sorted((ROOT / "docs" / "carnets").glob("*.ipynb")):
            shutil.copy2(notebook, kit / "carnets" / notebook.name)
        if (ROOT / "reference").is_dir():  # read from the working directory once installed
            shutil.copytree(ROOT / "reference", kit / "reference")
        (kit / "requirements.lock").write_text(kit_lock(lock_text, wheels), encoding="utf-8")
        for name in ("install-offline.sh", "LISEZMOI.txt"):
            shutil.copy2(ROOT / "scripts" / "kit" / name, kit / name)
        (kit / "install-offline.sh").chmod(0o755)
        (kit / "PYTHONS").write_text(" ".join(pythons) + "\n", encoding="utf-8")
        partial = output.with_name(output.name + ".part")
        with tarfile.open(partial, "w") as tar:  # wheels are already compressed
            tar.add(kit, arcname=KIT)
        partial.replace(output)
    say(f"kit écrit : {output} ({_size(output)}, en {time.perf_counter() - start:.0f}\u00a0s)")
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Le kit hors ligne pour une salle de cours.")
    parser.add_argument("--pythons", default=os.environ.get("KIT_PYTHONS", " ".join(DEFAULT_PYTHONS)),
                        help="versions de Python visées (défaut : « 3.11 3.12 3.13 »)")
    parser.add_argument("--site", type=Path, help="site construit à inclure (défaut : site/)")
    parser.add_argument("--no-site", action="store_true", help="sans le site construit")
    parser.add_argument("--output", type=Path, default=ROOT / "dist" / f"{KIT}.tar")
    args = parser.parse_args(argv)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    build_kit(args.output.resolve(), args.pythons.split(), args.site, not args.no_site)
    return 0


if __name__ == "__main__":
    sys.exit(main())
