"""Drawing the figures of a site build, several at a time.

The loader and the explorers first say what they need (Batch.add: the drawings missing
from the figure cache, and what to do with them once drawn); Batch.run then draws them
all at once, on one process per core (pool.pool_size without GPUs: drawing
only uses the processor; FIDLE_EXAMPLES_WORKERS overrides it), or in this process when
that is one.

A drawing process is started afresh ("spawn", not a copy of this process and of its
threads): it imports matplotlib and the example modules as they are on disk, as the
training workers do, and nothing of MkDocs. It draws with core.figures.call, which never
raises for a bug of a figure: the French error is made here, by the task's `failure`.
Figures are deterministic (svg.hashsalt): one process or several write the same bytes.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import signal
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable

from fidle_examples.core import frenchfmt
from fidle_examples.core.errors import FidleError
from fidle_examples.core.results import Result
from fidle_examples.build import pool

log = logging.getLogger("mkdocs.plugins.fidle_examples")

# Starting a drawing process (importing matplotlib) costs about what drawing ten
# figures does: fewer figures than that per process are drawn by fewer processes.
FIGURES_PER_PROCESS = 10


@dataclass
class Task:
    """One SVG: `function` of the example's `module`, called on `result` with `args`."""

    example: str
    module: ModuleType
    function: str  # figure_fits
    result: Result
    # The French error when the drawing fails: from the reason ("ValueError : …"), or
    # None when the function returned no SVG.
    failure: Callable[[str | None], FidleError] = field(repr=False)
    # Keyword arguments: the explorer's figure controls, the reference band.
    args: dict[str, Any] = field(default_factory=dict)


Done = Callable[[dict[str, str]], None]  # receives {name: SVG} of a group of tasks


class Batch:
    """Drawings collected from several examples, drawn together."""

    def __init__(self, workers: int | None = None) -> None:
        self._groups: list[tuple[dict[str, Task], Done]] = []
        self.workers = workers  # the plugin's `workers` option, if set

    def add(self, tasks: dict[str, Task], done: Done) -> None:
        """Draw `tasks` ({name: task}); then call done({name: SVG}) with all of them,
        in the same order: what goes into a figure cache together."""
        if tasks:
            self._groups.append((dict(tasks), done))

    def __len__(self) -> int:
        return sum(len(tasks) for tasks, _ in self._groups)

    def run(self, workers: int | None = None) -> None:
        """Draw everything added (then forget it), on `workers` processes (by default
        one per core, with FIGURES_PER_PROCESS at least for each).
        Raises the FidleError of a figure that fails; the groups completed before it
        have been handed over."""
        groups, self._groups = self._groups, []
        count = sum(len(tasks) for tasks, _ in groups)
        if not count:
            return
        if not workers:
            workers = min(pool.pool_size(count, gpus=False, configured=self.workers),
                          count // FIGURES_PER_PROCESS)
        workers = max(1, min(workers, count))
        started = time.monotonic()
        if workers == 1:
            for tasks, done in groups:
                done({name: _svg(task, _figures().call(task.module, task.function,
                                                       task.result, task.args))
                      for name, task in tasks.items()})
        else:
            log.info("Figures à dessiner : %d, sur %d processus.", count, workers)
            _on_pool(groups, workers)
        log.info("%s en %s (%d processus).",
                 "1 figure dessinée" if count == 1 else f"{count} figures dessinées",
                 frenchfmt.duration(time.monotonic() - started), workers)


def _svg(task: Task, outcome: tuple[str | None, str, str]) -> str:
    """The SVG of a drawing, or the task's French error."""
    svg, why, details = outcome
    if svg is not None:
        return svg
    if details:  # a bug in the figure: its traceback helps
        log.error("Trace de l'erreur de « %s » (%s) :\n%s", task.example, task.function,
                  details.rstrip())
    raise task.failure(why or None)


def _on_pool(groups: list[tuple[dict[str, Task], Done]], workers: int) -> None:
    """Every task on a pool of fresh processes; each group handed over once drawn."""
    drawn: list[dict[str, str]] = [{} for _ in groups]
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker)
    futures: dict[Future, tuple[int, str]] = {}
    try:
        for index, (tasks, _) in enumerate(groups):
            for name, task in tasks.items():
                future = pool.submit(_figures().call, task.module.__name__, task.function,
                                     task.result, task.args)
                futures[future] = (index, name)
        for future in as_completed(futures):
            index, name = futures[future]
            tasks, done = groups[index]
            drawn[index][name] = _svg(tasks[name], _outcome(future))
            if len(drawn[index]) == len(tasks):
                done({name: drawn[index][name] for name in tasks})
    finally:  # an error, or Ctrl-C in `mkdocs serve`: the drawings in progress end
        pool.shutdown(wait=True, cancel_futures=True)


def _outcome(future: Future) -> tuple[str | None, str, str]:
    try:
        return future.result()
    except BrokenProcessPool:
        raise FidleError(
            "Un processus de dessin des figures s'est arrêté brutalement (mémoire "
            "épuisée ?) : relancez la construction, ou dessinez dans le processus de "
            f"MkDocs avec {pool.ENV_WORKERS}=1."
        ) from None
    except Exception as error:  # a result that cannot be sent to the process, say
        return None, _figures().reason(error), ""


def _figures() -> ModuleType:
    """core.figures as imported now (checks.refresh imports it afresh once edited): its
    `call` is sent to the drawing processes by name, and must be the module's."""
    return importlib.import_module("fidle_examples.core.figures")


def _start_worker() -> None:
    """In each drawing process: Ctrl-C is for MkDocs, which then stops the pool; no .pyc
    written into src/ (`mkdocs serve` watches it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.dont_write_bytecode = True
    from fidle_examples.core import matplotlib_speedups  # here: MkDocs loads no matplotlib

    matplotlib_speedups.install()  # same SVG bytes, less CPU; stays off on another matplotlib
