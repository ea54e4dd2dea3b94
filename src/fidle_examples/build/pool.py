"""Training for the site build, on a pool of child processes (worker.py), each reading
job lines on stdin.

Why child processes: several train at once (one per core, or per GPU), each imports
TensorFlow once for all its jobs, and it imports the example code as it is on disk now (a long
`mkdocs serve` process would keep running the code it imported first), it releases
the memory and the GPU when done, and the MkDocs process never pays for importing
Keras when the cache is warm. """

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path
from typing import Callable

from fidle_examples.build import keys
from fidle_examples.build.jobs import parse
from fidle_examples.build.worker import ENV_CPU_TUNING, EVENT_PREFIX


class WorkerError(Exception):
    """The child failed; the message is the example's own (French) error."""

    def __init__(self, example: str, message: str, details: str = ""):
        super().__init__(message)
        self.example = example
        self.details = details


ENV_WORKERS = "FIDLE_EXAMPLES_WORKERS"
WORKER_MODULE = "fidle_examples.build.worker"  # what each worker runs (tests fake it)
# Every job runs with these thread settings, whatever the size of the pool: the same
# job then gives the same numbers with 1 worker or with N (float sums depend on how
# the work is split between threads). One thread per worker, one worker per core,
# gave the best total throughput on the course's small models (see bench/).
THREAD_ENV = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
              "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false "
                           "intra_op_parallelism_threads=1"}


def pool_size(jobs: int, gpus: bool = True, configured: int | None = None) -> int:
    """FIDLE_EXAMPLES_WORKERS, else `configured` (the plugin's `workers` option), else
    one worker per GPU (unless `gpus` is False: work for the processor only, such as
    drawing), else one per core; never more than there are jobs."""
    value = os.environ.get(ENV_WORKERS, "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            from fidle_examples.core.errors import UsageError

            raise UsageError(f"{ENV_WORKERS} vaut « {value} » : un nombre entier de "
                             "processus d'entraînement, au moins 1, est attendu.")
        wanted = int(value)
    else:
        wanted = configured or (gpus and len(visible_gpus())) or cores()
    return max(1, min(wanted, jobs))


def cores() -> int:
    """The cores this process may use (os.sched_getaffinity is Linux only)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def visible_gpus() -> list[str]:
    """The NVIDIA GPUs this process may use, as the driver names them, without importing
    a deep-learning library: the entries of CUDA_VISIBLE_DEVICES (indices, UUIDs or MIG
    identifiers; CUDA ignores everything from the first invalid one, "-1" hides all),
    else one index per GPU the driver lists."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return [str(i) for i in range(len(list(Path("/proc/driver/nvidia/gpus").glob("*"))))]
    found = []
    for device in (d.strip() for d in visible.split(",")):
        if not device or device.startswith("-"):
            break
        found.append(device)
    return found


def worker_env(number: int, env: dict[str, str], cpu: bool = False) -> dict[str, str]:
    """The environment of worker `number` (from 1): on a GPU machine, the next of the
    parent's visible devices, its memory taken as needed (TensorFlow and JAX otherwise
    map nearly all of it in every process); else, or for a CPU worker (`cpu`: the jobs
    of examples without Keras), one thread (THREAD_ENV), no GPU, and TensorFlow tuned
    for the processor (ENV_CPU_TUNING)."""
    env = dict(env)
    gpus = visible_gpus()
    if gpus and not cpu:
        env["CUDA_VISIBLE_DEVICES"] = gpus[(number - 1) % len(gpus)]
        env.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
        env.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    else:
        if gpus:
            env["CUDA_VISIBLE_DEVICES"] = ""  # hides them all: nothing of it is for a GPU
        env.update(THREAD_ENV)
        env[ENV_CPU_TUNING] = "1"
    return env


def uses_keras(job_: str) -> bool:
    from fidle_examples.core import registry

    return registry.get(parse(job_)[0]).uses_keras


def lanes(names: list[str], workers: int) -> list[tuple[bool, int, list[str]]]:
    """[(cpu, processes, jobs)]: how `names` are shared between workers. Without GPUs,
    one lane of `workers` CPU workers for every job, in order. With GPUs, `workers`
    GPU workers for the jobs of Keras examples, and CPU workers beside them for the
    others (NumPy, scikit-learn: a GPU would compute nothing of theirs, and their
    numbers must come from the same thread settings as on any machine)."""
    if not visible_gpus():
        return [(True, max(1, min(workers, len(names))), list(names))] if names else []
    keras_jobs = [n for n in names if uses_keras(n)]
    others = [n for n in names if not uses_keras(n)]
    found = []
    if keras_jobs:
        found.append((False, max(1, min(workers, len(keras_jobs))), keras_jobs))
    if others:
        spare = max(1, cores() - len(visible_gpus()))
        found.append((True, min(spare, len(others)), others))
    return found


class _Worker:
    def __init__(self, number: int, command: list[str], env: dict, events: queue.Queue,
                 lane: deque, cpu: bool):
        self.number = number
        self.lane = lane  # the jobs this worker may take
        self.cpu = cpu
        self.current: str | None = None
        self.tail: deque[str] = deque(maxlen=30)
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
            env=worker_env(number, env, cpu=cpu))
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


