"""Training for the site build, on a pool of child processes:
`python -m fidle_examples.plugin.buildworker` reads example names on stdin.

Why child processes: several train at once (one per core, or per GPU), each imports
TensorFlow once for all its jobs, and it imports the example code as it is on disk now (a long
`mkdocs serve` process would keep running the code it imported first), it releases
the memory and the GPU when done, and the MkDocs process never pays for importing
Keras when the cache is warm. The child reports to the parent with one JSON line per
event on stdout, prefixed by EVENT_PREFIX; any other line is the libraries' chatter.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import queue
import subprocess
import sys
import threading
import traceback
from collections import deque
from pathlib import Path
from typing import Callable

from fidle_examples.plugin import cache

EVENT_PREFIX = "@fidle-event "


class WorkerError(Exception):
    """The child failed; the message is the example's own (French) error."""

    def __init__(self, example: str, message: str, details: str = ""):
        super().__init__(message)
        self.example = example
        self.details = details


# --- child side -------------------------------------------------------------------

def _emit(event: str, example: str, **data) -> None:
    line = json.dumps({"event": event, "example": example, **data}, ensure_ascii=False)
    sys.stdout.write(EVENT_PREFIX + line + "\n")
    sys.stdout.flush()


def job(name: str, seed: int | None = None, overrides: dict | None = None) -> str:
    """A job line: "mnist"; "mnist@3" for the reference run of seed 3;
    "gradient-descent?learning_rate=0.3" for a point of an explorer's grid."""
    if seed is not None:
        return f"{name}@{seed}"
    if overrides:
        return name + "?" + "&".join(f"{k}={v}" for k, v in sorted(overrides.items()))
    return name


def parse(job_: str) -> tuple[str, int | None, dict[str, str]]:
    """(name, seed, overrides) of a job line."""
    name, _, overrides = job_.partition("?")
    name, _, seed = name.partition("@")
    pairs = dict(item.split("=", 1) for item in overrides.split("&") if item)
    return name, int(seed) if seed else None, pairs


def slot(profile: str, seed: int | None = None, overrides: dict | None = None) -> str:
    """The cache's profile slot: each reference seed and each explorer point has its
    own, pruned apart from the others."""
    if seed is not None:
        return f"{profile}@{seed}"
    if overrides:
        text = "&".join(f"{k}={v}" for k, v in sorted(overrides.items()))
        return f"{profile}~{cache.sha256(text.encode())[:12]}"
    return profile


def ensure(job_: str, profile: str, results: cache.ResultsCache) -> None:
    """Make sure the cache holds the entry of `job_` for the code on disk now."""
    from fidle_examples.core import runner

    name, seed, overrides = parse(job_)
    spec, module, config = runner.prepare(name, profile,
                                          {"seed": seed} if seed is not None else overrides)
    versions = cache.library_versions()
    fingerprint = cache.fingerprint(spec, profile, versions)
    profile_slot = slot(profile, seed, overrides)
    key = cache.result_key(fingerprint, dataclasses.asdict(config),
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
        result = runner.execute(spec, module, config, profile, None, verbose=0,
                                progress=[progress])  # figures: drawn by the parent
        if result.versions != versions:
            _emit("warning", name, message=(
                f"versions lues sans importer Keras {versions} différentes de celles de "
                f"l'entraînement {result.versions} : le cache pourrait être réutilisé à tort"))
        result.profile = profile
        results.store(name, profile_slot, key, fingerprint, result)
        _emit("done", job_, key=key, trained=True, duration_s=result.duration_s,
              device=result.device)


def main(argv: list[str] | None = None) -> int:
    """Train the examples named on stdin, one per line, until stdin closes."""
    from fidle_examples.core.errors import FidleError

    parser = argparse.ArgumentParser(prog="python -m fidle_examples.plugin.buildworker")
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--profile", required=True)
    args = parser.parse_args(argv)
    results = cache.ResultsCache(args.cache)
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


# --- parent side ------------------------------------------------------------------

ENV_WORKERS = "FIDLE_EXAMPLES_WORKERS"
# Every job runs with these thread settings, whatever the size of the pool: the same
# job then gives the same numbers with 1 worker or with N (float sums depend on how
# the work is split between threads). One thread per worker, one worker per core,
# gave the best total throughput on the course's small models (see bench/).
THREAD_ENV = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
              "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false "
                           "intra_op_parallelism_threads=1"}


