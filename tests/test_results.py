"""Result: saved as JSON + SVG, read back identically; damaged folders give a clear error."""

from __future__ import annotations

import json

import pytest

from fidle_examples.core.errors import FidleError
from fidle_examples.core.results import RESULT_FILE, Figure, Metric, Result

SVG = '<svg xmlns="http://www.w3.org/2000/svg"><text>époque</text></svg>'


def _result() -> Result:
    result = Result(history={"loss": [0.5, 0.25, 0.125], "val_loss": [0.6, 0.3, 0.2]},
                    extra={"degrees": [1, 2], "nested": {"a": [0.1, 2.5]}, "mot": "été"},
                    example="mnist", title="Chiffres « manuscrits »", profile="quick",
                    config={"epochs": 3, "validation_fraction": 1 / 6}, seed=7,
                    duration_s=1.25, device="CPU (2 cœurs)", versions={"keras": "3.15.1"},
                    date="2026-01-01T00:00:00+00:00")
    result.add_metric("test_accuracy", "Exactitude", 0.9781, "percent", 2)
    result.add_metric("errors", "Erreurs", 219, "integer")
    result.add_figure("loss", "Perte par époque", SVG)
    return result


def test_round_trip_is_identical(tmp_path):
    result = _result()
    result.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loss.svg", RESULT_FILE]
    assert Result.load(tmp_path) == result


def test_json_is_readable_text_with_french_characters(tmp_path):
    _result().save(tmp_path)
    text = (tmp_path / RESULT_FILE).read_text(encoding="utf-8")
    assert "« manuscrits »" in text and "cœurs" in text  # not \\u escapes
    data = json.loads(text)
    assert data["figures"] == {"loss": {"title": "Perte par époque", "file": "loss.svg"}}
    assert data["metrics"]["test_accuracy"] == {
        "label": "Exactitude", "value": 0.9781, "kind": "percent", "digits": 2}


def test_non_finite_values_are_stored_as_null(tmp_path):
    result = Result(history={"loss": [1.0, float("nan"), float("inf")]})
    result.save(tmp_path)
    text = (tmp_path / RESULT_FILE).read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    assert Result.load(tmp_path).history["loss"] == [1.0, None, None]


def test_metric_formatting_is_french():
    assert Metric("Exactitude", 0.9781, "percent", 2).formatted() == "97,81\u202f%"
    assert Metric("Erreurs", 1234, "integer").formatted() == "1\u202f234"
    assert Metric("MAE", 0.5371).formatted() == "0,537"


@pytest.mark.parametrize("damage", ["missing json", "bad json", "missing svg", "missing key"])
def test_damaged_folder_gives_a_french_error(tmp_path, damage):
    _result().save(tmp_path)
    path = tmp_path / RESULT_FILE
    if damage == "missing json":
        path.unlink()
    elif damage == "bad json":
        path.write_text(path.read_text(encoding="utf-8")[:-20], encoding="utf-8")
    elif damage == "missing svg":
        (tmp_path / "loss.svg").unlink()
    else:
        data = json.loads(path.read_text(encoding="utf-8"))
        del data["metrics"]
        path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(FidleError, match="illisible ou incomplet.*Supprimez ce dossier"):
        Result.load(tmp_path)


def test_figures_compare_by_content():
    assert Figure("loss", "Perte", SVG) == Figure("loss", "Perte", SVG)
    assert Figure("loss", "Perte", SVG) != Figure("loss", "Perte", SVG.replace("é", "e"))
