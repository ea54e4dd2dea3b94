"""Loading the examples a build needs: from the cache, or trained by the worker pool;
then their figures, from the figure cache or drawn from the stored result (all those
of the build at once, on a pool of processes: drawing.py). Errors are the package's
own (FidleError, in French): the MkDocs plugin, the CLI and the bench all call this."""

from __future__ import annotations

import inspect
import logging
import math
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import ModuleType

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

    def load(self, modules: dict[str, ModuleType]) -> dict[str, Loaded]:
        """{name: Loaded} for the examples of `modules`, in the registry's order, with
        the points of their explorers (trained on the same pool, in the same call), and
        their figures (those missing from the cache drawn together, at the end)."""
        names = [n for n in registry.names() if n in modules]
        grids = {name: explorer_points(modules[name], self.profile) for name in names}
        jobs = names + [job_line(n, overrides=p) for n in names for p in grids[n]]
        found = self._results(jobs)
        loaded, batch = {}, drawing.Batch(self.workers)
        for name in names:
            result, key, fresh = found[name]
            module = modules[name]
            contract = contract_mod.read(module)
            ref = self._reference(name)
            self._figures(name, module, result, key, contract, ref, batch)
            verdicts = claims_mod.evaluate_all(module, contract, result,
                                               claims_mod.calibrated_on(ref))
            entry = Loaded(result, key, fresh, contract, ref, verdicts)
            for point in grids[name]:
                point_result, point_key, _ = found[job_line(name, overrides=point)]
                entry.points.append((point, point_result, point_key))
            if getattr(module, "EXPLORER", None) is not None:
                explorer.prepare(entry, module, self.results, self.profile, batch)
            loaded[name] = entry
        batch.run()
        return loaded

    # --- training results ---------------------------------------------------------
    def _results(self, jobs: list[str]) -> dict[str, tuple[Result, str, bool]]:
        """{job: (result, key, trained now)}, from the cache or trained."""
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
                    log.info("« %s » : résultats relus depuis le cache (entraînement du %s, "
                             "%s, %s).", name, date_of(result), result.device,
                             (result.versions or {}).get("backend", "?"))
                found[job] = self._memory[memory_key] = (result, key, False)
            else:
                missing.append(job)
        if missing:
            found.update(self._train(missing, fingerprints))
        return found

    def _train(self, jobs: list[str], fingerprints: dict[str, str]):
        workers = pool.pool_size(len(jobs), configured=self.workers)
        log.info("Entraînements à faire (profil %s, %d processus) : %s. Cache : %s",
                 self.profile, workers, ", ".join(jobs), self.results.root)
        done: dict[str, dict] = {}
        order = sorted(jobs, key=lambda j: -registry.get(parse(j)[0]).cost_s)
        try:
            pool.run(order, self.profile, self.results.root, _EventLogger(done),
                            on_output=lambda line: log.debug("  %s", line), workers=workers)
        except pool.WorkerError as error:
            if error.details:  # a bug rather than a FidleError: the traceback helps
                log.error("Trace de l'erreur de « %s » :\n%s", error.example, error.details)
            message = str(error).rstrip()
            raise FidleError(
                f"L'exemple « {error.example} » a échoué pendant la construction du site : "
                f"{message}{'' if message.endswith('.') else '.'} Aucune figure ni aucun "
                "résultat ancien n'est affiché à la place.") from None
        found = {}
        for job in jobs:
            name, seed, overrides = parse(job)
            where = slot(self.profile, seed, overrides)
            key = done[job]["key"]
            result = self.results.load(name, where, key)
            if result is None:
                raise FidleError(
                    f"Le résultat de « {job} » vient d'être calculé mais est illisible dans "
                    f"« {self.results.entry(name, where, key)} » (une autre "
                    "construction l'a peut-être supprimé). Relancez la construction.")
            found[job] = (result, key, done[job]["trained"])
            # Remember it only if it is the entry of the code this build fingerprinted.
            if self.results.key_for(name, where, fingerprints[name]) == key:
                self._memory[(self.results.root, job, self.profile,
                              fingerprints[name])] = found[job]
        return found

    # --- figures and reference ----------------------------------------------------
    def _reference(self, name: str) -> reference.Reference | None:
        try:
            ref = reference.load(name, self.reference_dir)
        except reference.ReferenceFileError as error:
            log.warning("%s Les pages de « %s » sont construites sans bandes de référence.",
                        error, name)
            return None
        if ref is not None and ref.profile != self.profile:
            return None  # a reference of the full profile says nothing of a quick run
        return ref

    def _figures(self, name, module, result: Result, key: str, contract,
                 ref: reference.Reference | None, batch: drawing.Batch) -> None:
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


class _EventLogger:
    """Logs the workers' events; records the `done` ones into `done`."""

    def __init__(self, done: dict[str, dict]):
        self.done = done

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
            self.done[name] = event
            if event["trained"]:
                log.info("%s« %s » : entraîné en %s sur %s (Keras %s).", worker, name,
                         frenchfmt.duration(event["duration_s"]), event["device"],
                         event.get("backend", "?"))
            else:
                log.info("%s« %s » : résultat trouvé dans le cache (calculé par une autre "
                         "construction).", worker, name)
