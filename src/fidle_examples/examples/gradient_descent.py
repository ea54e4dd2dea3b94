"""GRAD1 : la régression linéaire résolue par descente de gradient.

Même problème que l'exemple de la régression linéaire (des points autour d'une
droite y = a·x + b), mais résolu pas à pas : on part de a = b = 0 et on corrige
(a, b) dans la direction opposée au gradient de la perte. Trois variantes, qui ne
diffèrent que par le nombre de points utilisés pour chaque correction :

- par lot complet (*batch*) : tous les points, une correction par époque ;
- stochastique (*SGD*) : un seul point, autant de corrections que de points ;
- par mini-lots (*mini-batch*) : quelques points à la fois, le compromis habituel.

Le pas d'apprentissage diminue au fil des mises à jour, η / (1 + t/τ) : sans cela,
les variantes stochastiques oscilleraient sans fin autour du minimum. Toutes trois
s'approchent de la solution exacte donnée par l'équation normale ; un pas trop grand
(--learning-rate 100) fait diverger la descente, ce que l'exemple signale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fidle_examples.core import plots
from fidle_examples.core.context import RunContext
from fidle_examples.examples import linear_regression
from fidle_examples.examples.linear_regression import design_matrix, make_line, normal_equation
from fidle_examples.core.results import Result

NAME = "gradient-descent"
DATASETS = ()  # synthetic data, drawn at run time


@dataclass(frozen=True)
class Config(linear_regression.Config):
    """The points of the linear regression example, plus the settings of the descent."""

    epochs: int = 200
    learning_rate: float = 0.1  # η, the size of the first steps
    decay_steps: int = 1000  # after this many updates the step is halved, then a third...
    minibatch_size: int = 16
    path_steps: int = 200  # updates drawn on the (a, b) figure


PROFILES = {
    "full": Config(),
    "quick": Config(epochs=100),
}

VARIANTS = {  # history key suffix -> French label
    "batch": "lot complet (batch)",
    "stochastic": "stochastique (SGD, 1 point)",
    "minibatch": "mini-lots",
}


# --8<-- [start:model]
def predict(theta: np.ndarray, X: np.ndarray) -> np.ndarray:
    return X @ theta  # a·x + b for every row (x, 1) of X


def loss(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error (MSE) of the line θ = (a, b)."""
    return float(np.mean((predict(theta, X) - y) ** 2))


