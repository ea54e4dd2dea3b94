"""Drawing the figures of a site build, several at a time.

The loader and the explorers say what they need (add: the drawings missing from the
figure cache, and what to do with them once drawn). A Stream draws each group as it
comes, in a thread of this process: during a cold build, an example's figures are drawn
as soon as its trainings end, while the others train, never on more processes at once
than the trainings leave cores for. Batch is the same when everything is known at once
(a warm build whose figures changed). Drawing runs on one process per core
(pool.pool_size without GPUs: drawing only uses the processor; FIDLE_EXAMPLES_WORKERS
overrides it), or in this process when that is one.

A drawing process is started afresh ("spawn", not a copy of this process and of its
threads): it imports matplotlib and the example modules as they are on disk, as the
training workers do, and nothing of MkDocs. It draws with core.figures.call, which never
raises for a bug of a figure: the French error is made here, by the task's `failure`.
Figures are deterministic (svg.hashsalt): one process or several write the same bytes.
"""

from __future__ import annotations

import collections
import importlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import queue
import signal
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
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
        stream = Stream(workers or processes_for(count, self.workers), count=count)
        try:
            for tasks, done in groups:
                stream.add(tasks, done)
        finally:
            stream.close()
        stream.raise_first()


def processes_for(count: int, configured: int | None = None) -> int:
    """Drawing processes for `count` figures: one per core (FIDLE_EXAMPLES_WORKERS or
    `configured` overrides it), with FIGURES_PER_PROCESS at least for each."""
    return max(1, min(pool.pool_size(count, gpus=False, configured=configured),
                      count // FIGURES_PER_PROCESS))


class Stream:
    """Drawings handed over one example at a time, while others train: a thread of this
    process draws them as they come, on `processes` fresh processes (or itself, when
    that is one), never more at once than limit() says (the cores the trainings leave).

    Each group (add) is handed over to its `done` once drawn; a group whose figure fails
    goes to its `failed` (the error), else the error is kept for raise_first(). close()
    waits for every drawing."""

    def __init__(self, processes: int, limit: Callable[[], int] | None = None,
                 count: int | None = None) -> None:
        self.processes = max(1, processes)
        self._limit = limit
        self.count = 0  # drawings handed over
        self.errors: list[FidleError] = []
        self._inbox: queue.Queue = queue.Queue()
        self._groups: dict[int, tuple[dict[str, Task], Done, Callable | None]] = {}
        self._started = time.monotonic()
        if self.processes > 1:
            log.info("Figures à dessiner : %s, sur %d processus.",
                     count if count is not None else "au fil des entraînements",
                     self.processes)
        self._thread = threading.Thread(target=self._loop, name="fidle-drawing", daemon=True)
        self._thread.start()

    def add(self, tasks: dict[str, Task], done: Done,
            failed: Callable[[FidleError], None] | None = None) -> None:
        if not tasks:
            return
        group = len(self._groups)
        self._groups[group] = (dict(tasks), done, failed)
        self.count += len(tasks)
        self._inbox.put(("group", group))

    def poke(self) -> None:
        """limit() may have grown (a training ended): start more drawings."""
        self._inbox.put(("poke",))

    def close(self, cancel: bool = False) -> None:
        """Wait until everything added is drawn (or, with `cancel`, only for the
        drawings in progress); then log how many were drawn."""
        self._inbox.put(("cancel",) if cancel else ("close",))
        self._thread.join()
        if self.count and not cancel:
            log.info("%s en %s (%d processus).",
                     "1 figure dessinée" if self.count == 1 else
                     f"{self.count} figures dessinées",
                     frenchfmt.duration(time.monotonic() - self._started), self.processes)

    def raise_first(self) -> None:
        if self.errors:
            raise self.errors[0]

    # --- the drawing thread ----------------------------------------------------------
    def _loop(self) -> None:
        pending: collections.deque[tuple[int, str]] = collections.deque()
        drawn: dict[int, dict[str, str]] = {}
        broken: set[int] = set()  # groups that failed: their other drawings are dropped
        executor: ProcessPoolExecutor | None = None
        inflight = 0
        closing = False

        def finish(group: int, name: str, outcome) -> None:
            if group in broken:
                return
            tasks, done, failed = self._groups[group]
            try:
                drawn.setdefault(group, {})[name] = _svg(tasks[name], outcome)
                if len(drawn[group]) == len(tasks):
                    done({key: drawn[group][key] for key in tasks})
            except FidleError as error:
                broken.add(group)
                if failed is None:
                    self.errors.append(error)
                else:
                    failed(error)

        try:
            while True:
                allowed = self.processes if self._limit is None else \
                    max(1, min(self.processes, self._limit()))
                while pending and inflight < allowed:
                    group, name = pending.popleft()
                    if group in broken:
                        continue
                    task = self._groups[group][0][name]
                    if self.processes == 1:  # here: no process to start
                        _speed_up_matplotlib()
                        finish(group, name, _figures().call(task.module, task.function,
                                                            task.result, task.args))
                        continue
                    if executor is None:
                        executor = ProcessPoolExecutor(
                            self.processes, mp_context=multiprocessing.get_context("spawn"),
                            initializer=_start_worker)
                    future = executor.submit(_figures().call, task.module.__name__,
                                             task.function, task.result, task.args)
                    inflight += 1
                    future.add_done_callback(
                        lambda f, group=group, name=name: self._inbox.put(("drawn", group,
                                                                           name, f)))
                if closing and not pending and not inflight:
                    return
                try:
                    message = self._inbox.get(timeout=0.5)
                except queue.Empty:
                    continue  # limit() may have grown meanwhile
                if message[0] == "group":
                    pending.extend((message[1], name) for name in self._groups[message[1]][0])
                elif message[0] == "drawn":
                    inflight -= 1
                    try:
                        outcome = _outcome(message[3])
                    except FidleError as error:  # the pool broke: every group fails
                        outcome = None
                        self.errors.append(error)
                        broken.update(self._groups)
                    if outcome is not None:
                        finish(message[1], message[2], outcome)
                elif message[0] == "close":
                    closing = True
                elif message[0] == "cancel":
                    closing = True
                    pending.clear()
                    broken.update(self._groups)
        except BaseException as error:  # a bug here must not hang close()
            self.errors.append(error if isinstance(error, FidleError) else FidleError(
                f"Le dessin des figures a échoué ({error.__class__.__name__} : {error})."))
        finally:  # an error, or Ctrl-C in `mkdocs serve`: the drawings in progress end
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)


def _svg(task: Task, outcome: tuple[str | None, str, str]) -> str:
    """The SVG of a drawing, or the task's French error."""
    svg, why, details = outcome
    if svg is not None:
        return svg
    if details:  # a bug in the figure: its traceback helps
        log.error("Trace de l'erreur de « %s » (%s) :\n%s", task.example, task.function,
                  details.rstrip())
    raise task.failure(why or None)


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


def _speed_up_matplotlib() -> None:
    """matplotlib_speedups in the process that draws: the same SVG bytes, less CPU (it
    stays off on another matplotlib). Imported here, not at the top: MkDocs imports no
    matplotlib until it draws, and then only when it draws in its own process."""
    from fidle_examples.core import matplotlib_speedups

    matplotlib_speedups.install()


def _start_worker() -> None:
    """In each drawing process: Ctrl-C is for MkDocs, which then stops the pool; no .pyc
    written into src/ (`mkdocs serve` watches it); and an end with MkDocs's own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.dont_write_bytecode = True
    _exit_with_parent()
    _speed_up_matplotlib()


def _exit_with_parent() -> None:
    """End this process when the one that started it ends. MkDocs stopped without
    stopping the pool (SIGTERM, killed) otherwise left it blocked forever on its task
    queue, its parent now process 1: seen after the cold `mkdocs serve` test, which
    ends the server with SIGTERM. (The training workers read their jobs on stdin, which
    closes with their parent.)"""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
