"""The site build timed three ways: cold (empty results cache), warm, plugin disabled.

Each build is `mkdocs build` of the real project in a subprocess, into a temporary
site folder, with a private results cache: the project's own cache and site/ are
never touched.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.machine import ROOT
from fidle_examples.core.results import RESULT_FILE, Result


def build(site: Path, cache: Path, env: dict, enabled: bool = True) -> float:
    """Seconds of one `mkdocs build`; raises with the end of its log when it fails."""
    env = {**env, "FIDLE_EXAMPLES_CACHE": str(cache),
           "FIDLE_EXAMPLES_ENABLED": "1" if enabled else "0"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(ROOT / "mkdocs.yml"),
         "-d", str(site)], cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
        raise RuntimeError(f"mkdocs build a échoué (code {done.returncode}) :\n{tail}")
    return elapsed


def entries(cache: Path, profile: str) -> dict[str, Result]:
    """The Results the build stored, by example."""
    found = {}
    for path in sorted(cache.glob(f"*/{profile}-*/{RESULT_FILE}")):
        found[path.parent.parent.name] = Result.load(path.parent)
    return found


def measure(workdir: Path, env: dict, profile: str, repeats: int, cold: bool) -> dict:
    env = {**env, "FIDLE_EXAMPLES_PROFILE": profile}
    cache = workdir / "cache"
    out: dict = {"profile": profile, "repeats": repeats}
    if cold:
        out["cold_s"] = build(workdir / "site-cold", cache, env)
        results = entries(cache, profile)
        out["examples"] = {
            name: {"duration_s": r.duration_s, "epochs": len(r.history.get("loss", [])),
                   "config": r.config, "device": r.device, "versions": r.versions,
                   "date": r.date,
                   "metrics": {k: {"label": m.label, "value": m.value, "kind": m.kind,
                                   "digits": m.digits} for k, m in r.metrics.items()}}
            for name, r in results.items()}
        out["training_sum_s"] = sum(r.duration_s for r in results.values())
    else:
        build(workdir / "site-fill", cache, env)  # fills the cache, not timed
    warm = [build(workdir / f"site-warm-{i}", cache, env) for i in range(repeats)]
    disabled = [build(workdir / f"site-off-{i}", cache, env, enabled=False)
                for i in range(repeats)]
    out.update(warm_s=warm, disabled_s=disabled, warm_median_s=statistics.median(warm),
               disabled_median_s=statistics.median(disabled))
    out["warm_over_disabled"] = out["warm_median_s"] / out["disabled_median_s"]
    if cold:
        out["cold_over_training_plus_disabled"] = (
            out["cold_s"] / (out["training_sum_s"] + out["disabled_median_s"]))
    return out


def base_env(keras_home: Path | None) -> dict:
    env = dict(os.environ)
    if keras_home:
        env["KERAS_HOME"] = str(keras_home)
    env.pop("KERAS_BACKEND", None)  # the site is built with the default backend
    return env
