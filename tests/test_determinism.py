"""Same seed, same numbers; another seed, other numbers (in one process and across two)."""

from __future__ import annotations

import json

import pytest

from support import run_cli
from fidle_examples.core import runner
from fidle_examples.core.results import RESULT_FILE


def _numbers(result) -> tuple:
    return result.history, {k: m.value for k, m in result.metrics.items()}, result.extra


@pytest.mark.parametrize("name, overrides, key", [
    ("gradient-descent", {"epochs": 20}, "loss_stochastic"),
    ("polynomial-regression", {}, None),
    ("logistic-regression", {"epochs": 5}, "val_loss"),
    ("wine", {"epochs": 3}, "val_mae"),
])
def test_same_seed_same_run_other_seed_other_run(name, overrides, key):
    first = runner.run_example(name, "quick", overrides, verbose=0)
    again = runner.run_example(name, "quick", overrides, verbose=0)
    other = runner.run_example(name, "quick", {**overrides, "seed": 7}, verbose=0)
    assert _numbers(first) == _numbers(again)
    assert {f: fig.svg for f, fig in first.figures.items()} == \
        {f: fig.svg for f, fig in again.figures.items()}
    if key:
        assert first.history[key] != other.history[key]
    else:
        assert first.extra["val_mse"] != other.extra["val_mse"]
    assert (first.seed, other.seed) == (42, 7)


def test_two_processes_with_the_same_seed_agree(tmp_path):
    def run(folder: str, *extra: str) -> dict:
        out = tmp_path / folder
        done = run_cli("run", "logistic-regression", "--profile", "quick", "--quiet",
                       "--epochs", "5", "--output", str(out), *extra)
        assert done.returncode == 0, done.stderr
        return json.loads((out / RESULT_FILE).read_text(encoding="utf-8"))

    first, second = run("a"), run("b")
    assert first["history"] == second["history"] and first["metrics"] == second["metrics"]
    assert first["history"]["loss"] and first["config"]["seed"] == 42
