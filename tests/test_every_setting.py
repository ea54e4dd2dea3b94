"""The same truth on every setting (issue 22): device-specific claims, references that
hold runs of several Keras backends, comparisons that tell another backend apart, the
deterministic modes, and the claims re-derived from their effect, each one still able
to fail on a doctored result."""

from __future__ import annotations

import copy
import dataclasses
import io

import pytest

from fidle_examples.core import claims, compare, contract, reference, registry, runtime
from fidle_examples.core.contract import Claim, ContractError
from fidle_examples.core.results import Result
from fidle_examples.build.loading import Loaded
from fidle_examples.plugin import pagehtml
from support import ROOT

REFERENCE_DIR = ROOT / "reference"
CPU = "CPU (2 cœurs, AMD EPYC)"
PROCESSOR = "un processeur (2\u00a0cœurs, AMD EPYC)"  # how a page's sentence writes CPU


def _module(name):
    return registry.get(name).load()


def _result(name, metrics=None, history=None, backend="tensorflow", device=CPU, **config):
    module = _module(name)
    import dataclasses

    full = dataclasses.asdict(module.PROFILES["full"])
    return Result(history=history or {}, metrics=metrics or {}, example=name, profile="full",
                  config={**full, **config}, seed=42, device=device,
                  versions={"backend": backend})


def _verdict(name, key, result, calibrated=("tensorflow", CPU)):
    module = _module(name)
    return claims.evaluate(module, contract.read(module), key, result, calibrated)


# --- declarations ---------------------------------------------------------------------

def test_device_specific_claims_are_declared_as_such():
    specific = {name: contract.read(_module(name)).device_specific
                for name in ("batch-size", "svm-vs-dnn", "randomness", "backpropagation")}
    assert specific["batch-size"] == {"small_batches_cost_more_per_epoch",
                                      "intermediate_fastest_in_time"}
    assert specific["svm-vs-dnn"] == {"svm_faster_on_small_sets", "svm_time_grows_faster",
                                      "svm_predicts_slower", "dnn_time_follows_epochs"}
    assert specific["randomness"] == {"same_seeds_same_run"}
    assert specific["backpropagation"] == frozenset()  # mathematics: held everywhere
    statement = contract.read(_module("batch-size")).claims["intermediate_fastest_in_time"]
    assert statement.startswith("sur le matériel de la référence")


def test_a_claim_is_a_statement_or_a_claim_declaration(monkeypatch):
    module = _module("wine")
    monkeypatch.setitem(module.CLAIMS, "gap_opens", 3)
    with pytest.raises(ContractError, match="« gap_opens » n'est ni un texte ni un Claim"):
        contract.read(module)
    monkeypatch.setitem(module.CLAIMS, "gap_opens", Claim("écart", device_specific=True))
    read = contract.read(module)
    assert read.claims["gap_opens"] == "écart" and read.device_specific == {"gap_opens"}


# --- a device-specific claim: held on the reference's setting, a note elsewhere ------

def _slow_small_batches(ratio):
    """The metrics of a published batch-size run, an epoch of lots of 8 taking `ratio`
    times one of 512."""
    run = reference.load("batch-size", REFERENCE_DIR).runs[0]
    return {**run["metrics"], "epoch_seconds_8": 1.0, "epoch_seconds_128": 0.4,
            "epoch_seconds_512": 1 / ratio}


def _batch_history():
    return reference.load("batch-size", REFERENCE_DIR).runs[0]["history"]


@pytest.mark.parametrize("backend, device, fails", [
    ("tensorflow", CPU, True),  # the published setting: a false claim fails
    ("jax", CPU, False),  # another backend: a note
    ("tensorflow", "NVIDIA H100 80GB HBM3", False),  # another device: a note
])
def test_a_false_device_specific_claim_fails_only_on_the_reference_setting(backend, device,
                                                                            fails):
    result = _result("batch-size", _slow_small_batches(1.5), backend=backend, device=device)
    verdict = _verdict("batch-size", "small_batches_cost_more_per_epoch", result)
    assert not verdict.holds and verdict.fails is fails and verdict.elsewhere is not fails


def test_a_lesson_claim_fails_on_every_setting():
    history = {"mae": [1.0] * 50 + [0.9] * 50}  # flat for five decades: not falling
    for backend, device in (("tensorflow", CPU), ("jax", CPU), ("torch", "NVIDIA H100")):
        result = _result("wine", history=history, backend=backend, device=device)
        verdict = _verdict("wine", "training_error_keeps_falling", result)
        assert verdict.fails and not verdict.elsewhere


