"""The course's questions answered by experiments: what each quick run really shows."""

from __future__ import annotations

import inspect
import json
import math
import re
import xml.etree.ElementTree as ET
from functools import lru_cache

import numpy as np
import pytest

from support import run_cli
from fidle_examples.core import registry, runner
from fidle_examples.core.results import RESULT_FILE, Result

EXPERIMENTS = ("randomness", "batch-size", "overfitting", "backpropagation", "svm-vs-dnn")


@lru_cache(maxsize=None)
def quick(name: str) -> Result:
    """Each experiment trains once (quick profile) for the whole module."""
    return runner.run_example(name, "quick", verbose=0)


def quick_config(name: str):
    return registry.get(name).load().PROFILES["quick"]


# For each figure of each experiment, a French text its SVG must contain.
FIGURES = {
    "randomness": {"spread": "enveloppe", "final": "exactitude (test)"},
    "batch-size": {"loss_per_epoch": "époque", "loss_per_second": "secondes de calcul"},
    "overfitting": {"curves": "entraînement", "comparison": "arrêt précoce"},
    "backpropagation": {"loss": "époque", "boundary": "frontière de décision"},
    "svm-vs-dnn": {"comparison": "réseau dense"},
}
SECTIONS = ("data", "model", "train", "evaluate")  # the order of docs/contribuer.md


def test_experiments_are_registered_after_the_examples():
    names = registry.names()
    assert names[-len(EXPERIMENTS):] == list(EXPERIMENTS)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_module_follows_the_pattern(name):
    module = registry.get(name).load()
    assert module.NAME == name and set(module.PROFILES) == {"full", "quick"}
    assert re.search("[éèàç]", module.__doc__)
    starts = re.findall(r"# --8<-- \[start:(\w+)\]", inspect.getsource(module))
    assert starts == [s for s in SECTIONS if s in starts] and {"data", "evaluate"} <= set(starts)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_gives_french_figures_and_metrics(name):
    result = quick(name)
    assert set(result.figures) == set(FIGURES[name])
    for figure_name, text in FIGURES[name].items():
        svg = result.figures[figure_name].svg
        assert ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"
        assert text in svg, figure_name
    for metric in result.metrics.values():
        assert math.isfinite(metric.value) and metric.label[0].isupper()


# --- randomness --------------------------------------------------------------------

def test_same_seeds_give_the_same_training_to_the_bit():
    result = quick("randomness")
    seed = quick_config("randomness").seed
    keys = [k.split(":", 1)[1] for k in result.history if k.startswith(f"init-{seed}:")]
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(keys)
    for key in keys:
        assert result.history[f"repeat:{key}"] == result.history[f"init-{seed}:{key}"]
    assert result.metric("same_seed_gap") == 0


def test_other_seeds_give_other_trainings():
    result = quick("randomness")
    config = quick_config("randomness")
    seeds = [config.seed + i for i in range(config.runs)]
    assert result.extra["seeds"] == seeds
    # Each source of randomness alone changes the curves: initial weights and batch
    # order (training seed), or the images drawn (data seed).
    runs = [f"init-{s}" for s in seeds] + [f"data-{s}" for s in seeds[1:]]
    curves = [tuple(result.history[f"{run}:val_loss"]) for run in runs]
    assert len(set(curves)) == len(curves)
    for family in ("init", "data"):
        values = result.extra["test_accuracy"][family]
        assert len(values) == config.runs and len(set(values)) > 1
        assert all(0.5 < v < 1 for v in values)  # all learnt: chance is 10 %
        assert result.metric(f"{family}_min") == min(values)
        assert result.metric(f"{family}_max") == max(values)
        assert result.metric(f"{family}_mean") == pytest.approx(np.mean(values))
        assert result.metric(f"{family}_std") > 0
    assert result.metric("runs") == 2 * config.runs


# --- batch size --------------------------------------------------------------------

def test_larger_batches_make_fewer_updates_per_epoch():
    result = quick("batch-size")
    config = quick_config("batch-size")
    n_train = int(result.metric("train_images"))
    rows = result.extra["table"]
    assert [r["batch_size"] for r in rows] == [*config.batch_sizes, n_train]
    for row in rows:
        key = row["key"]
        # Counted by a callback during training, one per mini-batch.
        recorded = result.history[f"{key}:updates"]
        assert recorded == [math.ceil(n_train / row["batch_size"])] * config.epochs
        assert result.metric(f"updates_{key}") == recorded[-1]
        assert len(result.history[f"{key}:val_loss"]) == config.epochs
        assert len(result.history[f"{key}:seconds"]) == config.epochs
    updates = [r["updates_per_epoch"] for r in rows]
    assert updates == sorted(updates, reverse=True) and len(set(updates)) == len(updates)
    assert updates[-1] == 1  # the whole training set: one update per epoch


