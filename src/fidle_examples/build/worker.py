"""A training worker: `python -m fidle_examples.build.worker` reads job lines on stdin
and trains each one into the results cache, reporting to the pool (pool.py) with one
JSON line per event on stdout, prefixed by EVENT_PREFIX; any other line is the
libraries' chatter."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import traceback
from pathlib import Path

from fidle_examples.build import keys
from fidle_examples.build.jobs import parse, slot
from fidle_examples.build.storage import ResultsCache

EVENT_PREFIX = "@fidle-event "
# "1" (set by the pool for CPU workers): Keras jobs run with tf.data's autotuning off
# (core/tfdata_autotune.py) and Grappler skipping the smallest graphs
# (core/grappler_threshold.py); both measured on the processor only, GPU workers keep
# TensorFlow's defaults.
ENV_CPU_TUNING = "FIDLE_EXAMPLES_CPU_TUNING"


def _emit(event: str, example: str, **data) -> None:
    line = json.dumps({"event": event, "example": example, **data}, ensure_ascii=False)
    sys.stdout.write(EVENT_PREFIX + line + "\n")
    sys.stdout.flush()


def imported_frameworks() -> list[str]:
    """The deep-learning libraries this process has imported (none for NumPy jobs)."""
    return [name for name in ("keras", "tensorflow", "jax", "torch") if name in sys.modules]


def tune_for_cpu(spec) -> bool:
    """Before a Keras job on a CPU worker (ENV_CPU_TUNING): tf.data's autotuning off, so
    that trainings side by side keep their cores busy, and Grappler's threshold, so that
    each epoch's iterators are not optimized again (set before TensorFlow's first
    operation: called before anything of the job runs). True when both are in effect;
    NumPy examples never import Keras, so nothing is done for them."""
    if not spec.uses_keras or os.environ.get(ENV_CPU_TUNING) != "1":
        return False
    from fidle_examples.core import grappler_threshold, tfdata_autotune

    autotune_off = tfdata_autotune.install()
    return grappler_threshold.install() and autotune_off


def ensure(job_: str, profile: str, results: ResultsCache) -> None:
    """Make sure the cache holds the entry of `job_` for the code on disk now."""
    from fidle_examples.core import runner

    name, seed, overrides = parse(job_)
    spec, module, config = runner.prepare(name, profile,
                                          {"seed": seed} if seed is not None else overrides)
    versions = keys.library_versions()
    fingerprint = keys.fingerprint(spec, profile, versions)
    profile_slot = slot(profile, seed, overrides)
    key = keys.result_key(fingerprint, dataclasses.asdict(config),
                           getattr(module, "DATASETS", ()))

    def on_wait():
        _emit("waiting", job_)

    def progress(example, epoch, epochs, logs):
        _emit("epoch", job_, epoch=epoch, epochs=epochs,
              logs={k: float(v) for k, v in logs.items()})

    with results.lock(name, profile_slot, key, on_wait=on_wait):
        if results.load(name, profile_slot, key) is not None:  # made by another build
            results.remember(name, profile_slot, key, fingerprint)
            _emit("done", job_, key=key, trained=False)
            return
        _emit("training", job_, profile=profile,
              config=dataclasses.asdict(config))
        tune_for_cpu(spec)
        result = runner.execute(spec, module, config, profile, None, verbose=0,
                                progress=[progress])  # figures: drawn by the parent
        if result.versions != versions:
            _emit("warning", name, message=(
                f"versions lues sans importer Keras {versions} différentes de celles de "
                f"l'entraînement {result.versions} : le cache pourrait être réutilisé à tort"))
        result.profile = profile
        results.store(name, profile_slot, key, fingerprint, result)
        _emit("done", job_, key=key, trained=True, duration_s=result.duration_s,
              device=result.device, frameworks=imported_frameworks(),
              backend=result.versions.get("backend", ""))


def main(argv: list[str] | None = None) -> int:
    """Train the examples named on stdin, one per line, until stdin closes."""
    from fidle_examples.core.errors import FidleError

    parser = argparse.ArgumentParser(prog="python -m fidle_examples.build.worker")
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--profile", required=True)
    args = parser.parse_args(argv)
    results = ResultsCache(args.cache)
    _emit("ready", "")
    for line in sys.stdin:
        name = line.strip()
        if not name:
            continue
        try:
            ensure(name, args.profile, results)
        except FidleError as error:
            _emit("error", name, message=str(error))
            return error.exit_code
        except KeyboardInterrupt:
            return 130
        except Exception as error:  # a bug in an example: report it, whatever it is
            _emit("error", name, message=f"{error.__class__.__name__} : {error}",
                  details=traceback.format_exc())
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
