"""What the numbers were measured on: device, date, versions; and where the data is."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import importlib.util
import os
import platform
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("tensorflow", "jax", "torch")
DATASET_FILES = ("mnist.npz", "winequality-red.csv")


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")


def cpu() -> str:
    model = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo
                          if line.startswith("model name")), model)
    except OSError:
        pass
    return f"{model or 'processeur inconnu'}, {os.cpu_count()} cœurs"


def load_average() -> list[float] | None:
    """Other processes on the machine slow the measures: recorded beside them."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def installed_backends() -> dict[str, bool]:
    return {name: importlib.util.find_spec(name) is not None for name in BACKENDS}


def describe() -> dict:
    dists = ("keras", "tensorflow", "jax", "torch", "numpy", "mkdocs", "mkdocs-material")
    return {"date": now(), "cpu": cpu(), "python": platform.python_version(),
            "platform": platform.platform(), "load_average_at_start": load_average(),
            "versions": {d: version(d) for d in dists if version(d)}}


def keras_home(workdir: Path) -> Path | None:
    """A KERAS_HOME holding the datasets, without touching the user's files.

    KERAS_HOME or ~/.keras when they hold the datasets; otherwise a copy of the
    project's offline cache (../shared/datasets/keras) if there is one; otherwise
    None, and Keras downloads the files the usual way.
    """
    for home in (os.environ.get("KERAS_HOME"), str(Path.home() / ".keras")):
        if home and all((Path(home) / "datasets" / f).is_file() for f in DATASET_FILES):
            return Path(home)
    shared = Path(os.environ.get("FIDLE_SHARED_DATASETS",
                                 ROOT.parent / "shared" / "datasets" / "keras"))
    if shared.is_dir():
        copy = workdir / "keras"  # Keras writes keras.json there: never in the shared folder
        shutil.copytree(shared, copy)
        return copy
    return Path(os.environ["KERAS_HOME"]) if os.environ.get("KERAS_HOME") else None


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="fidle-bench-"))
