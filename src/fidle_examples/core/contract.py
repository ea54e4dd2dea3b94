"""What an example declares at module level, and the checks that hold it to it.

Every example module has the same shape:

    NAME, DATASETS, Config, PROFILES          what it is and how it is set
    METRICS = {key: Metric(label, kind, digits)}   the numbers run() produces
    FIGURES = {key: caption}                  one function figure_<key>(result) each
    CLAIMS = {key: statement}                 one function claim_<key>(view) each; a
                                              statement about the hardware (time) is
                                              Claim(statement, device_specific=True)
    run(config, ctx) -> Result                trains; returns data, never draws

Figures are drawn from the stored Result, and claims are checked on a Result or on
each seed of the committed reference: neither is part of the training cache key.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from fidle_examples.core import frenchfmt
from fidle_examples.core.errors import FidleError

FIGURE_PREFIX = "figure_"
CLAIM_PREFIX = "claim_"
# Module-level names that only describe or present results: not in the training key.
PRESENTATION_NAMES = ("FIGURES", "CLAIMS", "EXPLORER")  # each grid point has its own key
EXPLORER_PREFIX = "explorer_"  # explorer_metrics(result, **figure_args): what a state shows


@dataclass(frozen=True)
class Metric:
    """How a metric is named and written: label in French, kind, digits."""

    label: str
    kind: str = "number"  # "number", "percent", "integer", "seconds" or "scientific"
    digits: int = 3

    def format(self, value: float) -> str:
        return frenchfmt.format_value(value, self.kind, self.digits)

    def label_for(self, config: dict) -> str:
        """The label with its {field} placeholders filled from the run's config (a
        label that names a size stays right when the size changes): « degré {max_degree} »
        -> « degré 20 »; « {sizes[0]} images » works for tuples."""
        if "{" not in self.label:
            return self.label
        try:
            return self.label.format(**{k: _french(v) for k, v in config.items()})
        except (KeyError, IndexError, ValueError):
            return self.label


@dataclass(frozen=True)
class Claim:
    """A claim's declaration when it is more than its statement. `device_specific`: what
    it states depends on the hardware or the backend (anything about time), so it is
    checked on the setting the reference was computed on (its backend and device); on
    another, a false verdict is shown with the run's values and a note, and does not
    fail the strict build. Claims about the mathematics or the lesson are not."""

    statement: str
    device_specific: bool = False


@dataclass(frozen=True)
class Control:
    """One control of an explorer: a config field (each value is trained) or, with
    `figure_arg`, an argument of the figure functions (one run, one drawing per value)."""

    label: str  # French, shown beside the control
    values: tuple
    value_labels: tuple = ()  # French text for each value (default: the value)
    figure_arg: bool = False
    quick_values: tuple = ()  # a smaller grid for the quick profile (default: values)


@dataclass(frozen=True)
class Explorer:
    """A small grid of settings whose every point is trained at build time, so the
    reader moves a control and sees real runs. `{{ fidle:explorer NAME }}`."""

    controls: dict  # key (config field or figure argument) -> Control
    figures: tuple[str, ...]  # declared figure keys shown for each state
    metrics: tuple[str, ...] = ()  # declared metric keys shown for each state

    def values(self, key: str, profile: str) -> tuple:
        control = self.controls[key]
        return (control.quick_values or control.values) if profile == "quick" else control.values

    def points(self, profile: str) -> list[dict]:
        """Config overrides of each point to train (figure arguments excluded)."""
        import itertools

        trained = [k for k, c in self.controls.items() if not c.figure_arg]
        if not trained:
            return []
        grids = [self.values(k, profile) for k in trained]
        return [dict(zip(trained, combo)) for combo in itertools.product(*grids)]


def _french(value):
    if isinstance(value, bool) or not isinstance(value, (int, float, list, tuple)):
        return value
    if isinstance(value, (list, tuple)):
        return [_french(v) for v in value]
    digits = 0 if float(value).is_integer() else 3
    return frenchfmt.number(value, digits).rstrip("0").rstrip(",") if digits else \
        frenchfmt.number(value, 0)


class ContractError(FidleError):
    """An example does not produce or declare what its contract says."""


def function_name(prefix: str, key: str) -> str:
    return prefix + key.replace("-", "_")


@dataclass(frozen=True)
class Contract:
    example: str
    metrics: dict[str, Metric]
    figures: dict[str, str]
    claims: dict[str, str]  # key -> French statement
    config_fields: tuple[str, ...]
    device_specific: frozenset[str] = frozenset()  # claims about the hardware (Claim)

    def figure_function(self, module: ModuleType, key: str):
        return getattr(module, function_name(FIGURE_PREFIX, key))

    def claim_function(self, module: ModuleType, key: str):
        return getattr(module, function_name(CLAIM_PREFIX, key))


def read(module: ModuleType) -> Contract:
    """The declarations of `module`, checked for consistency (no training needed)."""
    name = getattr(module, "NAME", module.__name__)
    problems = []
    for needed in ("NAME", "DATASETS", "Config", "PROFILES", "METRICS", "FIGURES", "run"):
        if not hasattr(module, needed):
            problems.append(f"il ne déclare pas « {needed} »")
    if problems:
        raise ContractError(f"L'exemple « {name} » ne suit pas la forme commune : "
                            + " ; ".join(problems) + ".")
    claims = getattr(module, "CLAIMS", {})
    for key, value in claims.items():
        if not isinstance(value, (str, Claim)):
            problems.append(f"l'affirmation « {key} » n'est ni un texte ni un Claim(texte)")
    for declared, prefix, what in ((module.FIGURES, FIGURE_PREFIX, "figure"),
                                   (claims, CLAIM_PREFIX, "affirmation")):
        expected = {function_name(prefix, key) for key in declared}
        present = {n for n in vars(module) if n.startswith(prefix) and callable(vars(module)[n])}
        for missing in sorted(expected - present):
            problems.append(f"{what} déclarée sans fonction « {missing} »")
        for extra in sorted(present - expected):
            problems.append(f"fonction « {extra} » sans {what} déclarée")
    for key, metric in module.METRICS.items():
        if not isinstance(metric, Metric):
            problems.append(f"la mesure « {key} » n'est pas un Metric(label, kind, digits)")
    if problems:
        raise ContractError(f"Déclarations incohérentes dans l'exemple « {name} » : "
                            + " ; ".join(problems) + ".")
    fields = tuple(f.name for f in dataclasses.fields(module.Config))
    explorer = getattr(module, "EXPLORER", None)
    if explorer is not None:
        for key, control in explorer.controls.items():
            if not control.figure_arg and key not in fields:
                problems.append(f"le contrôle « {key} » de l'explorateur n'est pas un champ "
                                "de Config")
        for key in explorer.figures:
            if key not in module.FIGURES:
                problems.append(f"l'explorateur montre la figure non déclarée « {key} »")
        for key in explorer.metrics:
            if key not in module.METRICS:
                problems.append(f"l'explorateur montre la mesure non déclarée « {key} »")
    if problems:
        raise ContractError(f"Déclarations incohérentes dans l'exemple « {name} » : "
                            + " ; ".join(problems) + ".")
    statements = {k: v.statement if isinstance(v, Claim) else v for k, v in claims.items()}
    specific = frozenset(k for k, v in claims.items() if isinstance(v, Claim) and v.device_specific)
    return Contract(name, dict(module.METRICS), dict(module.FIGURES), statements, fields,
                    specific)


def check_produced(contract: Contract, metrics: dict[str, Any]) -> None:
    """A run must produce exactly the declared metrics."""
    missing = sorted(set(contract.metrics) - set(metrics))
    extra = sorted(set(metrics) - set(contract.metrics))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"mesures déclarées mais non produites : {', '.join(missing)}")
        if extra:
            parts.append(f"mesures produites mais non déclarées : {', '.join(extra)}")
        raise ContractError(f"L'exemple « {contract.example} » ne respecte pas son contrat "
                            f"(METRICS) : {' ; '.join(parts)}.")
