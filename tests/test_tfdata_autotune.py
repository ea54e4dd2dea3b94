"""core.tfdata_autotune: the build's workers turn tf.data's autotuning off for the arrays
Keras feeds to TensorFlow (two trainings side by side then keep their cores busy), and
every number stays the same, to the bit (issue #23, « a cold build under a hundred
seconds »)."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
if keras.backend.backend() != "tensorflow":
    pytest.skip("the patch is for Keras's TensorFlow backend", allow_module_level=True)

from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter  # noqa: E402

from fidle_examples.core import tfdata_autotune  # noqa: E402

X = np.random.default_rng(0).normal(size=(96, 5)).astype("float32")
Y = (X[:, 0] - X[:, 2] > 0).astype("int32")


@pytest.fixture
def patchable(monkeypatch):
    """install() patches a class for the whole process: put Keras back after the test."""
    monkeypatch.setattr(ArrayDataAdapter, "get_tf_dataset", ArrayDataAdapter.get_tf_dataset)


def autotune_of_keras_dataset():
    dataset = ArrayDataAdapter(X, Y, batch_size=16, shuffle=True).get_tf_dataset()
    return dataset.options().autotune.enabled


def test_autotuning_is_off_once_installed_and_installing_twice_wraps_once(patchable):
    assert not tfdata_autotune.installed()
    assert autotune_of_keras_dataset() is not False  # tf.data's default: on
    assert tfdata_autotune.install() is True
    stock = ArrayDataAdapter.get_tf_dataset.stock
    assert tfdata_autotune.install() is True
    assert ArrayDataAdapter.get_tf_dataset.stock is stock  # not a wrapper of a wrapper
    assert tfdata_autotune.installed()
    assert autotune_of_keras_dataset() is False


def train():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.3),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], steps_per_execution=2)
    history = model.fit(X[:64], Y[:64], epochs=3, batch_size=16, shuffle=True,
                        validation_data=(X[64:], Y[64:]), verbose=0).history
    return history, model.get_weights(), model.predict(X, verbose=0)


def test_a_training_gives_the_same_numbers_with_autotuning_off(patchable):
    history, weights, predictions = train()
    tfdata_autotune.install()
    history_off, weights_off, predictions_off = train()
    assert history_off == history
    assert all(np.array_equal(a, b) for a, b in zip(weights_off, weights, strict=True))
    assert np.array_equal(predictions_off, predictions)


def test_nothing_is_patched_on_another_backend(patchable, monkeypatch):
    """JAX and PyTorch read arrays without tf.data: install() must leave Keras alone
    there. (Keras's backend is chosen at import, and another one may not be installed:
    Keras is told here that it runs on JAX.)"""
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    assert tfdata_autotune.install() is False
    assert not tfdata_autotune.installed()
    monkeypatch.undo()
    assert not tfdata_autotune.installed()  # nothing was patched meanwhile
    assert autotune_of_keras_dataset() is not False
