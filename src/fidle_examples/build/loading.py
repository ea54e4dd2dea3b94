"""Loading the examples a build needs: from the cache, or trained by the worker pool;
then their figures, from the figure cache or drawn from the stored result (each
example's as soon as its trainings end, while the others train: drawing.py). Errors are
the package's own (FidleError, in French): the MkDocs plugin, the CLI and the bench all
call this. `mkdocs serve` asks first for what is available at once (Loader.available),
then loads the rest in the background, going on past a failing example (keep_going)."""

from __future__ import annotations

import inspect
import logging
import math
import threading
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Callable

from fidle_examples.core import claims as claims_mod
from fidle_examples.core import contract as contract_mod
from fidle_examples.core import figures, frenchfmt, reference, registry
from fidle_examples.core.contract import FIGURE_PREFIX, function_name
from fidle_examples.core.errors import FidleError
from fidle_examples.core.results import Figure, Result
from fidle_examples.build import drawing, explorer, keys, pool
from fidle_examples.build.jobs import job as job_line, parse, slot
from fidle_examples.build.storage import ResultsCache

log = logging.getLogger("mkdocs.plugins.fidle_examples")


@dataclass
class Loaded:
    """One example as the pages show it."""

    result: Result
    key: str
    trained: bool  # trained by this build (or this `mkdocs serve` session)
    contract: contract_mod.Contract
    reference: reference.Reference | None = None
    claims: dict[str, claims_mod.Verdict] = field(default_factory=dict)  # live run
    # The explorer's grid points: (config overrides, result, training key).
    points: list[tuple[dict, Result, str]] = field(default_factory=list)
    explorer: object = None  # build.explorer.View: its states and their figures
    # The committed reference whatever the profile: a quick build still states its range
    # (`reference` is None then, as its runs say nothing of a quick run).
    published: reference.Reference | None = None


def explorer_points(module: ModuleType, profile: str) -> list[dict]:
    """Config overrides of each point of the example's explorer grid (none without)."""
    explorer = getattr(module, "EXPLORER", None)
    return explorer.points(profile) if explorer is not None else []


def date_of(result: Result) -> str:
    return frenchfmt.date(result.date)