class Stopped(Exception):
    """pool.run was asked to stop (`mkdocs serve` ending)."""


def run(names: list[str], profile: str, root: Path,
        on_event: Callable[[dict], None], on_output: Callable[[str], None],
        workers: int = 1, keep_going: bool = False,
        stop: threading.Event | None = None) -> None:
    """Train `names` (in this order: loading.training_order) on a pool of `workers`
    processes (plus CPU workers beside GPU ones: lanes()); call on_event for each event,
    on_output for other lines. Raises WorkerError when an example fails (or a worker dies); the
    other workers are then stopped, and the entries already written stay in the cache.
    With `keep_going` (`mkdocs serve`), a failure is an "error" event instead, and a
    fresh worker takes the failed one's place. Raises Stopped once `stop` is set."""
    env = dict(os.environ)
    # The child must import this very package, wherever it was imported from.
    here = str(keys.package_dir().parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [here, env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    # No .pyc written into src/: `mkdocs serve` watches it and would rebuild once more.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [sys.executable, "-m", WORKER_MODULE, "--cache",
               str(root), "--profile", profile]
    events: queue.Queue = queue.Queue()
    pool: list[_Worker] = []
    for cpu, count, jobs in lanes(names, workers):
        lane = deque(jobs)
        for _ in range(count):
            pool.append(_Worker(len(pool) + 1, command, env, events, lane, cpu))
    running = len(pool)
    try:
        while running:
            try:
                worker, line = events.get(timeout=0.2 if stop else None)
            except queue.Empty:
                if stop.is_set():
                    raise Stopped() from None
                continue
            if line is None:
                code = worker.process.wait()
                running -= 1
                if code and worker.current is not None:
                    error = WorkerError(worker.current, "le processus d'entraînement s'est "
                                        f"arrêté (code {code}).", "\n".join(worker.tail))
                    if not keep_going:
                        raise error
                    on_event({"event": "error", "example": error.example,
                              "message": str(error), "details": error.details,
                              "worker": worker.number})
                if keep_going and worker.lane:  # a fresh process for the jobs left
                    pool.append(_Worker(worker.number, command, env, events, worker.lane,
                                        worker.cpu))
                    running += 1
                continue
            if not line.startswith(EVENT_PREFIX):
                worker.tail.append(line)
                on_output(line)
                continue
            event = json.loads(line[len(EVENT_PREFIX):])
            event["worker"] = worker.number
            if event["event"] == "error":
                if not keep_going:
                    raise WorkerError(event["example"], event["message"],
                                      event.get("details", ""))
                worker.current = None  # reported: its exit says nothing more
                on_event(event)
                continue
            if event["event"] in ("ready", "done"):
                # The next job first: what on_event does (drawing) overlaps with it.
                worker.give(worker.lane.popleft() if worker.lane else None)
                if event["event"] == "done":
                    on_event(event)
                continue
            on_event(event)
    finally:  # an error, or Ctrl-C in `mkdocs serve`: do not leave workers behind
        for worker in pool:
            worker.kill()  # already ended on success: this only reaps it