def gradient(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Derivatives of the MSE with respect to a and b: 2/n · Xᵀ(Xθ − y)."""
    return 2 / len(y) * X.T @ (predict(theta, X) - y)
# --8<-- [end:model]


# --8<-- [start:train]
@np.errstate(over="ignore", invalid="ignore")  # a divergence is caught from the loss
def descend(X, y, batch_size: int, config: Config, rng, on_epoch=None):
    """Gradient descent with `batch_size` points per update; returns (path, losses)."""
    theta = np.zeros(2)  # start from a = 0, b = 0
    path, losses, step = [theta], [], 0
    for epoch in range(1, config.epochs + 1):
        order = rng.permutation(len(y))  # a new order of the points at each epoch
        for start in range(0, len(y), batch_size):
            batch = order[start:start + batch_size]
            # A step that shrinks over time (η / (1 + t/τ)): with a fixed step, the
            # stochastic variants would keep jumping around the minimum.
            eta = config.learning_rate / (1 + step / config.decay_steps)
            theta = theta - eta * gradient(theta, X[batch], y[batch])
            path.append(theta)
            step += 1
        losses.append(loss(theta, X, y))  # loss on all the points, after each epoch
        if on_epoch:
            on_epoch(epoch, losses[-1])
        if not np.isfinite(losses[-1]):  # diverged: no use going on
            break
    return np.array(path), losses
# --8<-- [end:train]


def run(config: Config, ctx: RunContext) -> Result:
    # --8<-- [start:data]
    rng = np.random.default_rng(config.seed)
    x, y = make_line(config, rng)  # the same points as in the linear regression example
    X = design_matrix(x)  # one row (x, 1) per point
    theta_exact = normal_equation(X, y)  # the exact solution, for comparison
    # --8<-- [end:data]

    # --8<-- [start:evaluate]
    batch_sizes = {"batch": len(y), "stochastic": 1, "minibatch": config.minibatch_size}
    paths, history = {}, {}
    for variant, batch_size in batch_sizes.items():
        paths[variant], history[f"loss_{variant}"] = descend(
            X, y, batch_size, config, rng, on_epoch=_reporter(ctx, config, variant))
    ctx.check_finite(history, "réduisez le pas d'apprentissage (--learning-rate), "
                              "par exemple --learning-rate 0.1")
    # --8<-- [end:evaluate]

    result = Result(history=history)
    best_loss = loss(theta_exact, X, y)
    result.add_metric("slope_exact", "Pente a exacte (équation normale)", theta_exact[0])
    result.add_metric("intercept_exact", "Ordonnée à l'origine b exacte", theta_exact[1])
    result.add_metric("loss_exact", "MSE minimale (équation normale)", best_loss)
    labels = _labels(config)
    for variant, label in labels.items():
        a, b = paths[variant][-1]
        result.add_metric(f"slope_{variant}", f"Pente a, {label}", a)
        result.add_metric(f"intercept_{variant}", f"Ordonnée à l'origine b, {label}", b)
        result.add_metric(f"loss_{variant}", f"MSE finale, {label}", history[f"loss_{variant}"][-1])
        result.add_metric(f"updates_{variant}", f"Mises à jour, {label}",
                          len(paths[variant]) - 1, "integer")
    result.extra = {"theta_exact": [float(v) for v in theta_exact],
                    "theta": {v: [float(t) for t in paths[v][-1]] for v in VARIANTS}}
    _figures(result, config, labels, X, y, paths, theta_exact, best_loss)
    return result


def _reporter(ctx: RunContext, config: Config, variant: str):
    """Progress of the three descents, one after the other, as one sequence of epochs."""
    offset = list(VARIANTS).index(variant) * config.epochs

    def report(epoch: int, value: float) -> None:
        ctx.report_epoch(offset + epoch, len(VARIANTS) * config.epochs,
                         {f"loss_{variant}": value})

    return report


def _labels(config: Config) -> dict[str, str]:
    return {**VARIANTS, "minibatch": f"mini-lots ({config.minibatch_size} points)"}


def _figures(result, config, labels, X, y, paths, theta_exact, best_loss) -> None:
    # The three losses all end near the minimum (the noise of the data): their gap
    # to it, on a log scale, is what tells the variants apart.
    gaps = {labels[v]: np.maximum(np.array(result.history[f"loss_{v}"]) - best_loss, 1e-12)
            for v in VARIANTS}
    result.add_figure("loss", "Perte par époque, pour les trois variantes", plots.line_chart(
        range(1, config.epochs + 1), gaps, "Perte par époque : écart au minimum", "époque",
        "perte − perte minimale (échelle log)", log=True))

    shown = {labels[v]: paths[v][: config.path_steps + 1] for v in VARIANTS}
    corners = np.vstack([*shown.values(), theta_exact[None, :]])
    margin = 0.1 * np.ptp(corners, axis=0) + 0.2
    a_grid = np.linspace(corners[:, 0].min() - margin[0], corners[:, 0].max() + margin[0], 120)
    b_grid = np.linspace(corners[:, 1].min() - margin[1], corners[:, 1].max() + margin[1], 120)
    A, B = np.meshgrid(a_grid, b_grid)
    grid_loss = np.mean((A[..., None] * X[:, 0] + B[..., None] - y) ** 2, axis=-1)
    result.add_figure("path", "Trajectoire de (a, b) sur les lignes de niveau de la perte",
                      plots.loss_contours(
                          a_grid, b_grid, grid_loss, shown, theta_exact,
                          f"Les {config.path_steps} premières mises à jour de (a, b)",
                          "a (pente)", "b (ordonnée à l'origine)"))
