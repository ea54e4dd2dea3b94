"""Every example, end to end, in its quick profile: numbers, figures, saved result."""

from __future__ import annotations

import dataclasses
import inspect
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from fidle_examples.core import registry, runner
from fidle_examples.core.errors import TrainingError
from fidle_examples.core.results import RESULT_FILE, Result

SECTIONS = {"data", "model", "train", "evaluate"}

# The examples of the course pages, and for each figure a French text its SVG must
# contain (axis label, legend, title).
FRENCH_TEXT = {
    "linear-regression": {"fit": "droite estimée"},
    "gradient-descent": {"loss": "époque", "path": "ordonnée à l'origine"},
    "polynomial-regression": {"errors": "degré", "fits": "sur-apprentissage"},
    "logistic-regression": {"loss": "époque", "accuracy": "exactitude",
                            "boundary": "frontière de décision"},
    "wine": {"loss": "époque", "mae": "entraînement", "predictions": "qualité prédite"},
    "mnist": {"loss": "époque", "accuracy": "exactitude", "confusion": "classe prédite",
              "errors": "→"},
}
EXAMPLES = list(FRENCH_TEXT)


@pytest.fixture(scope="session")
def quick(tmp_path_factory):
    """quick(name) -> (Result, folder it was saved to); each example trains once."""
    done: dict[str, tuple[Result, object]] = {}

    def get(name: str):
        if name not in done:
            folder = tmp_path_factory.mktemp(name) / "result"
            done[name] = (runner.run_example(name, "quick", output=folder, verbose=0), folder)
        return done[name]

    return get


def test_registry_lists_each_example_once():
    assert set(EXAMPLES) <= set(registry.names())
    assert len(set(registry.names())) == len(registry.EXAMPLES)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_module_follows_the_pattern(name):
    module = registry.get(name).load()
    assert module.NAME == name
    assert isinstance(module.DATASETS, tuple)
    assert set(module.PROFILES) == {"full", "quick"}
    for config in module.PROFILES.values():
        assert isinstance(config, module.Config)
        assert dataclasses.is_dataclass(config)
        assert "seed" in {f.name for f in dataclasses.fields(config)}
        with pytest.raises(dataclasses.FrozenInstanceError):
            config.seed = 1
    # A French docstring that says what the example shows.
    assert module.__doc__ and len(module.__doc__) > 200 and re.search("[éèàç]", module.__doc__)
    # Site sections: known names, each opened and closed once, in this order.
    source = inspect.getsource(module)
    starts = re.findall(r"# --8<-- \[start:(\w+)\]", source)
    ends = re.findall(r"# --8<-- \[end:(\w+)\]", source)
    assert starts == ends and len(starts) == len(set(starts))
    assert set(starts) <= SECTIONS and {"data", "evaluate"} <= set(starts)


