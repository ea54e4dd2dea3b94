"""What the run happens on: seeds, device (GPU name or CPU) and library versions."""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import platform
import random
import sys
from functools import lru_cache

import numpy as np


@contextlib.contextmanager
def _quiet_native_stderr():
    """Silence what C++ libraries write straight to file descriptor 2.

    TensorFlow 2.21 prints oneDNN/CUDA start-up notes through absl before its
    logging is initialised, ignoring TF_CPP_MIN_LOG_LEVEL; they would bury the
    learner's output. Python exceptions are unaffected: they are raised, not printed.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


# Read by the libraries when they start, so set before Keras imports its backend:
# XLA's deterministic GPU kernels (JAX, and TensorFlow's XLA-compiled steps) and the
# cuBLAS workspace that makes PyTorch's CUDA matrix products repeatable. No effect on
# a CPU.
XLA_DETERMINISM = "--xla_gpu_deterministic_ops=true"
DETERMINISM_ENV = {"CUBLAS_WORKSPACE_CONFIG": ":4096:8"}


def deterministic_env(env=None) -> None:
    """Add the start-up settings of the deterministic modes to `env` (os.environ)."""
    env = os.environ if env is None else env
    for name, value in DETERMINISM_ENV.items():
        env.setdefault(name, value)
    flags = env.get("XLA_FLAGS", "")
    if "xla_gpu_deterministic_ops" not in flags:
        env["XLA_FLAGS"] = f"{flags} {XLA_DETERMINISM}".strip()


def import_keras():
    """`import keras` (and its backend) without the native start-up chatter."""
    if "keras" not in sys.modules:
        deterministic_env()
        with _quiet_native_stderr():
            import keras  # noqa: F401
    return sys.modules["keras"]


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and the Keras backend, and turn on the backend's deterministic
    mode, so that a run can be repeated."""
    random.seed(seed)
    np.random.seed(seed)
    keras = import_keras()
    keras.utils.set_random_seed(seed)
    deterministic_mode(keras.backend.backend())


def deterministic_mode(backend: str) -> str:
    """Ask the backend for repeatable kernels; returns what was asked, in French (the
    same seed then gives the same numbers on the same machine and versions, on a GPU
    too, where the fastest kernels are not always deterministic)."""
    if backend == "tensorflow":
        import tensorflow as tf

        # On a GPU only: the CPU kernels, one thread per worker (build/pool.py), already
        # repeat to the bit, and op determinism changes the last bits of their
        # evaluation sums (measured: a test loss 0.2071894259 -> 0.2071894109), which
        # would move the published reference for nothing.
        if tf.config.list_physical_devices("GPU"):
            tf.config.experimental.enable_op_determinism()
            return "opérations déterministes de TensorFlow"
        return "calcul sur le processeur, déjà répétable à un fil par processus"
    if backend == "torch":
        import torch

        # warn_only: an operation without a deterministic kernel warns instead of
        # stopping the run; the randomness example then measures what remains.
        torch.use_deterministic_algorithms(True, warn_only=True)
        return "algorithmes déterministes de PyTorch (avertissement si l'un manque)"
    if backend == "jax":
        return "noyaux déterministes de XLA (" + XLA_DETERMINISM + ")"
    return "aucun mode déterministe connu"


def backend_name() -> str:
    import keras

    return keras.backend.backend()


def _cpu_description() -> str:
    cores = os.cpu_count() or 1
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        model = platform.processor()
    suffix = f", {model}" if model else ""
    return f"CPU ({cores} cœurs{suffix})"


def processor_description() -> str:
    """"CPU (2 cœurs, ...)": where a NumPy or scikit-learn example runs, on any machine
    (a GPU beside it computes nothing of theirs). Recorded as a Keras run on the
    processor records it, so that runs and references compare; the pages write it
    « processeur » (frenchfmt.device_label)."""
    return _cpu_description()


def _gpu_names(backend: str) -> list[str]:
    """Names of the GPUs the Keras backend can train on (empty on a CPU machine)."""
    if backend == "tensorflow":
        import tensorflow as tf

        names = []
        for gpu in tf.config.list_physical_devices("GPU"):
            details = tf.config.experimental.get_device_details(gpu)
            names.append(details.get("device_name", gpu.name))
        return names
    if backend == "jax":
        import jax

        return [d.device_kind for d in jax.devices() if d.platform == "gpu"]
    if backend == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return []


@lru_cache(maxsize=1)
def device_description() -> str:
    """"NVIDIA H100 80GB HBM3" on a GPU machine, "CPU (2 cœurs, ...)" otherwise."""
    with _quiet_native_stderr():  # CUDA probing logs an error on a CPU machine
        gpus = _gpu_names(backend_name())
    if gpus:
        return gpus[0] if len(gpus) == 1 else f"{len(gpus)} × {gpus[0]}"
    return _cpu_description()


def uses_gpu() -> bool:
    return not device_description().startswith("CPU")


def versions(keras: bool = True) -> dict[str, str]:
    """Versions that decide the numbers of a run (they are part of the cache key). A run
    without Keras (keras=False) reads the same answer from package metadata: importing
    Keras to name its version would cost seconds."""
    if not keras:
        return installed_versions()
    import keras as keras_module

    backend = backend_name()
    found = {"python": platform.python_version(), "numpy": np.__version__,
             "keras": keras_module.__version__,
             "scikit-learn": importlib.metadata.version("scikit-learn"), "backend": backend}
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend)
    if module:
        found[backend] = __import__(module).__version__
    return found


def installed_versions() -> dict[str, str]:
    """Same answer as versions(), read from package metadata without importing Keras
    (also the build's training keys: build/keys.py). tests/test_cache.py checks they
    agree."""
    backend = _keras_backend()
    found = {"python": platform.python_version(), "numpy": _dist_version("numpy"),
             "keras": _dist_version("keras"), "scikit-learn": _dist_version("scikit-learn"),
             "backend": backend}
    dists = {"tensorflow": ("tensorflow", "tensorflow-cpu", "tf-nightly"),
             "jax": ("jax",), "torch": ("torch",)}.get(backend)
    if dists:
        found[backend] = _dist_version(*dists)
    return found


def _dist_version(*names: str) -> str:
    for name in names:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            return importlib.metadata.version(name)
    return "absent"


def _keras_backend() -> str:
    """The backend Keras will pick, by Keras' own rules (env, then keras.json)."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    home = os.environ.get("KERAS_HOME")
    if not home:
        base = os.path.expanduser("~")
        home = os.path.join(base if os.access(base, os.W_OK) else "/tmp", ".keras")
    with contextlib.suppress(OSError, ValueError, AttributeError):
        with open(os.path.join(os.path.expanduser(home), "keras.json"), encoding="utf-8") as f:
            return json.load(f).get("backend", "tensorflow")
    return "tensorflow"
