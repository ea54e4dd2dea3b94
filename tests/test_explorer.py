"""Explorers over real runs: grids, states, their cached figures and their HTML
(build/explorer.py, plugin/explorerhtml.py). The browser side: tests/browser/test_explorer_in_browser.py."""

from __future__ import annotations

import inspect
import itertools
import json
import math
import re
from html.parser import HTMLParser

import pytest

from fidle_examples.core import contract, registry, runner
from fidle_examples.core.contract import Metric
from fidle_examples.build import drawing, explorer, keys
from fidle_examples.build.jobs import slot
from fidle_examples.build.storage import ResultsCache
from fidle_examples.plugin import checks, explorerhtml, markers
from fidle_examples.build.loading import Loaded

EXPLORERS = ("gradient-descent", "polynomial-regression", "logistic-regression")
# (trained points, states) of each explorer, per profile.
SIZES = {("gradient-descent", "quick"): (3, 9), ("gradient-descent", "full"): (7, 21),
         ("polynomial-regression", "quick"): (2, 10),
         ("polynomial-regression", "full"): (4, 80),
         ("logistic-regression", "quick"): (0, 5), ("logistic-regression", "full"): (0, 8)}


def module_of(name):
    return registry.get(name).load()


@pytest.mark.parametrize("name,profile", SIZES)
def test_grid_points_and_states(name, profile):
    spec = module_of(name).EXPLORER
    points, states = spec.points(profile), explorer.grid(spec, profile)
    assert (len(points), len(states)) == SIZES[name, profile]
    values = [spec.values(k, profile) for k in spec.controls]
    assert states == [dict(zip(spec.controls, combo)) for combo in itertools.product(*values)]
    # Each state's trained part is one trained point (none: the page's own run).
    parts = [explorer.trained_part(spec, s) for s in states]
    assert all(part in points for part in parts) if points else parts == [{}] * len(states)
    assert all(point in parts for point in points)


@pytest.mark.parametrize("name", EXPLORERS)
def test_declarations_fit_the_example(name):
    """Declared figures and metrics, config fields, figure arguments the figure functions
    take, and values each profile can draw."""
    module = module_of(name)
    declared = contract.read(module)  # checks the EXPLORER against the contract
    spec = module.EXPLORER
    for key, control in spec.controls.items():
        assert control.label[0].isupper() and not control.label.endswith(".")
        assert not control.value_labels or len(control.value_labels) == len(control.values)
        for figure in spec.figures:
            parameters = inspect.signature(declared.figure_function(module, figure)).parameters
            assert (key in parameters) == control.figure_arg, (figure, key)
    for profile, config in module.PROFILES.items():
        for key, control in spec.controls.items():
            if control.figure_arg and key == "epoch":
                assert max(spec.values(key, profile)) == config.epochs
            if control.figure_arg and key == "degree":
                assert max(spec.values(key, profile)) <= config.max_degree


# --- one explorer prepared and rendered: polynomial regression, quick ------------------

def _loaded(name: str, profile: str, results: ResultsCache) -> Loaded:
    """What loading.Loader gives the plugin, with the runs made here and stored in the
    cache (a key per run: its overrides)."""
    module = module_of(name)

    def trained(overrides: dict):
        result = runner.run_example(name, profile, overrides, verbose=0)
        key = keys.sha256(repr(sorted(overrides.items())).encode())
        results.store(name, slot(profile, None, overrides), key, "f" * 64, result)
        return result, key

    main, key = trained({})
    entry = Loaded(main, key, True, contract.read(module))
    for overrides in module.EXPLORER.points(profile):
        entry.points.append((overrides, *trained(overrides)))
    return entry


@pytest.fixture(scope="module")
def poly(tmp_path_factory):
    results = ResultsCache(tmp_path_factory.mktemp("explorer-cache"))
    entry = _loaded("polynomial-regression", "quick", results)
    view = explorer.prepare(entry, module_of("polynomial-regression"), results, "quick")
    srcs = {stem: f"../../generated/polynomial-regression/{stem}.svg"
            for stem in explorer.files(entry)}
    return entry, view, results, explorerhtml.render(entry.explorer, srcs)


class _Tree(HTMLParser):
    """The elements of a fragment: (tag, attributes, text until the next tag)."""

    def __init__(self):
        super().__init__()
        self.elements: list[list] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append([tag, dict(attrs), ""])

    def handle_data(self, data):
        if self.elements:
            self.elements[-1][2] += data

    def find(self, tag, **attrs):
        return [e for e in self.elements if e[0] == tag
                and all(e[1].get(k.replace("_", "-")) == v for k, v in attrs.items())]


def _tree(html: str) -> _Tree:
    tree = _Tree()
    tree.feed(html)
    return tree


