"""Same seed, same numbers, whatever the number of build workers; another seed, other
numbers. Both compare with the session's trainings (`quick_results`)."""

from __future__ import annotations

import pytest

from fidle_examples.core import reference, registry, runner
from fidle_examples.build import pool
from fidle_examples.build.loading import Loader
from fidle_examples.build.storage import ResultsCache
from support import ROOT, result_differences

# Two Keras examples; float sums would show any difference.
POOLED = ["wine", "logistic-regression"]


def test_builds_with_one_or_two_workers_give_the_same_numbers(quick_results, tmp_path,
                                                               monkeypatch):
    """What a build does (build.loading.Loader, the worker pool, a results cache): the
    session trained every example on a pool of workers (one per core), these two among
    the others; trained again here with the other number of workers (one: one after
    the other in the same process), they give the same numbers, to the bit."""
    session_workers = pool.pool_size(len(registry.EXAMPLES))  # the session's environment
    workers = 1 if session_workers > 1 else 2
    monkeypatch.setenv(pool.ENV_WORKERS, str(workers))
    assert pool.pool_size(len(POOLED)) == workers
    modules = {name: registry.get(name).load() for name in POOLED}
    loader = Loader(ResultsCache(tmp_path / "cache"), "quick", reference.default_dir(ROOT))
    again = loader.load(modules)
    for name in POOLED:
        assert quick_results[name].trained and again[name].trained
        assert result_differences(quick_results[name].result, again[name].result) == \
            ["duration_s", "date"], name  # everything else identical, to the bit


@pytest.mark.parametrize("name, metric", [
    ("gradient-descent", "loss_stochastic"),
    ("polynomial-regression", "val_mse_good"),
    ("logistic-regression", "test_loss"),
])
def test_another_seed_gives_another_run(quick_results, name, metric):
    """The seed is really used: the reference seeds would otherwise all agree."""
    other = runner.run_example(name, "quick", {"seed": 7}, verbose=0)
    same = quick_results[name].result
    assert (other.seed, same.seed) == (7, 42)
    assert other.metrics[metric] != same.metrics[metric]