class Loader:
    def __init__(self, results: ResultsCache, profile: str, reference_dir: Path,
                 workers: int | None = None):
        self.results = results
        self.profile = profile
        self.reference_dir = reference_dir
        self.workers = workers  # the plugin's `workers` option; None: the default rule
        # Results already read or trained, kept across the rebuilds of `mkdocs serve`.
        self._memory: dict[tuple, tuple[Result, str, bool]] = {}

    def load(self, modules: dict[str, ModuleType], *, keep_going: bool = False,
             on_ready: Callable[[str, Loaded], None] | None = None,
             on_failed: Callable[[str, str], None] | None = None,
             stop: threading.Event | None = None) -> dict[str, Loaded]:
        """{name: Loaded} for the examples of `modules`, in the registry's order, with
        the points of their explorers (trained on the same pool, in the same call), and
        their figures: those missing from the cache are drawn as soon as the example's
        trainings end, while the others train (drawing.Stream).

        Raises the FidleError of the first failure. With `keep_going` (`mkdocs serve`),
        a failing example goes to on_failed(name, French message) instead and the others
        go on; on_ready(name, entry) is called as each example is complete. `stop` set:
        trainings and drawings end, and pool.Stopped is raised."""
        names = [n for n in registry.names() if n in modules]
        grids = {name: explorer_points(modules[name], self.profile) for name in names}
        jobs_of = {n: [n] + [job_line(n, overrides=p) for p in grids[n]] for n in names}
        found, missing, fingerprints = self._lookup([j for n in names for j in jobs_of[n]])
        failed: dict[str, str] = {}
        loaded: dict[str, Loaded] = {}

        def fail(name: str, message: str) -> None:
            if name in failed:
                return
            failed[name] = message
            if not keep_going:
                raise FidleError(message)
            log.error("%s", message)
            if on_failed:
                on_failed(name, message)

        def assemble(name: str, figures: _Figures) -> None:
            try:
                loaded[name] = self._assemble(name, modules[name], found, grids[name], figures)
            except FidleError as error:
                fail(name, str(error))
                return
            except Exception as error:  # a bug in a claim or an explorer hook
                if not keep_going:
                    raise
                fail(name, f"L'exemple « {name} » n'a pas pu être affiché "
                           f"({error.__class__.__name__} : {error}).")
                return
            figures.seal()

        def figures_of(name: str) -> _Figures:
            def ready():
                if on_ready and name not in failed:
                    on_ready(name, loaded[name])
            return _Figures(ready, (lambda error: fail(name, str(error))) if keep_going
                            else None)

        waiting = [n for n in names if any(j in missing for j in jobs_of[n])]
        collected = {n: figures_of(n) for n in names if n not in waiting}
        for name, drawn in collected.items():
            assemble(name, drawn)
        count = sum(f.count for f in collected.values())
        if not missing:  # everything known now: drawn together, as many processes as it takes
            stream = drawing.Stream(drawing.processes_for(count, self.workers), count=count)
        else:
            expected = count + sum(_expected_figures(modules[n], self.profile) for n in waiting)
            trainers = pool.pool_size(len(missing), configured=self.workers)
            left = [len(missing)]  # trainings not ended yet

            def spare_cores() -> int:  # drawing waits for the cores the trainings leave
                return pool.cores() - min(trainers, left[0])

            stream = drawing.Stream(drawing.processes_for(expected, self.workers),
                                    limit=spare_cores)
        try:
            for drawn in collected.values():
                drawn.attach(stream)
            if missing:
                self._train(missing, fingerprints, found, jobs_of, waiting, trainers, left,
                            stream, assemble, figures_of, fail, failed, keep_going, stop)
        except BaseException:
            stream.close(cancel=True)
            raise
        stream.close()
        if not keep_going:
            stream.raise_first()
        return {n: loaded[n] for n in names if n in loaded and n not in failed}

    def available(self, modules: dict[str, ModuleType]) -> dict[str, Loaded]:
        """The examples of `modules` whose results and figures are all in the cache (or
        in memory) now: nothing is trained or drawn (`mkdocs serve` shows them at once)."""
        names = [n for n in registry.names() if n in modules]
        grids = {name: explorer_points(modules[name], self.profile) for name in names}
        jobs_of = {n: [n] + [job_line(n, overrides=p) for p in grids[n]] for n in names}
        found, missing, _ = self._lookup([j for n in names for j in jobs_of[n]])
        ready = {}
        for name in names:
            if any(j in missing for j in jobs_of[name]):
                continue
            figures = _Figures(lambda: None, None)
            try:
                entry = self._assemble(name, modules[name], found, grids[name], figures)
            except FidleError:
                continue  # load() will say why
            if not figures.count:
                ready[name] = entry
        return ready

    def _assemble(self, name: str, module: ModuleType, found: dict, grid: list[dict],
                  figures: "_Figures") -> Loaded:
        """The Loaded of an example whose trainings are all in `found`; its figures read
        from the cache, or handed to `figures` to draw."""
        result, key, fresh = found[name]
        contract = contract_mod.read(module)
        published = self._published(name)
        ref = published if published is not None and published.profile == self.profile \
            else None  # a reference of the full profile says nothing of a quick run
        self._figures(name, module, result, key, contract, ref, figures)
        verdicts = claims_mod.evaluate_all(module, contract, result,
                                           claims_mod.calibrated_on(ref))
        entry = Loaded(result, key, fresh, contract, ref, verdicts, published=published)
        for point in grid:
            point_result, point_key, _ = found[job_line(name, overrides=point)]
            entry.points.append((point, point_result, point_key))
        if getattr(module, "EXPLORER", None) is not None:
            explorer.prepare(entry, module, self.results, self.profile, figures)
        return entry

    # --- training results ---------------------------------------------------------
    def _lookup(self, jobs: list[str]):
        """({job: (result, key, trained now)} from memory or the cache, the jobs
        missing, {example: fingerprint})."""
        versions = keys.library_versions()
        fingerprints = {}
        found, missing = {}, []
        for job in jobs:
            name, seed, overrides = parse(job)
            if name not in fingerprints:
                fingerprints[name] = keys.fingerprint(registry.get(name), self.profile,
                                                      versions)
            where = slot(self.profile, seed, overrides)
            memory_key = (self.results.root, job, self.profile, fingerprints[name])
            if memory_key in self._memory:
                found[job] = self._memory[memory_key]
                continue
            key = self.results.key_for(name, where, fingerprints[name])
            result = key and self.results.load(name, where, key)
            if result:
                if job == name:
                    log.info("« %s » : résultats relus depuis le cache, ceux de l'entraînement "
                             "du %s sur %s, %s.", name, date_of(result),
                             frenchfmt.device_phrase(result.device or ""),
                             _library(name, (result.versions or {}).get("backend", "?")))
                found[job] = self._memory[memory_key] = (result, key, False)
            else:
                missing.append(job)
        return found, missing, fingerprints

    def _train(self, jobs, fingerprints, found, jobs_of, waiting, workers, left, stream,
               assemble, figures_of, fail, failed, keep_going, stop) -> None:
        """Train `jobs` on the worker pool; each example of `waiting` is assembled (its
        figures handed to `stream`) as soon as its last training ends."""
        log.info("Entraînements à faire (profil %s, %d processus) : %s. Cache : %s",
                 self.profile, workers, ", ".join(jobs), self.results.root)
        order = training_order(jobs)
        todo = {n: {j for j in jobs_of[n] if j in jobs} for n in waiting}

        def on_done(event: dict) -> None:
            job = event["example"]
            left[0] -= 1
            stream.poke()
            name, seed, overrides = parse(job)
            where = slot(self.profile, seed, overrides)
            key = event["key"]
            result = self.results.load(name, where, key)
            if result is None:
                fail(name, f"Le résultat de « {job} » vient d'être calculé mais est illisible "
                           f"dans « {self.results.entry(name, where, key)} » (une autre "
                           "construction l'a peut-être supprimé). Relancez la construction.")
                return
            found[job] = (result, key, event["trained"])
            # Remember it only if it is the entry of the code this build fingerprinted.
            if self.results.key_for(name, where, fingerprints[name]) == key:
                self._memory[(self.results.root, job, self.profile,
                              fingerprints[name])] = found[job]
            todo[name].discard(job)
            if not todo[name] and name not in failed:
                figures = figures_of(name)
                assemble(name, figures)
                figures.attach(stream)

        def on_error(event: dict) -> None:
            job, details = event["example"], event.get("details", "")
            left[0] -= 1
            stream.poke()
            name = parse(job)[0]
            if details:  # a bug rather than a FidleError: the traceback helps
                log.error("Trace de l'erreur de « %s » :\n%s", job, details)
            fail(name, _failure_message(job, event["message"]))

        def on_event(event: dict) -> None:
            if stream.errors:  # a figure failed: the build stops here
                stream.raise_first()
            if event["event"] == "error":
                on_error(event)
                return
            _EventLogger()(event)
            if event["event"] == "done":
                on_done(event)

        try:
            pool.run(order, self.profile, self.results.root, on_event,
                     on_output=lambda line: log.debug("  %s", line), workers=workers,
                     keep_going=keep_going, stop=stop)
        except pool.WorkerError as error:
            if error.details:  # a bug rather than a FidleError: the traceback helps
                log.error("Trace de l'erreur de « %s » :\n%s", error.example, error.details)
            raise FidleError(_failure_message(error.example, str(error))) from None

    # --- figures and reference ----------------------------------------------------
    def _published(self, name: str) -> reference.Reference | None:
        """The committed reference of `name` (None without one, or when it is damaged)."""
        try:
            return reference.load(name, self.reference_dir)
        except reference.ReferenceFileError as error:
            log.warning("%s Les pages de « %s » sont construites sans bandes de référence.",
                        error, name)
            return None

    def _figures(self, name, module, result: Result, key: str, contract,
                 ref: reference.Reference | None, batch) -> None:
        """result.figures: from the figure cache, or once `batch` has drawn them. A
        figure function that takes `reference` is handed the committed reference (its
        band drawn behind the run's curve), which is then part of the figure key."""
        spec = registry.get(name)
        ref_file = ref.path.read_bytes() if ref else b""
        folder = self.results.figures_dir(name, self.profile, key,
                                          keys.figure_key(spec, key + keys.sha256(ref_file)))
        stored = self.results.load_figures(folder, [f"{k}.svg" for k in contract.figures])
        if stored is not None:
            result.figures = {k: Figure(k, contract.figures[k], stored[f"{k}.svg"])
                              for k in contract.figures}
            return

        def drawn(svgs: dict[str, str]) -> None:
            result.figures = {k: Figure(k, contract.figures[k], svg) for k, svg in svgs.items()}
            log.info("« %s » : %s à partir du résultat enregistré.", name,
                     "1 figure dessinée" if len(svgs) == 1 else f"{len(svgs)} figures dessinées")
            self.results.store_figures(folder, {f"{k}.svg": svg for k, svg in svgs.items()})

        tasks = {}
        for k in contract.figures:
            function = function_name(FIGURE_PREFIX, k)
            takes_reference = "reference" in inspect.signature(getattr(module, function)).parameters
            tasks[k] = drawing.Task(name, module, function, result,
                                    partial(figures.failure, contract.example, k),
                                    {"reference": ref} if takes_reference else {})
        batch.add(tasks, drawn)


