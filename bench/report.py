"""The French Markdown tables of a benchmark run (bench/resultats.md)."""

from __future__ import annotations

import re

from fidle_examples.core import frenchfmt, registry
from fidle_examples.core.frenchfmt import date as french_date

NNBSP = frenchfmt.NNBSP
NBSP = frenchfmt.NBSP
# Fidle's published reference runs of the original notebooks (course repository).
FIDLE = {"mnist": {"metric": "test_accuracy", "low": 0.9772, "high": 0.9778,
                   "seconds": (44, 77)},
         "wine": {"metric": "test_mae", "value": 0.537}}
BACKEND_NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def num(value: float, digits: int = 1) -> str:
    return frenchfmt.number(value, digits)


def sec(value: float) -> str:
    """Seconds with a precision that suits the size (noise can make a difference
    negative: the size is the absolute value's); milliseconds below 0.01 s."""
    size = abs(value)
    if size < 0.01:
        return f"{num(1000 * value, 2)}{NNBSP}ms"
    digits = 3 if size < 1 else 2 if size < 10 else 1
    return f"{num(value, digits)}{NNBSP}s"


def ratio(value: float) -> str:
    return num(value, 2)


def _table(header: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    align = align or "l" + "r" * (len(header) - 1)
    marks = {"l": "---", "r": "---:", "c": ":---:"}
    return ["| " + " | ".join(header) + " |",
            "| " + " | ".join(marks[a] for a in align) + " |",
            *("| " + " | ".join(row) + " |" for row in rows), ""]


def context(data: dict) -> list[str]:
    machine = data["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items())
    load = machine.get("load_average_at_start")
    # The device each backend reported (runtime.device_description(): "CPU (...)" or
    # the GPU's name); nothing is said about GPUs when no backend reported one.
    devices = {v["device"] for v in data.get("backends", {}).values()
               if isinstance(v, dict) and v.get("device")}
    gpus = sorted(d for d in devices if not d.startswith("CPU"))
    device = (f" ; GPU : {', '.join(gpus)}" if gpus else " (aucun GPU)" if devices else "")
    lines = [f"Mesures du {french_date(machine['date'])} ; processeur : {machine['cpu']}"
             f"{device} ; Python {machine['python']} ; {versions}."]
    if load:
        lines.append(f"Charge moyenne de la machine au départ (moyennes sur 1, 5 et 15{NBSP}min) : "
                     f"{' ; '.join(num(v, 2) for v in load)}. Une charge supérieure au "
                     "nombre de cœurs signifie que d'autres processus se disputaient les "
                     "cœurs : les durées en sont allongées.")
    if data["profile"] != "full":
        lines.append(f"**Profil {data['profile']}** : mesures d'essai, pas celles du profil "
                     "complet de référence.")
    return [" ".join(lines), ""]


def site_section(site: dict) -> list[str]:
    rows = []
    if "cold_one_s" in site:
        k, workers = len(site["cold_one_s"]), site["workers"]
        median = f" ; médiane de {k}" if k > 1 else " ; une seule construction"
        rows += [
            [f"Construction à froid, 1 processus d'entraînement (cache vide{median})",
             sec(site["cold_one_median_s"])],
            [f"Construction à froid, {workers} processus (le défaut sur cette machine"
             f"{median})", sec(site["cold_pool_median_s"])],
            [f"Rapport {workers} processus / 1 processus", ratio(site["pool_over_one"])],
            [f"Somme des durées des {site['trainings']} entraînements de la construction à "
             "1 processus (exemples et points des explorateurs)",
             sec(site["training_sum_s"])],
            ["Mesures finales, 1 processus contre le défaut", same_scores(
                site["max_metric_difference"])],
        ]
    n = site["repeats"]
    rows.append([f"Construction à chaud (tout vient du cache ; médiane de {n})",
                 sec(site["warm_median_s"])])
    rows.append([f"Construction, greffon désactivé (médiane de {n})",
                 sec(site["disabled_median_s"])])
    rows.append(["Rapport chaud / désactivé", ratio(site["warm_over_disabled"])])
    return _table(["Mesure", "Valeur"], rows)


def same_scores(difference: float) -> str:
    if difference == 0:
        return "identiques"
    return f"écart relatif ≤ {frenchfmt.scientific(difference)}"


def _metrics_text(metrics: dict, limit: int = 3) -> str:
    parts = [f"{m['label']} : {frenchfmt.format_value(m['value'], m['kind'], m['digits'])}"
             for m in list(metrics.values())[:limit]]
    return " ; ".join(parts)


def examples_section(site: dict) -> list[str]:
    rows = []
    for spec in registry.EXAMPLES:
        entry = site.get("examples", {}).get(spec.name)
        if not entry:
            continue
        epochs = entry["epochs"]
        per_epoch = sec(entry["duration_s"] / epochs) if epochs else "—"
        rows.append([f"{spec.fidle_id} `{spec.name}`", str(epochs or "—"),
                     sec(entry["duration_s"]), per_epoch, _metrics_text(entry["metrics"])])
    if not rows:
        return []
    return _table(["Exemple", "Époques", "Durée", "Par époque", "Premières mesures finales"],
                  rows, "lrrrl")


def fidle_section(site: dict) -> list[str]:
    examples = site.get("examples", {})
    rows = []
    if "mnist" in examples:
        ours = examples["mnist"]
        acc = ours["metrics"]["test_accuracy"]["value"]
        ref = FIDLE["mnist"]
        rows.append(["MNIST1 : exactitude de test", frenchfmt.percent(acc, 2),
                     f"{frenchfmt.percent(ref['low'], 2)} à {frenchfmt.percent(ref['high'], 2)}"])
        low, high = ref["seconds"]
        rows.append(["MNIST1 : durée de l'entraînement", sec(ours["duration_s"]),
                     f"{low} à {high}{NNBSP}s"])
    if "wine" in examples:
        mae = examples["wine"]["metrics"]["test_mae"]["value"]
        rows.append(["WINE1 : MAE de test", num(mae, 3), num(FIDLE["wine"]["value"], 3)])
    if not rows:
        return []
    return _table(["Mesure", "Ici", "Fidle (référence publiée)"], rows)


def backends_section(backends: dict) -> list[str]:
    present = {k: v for k, v in backends.items() if "error" not in v and "absent" not in v}
    notes = [f"{BACKEND_NAMES[k]} : {v.get('absent') or v.get('error')}"
             for k, v in backends.items() if k not in present]
    if not present:
        return [f"Aucun moteur mesuré. {' '.join(notes)}", ""]
    names = [BACKEND_NAMES[k] for k in present]

    def row(label, get):
        return [label, *(get(v) for v in present.values())]

    def thr(v):
        return v["mnist"]["throughput"]

    rows = [
        row("Version", lambda v: v["versions"].get(v["backend"], "?")),
        row("Import de Keras et du moteur", lambda v: sec(v["import_s"])),
        row(f"Crête mesurée : produit 4096{NNBSP}×{NNBSP}4096 en float32",
            lambda v: f"{num(v['peak']['gflops'], 0)}{NNBSP}GFLOP/s"),
        row("MNIST1 : première époque (avec le chargement des données et la construction "
            "du graphe)",
            lambda v: sec(thr(v)["first_epoch_s"])),
        row("MNIST1 : époques après la première (médiane)", lambda v: sec(thr(v)["epoch_s"])),
        row("MNIST1 : images d'entraînement par seconde",
            lambda v: num(thr(v)["samples_per_s"], 0)),
        row("MNIST1 : débit de calcul",
            lambda v: f"{num(thr(v)['gflops'], 1)}{NNBSP}GFLOP/s"),
        row("MNIST1 : fraction de la crête", lambda v: frenchfmt.percent(thr(v)["fraction_of_peak"], 1)),
    ]
    if any("mnist_before" in v for v in present.values()):
        rows.append(row(
            "MNIST1 : fraction de la crête, un pas par appel comme avant l'optimisation "
            "(`steps_per_execution=1`, script simple)", lambda v: frenchfmt.percent(
                v["mnist_before"]["throughput"]["fraction_of_peak"], 1)
            if "mnist_before" in v else "—"))
    rows += [
        row("MNIST1 : exécution complète (données, entraînement, test, figures)",
            lambda v: sec(v["mnist"]["total_s"])),
        row("MNIST1 : exactitude de test",
            lambda v: frenchfmt.percent(v["mnist"]["metrics"]["test_accuracy"], 2)),
    ]
    if all("wine" in v for v in present.values()):
        rows += [
            row("WINE1 : exécution complète", lambda v: sec(v["wine"]["total_s"])),
            row("WINE1 : époques après la première (médiane)",
                lambda v: sec(sorted(v["wine"]["epoch_s"][1:])[len(v["wine"]["epoch_s"][1:]) // 2])),
            row("WINE1 : MAE de test", lambda v: num(v["wine"]["metrics"]["test_mae"], 3)),
        ]
    if all(v.get("load") and all(v["load"]) for v in present.values()):
        rows.append(row("Charge moyenne de la machine sur 1 min, au début puis à la fin",
                        lambda v: f"{num(v['load'][0][0], 1)} puis {num(v['load'][1][0], 1)}"))
    if all("overhead" in v for v in present.values()):
        rows += [
            row("MNIST1 : script Keras simple (médiane)",
                lambda v: sec(v["overhead"]["plain_median_s"])),
            row("MNIST1 : par le paquet (médiane)",
                lambda v: sec(v["overhead"]["package_median_s"])),
            row("Rapport paquet / script simple", lambda v: ratio(v["overhead"]["ratio"])),
        ]
    lines = _table(["Mesure", *names], rows, "l" + "r" * len(names))
    if notes:
        lines += [f"Non mesuré{'s' if len(notes) > 1 else ''} : " + " ; ".join(notes) + ".", ""]
    return lines


PROFILE_PARTS = {
    "matmul": "Produits matriciels du pas, seuls (a) : 3 vers l'avant, 3 gradients des "
              "poids, 2 gradients des entrées",
    "other_ops": "Autres opérations du pas (b moins a) : biais, ReLU, softmax, perte, "
                 "mise à jour d'Adam",
    "keras_step": "Suivi de la perte et de l'exactitude par Keras (`train_step` moins b)",
    "fit_loop": "Boucle de `fit` et données (c moins `train_step`) : découpage en lots, "
                "mélange, appels groupés, fonctions de rappel",
    "validation": "Validation (d)",  # completed with the number of images
}
PROFILE_REST = {"other_ops": "aux autres opérations du pas",
                "keras_step": "au suivi des métriques",
                "fit_loop": "à la boucle de `fit` et aux données",
                "validation": "à la validation"}
GOAL = 0.5  # the fraction of the peak the issue asks for


def _threads_text(threads: dict) -> str:
    wanted = threads.get("env_intra_op") or threads.get("intra_op")
    if wanted and str(wanted) != "0":
        return f"{wanted} (TF_NUM_INTRAOP_THREADS)"
    cores = threads.get("cores")
    return f"défaut de TensorFlow ({cores} cœurs)" if cores else "défaut de TensorFlow"


def _enumeration(keys: list[str], fractions: dict) -> str:
    items = [f"{PROFILE_REST[k]} ({frenchfmt.percent(fractions[k])})" for k in keys]
    return ", ".join(items[:-1]) + " et " + items[-1]


def profile_conclusion(profile: dict) -> str:
    """One sentence drawn from the numbers: the products' share and ceiling, then the
    other parts, largest first."""
    b = profile["breakdown"]
    fractions = b["fractions"]
    pct = frenchfmt.percent
    ceiling = b["ceiling_fraction_of_peak"]
    verdict = (f"sous l'objectif de {pct(GOAL, 0)} ; tant que ces produits gardent cette "
               "vitesse, aucun réglage de la boucle d'entraînement ne peut donc l'atteindre"
               if ceiling < GOAL
               else f"au-dessus de l'objectif de {pct(GOAL, 0)}")
    rest = sorted(PROFILE_REST, key=lambda k: fractions[k], reverse=True)
    text = (f"En bref : les produits matriciels occupent {pct(fractions['matmul'])} de "
            f"l'époque. À ces formes (lots de {profile['batch_size']} images, couches de "
            f"{profile['hidden_units']} neurones), ils tournent à "
            f"{pct(b['matmul_fraction_of_peak'])} de la crête mesurée sur le produit "
            f"4096{NNBSP}×{NNBSP}4096 : une "
            f"époque réduite à ces seuls produits plafonnerait, selon le compte du banc, à "
            f"{pct(ceiling)} de la crête, {verdict}. Le reste va {_enumeration(rest, fractions)}.")
    if abs(b["gap"]) > 0.05:
        text += (f" La somme des postes s'écarte de {pct(abs(b['gap']))} de l'époque "
                 "mesurée : la charge de la machine a pu varier pendant la mesure, ou une "
                 "part du temps n'est attribuée à aucun poste ; les parts sont à lire avec "
                 "cette marge, mesure à refaire sur une machine au repos.")
    return text


def profile_section(profile: dict) -> list[str]:
    """Where the time of an MNIST1 epoch goes (bench/step_profile.py), in two tables
    and a sentence."""
    if "error" in profile:
        return [f"Profil non mesuré : {profile['error']}", ""]
    b, t = profile["breakdown"], profile["timings"]
    steps, epoch = b["steps"], b["epoch_s"]
    per_step = {"matmul": t["matmul_step_s"],
                "other_ops": t["bare_step_s"] - t["matmul_step_s"],
                "keras_step": t["keras_step_s"] - t["bare_step_s"],
                "fit_loop": b["parts_s"]["fit_loop"] / steps}

    pct = frenchfmt.percent
    how = ("comme `fit` la fait à chaque époque" if profile["validation_method"] == "fit"
           else "par `evaluate()`")
    labels = {**PROFILE_PARTS, "validation": f"Validation (d) : {num(profile['n_val'], 0)} "
                                             f"images, {how}"}
    rows = [[label, sec(per_step[key]) if key in per_step else "—",
             sec(b["parts_s"][key]), pct(b["fractions"][key])]
            for key, label in labels.items()]
    rows.append(["Somme des postes", "—", sec(b["total_s"]), pct(b["total_s"] / epoch)])
    rows.append([f"Époque mesurée : `fit` avec validation (médiane de {profile['epochs']})",
                 "—", sec(epoch), pct(1)])
    lines = _table(["Poste", f"Par pas de {profile['batch_size']} images", "Par époque",
                    "Part de l'époque"], rows)
    facts = [
        [f"Crête : produit 4096{NNBSP}×{NNBSP}4096 en float32, dans le même processus",
         f"{num(profile['peak_gflops'], 0)}{NNBSP}GFLOP/s"],
        [f"Produits matriciels d'un pas (a) : {num(b['matmul_flops_per_step'] / 1e6, 0)}"
         f"{NNBSP}MFLOP", f"{num(b['matmul_gflops'], 1)}{NNBSP}GFLOP/s, soit "
         f"{pct(b['matmul_fraction_of_peak'])} de la crête"],
        ["Fraction de la crête de MNIST1 (compte du banc, époque mesurée ici)",
         pct(b["fraction_of_peak"])],
        ["Plafond de cette fraction : une époque réduite à ses produits matriciels "
         "(a, et les 3 produits vers l'avant pour la validation)",
         pct(b["ceiling_fraction_of_peak"])],
        ["Validation par un simple `evaluate()` (lots refaits à chaque appel)",
         sec(t["evaluate_s"])],
    ]
    if "fit_validation_s" in t:
        facts.append(["Validation chronométrée dans `fit` (contrôle de d)",
                      sec(t["fit_validation_s"])])
    if profile.get("bench_epoch_s"):
        facts.append(["Époque de MNIST1 par le paquet (mesure de débit ci-dessus)",
                      sec(profile["bench_epoch_s"])])
    facts += [
        ["Fils de calcul de TensorFlow", _threads_text(profile["threads"])],
        ["Pas par appel (`steps_per_execution`) ; compilation XLA",
         f"{profile['steps_per_execution']} ; {'oui' if profile['jit_compile'] else 'non'}"],
    ]
    lines += _table(["Mesure", "Valeur"], facts)
    return lines + [profile_conclusion(profile), ""]


def french_spaces(text: str) -> str:
    """No-break space before « : ; ? ! » and after « (outside `code`), as on the pages."""
    def fix(part: str) -> str:
        part = re.sub(r" ([:;?!»])", "\u00a0\\1", part)
        return part.replace("« ", "«\u00a0")

    pieces = re.split(r"(`[^`]*`)", text)
    return "".join(p if i % 2 else fix(p) for i, p in enumerate(pieces))


ENGINES_TITLE = "### Moteurs de calcul de Keras"
PROFILE_TITLE = "### Où passe le temps d'un pas d'entraînement de MNIST1"
# Written under ENGINES_TITLE by the run that measured the engines: its date, processor
# and profile, kept when a later run that measured none carries those sections over.
_MEASURED = re.compile(r"<!-- moteurs mesurés\s*:\s*(.+?)\s*;\s*(.+?)\s*;\s*profil\s+(\S+)\s*-->")
# How a carried-over section's note begins (dropped when carried over again).
_CARRY_NOTES = ("Cette section et la suivante", "Cette section reprend")


def measured_any(backends: dict) -> bool:
    return any("error" not in v and "absent" not in v for v in backends.values())


def _measured_marker(data: dict) -> str:
    machine = data["machine"]
    return (f"<!-- moteurs mesurés : {french_date(machine['date'])} ; {machine['cpu']} ; "
            f"profil {data['profile']} -->")


def carried_engines(previous: str, data: dict) -> list[str] | None:
    """The engine sections of an earlier bench/resultats.md, for a run that measured no
    engine and met no error (`--backends ""`, or none installed): its tables as they
    were, under a note that dates them. None when there is nothing to carry, or when
    they were measured on another processor or profile."""
    backends = data["backends"]
    if ENGINES_TITLE not in previous or any("error" in v for v in backends.values()):
        return None  # an engine that failed is reported, not hidden behind old tables
    part = previous.split(ENGINES_TITLE, 1)[1]
    # The engine sections only: up to the next section of another kind.
    end = [m.start() for m in re.finditer(r"^### (.+)$", part, re.MULTILINE)
           if m.group(0) != PROFILE_TITLE]
    part = part[:end[0] if end else len(part)].strip("\n")
    found = _MEASURED.search(part)
    if found is None or found.group(2) != data["machine"]["cpu"] \
            or found.group(3) != data["profile"]:
        return None
    paragraphs = [p for p in part.split("\n\n")
                  if not _MEASURED.fullmatch(p.strip()) and not p.startswith(_CARRY_NOTES)]
    if not any(p.startswith("|") for p in paragraphs):
        return None  # nothing measured there either
    when, now = found.group(1), french_date(data["machine"]["date"])
    subject = (f"{_CARRY_NOTES[0]} («{NBSP}{PROFILE_TITLE.removeprefix('### ')}{NBSP}») "
               "reprennent" if PROFILE_TITLE in part else "Cette section reprend")
    cause = ("a été lancée avec l'option `--backends \"\"`" if not backends else
             "n'a trouvé aucun moteur installé")
    note = [f"{subject} les mesures du {when}, sur le même processeur : la mesure du {now} "
            f"{cause}. Les tableaux des sections précédentes, eux, viennent de celle-ci."]
    if any("Non mesuré" in p for p in paragraphs):
        note.append(f"La ligne «{NBSP}Non mesurés{NBSP}» décrit l'état du {when}.")
    return [found.group(0), "", " ".join(note), "", "\n\n".join(paragraphs), ""]


def markdown(data: dict, previous: str | None = None) -> str:
    """The tables of `data`; `previous` (the file as it was) gives the engine sections
    when `data` measured no engine."""
    lines = ["<!-- Généré par `python -m bench` (make bench) : ne pas modifier à la main. -->",
             "", *context(data)]
    if "site" in data:
        lines += ["### Construction du site", "", *site_section(data["site"])]
        examples = examples_section(data["site"])
        if examples:
            lines += ["### Entraînement de chaque exemple", "", *examples]
            lines += ["### Comparaison avec les exécutions de référence de Fidle", "",
                      *fidle_section(data["site"])]
    measured = measured_any(data["backends"])
    carried = None if measured or previous is None else carried_engines(previous, data)
    if carried:
        return french_spaces("\n".join([*lines, ENGINES_TITLE, *carried]).rstrip() + "\n")
    lines += [ENGINES_TITLE]
    if measured:
        lines += [_measured_marker(data)]
    lines += ["", *backends_section(data["backends"])]
    profile = data["backends"].get("tensorflow", {}).get("step_profile")
    if profile:
        lines += [PROFILE_TITLE, "", *profile_section(profile)]
    return french_spaces("\n".join(lines).rstrip() + "\n")
