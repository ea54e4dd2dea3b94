"""The CPU tuning of the build's training workers (worker.ENV_CPU_TUNING), issue #23,
« a cold build under a hundred seconds »: every number stays the same, to the bit.

- core.tfdata_autotune turns tf.data's autotuning off for the arrays Keras feeds to
  TensorFlow (two trainings side by side then keep their cores busy);
- core.grappler_threshold has Grappler skip graphs under MIN_GRAPH_NODES nodes, so that
  each epoch's new tf.data iterator is not optimized again."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

keras = pytest.importorskip("keras")
if keras.backend.backend() != "tensorflow":
    pytest.skip("the tuning is for Keras's TensorFlow backend", allow_module_level=True)

import tensorflow as tf  # noqa: E402
from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter  # noqa: E402

from fidle_examples.core import grappler_threshold, tfdata_autotune  # noqa: E402

X = np.random.default_rng(0).normal(size=(96, 5)).astype("float32")
Y = (X[:, 0] - X[:, 2] > 0).astype("int32")


# --- tf.data's autotuning -------------------------------------------------------------

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


def train_small_network():
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
    history, weights, predictions = train_small_network()
    tfdata_autotune.install()
    history_off, weights_off, predictions_off = train_small_network()
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


# --- Grappler's threshold ------------------------------------------------------------

@pytest.fixture
def settable():
    """The threshold is set for the whole process: put the default back after the test
    (0: Grappler's own minimum)."""
    yield
    tf.config.optimizer.set_experimental_options({"min_graph_nodes": 0})


def test_the_threshold_is_not_set_once_tensorflow_runs(settable):
    """Set after TensorFlow's first operation, the threshold would not reach the tf.data
    functions any more: install() then sets nothing and says so."""
    tf.constant(1.0) + 1  # TensorFlow's runtime has started (it may have already)
    assert grappler_threshold.install() is False
    assert not grappler_threshold.installed()
    assert "min_graph_nodes" not in tf.config.optimizer.get_experimental_options()


def test_set_first_the_threshold_reaches_the_tf_data_functions():
    """In a fresh process, as in a worker: install() before any operation, then Keras's
    pipeline is iterated; Grappler's own log says it skipped its functions because of
    the threshold (the message names it: it cannot come from the default)."""
    script = (
        "import numpy as np\n"
        "from fidle_examples.core import grappler_threshold as g\n"
        "assert g.install() is True and g.install() is True and g.installed()\n"
        "from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter\n"
        "x = np.zeros((50, 3), 'float32')\n"
        "next(iter(ArrayDataAdapter(x, x[:, 0], batch_size=8, shuffle=True)"
        ".get_tf_dataset()))\n")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0", "TF_CPP_VMODULE": "meta_optimizer=3",
           "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    skipped = done.stderr.count("Skipping optimization, graph has less than "
                                f"{grappler_threshold.MIN_GRAPH_NODES} nodes")
    assert skipped >= 3, done.stderr[-2000:]  # permutation, batch slicing, gathering


@pytest.mark.parametrize("shuffle", [True, False])
def test_every_function_of_the_keras_data_pipeline_is_under_the_threshold(shuffle):
    """What the threshold is for: each function of the pipeline Keras makes from arrays
    (here with a last, partial batch: the largest) has fewer nodes, arguments and
    results counted as Grappler counts them, than MIN_GRAPH_NODES. A Keras or
    TensorFlow whose pipeline grew past it would make the build slower again."""
    dataset = ArrayDataAdapter(X, Y, batch_size=20, shuffle=shuffle).get_tf_dataset()
    graph = tf.compat.v1.GraphDef()
    graph.ParseFromString(dataset._as_serialized_graph().numpy())
    sizes = {f.signature.name: len(f.node_def) + len(f.signature.input_arg)
             + len(f.signature.output_arg) for f in graph.library.function}
    assert len(sizes) >= 3  # permutation, batch slicing, gathering
    assert max(sizes.values()) < grappler_threshold.MIN_GRAPH_NODES, sizes


def train_logistic_regression():
    """A logistic regression as the course's (sigmoid neuron, SGD, binary cross-entropy,
    16 batches per call): its numbers move when Grappler skips its model graphs too
    (this test fails with a threshold of 100 000)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 2)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(size=600) > 0).astype("float32")
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input(shape=(2,)),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                  loss="binary_crossentropy", metrics=["accuracy"], steps_per_execution=16)
    history = model.fit(x[:480], y[:480], epochs=20, batch_size=32,
                        validation_data=(x[480:], y[480:]), verbose=0).history
    return history, model.get_weights(), model.predict(x, verbose=0)


def test_the_model_graphs_keep_their_numbers_under_the_threshold(settable):
    """The step graphs of a model stay above the threshold (only its variables'
    initialisation, 5 or 6 nodes, is skipped): set here after TensorFlow has started,
    the threshold reaches every model graph traced afterwards, and nothing moves."""
    history, weights, predictions = train_logistic_regression()
    tf.config.optimizer.set_experimental_options(
        {"min_graph_nodes": grappler_threshold.MIN_GRAPH_NODES})
    history_with, weights_with, predictions_with = train_logistic_regression()
    assert history_with == history
    assert all(np.array_equal(a, b) for a, b in zip(weights_with, weights, strict=True))
    assert np.array_equal(predictions_with, predictions)


def test_no_threshold_is_set_on_another_backend(settable, monkeypatch):
    """Keras's backend is chosen at import, and another one may not be installed: Keras
    is told here that it runs on JAX."""
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    assert grappler_threshold.install() is False
    assert not grappler_threshold.installed()
    monkeypatch.undo()
    assert "min_graph_nodes" not in tf.config.optimizer.get_experimental_options()


# --- the worker -------------------------------------------------------------------------

@pytest.mark.parametrize("example, flag, tuned", [
    ("wine", "1", True),  # a Keras example on a CPU worker
    ("wine", None, False),  # a GPU worker, or a training outside the pool
    ("polynomial-regression", "1", False),  # NumPy only: nothing of Keras to tune
])
def test_the_worker_tunes_keras_jobs_on_cpu_workers_only(patchable, settable, monkeypatch,
                                                         example, flag, tuned):
    from fidle_examples.build import worker
    from fidle_examples.core import registry

    monkeypatch.setattr(grappler_threshold, "_started", lambda: False)  # as in a worker
    if flag is None:
        monkeypatch.delenv(worker.ENV_CPU_TUNING, raising=False)
    else:
        monkeypatch.setenv(worker.ENV_CPU_TUNING, flag)
    assert worker.tune_for_cpu(registry.get(example)) is tuned
    assert tfdata_autotune.installed() is tuned
    assert grappler_threshold.installed() is tuned
