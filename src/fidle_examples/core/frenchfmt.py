"""Numbers written the French way: decimal comma, narrow no-break spaces, the true
minus sign (U+2212). Every number a reader sees is written here, and the names of the
device and of the Keras backend a run recorded."""

from __future__ import annotations

import datetime as dt
import re

NNBSP = "\u202f"  # espace fine insécable: thousands separator and before « % »
NBSP = "\u00a0"  # espace insécable: before « : ; ! ? », inside « », in « 14 h 03 »
MINUS = "\u2212"  # signe moins: the hyphen-minus "-" is a hyphen in a French text

_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _french(text: str) -> str:
    """Python's "-1,234.5" written "−1 234,5"."""
    return text.replace(",", NNBSP).replace(".", ",").replace("-", MINUS)


def number(value: float, digits: int = 3) -> str:
    """1234.5678 -> "1 234,568", -0.5 -> "−0,500"; a value that rounds to zero has no
    sign: -0.0001 -> "0,000"."""
    return _french(f"{value:z,.{digits}f}")


def short(value: float, digits: int = 6, html: bool = False) -> str:
    """The shortest form, as Python's "g" writes it, with `digits` significant digits
    at most: 0.30 -> "0,3", -2.0 -> "−2", 12345 -> "12 345", 1e-05 -> "1 × 10⁻⁵"
    (with html, "1 × 10<sup>−5</sup>")."""
    text = f"{value:z,.{digits}g}"
    if "e" not in text:
        return _french(text)
    mantissa, exponent = text.split("e")
    return f"{_french(mantissa)}{NNBSP}×{NNBSP}{_power_of_ten(int(exponent), html)}"


def _power_of_ten(exponent: int, html: bool) -> str:
    if html:
        return f"10<sup>{_french(str(exponent))}</sup>"
    return "10" + str(exponent).translate(_SUPERSCRIPTS)


def percent(fraction: float, digits: int = 1) -> str:
    """0.9781 -> "97,8 %", -0.05 -> "−5,0 %"."""
    return f"{number(100 * fraction, digits)}{NNBSP}%"


def duration(seconds: float) -> str:
    """Durations as a person says them: "moins de 0,1 s", "0,8 s", "42 s", "3 min 05 s"."""
    if seconds < 0.05:  # "0,0 s" would read as no time at all
        return f"moins de 0,1{NNBSP}s"
    if seconds < 10:
        return f"{number(seconds, 1)}{NNBSP}s"
    if seconds < 60:
        return f"{number(seconds, 0)}{NNBSP}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}{NNBSP}min{NNBSP}{rest:02d}{NNBSP}s"


def scientific(value: float, digits: int = 1) -> str:
    """1.23e-10 -> "1,2 × 10⁻¹⁰" (very small or very large numbers); 0 -> "0"."""
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    return f"{_french(mantissa)}{NNBSP}×{NNBSP}{_power_of_ten(int(exponent), False)}"


def format_value(value: float, kind: str, digits: int) -> str:
    if kind == "scientific":
        return scientific(value, digits)
    if kind == "percent":
        return percent(value, digits)
    if kind == "seconds":
        return duration(value)
    if kind == "integer":
        return number(value, 0)
    return number(value, digits)


_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre")


def date(iso: str) -> str:
    """"2025-05-01T14:03:11+02:00" -> "1er mai 2025 à 14 h 03"."""
    try:
        when = dt.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso or "inconnue"
    day = "1er" if when.day == 1 else str(when.day)
    # Non-breaking spaces: « 14 h 03 » never split across two lines.
    return (f"{day}{NBSP}{_MONTHS[when.month - 1]} {when.year} à "
            f"{when.hour}{NBSP}h{NBSP}{when.minute:02d}")


# --- what a run computed on (recorded by core.runtime) ---------------------------------

BACKEND_NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def backend_name(backend: str) -> str:
    """« TensorFlow » for "tensorflow": a Keras backend named as its project does."""
    return BACKEND_NAMES.get(backend, backend)


def device_label(device: str) -> str:
    """A recorded device as readers see it: « processeur (2 cœurs, …) » for
    « CPU (2 cœurs, …) », the one French word the pages use; GPU names as they are. The
    recorded string stays as it is: it is what runs and references are compared on."""
    return re.sub(r"^CPU \((?:(\d+) cœurs)?",
                  lambda m: "processeur (" + (f"{m[1]}{NBSP}cœur{'s' if int(m[1]) > 1 else ''}"
                                              if m[1] else ""), device)


def device_phrase(device: str) -> str:
    """The device after « sur » in a sentence: « un processeur (2 cœurs, …) », « un GPU
    NVIDIA H100 80GB HBM3 », « 2 GPU NVIDIA H100 80GB HBM3 » (no-break spaces)."""
    label = device_label(device)
    if not label:
        return "un matériel inconnu"
    if label.startswith("processeur ("):
        return "un " + label
    count, sep, name = label.partition(" × ")
    return f"{count}\u00a0GPU {name}" if sep and count.isdigit() else f"un GPU {label}"


def keras_phrase(backend: str) -> str:
    """« Keras sur TensorFlow »: Keras and its backend, named as their projects do."""
    return f"Keras sur {backend_name(backend)}"


def versions_text(versions: dict[str, str], keras: bool = True, sklearn: bool = False) -> str:
    """« Keras 3.15.1 sur TensorFlow 2.21.0 (Python 3.11.7, NumPy 2.4.6) », « scikit-learn
    1.9.1 et Keras … » for an example that uses both (first: not read as running on
    TensorFlow); for an example without Keras
    (`keras` False), « NumPy 2.4.6 (Python 3.11.7) ; cet exemple n'utilise pas Keras »:
    its versions name Keras and a backend too, because they key the cache, but it
    computed nothing with them."""
    learn = f"scikit-learn {versions.get('scikit-learn', '?')}" if sklearn else ""
    if not keras:
        return (f"NumPy {versions.get('numpy', '?')}{', ' + learn if learn else ''} "
                f"(Python {versions.get('python', '?')})\u00a0; cet exemple n'utilise pas Keras")
    backend = versions.get("backend", "")
    main = f"Keras {versions.get('keras', '?')}"
    if backend:
        main += f" sur {backend_name(backend)} {versions.get(backend, '')}".rstrip()
    extra = [f"{label} {versions[key]}" for key, label in (("python", "Python"),
                                                           ("numpy", "NumPy"))
             if key in versions]
    return ((f"{learn} et " if learn else "") + main
            + (f" ({', '.join(extra)})" if extra else ""))
