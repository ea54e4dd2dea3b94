"""The common shape of the examples: declared results, figures apart from training,
every example wired into the site, and what adding one takes."""

from __future__ import annotations

import ast
import inspect
import os
import shutil
import subprocess
import sys
import textwrap
import types

import pytest

from fidle_examples.core import contract, registry, runner
from fidle_examples.core.registry import ExampleSpec
from fidle_examples.build import keys
from fidle_examples.plugin import consistency
from support import ROOT

SPECS = {spec.name: spec for spec in registry.EXAMPLES}


def test_every_example_is_wired_into_the_site():
    assert consistency.problems(ROOT) == []


@pytest.mark.parametrize("name", list(SPECS))
def test_declarations_are_consistent(name):
    module = SPECS[name].load()
    declared = contract.read(module)  # raises on a figure without its function, etc.
    assert module.NAME == name and set(module.PROFILES) == {"full", "quick"}
    assert all(isinstance(m, contract.Metric) for m in declared.metrics.values())
    assert declared.figures, "an example shows at least one figure"


def _called_functions(module: types.ModuleType, start: str) -> set[str]:
    """Module-level functions that `start` calls, transitively (by name)."""
    tree = ast.parse(inspect.getsource(module))
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    seen, pending = set(), [start]
    while pending:
        name = pending.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        pending += [n.id for n in ast.walk(functions[name]) if isinstance(n, ast.Name)]
    return {n: functions[n] for n in seen}


@pytest.mark.parametrize("name", list(SPECS))
def test_training_draws_nothing(name):
    """run() returns data; the figures are drawn from it later (their own cache key)."""
    module = SPECS[name].load()
    for function, node in _called_functions(module, "run").items():
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        assert "plots" not in names, f"{name}: {function}() draws during training"


def _package_copy(tmp_path):
    package = tmp_path / "fidle_examples"
    shutil.copytree(keys.package_dir(), package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return package


def test_editing_a_figure_or_a_caption_keeps_the_training_key(tmp_path):
    package = _package_copy(tmp_path)
    spec = SPECS["mnist"]
    versions = {"keras": "x"}
    before = keys.fingerprint(spec, "full", versions, root=package)
    source = package / "examples" / "mnist.py"
    text = source.read_text(encoding="utf-8")
    edited = (text.replace('"Perte (entropie croisée)"', '"Perte, en couleur"')
                  .replace('"Perte par époque"', '"Une autre légende"')
                  .replace('Metric("Exactitude sur le jeu de test"', 'Metric("Autre libellé"'))
    assert edited != text
    source.write_text(edited, encoding="utf-8")
    plots = package / "core" / "plots.py"
    plots.write_text(plots.read_text(encoding="utf-8").replace('"#0072B2"', '"#123456"'),
                     encoding="utf-8")
    assert keys.fingerprint(spec, "full", versions, root=package) == before
    key = "0" * 64
    assert keys.figure_key(spec, key, root=package) != keys.figure_key(spec, key)


def test_editing_the_lesson_code_changes_the_training_key(tmp_path):
    package = _package_copy(tmp_path)
    spec = SPECS["mnist"]
    before = keys.fingerprint(spec, "full", {}, root=package)
    source = package / "examples" / "mnist.py"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace('activation="relu"', 'activation="tanh"', 1), encoding="utf-8")
    assert keys.fingerprint(spec, "full", {}, root=package) != before
    source.write_text(text.replace('"errors": Metric(', '"mistakes": Metric('), encoding="utf-8")
    assert keys.fingerprint(spec, "full", {}, root=package) != before  # a metric key


def _fake_example(metrics_made: dict) -> types.ModuleType:
    from dataclasses import dataclass

    from fidle_examples.core.results import Result

    @dataclass(frozen=True)
    class Config:
        seed: int = 0

    module = types.ModuleType("fake")
    module.__dict__.update(
        NAME="fake", DATASETS=(), Config=Config, PROFILES={"full": Config(), "quick": Config()},
        METRICS={"score": contract.Metric("Score")}, FIGURES={"curve": "Courbe"},
        run=lambda config, ctx: Result(metrics=dict(metrics_made)),
        figure_curve=lambda result: "<svg></svg>")
    return module


@pytest.mark.parametrize("made, message", [
    ({}, "déclarées mais non produites : score"),
    ({"score": 1.0, "bonus": 2.0}, "produites mais non déclarées : bonus"),
])
def test_a_run_must_produce_exactly_the_declared_metrics(made, message):
    module = _fake_example(made)
    spec = ExampleSpec("fake", "fake", "X", "Faux", "exemples/faux.md")
    with pytest.raises(contract.ContractError, match=message):
        runner.execute(spec, module, module.Config(), "quick", verbose=0)


