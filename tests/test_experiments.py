"""The course's questions answered by experiments: what each quick run really shows
(results from the session fixture `quick_results`: each trains once per session)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fidle_examples.core import registry


def quick_config(name: str):
    return registry.get(name).load().PROFILES["quick"]


# --- randomness --------------------------------------------------------------------

def test_same_seeds_give_the_same_training_to_the_bit(quick_results):
    result = quick_results["randomness"].result
    seed = quick_config("randomness").seed
    keys = [k.split(":", 1)[1] for k in result.history if k.startswith(f"init-{seed}:")]
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(keys)
    for key in keys:
        assert result.history[f"repeat:{key}"] == result.history[f"init-{seed}:{key}"]
    assert result.metrics["same_seed_gap"] == 0


def test_other_seeds_give_other_trainings(quick_results):
    result = quick_results["randomness"].result
    config = quick_config("randomness")
    seeds = [config.seed + i for i in range(config.runs)]
    # Each source of randomness alone changes the curves: initial weights and batch
    # order (training seed), or the images drawn (data seed).
    runs = [f"init-{s}" for s in seeds] + [f"data-{s}" for s in seeds[1:]]
    curves = [tuple(result.history[f"{run}:val_loss"]) for run in runs]
    assert len(set(curves)) == len(curves)
    for family in ("init", "data"):
        values = result.extra["test_accuracy"][family]
        assert len(values) == config.runs and len(set(values)) > 1
        assert all(0.5 < v < 1 for v in values)  # all learnt: chance is 10 %
        assert result.metrics[f"{family}_min"] == min(values)
        assert result.metrics[f"{family}_max"] == max(values)
        assert result.metrics[f"{family}_mean"] == pytest.approx(np.mean(values))
        assert result.metrics[f"{family}_std"] > 0


# --- batch size --------------------------------------------------------------------

def test_larger_batches_make_fewer_updates_per_epoch(quick_results):
    result = quick_results["batch-size"].result
    config = quick_config("batch-size")
    n_train = int(result.metrics["train_images"])
    rows = result.extra["table"]
    assert [r["batch_size"] for r in rows] == [*config.batch_sizes, n_train]
    for row in rows:
        key = row["key"]
        # Counted by a callback during training, one per mini-batch.
        recorded = result.history[f"{key}:updates"]
        assert recorded == [math.ceil(n_train / row["batch_size"])] * config.epochs
        assert result.metrics[f"updates_{key}"] == recorded[-1]
        assert len(result.history[f"{key}:val_loss"]) == config.epochs
        assert len(result.history[f"{key}:seconds"]) == config.epochs
    assert rows[-1]["updates_per_epoch"] == 1  # the whole training set: one update


def test_after_the_same_epochs_small_batches_have_learnt_more(quick_results):
    metrics = quick_results["batch-size"].result.metrics
    # Same initial weights, same images, same number of epochs: hundreds of updates
    # per epoch against one leave the full batch far behind.
    smallest = str(quick_config("batch-size").batch_sizes[0])
    assert metrics[f"val_loss_{smallest}"] < 0.5 * metrics["val_loss_full"]
    assert metrics[f"val_accuracy_{smallest}"] > metrics["val_accuracy_full"] + 0.2


# --- overfitting -------------------------------------------------------------------

def test_without_remedy_validation_loss_rises_while_training_loss_falls(quick_results):
    result = quick_results["overfitting"].result
    train, val = result.history["none:ce"], result.history["none:val_ce"]
    best = int(np.argmin(val))
    assert best < len(val) - 3  # the minimum is well before the end...
    assert val[-1] > val[best] * 1.05  # ...after which the validation loss goes up
    assert train[-1] < 0.5 * train[best]  # while the training loss keeps falling
    assert train[-1] < 0.1 * val[-1]  # the images learnt by heart
    assert result.metrics["best_epoch_none"] == best + 1


def test_early_stopping_stops_after_patience_and_keeps_the_best_weights(quick_results):
    result = quick_results["overfitting"].result
    config = quick_config("overfitting")
    stopped = result.history["early_stopping:val_ce"]
    assert len(stopped) < config.epochs
    assert result.metrics["epochs_early_stopping"] == len(stopped)
    best = int(np.argmin(stopped))
    assert len(stopped) == best + 1 + config.patience
    # Same seed, same images: until it stops, the run is the one without remedy.
    assert stopped == result.history["none:val_ce"][: len(stopped)]


def test_each_remedy_reports_its_validation_losses(quick_results):
    result = quick_results["overfitting"].result
    rows = {row["variant"]: row for row in result.extra["table"]}
    assert set(rows) == {"none", "early_stopping", "dropout", "l2"}
    for variant, row in rows.items():
        val = result.history[f"{variant}:val_ce"]
        assert row["best_val_ce"] == min(val) and row["final_val_ce"] == val[-1]
        assert 0.5 < result.metrics[f"test_accuracy_{variant}"] <= 1
    # The L2 penalty is in "loss" but not in "ce": they differ only for that variant.
    history = result.history
    assert all(a > b for a, b in zip(history["l2:loss"], history["l2:ce"]))
    assert history["none:loss"] == pytest.approx(history["none:ce"], rel=1e-5)


# --- one traced model per architecture (batch size, overfitting) -------------------

# Each experiment twice in one worker-like process, with small settings that keep what
# matters: 600 training images, which batches of 8 divide and those of 32 do not (two
# batch shapes); early stopping that stops before the last epoch (at the 6th here).
_SMALL = {"batch-size": {"train_size": 720, "epochs": 1},
          "overfitting": {"train_size": 500, "validation_size": 100, "epochs": 7,
                          "hidden_units": 256, "patience": 1}}
_TWICE = """
import json, sys
from fidle_examples.build import worker
from fidle_examples.core import registry, runner
from fidle_examples.core.context import RunContext

