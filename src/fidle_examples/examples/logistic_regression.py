"""LOGR1 : régression logistique, un neurone artificiel.

Deux nuages de points (deux classes) dans le plan. Un seul neurone calcule
p = σ(w₁·x₁ + w₂·x₂ + b), où σ est la fonction sigmoïde : p est la probabilité que
le point soit de la classe 1. Ses deux poids et son biais sont appris par descente
de gradient (Keras). La frontière de décision p = 0,5 est la droite
w₁·x₁ + w₂·x₂ + b = 0. On mesure sur un jeu de test, jamais vu pendant
l'apprentissage, l'exactitude (*accuracy*), la précision (*precision*) et le
rappel (*recall*).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fidle_examples.core import plots
from fidle_examples.core.config import check_split
from fidle_examples.core.context import RunContext
from fidle_examples.core.contract import Control, Explorer, Metric
from fidle_examples.core.datasets import split_indices
from fidle_examples.core.errors import UsageError
from fidle_examples.core.results import Result

NAME = "logistic-regression"
DATASETS = ()  # synthetic data, drawn at run time
CLASS_NAMES = ("classe 0", "classe 1")


@dataclass(frozen=True)
class Config:
    n_points: int = 1000  # half in each class
    spread: float = 1.0  # standard deviation of each cloud around its centre
    validation_fraction: float = 0.2
    test_fraction: float = 0.2
    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 0.1
    seed: int = 42

    def check(self) -> None:
        if self.n_points < 20:
            raise UsageError(f"--n-points doit valoir au moins 20 pour trois jeux de points, "
                             f"pas {self.n_points}.")
        check_split(self.validation_fraction, self.test_fraction, "points")


PROFILES = {
    "full": Config(),
    "quick": Config(epochs=15),
}

METRICS = {
    "test_accuracy": Metric("Exactitude (accuracy) sur le jeu de test", "percent", 1),
    "test_precision": Metric("Précision (precision) sur le jeu de test", "percent", 1),
    "test_recall": Metric("Rappel (recall) sur le jeu de test", "percent", 1),
    "test_loss": Metric("Perte (entropie croisée binaire) sur le jeu de test"),
    "w1": Metric("Poids w₁ appris"),
    "w2": Metric("Poids w₂ appris"),
    "bias": Metric("Biais b appris"),
}
FIGURES = {
    "loss": "Perte par époque",
    "accuracy": "Exactitude par époque",
    "boundary": "Frontière de décision du neurone (jeu de test)",
}
# The page's explorer: one run, whose weights are kept after every epoch.
EXPLORER = Explorer(
    controls={
        "epoch": Control("Époque", (0, 1, 2, 3, 5, 10, 20, 40), figure_arg=True,
                         value_labels=("0 (avant l'entraînement)", "1", "2", "3", "5", "10",
                                       "20", "40 (fin)"),
                         quick_values=(0, 1, 2, 5, 15)),
    },
    figures={"boundary": "Frontière de décision du neurone après l'époque choisie (jeu de "
                         "test)"},
)


def run(config: Config, ctx: RunContext) -> Result:
    import keras

    # --8<-- [start:data]
    rng = np.random.default_rng(config.seed)
    n = config.n_points // 2
    centres = np.array([[-1.0, -1.0], [1.0, 1.0]])  # one cloud per class
    x = np.concatenate([centres[0] + config.spread * rng.standard_normal((n, 2)),
                        centres[1] + config.spread * rng.standard_normal((n, 2))])
    y = np.concatenate([np.zeros(n), np.ones(n)])

    # Three separate sets, after a shuffle: training, validation (to watch the
    # training) and test (to measure, once, at the very end).
    train, val, test = split_indices(len(x), config.validation_fraction,
                                     config.test_fraction, rng)
    x_train, y_train = x[train], y[train]
    x_val, y_val = x[val], y[val]
    x_test, y_test = x[test], y[test]
    # --8<-- [end:data]

    # --8<-- [start:model]
    model = keras.Sequential([
        keras.Input(shape=(2,)),                      # two features: x₁ and x₂
        keras.layers.Dense(1, activation="sigmoid"),  # one neuron: p = σ(w·x + b)
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=config.learning_rate),
                  loss="binary_crossentropy",
                  metrics=["accuracy",
                           keras.metrics.Precision(name="precision"),
                           keras.metrics.Recall(name="recall")],
                  # 16 batches per call: the same result, less fixed cost per step
                  # (the PyTorch backend of Keras only accepts 1).
                  steps_per_execution=1 if keras.backend.backend() == "torch" else 16)
    # --8<-- [end:model]
    # (w₁, w₂, b) before training and after each epoch, for the page's explorer.
    def weights_now():
        return np.concatenate([w.ravel() for w in model.layers[0].get_weights()])

    snapshots = [weights_now()]
    keep_weights = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append(weights_now()))

    # --8<-- [start:train]
    history = model.fit(x_train, y_train,
                        epochs=config.epochs,
                        batch_size=config.batch_size,
                        validation_data=(x_val, y_val),
                        callbacks=[*ctx.callbacks(config.epochs), keep_weights],
                        verbose=ctx.verbose)
    # --8<-- [end:train]
    ctx.check_finite(history.history)

    # --8<-- [start:evaluate]
    scores = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    weights, bias = model.layers[0].get_weights()  # w: shape (2, 1), b: shape (1,)
    w1, w2, b = float(weights[0, 0]), float(weights[1, 0]), float(bias[0])
    # --8<-- [end:evaluate]

    return Result(
        history={k: [float(v) for v in vs] for k, vs in history.history.items()},
        metrics={"test_accuracy": scores["accuracy"], "test_precision": scores["precision"],
                 "test_recall": scores["recall"], "test_loss": scores["loss"],
                 "w1": w1, "w2": w2, "bias": b},
        # The test points, so that anyone can check the scores by counting (and the
        # figure of the decision boundary draws them).
        extra={"test_x": x_test.tolist(), "test_y": y_test.astype(int).tolist()},
        data={"weights": np.array(snapshots)})  # row k: (w₁, w₂, b) after epoch k


def figure_loss(result: Result, reference=None) -> str:
    return plots.history_curves(result.history, ["loss", "val_loss"],
                                "Perte (entropie croisée binaire)", "perte",
                                reference=reference)


def figure_accuracy(result: Result, reference=None) -> str:
    return plots.history_curves(result.history, ["accuracy", "val_accuracy"],
                                "Exactitude", "exactitude",
                                reference=reference)


def figure_boundary(result: Result, epoch: int | None = None) -> str:
    """The boundary of the trained neuron; with `epoch` (the page's explorer), the
    boundary after that epoch (0: before training)."""
    w1, w2, bias = _weights(result, epoch)
    title = "Frontière de décision (jeu de test)"
    if epoch is not None:
        title += " avant l'entraînement" if epoch == 0 else f" après l'époque {epoch}"
    return plots.decision_boundary(np.array(result.extra["test_x"]),
                                   np.array(result.extra["test_y"]), (w1, w2), bias,
                                   title, CLASS_NAMES)


def _weights(result: Result, epoch: int | None) -> tuple[float, float, float]:
    if epoch is None:
        metrics = result.metrics
        return metrics["w1"], metrics["w2"], metrics["bias"]
    return tuple(float(v) for v in result.data["weights"][epoch])


def explorer_metrics(result: Result, epoch: int) -> list[tuple[Metric, float]]:
    """The weights after `epoch`, and the test accuracy they give (a point is of class 1
    when w₁·x₁ + w₂·x₂ + b > 0, that is p > 0,5: Keras' rule)."""
    w1, w2, bias = _weights(result, epoch)
    x, y = np.array(result.extra["test_x"]), np.array(result.extra["test_y"])
    accuracy = float(np.mean((x @ np.array([w1, w2]) + bias > 0) == y))
    return [(Metric("Exactitude sur le jeu de test", "percent", 1), accuracy),
            (Metric("Poids w₁"), w1), (Metric("Poids w₂"), w2), (Metric("Biais b"), bias)]


# --- claims: what the page says of this run -----------------------------------------

CLAIMS = {
    "loss_falls_then_plateaus": "la perte d'entraînement baisse, par époque, au moins cinq fois "
                                "plus vite pendant les cinq premières époques qu'ensuite, puis "
                                "ne baisse plus que de moins de 0,01 sur les dix dernières",
    "curves_stay_close": "après les cinq premières époques, les pertes d'entraînement et de "
                         "validation restent à moins de 0,1 l'une de l'autre, et la perte de "
                         "validation ne remonte pas (sa valeur finale dépasse son minimum de "
                         "moins de 0,01)",
    "near_ideal_boundary": "la frontière apprise est proche de celle du classifieur idéal, "
                           "x₁ + x₂ = 0\u00a0: sa direction en diffère de moins de 10 degrés, "
                           "et elle passe à moins de 0,15 de l'origine",
    "accuracy_near_ceiling": "l'exactitude de test est à moins de 5 points du plafond "
                             "théorique Φ(√2/σ), 92,1\u202f% pour σ = 1",
}


def _claim_number(value: float, digits: int = 3) -> str:
    """A value of a claim's detail, written the French way (imported here: a module-level
    import would change the training key, which claims leave alone)."""
    from fidle_examples.core import frenchfmt

    return frenchfmt.number(value, digits)


def claim_loss_falls_then_plateaus(result: Result):
    loss = result.history["loss"]
    if len(loss) < 15:
        return False, f"{len(loss)} époques seulement\u00a0: trop peu pour en juger"
    # Rates per epoch, not shares of the total drop: weights drawn near the optimum (the
    # PyTorch run of seed 42 starts at 0.24) leave little to fall, and the share falling
    # early then says nothing. Smallest ratio of the reference runs: 12 (PyTorch), 26 (TF).
    early = (loss[0] - loss[4]) / 4
    after = (loss[4] - loss[-1]) / (len(loss) - 5)
    late = loss[-11] - loss[-1]
    return early > 0 and early >= 5 * after and abs(late) < 0.01, (
        f"baisse par époque\u00a0: {_claim_number(early, 4)} pendant les cinq premières, "
        f"{_claim_number(after, 4)} ensuite\u00a0; {_claim_number(late)} en tout sur les dix "
        "dernières")


def claim_curves_stay_close(result: Result):
    loss, val_loss = result.history["loss"], result.history["val_loss"]
    if len(loss) < 10:
        return False, f"{len(loss)} époques seulement\u00a0: trop peu pour en juger"
    gap = max(abs(v - t) for v, t in zip(val_loss[5:], loss[5:]))
    rise = val_loss[-1] - min(val_loss)
    return gap < 0.1 and rise < 0.01, (f"plus grand écart après la cinquième époque\u00a0: "
                                       f"{_claim_number(gap)}\u00a0; remontée finale de la "
                                       f"perte de validation\u00a0: {_claim_number(rise)}")


def claim_near_ideal_boundary(result: Result):
    w1, w2, bias = result.metrics["w1"], result.metrics["w2"], result.metrics["bias"]
    norm = float(np.hypot(w1, w2))
    # Angle between (w₁, w₂) and (1, 1), the ideal direction; distance of the line
    # w₁·x₁ + w₂·x₂ + b = 0 to the origin, through which the ideal boundary passes.
    angle = float(np.degrees(np.arccos(np.clip((w1 + w2) / (norm * np.sqrt(2)), -1, 1))))
    distance = abs(bias) / norm
    return angle < 10 and distance < 0.15, (f"écart de direction\u00a0: "
                                            f"{_claim_number(angle, 1)}°\u00a0; distance "
                                            f"à l'origine\u00a0: {_claim_number(distance, 2)}")


def claim_accuracy_near_ceiling(result: Result):
    import math

    from fidle_examples.core import frenchfmt

    accuracy = result.metrics["test_accuracy"]
    # Each centre is at distance √2 from the ideal boundary: the ceiling is Φ(√2/σ).
    ceiling = 0.5 * (1 + math.erf(math.sqrt(2) / result.config["spread"] / math.sqrt(2)))
    return abs(accuracy - ceiling) < 0.05, (f"exactitude de test {frenchfmt.percent(accuracy)}, "
                                            f"plafond {frenchfmt.percent(ceiling)}")