@pytest.mark.trains
def test_states_point_at_drawn_files(poly):
    entry, view, _, _ = poly
    assert len(view.states) == 10 and len(view.svgs) == 20
    for state in view.states:
        assert set(state.files) == {"fits", "errors"}
        assert all(name in view.svgs and "<svg" in view.svgs[name][:2000]
                   for name in state.files.values())
    state = next(s for s in view.states if s.values == {"noise": 0.5, "degree": 10})
    assert state.files["fits"] == "noise-0.5-degree-10-fits.svg"
    assert "degré 10" in view.svgs[state.files["fits"]]
    # The page's own noise first (the default config), the first degree.
    assert view.initial.values == {"noise": entry.result.config["noise"], "degree": 1}
    assert set(explorer.files(entry)) == {f"explorer/{n.removesuffix('.svg')}"
                                          for n in view.svgs}


@pytest.mark.trains
def test_each_state_has_its_own_numbers(poly):
    entry, view, _, _ = poly
    for state in view.states:
        degree, noise = state.values["degree"], state.values["noise"]
        point = next(r for o, r, _ in entry.points if o == {"noise": noise})
        labels = dict(state.metrics)
        assert labels[f"MSE de validation, degré {degree}"] == explorer.format_metric(
            Metric("", digits=2), point.extra["val_mse"][degree - 1])
        assert labels["Variance du bruit (erreur minimale attendue)"] == \
            f"{noise ** 2:.3f}".replace(".", ",")


@pytest.mark.trains
def test_a_warm_build_draws_nothing(poly):
    entry, view, results, _ = poly
    batch = drawing.Batch()
    again = explorer.prepare(entry, module_of("polynomial-regression"), results, "quick",
                             batch)
    assert len(batch) == 0, "figures à dessiner alors qu'elles sont dans le cache"
    assert again.svgs == view.svgs


@pytest.mark.trains
def test_html_is_labelled_and_usable_without_a_mouse(poly):
    entry, view, _, html = poly
    tree = _tree(html)
    root = tree.elements[0]
    assert root[0] == "div" and root[1]["class"] == "fidle-explorer"
    assert "data-search-exclude" in root[1]
    title = tree.find("p", id=root[1]["aria-labelledby"])
    assert title and "10 réglages" in title[0][2] and "2 exécutions réelles" in title[0][2]
    # Ordered numbers: a slider, labelled, its value said in French.
    [slider] = tree.find("input", type="range")
    assert tree.find("label", **{"for": slider[1]["id"]})[0][2] == "Degré du polynôme"
    assert (slider[1]["min"], slider[1]["max"], slider[1]["value"]) == ("0", "4", "0")
    assert slider[1]["aria-valuetext"] == "1"
    # Two noise levels: a radio group with its legend.
    assert tree.find("legend")[0][2] == "Bruit des données (écart type)"
    radios = tree.find("input", type="radio")
    assert [r[1]["value"] for r in radios] == ["0", "1"] and "checked" in radios[1][1]
    assert len({r[1]["name"] for r in radios}) == 1
    # Without JavaScript: the controls hidden, a note instead.
    assert "hidden" in tree.find("div", **{"class": "fidle-explorer__controls"})[0][1]
    assert "Sans JavaScript" in tree.find("p", **{"class": "fidle-explorer__nojs"})[0][2]


@pytest.mark.trains
def test_html_shows_the_first_state_and_the_others_on_demand(poly):
    entry, view, _, html = poly
    tree = _tree(html)
    images = tree.find("img")
    assert [i[1]["src"].rsplit("/", 1)[1] for i in images] == list(view.initial.files.values())
    assert all(i[1]["alt"].endswith("Bruit des données (écart type)\u00a0: 2 ; degré du "
                                     "polynôme\u00a0: 1".replace(" ;", "\u202f;"))
               for i in images)
    assert len(re.findall(r"<img ", html)) == 2  # the other states' images: in the JSON
    [live] = [e for e in tree.elements if e[1].get("aria-live") == "polite"]
    assert live[1]["class"] == "fidle-explorer__state"
    command = "fidle-examples run polynomial-regression --profile quick --noise 2.0"
    assert f"<code>{command}</code>" in html
    data = json.loads(re.search(r'<script type="application/json" '
                                r'class="fidle-explorer__data">(.*?)</script>', html).group(1))
    assert set(data["states"]) == {f"{i}-{j}" for i in range(2) for j in range(5)}
    assert data["controls"] == [["0,5", "2"], ["1", "2", "5", "10", "20"]]
    for key, state in data["states"].items():
        noise, degree = (int(i) for i in key.split("-"))
        assert state["command"].endswith(f"--noise {(0.5, 2.0)[noise]}")
        # The text alternative of every state: its setting and its numbers.
        assert state["setting"].endswith(f"degré du polynôme\u00a0: {(1, 2, 5, 10, 20)[degree]}")
        assert [label for label, _ in state["metrics"]][-1] == \
            f"MSE de validation, degré {(1, 2, 5, 10, 20)[degree]}"
        assert all(name in view.svgs for name in state["files"])
    first = data["states"][view.initial.key]
    assert first["command"] == command and all(value in html for _, value in first["metrics"])


