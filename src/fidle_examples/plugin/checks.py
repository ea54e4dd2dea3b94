"""Checking every page marker against the examples' declarations, before any training.

A marker naming an unknown example, metric, figure, claim or config field fails the
build within seconds, with the page, the line and the valid names: the contracts are
read by importing the example modules, which trains nothing.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType

from fidle_examples.core import contract as contract_mod
from fidle_examples.core import registry
from fidle_examples.core.errors import FidleError
from fidle_examples.plugin.markers import INDEX_NAMES, Marker

_ITEMS = {  # marker kind -> (what the item names, in French; where the names are)
    "metric": ("mesure inconnue", "metrics"),
    "range": ("mesure inconnue", "metrics"),
    "figure": ("figure inconnue", "figures"),
    "claim": ("affirmation inconnue", "claims"),
    "config": ("hyperparamètre inconnu", "config_fields"),
}


def unknown_example(marker: Marker) -> str | None:
    """Why the example of `marker` cannot be used, or None."""
    if marker.kind == "index":
        if marker.name in INDEX_NAMES:
            return None
        return (f"liste inconnue « {marker.name} » ; listes possibles : "
                f"{', '.join(INDEX_NAMES)}")
    try:
        registry.get(marker.name)
    except FidleError as error:
        return str(error)
    return None


# Modules the figures and declarations come from. A long `mkdocs serve` process must
# see their edits: when one of their files changed, they are all imported afresh.
_FRESH = ("fidle_examples.examples", "fidle_examples.core.plots", "fidle_examples.core.figures")
_MTIMES: dict[str, int] = {}


def _tracked() -> dict[str, ModuleType]:
    return {name: module for name, module in list(sys.modules.items())
            if name.startswith(_FRESH) and getattr(module, "__file__", None)}


def refresh() -> None:
    """Forget the example and drawing modules if one of their files was edited."""
    tracked = _tracked()
    changed = any(_MTIMES.get(name) != _mtime(module) for name, module in tracked.items())
    if changed:
        for name in tracked:
            del sys.modules[name]
        _MTIMES.clear()


def _remember() -> None:
    _MTIMES.update({name: _mtime(module) for name, module in _tracked().items()})


def _mtime(module: ModuleType) -> int:
    try:
        return os.stat(module.__file__).st_mtime_ns
    except OSError:
        return -1


def load_modules(names: list[str]) -> tuple[dict[str, ModuleType], list[str]]:
    """{name: module} of the examples, and the errors of those that cannot be read."""
    refresh()
    modules, errors = {}, []
    for name in names:
        spec = registry.get(name)
        try:
            module = spec.load()
            contract_mod.read(module)
        except ModuleNotFoundError as error:
            if error.name != f"fidle_examples.examples.{spec.module}":
                raise
            errors.append(f"l'exemple « {name} » est dans le registre mais son module "
                          f"« fidle_examples/examples/{spec.module}.py » n'existe pas")
            continue
        except FidleError as error:
            errors.append(str(error))
            continue
        modules[name] = module
    _remember()
    return modules, errors


def check(marker: Marker, module: ModuleType) -> str | None:
    """Why the item of `marker` is not declared by `module`, or None."""
    if marker.kind == "explorer" and getattr(module, "EXPLORER", None) is None:
        return (f"l'exemple « {marker.name} » ne déclare pas d'explorateur (EXPLORER) : "
                f"« {marker.text} » n'a rien à montrer")
    if marker.kind not in _ITEMS:
        return None
    what, attribute = _ITEMS[marker.kind]
    declared = getattr(contract_mod.read(module), attribute)
    if marker.item in declared:
        return None
    known = ", ".join(declared) or "aucun"
    return (f"{what} « {marker.item} » pour l'exemple « {marker.name} » dans "
            f"« {marker.text} ». Possibles : {known}.")