def pool_size(jobs: int, gpus: bool = True) -> int:
    """FIDLE_EXAMPLES_WORKERS, else one worker per GPU (unless `gpus` is False: work
    for the processor only, such as drawing), else one per core; never more than there
    are jobs."""
    value = os.environ.get(ENV_WORKERS, "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            from fidle_examples.core.errors import UsageError

            raise UsageError(f"{ENV_WORKERS} vaut « {value} » : un nombre entier de "
                             "processus d'entraînement, au moins 1, est attendu.")
        wanted = int(value)
    else:
        wanted = (gpus and _gpu_count()) or len(os.sched_getaffinity(0))
    return max(1, min(wanted, jobs))


def _gpu_count() -> int:
    """GPUs NVIDIA's driver shows, without importing a deep-learning library."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"])
    return len(list(Path("/proc/driver/nvidia/gpus").glob("*")))


class _Worker:
    def __init__(self, number: int, command: list[str], env: dict, events: queue.Queue):
        env = dict(env)
        gpus = _gpu_count()
        if gpus:
            env["CUDA_VISIBLE_DEVICES"] = str((number - 1) % gpus)  # one device each
        else:
            env.update(THREAD_ENV)
        self.number = number
        self.current: str | None = None
        self.tail: deque[str] = deque(maxlen=30)
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE, text=True, encoding="utf-8", errors="replace", env=env)
        self.reader = threading.Thread(target=self._read, args=(events,), daemon=True)
        self.reader.start()

    def _read(self, events: queue.Queue) -> None:
        for line in self.process.stdout:
            events.put((self, line.rstrip("\n")))
        events.put((self, None))  # end of output: the process is ending

    def give(self, name: str | None) -> None:
        """Send the next job, or close stdin (no more jobs: the worker ends)."""
        self.current = name
        try:
            if name is None:
                self.process.stdin.close()
            else:
                self.process.stdin.write(name + "\n")
                self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # it died: its end of output reports why

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def run(names: list[str], profile: str, root: Path,
        on_event: Callable[[dict], None], on_output: Callable[[str], None],
        workers: int = 1) -> None:
    """Train `names` (in this order, longest first) on a pool of `workers` processes;
    call on_event for each event, on_output for other lines. Raises WorkerError when
    an example fails (or a worker dies); the other workers are then stopped, and the
    entries already written stay in the cache."""
    env = dict(os.environ)
    # The child must import this very package, wherever it was imported from.
    here = str(cache.package_dir().parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [here, env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    # No .pyc written into src/: `mkdocs serve` watches it and would rebuild once more.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [sys.executable, "-m", "fidle_examples.plugin.buildworker", "--cache",
               str(root), "--profile", profile]
    pending = deque(names)
    events: queue.Queue = queue.Queue()
    pool = [_Worker(i + 1, command, env, events) for i in range(max(1, min(workers, len(names))))]
    running = len(pool)
    try:
        while running:
            worker, line = events.get()
            if line is None:
                code = worker.process.wait()
                running -= 1
                if code and worker.current is not None:
                    raise WorkerError(worker.current, "le processus d'entraînement s'est "
                                      f"arrêté (code {code}).", "\n".join(worker.tail))
                continue
            if not line.startswith(EVENT_PREFIX):
                worker.tail.append(line)
                on_output(line)
                continue
            event = json.loads(line[len(EVENT_PREFIX):])
            event["worker"] = worker.number
            if event["event"] == "error":
                raise WorkerError(event["example"], event["message"], event.get("details", ""))
            if event["event"] in ("ready", "done"):
                if event["event"] == "done":
                    on_event(event)
                worker.give(pending.popleft() if pending else None)
                continue
            on_event(event)
    finally:  # an error, or Ctrl-C in `mkdocs serve`: do not leave workers behind
        for worker in pool:
            worker.kill()  # already ended on success: this only reaps it


if __name__ == "__main__":
    sys.exit(main())
