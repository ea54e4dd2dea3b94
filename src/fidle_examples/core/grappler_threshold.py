"""Grappler, TensorFlow's graph optimizer, told to leave graphs of fewer than
MIN_GRAPH_NODES nodes as they are, in the pool's CPU training processes only (site
build, `mkdocs serve`, `fidle-examples reference`).

With NumPy arrays, Keras's TensorFlow backend feeds each epoch through new tf.data
iterators (406 for the 100 epochs of WINE1, validation included), and each new
iterator had Grappler optimize the pipeline's small functions again (permutation,
batch slicing, gathering: 5 to 15 nodes). Creating an iterator took about 10 ms here,
about 3 ms with the threshold. Node counts from Grappler's logs (quick profile,
TensorFlow 2.21, Keras 3.15): the step graphs of every model (training, evaluation,
prediction) have 71 nodes and more, and stay optimized as before, as does the
initialisation of the MNIST networks' variables (34 to 54 nodes); only those of the
two smallest models (wine, logistic regression: 5 or 6 nodes) are skipped, with the
pipeline. None of the skipped graphs computes with floats: they order, slice and
gather rows, or assign initial values. Every history and metric of every Keras
example stayed the same, to the bit, on the full profile (one run of each, with and
without, on the measuring machine); tests/test_cpu_tuning.py checks that a logistic
regression's numbers do not move with the threshold on its model graphs, and, in a
fresh process, that Grappler skips the pipeline's functions. Turning Grappler off
altogether made an iterator hardly cheaper (2.9 ms) and changed the last bit of four
losses of the logistic regression. GPU workers keep the default: it was not measured
there.

The threshold must be set before TensorFlow runs its first operation: tf.data's
functions are instantiated with the configuration the runtime started with (later,
only `tf.function` calls see it). install() is called by the pool's worker before its
first Keras job (never at import: a learner's notebook or `fidle-examples run` keeps
TensorFlow as it is).
"""

from __future__ import annotations

# Above the tf.data functions Keras makes from arrays (at most 15 nodes), below the
# step graphs of every model (71 nodes and more).
MIN_GRAPH_NODES = 20


def _tensorflow():
    """tensorflow, or None (Keras on another backend: nothing to set)."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    return tf


def _started() -> bool:
    """Whether TensorFlow's runtime has started (it does at its first operation)."""
    from tensorflow.python.eager import context

    return bool(getattr(context.context(), "_initialized", True))


def installed() -> bool:
    tf = _tensorflow()
    return (tf is not None and tf.config.optimizer.get_experimental_options()
            .get("min_graph_nodes") == MIN_GRAPH_NODES)


def install() -> bool:
    """Set the threshold for this process; True when in effect (also when it already
    was). False, and nothing set, on another backend or once TensorFlow's runtime has
    started: it would no longer reach the tf.data functions."""
    tf = _tensorflow()
    if tf is None:
        return False
    if installed():
        return True
    if _started():
        return False
    tf.config.optimizer.set_experimental_options({"min_graph_nodes": MIN_GRAPH_NODES})
    return True
