"""Importing the package changes nothing in matplotlib (a learner's kernel may import it):
the chart style is set while a figure is drawn, and the speed-ups of
core/matplotlib_speedups.py are installed only where asked, on the pinned matplotlib."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import types

import matplotlib
import pytest
from matplotlib import figure as mpl_figure, textpath
from matplotlib.backends import backend_svg

from fidle_examples.core import figures, matplotlib_speedups, plots
import support
from support import ROOT

_IMPORT_CHECK = """
import json, sys
import matplotlib
before = matplotlib.rcParams.copy()  # copy(): reading "backend" would resolve it
import fidle_examples.core.plots, fidle_examples.core.figures
import fidle_examples.examples.polynomial_regression
from fidle_examples.core import matplotlib_speedups
after = matplotlib.rcParams.copy()
print(json.dumps({"changed": sorted(k for k in before if before[k] != after[k]),
                  "speedups": matplotlib_speedups.installed(),
                  "pyplot": "matplotlib.pyplot" in sys.modules}))
"""


def test_importing_the_plots_changes_nothing_in_matplotlib():
    proc = subprocess.run([sys.executable, "-c", _IMPORT_CHECK], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen == {"changed": [], "speedups": False, "pyplot": False}


def test_the_style_is_set_while_drawing_only():
    salt = matplotlib.rcParams["svg.hashsalt"]
    assert salt != plots.STYLE["svg.hashsalt"]
    module = types.ModuleType("fidle_test_style")
    module.figure_salt = lambda result: f"<svg>{matplotlib.rcParams['svg.hashsalt']}</svg>"
    assert figures.call(module, "figure_salt", None) == ("<svg>fidle</svg>", "", "")
    assert matplotlib.rcParams["svg.hashsalt"] == salt
    with plots.style():
        assert matplotlib.rcParams["axes.prop_cycle"] == plots.STYLE["axes.prop_cycle"]
    assert matplotlib.rcParams["axes.prop_cycle"] != plots.STYLE["axes.prop_cycle"]


def test_a_helper_called_directly_draws_as_inside_the_build():
    """A helper makes its whole figure in the style: the same bytes as through
    core.figures, stable ids, and matplotlib's settings untouched after it."""
    before = matplotlib.rcParams.copy()
    module = types.ModuleType("fidle_test_chart")
    module.figure_chart = lambda result: plots.line_chart(
        [1, 2, 3], {"perte": [1.5, 0.5, -0.25]}, "Titre", "époque", "perte")
    direct = module.figure_chart(None)
    assert figures.call(module, "figure_chart", None)[0] == direct
    assert module.figure_chart(None) == direct
    assert 'id="' in direct and "#0072b2" in direct.lower()  # the palette's first colour
    assert matplotlib.rcParams.copy() == before  # copies: reading "backend" resolves it


def test_the_pinned_version_is_the_one_of_requirements_lock():
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert re.search(r"^matplotlib==([^\s\\]+)", lock, re.M)[1] == \
        matplotlib_speedups.MATPLOTLIB_VERSION


@pytest.fixture
def stock_matplotlib(monkeypatch):
    """matplotlib without the patches, and put back as it was after the test."""
    support.stock_matplotlib(monkeypatch)
    assert not matplotlib_speedups.installed()


def test_install_patches_the_pinned_matplotlib_once(stock_matplotlib, monkeypatch):
    monkeypatch.setattr(matplotlib, "__version__", matplotlib_speedups.MATPLOTLIB_VERSION)
    assert matplotlib_speedups.install() is True
    assert matplotlib_speedups.installed()
    assert textpath.TextToPath().mathtext_parser is matplotlib_speedups._MATH_PARSER
    assert matplotlib_speedups.install() is True  # again: the same patches, not stacked
    assert textpath.TextToPath.__init__.stock is matplotlib_speedups._STOCK_TEXT_TO_PATH_INIT
    assert mpl_figure.Figure.draw.stock is matplotlib_speedups._STOCK_FIGURE_DRAW


@pytest.mark.parametrize("version", ["3.11.1", "3.12.0"])
def test_install_leaves_another_matplotlib_alone(stock_matplotlib, monkeypatch, version):
    monkeypatch.setattr(matplotlib, "__version__", version)
    assert matplotlib_speedups.install() is False
    assert not matplotlib_speedups.installed()
    assert textpath.TextToPath().mathtext_parser is not matplotlib_speedups._MATH_PARSER
    assert not hasattr(backend_svg.RendererSVG, "_get_font_height_metrics")
    assert mpl_figure.Figure.draw is matplotlib_speedups._STOCK_FIGURE_DRAW
