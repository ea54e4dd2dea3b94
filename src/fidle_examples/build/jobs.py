"""Job lines: how the loader names a training to the worker pool, and where its result
is stored (the cache slot)."""

from __future__ import annotations

from fidle_examples.build.keys import sha256


def job(name: str, seed: int | None = None, overrides: dict | None = None) -> str:
    """A job line: "mnist"; "mnist@3" for the reference run of seed 3;
    "gradient-descent?learning_rate=0.3" for a point of an explorer's grid."""
    if seed is not None:
        return f"{name}@{seed}"
    if overrides:
        return name + "?" + "&".join(f"{k}={v}" for k, v in sorted(overrides.items()))
    return name


def parse(job_: str) -> tuple[str, int | None, dict[str, str]]:
    """(name, seed, overrides) of a job line."""
    name, _, overrides = job_.partition("?")
    name, _, seed = name.partition("@")
    pairs = dict(item.split("=", 1) for item in overrides.split("&") if item)
    return name, int(seed) if seed else None, pairs


def slot(profile: str, seed: int | None = None, overrides: dict | None = None) -> str:
    """The cache's profile slot: each reference seed and each explorer point has its
    own, pruned apart from the others."""
    if seed is not None:
        return f"{profile}@{seed}"
    if overrides:
        text = "&".join(f"{k}={v}" for k, v in sorted(overrides.items()))
        return f"{profile}~{sha256(text.encode())[:12]}"
    return profile
