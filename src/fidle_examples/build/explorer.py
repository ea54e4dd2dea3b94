"""Explorers over real runs: the states of an example's EXPLORER and their figures.

A state is one value per control (every combination of the profile's values). Its
trained controls pick a grid point (trained by loading.Loader, on the worker pool); its
figure controls are passed to the figure functions: `figure_boundary(result, epoch=5)`.
The figures of each point are drawn once (with the build's other figures: drawing.py)
and kept in the results cache, under the point's entry
(`explorer-<figure key>/<state>-<figure>.svg`), so a warm build draws nothing. The page
gets them as generated files, `generated/NAME/explorer/...`; the HTML is written by
plugin/explorerhtml.py.

An example may define `explorer_metrics(result, **figure_args)`, returning
[(Metric, value)]: the numbers of a state that depend on a figure control (the weights
after epoch 5); the numbers of Explorer.metrics come from the point's result.
Explorer.figures may be a dict {figure key: caption} when the page's caption of a
figure does not describe one state of it.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

from fidle_examples.core import frenchfmt, registry
from fidle_examples.core.contract import Control, Explorer, function_name, FIGURE_PREFIX
from fidle_examples.core.errors import FidleError
from fidle_examples.core.results import Result
from fidle_examples.build import drawing, keys
from fidle_examples.build.jobs import slot as slot_of
from fidle_examples.build.storage import ResultsCache

log = logging.getLogger("mkdocs.plugins.fidle_examples")

FOLDER = "explorer"  # generated/NAME/explorer/ on the site; explorer-<key>/ in the cache
HOOK = "explorer_metrics"
_UNSAFE = re.compile(r"[^A-Za-z0-9.]+")


@dataclass
class State:
    choice: tuple[int, ...]  # index of each control's value
    values: dict[str, Any]  # control key -> value
    overrides: dict[str, Any]  # the trained controls: options of the command
    files: dict[str, str]  # figure key -> file name under generated/NAME/explorer/
    metrics: list[tuple[str, str]]  # (French label, formatted value)
    warnings: list[str]  # the point's own (a descent that diverged...)

    @property
    def key(self) -> str:
        """How the page's script names the state: "3-1"."""
        return "-".join(str(i) for i in self.choice)


@dataclass
class View:
    """What the page shows of an example's explorer."""

    example: str
    profile: str
    controls: list[tuple[str, Control, tuple]]  # key, control, this profile's values
    captions: dict[str, str]  # figure key -> caption
    states: list[State]
    initial: State
    svgs: dict[str, str] = field(default_factory=dict, repr=False)  # file name -> SVG


# --- states ---------------------------------------------------------------------------

def grid(explorer: Explorer, profile: str) -> list[dict[str, Any]]:
    """Every state: one value per control, all combinations, in the declared order."""
    keys = list(explorer.controls)
    return [dict(zip(keys, combo))
            for combo in itertools.product(*(explorer.values(k, profile) for k in keys))]


def trained_part(explorer: Explorer, values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if not explorer.controls[k].figure_arg}


def figure_part(explorer: Explorer, values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if explorer.controls[k].figure_arg}


def captions(explorer: Explorer, declared: dict[str, str]) -> dict[str, str]:
    figures = explorer.figures
    if isinstance(figures, dict):
        return dict(figures)
    return {key: declared[key] for key in figures}


def value_text(control: Control, value: Any) -> str:
    """The French text of a control's value: its label, or the number written the
    French way (0,3)."""
    if control.value_labels and value in control.values:
        return control.value_labels[control.values.index(value)]
    if isinstance(value, float):
        return frenchfmt.short(value)
    return str(value)


def setting_text(controls, values: dict[str, Any]) -> str:
    """« Pas d'apprentissage initial η : 0,3 ; variante : stochastique »."""
    parts = []
    for index, (key, control, _) in enumerate(controls):
        label = control.label if index == 0 else control.label[:1].lower() + control.label[1:]
        parts.append(f"{label}\u00a0: {value_text(control, values[key])}")
    return "\u202f; ".join(parts)


def command(example: str, profile: str, overrides: dict[str, Any]) -> str:
    """The command that trains this point (figure controls are not options)."""
    words = ["fidle-examples", "run", example]
    if profile != "full":
        words += ["--profile", profile]
    for key, value in overrides.items():
        words += [f"--{key.replace('_', '-')}", str(value)]
    return " ".join(words)


def format_metric(metric, value: float) -> str:
    """As the Metric writes it, except an ordinary number beyond a million (a descent
    that diverged): "1,23 × 10¹³" rather than fourteen digits."""
    if metric.kind == "number" and abs(value) >= 1e6:
        return frenchfmt.scientific(value, 2)
    return metric.format(value)


def initial_choice(controls, config: dict) -> tuple[int, ...]:
    """The state shown first: the page's own settings where the grid has them, else each
    control's first value."""
    choice = []
    for key, control, values in controls:
        current = config.get(key) if not control.figure_arg else None
        choice.append(values.index(current) if current in values else 0)
    return tuple(choice)


# --- figures ----------------------------------------------------------------------------

def _accepted(function, args: dict[str, Any]) -> dict[str, Any]:
    """The figure arguments `function` takes: a figure that ignores a control is drawn
    once for all its values."""
    parameters = inspect.signature(function).parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return dict(args)
    return {k: v for k, v in args.items() if k in parameters}


