"""POLR1 : régression polynomiale, sous-apprentissage et sur-apprentissage.

Des points bruités sont tirés autour d'un polynôme de degré 4. On leur ajuste des
polynômes de degré 1 à 20 par les moindres carrés, sur une moitié des points
(entraînement), et on mesure l'erreur sur l'autre moitié (validation) :

- degré 1 : le modèle est trop simple, les deux erreurs restent grandes
  (sous-apprentissage, *underfitting*) ;
- degré 5 environ : les deux erreurs sont petites, proches du bruit des données ;
- degré 20 : la courbe passe près de chaque point d'entraînement mais oscille
  entre eux ; l'erreur de validation explose (sur-apprentissage, *overfitting*).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fidle_examples.core import plots
from fidle_examples.core.context import RunContext
from fidle_examples.core.errors import UsageError
from fidle_examples.core.results import Result

NAME = "polynomial-regression"
DATASETS = ()  # synthetic data, drawn at run time

# The curve behind the data: 1 − 2x − 1,5x² + 0,8x³ + 0,3x⁴.
TRUE_POLYNOMIAL = np.polynomial.Polynomial([1.0, -2.0, -1.5, 0.8, 0.3])


@dataclass(frozen=True)
class Config:
    n_points: int = 60
    x_max: float = 3.0  # x is drawn uniformly in [−x_max, x_max]
    noise: float = 2.0  # standard deviation of the noise added to y
    validation_fraction: float = 0.5
    good_degree: int = 5  # the degree shown as the right compromise
    max_degree: int = 20
    seed: int = 42

    def check(self) -> None:
        """Rules between fields (called after the checks of each value)."""
        n_train = self.n_points - round(self.n_points * self.validation_fraction)
        if not 1 < self.good_degree < self.max_degree:
            raise UsageError(f"--good-degree doit être entre 2 et --max-degree − 1 "
                             f"({self.max_degree - 1}), pas {self.good_degree}.")
        if n_train <= self.max_degree:
            raise UsageError(
                f"Un polynôme de degré {self.max_degree} a {self.max_degree + 1} coefficients : "
                f"il faut plus de points d'entraînement que cela, or il n'y en a que {n_train}. "
                "Augmentez --n-points ou réduisez --max-degree.")


PROFILES = {
    "full": Config(),
    "quick": Config(),  # already instantaneous: the tests run the real thing
}


def run(config: Config, ctx: RunContext) -> Result:
    # --8<-- [start:data]
    rng = np.random.default_rng(config.seed)
    x = rng.uniform(-config.x_max, config.x_max, config.n_points)
    y = TRUE_POLYNOMIAL(x) + config.noise * rng.standard_normal(config.n_points)
    # The points come in random order: the first ones make the validation set.
    n_val = round(config.n_points * config.validation_fraction)
    x_val, y_val = x[:n_val], y[:n_val]
    x_train, y_train = x[n_val:], y[n_val:]
    # --8<-- [end:data]

    # --8<-- [start:model]
    def fit(degree: int):
        """Least-squares polynomial of the given degree, on the training points."""
        # Chebyshev.fit rescales x to [−1, 1] and writes the polynomial in the
        # Chebyshev basis rather than in powers of x: the same curve, but computed
        # accurately even at degree 20 (powers of x would be badly conditioned).
        return np.polynomial.Chebyshev.fit(x_train, y_train, degree)

    def mse(polynomial, x, y) -> float:
        return float(np.mean((polynomial(x) - y) ** 2))
    # --8<-- [end:model]

    # --8<-- [start:train]
    degrees = list(range(1, config.max_degree + 1))
    fits = {degree: fit(degree) for degree in degrees}
    train_mse = [mse(fits[d], x_train, y_train) for d in degrees]
    val_mse = [mse(fits[d], x_val, y_val) for d in degrees]
    # --8<-- [end:train]

    # --8<-- [start:evaluate]
    best_degree = degrees[int(np.argmin(val_mse))]  # the lowest validation error
    # --8<-- [end:evaluate]

    result = Result()
    result.extra = {"degrees": degrees, "train_mse": train_mse, "val_mse": val_mse}
    result.add_metric("best_degree", "Degré de plus petite erreur de validation", best_degree,
                      "integer")
    result.add_metric("noise_mse", "Variance du bruit (erreur minimale attendue)",
                      config.noise ** 2)
    shown = {1: "sous-apprentissage", config.good_degree: "bon compromis",
             config.max_degree: "sur-apprentissage"}
    for degree in shown:
        result.add_metric(f"train_mse_{degree}", f"MSE d'entraînement, degré {degree}",
                          train_mse[degree - 1], digits=2)
        result.add_metric(f"val_mse_{degree}", f"MSE de validation, degré {degree}",
                          val_mse[degree - 1], digits=2)

    result.add_figure("errors", "Erreurs d'entraînement et de validation selon le degré",
                      plots.line_chart(degrees, {"entraînement": train_mse,
                                                 "validation": val_mse},
                                       "Erreur selon le degré du polynôme", "degré",
                                       "MSE (échelle logarithmique)", log=True,
                                       dashed=("validation",)))
    curve_x = np.linspace(-config.x_max, config.x_max, 400)
    points = {"entraînement": (x_train, y_train), "validation": (x_val, y_val)}
    panels = {f"degré {degree} : {label}": (points, {
        "vrai polynôme": (curve_x, TRUE_POLYNOMIAL(curve_x)),
        f"ajustement de degré {degree}": (curve_x, fits[degree](curve_x))})
        for degree, label in shown.items()}
    margin = 0.15 * np.ptp(y)
    result.add_figure("fits", "Trois ajustements : sous-apprentissage, bon compromis, "
                              "sur-apprentissage",
                      plots.panels_points_and_curves(panels, "x", "y",
                                                     (y.min() - margin, y.max() + margin),
                                                     dashed=("vrai polynôme",)))
    return result
