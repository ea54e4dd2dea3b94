"""The committed reference results: several seeds of each example, full profile.

`reference/NAME.json` at the root of the project holds, for one example, the seeds,
each seed's metrics and history, their min / median / max, and the provenance
(device, date, versions, config). It is the published result of the course: the
pages show its ranges and bands, the CLI tells whether a run falls inside, and the
tests check every claim of the pages against each of its seeds.

It may also hold runs of other Keras backends (or devices), each recorded with its
backend and device: every claim is checked on them too, but the ranges and bands
stay those of the published setting (provenance: its backend and device), so that
the published numbers compare like with like. A run of another backend is compared with
the runs of that backend when the reference has some (`comparable`): by `compare`, the
page's provenance box and its « Résultats finaux » table.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from fidle_examples.core import atomic
from fidle_examples.core.errors import FidleError
from fidle_examples.core.results import Result

FORMAT = 1
ENV_DIR = "FIDLE_EXAMPLES_REFERENCE"
REGENERATE = "make reference (ou fidle-examples reference NOM)"


class ReferenceFileError(FidleError):
    pass


def default_dir(project: Path | None = None) -> Path:
    import os

    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env).expanduser()
    return (project or project_root()) / "reference"


def project_root() -> Path:
    """The checkout holding this package (src/fidle_examples/core -> the root), or the
    working directory for an installed package."""
    here = Path(__file__).resolve().parents[3]
    return here if (here / "pyproject.toml").is_file() else Path.cwd()


@dataclass
class Reference:
    example: str
    profile: str
    seeds: list[int]
    config: dict
    # {"seed", "metrics", "history", "duration_s", "backend", "device"}; a run without
    # backend or device (older files) is one of the published setting's.
    runs: list[dict]
    provenance: dict = field(default_factory=dict)
    note: str = ""
    path: Path | None = None
    # Other settings: {backend: {"device", "versions", "date", "code"}}.
    others: dict = field(default_factory=dict)

    # --- settings -------------------------------------------------------------
    @property
    def backend(self) -> str:
        """The published setting's Keras backend."""
        return self.provenance.get("versions", {}).get("backend", "tensorflow")

    @property
    def device(self) -> str:
        return self.provenance.get("device", "")

    def setting(self, run: dict) -> tuple[str, str]:
        """(backend, device) of a recorded run."""
        return run.get("backend", self.backend), run.get("device", self.device)

    def published(self, run: dict) -> bool:
        return self.setting(run) == (self.backend, self.device)

    def published_runs(self) -> list[dict]:
        return [run for run in self.runs if self.published(run)]

    def runs_of(self, backend: str) -> list[dict]:
        return [run for run in self.runs if self.setting(run)[0] == backend]

    def backends(self) -> dict[str, int]:
        """{backend: runs}, the published one first."""
        counts: dict[str, int] = {}
        for run in sorted(self.runs, key=lambda r: not self.published(r)):
            backend = self.setting(run)[0]
            counts[backend] = counts.get(backend, 0) + 1
        return counts

    def comparable(self, backend: str) -> tuple[list[dict], bool]:
        """(runs a run of `backend` is compared with, whether they are that backend's):
        the published runs for the published backend; else the runs of `backend` when
        the reference has some, else the published ones (the caller says so)."""
        if backend and backend != self.backend and self.runs_of(backend):
            return self.runs_of(backend), True
        return self.published_runs(), backend in ("", self.backend)

    # --- summaries (the published setting's runs, unless `runs` is given) ------
    def values(self, metric: str, runs: list[dict] | None = None) -> list[float]:
        return [run["metrics"][metric] for run in (runs or self.published_runs())]

    def range(self, metric: str, runs: list[dict] | None = None) -> tuple[float, float, float]:
        """(min, median, max) of `metric` over the seeds."""
        values = self.values(metric, runs)
        return min(values), statistics.median(values), max(values)

    def band(self, key: str, runs: list[dict] | None = None
             ) -> tuple[list[float], list[float], list[float]] | None:
        """Per-epoch (min, median, max) of history curve `key`, or None."""
        curves = [run["history"].get(key) for run in (runs or self.published_runs())]
        if not curves or any(c is None for c in curves):
            return None
        length = min(len(c) for c in curves)
        columns = [[c[i] for c in curves] for i in range(length)]
        return ([min(col) for col in columns], [statistics.median(col) for col in columns],
                [max(col) for col in columns])

    def results(self) -> list[Result]:
        """One Result per recorded run, of every setting (metrics, history, config, and
        the backend and device that computed it): what claims are checked on."""
        out = []
        for run in self.runs:
            backend, device = self.setting(run)
            out.append(Result(history=run["history"], metrics=run["metrics"],
                              example=self.example, profile=self.profile,
                              config={**self.config, "seed": run["seed"]}, seed=run["seed"],
                              device=device, versions={"backend": backend}))
        return out

    def inside(self, metric: str, value: float) -> bool:
        low, _, high = self.range(metric)
        return low <= value <= high

    # --- files ----------------------------------------------------------------
    def to_json(self) -> dict:
        metrics = {}
        published = self.published_runs()
        for key in published[0]["metrics"] if published else []:
            low, median, high = self.range(key)
            metrics[key] = {"min": low, "median": median, "max": high}
        history = {}
        for key in published[0]["history"] if published else []:
            band = self.band(key)
            if band:
                history[key] = dict(zip(("min", "median", "max"), band))
        return {"format": FORMAT, "example": self.example, "profile": self.profile,
                "seeds": self.seeds, "note": self.note, "config": self.config,
                "provenance": self.provenance, "others": self.others, "metrics": metrics,
                "history": history, "runs": self.runs}


def path_for(name: str, folder: Path | None = None) -> Path:
    return (folder or default_dir()) / f"{name}.json"


def load(name: str, folder: Path | None = None) -> Reference | None:
    """The reference of `name`, None when there is none; ReferenceFileError when the file
    is unreadable, corrupted or belongs to another example."""
    path = path_for(name, folder)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, attendu {FORMAT}")
        if data["example"] != name:
            raise ValueError(f"ce fichier est celui de l'exemple « {data['example']} »")
        runs = data["runs"]
        if not runs or not all({"seed", "metrics", "history"} <= set(r) for r in runs):
            raise ValueError("aucune exécution complète")
        return Reference(data["example"], data["profile"], list(data["seeds"]),
                         dict(data["config"]), runs, data.get("provenance", {}),
                         data.get("note", ""), path, dict(data.get("others", {})))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ReferenceFileError(
            f"La référence « {path} » est illisible ou corrompue ({error}). Régénérez-la "
            f"avec « {REGENERATE} ».") from error


def save(reference: Reference, folder: Path | None = None) -> Path:
    """Write atomically: the previous file stays whole until the new one is complete."""
    path = path_for(reference.example, folder)
    atomic.write_text(path, json.dumps(reference.to_json(), ensure_ascii=False, indent=1) + "\n")
    return path
