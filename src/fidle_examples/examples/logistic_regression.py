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
                           keras.metrics.Recall(name="recall")])
    # --8<-- [end:model]

    # --8<-- [start:train]
    history = model.fit(x_train, y_train,
                        epochs=config.epochs,
                        batch_size=config.batch_size,
                        validation_data=(x_val, y_val),
                        callbacks=ctx.callbacks(config.epochs),
                        verbose=ctx.verbose)
    # --8<-- [end:train]
    ctx.check_finite(history.history)

    # --8<-- [start:evaluate]
    scores = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    weights, bias = model.layers[0].get_weights()  # w: shape (2, 1), b: shape (1,)
    w1, w2, b = float(weights[0, 0]), float(weights[1, 0]), float(bias[0])
    # --8<-- [end:evaluate]

    result = Result(history={k: [float(v) for v in vs] for k, vs in history.history.items()})
    result.add_metric("test_accuracy", "Exactitude (accuracy) sur le jeu de test",
                      scores["accuracy"], "percent", 1)
    result.add_metric("test_precision", "Précision (precision) sur le jeu de test",
                      scores["precision"], "percent", 1)
    result.add_metric("test_recall", "Rappel (recall) sur le jeu de test",
                      scores["recall"], "percent", 1)
    result.add_metric("test_loss", "Perte (entropie croisée binaire) sur le jeu de test",
                      scores["loss"])
    result.add_metric("w1", "Poids w₁ appris", w1)
    result.add_metric("w2", "Poids w₂ appris", w2)
    result.add_metric("bias", "Biais b appris", b)
    # The test points, so that anyone can check the scores by counting.
    result.extra = {"test_x": x_test.tolist(), "test_y": y_test.astype(int).tolist()}

    result.add_figure("loss", "Perte par époque",
                      plots.history_curves(result.history, ["loss", "val_loss"],
                                           "Perte (entropie croisée binaire)", "perte"))
    result.add_figure("accuracy", "Exactitude par époque",
                      plots.history_curves(result.history, ["accuracy", "val_accuracy"],
                                           "Exactitude", "exactitude"))
    result.add_figure("boundary", "Frontière de décision du neurone (jeu de test)",
                      plots.decision_boundary(x_test, y_test, (w1, w2), b,
                                              "Frontière de décision (jeu de test)",
                                              CLASS_NAMES))
    return result
