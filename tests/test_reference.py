"""The committed reference results: every claim holds on every seed, ranges and bands
are read right, bad files are refused clearly, and a run is compared to them."""

from __future__ import annotations

import json

import pytest

from fidle_examples.core import claims, compare, contract, reference, registry
from fidle_examples.core.results import Result
from fidle_examples.plugin import pagehtml
from fidle_examples.build.loading import Loaded
from support import ROOT

REFERENCE_DIR = ROOT / "reference"
WITH_CLAIMS = [s.name for s in registry.EXAMPLES if getattr(s.load(), "CLAIMS", None)]
COURSE = [s.name for s in registry.EXAMPLES if s.kind == registry.COURSE]
MEASURED = [s.name for s in registry.EXAMPLES if s.kind != registry.CHAPTER_FIGURES]


def test_every_trained_example_has_a_committed_reference():
    missing = [n for n in MEASURED if not reference.path_for(n, REFERENCE_DIR).is_file()]
    assert not missing, f"sans référence (make reference) : {missing}"
    for name in COURSE:
        assert len(reference.load(name, REFERENCE_DIR).seeds) >= 5


def test_references_match_their_examples():
    """Same metrics and config as the example declares today (else: make reference)."""
    for name in MEASURED:
        ref = reference.load(name, REFERENCE_DIR)
        module = registry.get(name).load()
        assert ref.profile == "full"
        for run in ref.runs:
            assert set(run["metrics"]) == set(contract.read(module).metrics), name
        full = {k: v for k, v in __import__("dataclasses").asdict(module.PROFILES["full"]).items()
                if k != "seed"}
        assert json.loads(json.dumps(full)) == ref.config, f"{name} : configuration changée"


def test_at_least_ten_claims_back_the_pages():
    total = sum(len(contract.read(registry.get(n).load()).claims) for n in WITH_CLAIMS)
    assert total >= 10
    pages = "".join((ROOT / "docs" / registry.get(n).page).read_text(encoding="utf-8")
                    for n in WITH_CLAIMS)
    for name in WITH_CLAIMS:
        for key in contract.read(registry.get(name).load()).claims:
            assert f"fidle:claim {name}/{key}" in pages.replace("  ", " "), \
                f"{name}/{key} n'appuie aucune phrase d'une page"


@pytest.mark.parametrize("name", WITH_CLAIMS)
def test_every_claim_holds_on_every_reference_seed(name):
    module = registry.get(name).load()
    assert claims.against_reference(module, contract.read(module),
                                    reference.load(name, REFERENCE_DIR)) == []


def test_a_false_claim_fails_the_tests_and_warns_on_the_page(monkeypatch):
    """Flip one claim: the reference check reports it, and the page shows the box."""
    module = registry.get("mnist").load()
    monkeypatch.setattr(module, "claim_validation_gap_widens",
                        lambda result: (False, "écart inversé pour le test"))
    declared = contract.read(module)
    failures = claims.against_reference(module, declared, reference.load("mnist", REFERENCE_DIR))
    assert failures and all("validation_gap_widens" in f for f in failures)
    run = reference.load("mnist", REFERENCE_DIR).results()[0]
    entry = Loaded(run, "k", False, declared, None, claims.evaluate_all(module, declared, run))
    html = pagehtml.claim_box(entry, "validation_gap_widens")
    assert "Cette exécution contredit le texte" in html and "écart inversé" in html
    assert pagehtml.claim_box(entry, "training_loss_keeps_falling") == ""


# --- files ---------------------------------------------------------------------------

def _fake(name="mnist", values=(0.97, 0.975, 0.98)) -> reference.Reference:
    runs = [{"seed": s, "metrics": {"test_accuracy": v, "test_loss": 0.1, "errors": 200,
                                    "parameters": 199210},
             "history": {"loss": [1.0 - s / 10, 0.5], "val_loss": [1.0, 0.6 + s / 100]},
             "duration_s": 1.0} for s, v in enumerate(values, 1)]
    return reference.Reference(name, "full", [1, 2, 3], {"epochs": 20}, runs,
                               {"device": "CPU", "versions": {"keras": "3.15.1"}})


def test_ranges_and_bands(tmp_path):
    path = reference.save(_fake(), tmp_path)
    ref = reference.load("mnist", tmp_path)
    assert ref.range("test_accuracy") == (0.97, 0.975, 0.98)
    low, median, high = ref.band("val_loss")
    assert low == pytest.approx([1.0, 0.61]) and high == pytest.approx([1.0, 0.63])
    assert median == pytest.approx([1.0, 0.62])
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["metrics"]["test_accuracy"] == {"min": 0.97, "median": 0.975, "max": 0.98}


