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
(--learning-rate 1) fait diverger la descente : elle est alors arrêtée, et l'exemple le
signale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fidle_examples.core import plots
from fidle_examples.core.context import RunContext
from fidle_examples.core.contract import Control, Explorer, Metric
from fidle_examples.core.errors import UsageError
from fidle_examples.core.results import Result
from fidle_examples.examples.line_fitting import design_matrix, make_line, normal_equation

NAME = "gradient-descent"
DATASETS = ()  # synthetic data, drawn at run time


@dataclass(frozen=True)
class Config:
    """The points of the linear regression example, plus the settings of the descent."""

    n_points: int = 500
    x_max: float = 2.0  # x is drawn uniformly in [0, x_max]
    slope: float = 4.0  # the true a of y = a·x + b
    intercept: float = 2.0  # the true b
    noise: float = 1.0  # standard deviation of the noise added to y
    seed: int = 42
    epochs: int = 200
    learning_rate: float = 0.1  # η, the size of the first steps
    decay_steps: int = 1000  # after this many updates the step is halved, then a third...
    minibatch_size: int = 16
    path_steps: int = 200  # updates drawn on the (a, b) figure

    def check(self) -> None:
        """Rules between fields (called after the checks of each value)."""
        if self.n_points < 2:
            raise UsageError("--n-points doit valoir au moins 2 : une droite a deux paramètres.")


PROFILES = {
    "full": Config(),
    "quick": Config(epochs=100),
}

VARIANTS = {  # history key suffix -> French label
    "batch": "lot complet (batch)",
    "stochastic": "stochastique (SGD, 1 point)",
    "minibatch": "mini-lots",
}


def _labels(minibatch_size) -> dict[str, str]:
    return {**VARIANTS, "minibatch": f"mini-lots ({minibatch_size} points)"}


# The labels name the run's mini-batch size ({minibatch_size} is filled from its config).
METRICS = {
    "slope_exact": Metric("Pente a exacte (équation normale)"),
    "intercept_exact": Metric("Ordonnée à l'origine b exacte"),
    "loss_exact": Metric("MSE minimale (équation normale)"),
    **{key: metric for variant, label in _labels("{minibatch_size}").items()
       for key, metric in ((f"slope_{variant}", Metric(f"Pente a, {label}")),
                           (f"intercept_{variant}", Metric(f"Ordonnée à l'origine b, {label}")),
                           (f"loss_{variant}", Metric(f"MSE finale, {label}")),
                           (f"updates_{variant}", Metric(f"Mises à jour, {label}", "integer")))},
}
FIGURES = {
    "loss": "Perte par époque, pour les trois variantes",
    "path": "Trajectoire de (a, b) sur les courbes de niveau de la perte",
}
# The page's explorer: each learning rate is a run; the variant only picks what is drawn.
EXPLORER = Explorer(
    controls={
        "learning_rate": Control("Taux d'apprentissage initial η",
                                 (0.003, 0.01, 0.03, 0.1, 0.3, 0.5, 1.0),
                                 quick_values=(0.01, 0.1, 1.0)),
        "variant": Control("Variante", tuple(VARIANTS), figure_arg=True,
                           value_labels=("lot complet", "stochastique", "mini-lots")),
    },
    figures={"loss": "Perte par époque (écart au minimum) de la variante choisie",
             "path": "Trajectoire de (a, b) de la variante choisie sur les courbes de niveau "
                     "de la perte"},
)
_NAMES = {"batch": "par lot complet", "stochastic": "stochastique", "minibatch": "par mini-lots"}


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
DIVERGED = 1e6  # |a| or |b| beyond this: far from any line through the points


def diverged(theta: np.ndarray) -> bool:
    return bool(np.abs(theta).max() > DIVERGED)