def test_json_cannot_end_its_script_element():
    text = explorerhtml._json({"a": "</script><!-- & "})
    assert "<" not in text and ">" not in text and json.loads(text)["a"] == "</script><!-- & "


# --- the examples' own parts --------------------------------------------------------------

@pytest.mark.trains
def test_logistic_regression_explorer_numbers_are_those_of_the_run():
    """One run: the weights kept after the last epoch are the final ones, and the test
    accuracy the explorer computes from them is the one Keras measured."""
    module = module_of("logistic-regression")
    result = runner.run_example("logistic-regression", "quick", verbose=0)
    epochs = result.config["epochs"]
    assert result.data["weights"].shape == (epochs + 1, 3)
    last = dict((m.label, v) for m, v in module.explorer_metrics(result, epochs))
    assert last["Poids w₁"] == pytest.approx(result.metrics["w1"])
    assert last["Biais b"] == pytest.approx(result.metrics["bias"])
    n_test = len(result.extra["test_y"])
    assert abs(last["Exactitude sur le jeu de test"] - result.metrics["test_accuracy"]) \
        <= 1 / n_test + 1e-9
    before = dict((m.label, v) for m, v in module.explorer_metrics(result, 0))
    assert before["Poids w₁"] != last["Poids w₁"]
    assert "avant l'entraînement" in module.figure_boundary(result, epoch=0)


@pytest.mark.trains
def test_gradient_descent_divergence_is_stopped_and_reported():
    """A step too large is a result of this example (its explorer shows it), not an
    error: each descent that diverges is stopped, with finite numbers and a warning."""
    result = runner.run_example("gradient-descent", "quick", {"learning_rate": 100},
                                verbose=0)
    assert set(result.extra["diverged"]) == {"batch", "stochastic", "minibatch"}
    for variant, epoch in result.extra["diverged"].items():
        assert len(result.history[f"loss_{variant}"]) == epoch < 100
        assert max(abs(v) for v in result.extra["theta"][variant]) > 1e6
    assert all(math.isfinite(v) for v in result.metrics.values())
    [warning] = result.extra["warnings"]
    assert "ont divergé" in warning and "--learning-rate" in warning
    # The page's own setting does not diverge.
    assert runner.run_example("gradient-descent", "quick", verbose=0).extra["warnings"] == []


@pytest.mark.trains
def test_gradient_descent_explorer_shows_a_divergence():
    module = module_of("gradient-descent")
    result = runner.run_example("gradient-descent", "quick", {"learning_rate": 1.0}, verbose=0)
    assert result.extra["diverged"]["stochastic"] == 1
    svg = module.figure_loss(result, variant="stochastic")
    assert "diverge, arrêtée à l" in svg and "η = 1" in svg
    assert "sort du cadre" in module.figure_path(result, variant="stochastic")
    numbers = {m.label: explorer.format_metric(m, v)
               for m, v in module.explorer_metrics(result, "stochastic")}
    assert re.fullmatch(r"\d,\d\d\u202f×\u202f10[⁰¹²³⁴⁵⁶⁷⁸⁹]+",
                        numbers["MSE finale, stochastique (SGD, 1 point)"])


def test_format_metric_and_value_text():
    assert explorer.format_metric(Metric("MSE"), 1.0359) == "1,036"
    assert explorer.format_metric(Metric("MSE"), 1.3e13) == "1,30\u202f×\u202f10¹³"
    assert explorer.format_metric(Metric("n", "integer"), 3e6) == "3\u202f000\u202f000"
    control = contract.Control("Époque", (0, 5), value_labels=("0 (avant)", "5"))
    assert explorer.value_text(control, 0) == "0 (avant)"
    assert explorer.value_text(contract.Control("η", (0.3,)), 0.3) == "0,3"
    assert explorer.command("gradient-descent", "full", {"learning_rate": 0.3}) == \
        "fidle-examples run gradient-descent --learning-rate 0.3"


def test_explorer_marker_of_an_example_without_explorer_is_refused():
    [marker], _ = markers.scan("{{ fidle:explorer linear-regression }}\n")
    problem = checks.check(marker, module_of("linear-regression"))
    assert problem and "ne déclare pas d'explorateur" in problem
    [marker], _ = markers.scan("{{ fidle:explorer gradient-descent }}\n")
    assert checks.check(marker, module_of("gradient-descent")) is None


def test_figures_drawn_once_for_a_control_they_ignore():
    def figure(result, degree=None):
        return ""

    assert explorer._accepted(figure, {"degree": 3, "noise": 1.0}) == {"degree": 3}
    assert explorer._accepted(lambda result, **kw: "", {"epoch": 2}) == {"epoch": 2}
