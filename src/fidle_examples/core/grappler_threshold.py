"""Grappler, TensorFlow's graph optimizer, told to leave graphs of fewer than
MIN_GRAPH_NODES nodes as they are, in the pool's CPU training processes only (site
build, `mkdocs serve`, `fidle-examples reference`).

With NumPy arrays, Keras's TensorFlow backend feeds each epoch through new tf.data
iterators (406 for the 100 epochs of WINE1, validation included), and each new
iterator had Grappler optimize the pipeline's small functions again (permutation,
batch slicing, gathering: 5 to 15 nodes): about 10 ms per iterator here. Graphs under
MIN_GRAPH_NODES skipped, an iterator costs about 3 ms. The graphs of the models (a
training, evaluation or prediction step: 71 nodes and more; the initialisation of
their variables: 34 nodes and more, 5 or 6 for the smallest models) are above the
threshold but those smallest initialisations, and stay optimized as before: every
history and metric of every Keras example stayed the same, to the bit, on the full
profile (tests/test_cpu_tuning.py compares a logistic regression with and
without). Turning Grappler off altogether saves a little more but changed the last
bit of four losses of the logistic regression. GPU workers keep the default: it was
not measured there.

Installed by `install()`, called by the pool's worker before a Keras job (never at
import: a learner's notebook or `fidle-examples run` keeps TensorFlow as it is).
"""

from __future__ import annotations

# Above the tf.data functions Keras makes from arrays (at most 15 nodes), below every
# model graph (34 nodes and more).
MIN_GRAPH_NODES = 20


def _optimizer():
    """tf.config.optimizer, or None (Keras on another backend: nothing to set)."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    return tf.config.optimizer


def installed() -> bool:
    optimizer = _optimizer()
    return (optimizer is not None
            and optimizer.get_experimental_options().get("min_graph_nodes") == MIN_GRAPH_NODES)


def install() -> bool:
    """Set the threshold for this process (calling again changes nothing); True when in
    effect, False on another backend (nothing set)."""
    optimizer = _optimizer()
    if optimizer is None:
        return False
    optimizer.set_experimental_options({"min_graph_nodes": MIN_GRAPH_NODES})
    return True
