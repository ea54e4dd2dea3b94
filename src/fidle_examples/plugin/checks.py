"""Checking every page marker against the examples' declarations, before any training.

A marker naming an unknown example, metric, figure, claim or config field fails the
build within seconds, with the page, the line and the valid names: the contracts are
read by importing the example modules, which trains nothing.
"""

from __future__ import annotations

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


def load_modules(names: list[str]) -> tuple[dict[str, ModuleType], list[str]]:
    """{name: module} of the examples, and the errors of those that cannot be read."""
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
    return modules, errors


def check(marker: Marker, module: ModuleType) -> str | None:
    """Why the item of `marker` is not declared by `module`, or None."""
    if marker.kind not in _ITEMS:
        return None
    what, attribute = _ITEMS[marker.kind]
    declared = getattr(contract_mod.read(module), attribute)
    if marker.item in declared:
        return None
    known = ", ".join(declared) or "aucun"
    return (f"{what} « {marker.item} » pour l'exemple « {marker.name} » dans "
            f"« {marker.text} ». Possibles : {known}.")
