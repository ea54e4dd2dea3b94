"""The last cell of a notebook: the learner's numbers against the site's reference.

The reference ranges (reference/NAME.json: min, median and max over several seeds) are
read when the notebook is generated and written into it as literal values, so the
notebook needs nothing but itself. Durations are left out: they measure the machine.
"""

from __future__ import annotations

import dataclasses
import json
import re
import string
import textwrap

from fidle_examples.core import reference as references
from fidle_examples.core.compare import compared
from fidle_examples.notebooks import code as source

# frenchfmt-exempt: written into the notebook, which cannot import fidle_examples
_FUNCTIONS = textwrap.dedent('''\
    def french(value, kind, digits):
        """A number written as on the site: 97,75 %, 0,068, 199 210, 1,2e-08."""
        if kind == "scientific":
            return f"{value:.{digits}e}".replace(".", ",")
        if kind == "percent":
            return french(100 * value, "number", digits) + " %"
        if kind == "integer":
            digits = 0
        return f"{value:,.{digits}f}".replace(",", " ").replace(".", ",")


    def compare(metrics):
        """Each measure of this run and, when the site has a reference for it, where it
        falls: within the range of the site's seeds, below or above."""
        if not REFERENCE:
            print("Comparaison indisponible : le site n'avait pas de résultats de référence "
                  "pour cet exemple quand ce carnet a été produit.\\n")
        elif PROFILE != "full":
            print("Profil rapide : la référence est celle du profil complet "
                  "(PROFILE = \\"full\\") ; des écarts sont attendus.\\n")
        for key, (label, kind, digits) in MEASURES.items():
            text = f"{label} : {french(metrics[key], kind, digits)}"
            if key in REFERENCE:
                low, median, high = REFERENCE[key]
                where = ("en dessous" if metrics[key] < low else
                         "au-dessus" if metrics[key] > high else "dans la plage")
                text += (f" : {where} (site : de {french(low, kind, digits)} à "
                         f"{french(high, kind, digits)}, médiane {french(median, kind, digits)})")
            print(text)


    compare(metrics)''')


def _text(value: str) -> str:
    """A Python string literal in double quotes, accents kept."""
    return json.dumps(value, ensure_ascii=False)


def _label(label: str, fields: set[str]) -> str:
    """A label as a Python literal; one that names a setting (« degré {max_degree} »)
    becomes an f-string over the notebook's variable (f"degré {MAX_DEGREE}")."""
    parts = list(string.Formatter().parse(label))
    if all(field is None for _, field, _, _ in parts):
        return _text(label)
    out = []
    for literal, field, spec, conversion in parts:
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if field is None:
            continue
        root = re.match(r"\w+", field)[0]
        if root not in fields:
            return _text(label)  # not a setting: the label as it is
        out.append("{" + source.variable(root) + field[len(root):]
                   + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
                   + "}")
    return "f" + _text("".join(out))


def is_duration(key: str, metric) -> bool:
    """Left out of the notebook's comparison, as the site leaves it out."""
    return not compared(metric)


def cell(name: str, module) -> tuple[str, str]:
    """(Markdown, code) of the closing cell of example `name`."""
    reference = references.load(name)
    fields = {f.name for f in dataclasses.fields(module.Config)}
    measures = "\n".join(f"    {_text(key)}: ({_label(metric.label, fields)}, "
                         f"{_text(metric.kind)}, {metric.digits}),"
                         for key, metric in module.METRICS.items())
    if reference is None:
        text = ("Le site n'avait pas encore de résultats de référence pour cet exemple quand "
                "ce carnet a été produit : la cellule suivante affiche vos mesures, sans "
                "comparaison.")
        ranges = "REFERENCE = {}  # no reference results when this notebook was generated"
    else:
        seeds = len(reference.seeds)
        text = (f"Le site publie, pour chaque mesure, la plage obtenue en entraînant cet "
                f"exemple avec {seeds} graines différentes (profil complet). La cellule "
                "suivante dit, mesure par mesure, si votre exécution est **dans la plage**, "
                "**en dessous** ou **au-dessus**. La comparaison n'a de sens qu'avec le "
                "profil complet (`PROFILE = \"full\"` dans la cellule de mise en place) : le "
                "profil rapide entraîne moins longtemps, parfois sur moins de données. Un "
                "autre matériel ou d'autres versions des bibliothèques peuvent aussi décaler "
                "un peu les nombres. Les durées ne sont pas comparées : elles dépendent de "
                "la machine.")
        lines = [f"    {_text(key)}: {tuple(float(v) for v in reference.range(key))!r},"
                 for key, metric in module.METRICS.items()
                 if not is_duration(key, metric) and key in reference.runs[0]["metrics"]]
        ranges = "\n".join([
            f"# The site's reference (reference/{name}.json): min, median and max of each",
            f"# measure over {seeds} seeds, {reference.profile} profile. Durations are left "
            "out: they depend on the machine.",
            "REFERENCE = {", *lines, "}"])
    code = "\n".join([
        "# Each measure of the example: its French label, and how the site writes it.",
        "MEASURES = {", measures, "}", ranges, "", "", _FUNCTIONS])
    return "## Vos résultats et ceux du site\n\n" + text, code
