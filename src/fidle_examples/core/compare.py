"""« Mon exécution est-elle normale ? » — a Result against the committed reference."""

from __future__ import annotations

from dataclasses import dataclass

from fidle_examples.core import frenchfmt
from fidle_examples.core.contract import Contract
from fidle_examples.core.reference import Reference
from fidle_examples.core.results import Result


@dataclass(frozen=True)
class Line:
    label: str
    value: str
    low: str
    high: str
    where: str  # "dans", "en dessous", "au-dessus", or NOT_COMPARED (a duration)


# A duration measures the machine and its load (and the code's speed the day it ran), not
# the training: its range is shown, never held against the run.
NOT_COMPARED = "durée"
DURATIONS_WHY = "elles dépendent de la machine et de sa charge"


def compared(metric) -> bool:
    """Whether a metric (contract.Metric) is held against the reference's range."""
    return metric.kind != "seconds"


@dataclass(frozen=True)
class Comparison:
    lines: list[Line]
    config_diff: dict[str, tuple]  # field -> (this run, reference)
    version_diff: dict[str, tuple]
    other_device: bool
    seeds: int
    # The run's backend when it is not the published one (else ""), and whether the
    # reference holds runs of it (then the ranges above are theirs).
    other_backend: str = ""
    backend_runs: bool = False
    published_backend: str = "tensorflow"
    seed_values: tuple = ()  # the seeds of the runs compared with

    @property
    def outside(self) -> list[str]:
        """The labels of the measures out of the range."""
        return [line.label for line in self.lines if line.where in ("en dessous", "au-dessus")]

    @property
    def inside(self) -> bool:
        return not self.outside

    @property
    def durations(self) -> bool:
        """Whether some measures are durations, shown but not compared."""
        return any(line.where == NOT_COMPARED for line in self.lines)

    def text(self) -> str:
        """The French report the CLI prints and the notebooks show."""
        if self.other_backend and self.backend_runs:
            out = [f"Comparaison avec les {self.seeds} exécutions de référence faites, comme "
                   f"celle-ci, avec {frenchfmt.keras_phrase(self.other_backend)} (profil "
                   "complet) :"]
        elif self.other_backend:
            published = frenchfmt.keras_phrase(self.published_backend)
            other = frenchfmt.backend_name(self.other_backend)
            out = [f"Comparaison avec les résultats de référence ({self.seeds} graines, "
                   f"profil complet), calculés avec {published} : la référence ne contient "
                   f"aucune exécution avec {other}, le moteur de calcul de cette exécution."]
        else:
            out = [f"Comparaison avec les résultats de référence ({self.seeds} graines, "
                   "profil complet) :"]
        width = max((len(line.label) for line in self.lines), default=10)
        marks = {"dans": "dans la plage", "en dessous": "EN DESSOUS de la plage",
                 "au-dessus": "AU-DESSUS de la plage",
                 NOT_COMPARED: "non comparée (durée)"}
        for line in self.lines:
            out.append(f"  {line.label:<{width}}  {line.value:>12}   référence "
                       f"{line.low} à {line.high} : {marks[line.where]}")
        if self.config_diff:
            out.append("Attention : la configuration diffère de celle de la référence "
                       "(la comparaison n'a alors qu'une valeur indicative) :")
            out += [f"  --{k.replace('_', '-')} = {a} ici, {b} dans la référence"
                    for k, (a, b) in self.config_diff.items()]
        aside = f" (durées mises à part, car {DURATIONS_WHY})" if self.durations else ""
        if self.inside:
            out.append("Verdict : exécution normale, chaque mesure est dans la plage des "
                       f"graines de référence{aside}.")
            return "\n".join(out)
        out.append("Verdict : au moins une mesure sort de la plage des graines de référence"
                   f"{aside}. Causes possibles :")
        causes = []
        if "epochs" in self.config_diff:
            a, b = self.config_diff["epochs"]
            causes.append(f"moins d'époques ({a} au lieu de {b})" if a < b else
                          f"plus d'époques ({a} au lieu de {b})")
        others = [k for k in self.config_diff if k not in ("epochs", "seed")]
        if others:
            causes.append("d'autres hyperparamètres (" + ", ".join(others) + ")")
        if self.version_diff:
            causes.append("d'autres versions des bibliothèques (" + ", ".join(
                f"{k} {a} au lieu de {b}" for k, (a, b) in self.version_diff.items()) + ")")
        if self.other_backend and not self.backend_runs:
            causes.append(f"un autre moteur de calcul de Keras "
                          f"({frenchfmt.backend_name(self.other_backend)} au lieu de "
                          f"{frenchfmt.backend_name(self.published_backend)} : d'autres "
                          "implantations des calculs, un autre ordre des lots)")
        if self.other_device:
            causes.append("un autre matériel (GPU ou processeur : les calculs en virgule "
                          "flottante n'y sont pas faits dans le même ordre)")
        if not causes:
            seeds = [str(seed) for seed in self.seed_values]
            rerun = (f" (relancez avec --seed {', '.join(seeds[:-1])} ou {seeds[-1]} pour "
                     "comparer)" if len(seeds) > 1 else "")
            causes.append("le hasard de la graine, si ce n'est pas l'une des graines de "
                          f"référence{rerun}, ou une modification du code de l'exemple")
        out += [f"  - {cause}" for cause in causes]
        return "\n".join(out)


