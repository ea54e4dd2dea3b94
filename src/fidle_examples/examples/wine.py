"""WINE1 : prédire la qualité d'un vin rouge à partir de ses mesures chimiques.

Une régression par un réseau de neurones dense : 11 mesures physico-chimiques
(acidité, sucre, alcool...) en entrée, une note de qualité (de 0 à 10, attribuée
par des experts) en sortie. Jeu de données UCI *Wine Quality* (vins rouges,
1 599 vins). Les vins sont répartis en trois jeux séparés : entraînement,
validation (pour suivre l'apprentissage et choisir le meilleur modèle) et test
(pour la mesure finale, une seule fois). Le meilleur modèle, au sens de l'erreur
de validation, est enregistré pendant l'apprentissage puis rechargé pour le test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fidle_examples.core import plots
from fidle_examples.core.config import check_split
from fidle_examples.core.context import RunContext
from fidle_examples.core.contract import Metric
from fidle_examples.core.datasets import WINE_RED, load_wine_quality, split_indices
from fidle_examples.core.results import Result

NAME = "wine"
DATASETS = (WINE_RED,)


@dataclass(frozen=True)
class Config:
    # Fidle's WINE1 used batches of 10 wines (about 35 s on TensorFlow on 2 CPU cores,
    # mostly per-batch overhead). Batches of 32 make 3 times fewer steps per epoch and
    # still reach a test MAE of 0.47 to 0.51 depending on the seed.
    epochs: int = 100
    batch_size: int = 32
    hidden_units: int = 64
    learning_rate: float = 0.001
    validation_fraction: float = 0.15
    test_fraction: float = 0.15
    seed: int = 42

    def check(self) -> None:
        check_split(self.validation_fraction, self.test_fraction, "vins")


PROFILES = {
    "full": Config(),
    "quick": Config(epochs=30),
}

METRICS = {
    "test_mae": Metric("Erreur absolue moyenne (MAE) sur le jeu de test"),
    "test_mse": Metric("Erreur quadratique moyenne (MSE) sur le jeu de test"),
    "baseline_mae": Metric("MAE de test en prédisant toujours la qualité moyenne"),
    "val_mae": Metric("MAE de validation du meilleur modèle"),
    "best_epoch": Metric("Époque du meilleur modèle", "integer"),
    "test_within_half": Metric("Vins de test prédits à moins de 0,5 point", "percent", 1),
}
FIGURES = {
    "loss": "Perte (MSE) par époque",
    "mae": "Erreur absolue moyenne par époque",
    "predictions": "Qualité prédite et vraie qualité (jeu de test)",
}
CLAIMS = {
    "parameters_as_stated": "le calcul de la page (768 + 4\u202f160 + 65 = 4\u202f993 paramètres) "
                            "est celui du réseau de la configuration",
    "beats_naive_baseline": "la MAE de test du réseau est inférieure d'au moins 15\u202f% à "
                            "celle de la référence naïve, qui prédit toujours la qualité "
                            "moyenne",
    "training_error_keeps_falling": "l'erreur absolue moyenne d'entraînement continue de "
                                    "baisser jusqu'à la fin\u00a0: sa moyenne sur chaque "
                                    "dizaine d'époques est plus basse que sur la précédente",
    "validation_plateaus": "dans la seconde moitié de l'entraînement, l'erreur de validation "
                           "baisse moins de la moitié de ce que baisse l'erreur "
                           "d'entraînement, et "
                           "remonte à cinq époques au moins",
    "gap_opens": "l'écart entre l'erreur de validation et l'erreur d'entraînement est plus grand "
                 "d'au moins 0,1 à la dernière époque qu'à la dixième",
}


def run(config: Config, ctx: RunContext) -> Result:
    import keras

    # --8<-- [start:data]
    x, y, feature_names = load_wine_quality()  # 1 599 wines, 11 measures, a quality score

    # Three separate sets, after a shuffle: the test set is only used at the very
    # end, never to choose anything, so its score is an honest estimate.
    train, val, test = split_indices(len(x), config.validation_fraction,
                                     config.test_fraction, np.random.default_rng(config.seed))
    x_train, y_train = x[train], y[train]
    x_val, y_val = x[val], y[val]
    x_test, y_test = x[test], y[test]

    # Standardise each measure (mean 0, standard deviation 1) with statistics of the
    # TRAINING set only: the validation and test wines must stay unseen.
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    x_train = (x_train - mean) / std
    x_val = (x_val - mean) / std
    x_test = (x_test - mean) / std
    # --8<-- [end:data]

    # --8<-- [start:model]
    model = keras.Sequential([
        keras.Input(shape=(x_train.shape[1],)),
        keras.layers.Dense(config.hidden_units, activation="relu"),
        keras.layers.Dense(config.hidden_units, activation="relu"),
        keras.layers.Dense(1),  # the predicted quality: no activation for a regression
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate),
                  loss="mse",       # mean squared error: what is minimised
                  metrics=["mae"],  # mean absolute error: what a person reads
                  # 16 batches per call: the same result, less fixed cost per step
                  # (the PyTorch backend of Keras only accepts 1).
                  steps_per_execution=1 if keras.backend.backend() == "torch" else 16)
    # --8<-- [end:model]

    # --8<-- [start:train]
    best_path = ctx.workdir / "best_model.keras"
    checkpoint = keras.callbacks.ModelCheckpoint(
        best_path, monitor="val_mae", mode="min", save_best_only=True)
    history = model.fit(x_train, y_train,
                        epochs=config.epochs,
                        batch_size=config.batch_size,
                        validation_data=(x_val, y_val),
                        validation_batch_size=len(x_val),  # one step: same score, faster
                        callbacks=[checkpoint, *ctx.callbacks(config.epochs)],
                        verbose=ctx.verbose)
    # --8<-- [end:train]
    ctx.check_finite(history.history)

    # --8<-- [start:evaluate]
    best_model = keras.models.load_model(best_path)  # the epoch of lowest val_mae
    test_mse, test_mae = best_model.evaluate(x_test, y_test, verbose=0)
    val_mse, val_mae = best_model.evaluate(x_val, y_val, verbose=0)
    y_pred = best_model.predict(x_test, verbose=0)[:, 0]
    # A reference: the error when every wine gets the mean quality of the training set.
    baseline_mae = np.mean(np.abs(y_test - y_train.mean()))
    # --8<-- [end:evaluate]

    history = {k: [float(v) for v in vs] for k, vs in history.history.items()}
    return Result(
        history=history,
        metrics={"test_mae": test_mae, "test_mse": test_mse, "baseline_mae": baseline_mae,
                 "val_mae": val_mae, "best_epoch": int(np.argmin(history["val_mae"])) + 1,
                 "test_within_half": np.mean(np.abs(y_pred - y_test) < 0.5)},
        data={"y_test": y_test.astype("uint8"),  # qualities are whole marks, 0 to 10
              "y_pred": y_pred.astype("float32")},
        extra={"features": feature_names,
               "sizes": {"train": len(train), "validation": len(val), "test": len(test)}})


def figure_loss(result: Result, reference=None) -> str:
    # Log scale: the first epochs (MSE near 20) would flatten the rest on a linear axis,
    # and hide the gap between training and validation that the page discusses.
    return plots.history_curves(result.history, ["loss", "val_loss"],
                                "Perte (erreur quadratique moyenne, échelle log)", "MSE",
                                log=True, reference=reference)


def figure_mae(result: Result, reference=None) -> str:
    return plots.history_curves(result.history, ["mae", "val_mae"],
                                "Erreur absolue moyenne (MAE)", "MAE",
                                reference=reference)


def figure_predictions(result: Result) -> str:
    return plots.predicted_vs_true(result.data["y_test"], result.data["y_pred"],
                                   "Qualité prédite et vraie qualité (test)",
                                   "vraie qualité", "qualité prédite", point_label="un vin")


# --- claims: what the page says of this run -----------------------------------------

def _claim_number(value: float) -> str:
    """A value of a claim's detail, written the French way (imported here: a module-level
    import would change the training key, which claims leave alone)."""
    from fidle_examples.core import frenchfmt

    return frenchfmt.number(value, 3)


def _claim_rises(curve: list[float]) -> int:
    return sum(b > a for a, b in zip(curve, curve[1:]))


def claim_parameters_as_stated(result: Result):
    """The worked count typed on the page, checked against the config (no run makes it)."""
    h = result.config["hidden_units"]
    parts = (11 * h + h, h * h + h, h + 1)
    return parts == (768, 4160, 65) and sum(parts) == 4993, (
        f"h = {h}\u00a0: {parts[0]} + {parts[1]} + {parts[2]} = {sum(parts)}")


def claim_beats_naive_baseline(result: Result):
    mae, naive = result.metrics["test_mae"], result.metrics["baseline_mae"]
    return mae <= 0.85 * naive, (f"MAE de test du réseau\u00a0: {_claim_number(mae)}\u00a0; "
                                 f"de la référence naïve\u00a0: {_claim_number(naive)}")


def _claim_decades(curve: list[float]) -> list[float]:
    """Means of the curve over each ten epochs (the last ones may be fewer)."""
    return [sum(curve[i:i + 10]) / len(curve[i:i + 10]) for i in range(0, len(curve), 10)]


def claim_training_error_keeps_falling(result: Result):
    # The trend, not each epoch: the error of an epoch averages batches seen in a new
    # order (JAX, PyTorch), and jitters by about 0.01 near the end; the mean over ten
    # epochs still falls by 0.01 or more per ten epochs on every backend. (TensorFlow's
    # curve is smooth: with a global seed, Keras draws the same batch order at every
    # epoch there.)
    means = _claim_decades(result.history["mae"])
    rises = [i for i, (a, b) in enumerate(zip(means, means[1:]), 1) if b >= a]
    shown = "\u00a0; ".join(_claim_number(m) for m in means)
    return len(means) >= 2 and not rises, (
        f"moyennes par dizaine d'époques\u00a0: {shown}"
        + (f" (remontée après la dizaine {rises[0]})" if rises else ""))


def claim_validation_plateaus(result: Result):
    train, val = result.history["mae"], result.history["val_mae"]
    half = len(train) // 2
    drops = {"train": train[half] - train[-1], "val": val[half] - val[-1]}
    rises = _claim_rises(val[half:])
    return drops["val"] < drops["train"] / 2 and rises >= 5, (
        f"seconde moitié\u00a0: baisse de {_claim_number(drops['train'])} pour l'erreur "
        f"d'entraînement, de {_claim_number(drops['val'])} pour l'erreur de validation, qui "
        f"remonte à {rises} époques")


def claim_gap_opens(result: Result):
    gap = [v - t for v, t in zip(result.history["val_mae"], result.history["mae"])]
    if len(gap) < 20:
        return False, f"{len(gap)} époques seulement\u00a0: trop peu pour en juger"
    return gap[-1] - gap[9] >= 0.1, (f"écart de {_claim_number(gap[9])} à la dixième époque, "
                                     f"de {_claim_number(gap[-1])} à la dernière")
