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
from fidle_examples.core.contract import Control, Explorer, Metric
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

# Three degrees: 1, good_degree and max_degree (the labels name the config's).
ROLES = {"line": "1", "good": "{good_degree}", "high": "{max_degree}"}
METRICS = {
    "best_degree": Metric("Degré de plus petite erreur de validation", "integer"),
    "noise_mse": Metric("Variance du bruit (erreur minimale attendue)"),
    **{key: metric for role, degree in ROLES.items()
       for key, metric in ((f"train_mse_{role}",
                            Metric(f"MSE d'entraînement, degré {degree}", digits=2)),
                           (f"val_mse_{role}",
                            Metric(f"MSE de validation, degré {degree}", digits=2)))},
}
FIGURES = {
    "errors": "Erreurs d'entraînement et de validation selon le degré",
    "fits": "Trois ajustements : sous-apprentissage, bon compromis, sur-apprentissage",
}
# The page's explorer: each noise level is a run, which fits every degree at once.
EXPLORER = Explorer(
    controls={
        "noise": Control("Bruit des données (écart type)", (0.5, 1.0, 2.0, 4.0),
                         quick_values=(0.5, 2.0)),
        "degree": Control("Degré du polynôme", tuple(range(1, 21)), figure_arg=True,
                          quick_values=(1, 2, 5, 10, 20)),
    },
    figures={"fits": "Polynôme du degré choisi ajusté aux points d'entraînement",
             "errors": "Erreurs d'entraînement et de validation selon le degré, degré choisi "
                       "marqué"},
    metrics=("best_degree", "noise_mse"),
)


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

    shown = {"line": 1, "good": config.good_degree, "high": config.max_degree}
    metrics = {"best_degree": best_degree, "noise_mse": config.noise ** 2}
    for role, degree in shown.items():
        metrics[f"train_mse_{role}"] = train_mse[degree - 1]
        metrics[f"val_mse_{role}"] = val_mse[degree - 1]
    curve_x = _curve_x(config.x_max)
    return Result(
        metrics=metrics,
        # The points, and the fitted curve of every degree (the page's explorer shows
        # each; the figure, three).
        data={"x_train": x_train, "y_train": y_train, "x_val": x_val, "y_val": y_val,
              **{f"fit_{degree}": fits[degree](curve_x) for degree in degrees}},
        extra={"degrees": degrees, "train_mse": train_mse, "val_mse": val_mse})


def _curve_x(x_max: float) -> np.ndarray:
    """Where the curves are drawn."""
    return np.linspace(-x_max, x_max, 400)


