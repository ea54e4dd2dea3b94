"""The list of examples: one place that names them, in the order of the course."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from fidle_examples.core.errors import UsageError


@dataclass(frozen=True)
class ExampleSpec:
    name: str  # the CLI name, e.g. "mnist"
    module: str  # module under fidle_examples.examples
    fidle_id: str  # the notebook of the original Fidle course, e.g. "MNIST1"
    title: str  # French title shown by `fidle-examples list` and on the site
    duration: str  # rough duration of the full profile on a 2-core CPU

    def load(self) -> ModuleType:
        return importlib.import_module(f"fidle_examples.examples.{self.module}")


EXAMPLES: tuple[ExampleSpec, ...] = (
    ExampleSpec("linear-regression", "linear_regression", "LINR1",
                "Régression linéaire par calcul direct", "< 1 s"),
    ExampleSpec("gradient-descent", "gradient_descent", "GRAD1",
                "Descente de gradient : par lot complet, stochastique, par mini-lots", "≈ 1 s"),
    ExampleSpec("polynomial-regression", "polynomial_regression", "POLR1",
                "Régression polynomiale : sous- et sur-apprentissage", "< 1 s"),
    ExampleSpec("logistic-regression", "logistic_regression", "LOGR1",
                "Régression logistique : un neurone artificiel", "≈ 5 s"),
    ExampleSpec("wine", "wine", "WINE1",
                "Prédiction de la qualité d'un vin (régression)", "≈ 20 s"),
    ExampleSpec("mnist", "mnist", "MNIST1",
                "Classification des chiffres manuscrits (MNIST)", "≈ 20 s"),
    ExampleSpec("randomness", "randomness", "Q-ALEA",
                "Question : d'où vient l'aléatoire, comment le maîtriser ?", "≈ 40 s"),
    ExampleSpec("batch-size", "batch_size", "Q-LOTS",
                "Question : quelle taille pour les lots (batches) ?", "≈ 30 s"),
    ExampleSpec("overfitting", "overfitting", "Q-SUR",
                "Question : le sur-apprentissage et ses remèdes", "≈ 40 s"),
    ExampleSpec("backpropagation", "backpropagation", "RETRO",
                "La rétropropagation écrite à la main, vérifiée", "≈ 2 s"),
    ExampleSpec("svm-vs-dnn", "svm_vs_dnn", "SVM",
                "SVM contre réseau dense sur MNIST", "≈ 40 s"),
)

_BY_NAME = {spec.name: spec for spec in EXAMPLES}


def names() -> list[str]:
    return [spec.name for spec in EXAMPLES]


def get(name: str) -> ExampleSpec:
    try:
        return _BY_NAME[name]
    except KeyError:
        choices = ", ".join(names())
        raise UsageError(
            f"Exemple inconnu : « {name} ». Exemples disponibles : {choices}. "
            "La commande « fidle-examples list » les décrit."
        ) from None
