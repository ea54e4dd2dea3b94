"""Hyperparameters: a profile ("full" or "quick") plus overrides, validated."""

from __future__ import annotations

import dataclasses
from types import ModuleType
from typing import Any

from fidle_examples.core.errors import UsageError

PROFILES = ("full", "quick")

# Sizes beyond these are typing mistakes on this kind of course example.
_MAX_INT = 10_000_000
_MAX_EPOCHS = 10_000
# Two dense layers of n units hold n² weights: 10 000 is already 400 MB with Adam's
# state; a million would exhaust the memory instead of giving an error.
_MAX_UNITS = 10_000


def resolve(module: ModuleType, profile: str, overrides: dict[str, Any] | None = None):
    """The example's Config for `profile`, with `overrides` applied and checked."""
    if profile not in PROFILES:
        raise UsageError(
            f"Profil inconnu : « {profile} ». Profils possibles : {', '.join(PROFILES)}.")
    config = module.PROFILES[profile]
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    known = {f.name: f for f in dataclasses.fields(config)}
    for key, value in overrides.items():
        if key not in known:
            options = ", ".join(f"--{n.replace('_', '-')}" for n in known)
            raise UsageError(
                f"L'option --{key.replace('_', '-')} ne s'applique pas à l'exemple "
                f"« {module.NAME} ». Options possibles : {options}.")
        overrides[key] = _convert(key, value, known[key].type)
    config = dataclasses.replace(config, **overrides)
    validate(config)
    return config


def _convert(key: str, value: Any, type_name: Any) -> Any:
    type_name = getattr(type_name, "__name__", type_name)
    option = f"--{key.replace('_', '-')}"
    try:
        if type_name == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if type_name == "float":
            return float(value)
    except (TypeError, ValueError):
        kind = "un nombre entier" if type_name == "int" else "un nombre"
        raise UsageError(f"{option} attend {kind}, pas « {value} ».") from None
    if type_name == "str":
        return str(value)
    # A tuple, a list...: a string from the command line would silently replace it.
    raise UsageError(f"{option} ne peut pas être changé en ligne de commande.")


def check_split(validation_fraction: float, test_fraction: float, items: str) -> None:
    """Validation and test sets must leave a real training set."""
    if validation_fraction + test_fraction >= 0.9:
        raise UsageError(f"--validation-fraction et --test-fraction laissent moins de 10 % "
                         f"des {items} pour l'entraînement : réduisez-les.")


def validate(config) -> None:
    """Reject values that cannot give a meaningful run, naming the option and the fix."""
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        option = f"--{f.name.replace('_', '-')}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if value != value:  # NaN
            raise UsageError(f"{option} ne peut pas valoir NaN.")
        if f.name == "seed":
            if value < 0 or value >= 2**32:
                raise UsageError(f"{option} doit être un entier entre 0 et 4 294 967 295, "
                                 f"pas {value}.")
            continue
        if f.name.endswith(("_fraction", "_split")):
            if not 0 < value < 1:
                raise UsageError(f"{option} doit être strictement entre 0 et 1, pas {value}.")
            continue
        if value <= 0:
            raise UsageError(f"{option} doit être strictement positif, pas {value}.")
        limit = (_MAX_EPOCHS if f.name == "epochs" else
                 _MAX_UNITS if f.name.endswith("units") else _MAX_INT)
        if value > limit:
            # frenchfmt-exempt: an edit of this file's code retrains every example (training key)
            raise UsageError(f"{option} = {value} est démesuré (maximum {limit:,}).".replace(",", " "))
    if hasattr(config, "check"):  # the example's own rules between fields
        config.check()
