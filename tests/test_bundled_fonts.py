"""core.bundled_fonts: a matplotlib font list without matplotlib's own fonts (a cache file
written by another installation) is rebuilt before the figures are drawn, and the
figures are then the same bytes as with a sound list."""

from __future__ import annotations

import json

import matplotlib
import pytest
from matplotlib import font_manager

from fidle_examples.core import bundled_fonts, figures, plots


@pytest.fixture
def fresh_check(monkeypatch, tmp_path):
    """ensure() checks once per process: check again here; a rebuilt list is written to
    a cache folder of the test's own."""
    monkeypatch.setattr(bundled_fonts, "_checked", False)
    monkeypatch.setattr(matplotlib, "get_cachedir", lambda: str(tmp_path))
    yield tmp_path
    font_manager.FontManager._findfont_cached.cache_clear()


def strip_list(monkeypatch) -> None:
    """The font list such a cache gives: every font of matplotlib's own folder left out."""
    folder = str(bundled_fonts._folder())
    kept = [f for f in font_manager.fontManager.ttflist if not f.fname.startswith(folder)]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", kept)
    font_manager.FontManager._findfont_cached.cache_clear()


@pytest.fixture
def stripped_list(monkeypatch, fresh_check):
    strip_list(monkeypatch)
    return fresh_check


def log_scale_figure() -> str:
    """Math text (10⁻³) and a font of matplotlib's own folder, as the course's log axes."""
    return plots.xy_curves({"perte": ([1, 2, 3], [1e-3, 1e-2, 1e-1])}, "Perte",
                           "époque", "perte", log=True)


def test_a_sound_list_is_left_as_it_is(fresh_check):
    assert bundled_fonts.missing() == []
    assert bundled_fonts.ensure() is False
    assert not list(fresh_check.iterdir())  # nothing rebuilt, nothing written


def test_a_list_without_matplotlibs_fonts_is_rebuilt_once(stripped_list, caplog):
    assert "STIXGeneral.ttf" in bundled_fonts.missing()
    assert bundled_fonts.ensure() is True
    assert bundled_fonts.missing() == []
    assert "polices de matplotlib" in caplog.text
    written = json.loads(next(stripped_list.glob("fontlist-*.json")).read_text())
    assert any("STIXGeneral" in entry["fname"] for entry in written["ttflist"])
    assert bundled_fonts.ensure() is False  # once per process


def test_figures_drawn_after_the_repair_are_the_usual_bytes(monkeypatch, fresh_check,
                                                           caplog):
    with plots.style():
        usual = log_scale_figure()
    strip_list(monkeypatch)
    with caplog.at_level("WARNING", logger="matplotlib.font_manager"):
        with plots.style():
            log_scale_figure()
        assert "findfont: Font family" in caplog.text  # what the stripped list does
        caplog.clear()
        with figures._style():  # what core.figures draws in: the repair first
            repaired = log_scale_figure()
    assert "findfont" not in caplog.text
    assert repaired == usual
