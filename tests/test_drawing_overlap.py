"""The figures of an example are drawn as soon as its trainings end, while the others
train (issue #23): a cold build no longer waits for the last training to start drawing."""

from __future__ import annotations

import logging

from fidle_examples.build import drawing, loading, pool
from fidle_examples.build.loading import Loader
from fidle_examples.build.storage import ResultsCache
from fidle_examples.core import reference, registry
from support import ROOT

FIRST, LAST = "polynomial-regression", "linear-regression"  # in this order: cost_s


def test_an_example_is_drawn_while_the_next_one_trains(tmp_path, monkeypatch, caplog):
    """One worker trains the polynomial regression (and its explorer's points), then the
    linear regression: the polynomial regression's drawings are handed over before the
    linear regression's training has ended."""
    monkeypatch.setenv(pool.ENV_WORKERS, "1")
    timeline: list[tuple[str, str]] = []
    add, log_event = drawing.Stream.add, loading._EventLogger.__call__

    def spy_add(self, tasks, done, failed=None):
        timeline.append(("drawing", next(iter(tasks.values())).example))
        return add(self, tasks, done, failed)

    def spy_event(self, event):
        if event["event"] == "done":
            timeline.append(("trained", event["example"]))
        return log_event(self, event)

    monkeypatch.setattr(drawing.Stream, "add", spy_add)
    monkeypatch.setattr(loading._EventLogger, "__call__", spy_event)
    modules = {name: registry.get(name).load() for name in (FIRST, LAST)}
    loader = Loader(ResultsCache(tmp_path / "cache"), "quick", reference.default_dir(ROOT))
    with caplog.at_level(logging.INFO, logger="mkdocs.plugins.fidle_examples"):
        loaded = loader.load(modules)
    assert timeline.index(("drawing", FIRST)) < timeline.index(("trained", LAST))
    assert "Figures à dessiner : au fil des entraînements" not in caplog.text  # 1 process
    assert set(loaded) == {FIRST, LAST}
    assert all(entry.result.figures for entry in loaded.values())
    assert len(loaded[FIRST].explorer.svgs) == 20
