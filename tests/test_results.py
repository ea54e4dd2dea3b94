"""Result: saved as JSON + arrays + SVG, read back identically; damaged folders give a
clear error."""

from __future__ import annotations

import json

import pytest

from fidle_examples.core.errors import FidleError
from fidle_examples.core.results import DATA_FILE, RESULT_FILE, Result
from support import fake_result, result_differences


def test_round_trip_is_identical(tmp_path):
    result = fake_result()
    result.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [DATA_FILE, "loss.svg", RESULT_FILE]
    assert result_differences(Result.load(tmp_path), result) == []


def test_json_is_readable_text_with_french_characters(tmp_path):
    fake_result().save(tmp_path)
    text = (tmp_path / RESULT_FILE).read_text(encoding="utf-8")
    assert "« manuscrits »" in text and "cœurs" in text  # not \\u escapes
    data = json.loads(text)
    assert data["figures"] == {"loss": {"title": "Perte par époque", "file": "loss.svg"}}
    assert data["metrics"]["test_accuracy"] == 0.97781  # a plain number; labels: METRICS
    assert "data" not in data and data["arrays"] == ["indices", "scores", "y_pred"]  # npz


def test_non_finite_values_are_stored_as_null(tmp_path):
    result = Result(history={"loss": [1.0, float("nan"), float("inf")]})
    result.save(tmp_path)
    text = (tmp_path / RESULT_FILE).read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    assert Result.load(tmp_path).history["loss"] == [1.0, None, None]


@pytest.mark.parametrize("damage", ["missing json", "bad json", "missing svg", "missing key",
                                    "missing arrays", "truncated arrays"])
def test_damaged_folder_gives_a_french_error(tmp_path, damage):
    fake_result().save(tmp_path)
    path, arrays = tmp_path / RESULT_FILE, tmp_path / DATA_FILE
    if damage == "missing json":
        path.unlink()
    elif damage == "bad json":
        path.write_text(path.read_text(encoding="utf-8")[:-20], encoding="utf-8")
    elif damage == "missing svg":
        (tmp_path / "loss.svg").unlink()
    elif damage == "missing key":
        data = json.loads(path.read_text(encoding="utf-8"))
        del data["metrics"]
        path.write_text(json.dumps(data), encoding="utf-8")
    elif damage == "missing arrays":  # the figures could not be drawn from it
        arrays.unlink()
    else:
        arrays.write_bytes(arrays.read_bytes()[:100])
    with pytest.raises(FidleError, match="illisible ou incomplet.*Supprimez ce dossier"):
        Result.load(tmp_path)
