"""SVM : une machine à vecteurs de support contre le réseau dense de MNIST1.

Avant le retour en grâce des réseaux de neurones, les machines à vecteurs de
support (SVM, Support Vector Machines) étaient les meilleures sur MNIST. On les
remet face à face : un SVM à noyau gaussien (RBF, scikit-learn) et le réseau
dense de MNIST1 (Keras) apprennent sur les mêmes sous-ensembles d'images, de
taille croissante, et sont mesurés sur les mêmes images de test. Pour chaque
taille : l'exactitude de test et le temps d'entraînement de chacun.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from fidle_examples.core import frenchfmt, plots
from fidle_examples.core.context import RunContext
from fidle_examples.core.contract import Claim, Metric
from fidle_examples.core.datasets import MNIST, load_mnist
from fidle_examples.core.errors import UsageError
from fidle_examples.core.results import Result
from fidle_examples.examples.mnist_dense import dense_network

NAME = "svm-vs-dnn"
DATASETS = (MNIST,)


@dataclass(frozen=True)
class Config:
    sizes: tuple[int, ...] = (500, 1_000, 2_000, 5_000, 10_000)  # training images
    test_size: int = 2_000  # the same test images for both (SVM predictions are slow)
    svm_c: float = 10.0  # C: how much a misclassified training image costs the SVM
    epochs: int = 20  # at least; more on small sets, to make at least `min_updates`
    min_updates: int = 1_000
    batch_size: int = 32
    hidden_units: int = 100
    seed: int = 42

    def check(self) -> None:
        if any(not 50 <= n <= 60_000 for n in self.sizes) or list(self.sizes) != sorted(self.sizes):
            raise UsageError("Les tailles d'entraînement doivent croître, entre 50 et 60 000.")
        if self.test_size > 10_000:
            raise UsageError(f"--test-size ne peut pas dépasser les 10 000 images de test de "
                             f"MNIST, pas {self.test_size}.")


PROFILES = {
    "full": Config(),
    # As many sizes as "full": the metrics (keyed by rank) are the same.
    "quick": Config(sizes=(100, 200, 400, 700, 1_000), test_size=1_000, epochs=5,
                    min_updates=100),
}

# Keyed by rank (1 = smallest set): the same keys in both profiles; each label names the
# size of the run ({sizes[0]}... is filled from its config).
METRICS = {
    **{key: metric for rank in range(1, len(PROFILES["full"].sizes) + 1)
       for images in [f"{{sizes[{rank - 1}]}} images"]
       for key, metric in (
           (f"svm_accuracy_{rank}", Metric(f"Exactitude du SVM, {images}", "percent", 1)),
           (f"dnn_accuracy_{rank}", Metric(f"Exactitude du réseau dense, {images}",
                                           "percent", 1)),
           (f"svm_seconds_{rank}", Metric(f"Entraînement du SVM, {images}", "seconds")),
           (f"dnn_seconds_{rank}", Metric(f"Entraînement du réseau dense, {images}",
                                          "seconds")),
           (f"svm_predict_seconds_{rank}", Metric(f"Prédiction du SVM sur les images de "
                                                  f"test, {images}", "seconds")),
           (f"dnn_predict_seconds_{rank}", Metric(f"Prédiction du réseau dense sur les "
                                                  f"images de test, {images}", "seconds")),
           (f"support_vectors_{rank}", Metric(f"Vecteurs de support du SVM, {images}",
                                              "integer")))},
    "test_images": Metric("Images de test", "integer"),
}
FIGURES = {
    "comparison": "Exactitude et temps d'entraînement selon le nombre d'images",
}
# Durations depend on the machine and on what else runs on it: the claims on time state
# what held in every TensorFlow run of the reference, with a margin where the effect
# allows one (five times for the SVM); dnn_time_follows_epochs only says « more » (1.2
# times on a quiet machine, 2.0 to 2.4 times on a loaded one).
CLAIMS = {
    "svm_more_accurate": "à chaque taille essayée, le SVM est plus exact que le réseau dense",
    "both_improve_with_data": "l'exactitude des deux modèles croît avec le nombre d'images",
    "svm_faster_on_small_sets": Claim(
        "sur le matériel de la référence, sur les deux plus petits sous-ensembles, le SVM "
        "s'entraîne au moins cinq fois plus vite que le réseau", device_specific=True),
    "svm_time_grows_faster": Claim(
        "sur le matériel de la référence, du plus petit au plus grand sous-ensemble, le "
        "temps d'entraînement du SVM est multiplié par un facteur au moins cinq fois plus "
        "grand que celui du réseau", device_specific=True),
    "dnn_time_follows_epochs": Claim(
        "sur le matériel de la référence, le réseau met plus de temps à s'entraîner sur le "
        "plus petit sous-ensemble, qui fait le moins de mises à jour mais le plus d'époques, "
        "que sur le troisième, qui fait plus de mises à jour en moins d'époques",
        device_specific=True),
    "support_vectors_grow": "le nombre de vecteurs de support augmente avec le nombre d'images",
    "svm_predicts_slower": Claim(
        "sur le matériel de la référence, sur le plus grand sous-ensemble, la prédiction des "
        "images de test prend plus de temps au SVM qu'au réseau, et plus qu'au SVM du plus "
        "petit sous-ensemble", device_specific=True),
}


# --8<-- [start:data]
def nested_subsets(config: Config, rng: np.random.Generator):
    """Growing training sets (each one contains the smaller ones) and one test set;
    images flattened to 784 pixels in [0, 1], as both models take them."""
    (x_all, y_all), (x_test, y_test) = load_mnist()
    drawn = rng.permutation(len(x_all))[: max(config.sizes)]
    test = rng.permutation(len(x_test))[: config.test_size]

    def flat(x):
        return x.reshape(len(x), -1).astype("float32") / 255

    subsets = {n: (flat(x_all[drawn[:n]]), y_all[drawn[:n]]) for n in config.sizes}
    return subsets, (flat(x_test[test]), y_test[test])
# --8<-- [end:data]


# --8<-- [start:model]
def train_svm(x, y, config: Config):
    """An SVM with a Gaussian (RBF) kernel; ten classes handled one pair at a time."""
    from sklearn.svm import SVC

    return SVC(kernel="rbf", C=config.svm_c, gamma="scale").fit(x, y)


def train_dnn(x, y, config: Config, ctx: RunContext):
    """The MNIST1 dense network, on the same flattened images."""
    import keras

    # A small set gives few updates per epoch: more epochs, so that the network
    # is not judged before it had a real chance to learn.
    updates_per_epoch = math.ceil(len(x) / config.batch_size)
    epochs = max(config.epochs, math.ceil(config.min_updates / updates_per_epoch))
    keras.utils.set_random_seed(config.seed)
    model = dense_network(config.hidden_units, input_shape=(784,))
    model.fit(x, y, epochs=epochs, batch_size=config.batch_size,
              callbacks=ctx.callbacks(epochs), verbose=ctx.verbose)
    return model


def timed(function, *args, **kwargs):
    """(what function(*args) returns, seconds it took)."""
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - start
# --8<-- [end:model]


def run(config: Config, ctx: RunContext) -> Result:
    subsets, (x_test, y_test) = nested_subsets(config, np.random.default_rng(config.seed))

    import sklearn.svm  # noqa: F401  here, not within the first SVM's clock

    # --8<-- [start:evaluate]
    rows = []
    for n, (x, y) in subsets.items():
        svm, svm_seconds = timed(train_svm, x, y, config)
        svm_predicted, svm_predict_seconds = timed(svm.predict, x_test)
        dnn, dnn_seconds = timed(train_dnn, x, y, config, ctx)
        dnn_scores, dnn_predict_seconds = timed(dnn.predict, x_test, verbose=0)
        rows.append({
            "size": n,
            "svm_accuracy": float(np.mean(svm_predicted == y_test)),
            "dnn_accuracy": float(np.mean(np.argmax(dnn_scores, axis=1) == y_test)),
            "svm_seconds": svm_seconds, "dnn_seconds": dnn_seconds,
            "svm_predict_seconds": svm_predict_seconds,
            "dnn_predict_seconds": dnn_predict_seconds,
            "support_vectors": int(svm.n_support_.sum()),  # training images it keeps
            "dnn_epochs": len(dnn.history.history["loss"]),
        })
    # --8<-- [end:evaluate]

    metrics = {}
    for rank, row in enumerate(rows, 1):
        metrics.update({f"{name}_{rank}": row[name] for name in (
            "svm_accuracy", "dnn_accuracy", "svm_seconds", "dnn_seconds",
            "svm_predict_seconds", "dnn_predict_seconds", "support_vectors")})
    return Result(metrics={**metrics, "test_images": len(y_test)}, extra={"table": rows})


def figure_comparison(result: Result) -> str:
    rows = result.extra["table"]
    return plots.panels_vs_x(
        [r["size"] for r in rows],
        {"Exactitude sur le jeu de test": (
            "exactitude (test)",
            {"SVM (noyau RBF)": [r["svm_accuracy"] for r in rows],
             "réseau dense": [r["dnn_accuracy"] for r in rows]}, False),
         "Temps d'entraînement": (
            "secondes (échelle log)",
            {"SVM (noyau RBF)": [r["svm_seconds"] for r in rows],
             "réseau dense": [r["dnn_seconds"] for r in rows]}, True)},
        "images d'entraînement (échelle log)")


# --- claims: what the pages say of these measures -----------------------------------

def _claim_ranks(result: Result) -> range:
    return range(1, len(result.config["sizes"]) + 1)


def _claim_row(result: Result, name: str, kind: str = "percent") -> str:
    """« 500 images : 89,8 % ; 1 000 images : 93,4 % ; ... » for one measure."""
    return "\u00a0; ".join(
        f"{frenchfmt.number(n, 0)} images\u00a0: "
        + (frenchfmt.percent(result.metrics[f"{name}_{rank}"], 1) if kind == "percent"
           else frenchfmt.duration(result.metrics[f"{name}_{rank}"]) if kind == "seconds"
           else frenchfmt.number(result.metrics[f"{name}_{rank}"], 0))
        for rank, n in zip(_claim_ranks(result), result.config["sizes"]))


def claim_svm_more_accurate(result: Result):
    m = result.metrics
    holds = all(m[f"svm_accuracy_{r}"] > m[f"dnn_accuracy_{r}"] for r in _claim_ranks(result))
    return holds, (f"SVM, {_claim_row(result, 'svm_accuracy')}\u00a0; réseau, "
                   f"{_claim_row(result, 'dnn_accuracy')}")


def claim_both_improve_with_data(result: Result):
    m, ranks = result.metrics, list(_claim_ranks(result))
    holds = all(m[f"{model}_accuracy_{b}"] > m[f"{model}_accuracy_{a}"]
                for model in ("svm", "dnn") for a, b in zip(ranks, ranks[1:]))
    return holds, (f"SVM, {_claim_row(result, 'svm_accuracy')}\u00a0; réseau, "
                   f"{_claim_row(result, 'dnn_accuracy')}")


def claim_svm_faster_on_small_sets(result: Result):
    m = result.metrics
    holds = all(m[f"dnn_seconds_{r}"] >= 5 * m[f"svm_seconds_{r}"] for r in (1, 2))
    return holds, (f"SVM, {_claim_row(result, 'svm_seconds', 'seconds')}\u00a0; réseau, "
                   f"{_claim_row(result, 'dnn_seconds', 'seconds')}")


def claim_svm_time_grows_faster(result: Result):
    m, last = result.metrics, len(result.config["sizes"])
    growth = {model: m[f"{model}_seconds_{last}"] / m[f"{model}_seconds_1"]
              for model in ("svm", "dnn")}
    return growth["svm"] >= 5 * growth["dnn"], (
        f"temps multiplié par {frenchfmt.number(growth['svm'], 1)} pour le SVM, par "
        f"{frenchfmt.number(growth['dnn'], 1)} pour le réseau")


def claim_dnn_time_follows_epochs(result: Result):
    m = result.metrics
    first, third = m["dnn_seconds_1"], m["dnn_seconds_3"]
    # "More", not "1.5 times more": 2.0 to 2.4 times in the reference, measured on a
    # loaded machine, but 1.2 times in a cold build of the site on the same quiet one.
    return first > third, (f"réseau\u00a0: {frenchfmt.number(first, 1)} s sur le plus petit "
                                  f"sous-ensemble, {frenchfmt.number(third, 1)} s sur le troisième")


def claim_support_vectors_grow(result: Result):
    m, ranks = result.metrics, list(_claim_ranks(result))
    holds = all(m[f"support_vectors_{b}"] > m[f"support_vectors_{a}"]
                for a, b in zip(ranks, ranks[1:]))
    return holds, "vecteurs de support, " + _claim_row(result, "support_vectors", "integer")


def claim_svm_predicts_slower(result: Result):
    m, last = result.metrics, len(result.config["sizes"])
    svm, dnn, first = (m[f"svm_predict_seconds_{last}"], m[f"dnn_predict_seconds_{last}"],
                       m["svm_predict_seconds_1"])
    # "More", not "5 times more": the support vectors grow 9-fold, but on a loaded
    # processor the fixed cost of the small set's prediction hides it (2.3 times, cold
    # TensorFlow build on 2 shared cores, against 14 to 34 times for the reference).
    return svm > dnn and svm > first, (
        f"prédiction du SVM\u00a0: {frenchfmt.duration(first)} pour le plus petit "
        f"sous-ensemble, {frenchfmt.duration(svm)} pour le plus grand\u00a0; du réseau\u00a0: "
        f"{frenchfmt.duration(dnn)}")