def _slug(values: dict[str, Any]) -> str:
    text = "_".join(f"{k}-{v}" for k, v in values.items())
    return _UNSAFE.sub("-", text).strip("-") or "tout"


def _failure(example: str, key: str, args: dict, why: str | None) -> FidleError:
    """The error of a figure of the explorer (drawing.Task.failure)."""
    function = function_name(FIGURE_PREFIX, key)
    if why is None:
        return FidleError(f"La fonction de la figure « {key} » de l'exemple « {example} » "
                          f"(« {function} ») doit renvoyer un texte SVG.")
    return FidleError(
        f"La figure « {key} » de l'explorateur de l'exemple « {example} » n'a pas pu "
        f"être dessinée pour {args or 'ce point'} ({why}). Les résultats des "
        f"entraînements sont intacts : corrigez la fonction « {function} ».")


def _numbers(hook, example: str, result: Result, args: dict) -> list:
    try:
        return list(hook(result, **args))
    except Exception as error:  # a bug in the example's hook: name it
        raise FidleError(
            f"La fonction « {HOOK} » de l'exemple « {example} » a échoué pour {args} "
            f"({error.__class__.__name__} : {error}). Les résultats des entraînements sont "
            "intacts.") from error


def prepare(entry, module: ModuleType, results: ResultsCache, profile: str,
            batch: drawing.Batch | None = None) -> View:
    """The view of the explorer of `entry` (loading.Loaded, with its grid points), its
    figures read from the cache or drawn from the stored results: by `batch`, into
    view.svgs once it has run, or by this call without one; kept in entry.explorer."""
    explorer: Explorer = module.EXPLORER
    example = entry.contract.example
    controls = [(k, c, explorer.values(k, profile)) for k, c in explorer.controls.items()]
    shown = captions(explorer, entry.contract.figures)
    functions = {key: getattr(module, function_name(FIGURE_PREFIX, key)) for key in shown}
    hook = getattr(module, HOOK, None)
    points = {_slug(overrides): (overrides, result, key)
              for overrides, result, key in entry.points}
    if not any(not c.figure_arg for _, c, _ in controls):
        points = {_slug({}): ({}, entry.result, entry.key)}  # figure controls only: one run
    spec = registry.get(example)

    # Which file each state shows, and which drawing makes each file, point by point.
    states, wanted = [], {slug: {} for slug in points}
    for values in grid(explorer, profile):
        overrides, args = trained_part(explorer, values), figure_part(explorer, values)
        slug = _slug(overrides)
        if slug not in points:
            raise FidleError(f"L'explorateur de « {example} » n'a pas le résultat du point "
                             f"{overrides} : relancez la construction.")
        _, result, _ = points[slug]
        files = {}
        for key, function in functions.items():
            drawn_with = _accepted(function, args)
            name = f"{_slug({**overrides, **drawn_with})}-{key}.svg"
            wanted[slug][name] = (key, drawn_with)
            files[key] = name
        numbers = [(entry.contract.metrics[k], result.metrics[k]) for k in explorer.metrics]
        if hook is not None:
            numbers += _numbers(hook, example, result, args)
        choice = tuple(grid_values.index(values[k]) for k, _, grid_values in controls)
        states.append(State(choice, values, overrides, files,
                            [(m.label_for(result.config), format_metric(m, v))
                             for m, v in numbers],
                            list(result.extra.get("warnings", []))))

    first = initial_choice(controls, entry.result.config)
    initial = next(s for s in states if s.choice == first)
    view = View(example, profile, controls, shown, states, initial)
    entry.explorer = view
    own = batch is None
    batch = drawing.Batch() if own else batch
    for slug, (overrides, result, key) in points.items():
        folder = results.figures_dir(example, slot_of(profile, None, overrides), key,
                                     keys.figure_key(spec, f"{key}:{FOLDER}"), kind=FOLDER)
        stored = results.load_figures(folder, wanted[slug])
        if stored is not None:
            view.svgs.update(stored)
            continue
        tasks = {name: drawing.Task(example, module, function_name(FIGURE_PREFIX, figure),
                                    result, partial(_failure, example, figure, args), args)
                 for name, (figure, args) in wanted[slug].items()}
        batch.add(tasks, partial(_drawn, view, results, folder, overrides))
    if own:
        batch.run()
    return view


def _drawn(view: View, results: ResultsCache, folder: Path, overrides: dict,
           svgs: dict[str, str]) -> None:
    """The figures of one point, drawn: logged, kept in the cache and in the view."""
    log.info("« %s » : %d figures de l'explorateur dessinées (%s).", view.example,
             len(svgs), ", ".join(f"{k} = {v}" for k, v in overrides.items())
             or "exécution unique")
    view.svgs.update(svgs)
    try:
        results.store_figures(folder, svgs)
    except FidleError as error:  # only costs drawing them again next time
        log.warning("%s Les figures de l'explorateur seront redessinées à la prochaine "
                    "construction.", error)


def files(entry) -> dict[str, str]:
    """{"explorer/<file>" (under generated/NAME/, without .svg): SVG} of the entry."""
    view = getattr(entry, "explorer", None)
    if view is None:
        return {}
    return {f"{FOLDER}/{name.removesuffix('.svg')}": svg for name, svg in view.svgs.items()}
