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
from fidle_examples.core.contract import Claim, Metric
from fidle_examples.core.datasets import MNIST
from fidle_examples.core.errors import UsageError
from fidle_examples.core.results import Result
from fidle_examples.examples.mnist_dense import dense_network, mnist_subsets

NAME = "randomness"
DATASETS = (MNIST,)


@dataclass(frozen=True)
class Config:
    """The MNIST1 settings on a subset, plus how many seeds are tried."""

    epochs: int = 10
    batch_size: int = 128
    hidden_units: int = 100
    validation_fraction: float = 1 / 6
    train_size: int = 12_000  # images drawn from the 60 000: 10 000 train, 2 000 validation
    seed: int = 42
    runs: int = 5  # seeds tried for each source of randomness

    def check(self) -> None:
        if not 100 <= self.train_size <= 60_000:
            raise UsageError(f"--train-size doit être entre 100 et 60 000 (les images "
                             f"d'entraînement de MNIST), pas {self.train_size}.")
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

METRICS = {
    **{f"{family}_{key}": Metric(f"{label} ({variable} variable)", "percent", 2)
       for family, variable in FAMILIES.items()
       for key, label in (("mean", "Exactitude de test moyenne"),
                          ("std", "Écart type de l'exactitude"),
                          ("min", "Exactitude minimale"),
                          ("max", "Exactitude maximale"))},
    "same_seed_gap": Metric("Plus grand écart entre deux entraînements de mêmes graines",
                            "scientific", 1),
    "runs": Metric("Entraînements effectués", "integer"),
}
FIGURES = {
    "spread": "Exactitude de validation par époque : la dispersion des entraînements",
    "final": "Exactitude finale sur le jeu de test, graine par graine",
}
CLAIMS = {
    # Device-specific: the deterministic modes (runtime.deterministic_mode) promise it on
    # a CPU and with TensorFlow on a GPU; PyTorch and XLA may lack a deterministic
    # kernel for an operation on a GPU, where the page then says so instead of failing.
    "same_seeds_same_run": Claim("le même entraînement refait avec les mêmes graines, sur le "
                                 "même matériel, donne les mêmes nombres, au bit près (écart "
                                 "nul)", device_specific=True),
    "training_seed_moves_accuracy": "changer la seule graine de l'entraînement change "
                                    "l'exactitude de test de quelques dixièmes de point à un "
                                    "point environ (entre 0,1 et 1,5 point de la plus faible "
                                    "à la plus forte)",
    "data_seed_moves_accuracy": "changer la seule graine des données change l'exactitude de test",
    "spread_from_first_to_last_epoch": "les exactitudes de validation des entraînements diffèrent "
                                       "dès la première époque et encore à la dernière, pour "
                                       "chaque source de hasard",
}


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
    model = ctx.reuse_traced(model)  # the same numbers; the graph of its steps built once
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
    history = {f"{run}:{key}": values for run, (history, _) in runs.items()
               for key, values in history.items()}
    trainings = len(runs)
    runs[f"data-{seed}"] = runs[f"init-{seed}"]  # the reference belongs to both families
    finals = {family: [runs[f"{family}-{s}"][1] for s in [seed, *others]]
              for family in FAMILIES}
    metrics = {}
    for family, values in finals.items():
        metrics.update({f"{family}_mean": np.mean(values),
                        f"{family}_std": np.std(values, ddof=1),
                        f"{family}_min": min(values), f"{family}_max": max(values)})
    return Result(history=history,
                  metrics={**metrics, "same_seed_gap": same_seed_gap, "runs": trainings},
                  extra={"seeds": [seed, *others], "test_accuracy": finals})


def figure_spread(result: Result) -> str:
    seeds = result.extra["seeds"]
    # The reference run (first seed) belongs to both families; it is stored as "init".
    panels = {FAMILIES[family]: [result.history[f"{'init' if s == seeds[0] else family}-{s}"
                                                ":val_accuracy"] for s in seeds]
              for family in FAMILIES}
    return plots.spread_bands(panels, "époque", "exactitude (validation)",
                              f"{result.config['runs']} graines : chaque entraînement, "
                              "l'enveloppe (min–max) et la moyenne")


def figure_final(result: Result) -> str:
    seeds = result.extra["seeds"]
    finals = result.extra["test_accuracy"]
    return plots.dot_groups({FAMILIES[f]: v for f, v in finals.items()},
                            "Exactitude de test de chaque entraînement",
                            "exactitude (test)", [str(s) for s in seeds])


# The claims format their values with frenchfmt, imported where used: a module-level
# import would change the training key, which claims must leave alone.

def claim_same_seeds_same_run(result: Result):
    gap = result.metrics["same_seed_gap"]
    return gap == 0, f"plus grand écart entre les deux entraînements\u00a0: {gap:g}"


def claim_training_seed_moves_accuracy(result: Result):
    from fidle_examples.core import frenchfmt

    low, high = result.metrics["init_min"], result.metrics["init_max"]
    return 0.001 <= high - low <= 0.015, (f"de {frenchfmt.percent(low, 2)} à "
                                         f"{frenchfmt.percent(high, 2)}")


def claim_data_seed_moves_accuracy(result: Result):
    from fidle_examples.core import frenchfmt

    low, high = result.metrics["data_min"], result.metrics["data_max"]
    return high > low, f"de {frenchfmt.percent(low, 2)} à {frenchfmt.percent(high, 2)}"


def claim_spread_from_first_to_last_epoch(result: Result):
    seed, runs = result.config["seed"], result.config["runs"]
    seeds = [seed + i for i in range(runs)]
    spreads = {}
    for family in FAMILIES:
        # The reference run (first seed) belongs to both families; it is stored as "init".
        curves = [result.history[f"{'init' if s == seed else family}-{s}:val_accuracy"]
                  for s in seeds]
        spreads[family] = [max(c[epoch] for c in curves) - min(c[epoch] for c in curves)
                           for epoch in (0, -1)]
    holds = all(first > 0 and last > 0 for first, last in spreads.values())
    return holds, "\u00a0; ".join(
        f"{FAMILIES[f]}\u00a0: écart de {_claim_points(a)} à la première époque, "
        f"{_claim_points(b)} à la dernière" for f, (a, b) in spreads.items())


def _claim_points(fraction: float) -> str:
    """A gap between two accuracies, in percentage points: "0,45 point"."""
    from fidle_examples.core import frenchfmt

    return f"{frenchfmt.number(100 * fraction, 2)} point" + ("s" if fraction >= 0.02 else "")