def figure_errors(result: Result, degree: int | None = None) -> str:
    """The errors of every degree; with `degree` (the page's explorer), that one marked."""
    extra = result.extra
    series = {"entraînement": extra["train_mse"], "validation": extra["val_mse"]}
    if degree is None:
        return plots.line_chart(extra["degrees"], series, "Erreur selon le degré du polynôme",
                                "degré", "MSE (échelle logarithmique)", log=True,
                                dashed=("validation",))
    from matplotlib.ticker import MaxNLocator

    fig, ax = plots.new_figure()
    for (label, values), style in zip(series.items(), ("-", "--")):
        ax.plot(extra["degrees"], values, style, marker="o", markersize=3, label=label)
    ax.axvline(degree, color="black", linestyle=":", linewidth=1.5,
               label=f"degré choisi : {degree}")
    ax.set(title=f"Erreur selon le degré, bruit {_noise(result)}", xlabel="degré",
           ylabel="MSE (échelle logarithmique)", yscale="log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # degrees: no « 2,5 »
    plots.french_axes(ax, y=False)
    ax.legend()
    return plots.to_svg(fig)


def figure_fits(result: Result, degree: int | None = None) -> str:
    """Three fits; with `degree` (the page's explorer), that one alone."""
    config, data = result.config, result.data
    shown = {1: "sous-apprentissage", config["good_degree"]: "bon compromis",
             config["max_degree"]: "sur-apprentissage"}
    if degree is not None:
        shown = {degree: f"bruit {_noise(result)}"}
    curve_x = _curve_x(config["x_max"])
    points = {"entraînement": (data["x_train"], data["y_train"]),
              "validation": (data["x_val"], data["y_val"])}
    panels = {f"degré {degree} : {label}": (points, {
        "vrai polynôme": (curve_x, TRUE_POLYNOMIAL(curve_x)),
        f"ajustement de degré {degree}": (curve_x, data[f"fit_{degree}"])})
        for degree, label in shown.items()}
    y = np.concatenate([data["y_val"], data["y_train"]])
    margin = 0.15 * np.ptp(y)
    return plots.panels_points_and_curves(panels, "x", "y",
                                          (y.min() - margin, y.max() + margin),
                                          dashed=("vrai polynôme",))


def _noise(result: Result) -> str:
    from fidle_examples.core import frenchfmt  # here, as the claims: see _claim_number

    return frenchfmt.short(result.config["noise"])


def explorer_metrics(result: Result, degree: int) -> list[tuple[Metric, float]]:
    """The errors of the degree the explorer shows."""
    extra = result.extra
    return [(Metric(f"MSE d'entraînement, degré {degree}", digits=2),
             extra["train_mse"][degree - 1]),
            (Metric(f"MSE de validation, degré {degree}", digits=2),
             extra["val_mse"][degree - 1])]


# --- claims: what the page says of these errors -------------------------------------

CLAIMS = {
    "training_error_decreases": "l'erreur d'entraînement diminue du degré 1 au bon compromis, "
                                "puis au degré maximal",
    "training_error_below_noise": "au degré maximal, l'erreur d'entraînement descend sous la "
                                  "variance du bruit",
    "validation_error_dips": "l'erreur de validation dessine un creux\u00a0: plus basse au bon "
                             "compromis qu'au degré 1 et qu'au degré maximal, et la plus "
                             "basse de toutes à un degré intermédiaire",
    "validation_error_explodes": "au degré maximal, l'erreur de validation dépasse mille fois "
                                 "celle du bon compromis",
    "good_degree_near_noise": "au bon compromis, les erreurs d'entraînement et de validation "
                              "sont de l'ordre du bruit\u00a0: à moins d'un facteur 3 de sa "
                              "variance",
}


def _claim_number(value: float) -> str:
    """A value of a claim's detail, written the French way (imported here: a module-level
    import would change the training key, which claims leave alone)."""
    from fidle_examples.core import frenchfmt

    return frenchfmt.scientific(value) if abs(value) >= 1e4 else frenchfmt.number(value, 2)


def _claim_errors(result: Result, kind: str) -> str:
    m, config = result.metrics, result.config
    degrees = {"line": 1, "good": config["good_degree"], "high": config["max_degree"]}
    return "\u00a0; ".join(f"degré {d}\u00a0: {_claim_number(m[f'{kind}_mse_{role}'])}"
                           for role, d in degrees.items())


def claim_training_error_decreases(result: Result):
    m = result.metrics
    holds = m["train_mse_line"] > m["train_mse_good"] > m["train_mse_high"]
    return holds, "MSE d'entraînement, " + _claim_errors(result, "train")


def claim_training_error_below_noise(result: Result):
    m = result.metrics
    return m["train_mse_high"] < m["noise_mse"], (
        f"MSE d'entraînement au degré {result.config['max_degree']}\u00a0: "
        f"{_claim_number(m['train_mse_high'])}, variance du bruit\u00a0: "
        f"{_claim_number(m['noise_mse'])}")


def claim_validation_error_dips(result: Result):
    m = result.metrics
    holds = (m["val_mse_good"] < m["val_mse_line"] and m["val_mse_good"] < m["val_mse_high"]
             and 1 < m["best_degree"] < result.config["max_degree"])
    return holds, (f"MSE de validation, {_claim_errors(result, 'val')}\u00a0; la plus basse au "
                   f"degré {m['best_degree']:.0f}")


def claim_validation_error_explodes(result: Result):
    m = result.metrics
    return m["val_mse_high"] > 1000 * m["val_mse_good"], (
        "MSE de validation, " + _claim_errors(result, "val"))


def claim_good_degree_near_noise(result: Result):
    m = result.metrics
    noise = m["noise_mse"]
    errors = (m["train_mse_good"], m["val_mse_good"])
    return all(noise / 3 < e < 3 * noise for e in errors), (
        f"au degré {result.config['good_degree']}, MSE d'entraînement "
        f"{_claim_number(errors[0])} et de validation {_claim_number(errors[1])}, variance du "
        f"bruit {_claim_number(noise)}")
