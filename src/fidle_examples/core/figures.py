"""Drawing an example's declared figures from a stored Result (no training).

`call` is what a drawing process of the site build runs (build/drawing.py): it imports
no more than the example module and what its figures need. Both draw inside the chart
style (core.plots.style), which is set for the drawing only."""

from __future__ import annotations

import importlib
import traceback
from types import ModuleType

from fidle_examples.core import contract as contract_mod
from fidle_examples.core.errors import FidleError
from fidle_examples.core.results import Figure, Result


def draw(module: ModuleType, result: Result, names: list[str] | None = None) -> dict[str, Figure]:
    """{key: Figure} for the declared figures of `module` (or `names` among them)."""
    contract = contract_mod.read(module)
    drawn = {}
    for key in names or list(contract.figures):
        function = contract.figure_function(module, key)
        try:
            with _style():
                svg = function(result)
        except Exception as error:  # a bug in a figure: name it, the run itself is fine
            raise failure(contract.example, key, reason(error)) from error
        if not is_svg(svg):
            raise failure(contract.example, key, None)
        drawn[key] = Figure(key, contract.figures[key], svg)
    return drawn


def failure(example: str, key: str, why: str | None) -> FidleError:
    """The error of figure `key` of `example`: its function raised (`why`, as `reason`
    writes it), or returned no SVG (None)."""
    if why is None:
        return FidleError(f"La fonction de la figure « {key} » de l'exemple « {example} » "
                          "doit renvoyer un texte SVG.")
    return FidleError(
        f"La figure « {key} » de l'exemple « {example} » n'a pas pu être dessinée ({why}). "
        "Les résultats de l'entraînement sont intacts : corrigez la fonction "
        f"« {contract_mod.function_name(contract_mod.FIGURE_PREFIX, key)} ».")


def reason(error: BaseException) -> str:
    """« ValueError : message »."""
    return f"{error.__class__.__name__} : {error}"


def is_svg(svg) -> bool:
    return isinstance(svg, str) and "<svg" in svg[:2000]


def call(module: ModuleType | str, function: str, result: Result,
         args: dict | None = None) -> tuple[str | None, str, str]:
    """Draw with `function` of `module` (or of the module of that name): (svg, "", "");
    (None, reason, traceback) when it raises; (None, "", "") when it returns no SVG.
    Never raises for a bug of the figure: a drawing process reports it."""
    try:
        if isinstance(module, str):
            module = importlib.import_module(module)
        with _style():
            svg = getattr(module, function)(result, **(args or {}))
    except Exception as error:
        return None, reason(error), traceback.format_exc()
    return (svg, "", "") if is_svg(svg) else (None, "", "")


def _style():
    """core.plots.style(), imported when a figure is drawn: `fidle-examples list` and the
    checks of a build never load matplotlib for nothing. matplotlib's own fonts are made
    sure of first (core.bundled_fonts)."""
    from fidle_examples.core import bundled_fonts, plots

    bundled_fonts.ensure()
    return plots.style()
