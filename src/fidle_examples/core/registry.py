"""The list of examples: one place that names them, in the order of the course."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from fidle_examples.core.errors import UsageError


# Where an example is shown: its kind decides the index table it appears in.
COURSE, QUESTION, CHAPTER_FIGURES = "exemple", "question", "figures"


@dataclass(frozen=True)
class ExampleSpec:
    name: str  # the CLI name, e.g. "mnist"
    module: str  # module under fidle_examples.examples
    fidle_id: str  # the notebook of the original Fidle course, e.g. "MNIST1"
    title: str  # French title shown by `fidle-examples list` and on the site
    page: str  # the page of docs/ that shows it
    summary: str = ""  # what it shows, for the index tables of the site
    kind: str = COURSE
    # Rough full-profile duration, seconds, on a 2-core CPU, two trainings side by side
    # (the per-example table of the bench, 6 December 2026, 9 h 07): among the Keras
    # examples, the build schedules the longest first (build/loading.training_order).
    # The pages show the measured duration, never this estimate.
    cost_s: float = 1.0
    # Whether its code imports Keras. The others (NumPy, scikit-learn) never import it
    # (seconds saved per process) and run on the build's CPU workers, even beside GPUs.
    uses_keras: bool = True
    # Whether its code imports scikit-learn: its version is then shown with the results.
    uses_sklearn: bool = False

    def load(self) -> ModuleType:
        return importlib.import_module(f"fidle_examples.examples.{self.module}")

    @property
    def notebook(self) -> str | None:
        """The notebook's path under docs/ (every example but the chapter figures)."""
        return None if self.kind == CHAPTER_FIGURES else f"carnets/{self.name}.ipynb"


EXAMPLES: tuple[ExampleSpec, ...] = (
    ExampleSpec("linear-regression", "linear_regression", "LINR1",
                "Régression linéaire par calcul direct", "exemples/regression-lineaire.md",
                "retrouver une droite dans un nuage de points par un calcul direct, "
                "l'équation normale", cost_s=0.1, uses_keras=False),
    ExampleSpec("gradient-descent", "gradient_descent", "GRAD1",
                "Descente de gradient\u00a0: par lot complet, stochastique, par mini-lots",
                "exemples/descente-de-gradient.md",
                "le même problème résolu pas à pas\u00a0; lot complet, stochastique et mini-lots "
                "comparés", cost_s=1, uses_keras=False),
    ExampleSpec("polynomial-regression", "polynomial_regression", "POLR1",
                "Régression polynomiale\u00a0: sous- et sur-apprentissage",
                "exemples/regression-polynomiale.md",
                "sous-apprentissage et sur-apprentissage selon le degré du polynôme\u00a0; rôle "
                "du jeu de validation", cost_s=0.5, uses_keras=False),
    ExampleSpec("logistic-regression", "logistic_regression", "LOGR1",
                "Régression logistique\u00a0: un neurone artificiel",
                "exemples/regression-logistique.md",
                "un neurone artificiel qui sépare deux classes\u00a0; frontière de décision, "
                "exactitude, précision, rappel", cost_s=5),
    ExampleSpec("wine", "wine", "WINE1", "Prédiction de la qualité d'un vin (régression)",
                "exemples/vin.md",
                "une régression par un réseau dense sur de vraies données\u00a0; "
                "standardisation, meilleur modèle, référence naïve", cost_s=12),
    ExampleSpec("mnist", "mnist", "MNIST1", "Classification des chiffres manuscrits (MNIST)",
                "exemples/mnist.md",
                "classer des chiffres manuscrits en dix classes\u00a0; softmax, entropie "
                "croisée, matrice de confusion", cost_s=22),
    ExampleSpec("randomness", "randomness", "Q-ALEA",
                "Question\u00a0: d'où vient le hasard\u00a0?",
                "questions/hasard.md",
                "la part du hasard dans un entraînement, et les graines qui la maîtrisent",
                QUESTION, cost_s=32),
    ExampleSpec("batch-size", "batch_size", "Q-LOTS",
                "Question\u00a0: pourquoi des lots\u00a0?",
                "questions/lots.md",
                "petits et grands lots comparés, à nombre d'époques puis à durée égale",
                QUESTION, cost_s=25),
    ExampleSpec("overfitting", "overfitting", "Q-SUR",
                "Question\u00a0: le sur-apprentissage et ses remèdes", "questions/surapprentissage.md",
                "le sur-apprentissage provoqué, puis corrigé par l'arrêt précoce, le "
                "dropout et la régularisation L2", QUESTION, cost_s=45),
    ExampleSpec("backpropagation", "backpropagation", "RETRO",
                "La rétropropagation, écrite à la main et vérifiée",
                "questions/retropropagation.md",
                "les gradients calculés à la main, comparés à ceux de Keras et aux "
                "différences finies", QUESTION, cost_s=0.5),
    ExampleSpec("svm-vs-dnn", "svm_vs_dnn", "SVM", "SVM contre réseau de neurones",
                "questions/svm-contre-reseau.md",
                "un SVM et un réseau dense comparés selon le nombre d'images "
                "d'entraînement", QUESTION, cost_s=38, uses_sklearn=True),
    ExampleSpec("course-figures", "course_figures", "COURS",
                "Les figures des chapitres du cours", "cours/introduction.md",
                "fonctions d'activation, surfaces de perte, XOR, softmax…",
                CHAPTER_FIGURES, cost_s=1, uses_keras=False, uses_sklearn=True),
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


def libraries(name: str) -> tuple[bool, bool]:
    """(uses Keras, uses scikit-learn) for example `name`; (True, False) for a name no
    longer registered (an old result: it is shown as it recorded itself)."""
    spec = _BY_NAME.get(name)
    return (spec.uses_keras, spec.uses_sklearn) if spec else (True, False)