def test_a_declared_figure_needs_its_function():
    module = _fake_example({"score": 1.0})
    del module.figure_curve
    with pytest.raises(contract.ContractError, match="figure_curve"):
        contract.read(module)
    module.figure_curve = lambda result: ""
    module.figure_other = lambda result: ""
    with pytest.raises(contract.ContractError, match="figure_other"):
        contract.read(module)


# --- adding an example: a module, a page, a registry entry (and make notebooks) --------

DEMO = '''
"""DEMO : un exemple jetable, pour vérifier ce qu'ajouter un exemple demande. Il tire des
points au hasard et en calcule la moyenne : aucun apprentissage, mais la forme commune
complète, avec ses déclarations, sa fonction run() et sa figure dessinée à part."""

from dataclasses import dataclass

import numpy as np

from fidle_examples.core import plots
from fidle_examples.core.contract import Metric
from fidle_examples.core.results import Result

NAME = "demo"
DATASETS = ()


@dataclass(frozen=True)
class Config:
    n_points: int = 20
    seed: int = 42


PROFILES = {"full": Config(), "quick": Config(n_points=5)}
METRICS = {"mean": Metric("Moyenne des points")}
FIGURES = {"points": "Les points tirés"}


def run(config, ctx):
    # --8<-- [start:data]
    x = np.random.default_rng(config.seed).standard_normal(config.n_points)
    # --8<-- [end:data]
    # --8<-- [start:evaluate]
    mean = float(x.mean())
    # --8<-- [end:evaluate]
    return Result(metrics={"mean": mean}, data={"x": x})


def figure_points(result):
    x = result.data["x"]
    return plots.line_chart(range(len(x)), {"points": list(x)}, "Points", "rang", "valeur")
'''

PAGE = '''# Démo

```python
--8<-- "src/fidle_examples/examples/demo.py:data"
```

{{ fidle:results demo }}
'''


def _consistency(root) -> list[str]:
    code = ("import sys; from pathlib import Path; "
            "from fidle_examples.plugin import consistency; "
            "print('\\n'.join(consistency.problems(Path(sys.argv[1]))))")
    done = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(root / "src")},
                          timeout=120)
    assert done.returncode == 0, done.stderr
    # The rest of the site is checked by test_every_example_is_wired_into_the_site.
    return [line for line in done.stdout.splitlines() if "demo" in line]


def test_adding_an_example_takes_a_module_a_page_and_a_registry_entry(tmp_path):
    """The how-to of the contributors' page, followed in a throwaway copy."""
    root = tmp_path / "projet"
    shutil.copytree(ROOT / "docs", root / "docs", ignore=shutil.ignore_patterns("vendor"))
    shutil.copy(ROOT / "mkdocs.yml", root)
    _package_copy(root / "src")
    (root / "src" / "fidle_examples" / "examples" / "demo.py").write_text(
        textwrap.dedent(DEMO), encoding="utf-8")
    registry_file = root / "src" / "fidle_examples" / "core" / "registry.py"
    registry_file.write_text(registry_file.read_text(encoding="utf-8").replace(
        "\n)\n", '\n    ExampleSpec("demo", "demo", "DEMO", "Démonstration", "exemples/demo.md",\n'
                 '                "une moyenne"),\n)\n', 1), encoding="utf-8")
    assert _consistency(root) == [
        "exemple « demo » : sa page docs/exemples/demo.md n'existe pas",
        "exemple « demo » : son carnet docs/carnets/demo.ipynb n'existe pas (make notebooks)",
        "exemple « demo » : aucune page ne montre ses résultats (marqueurs "
        "{{ fidle:… demo… }})"]
    (root / "docs" / "exemples" / "demo.md").write_text(PAGE.replace(
        "{{ fidle:results demo }}", "{{ fidle:metric demo/mean }}"), encoding="utf-8")
    (root / "docs" / "carnets" / "demo.ipynb").write_text("{}", encoding="utf-8")
    assert _consistency(root) == [
        "exemple « demo » : sa page exemples/demo.md n'est pas dans la navigation (nav de "
        "mkdocs.yml)",
        "exemple « demo » : son carnet carnets/demo.ipynb n'est pas dans la navigation",
        "exemple « demo » : la figure déclarée « points » n'est montrée sur aucune page"]
    (root / "docs" / "exemples" / "demo.md").write_text(PAGE, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "      - MNIST: exemples/mnist.md\n",
        "      - MNIST: exemples/mnist.md\n      - Démo: exemples/demo.md\n").replace(
        "      - MNIST: carnets/mnist.ipynb\n",
        "      - MNIST: carnets/mnist.ipynb\n      - Démo: carnets/demo.ipynb\n"),
        encoding="utf-8")
    assert _consistency(root) == []
