"""Running one example: config, seed, timing, metadata, saving."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from fidle_examples.core import config as config_mod
from fidle_examples.core import contract, figures, registry, runtime
from fidle_examples.core.context import ProgressHook, RunContext
from fidle_examples.core.errors import TrainingError
from fidle_examples.core.results import Result
from fidle_examples.core.store import save_atomically


def prepare(name: str, profile: str = "full", overrides: dict[str, Any] | None = None):
    """(spec, module, config) for an example; raises UsageError on bad input."""
    spec = registry.get(name)
    module = spec.load()
    return spec, module, config_mod.resolve(module, profile, overrides)


def run_example(name: str, profile: str = "full", overrides: dict[str, Any] | None = None,
                output: Path | None = None, verbose: int = 1,
                progress: list[ProgressHook] | None = None) -> Result:
    """Train `name`, draw its figures and return its Result; save it to `output` when
    given."""
    spec, module, config = prepare(name, profile, overrides)
    return execute(spec, module, config, profile, output, verbose, progress, draw=True)


def execute(spec, module, config, profile: str, output: Path | None = None,
            verbose: int = 1, progress: list[ProgressHook] | None = None,
            draw: bool = False) -> Result:
    """Train; check the result against the example's contract; draw the figures when
    `draw` (the site build draws them apart, from the cached result)."""
    declared = contract.read(module)
    keras = spec.uses_keras
    if keras:
        runtime.set_seed(config.seed)
    else:  # NumPy and scikit-learn: importing Keras to seed it costs seconds, gives nothing
        random.seed(config.seed)
        np.random.seed(config.seed)
    workdir = Path(tempfile.mkdtemp(prefix=f"fidle-{spec.name}-"))
    ctx = RunContext(example=spec.name, verbose=verbose, workdir=workdir,
                     progress=list(progress or []))
    started = time.perf_counter()
    try:
        result = module.run(config, ctx)
    except Exception as error:
        if _out_of_memory(error):
            raise TrainingError(
                f"Mémoire insuffisante pour « {spec.name} » avec ces réglages : le modèle ou "
                "les lots ne tiennent pas en mémoire. Réduisez la taille du réseau "
                "(--hidden-units) ou des lots (--batch-size).") from None
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    contract.check_produced(declared, result.metrics)
    result.metrics = {key: float(value) for key, value in result.metrics.items()}
    result = dataclasses.replace(
        result, example=spec.name, title=spec.title, profile=profile,
        config=dataclasses.asdict(config), seed=config.seed,
        duration_s=time.perf_counter() - started,
        device=runtime.device_description() if keras else runtime.processor_description(),
        versions=runtime.versions(keras=keras),
        date=dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds"))
    if draw:
        result.figures = figures.draw(module, result)
    if output is not None:
        save_atomically(result, Path(output))
    return result


def _out_of_memory(error: Exception) -> bool:
    """MemoryError, or the out-of-memory error of a Keras backend (TensorFlow's
    ResourceExhaustedError, PyTorch's OutOfMemoryError, JAX's RESOURCE_EXHAUSTED)."""
    return (isinstance(error, MemoryError)
            or type(error).__name__ in ("ResourceExhaustedError", "OutOfMemoryError")
            or "RESOURCE_EXHAUSTED" in str(error)[:200])
