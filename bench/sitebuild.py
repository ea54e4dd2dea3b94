"""The site build timed: cold (empty results cache) with one training process and with
the default pool, alternated in the same run; warm; plugin disabled.

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
from fidle_examples.core import contract, frenchfmt, registry
from fidle_examples.core.results import RESULT_FILE, Result
from fidle_examples.build import pool


def build(site: Path, cache: Path, env: dict, enabled: bool = True,
          workers: int | None = None) -> float:
    """Seconds of one `mkdocs build`; raises with the end of its log when it fails.
    `workers`: FIDLE_EXAMPLES_WORKERS, or None for the default pool."""
    env = {**env, "FIDLE_EXAMPLES_CACHE": str(cache),
           "FIDLE_EXAMPLES_ENABLED": "1" if enabled else "0"}
    env.pop(pool.ENV_WORKERS, None)
    if workers is not None:
        env[pool.ENV_WORKERS] = str(workers)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(ROOT / "mkdocs.yml"),
         "-d", str(site)], cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
        raise RuntimeError(f"mkdocs build a échoué (code {done.returncode}) :\n{tail}")
    return elapsed


def stored(cache: Path) -> dict[str, Result]:
    """Every Result the build stored, by folder name relative to the cache (the main
    runs are "NAME/PROFILE-KEY"; explorer points and seeds have slots of their own)."""
    return {str(path.parent.relative_to(cache)): Result.load(path.parent)
            for path in sorted(cache.glob(f"*/*/{RESULT_FILE}"))}


def main_runs(results: dict[str, Result], profile: str) -> dict[str, Result]:
    return {key.split("/")[0]: r for key, r in results.items()
            if key.split("/")[1].startswith(f"{profile}-")}


def largest_difference(a: dict[str, Result], b: dict[str, Result]) -> float:
    """Largest relative difference between the metrics of the same runs in two caches
    (durations excepted): 0 when the number of workers changes nothing."""
    worst = 0.0
    for key in a.keys() & b.keys():
        name = key.split("/")[0]
        metrics = contract.read(registry.get(name).load()).metrics
        for metric, value in a[key].metrics.items():
            if metrics[metric].kind == "seconds" or "seconds" in metric:
                continue
            other = b[key].metrics[metric]
            worst = max(worst, abs(other - value) / max(abs(value), 1e-12))
    return worst


def describe(results: dict[str, Result]) -> dict:
    """What the report shows of each example's run (French labels of its contract)."""
    out = {}
    for name, r in results.items():
        metrics = contract.read(registry.get(name).load()).metrics
        out[name] = {
            "duration_s": r.duration_s, "epochs": len(r.history.get("loss", [])),
            "config": r.config, "device": r.device, "versions": r.versions, "date": r.date,
            "metrics": {k: {"label": metrics[k].label_for(r.config), "value": v,
                            "kind": metrics[k].kind, "digits": metrics[k].digits}
                        for k, v in r.metrics.items()}}
    return out


def default_pool() -> int:
    """The size of the default pool for a build with many jobs, on this machine."""
    saved = os.environ.pop(pool.ENV_WORKERS, None)
    try:
        return pool.pool_size(10**6)
    finally:
        if saved is not None:
            os.environ[pool.ENV_WORKERS] = saved


def measure(workdir: Path, env: dict, profile: str, repeats: int, cold: bool,
            cold_repeats: int = 2, log=lambda message: None) -> dict:
    env = {**env, "FIDLE_EXAMPLES_PROFILE": profile}
    out: dict = {"profile": profile, "repeats": repeats}
    if cold:
        # One process, then the pool, then the other way round...: both face the
        # same load of the machine.
        times: dict[str, list[float]] = {"one": [], "pool": []}
        for i in range(cold_repeats):
            for which in (("one", "pool") if i % 2 == 0 else ("pool", "one")):
                cache = workdir / f"cache-{which}-{i}"
                times[which].append(build(workdir / f"site-{which}-{i}", cache, env,
                                          workers=1 if which == "one" else None))
                log(f"construction à froid {i + 1}/{cold_repeats} "
                    f"({'1 processus' if which == 'one' else 'groupe par défaut'}) : "
                    f"{frenchfmt.number(times[which][-1], 1)} s")
        one, pool = stored(workdir / "cache-one-0"), stored(workdir / "cache-pool-0")
        cache = workdir / "cache-pool-0"
        out.update(cold_one_s=times["one"], cold_pool_s=times["pool"],
                   cold_one_median_s=statistics.median(times["one"]),
                   cold_pool_median_s=statistics.median(times["pool"]),
                   workers=default_pool(), trainings=len(pool),
                   training_sum_s=sum(r.duration_s for r in one.values()),
                   pool_over_one=statistics.median(times["pool"])
                   / statistics.median(times["one"]),
                   max_metric_difference=largest_difference(one, pool),
                   examples=describe(main_runs(pool, profile)))
    else:
        cache = workdir / "cache"
        build(workdir / "site-fill", cache, env)  # fills the cache, not timed
    warm = [build(workdir / f"site-warm-{i}", cache, env) for i in range(repeats)]
    disabled = [build(workdir / f"site-off-{i}", cache, env, enabled=False)
                for i in range(repeats)]
    out.update(warm_s=warm, disabled_s=disabled, warm_median_s=statistics.median(warm),
               disabled_median_s=statistics.median(disabled))
    out["warm_over_disabled"] = out["warm_median_s"] / out["disabled_median_s"]
    return out


def base_env(keras_home: Path | None) -> dict:
    env = dict(os.environ)
    if keras_home:
        env["KERAS_HOME"] = str(keras_home)
    env.pop("KERAS_BACKEND", None)  # the site is built with the default backend
    return env
