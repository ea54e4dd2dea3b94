"""tf.data's autotuning turned off for the NumPy arrays Keras feeds to TensorFlow, in the
site build's training processes only.

Why: a build trains on one process per core, each with one thread of TensorFlow
(build/pool.py). With NumPy arrays, Keras's TensorFlow backend builds a tf.data pipeline
whose prefetch and batch slicing are autotuned, and the autotuning threads wait on
timers: a process that must keep all its threads on one core then leaves that core
idle about a fifth of the time. Measured here on 2 cores: two trainings of the
overfitting question at once took 52 and 55 s each (75 to 80 % of a core), against
37 s each with autotuning off (96 %), and 37 s for one alone. The order of the data
and every number stay the same, to the bit: tf.data keeps its order whatever its
threads (deterministic by default), and tests/test_tfdata_autotune.py compares a
training with and without.

Installed by `install()`, called by the build's worker before a Keras job (never at
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


def installed() -> bool:
    adapter = _adapter()
    return adapter is not None and getattr(adapter.get_tf_dataset, "stock", None) is not None


def install() -> bool:
    """Turn tf.data's autotuning off for the datasets Keras makes from arrays (calling
    again changes nothing); True when in effect, False when there is nothing to patch."""
    adapter = _adapter()
    if adapter is None:
        return False
    if installed():
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
