"""Add the SHA-256 of every published file of each pinned version to the lock files, so
that `pip install --require-hashes -r requirements.lock` refuses anything else.

    python scripts/lock_hashes.py                  # rewrites requirements.lock and requirements-gpu.lock
    python scripts/lock_hashes.py --constraints    # prints the versions alone (pip --constraint)

Input: lines `name==version` (hashes already there are replaced). The CUDA libraries
of the `gpu` extra go to requirements-gpu.lock: the Docker image installs them, a
laptop does not. Every file of a version is hashed (wheels of every system and the
source archive), so the same lock installs on Linux, macOS and Windows.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAIN, GPU = ROOT / "requirements.lock", ROOT / "requirements-gpu.lock"
INDEX = "https://pypi.org/simple/{}/"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
HEADERS = {
    MAIN: "# Exact versions, with the hashes of their files: scripts/install.sh installs them with\n"
          "# pip --require-hashes. Regenerate the hashes with: python scripts/lock_hashes.py\n",
    GPU: "# The CUDA libraries of the `gpu` extra (the Docker image), with their hashes.\n"
         "# Regenerate with: python scripts/lock_hashes.py\n",
}


def pins(path: Path) -> list[tuple[str, str]]:
    if not path.is_file():
        return []
    return [(m.group(1), m.group(2)) for line in path.read_text(encoding="utf-8").splitlines()
            if (m := _PIN.match(line.strip()))]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def hashes(name: str, version: str) -> list[str]:
    """The sha256 of every file of `name` `version` on the index (PEP 691 JSON)."""
    request = urllib.request.Request(INDEX.format(_normal(name)),
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        files = json.load(answer)["files"]
    wanted = _normal(f"{name}-{version}")
    found = sorted({f["hashes"]["sha256"] for f in files if "sha256" in f["hashes"]
                    and _normal(f["filename"]).startswith(wanted)
                    and _version_of(f["filename"], name) == version})
    if not found:
        raise SystemExit(f"Aucun fichier publié pour {name}=={version} : vérifiez la version.")
    return found


def _version_of(filename: str, name: str) -> str:
    """The version in a wheel or sdist file name."""
    stem = re.sub(r"\.(whl|tar\.gz|zip|tar\.bz2)$", "", filename)
    rest = stem[len(name) + 1:] if _normal(stem).startswith(_normal(name) + "-") else ""
    return rest.split("-")[0]


def write(path: Path, entries: list[tuple[str, str]], found: dict) -> None:
    lines = [HEADERS[path]]
    for name, version in sorted(entries, key=lambda e: _normal(e[0])):
        lines.append(f"{name}=={version} \\\n" + " \\\n".join(
            f"    --hash=sha256:{h}" for h in found[name, version]) + "\n")
    path.write_text("".join(lines), encoding="utf-8")


def main(argv: list[str]) -> int:
    if argv == ["--constraints"]:
        # The lock is frozen on Linux: on macOS and Windows a dependency may differ (pip
        # then resolves it), so CI there takes the versions as constraints, without hashes.
        print("".join(f"{name}=={version}\n" for name, version in pins(MAIN)), end="")
        return 0
    entries = list(dict.fromkeys(pins(MAIN) + pins(GPU)))  # a pin written twice: once
    with ThreadPoolExecutor(8) as pool:
        found = dict(zip(entries, pool.map(lambda e: hashes(*e), entries)))
    gpu = [e for e in entries if _normal(e[0]).startswith("nvidia-")]
    write(MAIN, [e for e in entries if e not in gpu], found)
    write(GPU, gpu, found)
    print(f"{len(entries) - len(gpu)} paquets dans {MAIN.name}, {len(gpu)} dans {GPU.name}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
