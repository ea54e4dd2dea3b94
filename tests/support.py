"""Helpers shared by the test modules (conftest.py is not importable by name:
tests/browser has its own): the command line, site builds, a fake Result."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess:
    """`python -m fidle_examples ARGS` in a subprocess, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "fidle_examples", *args], capture_output=True, text=True,
        env={**os.environ, **(env or {})}, cwd=cwd, timeout=timeout)


# urlopen() keeps the first opener it builds, with the proxies of the environment
# at that moment: after an offline test pointed http_proxy at a dead port, every
# later urlopen() in the session would go through it. Local servers need none.
_LOCAL_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def open_local(url: str, timeout: float):
    """urlopen for a server on this machine, never through a proxy."""
    return _LOCAL_OPENER.open(url, timeout=timeout)


def load_hook(name: str):
    """A MkDocs hook of overrides/hooks/, imported from its file (it is no package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "overrides" / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stock_matplotlib(monkeypatch) -> None:
    """matplotlib without the patches of core/matplotlib_speedups.py, as `install()`
    finds it; monkeypatch puts it back as it was after the test."""
    from matplotlib import figure, textpath
    from matplotlib.backends import backend_svg

    from fidle_examples.core import matplotlib_speedups as speedups

    monkeypatch.setattr(textpath.TextToPath, "__init__", speedups._STOCK_TEXT_TO_PATH_INIT)
    monkeypatch.setattr(backend_svg.RendererSVG, "_get_font_height_metrics",
                        speedups._svg_font_height_metrics, raising=False)
    monkeypatch.delattr(backend_svg.RendererSVG, "_get_font_height_metrics")
    monkeypatch.setattr(figure.Figure, "draw", speedups._figure_draw.stock)


# --- a fake Result ----------------------------------------------------------------

def fake_result(accuracy: float = 0.97781, **fields):
    """A Result as a quick run of MNIST would give (every declared metric, arrays for
    its figures, provenance), without training; `fields` replace any of its fields."""
    import numpy as np

    from fidle_examples.core.results import Figure, Result

    result = Result(
        history={"loss": [0.5, 0.25, 0.125], "val_loss": [0.6, 0.3, 0.2]},
        metrics={"test_accuracy": accuracy, "test_loss": 1234.5678, "errors": 219.0,
                 "parameters": 199210.0},
        data={"y_pred": np.array([3, 1, 4], dtype=np.uint8),
              "scores": np.array([[0.25, -1.5], [2.0, float("nan")]], dtype=np.float32),
              "indices": np.arange(3, dtype=np.int64)},
        extra={"degrees": [1, 2], "nested": {"a": [0.1, 2.5]}, "mot": "été"},
        figures={"loss": Figure("loss", "Perte par époque",
                                f'<svg xmlns="http://www.w3.org/2000/svg"><text>époque '
                                f'{accuracy}</text></svg>')},
        example="mnist", title="Chiffres « manuscrits »", profile="quick",
        config={"epochs": 16, "batch_size": 512, "hidden_units": 200,
                "validation_fraction": 1 / 6, "train_size": 60000, "seed": 42},
        seed=42, duration_s=75.2, device="CPU (2 cœurs)",
        versions={"python": "3.11.7", "numpy": "2.4.6", "keras": "3.15.1",
                  "backend": "tensorflow", "tensorflow": "2.21.0"},
        date="2025-05-01T14:03:11+02:00")
    return dataclasses.replace(result, **fields)


def result_differences(a, b) -> list[str]:
    """The fields in which two Results differ (arrays by dtype and values, figures by
    title and SVG): Result == cannot compare arrays."""
    import numpy as np

    differ = []
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if field.name == "reference":
            continue
        if field.name == "data":
            same = x.keys() == y.keys() and all(
                x[k].dtype == y[k].dtype and np.array_equal(x[k], y[k], equal_nan=True)
                for k in x)
        elif field.name == "figures":
            same = {k: (f.title, f.svg) for k, f in x.items()} == \
                {k: (f.title, f.svg) for k, f in y.items()}
        else:
            same = x == y
        if not same:
            differ.append(field.name)
    return differ


# --- site builds ------------------------------------------------------------------

MKDOCS_YML = """\
site_name: Essai
theme:
  name: material
  language: fr
