"""Q-SURAP : le sur-apprentissage, le voir apparaître puis le combattre.

Un réseau dense bien trop grand (plus de 600 000 paramètres) apprend à partir de
500 images de MNIST seulement. Il finit par les connaître par cœur : sa perte
d'entraînement tend vers zéro tandis que sa perte de validation, mesurée sur
d'autres images, remonte après un minimum. Trois remèdes classiques sont ensuite
essayés, chacun seul, sur les mêmes images et avec les mêmes poids initiaux :
l'arrêt précoce (early stopping), l'abandon aléatoire de neurones (dropout) et
la pénalité L2 sur les poids (weight decay).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fidle_examples.core import plots
from fidle_examples.core.context import RunContext
from fidle_examples.core.contract import Metric
from fidle_examples.core.datasets import MNIST
from fidle_examples.core.errors import UsageError
from fidle_examples.core.results import Result
from fidle_examples.examples.mnist_dense import mnist_subsets

NAME = "overfitting"
DATASETS = (MNIST,)


@dataclass(frozen=True)
class Config:
    epochs: int = 60
    batch_size: int = 32
    hidden_units: int = 512  # far too many parameters for so few images
    train_size: int = 500
    validation_size: int = 2_000
    dropout: float = 0.5  # fraction of the pixels and hidden neurons switched off
    l2: float = 0.003  # weight of the penalty on the squared weights
    patience: int = 5  # epochs without progress before early stopping
    seed: int = 42

    def check(self) -> None:
        if self.train_size + self.validation_size > 60_000:
            raise UsageError("--train-size et --validation-size dépassent ensemble les "
                             "60 000 images d'entraînement de MNIST : réduisez-les.")
        if not self.dropout < 1:
            raise UsageError(f"--dropout doit être strictement entre 0 et 1, pas {self.dropout}.")


PROFILES = {
    "full": Config(),
    "quick": Config(epochs=20, validation_size=1_000, hidden_units=256, patience=3),
}

VARIANTS = {
    "none": "sans remède",
    "early_stopping": "arrêt précoce",
    "dropout": "dropout",
    "l2": "pénalité L2",
}

METRICS = {
    **{key: metric for variant, label in VARIANTS.items() for key, metric in (
        (f"best_val_ce_{variant}", Metric(f"Meilleure perte de validation, {label}")),
        (f"final_val_ce_{variant}", Metric(f"Perte de validation finale, {label}")),
        (f"best_epoch_{variant}", Metric(f"Époque de la meilleure validation, {label}",
                                         "integer")),
        (f"epochs_{variant}", Metric(f"Époques effectuées, {label}", "integer")),
        (f"test_accuracy_{variant}", Metric(f"Exactitude de test du modèle final, {label}",
                                            "percent", 1)))},
    "parameters": Metric("Paramètres du réseau", "integer"),
}
FIGURES = {
    "curves": "Perte d'entraînement et de validation, pour chaque variante",
    "comparison": "Perte de validation des quatre variantes",
}
CLAIMS = {
    "validation_loss_rises": "sans remède, la perte de validation baisse pendant les premières "
                             "époques (son minimum vient à la troisième au plus tôt), puis "
                             "remonte\u00a0: à la dernière époque, elle dépasse ce minimum d'au "
                             "moins 20\u202f%",
    "accuracy_moves_less": "sans remède, de l'époque de ce minimum à la dernière, l'exactitude "
                           "de validation varie, en proportion, au moins dix fois moins que la "
                           "perte de validation",
    "training_loss_collapses": "sans remède, la perte d'entraînement tombe presque à zéro "
                               "(sous 0,01)",
    "remedies_keep_training_loss_up": "avec le dropout ou la pénalité L2, la perte "
                                      "d'entraînement ne s'effondre pas\u00a0: elle reste au moins "
                                      "dix fois au-dessus de celle du réseau sans remède",
    "early_stopping_follows_no_remedy": "l'arrêt précoce suit exactement la courbe de "
                                        "validation du réseau sans remède, puis s'arrête avant "
                                        "la dernière époque",
    "remedies_lower_validation_loss": "la meilleure perte de validation est plus basse avec le "
                                      "dropout et avec la pénalité L2 que sans remède",
    "remedies_drift_less": "avec le dropout et avec la pénalité L2, la perte de validation "
                           "remonte moins, de son minimum à la dernière époque, que sans "
                           "remède",
    "l2_curve_more_agitated": "la courbe de validation de la pénalité L2 est plus agitée que "
                              "celle du réseau sans remède (variation moyenne d'une époque à "
                              "l'autre, après la dixième)",
    "l2_lowers_test_accuracy": "avec la pénalité L2, l'exactitude de test est plus basse que "
                               "sans remède, et au moins un point sous celle du dropout",
    "test_accuracy_barely_moves": "aucun remède ne relève l'exactitude de test de plus de "
                                  "trois points par rapport au réseau sans remède, et les "
                                  "quatre exactitudes restent à moins de six points les unes "
                                  "des autres",
}


# --8<-- [start:data]
def few_images(config: Config):
    """Few images to learn from, other images (never learnt) to check on during
    training, and the 10 000 test images for the final measure."""
    drawn = config.train_size + config.validation_size
    return mnist_subsets(drawn, config.validation_size / drawn,
                         np.random.default_rng(config.seed))
# --8<-- [end:data]


# --8<-- [start:model]
def big_network(config: Config, variant: str):
    """Two wide hidden layers; `variant` adds dropout (on the pixels and after each
    hidden layer) or an L2 penalty on the weights of the hidden layers."""
    import keras

    penalty = keras.regularizers.L2(config.l2) if variant == "l2" else None
    layers = [keras.Input(shape=(28, 28)), keras.layers.Flatten()]
    if variant == "dropout":
        layers.append(keras.layers.Dropout(config.dropout))  # on the pixels too
    for _ in range(2):
        layers.append(keras.layers.Dense(config.hidden_units, activation="relu",
                                         kernel_regularizer=penalty))
        if variant == "dropout":
            layers.append(keras.layers.Dropout(config.dropout))  # only while training
    layers.append(keras.layers.Dense(10, activation="softmax"))
    model = keras.Sequential(layers)
    # "loss" includes the L2 penalty; "ce" is the cross-entropy alone, comparable
    # between all the variants.
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", keras.metrics.SparseCategoricalCrossentropy(name="ce")],
                  # 16 batches per call: the same result, less fixed cost per step
                  # (the PyTorch backend of Keras only accepts 1).
                  steps_per_execution=1 if keras.backend.backend() == "torch" else 16)
    return model
# --8<-- [end:model]


# --8<-- [start:train]
def train_variant(variant: str, data, config: Config, ctx: RunContext):
    """Train from the same initial weights; returns (history, model)."""
    import keras

    train, validation = data
    keras.utils.set_random_seed(config.seed)
    model = big_network(config, variant)
    model = ctx.reuse_traced(model)  # the same numbers; the graph of its steps built once
    callbacks = ctx.callbacks(config.epochs)
    if variant == "early_stopping":
        # Stop when the validation loss has not improved for `patience` epochs,
        # and go back to the weights of its best epoch.
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_ce", patience=config.patience, restore_best_weights=True))
    history = model.fit(*train, epochs=config.epochs, batch_size=config.batch_size,
                        validation_data=validation, callbacks=callbacks,
                        # Validation in one step: the same scores, without 60 small
                        # steps per epoch (4 times the training steps).
                        validation_batch_size=len(validation[0]),
                        verbose=ctx.verbose)
    return {k: [float(v) for v in vs] for k, vs in history.history.items()}, model
# --8<-- [end:train]


def run(config: Config, ctx: RunContext) -> Result:
    train, validation, test = few_images(config)

    # --8<-- [start:evaluate]
    histories, rows = {}, []
    for variant in VARIANTS:
        history, model = train_variant(variant, (train, validation), config, ctx)
        ctx.check_finite(history)
        histories[variant] = history
        parameters = model.count_params()
        _, test_accuracy, _ = model.evaluate(*test, batch_size=2048, verbose=0)
        best = int(np.argmin(history["val_ce"]))
        rows.append({"variant": variant, "epochs_run": len(history["val_ce"]),
                     "best_epoch": best + 1, "best_val_ce": history["val_ce"][best],
                     "final_val_ce": history["val_ce"][-1],
                     "final_train_ce": history["ce"][-1], "test_accuracy": test_accuracy})
    # --8<-- [end:evaluate]

    metrics = {}
    for row in rows:
        v = row["variant"]
        metrics.update({f"best_val_ce_{v}": row["best_val_ce"],
                        f"final_val_ce_{v}": row["final_val_ce"],
                        f"best_epoch_{v}": row["best_epoch"],
                        f"epochs_{v}": row["epochs_run"],
                        f"test_accuracy_{v}": row["test_accuracy"]})
    return Result(history={f"{variant}:{key}": values
                           for variant, history in histories.items()
                           for key, values in history.items()},
                  metrics={**metrics, "parameters": parameters},
                  extra={"table": rows})


def figure_curves(result: Result) -> str:
    history = result.history
    panels = {label: {"entraînement": history[f"{v}:ce"], "validation": history[f"{v}:val_ce"]}
              for v, label in VARIANTS.items()}
    return plots.history_panels(panels, "perte (entropie croisée, échelle log)",
                                dashed=("validation",), log=True)


def figure_comparison(result: Result) -> str:
    compared = {label: (range(1, len(result.history[f"{v}:val_ce"]) + 1),
                        result.history[f"{v}:val_ce"])
                for v, label in VARIANTS.items()}
    return plots.xy_curves(compared, "Perte de validation (entropie croisée)",
                           "époque", "perte (validation)")


# --- claims: what the pages say of these curves -------------------------------------

def _claim_number(value: float, digits: int = 3) -> str:
    """A value of a claim's detail, written the French way (imported here: a module-level
    import would change the training key, which claims leave alone)."""
    from fidle_examples.core import frenchfmt

    if 0 < abs(value) < 0.01:
        return frenchfmt.scientific(value)
    return frenchfmt.number(value, digits)


def _claim_rise(result: Result, variant: str) -> float:
    """How far the validation loss ends above its minimum."""
    return result.metrics[f"final_val_ce_{variant}"] - result.metrics[f"best_val_ce_{variant}"]


def _claim_by_variant(values: dict[str, float], digits: int = 3) -> str:
    """« sans remède : 0,463 ; dropout : 0,387 » (no-break spaces of French typography)."""
    return "\u00a0; ".join(f"{VARIANTS[v]}\u00a0: {_claim_number(x, digits)}"
                           for v, x in values.items())


def claim_validation_loss_rises(result: Result):
    best, final = result.metrics["best_val_ce_none"], result.metrics["final_val_ce_none"]
    epoch = int(result.metrics["best_epoch_none"])
    return epoch >= 3 and final >= 1.2 * best, (f"minimum {_claim_number(best)} à l'époque "
                                                f"{epoch}, {_claim_number(final)} à la dernière")


def claim_accuracy_moves_less(result: Result):
    loss, accuracy = result.history["none:val_ce"], result.history["none:val_accuracy"]
    best = loss.index(min(loss))
    moves = {"perte": abs(loss[-1] / loss[best] - 1),
             "exactitude": abs(accuracy[-1] / accuracy[best] - 1)}
    return moves["exactitude"] * 10 <= moves["perte"], (
        f"de l'époque {best + 1} à la dernière, variation relative de la perte de validation"
        f"\u00a0: {_claim_number(100 * moves['perte'], 1)} %, de l'exactitude\u00a0: "
        f"{_claim_number(100 * moves['exactitude'], 1)} %").replace(" %", "\u202f%")


def claim_training_loss_collapses(result: Result):
    final = result.history["none:ce"][-1]
    return final < 0.01, f"perte d'entraînement finale\u00a0: {_claim_number(final)}"


def claim_remedies_keep_training_loss_up(result: Result):
    lowest = {"none": result.history["none:ce"][-1],
              **{v: min(result.history[f"{v}:ce"]) for v in ("dropout", "l2")}}
    return all(lowest[v] >= 10 * lowest["none"] for v in ("dropout", "l2")), (
        "perte d'entraînement au plus bas, " + _claim_by_variant(lowest))


def claim_early_stopping_follows_no_remedy(result: Result):
    stopped, free = result.history["early_stopping:val_ce"], result.history["none:val_ce"]
    same = stopped == free[: len(stopped)]
    return same and len(stopped) < result.config["epochs"], (
        f"arrêt après {len(stopped)} époques sur {result.config['epochs']}, courbes "
        + ("identiques" if same else "différentes") + " jusque-là")


def claim_remedies_lower_validation_loss(result: Result):
    best = {v: result.metrics[f"best_val_ce_{v}"] for v in ("none", "dropout", "l2")}
    return best["dropout"] < best["none"] and best["l2"] < best["none"], (
        "meilleure perte de validation, " + _claim_by_variant(best))


def claim_remedies_drift_less(result: Result):
    rise = {v: _claim_rise(result, v) for v in ("none", "dropout", "l2")}
    return rise["dropout"] < rise["none"] and rise["l2"] < rise["none"], (
        "remontée de la perte de validation, " + _claim_by_variant(rise))


def _claim_agitation(curve: list[float]) -> float:
    """Mean change of a curve from one epoch to the next, after the tenth."""
    return float(np.mean(np.abs(np.diff(curve[10:]))))


def claim_l2_curve_more_agitated(result: Result):
    if len(result.history["l2:val_ce"]) < 15:
        return False, "trop peu d'époques pour en juger"
    agitation = {v: _claim_agitation(result.history[f"{v}:val_ce"]) for v in ("l2", "none")}
    return agitation["l2"] > agitation["none"], (
        "variation moyenne de la perte de validation, " + _claim_by_variant(agitation, 4))


def claim_test_accuracy_barely_moves(result: Result):
    from fidle_examples.core import frenchfmt

    accuracies = {v: result.metrics[f"test_accuracy_{v}"] for v in VARIANTS}
    gain = max(accuracies.values()) - accuracies["none"]
    spread = max(accuracies.values()) - min(accuracies.values())
    return gain < 0.03 and spread < 0.06, "exactitude de test, " + "\u00a0; ".join(
        f"{VARIANTS[v]}\u00a0: {frenchfmt.percent(x, 1)}" for v, x in accuracies.items())


def claim_l2_lowers_test_accuracy(result: Result):
    from fidle_examples.core import frenchfmt  # here: claims leave the training key alone

    m = result.metrics
    none, dropout, l2 = (m[f"test_accuracy_{k}"] for k in ("none", "dropout", "l2"))
    return (l2 < none and l2 <= dropout - 0.01,
            "exactitudes de test\u00a0: " + ", ".join(
                f"{name} {frenchfmt.percent(value, 2)}" for name, value in
                (("sans remède", none), ("dropout", dropout), ("L2", l2))))