def _two_backend_reference(jax_cost_ratio):
    """The committed batch-size reference plus a JAX run, whose 8-vs-512 ratio is given."""
    ref = copy.deepcopy(reference.load("batch-size", REFERENCE_DIR))
    run = copy.deepcopy(ref.runs[0])
    run.update(seed=7, backend="jax", device=CPU)
    run["metrics"]["epoch_seconds_512"] = run["metrics"]["epoch_seconds_8"] / jax_cost_ratio
    ref.runs.append(run)
    return ref


def test_the_reference_check_holds_device_specific_claims_to_the_published_runs():
    module = _module("batch-size")
    declared = contract.read(module)
    ref = _two_backend_reference(1.2)  # false for the JAX run: a note, not a failure
    assert not [f for f in claims.against_reference(module, declared, ref)
                if "small_batches_cost_more_per_epoch" in f]
    ref.runs[0]["metrics"]["epoch_seconds_512"] = ref.runs[0]["metrics"]["epoch_seconds_8"]
    failures = claims.against_reference(module, declared, ref)  # a published run: fails
    assert [f for f in failures if "small_batches_cost_more_per_epoch" in f
            and "tensorflow" in f] and not [f for f in failures if "jax" in f]


def test_a_lesson_claim_false_on_a_run_of_another_backend_fails_the_reference_check():
    module = _module("batch-size")
    ref = _two_backend_reference(5)
    curve = ref.runs[-1]["history"]["8:val_loss"]
    ref.runs[-1]["history"]["8:val_loss"] = sorted(curve, reverse=True)  # no rise: calm
    failures = claims.against_reference(module, contract.read(module), ref)
    assert any("small_batches_most_agitated" in f for f in failures)
    assert all("(graine 7, jax," in f for f in failures)


def _entry(name, result, ref=None):
    module = _module(name)
    declared = contract.read(module)
    return Loaded(result, "k", False, declared, ref,
                  claims.evaluate_all(module, declared, result, claims.calibrated_on(ref)))


def test_the_page_shows_a_note_with_the_run_values_on_another_setting():
    ref = reference.load("batch-size", REFERENCE_DIR)
    result = _result("batch-size", _slow_small_batches(1.5), _batch_history(), backend="jax")
    html = pagehtml.claim_box(_entry("batch-size", result, ref),
                              "small_batches_cost_more_per_epoch")
    assert "fidle-claim-elsewhere" in html and "Mesuré dans d'autres conditions" in html
    assert ref.device == CPU  # recorded as « CPU (…) », read as « processeur (…) »
    assert "avec Keras sur JAX" in html and f"{PROCESSOR}, avec Keras sur TensorFlow" in html
    assert "lots de 8" in html  # the run's own values
    assert "contredit" not in html


def test_a_true_device_specific_claim_names_the_run_device_once_a_page():
    ref = reference.load("batch-size", REFERENCE_DIR)
    result = _result("batch-size", _slow_small_batches(5), _batch_history())
    entry = _entry("batch-size", result, ref)
    line = pagehtml.claim_box(entry, "small_batches_cost_more_per_epoch")
    assert "fidle-claim-device" in line and f"sur {PROCESSOR}, avec Keras sur TensorFlow" in line
    assert pagehtml.claim_box(entry, "small_batches_cost_more_per_epoch",
                              device_line=False) == ""


# --- references of several backends ---------------------------------------------------

def _fake(runs):
    made = [{"seed": s, "metrics": {"test_accuracy": v, "test_loss": 0.1, "errors": 200,
                                    "parameters": 199210},
             "history": {"val_loss": [1.0, v]}, "duration_s": 1.0,
             **({"backend": b, "device": CPU} if b else {})} for s, v, b in runs]
    return reference.Reference("mnist", "full", [1, 2, 3], {"epochs": 20}, made,
                               {"device": CPU, "versions": {"backend": "tensorflow",
                                                            "keras": "3.15.1"}},
                               others={"jax": {"device": CPU, "versions": {"backend": "jax"}}})


