"""tf.data's autotuning turned off for the NumPy arrays Keras feeds to TensorFlow, in the
pool's CPU training processes only (site build, `mkdocs serve`, `fidle-examples
reference`).

With NumPy arrays, Keras's TensorFlow backend builds a tf.data pipeline whose prefetch
buffer and parallel batch gathering are autotuned: an optimisation loop, in a thread of
its own, keeps adjusting them. Off, both stay, at fixed values. Measured here on 2
cores, with one TensorFlow thread per process as in the pool: two whole runs of the
overfitting question at once took 52 and 55 s (75 to 80 % of a core each), against
37 s for one alone (97 %), and 37 s each at once with autotuning off (96 %). A process
that effectively has one core (two trainings on two cores, or pinned with taskset)
left it idle a fifth to a quarter of the time, and used more processor time; why
exactly (probably a training thread waiting for a batch its producer had no core to
make) was not established. A process alone, free to use both cores, is not slowed.
The order of the data and every number stay the same, to the bit (tf.data keeps its
order whatever its threads; tests/test_cpu_tuning.py compares a training with
and without). GPU workers keep autotuning: it was not measured there.

Installed by `install()`, called by the pool's worker before a Keras job (never at
import: a learner's notebook or `fidle-examples run` keeps Keras as it is). It wraps a
method of Keras's internal data adapter: on a Keras where it is missing, nothing is
patched, and the build is only slower.
"""

from __future__ import annotations


def _adapter():
    """Keras's adapter of NumPy arrays, or None (another Keras, or not TensorFlow)."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return None  # JAX and PyTorch read NumPy arrays without tf.data
    try:
        from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
    except ImportError:
        return None
    return ArrayDataAdapter if hasattr(ArrayDataAdapter, "get_tf_dataset") else None


def _patched(adapter) -> bool:
    return getattr(adapter.get_tf_dataset, "stock", None) is not None


def installed() -> bool:
    adapter = _adapter()
    return adapter is not None and _patched(adapter)


def install() -> bool:
    """Turn tf.data's autotuning off for the datasets Keras makes from arrays (calling
    again changes nothing); True when in effect, False when there is nothing to patch."""
    adapter = _adapter()
    if adapter is None:
        return False
    if _patched(adapter):
        return True
    stock = adapter.get_tf_dataset

    def get_tf_dataset(self):
        import tensorflow as tf

        options = tf.data.Options()
        options.autotune.enabled = False
        return stock(self).with_options(options)

    get_tf_dataset.stock = stock
    adapter.get_tf_dataset = get_tf_dataset
    return True
