"""HTML (and inline text) that replaces the result markers of a page, in French.

Blocks are plain HTML with Material's classes (admonition, table), so they need no
Markdown extension and no Markdown is parsed inside them.
"""

from __future__ import annotations

import re
from html import escape

from fidle_examples.core import frenchfmt, registry
from fidle_examples.core.compare import DURATIONS_WHY, compare, reference_runs, run_backend
from fidle_examples.core.frenchfmt import (backend_name, device_label, device_phrase,
                                          keras_phrase, versions_text)
from fidle_examples.core.results import Result
from fidle_examples.plugin.markers import Marker

PROVENANCE_TITLE = "Comment ces résultats ont été obtenus"
_PROFILES = {"full": "«\u00a0full\u00a0» (résultats de référence)",
             "quick": "«\u00a0quick\u00a0» (aperçu rapide, entraînement raccourci)"}


def french_spaces(text: str) -> str:
    """No-break spaces before « : ; ! ? », inside « », before « % », as on the pages: for
    the labels, captions and claims that the example modules write with plain spaces."""
    text = re.sub(r" ([:;!?»%])", lambda m: ("\u202f" if m.group(1) == "%" else "\u00a0")
                  + m.group(1), text)
    return text.replace("« ", "«\u00a0")


# --- inline -----------------------------------------------------------------------

def render(marker: Marker, entry, figure_srcs: dict[str, str], device_line: bool = True) -> str:
    """The HTML of `marker` for the loaded example `entry` (build.loading.Loaded);
    `device_line`: a true device-specific claim names the run's device (once a page)."""
    result = entry.result
    if marker.kind == "metric":
        return escape(entry.contract.metrics[marker.item].format(result.metrics[marker.item]))
    if marker.kind == "config":
        return config_text(result, marker.item)
    if marker.kind == "range":
        return range_text(entry, marker.item)
    if marker.kind == "claim":
        return claim_box(entry, marker.item, device_line)
    if marker.kind == "metrics":
        return metrics_table(entry)
    if marker.kind == "provenance":
        return provenance(entry)
    if marker.kind == "figure":
        return figure(result, marker.item, figure_srcs[marker.item])
    if marker.kind == "explorer":
        from fidle_examples.plugin import explorerhtml

        return explorerhtml.render(entry.explorer, figure_srcs)
    return results_block(entry, figure_srcs)


def range_text(entry, metric: str) -> str:
    """« 97,6 % à 97,9 % sur 5 graines », from the committed reference; in a build of
    another profile (quick), the same range, said to be the full profile's: the sentence
    around it speaks of the course's reference results."""
    ref = entry.reference or entry.published
    if ref is None:
        return ("<em>(plage de référence non disponible\u00a0: pas de résultats de référence "
                "pour cet exemple)</em>")
    low, _, high = ref.range(metric)
    spec = entry.contract.metrics[metric]
    profile = "" if entry.reference is not None else " du profil complet"
    return escape(f"{spec.format(low)} à {spec.format(high)} sur {len(ref.seeds)} graines"
                  f"{profile}")


def claim_box(entry, key: str, device_line: bool = True) -> str:
    """Nothing when the claim holds for this run; a visible warning otherwise, or, for a
    device-specific claim on another setting than the reference's, a note that gives
    this run's values and where the statement was measured. A device-specific claim
    that holds says on which device and backend this run measured it (`device_line`)."""
    verdict = entry.claims[key]
    if verdict.holds:
        if key in entry.contract.device_specific and device_line:
            return ('<p class="fidle-claim-device"><small>Mesuré par l\'exécution montrée '
                    f"ici, sur {escape(run_setting(entry.result))}.</small></p>")
        return ""
    detail = f" ({escape(verdict.detail)})" if verdict.detail else ""
    statement = escape(french_spaces(entry.contract.claims[key]))
    if verdict.elsewhere:
        ref = entry.reference
        where = (f"{device_phrase(ref.device)}, avec {keras_phrase(ref.backend)}"
                 if ref is not None else "le matériel de la référence")
        return ('<div class="admonition note fidle-claim-elsewhere">'
                '<p class="admonition-title">Mesuré dans d\'autres conditions</p>'
                f"<p>Le texte dit\u00a0: «\u00a0{statement}\u00a0». C'est ce que montrent les résultats de "
                f"référence, mesurés sur {escape(where)}. Cette exécution, faite sur "
                f"{escape(run_setting(entry.result))}, obtient d'autres valeurs{detail}\u00a0: ce "
                "résultat dépend du "
                "matériel et du moteur de calcul, pas de la leçon.</p></div>")
    return ('<div class="admonition danger fidle-claim-false">'
            '<p class="admonition-title">Cette exécution contredit le texte</p>'
            f"<p>Le texte affirme\u00a0: «\u00a0{statement}\u00a0», ce qui est "
            f"faux pour l'entraînement montré sur cette page{detail}. Les résultats de "
            "référence, eux, le vérifient\u00a0: voir l'encadré de provenance.</p></div>")


