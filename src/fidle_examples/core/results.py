"""The Result of a run: what the site, the CLI and the tests read, saved as JSON + SVG."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fidle_examples.core import frenchfmt
from fidle_examples.core.errors import FidleError

RESULT_FILE = "result.json"


@dataclass
class Metric:
    """A final number of a run, with its French label and how to write it."""

    label: str
    value: float
    kind: str = "number"  # "number", "percent", "integer", "seconds" or "scientific"
    digits: int = 3

    def formatted(self) -> str:
        return frenchfmt.format_value(self.value, self.kind, self.digits)


@dataclass
class Figure:
    """An SVG figure made by an example; `name` is its file stem."""

    name: str
    title: str
    svg: str = field(repr=False, default="")


@dataclass
class Result:
    history: dict[str, list[float]] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)  # example-specific data (tables...)
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

    def add_figure(self, name: str, title: str, svg: str) -> None:
        self.figures[name] = Figure(name, title, svg)

    def add_metric(self, name: str, label: str, value: float, kind: str = "number",
                   digits: int = 3) -> None:
        self.metrics[name] = Metric(label, float(value), kind, digits)

    def metric(self, name: str) -> float:
        return self.metrics[name].value

    # --- saving and loading -------------------------------------------------
    def to_json(self) -> dict:
        data = asdict(self)
        data["figures"] = {name: {"title": fig.title, "file": f"{name}.svg"}
                           for name, fig in self.figures.items()}
        return data

    def save(self, folder: Path) -> None:
        """Write result.json and one SVG per figure into `folder` (created if needed)."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, fig in self.figures.items():
            (folder / f"{name}.svg").write_text(fig.svg, encoding="utf-8")
        text = json.dumps(_finite(self.to_json()), ensure_ascii=False, indent=1)
        (folder / RESULT_FILE).write_text(text, encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "Result":
        path = folder / RESULT_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["metrics"] = {k: Metric(**m) for k, m in data["metrics"].items()}
            data["figures"] = {
                name: Figure(name, fig["title"],
                             (folder / fig["file"]).read_text(encoding="utf-8"))
                for name, fig in data["figures"].items()}
            return cls(**data)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise FidleError(
                f"Le résultat enregistré dans « {folder} » est illisible ou incomplet "
                f"({error.__class__.__name__} : {error}). Supprimez ce dossier pour "
                "relancer l'entraînement."
            ) from error


def _finite(value):
    """JSON has no NaN: store non-finite floats as null rather than invalid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