def test_ranges_and_bands_are_the_published_setting_runs(tmp_path):
    ref = _fake([(1, 0.97, None), (2, 0.98, "tensorflow"), (3, 0.90, "jax"), (4, 0.91, "jax")])
    assert ref.range("test_accuracy") == (0.97, 0.975, 0.98)
    assert ref.band("val_loss")[0] == [1.0, 0.97]
    assert ref.backends() == {"tensorflow": 2, "jax": 2}
    assert [(r.seed, r.versions["backend"], r.device) for r in ref.results()] == [
        (1, "tensorflow", CPU), (2, "tensorflow", CPU), (3, "jax", CPU), (4, "jax", CPU)]
    reference.save(ref, tmp_path)
    again = reference.load("mnist", tmp_path)
    assert again.others == ref.others and again.range("test_accuracy", again.runs_of("jax")) \
        == (0.90, 0.905, 0.91)


def _run(accuracy, backend):
    return Result(metrics={"test_accuracy": accuracy, "test_loss": 0.1, "errors": 200,
                           "parameters": 199210}, example="mnist", profile="full",
                  config={"epochs": 20, "seed": 42}, device=CPU,
                  versions={"keras": "3.15.1", "backend": backend})


def test_compare_reads_a_run_of_another_backend_against_that_backend_runs():
    declared = contract.read(_module("mnist"))
    ref = _fake([(1, 0.97, None), (2, 0.98, None), (3, 0.90, "jax"), (4, 0.91, "jax")])
    verdict = compare.compare(_run(0.905, "jax"), ref, declared)
    assert verdict.inside and verdict.backend_runs and verdict.seeds == 2
    assert "faites, comme celle-ci, avec Keras sur JAX" in verdict.text()
    outside = compare.compare(_run(0.905, "tensorflow"), ref, declared)  # the same value
    assert not outside.inside and "EN DESSOUS" in outside.text()


def test_compare_names_another_backend_as_a_cause_when_the_reference_has_none():
    declared = contract.read(_module("mnist"))
    ref = _fake([(1, 0.97, None), (2, 0.98, None)])
    verdict = compare.compare(_run(0.90, "torch"), ref, declared)
    text = verdict.text()
    assert not verdict.inside and verdict.other_backend == "torch"
    assert "aucune exécution avec PyTorch, le moteur de calcul de cette exécution" in text
    assert "un autre moteur de calcul de Keras (PyTorch au lieu de TensorFlow" in text
    normal = compare.compare(_run(0.90, "tensorflow"), ref, declared).text()
    assert "autre moteur" not in normal  # out of range on the same backend: not that


def test_an_example_without_keras_is_read_against_the_published_runs_on_any_backend():
    """A NumPy example's versions name the backend of KERAS_HOME (they key the cache),
    but it computed nothing with it: compared with the published runs, and its page names
    no backend."""
    numpy_run = dataclasses.replace(_run(0.905, "jax"), example="gradient-descent")
    assert compare.run_backend(numpy_run) == "" and compare.run_backend(_run(0.9, "jax")) == "jax"
    assert pagehtml.run_setting(numpy_run) == PROCESSOR
    assert pagehtml.run_setting(_run(0.9, "jax")) == f"{PROCESSOR}, avec Keras sur JAX"
    declared = contract.read(_module("mnist"))  # the metrics of _fake's runs
    ref = _fake([(1, 0.97, None), (2, 0.98, None), (3, 0.90, "jax"), (4, 0.91, "jax")])
    verdict = compare.compare(numpy_run, ref, declared)
    assert not verdict.other_backend and not verdict.backend_runs and verdict.seeds == 2
    # Nor is another Keras a cause of a difference for it; it is for a Keras example.
    newer = {"keras": "3.99.0", "backend": "tensorflow"}
    assert compare.compare(dataclasses.replace(numpy_run, versions=newer), ref,
                           declared).version_diff == {}
    assert compare.compare(dataclasses.replace(_run(0.905, "tensorflow"), versions=newer), ref,
                           declared).version_diff == {"keras": ("3.99.0", "3.15.1")}


def test_the_committed_references_hold_runs_of_at_least_two_backends():
    backends = set()
    for spec in registry.EXAMPLES:
        ref = reference.load(spec.name, REFERENCE_DIR)
        if ref is not None:
            backends |= set(ref.backends())
            for backend, setting in ref.others.items():
                assert ref.runs_of(backend), (spec.name, backend)
                assert setting["device"] and setting["versions"]["backend"] == backend
    assert {"tensorflow", "jax"} <= backends


