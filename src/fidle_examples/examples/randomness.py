"""Q-ALEA : d'où vient l'aléatoire d'un entraînement, et comment le maîtriser.

Le réseau dense de MNIST1 est entraîné plusieurs fois sur un sous-ensemble de
MNIST, en ne changeant qu'une chose à la fois :

- la graine de l'entraînement (poids initiaux, ordre des mini-lots), les images
  restant les mêmes ;
- la graine des données (quelles images servent à l'entraînement et à la
  validation), l'entraînement gardant sa graine.

On mesure la dispersion des courbes de validation et de l'exactitude finale sur
le jeu de test. Enfin, un entraînement est refait avec exactement les mêmes
graines : ses courbes doivent être identiques, au bit près.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fidle_examples.core import plots
from fidle_examples.core.context import RunContext
from fidle_examples.core.datasets import MNIST, load_mnist
from fidle_examples.core.errors import UsageError
from fidle_examples.examples import mnist
from fidle_examples.core.results import Result

NAME = "randomness"
DATASETS = (MNIST,)


@dataclass(frozen=True)
class Config(mnist.Config):
    """The MNIST1 settings on a subset, plus how many seeds are tried."""

    epochs: int = 10
    batch_size: int = 128
    hidden_units: int = 100
    train_size: int = 12_000  # images drawn from the 60 000: 10 000 train, 2 000 validation
    runs: int = 5  # seeds tried for each source of randomness

    def check(self) -> None:
        super().check()
        if self.runs < 2:
            raise UsageError(f"--runs doit valoir au moins 2 pour mesurer une dispersion, "
                             f"pas {self.runs}.")


PROFILES = {
    "full": Config(),
    "quick": Config(epochs=3, train_size=3_000, runs=3),
}

FAMILIES = {  # history key prefix -> French label
    "init": "graine de l'entraînement",  # initial weights, order of the mini-batches
    "data": "graine des données",  # which images are drawn
}


# --8<-- [start:data]
def mnist_subsets(train_size: int, validation_fraction: float, rng: np.random.Generator):
    """(x, y) for training, validation and test, pixels scaled to [0, 1].

    `train_size` images are drawn at random among the 60 000 training images, then
    split into training and validation; the 10 000 test images are always the same.
    """
    (x_all, y_all), (x_test, y_test) = load_mnist()
    drawn = rng.permutation(len(x_all))[:train_size]  # which images: a random draw
    n_val = round(train_size * validation_fraction)
    val, train = drawn[:n_val], drawn[n_val:]

    def scale(x):
        return x.astype("float32") / 255

    return ((scale(x_all[train]), y_all[train]), (scale(x_all[val]), y_all[val]),
            (scale(x_test), y_test))
# --8<-- [end:data]


# --8<-- [start:model]
def dense_network(hidden_units: int = 100, input_shape=(28, 28)):
    """The MNIST1 network: 784 pixels, two hidden layers, 10 probabilities."""
    import keras

    model = keras.Sequential([
        keras.Input(shape=input_shape),
        keras.layers.Flatten(),
        keras.layers.Dense(hidden_units, activation="relu"),
        keras.layers.Dense(hidden_units, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
# --8<-- [end:model]


# --8<-- [start:train]
def train_once(config: Config, training_seed: int, data_seed: int, ctx: RunContext):
    """One training; returns (history, test accuracy).

    `data_seed` decides which images are used; `training_seed` decides the initial
    weights and the order in which the mini-batches are presented.
    """
    import keras

    train, val, test = mnist_subsets(config.train_size, config.validation_fraction,
                                     np.random.default_rng(data_seed))
    keras.utils.set_random_seed(training_seed)  # re-seed before EACH training
    model = dense_network(config.hidden_units)
    history = model.fit(*train, epochs=config.epochs, batch_size=config.batch_size,
                        validation_data=val, callbacks=ctx.callbacks(config.epochs),
                        validation_batch_size=len(val[0]),  # one step: same scores, faster
                        verbose=ctx.verbose)
    _, test_accuracy = model.evaluate(*test, batch_size=2048, verbose=0)
    return {k: [float(v) for v in vs] for k, vs in history.history.items()}, test_accuracy
# --8<-- [end:train]


def run(config: Config, ctx: RunContext) -> Result:
    # --8<-- [start:evaluate]
    seed = config.seed
    others = [seed + i for i in range(1, config.runs)]
    runs = {f"init-{seed}": train_once(config, seed, seed, ctx)}  # the reference run
    for s in others:  # only the training seed changes
        runs[f"init-{s}"] = train_once(config, s, seed, ctx)
    for s in others:  # only the images change
        runs[f"data-{s}"] = train_once(config, seed, s, ctx)
    runs["repeat"] = train_once(config, seed, seed, ctx)  # exactly the reference again

    reference, repeat = runs[f"init-{seed}"][0], runs["repeat"][0]
    same_seed_gap = max(abs(a - b) for key in reference
                        for a, b in zip(reference[key], repeat[key]))
    # --8<-- [end:evaluate]
    for history, _ in runs.values():
        ctx.check_finite(history)
    result = Result(history={f"{run}:{key}": values for run, (history, _) in runs.items()
                             for key, values in history.items()})
    trainings = len(runs)
    runs[f"data-{seed}"] = runs[f"init-{seed}"]  # the reference belongs to both families
    finals = {family: [runs[f"{family}-{s}"][1] for s in [seed, *others]]
              for family in FAMILIES}
    for family, values in finals.items():
        for key, label, value in (("mean", "Exactitude de test moyenne", np.mean(values)),
                                  ("std", "Écart type de l'exactitude", np.std(values, ddof=1)),
                                  ("min", "Exactitude minimale", min(values)),
                                  ("max", "Exactitude maximale", max(values))):
            result.add_metric(f"{family}_{key}", f"{label} ({FAMILIES[family]} variable)",
                              value, "percent", 2)
    result.add_metric("same_seed_gap", "Plus grand écart entre deux entraînements de mêmes "
                      "graines", same_seed_gap, "scientific", 1)
    result.add_metric("runs", "Entraînements effectués", trainings, "integer")
    result.extra = {"seeds": [seed, *others], "test_accuracy": finals}
    _figures(result, config, runs, finals, [seed, *others])
    return result


def _figures(result: Result, config: Config, runs, finals, seeds) -> None:
    panels = {FAMILIES[family]: [runs[f"{family}-{s}"][0]["val_accuracy"] for s in seeds]
              for family in FAMILIES}
    result.add_figure("spread", "Exactitude de validation par époque : la dispersion des "
                      "entraînements", plots.spread_bands(
                          panels, "époque", "exactitude (validation)",
                          f"{config.runs} graines : chaque entraînement, l'enveloppe "
                          "(min–max) et la moyenne"))
    result.add_figure("final", "Exactitude finale sur le jeu de test, graine par graine",
                      plots.dot_groups({FAMILIES[f]: v for f, v in finals.items()},
                                       "Exactitude de test de chaque entraînement",
                                       "exactitude (test)", [str(s) for s in seeds]))
