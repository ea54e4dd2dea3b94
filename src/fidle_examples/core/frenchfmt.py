"""Numbers written the French way: decimal comma, narrow no-break spaces."""

from __future__ import annotations

import datetime as dt

NNBSP = "\u202f"  # espace fine insécable: thousands separator and before « % »


def number(value: float, digits: int = 3) -> str:
    """1234.5678 -> "1 234,568" (with narrow no-break spaces)."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", NNBSP).replace(".", ",")


def percent(fraction: float, digits: int = 1) -> str:
    """0.9781 -> "97,8 %"."""
    return f"{number(100 * fraction, digits)}{NNBSP}%"


def duration(seconds: float) -> str:
    """Durations as a person says them: "0,8 s", "42 s", "3 min 05 s"."""
    if seconds < 10:
        return f"{number(seconds, 1)}{NNBSP}s"
    if seconds < 60:
        return f"{seconds:.0f}{NNBSP}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}{NNBSP}min{NNBSP}{rest:02d}{NNBSP}s"


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def scientific(value: float, digits: int = 1) -> str:
    """1.23e-10 -> "1,2 × 10⁻¹⁰" (very small or very large numbers); 0 -> "0"."""
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    power = str(int(exponent)).translate(_SUPERSCRIPTS)
    mantissa = mantissa.replace(".", ",").replace("-", "\u2212")
    return f"{mantissa}{NNBSP}×{NNBSP}10{power}"


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
    return f"{day} {_MONTHS[when.month - 1]} {when.year} à {when.hour} h {when.minute:02d}"
