"""Floating-point operation counts and the machine's measured peak."""

from __future__ import annotations

import time

PEAK_SIZE = 4096


def dense_params(sizes: list[int]) -> int:
    """Weights and biases of a stack of dense layers: sizes = [inputs, hidden..., outputs]."""
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


def training_flops(sizes: list[int], n_train: int, n_val: int) -> float:
    """FLOPs of the matrix products of one epoch of a dense network, sizes = [inputs,
    hidden..., outputs]: a multiply-add (2 operations) per weight and per image forward;
    backward, the same again for the weights' gradients, and for the gradients of each
    layer's inputs except the first (the images' gradient is never computed).
    Validation images go forward only. Biases, activations, loss and the optimizer
    step (a few operations per weight and per batch) are left out: under 1 % here."""
    weights = [n_in * n_out for n_in, n_out in zip(sizes, sizes[1:])]
    forward = 2.0 * sum(weights)
    backward = 2.0 * sum(weights) + 2.0 * sum(weights[1:])
    return (forward + backward) * n_train + forward * n_val


def peak_matmul(size: int = PEAK_SIZE, repeats: int = 5) -> dict:
    """GFLOP/s of a size×size float32 matrix product with the current Keras backend
    (best of `repeats`, after a warm-up): the ceiling a dense network can approach."""
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    a = keras.ops.convert_to_tensor(rng.standard_normal((size, size), dtype=np.float32))
    b = keras.ops.convert_to_tensor(rng.standard_normal((size, size), dtype=np.float32))

    def once() -> float:
        started = time.perf_counter()
        # Reducing to a scalar forces the product to finish (JAX dispatches asynchronously)
        # for a negligible cost: size² additions against 2·size³ operations.
        float(keras.ops.convert_to_numpy(keras.ops.sum(keras.ops.matmul(a, b))))
        return time.perf_counter() - started

    once()
    best = min(once() for _ in range(repeats))
    return {"size": size, "seconds": best, "gflops": 2.0 * size**3 / best / 1e9}


def peak_numpy(size: int = PEAK_SIZE, repeats: int = 5) -> dict:
    """The same product with NumPy's BLAS, for comparison between backends."""
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    a @ b
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - started)
    best = min(times)
    return {"size": size, "seconds": best, "gflops": 2.0 * size**3 / best / 1e9}
