"""Where the time of an MNIST1 epoch goes, on TensorFlow: a step-by-step profile.

    KERAS_BACKEND=tensorflow python -m bench.step_profile [--repeats 5] [--threads 1]

MNIST1's network (784 → 200 → 200 → 10, ReLU, softmax, Adam, batches of 512, 50 000
training and 10 000 validation images, the `steps_per_execution` of
examples/mnist.py) is timed four ways, in the process that measured the peak:

a. the matrix products of one training step alone, at their exact shapes (forward: 3;
   backward: the weight gradients of the 3 layers and the input gradients of the 2
   upper ones; the images need no gradient), looped inside one `tf.function` with no
   Python between steps: the ceiling for these shapes on this machine (also the 3
   forward products alone, for the validation's share of that ceiling);
b. the full training step (forward, loss, gradients, Adam update) on a batch already
   in memory, looped the same way; then Keras's own `train_step`, which also updates
   the loss tracker and the accuracy metric;
c. an epoch as `model.fit` runs it with no validation (slicing, shuffling, the
   compiled multi-step loop, callbacks);
d. the validation pass of an epoch on the 10 000 images, as `fit` runs it (batches
   of 512 built once, then reused); a plain `model.evaluate`, which rebuilds them at
   each call, is timed too.

`breakdown()` turns these timings into shares of the epoch measured by `fit` with
validation (matrix products, other operations of the step, Keras's step bookkeeping,
fit loop and input pipeline, validation) and checks that they add up to it.

Each time is the median of several repetitions after a warm-up; the epochs with and
without validation alternate in one `fit`, and a, b, d take turns in each round, so
that a change in the machine's load touches them alike. The threads are those
of the process: TensorFlow's default (one per core) in the bench; the site build runs
its training workers with TF_NUM_INTRAOP_THREADS=1 (`--threads 1` here).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import time

INPUTS = 28 * 28
CLASSES = 10


def layer_sizes(hidden_units: int) -> list[int]:
    return [INPUTS, hidden_units, hidden_units, CLASSES]


def matmul_shapes(batch: int, sizes: list[int]) -> dict[str, list[tuple[int, int, int]]]:
    """(m, k, n) of every matrix product of one training step, an (m×k)·(k×n) each."""
    pairs = list(zip(sizes, sizes[1:]))
    return {
        "forward": [(batch, n_in, n_out) for n_in, n_out in pairs],          # x·W
        "weight_gradients": [(n_in, batch, n_out) for n_in, n_out in pairs],  # xᵀ·g
        # g·Wᵀ, for the layers above the first: the images need no gradient.
        "input_gradients": [(batch, n_out, n_in) for n_in, n_out in pairs[1:]],
    }


def flops_of(shapes) -> float:
    return float(sum(2 * m * k * n for m, k, n in shapes))


def step_flops(batch: int, sizes: list[int]) -> dict[str, float]:
    shapes = matmul_shapes(batch, sizes)
    forward = flops_of(shapes["forward"])
    return {"forward": forward,
            "step": forward + flops_of(shapes["weight_gradients"])
            + flops_of(shapes["input_gradients"])}


def breakdown(profile: dict) -> dict:
    """Shares of the measured epoch, from the timings of `measure()` (seconds).

    The products and the steps (a, b) are timed on full batches; an epoch holds
    n_train / batch of them (the last, smaller batch counts for its fraction: their
    cost follows the number of images). The fit loop's share is what `fit` without
    validation (c) adds to these steps; the validation (d) is timed apart. The parts
    should add up to the epoch of `fit` with validation, timed on its own (in
    alternation with c): `gap` is what is left, as a fraction of that epoch.
    """
    from bench import flops

    batch, n_train, n_val = profile["batch_size"], profile["n_train"], profile["n_val"]
    steps = n_train / batch
    t = profile["timings"]
    parts = {
        "matmul": t["matmul_step_s"] * steps,
        "other_ops": (t["bare_step_s"] - t["matmul_step_s"]) * steps,
        "keras_step": (t["keras_step_s"] - t["bare_step_s"]) * steps,
        "fit_loop": t["fit_epoch_s"] - t["keras_step_s"] * steps,
        "validation": t["validation_s"],
    }
    epoch = t["epoch_s"]
    total = sum(parts.values())
    peak = profile["peak_gflops"]
    sizes = layer_sizes(profile["hidden_units"])
    counted = step_flops(batch, sizes)
    matmul_gflops = counted["step"] / t["matmul_step_s"] / 1e9
    # The bench's count (flops.training_flops) over the epoch, and over an epoch that
    # would be nothing but the matrix products at these shapes: the most MNIST1 could
    # show against the peak.
    nominal = flops.training_flops(sizes, n_train, n_val)
    matmul_only_epoch = t["matmul_step_s"] * steps + t["matmul_forward_s"] * n_val / batch
    # The same products counted shape by shape (the last batch counts for its
    # fraction): count_over_products checks the two counts agree.
    products = counted["step"] * steps + counted["forward"] * n_val / batch
    return {
        "steps": steps,
        "parts_s": parts,
        "fractions": {name: value / epoch for name, value in parts.items()},
        "total_s": total,
        "epoch_s": epoch,
        "gap": (epoch - total) / epoch,
        "matmul_flops_per_step": counted["step"],
        "matmul_gflops": matmul_gflops,
        "matmul_fraction_of_peak": matmul_gflops / peak,
        "nominal_flops_per_epoch": nominal,
        "matmul_flops_per_epoch": products,
        "count_over_products": nominal / products,
        "fraction_of_peak": nominal / epoch / 1e9 / peak,
        "matmul_only_epoch_s": matmul_only_epoch,
        "ceiling_fraction_of_peak": nominal / matmul_only_epoch / 1e9 / peak,
    }


def mnist_steps_per_execution(source: str | None = None) -> int:
    """The `steps_per_execution` examples/mnist.py compiles with on TensorFlow: the
    number after `else` in `steps_per_execution=1 if <torch> else 16`, the number
    itself when there is no condition, 1 when it sets none."""
    if source is None:
        import inspect

        from fidle_examples.examples import mnist

        source = inspect.getsource(mnist)
    found = re.search(r"steps_per_execution=([^\n]*)", source)
    if not found:
        return 1
    conditional = re.search(r"\belse\s+(\d+)", found.group(1))
    return int((conditional or re.match(r"\s*(\d+)", found.group(1))).group(1))


def _interleaved(runs: dict, repeats: int, warmup: int = 1) -> dict[str, list[float]]:
    """Seconds of each run, `repeats` times, the runs taking turns in each round (a
    change in the machine's load then touches them all alike); warm-up rounds first."""
    times: dict[str, list[float]] = {key: [] for key in runs}
    for round_ in range(warmup + repeats):
        for key, run in runs.items():
            started = time.perf_counter()
            run()
            if round_ >= warmup:
                times[key].append(time.perf_counter() - started)
    return times


def _sequential_loop(tf, body, carry):
    """A `tf.function(n)` running `body` n times in one call, one iteration after the
    other (parallel_iterations=1), returning the scalar carried through."""

    @tf.function
    def loop(n):
        def cond(i, _):
            return i < n

        def step(i, value):
            return i + 1, body(value)

        return tf.while_loop(cond, step, (tf.constant(0), carry),
                             parallel_iterations=1)[1]

    return loop


def _matmul_loop(tf, np, batch: int, sizes: list[int], forward_only: bool):
    """The products of a step chained as in backpropagation (o stands for the output
    gradient: same shape, no elementwise work), each weight gradient kept alive by a
    one-element read; the elementwise work of the real step is left out."""
    rng = np.random.default_rng(0)
    x = tf.constant(rng.random((batch, sizes[0]), dtype=np.float32))
    weights = [tf.constant(rng.standard_normal((a, b), dtype=np.float32) / math.sqrt(a))
               for a, b in zip(sizes, sizes[1:])]

    def body(total):
        activations = [x]
        for w in weights:
            activations.append(tf.matmul(activations[-1], w))
        if forward_only:
            return total + activations[-1][0, 0]
        grad = activations[-1]
        for layer in reversed(range(len(weights))):
            w_grad = tf.matmul(activations[layer], grad, transpose_a=True)
            total += w_grad[0, 0]
            if layer:
                grad = tf.matmul(grad, weights[layer], transpose_b=True)
        return total

    return _sequential_loop(tf, body, tf.constant(0.0))


def _epoch_clock(keras):
    """A callback recording (seconds, validated) for each epoch, from its beginning to
    its end (the validation, when there is one, comes before the end), and the
    seconds of each validation pass inside `fit`."""
    class Clock(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epochs: list[tuple[float, bool]] = []
            self.validations: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self._started = time.perf_counter()

        def on_test_begin(self, logs=None):
            self._validation = time.perf_counter()

        def on_test_end(self, logs=None):
            self.validations.append(time.perf_counter() - self._validation)

        def on_epoch_end(self, epoch, logs=None):
            self.epochs.append((time.perf_counter() - self._started,
                                "val_loss" in (logs or {})))

    return Clock()


def _fit_validation(model, x_val, y_val, batch: int):
    """A function running the validation pass the way `fit` does at each epoch end,
    and its method. `fit` builds the validation batches once and reuses them
    (Keras 3's private `_eval_epoch_iterator`); a plain `evaluate()` rebuilds them at
    each call, which costs more. Falls back on `evaluate()` if Keras changed."""
    def plain():
        model.evaluate(x_val, y_val, batch_size=batch, verbose=0)

    try:
        from keras.src.backend.tensorflow.trainer import TFEpochIterator

        model._eval_epoch_iterator = TFEpochIterator(
            x=x_val, y=y_val, batch_size=batch, shuffle=False,
            distribute_strategy=model.distribute_strategy,
            steps_per_execution=model.steps_per_execution)

        def cached():
            model.evaluate(x_val, y_val, verbose=0, _use_cached_eval_dataset=True)

        cached()
        return cached, "fit"
    except (ImportError, AttributeError, TypeError, ValueError):
        return plain, "evaluate"


def _threads(tf) -> dict:
    return {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
            "env_intra_op": os.environ.get("TF_NUM_INTRAOP_THREADS"),
            "cores": len(os.sched_getaffinity(0))}


def measure(peak: dict | None = None, repeats: int = 5, epochs: int | None = None,
            log=None) -> dict:
    """The timings of a, b, c, d (module docstring), their breakdown, and the setting.

    `peak` is flops.peak_matmul()'s result, measured here when not given. `epochs` is
    the number of timed epochs with validation, and as many without (after one warm-up
    of each), `repeats` by default; the other times are the medians of `repeats`
    rounds after a warm-up round."""
    import numpy as np

    from bench import flops, plain_mnist
    from fidle_examples.core import runner, runtime

    keras = runtime.import_keras()
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError("le profil d'un pas n'est écrit que pour TensorFlow, pas "
                           f"{keras.backend.backend()}")
    import tensorflow as tf

    say = log or (lambda message: None)
    peak = peak or flops.peak_matmul()
    _, _, config = runner.prepare("mnist", "full")
    batch, units = config.batch_size, config.hidden_units
    sizes = layer_sizes(units)
    spe = mnist_steps_per_execution()
    epochs = epochs or repeats

    # The data and model of examples/mnist.py, as the plain script makes them.
    (x_train, y_train), (x_val, y_val), _, model = plain_mnist.prepare(config, spe)
    # The epoch as the bench sees it, and c: one fit whose epochs alternate without
    # and with validation (validation_freq=2), so that a change in the machine's load
    # touches both alike. Its first two epochs trace the functions: left out.
    say("fit, une époque sur deux avec validation…")
    clock = _epoch_clock(keras)
    model.fit(x_train, y_train, batch_size=batch, epochs=2 * (epochs + 1),
              validation_data=(x_val, y_val), validation_freq=2, callbacks=[clock],
              verbose=0)
    samples = {"fit_epoch_s": [s for s, val in clock.epochs[2:] if not val],
               "epoch_s": [s for s, val in clock.epochs[2:] if val],
               # the same pass as d, timed inside fit: a check of d
               "fit_validation_s": clock.validations[1:]}

    # a, b and d, one after the other in each round, after a warm-up round. The loops
    # run `loop_steps` steps in one call and are timed per step.
    loop_steps = math.ceil(len(x_train) / batch)
    x = tf.constant(x_train[:batch])
    y = tf.constant(y_train[:batch])
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    variables = model.trainable_variables
    optimizer = model.optimizer  # built by fit

    def bare_step(total):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return total + loss

    def keras_step(total):
        return total + model.train_step((x, y))["loss"]

    def looped(loop):
        return lambda: float(loop(n))

    n = tf.constant(loop_steps)
    validate, validation_method = _fit_validation(model, x_val, y_val, batch)
    runs = {
        "matmul_step_s": looped(_matmul_loop(tf, np, batch, sizes, forward_only=False)),
        "matmul_forward_s": looped(_matmul_loop(tf, np, batch, sizes, forward_only=True)),
        "bare_step_s": looped(_sequential_loop(tf, bare_step, tf.constant(0.0))),
        "keras_step_s": looped(_sequential_loop(tf, keras_step, tf.constant(0.0))),
        "validation_s": validate,  # d, as fit runs it
        "evaluate_s": lambda: model.evaluate(x_val, y_val, batch_size=batch, verbose=0),
    }
    say("boucles et validation, en alternance…")
    for key, times in _interleaved(runs, repeats).items():
        per = loop_steps if key.startswith(("matmul", "bare", "keras")) else 1
        samples[key] = [t / per for t in times]
    model._eval_epoch_iterator = None
    timings = {key: statistics.median(times) for key, times in samples.items()}

    profile = {
        "batch_size": batch, "hidden_units": units, "n_train": len(x_train),
        "n_val": len(x_val), "steps_per_execution": spe, "loop_steps": loop_steps,
        "repeats": repeats, "epochs": epochs, "jit_compile": bool(model.jit_compile),
        "validation_method": validation_method,
        "threads": _threads(tf), "peak_gflops": peak["gflops"],
        "timings": timings, "samples": samples,
    }
    profile["breakdown"] = breakdown(profile)
    return profile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.step_profile",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0,
                        help="TF_NUM_INTRAOP_THREADS (0: TensorFlow's default)")
    args = parser.parse_args(argv)
    if args.threads:
        if "tensorflow" in sys.modules:
            raise SystemExit("--threads doit être fixé avant l'import de TensorFlow")
        os.environ["TF_NUM_INTRAOP_THREADS"] = str(args.threads)
        os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    result = measure(repeats=args.repeats, log=lambda m: print(m, file=sys.stderr))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