@pytest.mark.parametrize("content, why", [
    ("{ pas du json", "illisible ou corrompue"),
    ('{"format": 1, "example": "wine", "runs": []}', "celui de l'exemple « wine »"),
    ('{"format": 99}', "format"),
])
def test_a_bad_reference_names_the_file_and_the_fix(tmp_path, content, why):
    (tmp_path / "mnist.json").write_text(content, encoding="utf-8")
    with pytest.raises(reference.ReferenceFileError) as error:
        reference.load("mnist", tmp_path)
    assert str(tmp_path / "mnist.json") in str(error.value)
    assert why in str(error.value) and "make reference" in str(error.value)


def test_a_missing_reference_is_none(tmp_path):
    assert reference.load("mnist", tmp_path) is None


def test_saving_keeps_the_previous_file_until_the_new_one_is_whole(tmp_path, monkeypatch):
    reference.save(_fake(), tmp_path)
    before = (tmp_path / "mnist.json").read_bytes()
    broken = _fake()
    broken.provenance = {"not json": object()}
    with pytest.raises(TypeError):
        reference.save(broken, tmp_path)
    assert (tmp_path / "mnist.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist.json"]


# --- « mon exécution est-elle normale ? » ----------------------------------------------

def _run(accuracy, **config) -> Result:
    return Result(metrics={"test_accuracy": accuracy, "test_loss": 0.1, "errors": 200,
                           "parameters": 199210}, example="mnist", profile="full",
                  config={"epochs": 20, "seed": 42, **config}, device="CPU",
                  versions={"keras": "3.15.1"})


def test_a_run_inside_the_range_is_normal():
    declared = contract.read(registry.get("mnist").load())
    verdict = compare.compare(_run(0.975), _fake(), declared)
    assert verdict.inside and "exécution normale" in verdict.text()


def test_a_shorter_run_is_below_the_range_with_its_likely_cause():
    declared = contract.read(registry.get("mnist").load())
    verdict = compare.compare(_run(0.90, epochs=1), _fake(), declared)
    text = verdict.text()
    assert not verdict.inside
    assert "EN DESSOUS de la plage" in text
    assert "la configuration diffère" in text and "--epochs = 1 ici, 20 dans la référence" in text
    assert "moins d'époques (1 au lieu de 20)" in text


@pytest.mark.parametrize("accuracy, loss, expected", [
    (0.975, 0.1, "chaque mesure de cette exécution est dans la plage des 3 graines de "
                 "référence"),
    (0.96, 0.1, "une mesure est hors de la plage des 3 graines de référence (Exactitude"),
    (0.99, 0.5, "2 mesures sont hors de la plage des 3 graines de référence (Exactitude"),
])
def test_the_provenance_box_says_which_measures_leave_the_range(accuracy, loss, expected):
    """The box's verdict, on both sides of the range; no colon in it (the box's label has
    one: « Par rapport à la référence : »)."""
    declared = contract.read(registry.get("mnist").load())
    run = _run(accuracy)
    run.metrics["test_loss"] = loss
    verdict = pagehtml.reference_verdict(Loaded(run, "k", False, declared, _fake()))
    assert verdict.startswith(expected)
    assert ":" not in verdict
    if accuracy != 0.975:
        # Same backend as the reference: the backend is not a possible cause.
        assert verdict.endswith(")\u00a0; écart qui peut venir d'un autre matériel, d'autres "
                                "versions des bibliothèques ou d'une modification du code de "
                                "l'exemple")
        listed = verdict.split("référence (")[1].split(")")[0]
        assert ("\u00a0; " in listed) == (loss != 0.1)  # two measures, separated


def test_a_measure_that_is_not_a_number_is_out_of_the_range():
    """The box and the CLI agree: a NaN is not « dans la plage »."""
    declared = contract.read(registry.get("mnist").load())
    run = _run(float("nan"))
    assert not compare.compare(run, _fake(), declared).inside
    assert pagehtml.reference_verdict(Loaded(run, "k", False, declared, _fake())).startswith(
        "une mesure est hors de la plage des 3 graines de référence (Exactitude")


