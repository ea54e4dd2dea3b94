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
from fidle_examples.core.errors import UsageError
from fidle_examples.core.results import Result

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


# --8<-- [start:data]
def make_line(config: Config, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n_points points (x, y) with y = a·x + b + noise."""
    x = rng.uniform(0, config.x_max, config.n_points)
    noise = config.noise * rng.standard_normal(config.n_points)
    y = config.slope * x + config.intercept + noise
    return x, y
# --8<-- [end:data]


# --8<-- [start:model]
def design_matrix(x: np.ndarray) -> np.ndarray:
    """One row (x, 1) per point, so that X·θ = a·x + b with θ = (a, b)."""
    return np.column_stack([x, np.ones_like(x)])


def normal_equation(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """θ = (XᵀX)⁻¹Xᵀy, the parameters that minimise the mean squared error."""
    # Solving the linear system (XᵀX)·θ = Xᵀy gives the same θ as the formula, but
    # never forms the inverse: fewer operations and smaller rounding errors.
    return np.linalg.solve(X.T @ X, X.T @ y)
# --8<-- [end:model]


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

    result = Result()
    result.add_metric("slope", "Pente estimée a", a)
    result.add_metric("true_slope", "Vraie pente", config.slope)
    result.add_metric("intercept", "Ordonnée à l'origine estimée b", b)
    result.add_metric("true_intercept", "Vraie ordonnée à l'origine", config.intercept)
    result.add_metric("mse", "Erreur quadratique moyenne (MSE) de la droite estimée", error)
    result.add_metric("true_mse", "MSE de la vraie droite (le bruit seul)", true_error)
    result.extra = {"theta": [float(a), float(b)]}
    ends = np.array([0.0, config.x_max])
    result.add_figure("fit", "Nuage de points et droite estimée", plots.points_and_curves(
        {"données": (x, y)},
        {"droite estimée (équation normale)": (ends, a * ends + b),
         "vraie droite": (ends, config.slope * ends + config.intercept)},
        "Régression linéaire par l'équation normale", "x", "y", dashed=("vraie droite",)))
    return result
