"""Same seed, same numbers, whatever the number of build workers; another seed, other
numbers."""

from __future__ import annotations

import pytest

from fidle_examples.core import reference, registry, runner
from fidle_examples.build import pool
from fidle_examples.build.loading import Loader
from fidle_examples.build.storage import ResultsCache
from support import ROOT, result_differences

# Two Keras examples: with one worker they train one after the other in the same
# process, with two each in its own; float sums would show any difference.
POOLED = ["wine", "logistic-regression"]


@pytest.mark.slow
def test_builds_with_one_or_two_workers_give_the_same_numbers(tmp_path, monkeypatch):
    """What a build does (build.loading.Loader, the worker pool, a results cache),
    with FIDLE_EXAMPLES_WORKERS=1, then 2."""
    modules = {name: registry.get(name).load() for name in POOLED}
    loaded = {}
    for workers in (1, 2):
        monkeypatch.setenv(pool.ENV_WORKERS, str(workers))
        assert pool.pool_size(len(POOLED)) == workers
        loader = Loader(ResultsCache(tmp_path / f"cache-{workers}"), "quick",
                        reference.default_dir(ROOT))
        loaded[workers] = loader.load(modules)
    for name in POOLED:
        one, two = loaded[1][name], loaded[2][name]
        assert one.trained and two.trained
        assert result_differences(one.result, two.result) == \
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
