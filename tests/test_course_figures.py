"""The figures of the course chapters: the numbers behind them, and the drawings."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from fidle_examples.core import contract, figures
from fidle_examples.core.context import RunContext
from fidle_examples.core.results import Result
from fidle_examples.examples import course_figures as cf
from support import ROOT

SVG = "{http://www.w3.org/2000/svg}"
# A French text each figure must show (axis label, legend, title).
FRENCH_TEXT = {
    "activations": "Leurs dérivées",
    "loss-surface": "ordonnée à l'origine",
    "under-over-fitting": "sur-apprentissage",
    "sigmoid-boundary": "frontière",
    "xor": "point mal classé",
    "computational-graph": "rétropropagation",
    "hinge-logistic": "perte charnière",
    "softmax": "Entropie croisée",
    "feature-scaling": "standardisée",
    "svm-margin": "vecteurs de support",
}
ENGLISH = re.compile(r"\b(loss|epochs?|accuracy|learning|rate|steps?|probabilit(y|ies)|value|"
                     r"weights?|inputs?|outputs?|true|predicted|training|train|degree|"
                     r"class|boundary|error|slope|derivative|hidden|layer|network)\b", re.I)


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> Result:
    """The full profile, saved and loaded back: figures are drawn from what is stored."""
    produced = cf.run(cf.PROFILES["full"], RunContext(verbose=0))
    contract.check_produced(contract.read(cf), produced.metrics)
    produced.metrics = {k: float(v) for k, v in produced.metrics.items()}
    folder = tmp_path_factory.mktemp("course-figures")
    produced.save(folder)
    return Result.load(folder)


@pytest.fixture(scope="module")
def drawn(result):
    return figures.draw(cf, result)


def svg_text(svg: str) -> str:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return " ".join("".join(el.itertext()) for el in root.iter(f"{SVG}text"))


def test_declares_the_ten_chapter_figures():
    assert set(cf.FIGURES) == set(FRENCH_TEXT)
    assert cf.DATASETS == () and set(cf.PROFILES) == {"full", "quick"}
    for caption in cf.FIGURES.values():
        assert caption[0].isupper() and not ENGLISH.search(caption), caption


@pytest.mark.parametrize("key", list(FRENCH_TEXT))
def test_figure_is_french_svg(drawn, key):
    text = svg_text(drawn[key].svg)
    assert FRENCH_TEXT[key] in text
    assert not ENGLISH.search(text), ENGLISH.search(text)
    assert not re.search(r"\d\.\d", text), "decimal point instead of a comma"
    assert not re.search(r"(^|[\s(=])-\d", text), "hyphen instead of a minus sign"


def test_figures_are_deterministic(result, drawn):
    again = figures.draw(cf, result)
    assert {k: f.svg for k, f in again.items()} == {k: f.svg for k, f in drawn.items()}
    rerun = cf.run(cf.PROFILES["full"], RunContext(verbose=0))
    for key, array in result.data.items():
        np.testing.assert_array_equal(rerun.data[key], array, err_msg=key)


def test_activation_derivatives_match_numerical_derivatives(result):
    z = result.data["activation_z"]
    h = 1e-6
    up, down = cf.activations(z + h), cf.activations(z - h)
    for name in ("sigmoid", "tanh", "relu"):
        numerical = (up[name][0] - down[name][0]) / (2 * h)
        slope = result.data[f"activation_{name}_slope"]
        defined = np.abs(z) > 1e-3 if name == "relu" else np.ones_like(z, dtype=bool)
        np.testing.assert_allclose(slope[defined], numerical[defined], atol=1e-8)
    assert np.isnan(result.data["activation_relu_slope"][z == 0]).all()
    assert result.metrics["sigmoid_slope_max"] == pytest.approx(0.25)


def test_descent_paths_behave_as_their_labels_say(result):
    d, rates = result.data, list(cf.LEARNING_RATES.values())
    x, y = d["descent_x"], d["descent_y"]
    optimum = d["descent_optimum"]
    np.testing.assert_allclose(optimum, np.polyfit(x, y, 1), rtol=1e-10)
    limit = result.metrics["learning_rate_limit"]
    assert rates[0] < rates[1] < limit < rates[2]
    small, right, large = (d[f"descent_path_{k}"] for k in range(3))
    losses = [d[f"descent_loss_{k}"] for k in range(3)]
    # Right: converges to the normal-equation optimum, the loss never goes up.
    assert np.linalg.norm(right[-1] - optimum) < 1e-3
    assert np.all(np.diff(losses[1]) <= 1e-12)
    # Too small: still going down, still far from the optimum.
    assert np.all(np.diff(losses[0]) < 0) and np.linalg.norm(small[-1] - optimum) > 0.5
    # Too large: oscillates across the optimum along the steepest direction, and grows.
    X = np.c_[x, np.ones_like(x)]
    steep = np.linalg.eigh(2 / len(x) * X.T @ X)[1][:, -1]
    side = np.sign((large[1:] - optimum) @ steep)
    assert np.all(side[1:] == -side[:-1])
    assert losses[2][-1] > 100 * losses[2][0]
    assert np.nanmin(losses[1]) == pytest.approx(result.extra["descent_optimum_loss"])


def test_polynomial_errors_show_under_and_over_fitting(result):
    m = result.metrics
    train = [m[f"fit_train_error_{d}"] for d in cf.DEGREES]
    validation = [m[f"fit_validation_error_{d}"] for d in cf.DEGREES]
    assert train[0] > train[1] > train[2]  # more capacity, closer to the training points
    assert validation[1] < validation[0] and validation[1] < validation[2]
    # Over-fitting: nearly exact on its points, far worse than degree 4 on new ones.
    assert validation[2] > 10 * train[2] and validation[2] > 5 * validation[1]


def test_neuron_boundary_is_the_line_of_the_chapter(result):
    d = result.data
    assert result.metrics["neuron_example_output"] == pytest.approx(0.378, abs=5e-4)
    # On the line x2 = 2·x1 + 0,5 the neuron outputs 0,5, for both weight scales.
    x1 = d["neuron_x1"]
    for key in ("neuron_p", "neuron_p_steep"):
        on_line = [np.interp(2 * a + 0.5, d["neuron_x2"], d[key][:, i])
                   for i, a in enumerate(x1) if -2 <= 2 * a + 0.5 <= 4]
        np.testing.assert_allclose(on_line, 0.5, atol=0.02)


def test_xor_needs_two_layers(result):
    assert result.metrics["xor_linear_accuracy"] == 0.75
    assert result.metrics["xor_network_accuracy"] == 1.0
    points, labels = result.data["xor_points"], result.data["xor_labels"]
    # The search really is the best a line can do: random lines never do better.
    rng = np.random.default_rng(1)
    w, b = rng.normal(size=(20_000, 2)), rng.normal(size=20_000)
    accuracy = ((points @ w.T + b >= 0) == (labels[:, None] == 1)).mean(axis=0)
    assert accuracy.max() == 0.75


@pytest.mark.parametrize("seed", range(5))
def test_xor_network_learns_for_other_seeds(seed):
    points = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    labels = np.array([0, 1, 1, 0], dtype=float)
    network = cf.train_xor_network(points, labels, 4, 2000, np.random.default_rng([seed, 4]))
    assert np.array_equal(network(points) >= 0.5, labels == 1)


def _graph_loss(values: dict) -> float:
    return cf.graph_forward(values)["loss"]


@pytest.mark.parametrize("values", [
    cf.GRAPH_INPUTS,
    {"x": 1.3, "y": -0.4, "w1": 0.9, "b1": 0.2, "w2": -1.7, "b2": 0.35},
])
def test_graph_gradients_match_finite_differences(values):
    gradients = cf.graph_backward(values)
    h = 1e-6
    for name in ("w1", "b1", "w2", "b2"):
        up, down = dict(values), dict(values)
        up[name] += h
        down[name] -= h
        numerical = (_graph_loss(up) - _graph_loss(down)) / (2 * h)
        assert abs(gradients[name] - numerical) < 1e-6, name


def test_graph_shows_the_worked_example_of_the_chapter(result):
    graph = result.extra["graph"]
    assert graph["inputs"] == cf.GRAPH_INPUTS
    assert graph["values"] == {"z1": 0.5, "a1": 0.5, "y_hat": 1.0, "loss": 0.5}
    g = graph["gradients"]
    assert (g["y_hat"], g["w2"], g["b2"], g["a1"], g["z1"], g["w1"], g["b1"]) == (
        -1.0, -0.5, -1.0, -2.0, -2.0, -2.0, -2.0)
    # One step with η = 0,1, as on the page: the loss falls to about 0,0015.
    stepped = {k: v - 0.1 * g[k] if k in ("w1", "b1", "w2", "b2") else v
               for k, v in graph["inputs"].items()}
    assert _graph_loss(stepped) == pytest.approx(0.0015, abs=5e-5)


def test_margin_losses_match_the_table_of_the_svm_chapter(result):
    d = result.data
    margins = [2, 1, 0.5, 0, -1]
    hinge = [np.interp(m, d["margin"], d["margin_hinge"]) for m in margins]
    logistic = [np.interp(m, d["margin"], d["margin_logistic"]) for m in margins]
    np.testing.assert_allclose(hinge, [0, 0, 0.5, 1, 2], atol=1e-9)
    np.testing.assert_allclose(logistic, [0.127, 0.313, 0.474, 0.693, 1.313], atol=5e-4)


def test_softmax_worked_example(result):
    m = result.metrics
    p = [m[f"softmax_probability_{k}"] for k in (1, 2, 3)]
    assert sum(p) == pytest.approx(1, abs=1e-12)
    # As on the page: e² ≈ 7,389, e¹ ≈ 2,718, e^0,1 ≈ 1,105, of sum 11,213; p ≈ (0,659 ;
    # 0,242 ; 0,099) and the loss for the first class −log 0,659 ≈ 0,417.
    np.testing.assert_allclose(p, [7.389 / 11.213, 2.718 / 11.213, 1.105 / 11.213], atol=5e-4)
    np.testing.assert_allclose(p, [0.659, 0.242, 0.099], atol=5e-4)
    assert m["softmax_cross_entropy"] == pytest.approx(0.417, abs=5e-4)
    # Shifting the logits changes nothing, and large logits do not overflow.
    np.testing.assert_allclose(cf.softmax(np.array(cf.SOFTMAX_LOGITS) + 1000), p, rtol=1e-12)
    # The gradient of the cross-entropy with respect to the logits is p − y.
    z, h = np.array(cf.SOFTMAX_LOGITS), 1e-6
    numerical = [(-np.log(cf.softmax(z + h * e)[0]) + np.log(cf.softmax(z - h * e)[0])) / (2 * h)
                 for e in np.eye(3)]
    np.testing.assert_allclose(result.data["softmax_gradient"], numerical, atol=1e-8)


def test_every_chapter_shows_a_course_figure():
    marker = re.compile(r"^\{\{ fidle:figure course-figures/([\w-]+) \}\}$", re.M)
    shown = set()
    for page in sorted((ROOT / "docs" / "cours").glob("*.md")):
        keys = marker.findall(page.read_text(encoding="utf-8"))
        assert keys, f"{page.name} ne montre aucune figure du cours"
        assert set(keys) <= set(cf.FIGURES), page.name
        shown |= set(keys)
    assert shown == set(cf.FIGURES)


def test_standardising_makes_the_loss_round_and_the_descent_fast(result):
    """By hand: for y = a·x + b, the MSE's Hessian is 2·[[E x², E x], [E x, 1]]; once x is
    standardised (E x = 0, E x² = 1) it is 2·I, a round bowl (condition number 1), and the
    rule η = 1/(2 λmax) = 1/4 halves the distance to the minimum at every step."""
    d, m = result.data, result.metrics
    x, z = d["scaling_x"], d["scaling_z"]
    assert z.mean() == pytest.approx(0, abs=1e-12) and z.std() == pytest.approx(1)
    mean, square = x.mean(), (x ** 2).mean()
    h = 2 * np.array([[square, mean], [mean, 1]])
    eig = np.linalg.eigvalsh(h)
    assert m["scaling_condition_raw"] == pytest.approx(eig[1] / eig[0], rel=1e-9)
    assert m["scaling_condition_raw"] > 1000 and m["scaling_condition_standardised"] == \
        pytest.approx(1)
    path, optimum = d["scaling_standardised_path"], d["scaling_standardised_optimum"]
    distances = np.linalg.norm(path - optimum, axis=1)
    np.testing.assert_allclose(distances[1:6] / distances[:5], 0.5, rtol=1e-9)
    # The loss gap shrinks by (1 − 1/4·2)² = 1/4 a step: 10⁻³ of it after 5 steps.
    assert m["scaling_steps_standardised"] == 5
    # Raw: the flat direction shrinks by 1 − λmin/(2 λmax) a step, squared for the loss.
    assert m["scaling_steps_raw"] > 100 * m["scaling_steps_standardised"]
    raw = d["scaling_raw_path"]
    assert np.linalg.norm(raw[-1] - d["scaling_raw_optimum"]) > 1  # still far after 100 steps
    np.testing.assert_allclose(d["scaling_raw_optimum"], np.polyfit(x, d["scaling_y"], 1),
                               rtol=1e-9)


def test_svm_margin_satisfies_the_conditions_of_the_chapter(result):
    """By hand, for the SVM of the chapter: every point has y·f(x) ≥ 1 with the hard
    margin; the support vectors sit on the edge y·f(x) = 1 (0 < α < C) or, with the soft
    margin, inside it (α = C); w = Σ α_i y_i x_i; the street is 2/‖w‖ wide."""
    d, m = result.data, result.metrics
    for key, c in (("hard", cf.SVM_C["dure"]), ("soft", cf.SVM_C["souple"])):
        points, labels = d[f"svm_{key}_points"], d[f"svm_{key}_labels"]
        w, margin = d[f"svm_{key}_w"], d[f"svm_{key}_margin"]
        support, alpha = d[f"svm_{key}_support"], d[f"svm_{key}_alpha"]
        y = 2 * labels - 1
        np.testing.assert_allclose(w, (alpha * y[support]) @ points[support], atol=1e-6)
        assert (alpha * y[support]).sum() == pytest.approx(0, abs=1e-6)  # Σ α_i y_i = 0
        others = np.setdiff1d(np.arange(len(points)), support)
        assert np.all(margin[others] >= 1 - 1e-3)
        for i, a in zip(support, alpha):
            if a < c - 1e-6 * max(1, c):
                assert margin[i] == pytest.approx(1, abs=1e-3)
            else:
                assert margin[i] <= 1 + 1e-3
    assert np.all(d["svm_hard_margin"] >= 1 - 1e-3)
    assert m["svm_width_hard"] == pytest.approx(2 / np.linalg.norm(d["svm_hard_w"]))
    assert m["svm_inside_soft"] >= 1 and m["svm_support_soft"] > m["svm_support_hard"]
    assert m["svm_inside_soft"] == int(np.sum(d["svm_soft_margin"] < 1 - 1e-6))