def run_backend(result: Result) -> str:
    """The Keras backend a run computed with; "" for an example without Keras (its
    versions name one only because they key the cache), which is then compared with the
    published runs, whatever KERAS_BACKEND says."""
    backend = (result.versions or {}).get("backend", "")
    return backend if uses_keras(result) else ""


def uses_keras(result: Result) -> bool:
    """Whether the example of `result` computes with Keras (registry.uses_keras)."""
    from fidle_examples.core import registry

    return registry.libraries(result.example)[0]


def reference_runs(result: Result, reference: Reference) -> tuple[list[dict], str, bool]:
    """(the reference runs `result` is compared with, its backend when it is not the
    published one (else ""), whether those runs are that backend's): the published runs,
    or those of the run's own backend when the reference holds some."""
    backend = run_backend(result)
    runs, own = reference.comparable(backend)
    other = backend if backend and backend != reference.backend else ""
    return runs, other, bool(other and own)


def compare(result: Result, reference: Reference, contract: Contract) -> Comparison:
    runs, other_backend, backend_runs = reference_runs(result, reference)
    lines = []
    for key, spec in contract.metrics.items():
        if key not in result.metrics:
            continue
        low, _, high = reference.range(key, runs)
        value = result.metrics[key]
        # Not « dans » unless inside: a NaN is out of every range.
        where = (NOT_COMPARED if not compared(spec) else "dans" if low <= value <= high
                 else "en dessous" if value < low else "au-dessus")
        lines.append(Line(spec.label_for(result.config), spec.format(value), spec.format(low), spec.format(high),
                          where))
    config_diff = {k: (v, reference.config.get(k)) for k, v in result.config.items()
                   if k != "seed" and reference.config.get(k) != v}
    setting = (reference.others.get(other_backend, {}) if backend_runs
               else reference.provenance)
    ref_versions = setting.get("versions", {})
    # An example without Keras computed nothing with Keras or its backend: their versions
    # (recorded because they key the cache) are no cause of a difference.
    unused = set() if uses_keras(result) else {"keras", *frenchfmt.BACKEND_NAMES}
    version_diff = {k: (v, ref_versions[k]) for k, v in result.versions.items()
                    if k in ref_versions and ref_versions[k] != v and k != "backend"
                    and k not in unused}
    ref_device = setting.get("device") or (runs[0].get("device") if runs else None)
    other_device = bool(result.device) and result.device != (ref_device or reference.device)
    return Comparison(lines, config_diff, version_diff, other_device, len(runs),
                      other_backend, backend_runs, reference.backend,
                      tuple(run["seed"] for run in runs))