def test_after_the_same_epochs_small_batches_have_learnt_more():
    result = quick("batch-size")
    # Same initial weights, same images, same number of epochs: 250 updates per
    # epoch against 1 leave the full batch far behind.
    smallest = str(quick_config("batch-size").batch_sizes[0])
    assert result.metric(f"val_loss_{smallest}") < 0.5 * result.metric("val_loss_full")
    assert result.metric(f"val_accuracy_{smallest}") > result.metric("val_accuracy_full") + 0.2


# --- overfitting -------------------------------------------------------------------

def test_without_remedy_validation_loss_rises_while_training_loss_falls():
    result = quick("overfitting")
    train, val = result.history["none:ce"], result.history["none:val_ce"]
    best = int(np.argmin(val))
    assert best < len(val) - 3  # the minimum is well before the end...
    assert val[-1] > val[best] * 1.05  # ...after which the validation loss goes up
    assert train[-1] < 0.5 * train[best]  # while the training loss keeps falling
    assert train[-1] < 0.1 * val[-1]  # the images learnt by heart
    assert result.metric("best_epoch_none") == best + 1


def test_early_stopping_stops_after_patience_and_keeps_the_best_weights():
    result = quick("overfitting")
    config = quick_config("overfitting")
    stopped = result.history["early_stopping:val_ce"]
    assert len(stopped) < config.epochs
    assert result.metric("epochs_early_stopping") == len(stopped)
    best = int(np.argmin(stopped))
    assert len(stopped) == best + 1 + config.patience
    # Same seed, same images: until it stops, the run is the one without remedy.
    assert stopped == result.history["none:val_ce"][: len(stopped)]


def test_each_remedy_reports_its_validation_losses():
    result = quick("overfitting")
    rows = {row["variant"]: row for row in result.extra["table"]}
    assert set(rows) == {"none", "early_stopping", "dropout", "l2"}
    for variant, row in rows.items():
        val = result.history[f"{variant}:val_ce"]
        assert row["best_val_ce"] == min(val) and row["final_val_ce"] == val[-1]
        assert result.metric(f"best_val_ce_{variant}") == pytest.approx(min(val))
        assert 0.5 < result.metric(f"test_accuracy_{variant}") <= 1
    # The L2 penalty is in "loss" but not in "ce": they differ only for that variant.
    l2 = result.history
    assert all(a > b for a, b in zip(l2["l2:loss"], l2["l2:ce"]))
    assert l2["none:loss"] == pytest.approx(l2["none:ce"], rel=1e-5)


# --- backpropagation ---------------------------------------------------------------

def test_hand_written_gradients_match_autodiff_and_finite_differences():
    result = quick("backpropagation")
    # float64 end to end: a float32 step anywhere would leave about 1e-7.
    assert result.metric("autodiff_error") < 1e-10
    assert result.metric("finite_difference_error") < 1e-6


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


def test_the_two_layer_network_learns_the_moons():
    result = quick("backpropagation")
    losses = result.history["loss"]
    assert len(losses) == quick_config("backpropagation").epochs
    assert losses[-1] < 0.3 * losses[0]
    # A single neuron draws a straight line (about 85 % here); the hidden layer bends it.
    assert result.metric("test_accuracy") > 0.9


# --- SVM against the dense network -------------------------------------------------

def test_svm_and_network_table_has_one_row_per_size():
    result = quick("svm-vs-dnn")
    config = quick_config("svm-vs-dnn")
    rows = result.extra["table"]
    assert [row["size"] for row in rows] == list(config.sizes)
    for rank, row in enumerate(rows, 1):
        for model in ("svm", "dnn"):
            assert 0 <= row[f"{model}_accuracy"] <= 1
            assert row[f"{model}_accuracy"] > 0.5  # chance is 10 %
            assert row[f"{model}_seconds"] > 0
            assert result.metric(f"{model}_accuracy_{rank}") == row[f"{model}_accuracy"]
        assert 0 < row["support_vectors"] <= row["size"]
        assert row["dnn_epochs"] * math.ceil(row["size"] / config.batch_size) \
            >= config.min_updates
    for model in ("svm", "dnn"):  # more images, better models
        assert rows[-1][f"{model}_accuracy"] > rows[0][f"{model}_accuracy"] + 0.05


# --- command line ------------------------------------------------------------------

def test_batch_size_runs_from_the_command_line(tmp_path):
    output = tmp_path / "out"
    done = run_cli("run", "batch-size", "--profile", "quick", "--epochs", "2", "--quiet",
                   "--output", str(output))
    assert done.returncode == 0, done.stderr
    saved = json.loads((output / RESULT_FILE).read_text(encoding="utf-8"))
    assert saved["example"] == "batch-size" and saved["profile"] == "quick"
    assert saved["config"]["epochs"] == 2 and len(saved["history"]["full:val_loss"]) == 2
    assert set(saved["figures"]) == {"loss_per_epoch", "loss_per_second"}
    assert "secondes de calcul" in (output / "loss_per_second.svg").read_text("utf-8")
    assert "Mises à jour par époque, lots de 8" in done.stdout
