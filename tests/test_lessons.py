"""The points the pages teach hold in the code: each test fails when the lesson is
broken (validation on the test set, statistics from every set, no best checkpoint)."""

from __future__ import annotations

import numpy as np
import pytest

from fidle_examples.core import registry, runner


class _Stop(Exception):
    """Raised by the patched fit(): what it received is all we need."""


@pytest.fixture
def captured_fit(monkeypatch):
    """Replace keras.Model.fit: record its arguments, then stop the run."""
    import keras

    seen = {}

    def fit(self, x=None, y=None, **kwargs):
        seen.update(x=np.asarray(x), y=y, **kwargs)
        raise _Stop

    monkeypatch.setattr(keras.Model, "fit", fit)
    return seen


@pytest.mark.trains
def test_mnist_validates_on_training_images_never_on_the_test_set(monkeypatch, captured_fit):
    """Training images are ≤ 100, test images ≥ 200: a leak shows in the pixel values."""
    module = registry.get("mnist").load()
    rng = np.random.default_rng(0)
    train = (rng.integers(0, 101, (600, 28, 28)).astype("uint8"), rng.integers(0, 10, 600))
    test = (rng.integers(200, 256, (100, 28, 28)).astype("uint8"), rng.integers(0, 10, 100))
    monkeypatch.setattr(module, "load_mnist", lambda: (train, test))
    with pytest.raises(_Stop):
        runner.run_example("mnist", "quick", {"train_size": 600}, verbose=0)
    x_val, _ = captured_fit["validation_data"]
    assert np.asarray(x_val).max() <= 100 / 255, "validation images come from the test set"
    assert captured_fit["x"].max() <= 100 / 255
    n_val = round(600 * module.PROFILES["quick"].validation_fraction)
    assert len(x_val) == n_val and len(captured_fit["x"]) == 600 - n_val


@pytest.mark.trains
def test_wine_standardises_with_the_training_statistics_only(monkeypatch, captured_fit):
    """The training rows have mean 0 and deviation 1 already; the others are huge: with
    statistics of every row, the training inputs would move."""
    module = registry.get("wine").load()
    n, features = 200, 11
    train, val, test = np.arange(0, 140), np.arange(140, 170), np.arange(170, 200)
    rng = np.random.default_rng(1)
    x = np.empty((n, features))
    block = rng.standard_normal((len(train), features))
    x[train] = (block - block.mean(axis=0)) / block.std(axis=0)
    x[np.r_[val, test]] = 1000 + rng.standard_normal((len(val) + len(test), features))
    y = rng.integers(3, 9, n).astype(float)
    monkeypatch.setattr(module, "load_wine_quality",
                        lambda: (x, y, [f"m{i}" for i in range(features)]))
    monkeypatch.setattr(module, "split_indices", lambda *args: (train, val, test))
    with pytest.raises(_Stop):
        runner.run_example("wine", "quick", verbose=0)
    np.testing.assert_allclose(captured_fit["x"], x[train], atol=1e-9)
    x_val, _ = captured_fit["validation_data"]
    assert np.asarray(x_val).min() > 500  # scaled by the training statistics: still far


@pytest.mark.trains
def test_wine_reports_the_best_epoch_not_the_last():
    # A larger step than the default: the validation error stops improving before the
    # last epoch (25th of 30 here), so reloading the best model is visible.
    result = runner.run_example("wine", "quick", {"learning_rate": 0.01}, verbose=0)
    val_mae = result.history["val_mae"]
    best = int(np.argmin(val_mae))
    assert result.metrics["best_epoch"] == best + 1
    # The reloaded checkpoint is that epoch's model: its validation error is the minimum.
    assert result.metrics["val_mae"] == pytest.approx(val_mae[best], rel=1e-5)
    assert best + 1 < len(val_mae), "the quick run must not end on its best epoch"
    assert val_mae[-1] > val_mae[best]  # so the last epoch would have given another model


def test_splits_are_disjoint_and_cover_the_data():
    from fidle_examples.core.datasets import split_indices

    train, val, test = split_indices(1000, 0.2, 0.1, np.random.default_rng(0))
    assert len(train) + len(val) + len(test) == 1000
    assert len(set(train) | set(val) | set(test)) == 1000