def training_order(jobs: list[str]) -> list[str]:
    """The order the pool takes `jobs` in. First the examples without Keras: each trains
    in a second or two, but they have most of the site's figures (the gradient-descent
    and polynomial-regression explorers'), which are then drawn while the long
    trainings run instead of after them. Then the others, longest first, so that no
    long training starts last."""
    def rank(job_: str) -> tuple[bool, float]:
        spec = registry.get(parse(job_)[0])
        return spec.uses_keras, -spec.cost_s
    return sorted(jobs, key=rank)


def _failure_message(job: str, message: str) -> str:
    message = message.rstrip()
    return (f"L'exemple « {parse(job)[0]} » a échoué pendant la construction du site : "
            f"{message}{'' if message.endswith('.') else '.'} Aucune figure ni aucun "
            "résultat ancien n'est affiché à la place.")


def _expected_figures(module: ModuleType, profile: str) -> int:
    """At most how many drawings an example needs (its explorer's states included)."""
    count = len(contract_mod.read(module).figures)
    view = getattr(module, "EXPLORER", None)
    if view is not None:
        figures = view.figures
        count += len(explorer.grid(view, profile)) * len(figures)
    return count


class _Figures:
    """The drawings of one example: handed to the stream once it exists (attach), and
    `ready()` called once every group is drawn and seal() has said none will follow."""

    def __init__(self, ready: Callable[[], None],
                 failed: Callable[[FidleError], None] | None):
        self._ready, self._failed = ready, failed
        self._lock = threading.Lock()
        self._stream: drawing.Stream | None = None
        self._backlog: list[tuple[dict, Callable]] = []
        self._left = 0
        self._sealed = False
        self.count = 0  # drawings asked for

    def add(self, tasks: dict, done: Callable[[dict[str, str]], None]) -> None:
        if not tasks:
            return
        self.count += len(tasks)

        def drawn(svgs: dict[str, str]) -> None:
            done(svgs)
            self._one_less()

        with self._lock:
            self._left += 1
            if self._stream is None:
                self._backlog.append((tasks, drawn))
                return
        self._stream.add(tasks, drawn, self._failed)

    def attach(self, stream: drawing.Stream) -> None:
        with self._lock:
            self._stream, backlog, self._backlog = stream, self._backlog, []
        for tasks, drawn in backlog:
            stream.add(tasks, drawn, self._failed)

    def seal(self) -> None:
        with self._lock:
            self._sealed = True
            complete = self._left == 0
        if complete:
            self._ready()

    def _one_less(self) -> None:
        with self._lock:
            self._left -= 1
            complete = self._sealed and self._left == 0
        if complete:
            self._ready()