def test_another_backend_is_a_possible_cause_only_when_it_differs():
    declared = contract.read(registry.get("mnist").load())
    run = _run(0.96)
    run.versions = {"keras": "3.15.1", "backend": "jax"}
    verdict = pagehtml.reference_verdict(Loaded(run, "k", False, declared, _fake()))
    assert "(cette exécution utilise JAX)" in verdict
    assert verdict.endswith("d'autres versions des bibliothèques, d'un autre moteur de calcul "
                            "ou d'une modification du code de l'exemple")


def _slowed(name: str, factor: float, shifted: dict[str, float]):
    """The reference's first run, its durations times `factor`, `shifted` metrics moved."""
    import dataclasses

    ref = reference.load(name, REFERENCE_DIR)
    run = ref.results()[0]
    declared = contract.read(registry.get(name).load())
    metrics = {k: v * factor if not compare.compared(declared.metrics[k]) else v
               for k, v in run.metrics.items()}
    for key, shift in shifted.items():
        metrics[key] = run.metrics[key] + shift
    return dataclasses.replace(run, metrics=metrics), ref, declared


@pytest.mark.parametrize("name, durations, shifted, out", [
    ("batch-size", 5, {}, ""), ("batch-size", 10, {}, ""), ("batch-size", 0.1, {}, ""),
    ("batch-size", 10, {"val_accuracy_8": -0.2},
     "Exactitude de validation finale, lots de 8"),
    ("svm-vs-dnn", 10, {}, ""), ("svm-vs-dnn", 0.1, {}, ""),
    ("svm-vs-dnn", 0.1, {"svm_accuracy_5": -0.3}, "Exactitude du SVM, 10\u202f000 images"),
])
def test_durations_are_shown_but_never_held_against_the_run(name, durations, shifted, out):
    """A duration measures the machine and its load: ten times slower or faster than the
    reference, the run is still normal; a result out of range is not, durations or not."""
    run, ref, declared = _slowed(name, durations, shifted)
    timed = [m.label_for(run.config) for m in declared.metrics.values()
             if not compare.compared(m)]
    assert timed  # both experiments measure durations
    verdict = compare.compare(run, ref, declared)
    assert verdict.inside is (not out)
    text = verdict.text()
    assert text.count("non comparée (durée)") == len(timed)
    aside = "(durées mises à part, car elles dépendent de la machine et de sa charge)."
    assert (f"Verdict : exécution normale, chaque mesure est dans la plage des graines de "
            f"référence {aside}" in text) is (not out)
    assert (f"Verdict : au moins une mesure sort de la plage des graines de référence "
            f"{aside[:-1]}. Causes possibles :" in text) is bool(out)
    box = pagehtml.reference_verdict(Loaded(run, "k", False, declared, ref))
    assert box.startswith("durées mises à part (elles dépendent de la machine et de sa "
                          "charge), ")
    assert box.endswith("est dans la plage des 3 graines de référence") is (not out)
    if out:
        assert f"une mesure est hors de la plage des 3 graines de référence ({out})" in box
    assert not any(label in box for label in timed)


def test_the_fallback_cause_names_the_reference_seeds():
    declared = contract.read(registry.get("mnist").load())
    text = compare.compare(_run(0.90), _fake(), declared).text()
    assert "relancez avec --seed 1, 2 ou 3 pour comparer" in text
    assert "modification du code de l'exemple" in text


def _doctored(name: str, metrics: dict | None = None, config: dict | None = None):
    import dataclasses

    run = reference.load(name, REFERENCE_DIR).results()[0]
    return dataclasses.replace(run, metrics={**run.metrics, **(metrics or {})},
                               config={**run.config, **(config or {})})


@pytest.mark.parametrize("name, key, metrics, config", [
    ("batch-size", "small_batches_cost_more_per_epoch",
     {"epoch_seconds_8": 0.5, "epoch_seconds_512": 0.4}, None),
    ("batch-size", "mini_batches_close_in_accuracy",
     {"val_accuracy_8": 0.95, "val_accuracy_128": 0.92}, None),
    ("randomness", "training_seed_moves_accuracy", {"init_min": 0.93, "init_max": 0.95}, None),
    ("logistic-regression", "accuracy_near_ceiling", None, {"spread": 2.0}),
    ("mnist", "not_better_than_svm", {"test_accuracy": 0.987}, None),
])
def test_the_adjusted_claims_can_fail(name, key, metrics, config):
    """Each claim re-derived from the reference seeds is false on a doctored result."""
    module = registry.get(name).load()
    holds = getattr(module, f"claim_{key}")(_doctored(name, metrics, config))
    assert not (holds[0] if isinstance(holds, tuple) else holds)
