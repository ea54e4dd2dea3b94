"""The results cache of the site build: what the keys depend on, atomic entries, locks."""

from __future__ import annotations

import dataclasses
import shutil
import threading
from pathlib import Path

import pytest

from fidle_examples.core import registry
from fidle_examples.core.datasets import MNIST, WINE_RED
from fidle_examples.core.results import Result
from fidle_examples.build import keys, storage
from fidle_examples.build.storage import ResultsCache
from support import fake_result

VERSIONS = {"python": "3.11.0", "numpy": "2.0.0", "keras": "3.0.0", "backend": "tensorflow",
            "tensorflow": "2.0.0"}
EXAMPLES = "fidle_examples.examples."


@pytest.fixture
def package(tmp_path) -> Path:
    """A private copy of the package sources, to edit."""
    copy = tmp_path / "fidle_examples"
    shutil.copytree(keys.package_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _fingerprints(root: Path, **overrides) -> dict[str, str]:
    args = {"profile": "quick", "versions": VERSIONS, **overrides}
    return {spec.name: keys.fingerprint(spec, root=root, **args) for spec in registry.EXAMPLES}


def _figure_keys(root: Path) -> dict[str, str]:
    return {spec.name: keys.figure_key(spec, "0" * 64, root=root) for spec in registry.EXAMPLES}


def _append(path: Path, text: str = "\nEDITED = True\n") -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _users(root: Path, module: str) -> set[str]:
    """Examples whose training imports `module`."""
    return {spec.name for spec in registry.EXAMPLES
            if module in keys.source_closure(EXAMPLES + spec.module, root)}


def _changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {name for name in before if after[name] != before[name]}


# --- what the training key depends on ---------------------------------------------------

def test_closure_holds_the_modules_a_training_executes_and_nothing_else():
    closure = keys.source_closure(EXAMPLES + "randomness")
    for needed in ("fidle_examples", "fidle_examples.examples", EXAMPLES + "randomness",
                   EXAMPLES + "mnist_dense", "fidle_examples.core.runner",
                   "fidle_examples.core.datasets", "fidle_examples.core.context",
                   "fidle_examples.core.config", "fidle_examples.core.runtime"):
        assert needed in closure, needed
    # Drawing, storing, declaring and wording results change no number.
    for unrelated in ("fidle_examples.cli", "fidle_examples.core.registry",
                      "fidle_examples.core.plots", "fidle_examples.core.figures",
                      "fidle_examples.core.results", "fidle_examples.core.store",
                      "fidle_examples.core.contract", "fidle_examples.core.frenchfmt",
                      "fidle_examples.plugin", "fidle_examples.notebooks", EXAMPLES + "mnist"):
        assert unrelated not in closure, unrelated
    assert closure[EXAMPLES + "mnist_dense"].name == "mnist_dense.py"


def test_editing_one_example_changes_only_the_examples_that_run_it(package):
    before = _fingerprints(package)
    assert len(set(before.values())) == len(before)
    _append(package / "examples" / "mnist.py")
    changed = _changed(before, _fingerprints(package))
    assert changed == _users(package, EXAMPLES + "mnist") == {"mnist"}


def test_editing_lesson_code_changes_the_examples_that_use_it(package):
    before = _fingerprints(package)
    _append(package / "examples" / "mnist_dense.py")
    changed = _changed(before, _fingerprints(package))
    assert changed == _users(package, EXAMPLES + "mnist_dense")
    assert "randomness" in changed and "mnist" not in changed


def test_editing_drawing_formatting_cli_or_registry_retrains_nothing(package):
    """Plotting code, number formats, titles and duration estimates change no number
    (issue 17.3)."""
    before, figures_before = _fingerprints(package), _figure_keys(package)
    _append(package / "core" / "plots.py")
    _append(package / "core" / "figures.py")
    _append(package / "core" / "frenchfmt.py")
    _append(package / "cli.py")
    _append(package / "core" / "registry.py")  # e.g. a new example added to the list
    assert _fingerprints(package) == before
    # ...but every figure is drawn again: each figure key covers the plotting modules.
    assert _changed(figures_before, _figure_keys(package)) == set(figures_before)


def test_profile_versions_and_the_example_module_are_in_the_fingerprint(package):
    base = _fingerprints(package)["mnist"]
    assert _fingerprints(package, profile="full")["mnist"] != base
    assert _fingerprints(package, versions={**VERSIONS, "keras": "3.0.1"})["mnist"] != base
    spec = registry.get("mnist")
    retitled = dataclasses.replace(spec, title="Autre titre", summary="autre", cost_s=99)
    assert keys.fingerprint(retitled, "quick", VERSIONS, package) == base
    renamed = dataclasses.replace(spec, name="mnist-bis")
    assert keys.fingerprint(renamed, "quick", VERSIONS, package) != base


def test_a_presentation_helper_that_run_calls_is_in_the_training_key(package):
    """A `_figure_*` helper is presentation, unless the training code calls it: then
    editing it must retrain (it changes numbers)."""
    path = package / "examples" / "linear_regression.py"
    helper = "\n\ndef _figure_scale(x):\n    return 2 * x\n"
    _append(path, helper)
    alone = _fingerprints(package)["linear-regression"]
    path.write_text(path.read_text(encoding="utf-8").replace("2 * x", "3 * x"), encoding="utf-8")
    assert _fingerprints(package)["linear-regression"] == alone  # unused: presentation
    _append(path, "\nSCALE = _figure_scale(1.0)\n")  # module-level training code calls it
    called = _fingerprints(package)["linear-regression"]
    path.write_text(path.read_text(encoding="utf-8").replace("3 * x", "4 * x"), encoding="utf-8")
    assert _fingerprints(package)["linear-regression"] != called


def test_key_depends_on_config_and_datasets():
    key = keys.result_key("f" * 64, {"epochs": 3}, [MNIST])
    assert keys.result_key("f" * 64, {"epochs": 4}, [MNIST]) != key
    assert keys.result_key("f" * 64, {"epochs": 3}, [MNIST, WINE_RED]) != key
    assert keys.result_key("e" * 64, {"epochs": 3}, [MNIST]) != key


def test_versions_read_without_keras_match_the_runtime():
    from fidle_examples.core import runtime

    assert keys.library_versions() == runtime.versions()


def test_backend_choice_follows_keras_rules(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    (tmp_path / "keras.json").write_text('{"backend": "jax"}', encoding="utf-8")
    assert keys.library_versions()["backend"] == "jax"
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    assert keys.library_versions()["backend"] == "torch"


def test_cache_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(storage.ENV_CACHE, raising=False)
    assert storage.default_root(tmp_path) == tmp_path / ".cache" / "fidle-examples"
    monkeypatch.setenv(storage.ENV_CACHE, str(tmp_path / "ailleurs"))
    assert storage.default_root(tmp_path) == tmp_path / "ailleurs"


# --- entries ------------------------------------------------------------------------

def _accuracy(results: ResultsCache, profile: str, key: str) -> float | None:
    loaded = results.load("mnist", profile, key)
    return loaded and loaded.metrics["test_accuracy"]


def test_store_then_load_by_fingerprint(tmp_path):
    results = ResultsCache(tmp_path)
    key, fp = "a" * 64, "b" * 64
    assert results.key_for("mnist", "quick", fp) is None
    with results.lock("mnist", "quick", key):
        results.store("mnist", "quick", key, fp, fake_result(0.9, figures={}))
    assert results.key_for("mnist", "quick", fp) == key
    loaded = results.load("mnist", "quick", key)
    assert loaded.metrics["test_accuracy"] == 0.9
    assert loaded.data["y_pred"].tolist() == [3, 1, 4]


def test_figures_are_stored_apart_and_replaced_by_a_new_drawing(tmp_path):
    results = ResultsCache(tmp_path)
    key = "a" * 64
    results.store("mnist", "quick", key, "b" * 64, fake_result(figures={}))
    names = ["loss.svg", "accuracy.svg"]
    first = results.figures_dir("mnist", "quick", key, "1" * 64)
    assert results.load_figures(first, names) is None
    drawn = {name: f"<svg>{name} v1</svg>" for name in names}
    results.store_figures(first, drawn)
    assert results.load_figures(first, names) == drawn
    # A figure the stored drawing lacks (a figure declared since): drawn again.
    assert results.load_figures(first, [*names, "confusion.svg"]) is None
    # The explorer's drawings are another kind: storing them keeps the page's.
    states = results.figures_dir("mnist", "quick", key, "3" * 64, kind="explorer")
    results.store_figures(states, {"1-fit.svg": "<svg/>"})
    assert results.load_figures(first, names) == drawn
    second = results.figures_dir("mnist", "quick", key, "2" * 64)  # plotting code edited
    results.store_figures(second, drawn)
    assert results.load_figures(first, names) is None
    assert results.load_figures(states, ["1-fit.svg"]) == {"1-fit.svg": "<svg/>"}
    assert results.load("mnist", "quick", key) is not None  # the training result stays


def test_new_entry_prunes_the_old_one_of_the_same_profile_only(tmp_path):
    results = ResultsCache(tmp_path)
    results.store("mnist", "quick", "1" * 64, "a" * 64, fake_result(0.1))
    results.store("mnist", "full", "2" * 64, "b" * 64, fake_result(0.2))
    results.store("mnist", "quick", "3" * 64, "c" * 64, fake_result(0.3))
    assert results.load("mnist", "quick", "1" * 64) is None
    assert results.key_for("mnist", "quick", "a" * 64) is None
    assert _accuracy(results, "full", "2" * 64) == 0.2
    assert _accuracy(results, "quick", "3" * 64) == 0.3


def test_entry_in_use_by_another_build_is_not_pruned(tmp_path):
    results = ResultsCache(tmp_path)
    results.store("mnist", "quick", "1" * 64, "a" * 64, fake_result(0.1))
    with results.lock("mnist", "quick", "1" * 64):  # another build holds it
        results.store("mnist", "quick", "3" * 64, "c" * 64, fake_result(0.3))
        assert _accuracy(results, "quick", "1" * 64) == 0.1


def test_interrupted_save_keeps_the_previous_entry(tmp_path, monkeypatch):
    results = ResultsCache(tmp_path)
    results.store("mnist", "quick", "1" * 64, "a" * 64, fake_result(0.1))
    real_save = Result.save

    def save_then_interrupt(self, folder):
        real_save(self, folder)  # the files are half there...
        raise KeyboardInterrupt  # ...when the user presses Ctrl-C

    monkeypatch.setattr(Result, "save", save_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        with results.lock("mnist", "quick", "3" * 64):
            results.store("mnist", "quick", "3" * 64, "c" * 64, fake_result(0.3))
    monkeypatch.setattr(Result, "save", real_save)
    assert results.load("mnist", "quick", "3" * 64) is None
    assert results.key_for("mnist", "quick", "c" * 64) is None
    assert _accuracy(results, "quick", "1" * 64) == 0.1
    assert results.key_for("mnist", "quick", "a" * 64) == "1" * 64


def test_leftover_of_a_killed_save_is_ignored_then_cleaned(tmp_path):
    results = ResultsCache(tmp_path)
    entry = results.entry("mnist", "quick", "3" * 64)
    stray = entry.parent / f".{entry.name}.k1ll3d.tmp"
    stray.mkdir(parents=True)
    (stray / "result.json").write_text('{"history": {"lo', encoding="utf-8")  # cut short
    assert results.load("mnist", "quick", "3" * 64) is None
    with results.lock("mnist", "quick", "3" * 64):
        assert not stray.exists()
        results.store("mnist", "quick", "3" * 64, "c" * 64, fake_result(0.3))
    assert _accuracy(results, "quick", "3" * 64) == 0.3


@pytest.mark.parametrize("damaged", ["result.json", "data.npz"])
def test_damaged_entry_reads_as_missing(tmp_path, damaged):
    """It is then trained again and replaced."""
    results = ResultsCache(tmp_path)
    results.store("mnist", "quick", "1" * 64, "a" * 64, fake_result(0.1))
    (results.entry("mnist", "quick", "1" * 64) / damaged).unlink()
    assert results.load("mnist", "quick", "1" * 64) is None


# --- locks --------------------------------------------------------------------------

def test_second_builder_waits_then_reuses_the_entry(tmp_path):
    first, second = ResultsCache(tmp_path), ResultsCache(tmp_path)
    key = "1" * 64
    holding, waited, seen = threading.Event(), threading.Event(), []

    def other_build():
        holding.wait()
        with second.lock("mnist", "quick", key, on_wait=waited.set):
            seen.append(_accuracy(second, "quick", key))

    thread = threading.Thread(target=other_build)
    thread.start()
    with first.lock("mnist", "quick", key):
        holding.set()
        assert waited.wait(timeout=60), "the second builder did not notice the lock"
        first.store("mnist", "quick", key, "a" * 64, fake_result(0.7))
    thread.join(timeout=60)
    assert seen == [0.7]


def test_lock_file_removed_by_a_pruner_is_not_trusted(tmp_path):
    path = tmp_path / "x.lock"
    pruning, got = threading.Event(), []

    def waiter():
        pruning.wait()
        with storage._locked(path) as held:
            with storage._locked(path, blocking=False) as also:
                got.append((held, also, path.exists()))

    thread = threading.Thread(target=waiter)
    thread.start()
    with storage._locked(path):
        pruning.set()
        path.unlink()  # what _prune does while it holds the lock
    thread.join(timeout=60)
    # The waiter locked the file now at `path`, so a third party cannot take it.
    assert got == [(True, False, True)]