def _library(job_: str, backend: str) -> str:
    """« avec Keras sur TensorFlow », or « sans Keras »: a NumPy example's versions name a
    backend too (they key the cache), but it computed nothing with it."""
    return f"avec {frenchfmt.keras_phrase(backend)}" if pool.uses_keras(job_) else "sans Keras"


class _EventLogger:
    """Logs the workers' events."""

    def __call__(self, event: dict) -> None:
        name, kind = event["example"], event["event"]
        worker = f"[processus {event.get('worker', 1)}] "
        if kind == "training":
            settings = ", ".join(f"{k}={v}" for k, v in event["config"].items())
            log.info("%s« %s » : entraînement (profil %s ; %s)…", worker, name,
                     event["profile"], settings)
        elif kind == "epoch":
            epoch, epochs = event["epoch"], event["epochs"]
            step = max(1, math.ceil(epochs / 10))  # about ten lines per example
            if epoch in (1, epochs) or epoch % step == 0:
                logs = " ; ".join(f"{k} {frenchfmt.number(v, 4)}"
                                  for k, v in list(event["logs"].items())[:4])
                log.info("%s« %s » : époque %d/%d — %s", worker, name, epoch, epochs, logs)
        elif kind == "waiting":
            log.info("%s« %s » : une autre construction l'entraîne déjà ; attente de son "
                     "résultat…", worker, name)
        elif kind == "warning":
            log.warning("%s« %s » : %s", worker, name, event["message"])
        elif kind == "done":
            if event["trained"]:
                log.info("%s« %s » : entraîné en %s sur %s, %s.", worker, name,
                         frenchfmt.duration(event["duration_s"]),
                         frenchfmt.device_phrase(event["device"]),
                         _library(name, event.get("backend", "?")))
            else:
                log.info("%s« %s » : résultat trouvé dans le cache (calculé par une autre "
                         "construction).", worker, name)
