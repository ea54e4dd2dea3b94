"""Q-BATCH : pourquoi apprendre par lots (batches), et de quelle taille ?

Le même réseau dense (celui de MNIST1), avec les mêmes poids initiaux, est
entraîné sur les mêmes images de MNIST avec des tailles de lot allant de 8 images
au jeu d'entraînement entier (une seule mise à jour par époque). Pour chaque
taille, on relève le nombre de mises à jour par époque, la durée de calcul d'une
époque, et la perte de validation après chaque époque. Deux lectures de ces
courbes : la perte en fonction des époques (combien de passages sur les données)
et en fonction des secondes de calcul (ce que coûte vraiment l'apprentissage).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from fidle_examples.core import frenchfmt, plots
from fidle_examples.core.context import RunContext
from fidle_examples.core.contract import Metric
from fidle_examples.core.datasets import MNIST
from fidle_examples.core.errors import UsageError
from fidle_examples.core.results import Result
from fidle_examples.examples.mnist_dense import dense_network, mnist_subsets

NAME = "batch-size"
DATASETS = (MNIST,)


@dataclass(frozen=True)
class Config:
    epochs: int = 10
    # The whole training set is always tried last, as one single batch.
    batch_sizes: tuple[int, ...] = (8, 32, 128, 512)
    hidden_units: int = 100
    train_size: int = 12_000  # 10 000 for training, 2 000 for validation
    validation_fraction: float = 1 / 6
    seed: int = 42

    def check(self) -> None:
        train = self.train_size - round(self.train_size * self.validation_fraction)
        if not 100 <= self.train_size <= 60_000:
            raise UsageError(f"--train-size doit être entre 100 et 60 000 (les images "
                             f"d'entraînement de MNIST), pas {self.train_size}.")
        if any(not 1 <= b < train for b in self.batch_sizes):
            raise UsageError(f"Les tailles de lot doivent être entre 1 et {train - 1} (le "
                             f"lot complet, {train} images, est ajouté de lui-même).")


PROFILES = {
    "full": Config(),
    "quick": Config(epochs=3, train_size=2_400),
}


def _label(key: str, batch_size: int) -> str:
    if key == "full":  # its size is the training set's: « train_images » gives it
        return "lot complet"
    return f"lots de {batch_size}"


def _declared_sizes(config: Config) -> dict[str, int]:
    """The batch sizes `prepare` names, without loading the images."""
    train = config.train_size - round(config.train_size * config.validation_fraction)
    return {**{str(b): b for b in config.batch_sizes}, "full": train}


# The batch sizes are the same in both profiles; the full batch is the training set.
METRICS = {
    **{name: metric for key, size in _declared_sizes(PROFILES["full"]).items()
       for name, metric in (
           (f"updates_{key}", Metric(f"Mises à jour par époque, {_label(key, size)}",
                                     "integer")),
           (f"epoch_seconds_{key}", Metric(f"Durée d'une époque (médiane, s), "
                                           f"{_label(key, size)}", "number", 3)),
           (f"val_loss_{key}", Metric(f"Perte de validation finale, {_label(key, size)}")),
           (f"val_accuracy_{key}", Metric(f"Exactitude de validation finale, "
                                          f"{_label(key, size)}", "percent", 1)))},
    "train_images": Metric("Images d'entraînement", "integer"),
}
FIGURES = {
    "loss_per_epoch": "Perte de validation par époque, selon la taille des lots",
    "loss_per_second": "Perte de validation selon le temps de calcul",
}


# --8<-- [start:data]
def prepare(config: Config):
    """Training and validation images (the same for every batch size), and the batch
    sizes to try, named "8", "32"... and "full" for the whole training set."""
    train, validation, _ = mnist_subsets(config.train_size, config.validation_fraction,
                                         np.random.default_rng(config.seed))
    sizes = {**{str(b): b for b in config.batch_sizes}, "full": len(train[0])}
    return train, validation, sizes
# --8<-- [end:data]


# --8<-- [start:train]
def epoch_clock():
    """A Keras callback that records, for each epoch, the updates made and the seconds
    spent on them. Not counted: the very first update, which also builds the
    computation graph, and the validation pass after each epoch (both cost the
    same whatever the batch size)."""
    import keras

    class EpochClock(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.updates, self.seconds = [], []

        def on_epoch_begin(self, epoch, logs=None):
            self._steps, self._start = 0, time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self._steps += 1  # one mini-batch = one update of the weights
            self._end = time.perf_counter()
            if not self.updates and self._steps == 1:
                self._start = self._end  # the clock starts after the graph is built

        def on_epoch_end(self, epoch, logs=None):
            self.updates.append(self._steps)
            self.seconds.append(self._end - self._start)

    return EpochClock()


def train_with_batch_size(batch_size, data, config: Config, ctx: RunContext):
    """Train the MNIST1 network from the same initial weights; returns (history, clock)."""
    import keras

    (x_train, y_train), validation = data
    keras.utils.set_random_seed(config.seed)  # same initial weights for every batch size
    model = dense_network(config.hidden_units)
    clock = epoch_clock()
    history = model.fit(x_train, y_train, epochs=config.epochs, batch_size=batch_size,
                        validation_data=validation,
                        callbacks=[clock, *ctx.callbacks(config.epochs)],
                        verbose=ctx.verbose)
    return {k: [float(v) for v in vs] for k, vs in history.history.items()}, clock
# --8<-- [end:train]


def run(config: Config, ctx: RunContext) -> Result:
    train, validation, sizes = prepare(config)

    # --8<-- [start:evaluate]
    rows, histories = [], {}
    for key, batch_size in sizes.items():
        history, clock = train_with_batch_size(batch_size, (train, validation), config, ctx)
        ctx.check_finite(history)
        histories[key] = {**history, "seconds": list(np.cumsum(clock.seconds)),
                          "updates": clock.updates}
        rows.append({"key": key, "batch_size": batch_size,
                     "updates_per_epoch": clock.updates[-1],
                     "epoch_seconds": float(np.median(clock.seconds)),
                     "total_seconds": float(np.sum(clock.seconds)),
                     "val_loss": history["val_loss"][-1],
                     "val_accuracy": history["val_accuracy"][-1]})
    # --8<-- [end:evaluate]

    metrics = {}
    for row in rows:
        key = row["key"]
        metrics.update({f"updates_{key}": row["updates_per_epoch"],
                        f"epoch_seconds_{key}": row["epoch_seconds"],
                        f"val_loss_{key}": row["val_loss"],
                        f"val_accuracy_{key}": row["val_accuracy"]})
    return Result(history={f"{key}:{name}": [float(v) for v in values]
                           for key, history in histories.items()
                           for name, values in history.items()},
                  metrics={**metrics, "train_images": len(train[0])},
                  extra={"table": rows})


def figure_loss_per_epoch(result: Result) -> str:
    history = result.history
    per_epoch = {_label(r["key"], r["batch_size"]): history[f"{r['key']}:val_loss"]
                 for r in result.extra["table"]}
    return plots.line_chart(range(1, result.config["epochs"] + 1), per_epoch,
                            "Perte de validation après chaque époque", "époque",
                            "perte (validation, échelle log)", log=True)


def figure_loss_per_second(result: Result) -> str:
    history = result.history
    per_second = {_label(r["key"], r["batch_size"]): (history[f"{r['key']}:seconds"],
                                                       history[f"{r['key']}:val_loss"])
                  for r in result.extra["table"]}
    return plots.xy_curves(per_second, "Perte de validation et temps de calcul",
                           "secondes de calcul (entraînement seul, cumulées)",
                           "perte (validation, échelle log)", log=True)
