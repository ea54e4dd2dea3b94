"""MNIST1 as a plain Keras script would write it: the same model, data, split and seed
as fidle_examples.examples.mnist, with no package around it (no RunContext, no
callbacks, no Result, no figures). The reference for the package's overhead; with
steps_per_execution=1, the state before the optimisation of issue 14."""

from __future__ import annotations

import time

from bench.step_profile import mnist_steps_per_execution


def prepare(config, steps_per_execution: int | None = None):
    """Seeded split of MNIST1 (training, validation, test) and its compiled model, as
    examples/mnist.py makes them (steps_per_execution: the example's by default)."""
    import keras
    import numpy as np

    keras.utils.set_random_seed(config.seed)  # also seeds Python and NumPy
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train[: config.train_size].astype("float32") / 255
    y_train = y_train[: config.train_size]
    x_test = x_test.astype("float32") / 255
    n_val = round(len(x_train) * config.validation_fraction)
    order = np.random.permutation(len(x_train))
    x_val, y_val = x_train[order[:n_val]], y_train[order[:n_val]]
    x_train, y_train = x_train[order[n_val:]], y_train[order[n_val:]]

    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(config.hidden_units, activation="relu"),
        keras.layers.Dense(config.hidden_units, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"],
                  steps_per_execution=steps_per_execution or mnist_steps_per_execution())
    return (x_train, y_train), (x_val, y_val), (x_test, y_test), model


def run(config, verbose: int = 0, steps_per_execution: int | None = None,
        on_epoch=None) -> dict:
    """`on_epoch(example, epoch, epochs, logs)` is called at the end of each epoch."""
    import keras
    import numpy as np

    (x_train, y_train), (x_val, y_val), (x_test, y_test), model = prepare(
        config, steps_per_execution)
    callbacks = []
    if on_epoch:
        callbacks.append(keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: on_epoch("mnist", epoch + 1, config.epochs, logs)))
    started = time.perf_counter()
    model.fit(x_train, y_train, epochs=config.epochs, batch_size=config.batch_size,
              validation_data=(x_val, y_val), verbose=verbose, callbacks=callbacks)
    fit_s = time.perf_counter() - started
    _, accuracy = model.evaluate(x_test, y_test, batch_size=2048, verbose=0)
    np.argmax(model.predict(x_test, batch_size=2048, verbose=0), axis=1)
    return {"test_accuracy": float(accuracy), "fit_s": fit_s}