def run_setting(result) -> str:
    """« un processeur (2 cœurs, AMD EPYC), avec Keras sur TensorFlow »: where a run
    computed, after « sur » (an example without Keras names no backend)."""
    backend = run_backend(result)
    device = result.device or ""
    on_gpu = device and not device.startswith("CPU")
    sklearn = (" (scikit-learn sur le processeur)"
               if on_gpu and registry.libraries(result.example)[1] else "")
    return device_phrase(device) + sklearn + (f", avec {keras_phrase(backend)}" if backend
                                              else "")


def config_text(result: Result, name: str) -> str:
    return config_value(result.config[name])


def config_value(value) -> str:
    """A hyperparameter as HTML, written the French way: 60 000, 0,001, 1 × 10⁻⁵, oui."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return frenchfmt.number(value, 0)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return frenchfmt.number(value, 0)
        return frenchfmt.short(value, 6, html=True)
    if isinstance(value, (list, tuple)):
        return ", ".join(config_value(v) for v in value)
    # Inline text goes through Markdown: keep its emphasis/link characters literal.
    return escape(str(value), quote=False).translate(
        {ord(ch): f"&#{ord(ch)};" for ch in "\\`*_[]#!|~"})


# --- blocks -----------------------------------------------------------------------

def figure(result: Result, name: str, src: str) -> str:
    fig = result.figures[name]
    caption = escape(french_spaces(fig.title))
    if result.profile == "quick" and registry.get(result.example).kind != registry.CHAPTER_FIGURES:
        caption += " <small>(aperçu rapide)</small>"
    alt = escape(french_spaces(f"{fig.title} — {result.title}"), quote=True)
    return (f'<figure class="fidle-figure">'
            f'<img src="{escape(src, quote=True)}" alt="{alt}" loading="lazy">'
            f"<figcaption>{caption}</figcaption></figure>")


def metrics_table(entry) -> str:
    """The run's final measures, beside the range of the reference runs its provenance
    box compares it with (those of its own backend when the reference has some)."""
    result, ref = entry.result, entry.reference
    head = "<th>Mesure</th><th>Valeur</th>"
    if ref:
        runs, other, own = reference_runs(result, ref)
        which = (f"{len(runs)} exécutions avec {keras_phrase(other)}" if own
                 else f"{len(runs)} graines, {keras_phrase(ref.backend)}" if other
                 else f"{len(runs)} graines")  # the box says why
        head += f"<th>Référence ({escape(which)})</th>"
    rows = []
    for key, spec in entry.contract.metrics.items():
        cells = (f"<td>{escape(french_spaces(spec.label_for(result.config)))}</td>"
                 f"<td>{escape(spec.format(result.metrics[key]))}</td>")
        if ref:
            low, _, high = ref.range(key, runs)
            cells += f"<td>{escape(spec.format(low))} à {escape(spec.format(high))}</td>"
        rows.append(f"<tr>{cells}</tr>")
    return (f'<div class="fidle-metrics"><table>'
            f"<caption>Résultats finaux — {escape(french_spaces(result.title))}</caption>"
            f"<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def reference_verdict(entry) -> str:
    """Whether the live run falls inside the reference range, metric by metric (the
    range of the runs of its own backend when the reference has some)."""
    ref = entry.reference
    if ref is None:
        return ("pas de résultats de référence pour ce profil\u00a0: la comparaison n'est "
                "faite que pour le profil complet")
    verdict = compare(entry.result, ref, entry.contract)  # as `fidle-examples compare`
    n, other = verdict.seeds, verdict.other_backend
    if verdict.backend_runs:
        which = f"des {n} exécutions de référence faites avec {keras_phrase(other)}"
    elif other:
        which = (f"des {n} exécutions de référence (une par graine), faites avec "
                 f"{keras_phrase(ref.backend)} (cette exécution utilise {backend_name(other)})")
    else:
        which = f"des {n} graines de référence"
    # One colon per sentence: the box's label has it (« Par rapport à la référence : »).
    aside = f"durées mises à part ({DURATIONS_WHY}), " if verdict.durations else ""
    outside = verdict.outside
    if not outside:
        return f"{aside}chaque mesure de cette exécution est dans la plage {which}"
    count = "une mesure est" if len(outside) == 1 else f"{len(outside)} mesures sont"
    causes = ["d'un autre matériel", "d'autres versions des bibliothèques"]
    if other and not verdict.backend_runs:
        causes.append("d'un autre moteur de calcul")
    causes.append("d'une modification du code de l'exemple")
    return (f"{aside}{count} hors de la plage {which} (" + "\u00a0; ".join(outside)
            + f")\u00a0; écart qui peut venir {', '.join(causes[:-1])} ou {causes[-1]}")


def device_text(device: str, sklearn: bool = False) -> str:
    """The device of a run; on a processor, also how many threads one training had: the
    build trains in worker processes that each get build.pool.THREAD_ENV on a machine
    without GPU, so a duration is that of one core, with other trainings beside it. On a
    GPU, an example that also uses scikit-learn (`sklearn`) says where that part ran."""
    if not device.startswith("CPU"):
        if device and sklearn:  # its SVC (libsvm) has no GPU code
            return f"{device} pour Keras\u00a0; scikit-learn calcule sur le processeur"
        return device or "inconnu"
    from fidle_examples.build import pool

    threads = int(pool.THREAD_ENV["TF_NUM_INTRAOP_THREADS"])
    if threads == 1:
        each = "un seul cœur par entraînement (un seul fil de calcul)"
    else:
        each = f"{threads} fils de calcul par entraînement"
    return (f"{device_label(device)}\u00a0; {each}\u00a0: la construction du site lance "
            "plusieurs entraînements en parallèle, par défaut un par cœur")


def provenance(entry) -> str:
    result, freshly_trained = entry.result, entry.trained
    origin = ("entraîné pendant cette construction du site" if freshly_trained else
              "relu depuis le cache\u00a0: ni le code de l'exemple, ni sa configuration, ni les "
              "versions des bibliothèques n'ont changé depuis cet entraînement")
    settings = ", ".join(f"<code>{escape(k)}</code>{frenchfmt.NNBSP}={frenchfmt.NNBSP}"
                         f"{config_value(v)}" for k, v in result.config.items())
    command = f"fidle-examples run {result.example} --profile {result.profile}"
    keras, sklearn = registry.libraries(result.example)
    items = [
        ("Matériel", escape(device_text(result.device, sklearn))),
        ("Durée de l'entraînement", escape(frenchfmt.duration(result.duration_s))),
        ("Date", escape(frenchfmt.date(result.date))),
        ("Profil", escape(_PROFILES.get(result.profile, result.profile))),
        ("Graine aléatoire", escape(str(result.seed))),
        ("Versions", escape(versions_text(result.versions, keras, sklearn))),
        ("Hyperparamètres", settings),
        ("Origine", escape(origin)),
        ("Par rapport à la référence", escape(reference_verdict(entry))),
        ("Pour le refaire", f"<code>{escape(command)}</code>"),
    ]
    lis = "".join(f"<li><strong>{label}{frenchfmt.NBSP}:</strong> {value}</li>"
                  for label, value in items)
    return (f'<div class="admonition info fidle-provenance">'
            f'<p class="admonition-title">{PROVENANCE_TITLE}</p><ul>{lis}</ul></div>')


def quick_warning() -> str:
    return ('<div class="admonition warning fidle-quick">'
            '<p class="admonition-title">Aperçu rapide, pas les résultats de référence</p>'
            "<p>Ce site a été construit avec le profil «\u00a0quick\u00a0»\u00a0: les exemples ont été "
            "entraînés moins longtemps, sur moins de données. Les courbes et les nombres "
            "de cette page donnent une idée du comportement, mais ne sont pas les résultats "
            "de référence (profil «\u00a0full\u00a0»).</p></div>")


def results_block(entry, figure_srcs: dict[str, str]) -> str:
    """Every figure, then the metrics table, then the provenance box."""
    parts = [figure(entry.result, name, src) for name, src in figure_srcs.items()]
    parts += [metrics_table(entry), provenance(entry)]
    return "\n".join(parts)


# --- lists derived from the registry -------------------------------------------------

def index_table(which: str, loaded: dict, page_url: str) -> str:
    """The table of the examples (or questions, or notebooks) of the registry, with the
    measured duration of each: adding an example adds its row."""
    from mkdocs.utils import get_relative_url

    def link(source: str, text: str) -> str:
        url = source.rsplit(".", 1)[0] + "/"  # use_directory_urls, as mkdocs.yml
        url = url[: -len("index/")] if url.endswith("/index/") else url
        href = get_relative_url(url, page_url)
        return f'<a href="{escape(href, quote=True)}">{escape(text)}</a>'

    if which == "carnets":
        head = "<th>Carnet</th><th>Page</th>"
        rows = [f"<td>{link(s.notebook, s.title)}</td><td>{link(s.page, s.title)}</td>"
                for s in registry.EXAMPLES if s.notebook]
    else:
        kind = registry.COURSE if which == "exemples" else registry.QUESTION
        head = "<th>Exemple</th><th>Carnet Fidle</th><th>Ce qu'il montre</th><th>Durée mesurée</th>"
        rows = []
        for s in registry.EXAMPLES:
            if s.kind != kind:
                continue
            entry = loaded.get(s.name)
            took = frenchfmt.duration(entry.result.duration_s) if entry else "—"
            rows.append(f"<td>{link(s.page, s.title)}</td><td>{escape(s.fidle_id)}</td>"
                        f"<td>{escape(s.summary)}</td><td>{escape(took)}</td>")
    body = "".join(f"<tr>{row}</tr>" for row in rows)
    return f'<div class="fidle-index"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'



# --- `mkdocs serve`: examples still training, or failed ----------------------------------

def run_command(name: str, profile: str) -> str:
    return f"fidle-examples run {name} --profile {profile}"


def progress_text(ready: int, total: int) -> str:
    """« 4/11 exemples entraînés »."""
    # « 0/12 exemples entraînés »: the participle agrees with « exemples », not with 0 or 1
    plural = "s" if total > 1 else ""
    return f"{ready}/{total} exemple{plural} entraîné{plural}"


def pending_block(name: str, title: str, profile: str, ready: int, total: int,
                  first: bool) -> str:
    """Where a block of a still-training example goes: the whole story the first time on
    a page, one line after that."""
    nb = frenchfmt.NNBSP
    if not first:
        return (f'<p class="fidle-pending"><em>Résultat de «\u00a0{escape(title, quote=False)}\u00a0» en cours '
                f"d'entraînement{nb}: il s'affichera ici.</em></p>")
    return ('<div class="admonition note fidle-pending">'
            '<p class="admonition-title">Résultats en cours d\'entraînement</p>'
            f"<p>L'exemple «\u00a0{escape(title, quote=False)}\u00a0» (<code>{escape(name)}</code>) s'entraîne en "
            "arrière-plan. Cette page se rechargera d'elle-même dès que ses figures et ses "
            f"mesures seront prêtes{nb}: rien à faire.</p>"
            f"<p>Avancement{nb}: {progress_text(ready, total)}.</p>"
            f"<p>Pour l'entraîner seul, dans un terminal{nb}: "
            f"<code>{escape(run_command(name, profile))}</code></p></div>")


def pending_inline(title: str) -> str:
    return (f'<em class="fidle-pending" title="Résultat de «\u00a0{escape(title, quote=True)}\u00a0» '
            "en cours d'entraînement\">(en cours d'entraînement)</em>")


def failed_block(name: str, title: str, profile: str, message: str, first: bool) -> str:
    nb = frenchfmt.NNBSP
    if not first:
        return (f'<p class="fidle-failed"><em>Pas de résultat{nb}: l\'exemple '
                f"«\u00a0{escape(title, quote=False)}\u00a0» a échoué (voir plus haut).</em></p>")
    return ('<div class="admonition failure fidle-failed">'
            f'<p class="admonition-title">L\'exemple «\u00a0{escape(title, quote=False)}\u00a0» a échoué</p>'
            f"<p>{escape(message, quote=False)}</p>"
            f"<p>Corrigez l'exemple et enregistrez le fichier{nb}: il sera entraîné de nouveau "
            f"et cette page se rechargera. Pour voir l'erreur seule{nb}: "
            f"<code>{escape(run_command(name, profile))}</code></p></div>")


def failed_inline(title: str) -> str:
    return (f'<em class="fidle-failed" title="L\'exemple «\u00a0{escape(title, quote=True)}\u00a0» '
            "a échoué\">(échec de l'entraînement)</em>")