reuse, found = RunContext.reuse_traced, {}
worker.tune_for_cpu(registry.get("batch-size"))


def run(name, overrides):
    spec, module, config = runner.prepare(name, "quick", overrides)
    result = runner.execute(spec, module, config, "quick", verbose=0)
    return {"metrics": result.metrics, "history": result.history}


for name, overrides in json.loads(sys.argv[1]).items():
    kept, tracing = [], set()

    def counting(self, model):
        returned = reuse(self, model)
        kept.append(returned is not model)
        if not hasattr(returned, "counted_steps"):
            step = returned.train_step

            def counted_step(*args):  # (data); (state, data) on JAX
                tracing.add(len(kept))  # Python runs a step only while it is traced
                return step(*args)

            returned.train_step, returned.counted_steps = counted_step, True
        return returned

    RunContext.reuse_traced = counting
    reused = run(name, overrides)
    RunContext.reuse_traced = lambda self, model: model  # a new model for every training
    found[name] = {"reused": reused, "new": run(name, overrides), "kept": kept,
                   "tracing": len(tracing)}

import keras  # already loaded by the runs: only to name the backend


print(json.dumps({"backend": keras.backend.backend(), **found}))
"""


@pytest.fixture(scope="module")
def trained_twice():
    """{name: runs, "backend": Keras' backend}: each experiment of _SMALL as the package
    runs it, reusing its traced model (kept: was each model reused; tracing: how many
    trainings traced their step), then with a new model for every training; in a
    worker's settings."""
    import json
    import os
    import subprocess
    import sys

    from fidle_examples.build import pool

    done = subprocess.run([sys.executable, "-c", _TWICE, json.dumps(_SMALL)],
                          capture_output=True, text=True, timeout=300,
                          env=pool.worker_env(1, dict(os.environ)))
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.trains
@pytest.mark.parametrize("name", list(_SMALL))
def test_reusing_the_traced_model_changes_no_number(name, trained_twice):
    """The same numbers to the bit with the reused model as with new ones; durations
    excepted: they are measured, not computed."""
    reused, new = trained_twice[name]["reused"], trained_twice[name]["new"]
    computed = {k: v for k, v in reused["metrics"].items() if "seconds" not in k}
    assert computed and {k: new["metrics"][k] for k in computed} == computed
    curves = {k: v for k, v in reused["history"].items() if not k.endswith(":seconds")}
    assert curves and {k: new["history"][k] for k in curves} == curves


@pytest.mark.trains
@pytest.mark.parametrize("name, trainings, reused, traced", [("batch-size", 5, 4, 2),
                                                             ("overfitting", 4, 1, 3)])
def test_trainings_of_one_architecture_share_a_traced_model(name, trainings, reused, traced,
                                                            trained_twice):
    """batch-size trains the MNIST1 network five times, one per batch size, on one model:
    TensorFlow traces its steps for the batches of 8 (a fixed batch shape), then once
    more for those of 32 (the last batch is smaller: any batch shape), which serves the
    larger ones. overfitting reuses the network without remedy for early stopping, the
    only variant of the same architecture. On the other backends every training has a
    new model, traced anew."""
    runs = trained_twice[name]
    tensorflow = trained_twice["backend"] == "tensorflow"
    assert len(runs["kept"]) == trainings
    assert sum(runs["kept"]) == (reused if tensorflow else 0)
    assert runs["tracing"] == (traced if tensorflow else trainings)


# --- backpropagation ---------------------------------------------------------------

def test_hand_written_gradients_match_autodiff_and_finite_differences(quick_results):
    metrics = quick_results["backpropagation"].result.metrics
    # float64 end to end: a float32 step anywhere would leave about 1e-7.
    assert metrics["autodiff_error"] < 1e-10
    assert metrics["finite_difference_error"] < 1e-6


def test_gradient_check_catches_a_wrong_backward_pass():
    from fidle_examples.examples import backpropagation as bp

    rng = np.random.default_rng(7)
    x, y = bp.make_moons(50, 0.1, rng)
    params = bp.init_params(5, rng)
    numeric = bp.finite_differences(params, x, y, 1e-6)
    good = bp.backward(params, bp.forward(params, x), y)
    assert bp.relative_error(good, numeric) < 1e-6
    # Forgetting the derivative of tanh in δ1 is a classic mistake: it shows.
    cache = bp.forward(params, x)
    wrong = dict(good)
    delta2 = (cache["p"] - y)[:, None] / len(y)
    wrong["W1"] = x.T @ (delta2 @ params["W2"].T)
    assert bp.relative_error(wrong, numeric) > 1e-2


def test_the_two_layer_network_learns_the_moons(quick_results):
    result = quick_results["backpropagation"].result
    losses = result.history["loss"]
    assert losses[-1] < 0.3 * losses[0]
    # A single neuron draws a straight line (about 85 % here); the hidden layer bends it.
    assert result.metrics["test_accuracy"] > 0.9


# --- SVM against the dense network -------------------------------------------------

_FIRST_CLOCK = """
import sys
from fidle_examples.examples import svm_vs_dnn as example

def timed(function, *args, **kwargs):  # the clock of the first SVM: is scikit-learn there?
    sys.exit(0 if "sklearn.svm" in sys.modules else 3)

example.timed = timed
example.nested_subsets = lambda config, rng: ({50: (None, None)}, (None, None))
assert "sklearn" not in sys.modules
example.run(example.Config(), None)
"""


def test_the_first_svm_time_does_not_include_importing_scikit_learn():
    """scikit-learn is imported before the first clock starts: the smallest set's SVM
    time once included that import (about 0,3 s, more than its training)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _FIRST_CLOCK], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_both_models_improve_with_more_images(quick_results):
    result = quick_results["svm-vs-dnn"].result
    config = quick_config("svm-vs-dnn")
    rows = result.extra["table"]
    assert [row["size"] for row in rows] == list(config.sizes)
    for row in rows:
        for model in ("svm", "dnn"):
            assert row[f"{model}_accuracy"] > 0.5  # chance is 10 %
        assert 0 < row["support_vectors"] <= row["size"]
        # Small sets get more epochs: every network makes enough updates to learn.
        assert row["dnn_epochs"] * math.ceil(row["size"] / config.batch_size) \
            >= config.min_updates
    for model in ("svm", "dnn"):
        assert rows[-1][f"{model}_accuracy"] > rows[0][f"{model}_accuracy"] + 0.05
