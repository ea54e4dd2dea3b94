"""The committed reference results: several seeds of each example, full profile.

`reference/NAME.json` at the root of the project holds, for one example, the seeds,
each seed's metrics and history, their min / median / max, and the provenance
(device, date, versions, config). It is the published result of the course: the
pages show its ranges and bands, the CLI tells whether a run falls inside, and the
tests check every claim of the pages against each of its seeds.
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
    runs: list[dict]  # {"seed", "metrics", "history", "duration_s"}
    provenance: dict = field(default_factory=dict)
    note: str = ""
    path: Path | None = None

    # --- summaries ------------------------------------------------------------
    def values(self, metric: str) -> list[float]:
        return [run["metrics"][metric] for run in self.runs]

    def range(self, metric: str) -> tuple[float, float, float]:
        """(min, median, max) of `metric` over the seeds."""
        values = self.values(metric)
        return min(values), statistics.median(values), max(values)

    def band(self, key: str) -> tuple[list[float], list[float], list[float]] | None:
        """Per-epoch (min, median, max) of history curve `key`, or None."""
        curves = [run["history"].get(key) for run in self.runs]
        if not curves or any(c is None for c in curves):
            return None
        length = min(len(c) for c in curves)
        columns = [[c[i] for c in curves] for i in range(length)]
        return ([min(col) for col in columns], [statistics.median(col) for col in columns],
                [max(col) for col in columns])

    def results(self) -> list[Result]:
        """One Result per seed (metrics, history, config): what claims are checked on."""
        return [Result(history=run["history"], metrics=run["metrics"], example=self.example,
                       profile=self.profile, config={**self.config, "seed": run["seed"]},
                       seed=run["seed"]) for run in self.runs]

    def inside(self, metric: str, value: float) -> bool:
        low, _, high = self.range(metric)
        return low <= value <= high

    # --- files ----------------------------------------------------------------
    def to_json(self) -> dict:
        metrics = {}
        for key in self.runs[0]["metrics"] if self.runs else []:
            low, median, high = self.range(key)
            metrics[key] = {"min": low, "median": median, "max": high}
        history = {}
        for key in self.runs[0]["history"] if self.runs else []:
            band = self.band(key)
            if band:
                history[key] = dict(zip(("min", "median", "max"), band))
        return {"format": FORMAT, "example": self.example, "profile": self.profile,
                "seeds": self.seeds, "note": self.note, "config": self.config,
                "provenance": self.provenance, "metrics": metrics, "history": history,
                "runs": self.runs}


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
                         data.get("note", ""), path)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ReferenceFileError(
            f"La référence « {path} » est illisible ou corrompue ({error}). Régénérez-la "
            f"avec « {REGENERATE} ».") from error


def save(reference: Reference, folder: Path | None = None) -> Path:
    """Write atomically: the previous file stays whole until the new one is complete."""
    path = path_for(reference.example, folder)
    atomic.write_text(path, json.dumps(reference.to_json(), ensure_ascii=False, indent=1) + "\n")
    return path