markdown_extensions:
  - admonition
  - pymdownx.superfences
plugins:
  - fidle-examples:
      profile: full
"""


def make_project(folder: Path, pages: dict[str, str], yml: str = MKDOCS_YML) -> Path:
    """A small MkDocs project: docs/ holding `pages` ({path: Markdown}), mkdocs.yml."""
    for name, text in pages.items():
        path = folder / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (folder / "mkdocs.yml").write_text(yml, encoding="utf-8")
    return folder


def copy_package(folder: Path, source: Path | None = None) -> Path:
    """A copy of the package (of src/ by default, or of the copy `source`) under
    folder/src; returns folder/src, to put first on PYTHONPATH."""
    from fidle_examples.build import keys

    root = folder / "src"
    shutil.copytree(source / "fidle_examples" if source else keys.package_dir(),
                    root / "fidle_examples", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def build_env(cache: Path | None = None, src: Path | None = None, **extra) -> dict:
    """Environment of a build: quick profile; the results cache `cache` (default: the
    session's); the package copy `src` imported before the installed package."""
    env = {**os.environ, "FIDLE_EXAMPLES_PROFILE": "quick", **extra}
    if cache is not None:
        env["FIDLE_EXAMPLES_CACHE"] = str(cache)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    return env


def build_command(config: Path, site_dir: Path | None = None, strict: bool = True) -> list[str]:
    return [sys.executable, "-m", "mkdocs", "build", *(["--strict"] if strict else []),
            "-f", str(config), *(["-d", str(site_dir)] if site_dir else [])]


def build_site(project: Path, cache: Path | None = None, src: Path | None = None, *,
               site_dir: Path | None = None, strict: bool = True, timeout: float = 900,
               **env) -> subprocess.CompletedProcess:
    """`mkdocs build` of `project` in a subprocess, as a user runs it; stdout and
    stderr together in .stdout (the build log)."""
    return subprocess.run(build_command(project / "mkdocs.yml", site_dir, strict),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          cwd=project, timeout=timeout, env=build_env(cache, src, **env))


def trained(log: str) -> list[str]:
    """The examples a build log says were trained (main runs, not explorer points)."""
    return re.findall(r"« ([\w-]+) » : entraîné en", log)


def from_cache(log: str) -> list[str]:
    return re.findall(r"« ([\w-]+) » : résultats relus depuis le cache", log)


def training_started(log: str) -> bool:
    """Whether any training (example or explorer point) began."""
    return ": entraînement (profil" in log


def as_from_a_terminal() -> None:
    """preexec_fn of a child that a test stops with SIGINT, as Ctrl-C or Docker's
    STOPSIGNAL would: SIGINT back to its default. A shell runs its background jobs with
    SIGINT and SIGQUIT ignored, and ignored signals are inherited through exec: under
    `make test &`, pytest and every child it started ignored SIGINT (seen: SigIgn
    0000000080000006 in /proc)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def signal_state(pid: int) -> str:
    """How a process stands towards signals (Linux): its state and its blocked, ignored
    and caught signals, for the message of a test whose signal went unanswered."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError as error:
        return f"état du processus {pid} illisible ({error})"
    keep = ("State", "Threads", "SigBlk", "SigIgn", "SigCgt")
    return "; ".join(line for line in status.splitlines() if line.startswith(keep))


def wait_after_signal(proc: subprocess.Popen, timeout: float) -> int:
    """proc's exit status, or a failure that says how proc stood towards signals."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"le processus {proc.pid} tourne encore {timeout} s après le "
                             f"signal : {signal_state(proc.pid)}") from None

