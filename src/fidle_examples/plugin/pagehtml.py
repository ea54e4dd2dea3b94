"""HTML (and inline text) that replaces the result markers of a page, in French.

Blocks are plain HTML with Material's classes (admonition, table), so they need no
Markdown extension and no Markdown is parsed inside them.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from fidle_examples.core import frenchfmt
from fidle_examples.plugin.markers import Marker, MarkerError
from fidle_examples.core.results import Result

PROVENANCE_TITLE = "Comment ces résultats ont été obtenus"
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre")
_BACKENDS = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
_PROFILES = {"full": "« full » (résultats de référence)",
             "quick": "« quick » (aperçu rapide, entraînement raccourci)"}


def check(marker: Marker, result: Result) -> None:
    """Raise MarkerError when the figure, metric or field named by `marker` is unknown."""
    if marker.kind == "figure":
        choices, what = result.figures, "figure inconnue"
    elif marker.kind == "metric":
        choices, what = result.metrics, "mesure inconnue"
    elif marker.kind == "config":
        choices, what = result.config, "hyperparamètre inconnu"
    else:
        return
    if marker.item not in choices:
        known = ", ".join(choices) or "aucun"
        raise MarkerError(marker.line, f"{what} « {marker.item} » pour l'exemple "
                                       f"« {marker.name} » dans « {marker.text} ». "
                                       f"Possibles : {known}.")


# --- inline -----------------------------------------------------------------------

def metric_text(result: Result, name: str) -> str:
    return escape(result.metrics[name].formatted())


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
        text = f"{value:.6g}"
        if "e" in text:
            mantissa, exponent = text.split("e")
            power = str(int(exponent)).replace("-", "\u2212")
            return (f"{mantissa.replace('.', ',')}{frenchfmt.NNBSP}×{frenchfmt.NNBSP}"
                    f"10<sup>{power}</sup>")
        return text.replace(".", ",")
    if isinstance(value, (list, tuple)):
        return ", ".join(config_value(v) for v in value)
    # Inline text goes through Markdown: keep its emphasis/link characters literal.
    return escape(str(value), quote=False).translate(
        {ord(ch): f"&#{ord(ch)};" for ch in "\\`*_[]#!|~"})


def french_date(iso: str) -> str:
    """"2025-05-01T14:03:11+02:00" -> "1er mai 2025 à 14 h 03"."""
    try:
        when = dt.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso or "inconnue"
    day = "1er" if when.day == 1 else str(when.day)
    return f"{day} {_MONTHS[when.month - 1]} {when.year} à {when.hour} h {when.minute:02d}"


def versions_text(versions: dict[str, str]) -> str:
    backend = versions.get("backend", "")
    parts = [f"Keras {versions.get('keras', '?')}"]
    if backend:
        name = _BACKENDS.get(backend, backend)
        parts[0] += f" sur {name} {versions.get(backend, '')}".rstrip()
    extra = [f"{label} {versions[key]}" for key, label in (("python", "Python"),
                                                           ("numpy", "NumPy"))
             if key in versions]
    return parts[0] + (f" ({', '.join(extra)})" if extra else "")


# --- blocks -----------------------------------------------------------------------

def figure(result: Result, name: str, src: str) -> str:
    fig = result.figures[name]
    caption = escape(fig.title)
    if result.profile == "quick":
        caption += " <small>(aperçu rapide)</small>"
    alt = escape(f"{fig.title} — {result.title}", quote=True)
    return (f'<figure class="fidle-figure">'
            f'<img src="{escape(src, quote=True)}" alt="{alt}" loading="lazy">'
            f"<figcaption>{caption}</figcaption></figure>")


def metrics_table(result: Result) -> str:
    rows = "".join(f"<tr><td>{escape(m.label)}</td><td>{escape(m.formatted())}</td></tr>"
                   for m in result.metrics.values())
    return (f'<div class="fidle-metrics"><table>'
            f"<caption>Résultats finaux — {escape(result.title)}</caption>"
            f"<thead><tr><th>Mesure</th><th>Valeur</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>")


def provenance(result: Result, freshly_trained: bool) -> str:
    origin = ("entraîné pendant cette construction du site" if freshly_trained else
              "relu depuis le cache : ni le code de l'exemple, ni sa configuration, ni les "
              "versions des bibliothèques n'ont changé depuis cet entraînement")
    settings = ", ".join(f"<code>{escape(k)}</code>{frenchfmt.NNBSP}={frenchfmt.NNBSP}"
                         f"{config_value(v)}" for k, v in result.config.items())
    command = f"fidle-examples run {result.example} --profile {result.profile}"
    items = [
        ("Matériel", escape(result.device or "inconnu")),
        ("Durée de l'entraînement", escape(frenchfmt.duration(result.duration_s))),
        ("Date", escape(french_date(result.date))),
        ("Profil", escape(_PROFILES.get(result.profile, result.profile))),
        ("Graine aléatoire", escape(str(result.seed))),
        ("Versions", escape(versions_text(result.versions))),
        ("Hyperparamètres", settings),
        ("Origine", escape(origin)),
        ("Pour le refaire", f"<code>{escape(command)}</code>"),
    ]
    lis = "".join(f"<li><strong>{label}{frenchfmt.NNBSP}:</strong> {value}</li>"
                  for label, value in items)
    return (f'<div class="admonition info fidle-provenance">'
            f'<p class="admonition-title">{PROVENANCE_TITLE}</p><ul>{lis}</ul></div>')


def quick_warning() -> str:
    return ('<div class="admonition warning fidle-quick">'
            '<p class="admonition-title">Aperçu rapide, pas les résultats de référence</p>'
            "<p>Ce site a été construit avec le profil « quick » : les exemples ont été "
            "entraînés moins longtemps, sur moins de données. Les courbes et les nombres "
            "de cette page donnent une idée du comportement, mais ne sont pas les résultats "
            "de référence (profil « full »).</p></div>")


def results_block(result: Result, figure_srcs: dict[str, str], freshly_trained: bool) -> str:
    """Every figure, then the metrics table, then the provenance box."""
    parts = [figure(result, name, src) for name, src in figure_srcs.items()]
    parts += [metrics_table(result), provenance(result, freshly_trained)]
    return "\n".join(parts)