def descend(X, y, batch_size: int, config: Config, rng, on_epoch=None):
    """Gradient descent with `batch_size` points per update; returns (path, losses).
    A descent that diverges is stopped, even in the middle of an epoch."""
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
            if diverged(theta):  # a or b beyond a million: no use going on
                break
        losses.append(loss(theta, X, y))  # loss on all the points, after each epoch
        if on_epoch:
            on_epoch(epoch, losses[-1])
        if diverged(theta):
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
    # --8<-- [end:evaluate]
    stopped = {v: len(history[f"loss_{v}"]) for v in VARIANTS if diverged(paths[v][-1])}

    metrics = {"slope_exact": theta_exact[0], "intercept_exact": theta_exact[1],
               "loss_exact": loss(theta_exact, X, y)}
    for variant in VARIANTS:
        a, b = paths[variant][-1]
        metrics.update({f"slope_{variant}": a, f"intercept_{variant}": b,
                        f"loss_{variant}": history[f"loss_{variant}"][-1],
                        f"updates_{variant}": len(paths[variant]) - 1})
    return Result(
        history=history, metrics=metrics,
        # The points and the first updates of each descent: what the (a, b) figure draws.
        data={"x": x, "y": y,
              **{f"path_{v}": paths[v][: config.path_steps + 1] for v in VARIANTS}},
        extra={"theta_exact": [float(v) for v in theta_exact],
               "theta": {v: [float(t) for t in paths[v][-1]] for v in VARIANTS},
               "diverged": stopped,  # variant -> epoch at which it was stopped
               "warnings": [_divergence_warning(stopped)] if stopped else []})


def _divergence_warning(stopped: dict[str, int]) -> str:
    names = [f"la descente {_NAMES[v]} (à l'époque {epoch})" for v, epoch in stopped.items()]
    which = " et ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    verb = "a divergé" if len(stopped) == 1 else "ont divergé"
    return (f"{which[0].upper()}{which[1:]} {verb} : a ou b a dépassé un million en valeur "
            "absolue, la descente a été arrêtée et ses mesures sont celles de l'arrêt. Pour "
            "converger, réduisez le pas d'apprentissage (--learning-rate), par exemple "
            "--learning-rate 0.1.")


def _reporter(ctx: RunContext, config: Config, variant: str):
    """Progress of the three descents, one after the other, as one sequence of epochs."""
    offset = list(VARIANTS).index(variant) * config.epochs

    def report(epoch: int, value: float) -> None:
        ctx.report_epoch(offset + epoch, len(VARIANTS) * config.epochs,
                         {f"loss_{variant}": value})

    return report


def figure_loss(result: Result, variant: str | None = None) -> str:
    """The three variants, or one (`variant`, for the page's explorer)."""
    from matplotlib.ticker import MaxNLocator

    # The three losses all end near the minimum (the noise of the data): their gap
    # to it, on a log scale, is what tells the variants apart.
    labels = _labels(result.config["minibatch_size"])
    best_loss = result.metrics["loss_exact"]
    stopped = result.extra.get("diverged", {})
    fig, ax = plots.new_figure()
    for color, v in zip(plots.COLORS, [variant] if variant else VARIANTS):
        gap = np.maximum(np.array(result.history[f"loss_{v}"]) - best_loss, 1e-12)
        epochs = np.arange(1, len(gap) + 1)
        ax.plot(epochs, gap, color=color, label=None if v in stopped else labels[v])
        if v in stopped:  # a cross where the diverging descent was stopped
            ax.plot(epochs[-1:], gap[-1:], "x", color=color, markersize=10, mew=2,
                    label=f"{labels[v]} : diverge, arrêtée à l'époque {stopped[v]}")
    ax.set(title="Perte par époque : écart au minimum" + _rate(result, variant),
           xlabel="époque", ylabel="perte − perte minimale (échelle log)", yscale="log",
           xlim=(0, result.config["epochs"] + 1))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs: no « 2,5 »
    plots.french_axes(ax, y=False)
    ax.legend(fontsize=8)
    return plots.to_svg(fig)


def figure_path(result: Result, variant: str | None = None) -> str:
    """The three variants, or one (`variant`, for the page's explorer)."""
    labels = _labels(result.config["minibatch_size"])
    x, y = result.data["x"], result.data["y"]
    theta_exact = np.array(result.extra["theta_exact"])
    stopped = result.extra.get("diverged", {})
    variants = [variant] if variant else list(VARIANTS)
    shown = {labels[v] + (" : diverge, sort du cadre" if v in stopped else ""):
             result.data[f"path_{v}"] for v in variants}
    # The frame holds the start, the solution and the paths; a path that diverges only
    # by its points near the solution, in a frame centred on it: the rest leaves it.
    near = 2 * np.linalg.norm(theta_exact)
    corners = [np.zeros((1, 2)), theta_exact[None, :]]
    for v in variants:
        path = result.data[f"path_{v}"]
        if v in stopped:
            path = np.vstack([path[np.linalg.norm(path - theta_exact, axis=1) <= near],
                              2 * theta_exact[None, :]])  # the start, mirrored
        corners.append(path)
    corners = np.vstack(corners)
    margin = 0.1 * np.ptp(corners, axis=0) + 0.2
    a_grid = np.linspace(corners[:, 0].min() - margin[0], corners[:, 0].max() + margin[0], 120)
    b_grid = np.linspace(corners[:, 1].min() - margin[1], corners[:, 1].max() + margin[1], 120)
    A, B = np.meshgrid(a_grid, b_grid)
    grid_loss = np.mean((A[..., None] * x + B[..., None] - y) ** 2, axis=-1)
    return plots.loss_contours(
        a_grid, b_grid, grid_loss, shown, theta_exact,
        f"Les {result.config['path_steps']} premières mises à jour de (a, b)"
        + _rate(result, variant), "a (pente)", "b (ordonnée à l'origine)")


