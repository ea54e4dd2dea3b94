"""The Result of a run: what the site, the CLI and the tests read, saved as files.

    result.json   history, metrics, extra, provenance (and the figure list, if drawn)
    data.npz      the arrays the figures are drawn from (no pickle)
    NAME.svg      one per drawn figure
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from fidle_examples.core.errors import FidleError

RESULT_FILE = "result.json"
DATA_FILE = "data.npz"


@dataclass
class Figure:
    """An SVG figure drawn from a Result; `name` is its file stem."""

    name: str
    title: str
    svg: str = field(repr=False, default="")


@dataclass
class Result:
    history: dict[str, list[float]] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)  # declared in METRICS
    data: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # for figures
    extra: dict = field(default_factory=dict)  # small JSON data for figures (labels...)
    figures: dict[str, Figure] = field(default_factory=dict)  # drawn after the run
    # Filled in by the runner, not by the examples:
    example: str = ""
    title: str = ""
    profile: str = ""
    config: dict = field(default_factory=dict)
    seed: int = 0
    duration_s: float = 0.0
    device: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    date: str = ""

    def metric(self, name: str) -> float:
        return self.metrics[name]

    # --- saving and loading -------------------------------------------------
    def to_json(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in ("data", "figures")}
        data = asdict(_Plain(data))["value"]
        data["figures"] = {name: {"title": fig.title, "file": f"{name}.svg"}
                           for name, fig in self.figures.items()}
        data["arrays"] = sorted(self.data)  # so that a lost data.npz is noticed
        return data

    def save(self, folder: Path) -> None:
        """Write result.json, data.npz and one SVG per drawn figure into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, fig in self.figures.items():
            (folder / f"{name}.svg").write_text(fig.svg, encoding="utf-8")
        if self.data:
            buffer = io.BytesIO()
            np.savez_compressed(buffer, **{k: np.asarray(v) for k, v in self.data.items()})
            (folder / DATA_FILE).write_bytes(buffer.getvalue())
        text = json.dumps(_finite(self.to_json()), ensure_ascii=False, indent=1)
        (folder / RESULT_FILE).write_text(text, encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "Result":
        path = folder / RESULT_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["metrics"] = {k: float(v) for k, v in data["metrics"].items()}
            data["figures"] = {
                name: Figure(name, fig["title"],
                             (folder / fig["file"]).read_text(encoding="utf-8"))
                for name, fig in data["figures"].items()}
            arrays = data.pop("arrays", None)  # None: saved before the list was kept
            if arrays or (arrays is None and (folder / DATA_FILE).exists()):
                with np.load(folder / DATA_FILE, allow_pickle=False) as stored:
                    data["data"] = {k: stored[k] for k in arrays or stored.files}
            return cls(**data)
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as error:
            raise FidleError(
                f"Le résultat enregistré dans « {folder} » est illisible ou incomplet "
                f"({error.__class__.__name__} : {error}). Supprimez ce dossier pour "
                "relancer l'entraînement."
            ) from error


@dataclass
class _Plain:
    value: dict  # asdict() copies nested containers deeply


def _finite(value):
    """JSON has no NaN: store non-finite floats as null rather than invalid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
