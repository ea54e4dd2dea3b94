"""LINR1 : régression linéaire par calcul direct.

Des points sont tirés au hasard autour d'une droite y = a·x + b (plus un bruit).
On retrouve a et b en une seule opération, l'équation normale
θ = (XᵀX)⁻¹Xᵀy, sans aucun apprentissage itératif. C'est la solution exacte des
moindres carrés : elle sert de référence à l'exemple de la descente de gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fidle_examples.core import plots
from fidle_examples.core.context import RunContext
from fidle_examples.core.contract import Metric
from fidle_examples.core.errors import UsageError
from fidle_examples.core.results import Result
from fidle_examples.examples.line_fitting import design_matrix, make_line, normal_equation

NAME = "linear-regression"
DATASETS = ()  # synthetic data, drawn at run time


@dataclass(frozen=True)
class Config:
    n_points: int = 500
    x_max: float = 2.0  # x is drawn uniformly in [0, x_max]
    slope: float = 4.0  # the true a of y = a·x + b
    intercept: float = 2.0  # the true b
    noise: float = 1.0  # standard deviation of the noise added to y
    seed: int = 42

    def check(self) -> None:
        """Rules between fields (called after the checks of each value)."""
        if self.n_points < 2:
            raise UsageError("--n-points doit valoir au moins 2 : une droite a deux paramètres.")


PROFILES = {
    "full": Config(),
    "quick": Config(),  # already instantaneous: the tests run the real thing
}

METRICS = {
    "slope": Metric("Pente estimée a"),
    "true_slope": Metric("Vraie pente"),
    "intercept": Metric("Ordonnée à l'origine estimée b"),
    "true_intercept": Metric("Vraie ordonnée à l'origine"),
    "mse": Metric("Erreur quadratique moyenne (MSE) de la droite estimée"),
    "true_mse": Metric("MSE de la vraie droite (le bruit seul)"),
}
FIGURES = {
    "fit": "Nuage de points et droite estimée",
}
CLAIMS = {
    "estimate_fits_its_points_best": "sur les points qui ont servi au calcul, la MSE de la "
                                     "droite estimée est inférieure ou égale à celle de la "
                                     "vraie droite",
}


def mse(X: np.ndarray, theta: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error of the line θ = (a, b) on the points (X, y)."""
    return float(np.mean((X @ theta - y) ** 2))


def run(config: Config, ctx: RunContext) -> Result:
    rng = np.random.default_rng(config.seed)
    x, y = make_line(config, rng)

    # --8<-- [start:evaluate]
    X = design_matrix(x)
    theta = normal_equation(X, y)
    a, b = theta
    error = mse(X, theta, y)                     # what the fitted line still misses
    true_error = mse(X, np.array([config.slope, config.intercept]), y)
    # --8<-- [end:evaluate]

    return Result(
        metrics={"slope": a, "true_slope": config.slope, "intercept": b,
                 "true_intercept": config.intercept, "mse": error, "true_mse": true_error},
        data={"x": x, "y": y},
        extra={"theta": [float(a), float(b)]})


def figure_fit(result: Result) -> str:
    x, y = result.data["x"], result.data["y"]
    a, b = result.metrics["slope"], result.metrics["intercept"]
    config = result.config
    ends = np.array([0.0, config["x_max"]])
    return plots.points_and_curves(
        {"données": (x, y)},
        {"droite estimée (équation normale)": (ends, a * ends + b),
         "vraie droite": (ends, config["slope"] * ends + config["intercept"])},
        "Régression linéaire par l'équation normale", "x", "y", dashed=("vraie droite",))


def claim_estimate_fits_its_points_best(result: Result):
    m = result.metrics
    from fidle_examples.core import frenchfmt  # here: claims leave the training key alone

    return m["mse"] <= m["true_mse"] + 1e-12, (
        f"MSE de la droite estimée\u00a0: {frenchfmt.number(m['mse'], 6)}\u00a0; de la vraie "
        f"droite\u00a0: {frenchfmt.number(m['true_mse'], 6)}")
