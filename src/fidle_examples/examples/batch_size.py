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
from fidle_examples.core.contract import Claim, Metric
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
           (f"epoch_seconds_{key}", Metric(f"Durée médiane d'une époque, "
                                           f"{_label(key, size)}", "seconds")),
           (f"val_loss_{key}", Metric(f"Perte de validation finale, {_label(key, size)}")),
           (f"val_accuracy_{key}", Metric(f"Exactitude de validation finale, "
                                          f"{_label(key, size)}", "percent", 1)))},
    "train_images": Metric("Images d'entraînement", "integer"),
}
FIGURES = {
    "loss_per_epoch": "Perte de validation par époque, selon la taille des lots",
    "loss_per_second": "Perte de validation selon le temps de calcul",
}
# The claims compare the batch sizes of the full profile (8, 32, 128, 512 and the full
# batch). Durations depend on the device and the backend (JAX's small steps cost less
# than TensorFlow's): those claims are device-specific, and only where the gap is
# several-fold, as loads differ.
CLAIMS = {
    "small_batches_ahead_per_epoch": "après la première époque, la perte de validation des "
                                     "lots de 8 et de 32 est plus basse que celle des lots de "
                                     "128, elle-même plus basse que celle des lots de 512, "
                                     "elle-même plus basse que celle du lot complet",
    "full_batch_lags": "à la dernière époque, la perte de validation du lot complet est au "
                       "moins trois fois celle de chacune des autres tailles",
    "small_batches_most_agitated": "la courbe de validation des lots de 8 est la plus "
                                   "irrégulière\u00a0: ses remontées, additionnées, dépassent "
                                   "d'au moins un quart celles de toute autre taille",
    "small_batches_rise_again": "les courbes de validation des lots de 8 et de 32 finissent "
                                "au-dessus de leur minimum",
    "small_batches_cost_more_per_epoch": Claim(
        "sur le matériel de la référence, une époque par lots de 8 dure au moins deux fois "
        "plus qu'une époque par lots de 512", device_specific=True),
    "intermediate_fastest_in_time": Claim(
        "sur le matériel de la référence, en temps de calcul, ce sont des lots "
        "intermédiaires (32, 128 ou 512) qui atteignent les premiers une perte basse (la "
        "plus haute des meilleures pertes des lots de 8 à 512), avant les lots de 8\u00a0; "
        "le lot complet ne l'atteint pas", device_specific=True),
    "mini_batches_close_in_accuracy": "les exactitudes de validation finales des lots de 8, de "
                                      "32 et de 128 restent à moins de deux points les unes des "
                                      "autres",
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
    spent on them. Not counted: the very first call, which for a new model also
    builds the computation graph, and the validation pass after each epoch (both
    cost the same whatever the batch size)."""
    import keras

    class EpochClock(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.updates, self.seconds = [], []
            self._timing = False  # a new model's first call also builds the graph: never timed

        def on_epoch_begin(self, epoch, logs=None):
            self._first = int(self.model.optimizer.iterations)  # updates made so far
            self._start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            # Called once per group of batches (steps_per_execution).
            self._end = time.perf_counter()
            if not self._timing:
                self._start, self._timing = self._end, True

        def on_epoch_end(self, epoch, logs=None):
            # One mini-batch = one update of the weights.
            self.updates.append(int(self.model.optimizer.iterations) - self._first)
            self.seconds.append(self._end - self._start)

    return EpochClock()


def train_with_batch_size(batch_size, data, config: Config, ctx: RunContext):
    """Train the MNIST1 network from the same initial weights; returns (history, clock)."""
    import keras

    (x_train, y_train), validation = data
    keras.utils.set_random_seed(config.seed)  # same initial weights for every batch size
    model = dense_network(config.hidden_units)
    model = ctx.reuse_traced(model)  # the same numbers; traced again only for new shapes
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


# --- claims: what the pages say of these curves -------------------------------------

def _claim_sizes() -> tuple[str, ...]:
    """The batch sizes of the full profile, smallest first (a function: a module-level
    constant would change the training key, which claims leave alone)."""
    return ("8", "32", "128", "512", "full")


def _claim_missing(result: Result) -> str:
    """Why the claims cannot be read on this run (other batch sizes), or ""."""
    sizes = {str(b) for b in result.config["batch_sizes"]}
    return "" if {"8", "32", "128", "512"} <= sizes else (
        "ces affirmations portent sur les lots de 8, 32, 128 et 512, pas sur ceux de cette "
        "exécution")


def _claim_by_size(values: dict[str, float], fmt=lambda v: frenchfmt.number(v, 3)) -> str:
    """« lots de 8 : 0,317 ; lots de 32 : 0,283 ; ... » (no-break spaces of French)."""
    return "\u00a0; ".join(f"{'lot complet' if k == 'full' else f'lots de {k}'}\u00a0: "
                           f"{fmt(v)}" for k, v in values.items())


def claim_small_batches_ahead_per_epoch(result: Result):
    if why := _claim_missing(result):
        return False, why
    first = {k: result.history[f"{k}:val_loss"][0] for k in _claim_sizes()}
    holds = max(first["8"], first["32"]) < first["128"] < first["512"] < first["full"]
    return holds, "perte de validation après une époque, " + _claim_by_size(first)


def claim_full_batch_lags(result: Result):
    if why := _claim_missing(result):
        return False, why
    last = {k: result.history[f"{k}:val_loss"][-1] for k in _claim_sizes()}
    holds = all(last["full"] >= 3 * last[k] for k in _claim_sizes()[:-1])
    return holds, "perte de validation finale, " + _claim_by_size(last)


def _claim_rises(curve: list[float]) -> float:
    """The sum of the rises of a curve from one epoch to the next."""
    return float(sum(max(b - a, 0.0) for a, b in zip(curve, curve[1:])))


def claim_small_batches_most_agitated(result: Result):
    if why := _claim_missing(result):
        return False, why
    rises = {k: _claim_rises(result.history[f"{k}:val_loss"]) for k in _claim_sizes()}
    # 1.25: the smallest ratio of the reference runs is 1.7 (JAX), 2.6 on TensorFlow.
    holds = rises["8"] > 0 and all(rises["8"] >= 1.25 * rises[k] for k in _claim_sizes()[1:])
    return holds, "remontées additionnées de la perte de validation, " + _claim_by_size(rises)


def claim_small_batches_rise_again(result: Result):
    if why := _claim_missing(result):
        return False, why
    curves = {k: result.history[f"{k}:val_loss"] for k in ("8", "32")}
    holds = all(curve[-1] > min(curve) for curve in curves.values())
    return holds, "\u00a0; ".join(
        f"lots de {k}\u00a0: minimum {frenchfmt.number(min(c), 3)}, "
        f"{frenchfmt.number(c[-1], 3)} à la fin" for k, c in curves.items())


def claim_small_batches_cost_more_per_epoch(result: Result):
    if why := _claim_missing(result):
        return False, why
    seconds = {k: result.metrics[f"epoch_seconds_{k}"] for k in ("8", "512")}
    holds = seconds["8"] >= 2 * seconds["512"]
    return holds, "durée d'une époque, " + _claim_by_size(seconds, frenchfmt.duration)


def claim_intermediate_fastest_in_time(result: Result):
    if why := _claim_missing(result):
        return False, why
    history = result.history
    target = max(min(history[f"{k}:val_loss"]) for k in _claim_sizes()[:-1])
    reached = {}
    for k in _claim_sizes():
        times = [t for t, v in zip(history[f"{k}:seconds"], history[f"{k}:val_loss"])
                 if v <= target]
        reached[k] = times[0] if times else float("inf")
    first = min(reached, key=reached.get)
    holds = first in ("32", "128", "512") and reached["full"] == float("inf")
    return holds, (f"perte {frenchfmt.number(target, 3)} atteinte après, "
                   + _claim_by_size(reached, lambda t: "jamais" if t == float("inf")
                                    else frenchfmt.duration(t)))


def claim_mini_batches_close_in_accuracy(result: Result):
    if why := _claim_missing(result):
        return False, why
    accuracy = {k: result.metrics[f"val_accuracy_{k}"] for k in ("8", "32", "128")}
    spread = max(accuracy.values()) - min(accuracy.values())
    return spread < 0.02, "exactitude de validation finale, " + _claim_by_size(
        accuracy, lambda v: frenchfmt.percent(v, 1))
