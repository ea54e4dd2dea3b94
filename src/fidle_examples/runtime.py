"""What the run happens on: seeds, device (GPU name or CPU) and library versions."""

from __future__ import annotations

import os
import platform
import random
from functools import lru_cache

import numpy as np


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and the Keras backend, so that a run can be repeated."""
    random.seed(seed)
    np.random.seed(seed)
    import keras

    keras.utils.set_random_seed(seed)


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
    gpus = _gpu_names(backend_name())
    if gpus:
        return gpus[0] if len(gpus) == 1 else f"{len(gpus)} × {gpus[0]}"
    return _cpu_description()


def uses_gpu() -> bool:
    return not device_description().startswith("CPU")


def versions() -> dict[str, str]:
    """Versions that decide the numbers of a run (they are part of the cache key)."""
    import keras

    backend = backend_name()
    found = {"python": platform.python_version(), "numpy": np.__version__,
             "keras": keras.__version__, "backend": backend}
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend)
    if module:
        found[backend] = __import__(module).__version__
    return found
