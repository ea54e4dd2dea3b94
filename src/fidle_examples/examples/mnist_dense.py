"""Lesson code shared by the experiments on MNIST: subsets of the images and the
dense network of MNIST1.

Not an example (no NAME, no run()): the randomness, batch size, overfitting and SVM
experiments train this network on these subsets, and the randomness page shows these
sections.
"""

from __future__ import annotations

import numpy as np

from fidle_examples.core.datasets import load_mnist


# --8<-- [start:data]
def mnist_subsets(train_size: int, validation_fraction: float, rng: np.random.Generator):
    """(x, y) for training, validation and test, pixels scaled to [0, 1].

    `train_size` images are drawn at random among the 60 000 training images, then
    split into training and validation; the 10 000 test images are always the same.
    """
    (x_all, y_all), (x_test, y_test) = load_mnist()
    drawn = rng.permutation(len(x_all))[:train_size]  # which images: a random draw
    n_val = round(train_size * validation_fraction)
    val, train = drawn[:n_val], drawn[n_val:]

    def scale(x):
        return x.astype("float32") / 255

    return ((scale(x_all[train]), y_all[train]), (scale(x_all[val]), y_all[val]),
            (scale(x_test), y_test))
# --8<-- [end:data]


# --8<-- [start:model]
def dense_network(hidden_units: int = 100, input_shape=(28, 28)):
    """The MNIST1 network: 784 pixels, two hidden layers, 10 probabilities."""
    import keras

    model = keras.Sequential([
        keras.Input(shape=input_shape),
        keras.layers.Flatten(),
        keras.layers.Dense(hidden_units, activation="relu"),
        keras.layers.Dense(hidden_units, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"],
                  # 16 batches per call: the same result, less fixed cost per step
                  # (the PyTorch backend of Keras only accepts 1).
                  steps_per_execution=1 if keras.backend.backend() == "torch" else 16)
    return model
# --8<-- [end:model]
