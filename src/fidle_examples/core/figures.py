"""Drawing an example's declared figures from a stored Result (no training)."""

from __future__ import annotations

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
            svg = function(result)
        except Exception as error:  # a bug in a figure: name it, the run itself is fine
            raise FidleError(
                f"La figure « {key} » de l'exemple « {contract.example} » n'a pas pu être "
                f"dessinée ({error.__class__.__name__} : {error}). Les résultats de "
                "l'entraînement sont intacts : corrigez la fonction "
                f"« {contract_mod.function_name(contract_mod.FIGURE_PREFIX, key)} ».") from error
        if not isinstance(svg, str) or "<svg" not in svg[:2000]:
            raise FidleError(f"La fonction de la figure « {key} » de l'exemple "
                             f"« {contract.example} » doit renvoyer un texte SVG.")
        drawn[key] = Figure(key, contract.figures[key], svg)
    return drawn