def test_adding_runs_of_another_backend_keeps_the_published_runs():
    from fidle_examples import reference_runs

    published = _fake([(1, 0.97, None), (2, 0.98, None), (3, 0.5, "jax")])
    new = _fake([(1, 0.92, "jax"), (2, 0.93, "jax")])
    new.provenance = {"device": CPU, "versions": {"backend": "jax"}, "date": "d", "code": "c"}
    merged = reference_runs._added(published, new, io.StringIO())
    assert merged.range("test_accuracy") == published.range("test_accuracy")
    assert [r["metrics"]["test_accuracy"] for r in merged.runs_of("jax")] == [0.92, 0.93]
    assert all(r["backend"] == "tensorflow" for r in merged.published_runs())
    assert merged.others["jax"]["code"] == "c"


def test_regenerating_the_published_backend_drops_runs_of_changed_code():
    from fidle_examples import reference_runs

    previous = _fake([(1, 0.97, None), (2, 0.92, "jax")])
    previous.others = {"jax": {"device": CPU, "versions": {"backend": "jax"}, "code": "old"}}
    out = io.StringIO()
    new = reference_runs._kept(previous, _fake([(1, 0.975, None)]), out)
    assert not new.runs_of("jax") and "retirées" in out.getvalue()


# --- the deterministic modes ------------------------------------------------------------

