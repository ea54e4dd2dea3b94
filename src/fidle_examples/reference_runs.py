"""`fidle-examples reference` (make reference): the reference results of the course.

Each example is trained in the full profile over several seeds on the build's
worker pool; each seed is cached on its own, so an interrupted run resumes where it
stopped. `reference/NAME.json` is replaced only once all its seeds are done, and a
value that leaves the previous range is written to the « Journal des résultats »
page with what changed.

Each run is recorded with its Keras backend and device. Run on another backend than
the reference's published one (KERAS_BACKEND=jax fidle-examples reference NAME
--seeds 2), the command adds its runs to the file and keeps the published runs, their
ranges and bands: every claim is then checked against the runs of both backends.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from fidle_examples.core import frenchfmt, reference, registry
from fidle_examples.core.contract import read as read_contract
from fidle_examples.core.errors import FidleError
from fidle_examples.core.results import Result
from fidle_examples.build import keys, pool
from fidle_examples.build.jobs import job as job_line, slot
from fidle_examples.build.storage import ResultsCache, plugin_option, project_root

PROFILE = "full"
DEFAULT_SEEDS = 5
JOURNAL = Path("docs") / "journal-des-resultats.md"


# The question experiments already train several times per run (seeds, batch sizes,
# remedies): three seeds of each keep `make reference` within minutes.
QUESTION_SEEDS = 3


def seeds_for(name: str, wanted: int | None) -> list[int]:
    """k seeds: the published one (the full profile's, 42), then 1, 2, ...; k from the
    command line, else 5 (3 for the question experiments). With the published seed
    among them, the default command on the reference machine gives a reference value."""
    default = QUESTION_SEEDS if registry.get(name).kind == registry.QUESTION else DEFAULT_SEEDS
    published = registry.get(name).load().PROFILES[PROFILE].seed
    others = [s for s in range(1, (wanted or default) + 1) if s != published]
    return [published, *others][: wanted or default]


def _job(name: str, seed: int) -> tuple[str, str]:
    """(job line, cache slot): the published seed shares the site build's entry."""
    if seed == registry.get(name).load().PROFILES[PROFILE].seed:
        return name, PROFILE
    return job_line(name, seed), slot(PROFILE, seed)


def build(names: list[str], seeds: int | None, project: Path, out=sys.stdout) -> list[Path]:
    modules = {name: registry.get(name).load() for name in names}
    plan = {name: seeds_for(name, seeds) for name in names}
    jobs = sorted((_job(n, s)[0] for n in names for s in plan[n]),
                  key=lambda j: -registry.get(j.split("@")[0]).cost_s)
    results = ResultsCache(project_root(project))
    workers = pool.pool_size(len(jobs),
                             configured=plugin_option(project / "mkdocs.yml", "workers"))
    print(f"Référence : {len(jobs)} entraînements (profil {PROFILE}, {workers} processus) "
          f"pour {', '.join(names)}.", file=out, flush=True)
    done: dict[str, dict] = {}
    started = time.perf_counter()

    def on_event(event):
        kind, job = event["event"], event["example"]
        if kind == "done":
            done[job] = event
            state = "entraîné" if event["trained"] else "déjà dans le cache"
            print(f"  [{len(done)}/{len(jobs)}] {job} : {state}"
                  f" (processus {event['worker']}, {frenchfmt.duration(time.perf_counter() - started)}"
                  " écoulées)", file=out, flush=True)
        elif kind == "training":
            print(f"  {job} : entraînement (processus {event['worker']})…", file=out, flush=True)

    try:
        pool.run(jobs, PROFILE, results.root, on_event, lambda line: None, workers)
    except pool.WorkerError as error:
        raise FidleError(f"L'entraînement de référence « {error.example} » a échoué : "
                         f"{error} Les graines déjà faites restent dans le cache : relancez "
                         "la commande pour reprendre.") from None
    written = []
    folder = reference.default_dir(project)
    for name in names:
        runs = []
        for seed in plan[name]:
            job, where = _job(name, seed)
            result = results.load(name, where, done[job]["key"])
            if result is None:
                raise FidleError(f"Le résultat de « {job} » est introuvable dans le cache "
                                 f"« {results.root} » : relancez la commande.")
            runs.append(result)
        new = _reference(name, runs, modules[name])
        previous = _previous(name, folder, out)
        if previous and previous.backend != new.backend:
            new = _added(previous, new, out)
            written.append(reference.save(new, folder))
            print(f"  {name} : {len(runs)} exécution(s) {new_backend(runs)} ajoutée(s) à "
                  f"{written[-1]}.", file=out)
            continue
        if previous:
            new = _kept(previous, new, out)
        moved = _moved(previous, new, modules[name]) if previous else []
        if moved:
            _journal(project / JOURNAL, name, previous, new, moved)
            print(f"  {name} : {len(moved)} mesure(s) hors de la plage précédente, notées "
                  f"dans {JOURNAL}.", file=out)
        written.append(reference.save(new, folder))
        print(f"  {name} : {written[-1]} écrit.", file=out)
    print(f"Terminé en {frenchfmt.duration(time.perf_counter() - started)}.", file=out)
    return written


def new_backend(runs: list[Result]) -> str:
    return runs[0].versions.get("backend", "?")


def _added(previous: reference.Reference, new: reference.Reference, out) -> reference.Reference:
    """The previous reference with the runs of `new` (another backend) in place of any
    older runs of that backend: the published runs, ranges and provenance stay."""
    backend = new.backend
    if previous.config != new.config:
        raise FidleError(f"La référence de « {new.example} » a été calculée avec une autre "
                         "configuration : régénérez d'abord celle du backend publié "
                         f"({previous.backend}), puis ajoutez les exécutions {backend}.")
    kept = [run for run in previous.runs if previous.setting(run)[0] != backend]
    others = {**previous.others, backend: {k: new.provenance[k] for k in
                                           ("device", "versions", "date", "code")}}
    return reference.Reference(previous.example, previous.profile, previous.seeds,
                               previous.config, _with_setting(previous, kept) + new.runs,
                               previous.provenance, previous.note, None, others)


def _kept(previous: reference.Reference, new: reference.Reference, out) -> reference.Reference:
    """`new` (the published backend's runs) with the other backends' runs of `previous`
    that were computed by the same code and configuration; the others are dropped."""
    kept, others = [], {}
    for backend, setting in previous.others.items():
        runs = [r for r in previous.runs if previous.setting(r)[0] == backend]
        if previous.config == new.config and setting.get("code") == _code(new.example,
                                                                    setting.get("versions", {})):
            kept += runs
            others[backend] = setting
        elif runs:
            print(f"  {new.example} : les {len(runs)} exécution(s) {backend} de la référence "
                  "précédente ne correspondent plus au code ou à la configuration : retirées "
                  f"(KERAS_BACKEND={backend} fidle-examples reference {new.example} les "
                  "refait).", file=out)
    new.runs += kept
    new.others = others
    return new


def _with_setting(ref: reference.Reference, runs: list[dict]) -> list[dict]:
    """Runs with their backend and device written out (older files leave them implicit)."""
    return [{**run, "backend": ref.setting(run)[0], "device": ref.setting(run)[1]}
            for run in runs]


def _code(name: str, versions: dict) -> str:
    """The code fingerprint a run with these library versions would have now: the same as
    the recorded one when neither the example's code nor its configuration changed."""
    return keys.fingerprint(registry.get(name), PROFILE, versions)


def _reference(name: str, runs: list[Result], module) -> reference.Reference:
    first = runs[0]
    config = {k: v for k, v in first.config.items() if k != "seed"}
    durations = sorted(r.duration_s for r in runs)
    provenance = {
        "device": first.device, "versions": first.versions,
        "date": dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds"),
        "duration_s": {"min": durations[0], "median": durations[len(durations) // 2],
                       "max": durations[-1]},
        "code": keys.fingerprint(registry.get(name), PROFILE, {}),
    }
    note = ""
    if len(runs) < DEFAULT_SEEDS:
        note = (f"{len(runs)} graines seulement : chaque exécution de cette expérience fait "
                "déjà plusieurs entraînements, et 5 graines coûteraient trop de temps de calcul.")
    return reference.Reference(
        name, PROFILE, [r.seed for r in runs], config,
        [{"seed": r.seed, "metrics": r.metrics, "history": r.history,
          "duration_s": r.duration_s, "backend": r.versions.get("backend", ""),
          "device": r.device} for r in runs], provenance, note)


def _previous(name: str, folder: Path, out) -> reference.Reference | None:
    try:
        return reference.load(name, folder)
    except reference.ReferenceFileError as error:
        print(f"  {error} Elle sera remplacée.", file=out)
        return None


def _moved(old: reference.Reference, new: reference.Reference, module) -> list[tuple]:
    """(metric, old range, new range) for each metric whose new median left the old range."""
    metrics = read_contract(module).metrics
    moved = []
    for key, spec in metrics.items():
        if key not in old.runs[0]["metrics"]:
            continue
        low, _, high = old.range(key)
        new_low, median, new_high = new.range(key)
        if not low <= median <= high:
            moved.append((spec, (low, high), (new_low, median, new_high)))
    return moved


def _journal(path: Path, name: str, old, new, moved) -> None:
    nb = "\u00a0"  # French typography: no-break space before « : » and « ; »
    changes = []
    old_v, new_v = old.provenance.get("versions", {}), new.provenance.get("versions", {})
    changes += [f"{k} {old_v.get(k, '?')} → {new_v[k]}" for k in new_v if old_v.get(k) != new_v[k]]
    if old.provenance.get("code") != new.provenance.get("code"):
        changes.append("code de l'exemple modifié")
    changes += [f"{k}{nb}: {old.config.get(k)} → {v}" for k, v in new.config.items()
                if old.config.get(k) != v]
    if old.provenance.get("device") != new.provenance.get("device"):
        changes.append(f"matériel{nb}: {old.provenance.get('device')} → "
                       f"{new.provenance.get('device')}")
    day = frenchfmt.date(new.provenance["date"]).split(" à ")[0]  # « 29 novembre 2026 »
    lines = [f"\n## {day} — `{name}`\n",
             f"Ce qui a changé{nb}: " + (f"{nb}; ".join(changes) if changes
                                          else "rien d'identifié") + ".\n"]
    for spec, (low, high), (new_low, median, new_high) in moved:
        lines.append(f"- {spec.label_for(new.config)}{nb}: médiane des graines "
                     f"{spec.format(median)} (nouvelle plage {spec.format(new_low)} à "
                     f"{spec.format(new_high)}), hors de l'ancienne plage {spec.format(low)} à "
                     f"{spec.format(high)}.")
    text = path.read_text(encoding="utf-8") if path.exists() else _JOURNAL_HEAD
    path.write_text(text.rstrip("\n") + "\n" + "\n".join(lines) + "\n", encoding="utf-8")


_JOURNAL_HEAD = """# Journal des résultats

Chaque fois que `make reference` produit une mesure hors de la plage des résultats de
référence précédents (nouvelle version d'une bibliothèque, code modifié, autre
matériel), la commande l'écrit ici, avec ce qui a changé.
"""
