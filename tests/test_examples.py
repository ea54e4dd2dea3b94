"""Every example of the registry in its quick profile, as the site build loads it
(the session fixture `quick_results`: each trains once per test session): French
figures and finite numbers, then what each course example must really show."""

from __future__ import annotations

import dataclasses
import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from fidle_examples.core import registry, runner

NAMES = registry.names()
SVG = "{http://www.w3.org/2000/svg}"
# Words that give away an English label (Keras' history keys, Matplotlib's habits).
ENGLISH = {"epoch", "epochs", "loss", "accuracy", "val_loss", "val_accuracy", "training",
           "learning", "predicted", "label", "labels", "error", "errors", "step", "steps"}


def quick_config(name: str):
    return registry.get(name).load().PROFILES["quick"]


@pytest.mark.parametrize("name", NAMES)
def test_module_has_a_french_docstring_and_a_frozen_config_with_a_seed(name):
    module = registry.get(name).load()
    assert module.__doc__ and len(module.__doc__) > 200 and re.search("[éèàç]", module.__doc__)
    config = module.PROFILES["quick"]
    assert "seed" in {f.name for f in dataclasses.fields(config)}
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.seed = 1


def visible_text(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return ["".join(node.itertext()).strip() for node in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("name", NAMES)
def test_figures_are_french_svg_and_metrics_finite(quick_results, name):
    result = quick_results[name].result
    for key in quick_results[name].contract.figures:
        texts = [t for t in visible_text(result.figures[key].svg) if t]
        assert texts, f"{name}/{key}: no text (labels drawn as paths?)"
        english = {w for t in texts for w in re.findall(r"[A-Za-z_]+", t)
                   if w.lower() in ENGLISH}
        assert not english, f"{name}/{key}: English words {english}"
        points = [t for t in texts if re.search(r"\d\.\d", t)]
        assert not points, f"{name}/{key}: decimal points instead of commas {points}"
    for key, value in result.metrics.items():
        assert math.isfinite(value), f"{name}/{key} = {value!r}"


# --- what each course example shows ---------------------------------------------------

def test_mnist_quick_is_well_above_chance(quick_results):
    metrics = quick_results["mnist"].result.metrics
    assert metrics["test_accuracy"] > 0.85
    # The reported error count and accuracy describe the same 10 000 test images.
    assert metrics["errors"] == pytest.approx(10_000 * (1 - metrics["test_accuracy"]), abs=1)


def test_linear_regression_finds_the_line(quick_results):
    metrics = quick_results["linear-regression"].result.metrics
    config = quick_config("linear-regression")
    assert metrics["slope"] == pytest.approx(config.slope, rel=0.10)
    assert metrics["intercept"] == pytest.approx(config.intercept, abs=0.5)
    # Least squares: no line does better on these points, not even the true one.
    assert metrics["mse"] <= metrics["true_mse"]
    assert metrics["mse"] == pytest.approx(config.noise ** 2, rel=0.2)


def test_normal_equation_matches_numpy_least_squares():
    from fidle_examples.examples import line_fitting

    rng = np.random.default_rng(0)
    x, y = line_fitting.make_line(quick_config("linear-regression"), rng)
    X = line_fitting.design_matrix(x)
    expected, *_ = np.linalg.lstsq(X, y, rcond=None)
    np.testing.assert_allclose(line_fitting.normal_equation(X, y), expected, rtol=1e-10)


def test_gradient_descent_solves_the_points_of_the_linear_regression(quick_results):
    """Same points, so the exact solution it aims at is the linear regression's line;
    every variant gets there, with as many updates as its batches say."""
    linear = quick_results["linear-regression"].result.metrics
    descent = quick_results["gradient-descent"].result
    metrics, config = descent.metrics, quick_config("gradient-descent")
    assert metrics["slope_exact"] == pytest.approx(linear["slope"], rel=1e-9)
    assert metrics["intercept_exact"] == pytest.approx(linear["intercept"], rel=1e-9)
    # Starting from a = b = 0, one full-batch step is far from enough.
    assert descent.history["loss_batch"][0] > 2 * metrics["loss_exact"]
    for variant, n_points in (("batch", config.n_points), ("stochastic", 1),
                              ("minibatch", config.minibatch_size)):
        assert len(descent.history[f"loss_{variant}"]) == config.epochs
        assert metrics[f"loss_{variant}"] == pytest.approx(metrics["loss_exact"], rel=0.03)
        assert metrics[f"slope_{variant}"] == pytest.approx(metrics["slope_exact"], abs=0.15)
        assert metrics[f"intercept_{variant}"] == pytest.approx(metrics["intercept_exact"],
                                                                abs=0.15)
        assert metrics[f"updates_{variant}"] == config.epochs * math.ceil(config.n_points
                                                                          / n_points)


@pytest.mark.trains
def test_gradient_descent_reports_progress_for_every_epoch():
    seen = []
    result = runner.run_example("gradient-descent", "quick", {"epochs": 5}, verbose=0,
                                progress=[lambda *args: seen.append(args)])
    assert [s[1] for s in seen] == list(range(1, 16)) and {s[2] for s in seen} == {15}
    assert seen[0][3] == {"loss_batch": result.history["loss_batch"][0]}
    assert seen[-1][3] == {"loss_minibatch": result.history["loss_minibatch"][-1]}


def test_polynomial_regression_shows_under_and_over_fitting(quick_results):
    metrics = quick_results["polynomial-regression"].result.metrics
    config = quick_config("polynomial-regression")
    noise = metrics["noise_mse"]
    # A line underfits: both errors well above those of the good degree...
    assert metrics["train_mse_line"] > 2 * metrics["train_mse_good"]
    assert metrics["val_mse_line"] > 2 * metrics["val_mse_good"]
    # ...which leaves both errors near the noise of the data...
    assert metrics["train_mse_good"] < 1.5 * noise and metrics["val_mse_good"] < 1.5 * noise
    # ...while the highest degree fits the training points best and the others badly.
    assert metrics["train_mse_high"] < metrics["train_mse_good"]
    assert metrics["val_mse_high"] > 10 * metrics["train_mse_high"]
    assert metrics["val_mse_high"] > metrics["val_mse_good"]
    assert 1 < metrics["best_degree"] < config.max_degree


def test_logistic_regression_scores_match_a_hand_count(quick_results):
    result = quick_results["logistic-regression"].result
    metrics = result.metrics
    x, y = np.array(result.extra["test_x"]), np.array(result.extra["test_y"])
    predicted = x @ [metrics["w1"], metrics["w2"]] + metrics["bias"] > 0  # sigmoid > 0,5
    tp = np.sum(predicted & (y == 1))
    fp = np.sum(predicted & (y == 0))
    fn = np.sum(~predicted & (y == 1))
    assert 0 < tp and 0 < fp + fn  # a real test of the formulas: some of each
    assert metrics["test_accuracy"] == pytest.approx(np.mean(predicted == y), abs=1e-6)
    assert metrics["test_precision"] == pytest.approx(tp / (tp + fp), abs=1e-6)
    assert metrics["test_recall"] == pytest.approx(tp / (tp + fn), abs=1e-6)
    assert metrics["test_accuracy"] > 0.85
    # The blobs are centred on (−1, −1) and (1, 1): the boundary leans the same way.
    assert metrics["w1"] > 0 and metrics["w2"] > 0


def test_wine_beats_the_naive_baseline(quick_results):
    metrics = quick_results["wine"].result.metrics
    assert metrics["test_mae"] < 0.6
    assert metrics["test_mae"] < metrics["baseline_mae"] - 0.05