def test_the_deterministic_start_up_settings_keep_existing_flags():
    env = {"XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false"}
    runtime.deterministic_env(env)
    runtime.deterministic_env(env)  # idempotent
    assert env["XLA_FLAGS"] == ("--xla_cpu_multi_thread_eigen=false "
                                "--xla_gpu_deterministic_ops=true")
    assert env["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    mine = {"CUBLAS_WORKSPACE_CONFIG": ":16:8"}
    runtime.deterministic_env(mine)
    assert mine["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"  # a user's own setting wins


def test_tensorflow_op_determinism_is_asked_on_a_gpu_only():
    """On the CPU, one thread per worker already repeats to the bit, and op determinism
    would change the last bits of the published numbers."""
    keras = runtime.import_keras()
    if keras.backend.backend() != "tensorflow":
        pytest.skip("TensorFlow's switch")
    import tensorflow as tf
    from tensorflow.python.framework import config as tf_config

    said = runtime.deterministic_mode("tensorflow")
    gpu = bool(tf.config.list_physical_devices("GPU"))
    assert tf_config.is_op_determinism_enabled() is gpu
    assert ("opérations déterministes" in said) is gpu


# --- claims re-derived from their effect, each one still able to fail ------------------

def _wine(curve):
    return _result("wine", history={"mae": curve})


def test_wine_training_error_keeps_falling_reads_the_trend_not_each_epoch():
    jittery = [1.0 - 0.002 * i + (0.01 if i % 3 == 0 else 0.0) for i in range(100)]
    assert _verdict("wine", "training_error_keeps_falling", _wine(jittery)).holds
    rising_end = jittery[:90] + [jittery[89] + 0.02] * 10  # last ten epochs above
    verdict = _verdict("wine", "training_error_keeps_falling", _wine(rising_end))
    assert not verdict.holds and "remontée après la dizaine 9" in verdict.detail


@pytest.mark.parametrize("ratio, holds", [(1.3, True), (1.2, False)])
def test_batch_size_small_batches_most_agitated_needs_a_quarter_more(ratio, holds):
    reference_run = reference.load("batch-size", REFERENCE_DIR).results()[0]
    history = dict(reference_run.history)
    others = {k: [0.3, 0.31, 0.30, 0.31] for k in ("32", "128", "512", "full")}  # rises 0.02
    history.update({f"{k}:val_loss": c for k, c in others.items()})
    history["8:val_loss"] = [0.3, 0.3 + 0.02 * ratio]
    result = _result("batch-size", reference_run.metrics, history)
    assert _verdict("batch-size", "small_batches_most_agitated", result).holds is holds


@pytest.mark.parametrize("ratio, holds", [(2.2, True), (1.8, False)])
def test_batch_size_small_batches_cost_more_per_epoch_boundary(ratio, holds):
    result = _result("batch-size", _slow_small_batches(ratio))
    assert _verdict("batch-size", "small_batches_cost_more_per_epoch", result).holds is holds


def _backprop(autodiff, finite, bits):
    return _result("backpropagation", {"autodiff_error": autodiff,
                                       "finite_difference_error": finite, "keras_bits": bits})


@pytest.mark.parametrize("autodiff, bits, holds", [
    (1.1e-15, 64, True), (2e-14, 64, False),  # 64 bits (TensorFlow): rounding only
    (4.1e-7, 32, True), (2e-5, 32, False),  # 32 bits (JAX, PyTorch): their rounding
    (1e-2, 32, False),  # a wrong derivative fails whatever the precision
])
def test_backpropagation_same_as_autodiff_at_the_precision_keras_used(autodiff, bits, holds):
    verdict = _verdict("backpropagation", "same_as_autodiff", _backprop(autodiff, 8e-9, bits))
    assert verdict.holds is holds and f"en {bits} bits" in verdict.detail


@pytest.mark.parametrize("autodiff, finite, bits, holds", [
    (1e-15, 8e-9, 64, True), (1e-8, 8e-9, 64, False),  # 64 bits: autodiff is closer
    (4e-7, 8e-9, 32, True),  # 32 bits: Keras's rounding is above the finite differences'
    (4e-7, 2e-6, 32, False), (1e-15, 2e-6, 64, False),  # finite differences too far
])
def test_backpropagation_finite_differences_close(autodiff, finite, bits, holds):
    result = _backprop(autodiff, finite, bits)
    assert _verdict("backpropagation", "finite_differences_close", result).holds is holds


def test_backpropagation_records_the_precision_keras_computed_in():
    module = _module("backpropagation")
    keras = runtime.import_keras()
    expected = 64 if keras.backend.backend() == "tensorflow" else 32
    assert module.keras_float_bits() == expected


# --- the strict build ---------------------------------------------------------------------

def _plugin_with(entry, strict=True):
    from fidle_examples.plugin import FidleExamplesPlugin

    plugin = FidleExamplesPlugin()
    plugin._loaded, plugin._strict, plugin._profile = {"batch-size": entry}, strict, "full"
    return plugin


def test_a_strict_build_notes_a_device_specific_claim_elsewhere_without_failing(caplog):
    ref = reference.load("batch-size", REFERENCE_DIR)
    result = _result("batch-size", _slow_small_batches(1.5), _batch_history(), backend="jax")
    with caplog.at_level("INFO", logger="mkdocs.plugins.fidle_examples"):
        _plugin_with(_entry("batch-size", result, ref))._report_claims()
    noted = [r for r in caplog.records if "small_batches_cost_more_per_epoch" in r.message]
    # INFO: `mkdocs build --strict` fails on any warning.
    assert noted and all(r.levelname == "INFO" for r in noted)


def test_a_strict_build_fails_on_the_same_claim_on_the_reference_setting():
    from mkdocs.exceptions import PluginError

    ref = reference.load("batch-size", REFERENCE_DIR)
    result = _result("batch-size", _slow_small_batches(1.5), _batch_history())
    with pytest.raises(PluginError, match="small_batches_cost_more_per_epoch"):
        _plugin_with(_entry("batch-size", result, ref))._report_claims()


def _logistic(curve):
    return _result("logistic-regression", history={"loss": curve})


def test_logistic_loss_falls_then_plateaus_reads_rates_per_epoch():
    # The PyTorch run of seed 42: drawn near the optimum, little to fall, still fast first.
    near_optimum = [0.2402, 0.2348, 0.2311, 0.2282, 0.2259] + [
        0.2259 - 0.0101 * i / 35 for i in range(1, 36)]
    assert _verdict("logistic-regression", "loss_falls_then_plateaus",
                    _logistic(near_optimum)).holds
    steady = [0.5 - 0.005 * i for i in range(40)]  # the same fall every epoch: no plateau
    verdict = _verdict("logistic-regression", "loss_falls_then_plateaus", _logistic(steady))
    assert not verdict.holds and "pendant les cinq premières" in verdict.detail
    slow_start = [0.30 - 0.001 * i for i in range(5)] + [0.296 - 0.0005 * i for i in range(1, 36)]
    assert not _verdict("logistic-regression", "loss_falls_then_plateaus",
                        _logistic(slow_start)).holds  # 2 times faster only


@pytest.mark.parametrize("largest, holds", [(2.0, True), (0.4, False)])
def test_svm_predicts_slower_as_its_support_vectors_grow(largest, holds):
    run = reference.load("svm-vs-dnn", REFERENCE_DIR).runs[0]
    last = len(reference.load("svm-vs-dnn", REFERENCE_DIR).config["sizes"])
    metrics = {**run["metrics"], "svm_predict_seconds_1": 0.5,
               f"dnn_predict_seconds_{last}": 0.1, f"svm_predict_seconds_{last}": largest}
    result = _result("svm-vs-dnn", metrics, run["history"])
    assert _verdict("svm-vs-dnn", "svm_predicts_slower", result).holds is holds