@pytest.mark.parametrize("name", EXAMPLES)
def test_quick_run_gives_valid_french_svg_figures(quick, name):
    result, folder = quick(name)
    assert set(result.figures) == set(FRENCH_TEXT[name])
    for figure_name, figure in result.figures.items():
        root = ET.fromstring(figure.svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert FRENCH_TEXT[name][figure_name] in figure.svg, figure_name
        assert figure.title and figure.title[0].isupper()
        assert (folder / f"{figure_name}.svg").read_text(encoding="utf-8") == figure.svg
    for metric in result.metrics.values():
        assert np.isfinite(metric.value) and metric.label[0].isupper()


@pytest.mark.parametrize("name", EXAMPLES)
def test_saved_result_loads_back_identically(quick, name):
    result, folder = quick(name)
    assert (folder / RESULT_FILE).is_file()
    loaded = Result.load(folder)
    assert loaded == result
    assert loaded.example == name and loaded.profile == "quick"
    assert loaded.duration_s > 0 and loaded.device and loaded.versions["keras"]


def test_mnist_quick_is_well_above_chance(quick):
    result, _ = quick("mnist")
    accuracy = result.metric("test_accuracy")
    assert accuracy > 0.85
    # The reported error count and accuracy describe the same 10 000 test images.
    assert result.metric("errors") == pytest.approx(10_000 * (1 - accuracy), abs=1)


def test_linear_regression_finds_the_line(quick):
    result, _ = quick("linear-regression")
    config = registry.get("linear-regression").load().PROFILES["quick"]
    assert result.metric("slope") == pytest.approx(config.slope, rel=0.10)
    assert result.metric("intercept") == pytest.approx(config.intercept, abs=0.5)
    # Least squares: no line does better on these points, not even the true one.
    assert result.metric("mse") <= result.metric("true_mse")
    assert result.metric("mse") == pytest.approx(config.noise ** 2, rel=0.2)


def test_normal_equation_matches_numpy_least_squares():
    from fidle_examples.examples import linear_regression as lr

    rng = np.random.default_rng(0)
    x, y = lr.make_line(lr.Config(n_points=50), rng)
    X = lr.design_matrix(x)
    expected, *_ = np.linalg.lstsq(X, y, rcond=None)
    np.testing.assert_allclose(lr.normal_equation(X, y), expected, rtol=1e-10)


def test_gradient_descent_variants_reach_the_normal_equation(quick):
    result, _ = quick("gradient-descent")
    config = registry.get("gradient-descent").load().PROFILES["quick"]
    exact = np.array(result.extra["theta_exact"])
    # Starting from a = b = 0, one full-batch step is far from enough.
    assert result.history["loss_batch"][0] > 2 * result.metric("loss_exact")
    for variant, n_points in (("batch", config.n_points), ("stochastic", 1),
                              ("minibatch", config.minibatch_size)):
        losses = result.history[f"loss_{variant}"]
        assert len(losses) == config.epochs
        assert losses[-1] == pytest.approx(result.metric("loss_exact"), rel=0.03)
        np.testing.assert_allclose(result.extra["theta"][variant], exact, atol=0.15)
        updates_per_epoch = -(-config.n_points // n_points)
        assert result.metric(f"updates_{variant}") == config.epochs * updates_per_epoch


def test_gradient_descent_reports_progress_for_every_epoch():
    seen = []
    result = runner.run_example("gradient-descent", "quick", {"epochs": 5}, verbose=0,
                                progress=[lambda *args: seen.append(args)])
    assert [s[1] for s in seen] == list(range(1, 16)) and {s[2] for s in seen} == {15}
    assert seen[0][3] == {"loss_batch": result.history["loss_batch"][0]}
    assert seen[-1][3] == {"loss_minibatch": result.history["loss_minibatch"][-1]}


def test_gradient_descent_divergence_is_a_training_error():
    with pytest.raises(TrainingError, match="a divergé.*--learning-rate"):
        runner.run_example("gradient-descent", "quick", {"learning_rate": 100}, verbose=0)


def test_polynomial_regression_shows_under_and_over_fitting(quick):
    result, _ = quick("polynomial-regression")
    train, val = result.extra["train_mse"], result.extra["val_mse"]
    assert result.extra["degrees"] == list(range(1, 21))
    noise = result.metric("noise_mse")
    # Degree 1 underfits: both errors well above those of degree 5.
    assert train[0] > 2 * train[4] and val[0] > 2 * val[4]
    # Degree 5: both errors near the noise of the data.
    assert train[4] < 1.5 * noise and val[4] < 1.5 * noise
    # Degree 20 overfits: closest to the training points, far from the others.
    assert train[19] == min(train) and val[19] > 10 * train[19] and val[19] > val[4]
    # Least squares on nested models: more degrees never fit the training set worse.
    assert all(b <= a * (1 + 1e-9) for a, b in zip(train, train[1:]))
    assert result.metric("best_degree") == 1 + int(np.argmin(val))


def test_logistic_regression_scores_match_a_hand_count(quick):
    result, _ = quick("logistic-regression")
    x = np.array(result.extra["test_x"])
    y = np.array(result.extra["test_y"])
    w = np.array([result.metric("w1"), result.metric("w2")])
    predicted = x @ w + result.metric("bias") > 0  # sigmoid(z) > 0,5  <=>  z > 0
    tp = np.sum(predicted & (y == 1))
    fp = np.sum(predicted & (y == 0))
    fn = np.sum(~predicted & (y == 1))
    assert len(y) == 200 and 0 < tp and 0 < fp + fn
    assert result.metric("test_accuracy") == pytest.approx(np.mean(predicted == y), abs=1e-6)
    assert result.metric("test_precision") == pytest.approx(tp / (tp + fp), abs=1e-6)
    assert result.metric("test_recall") == pytest.approx(tp / (tp + fn), abs=1e-6)
    assert result.metric("test_accuracy") > 0.85
    # The blobs are centred on (−1, −1) and (1, 1): the boundary leans the same way.
    assert w[0] > 0 and w[1] > 0


def test_wine_restores_the_best_checkpoint(quick):
    result, _ = quick("wine")
    val_mae = result.history["val_mae"]
    # The model evaluated on the test set is the one of the best validation epoch.
    assert result.metric("val_mae") == pytest.approx(min(val_mae), rel=1e-4)
    assert result.metric("best_epoch") == 1 + int(np.argmin(val_mae))
    assert result.metric("test_mae") < 0.6
    assert result.metric("test_mae") < result.metric("baseline_mae") - 0.05
    assert result.extra["sizes"] == {"train": 1119, "validation": 240, "test": 240}


def test_wine_divergence_is_a_training_error():
    with pytest.raises(TrainingError, match="a divergé"):
        runner.run_example("wine", "quick", {"learning_rate": 1e6, "epochs": 3}, verbose=0)