def _rate(result: Result, variant: str | None) -> str:
    """", η = 0,3" in the titles of the explorer's figures (nothing in the page's)."""
    if variant is None:
        return ""
    from fidle_examples.core import frenchfmt  # here, as the claims: see _claim_number

    return f", η = {frenchfmt.short(result.config['learning_rate'])}"


def explorer_metrics(result: Result, variant: str) -> list[tuple[Metric, float]]:
    """The numbers of the variant the explorer shows."""
    return [(METRICS[f"{key}_{variant}"], result.metrics[f"{key}_{variant}"])
            for key in ("slope", "intercept", "loss", "updates")]


# --- claims: what the page says of the three descents -------------------------------

CLAIMS = {
    "all_reach_the_solution": "les trois variantes finissent à moins de 0,05 de la pente et "
                              "de l'ordonnée à l'origine exactes, avec une perte à moins de "
                              "1\u202f% au-dessus du minimum",
    "full_batch_descends_steadily": "la perte du lot complet baisse à chaque époque",
    "stochastic_ahead_at_first": "après la première époque, l'écart au minimum des deux "
                                 "variantes stochastiques est au moins dix fois plus petit "
                                 "que celui du lot complet",
    "stochastic_fluctuates": "la perte des deux variantes stochastiques remonte d'une époque à "
                             "l'autre au moins vingt fois au cours de l'entraînement",
}


def _claim_number(value: float) -> str:
    """A value of a claim's detail, written the French way (imported here: a module-level
    import would change the training key, which claims leave alone)."""
    from fidle_examples.core import frenchfmt

    return frenchfmt.scientific(value) if abs(value) < 0.01 else frenchfmt.number(value, 3)


def claim_all_reach_the_solution(result: Result):
    m = result.metrics
    far = [_NAMES[v] for v in VARIANTS
           if abs(m[f"slope_{v}"] - m["slope_exact"]) >= 0.05
           or abs(m[f"intercept_{v}"] - m["intercept_exact"]) >= 0.05
           or m[f"loss_{v}"] >= 1.01 * m["loss_exact"]]
    return not far, "\u00a0; ".join(
        f"{_NAMES[v]}\u00a0: a = {_claim_number(m[f'slope_{v}'])}, "
        f"b = {_claim_number(m[f'intercept_{v}'])}" for v in VARIANTS) + (
        f" (exactes\u00a0: a = {_claim_number(m['slope_exact'])}, "
        f"b = {_claim_number(m['intercept_exact'])})")


def claim_full_batch_descends_steadily(result: Result):
    loss = result.history["loss_batch"]
    rises = [epoch + 1 for epoch in range(1, len(loss)) if loss[epoch] > loss[epoch - 1]]
    return not rises, ("la perte remonte aux époques " + ", ".join(map(str, rises))
                       if rises else f"la perte ne remonte à aucune des {len(loss)} époques")


def claim_stochastic_ahead_at_first(result: Result):
    best = result.metrics["loss_exact"]
    gap = {v: result.history[f"loss_{v}"][0] - best for v in VARIANTS}
    ahead = all(10 * gap[v] < gap["batch"] for v in ("stochastic", "minibatch"))
    return ahead, "écart au minimum après une époque, " + "\u00a0; ".join(
        f"{_NAMES[v]}\u00a0: {_claim_number(gap[v])}" for v in VARIANTS)


def claim_stochastic_fluctuates(result: Result):
    rises = {v: sum(b > a for a, b in zip(result.history[f"loss_{v}"],
                                          result.history[f"loss_{v}"][1:]))
             for v in ("stochastic", "minibatch")}
    return all(n >= 20 for n in rises.values()), "époques où la perte remonte, " + (
        "\u00a0; ".join(f"{_NAMES[v]}\u00a0: {n}" for v, n in rises.items()))
