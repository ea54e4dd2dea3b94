"""The build draws its figures on a pool of processes (build/drawing.py): the same bytes
with one process or two, the same French error for a figure that fails, and matplotlib's
repeated work cut (core/matplotlib_speedups.py) without a byte of difference."""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from fidle_examples.core.errors import FidleError

from fidle_examples.core import plots, reference, registry
from fidle_examples.build import pool
from fidle_examples.build.loading import Loader
from fidle_examples.build.storage import ResultsCache, default_root
from support import ROOT, stock_matplotlib

NAME = "polynomial-regression"  # quick: 2 main figures, 20 of its explorer, in seconds
LOGGER = "mkdocs.plugins.fidle_examples"


@pytest.fixture(scope="module")
def session_cache() -> Path:
    """The session's results cache, holding the quick runs of NAME and of its explorer
    points (trained here if no other test did)."""
    root = default_root(ROOT)
    Loader(ResultsCache(root), "quick", reference.default_dir(ROOT)).load(
        {NAME: registry.get(NAME).load()})
    return root


def _without_figures(root: Path, to: Path) -> Path:
    """A copy of the training entries of NAME, without any drawn figure."""
    shutil.copytree(root / NAME, to / NAME,
                    ignore=shutil.ignore_patterns("figures-*", "explorer-*", "*.lock"))
    return to


def _load(root: Path, module, workers: int, monkeypatch):
    monkeypatch.setenv(pool.ENV_WORKERS, str(workers))
    loader = Loader(ResultsCache(root), "quick", reference.default_dir(ROOT))
    return loader.load({NAME: module})[NAME]


@pytest.mark.trains
def test_one_or_two_processes_draw_the_same_bytes(session_cache, tmp_path, monkeypatch,
                                                  caplog):
    module = registry.get(NAME).load()
    drawn = {}
    for workers in (1, 2):
        root = _without_figures(session_cache, tmp_path / f"cache-{workers}")
        caplog.clear()
        with caplog.at_level(logging.INFO, logger=LOGGER):
            entry = _load(root, module, workers, monkeypatch)
        assert "22 figures dessinées en" in caplog.text
        assert f"({workers} processus)" in caplog.text
        assert ("Figures à dessiner : 22, sur 2 processus." in caplog.text) == (workers == 2)
        drawn[workers] = {**{key: figure.svg for key, figure in entry.result.figures.items()},
                          **entry.explorer.svgs}
        # Kept in the figure cache: the next build draws nothing.
        caplog.clear()
        with caplog.at_level(logging.INFO, logger=LOGGER):
            again = _load(root, module, workers, monkeypatch)
        assert "dessinée" not in caplog.text
        assert again.explorer.svgs == entry.explorer.svgs
    assert len(drawn[1]) == 22 and all("<svg" in svg[:2000] for svg in drawn[1].values())
    assert drawn[1].keys() == drawn[2].keys()
    assert [name for name in drawn[1] if drawn[1][name] != drawn[2][name]] == []


def test_drawing_in_this_process_uses_the_speedups_too(monkeypatch):
    """One drawing process is this one (FIDLE_EXAMPLES_WORKERS=1, or a few figures to
    redraw): it installs the speed-ups as a drawing process does, once it draws."""
    import types

    from fidle_examples.build import drawing
    from fidle_examples.core import matplotlib_speedups

    stock_matplotlib(monkeypatch)
    assert not matplotlib_speedups.installed()
    module = types.ModuleType("fidle_test_here")
    module.figure_chart = lambda result: plots.line_chart(
        [1, 2, 3], {"perte": [1.5, 0.5, 0.25]}, "Titre", "époque", "perte", log=True)
    batch, drawn = drawing.Batch(), {}
    batch.add({"chart": drawing.Task("essai", module, "figure_chart", None,
                                     lambda reason: FidleError(str(reason)))}, drawn.update)
    batch.run(workers=1)
    assert drawn["chart"].lstrip().startswith("<?xml") and "<svg" in drawn["chart"]
    assert matplotlib_speedups.installed()


# A copy of the example whose figure function fails: for the page's figure, or for one
# state of the explorer. The drawing processes import it by name, from tmp_path.
BROKEN = {
    "page": ('''
def figure_errors(result, degree=None):
    if degree is None:
        raise ValueError("axe introuvable")
    return _figure_errors(result, degree)
''', "La figure « errors » de l'exemple « polynomial-regression » n'a pas pu être "
        "dessinée (ValueError : axe introuvable). Les résultats de l'entraînement sont "
        "intacts : corrigez la fonction « figure_errors »."),
    "explorer": ('''
def figure_fits(result, degree=None):
    if degree == 5:
        raise ValueError("axe introuvable")
    return _figure_fits(result, degree)
''', "La figure « fits » de l'explorateur de l'exemple « polynomial-regression » n'a pas "
        "pu être dessinée pour {'degree': 5} (ValueError : axe introuvable). Les résultats "
        "des entraînements sont intacts : corrigez la fonction « figure_fits »."),
}


@pytest.mark.trains
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("where", BROKEN)
def test_a_failing_figure_gives_its_french_error(session_cache, tmp_path, monkeypatch,
                                                 caplog, where, workers):
    code, message = BROKEN[where]
    source = (ROOT / "src" / "fidle_examples" / "examples" / "polynomial_regression.py")
    name = f"broken_figures_{where}_{workers}"
    (tmp_path / f"{name}.py").write_text(
        source.read_text("utf-8") + "\n_figure_errors, _figure_fits = figure_errors, "
        "figure_fits\n" + code, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))  # the drawing processes get sys.path
    module = __import__(name)
    root = _without_figures(session_cache, tmp_path / "cache")
    with caplog.at_level(logging.INFO, logger=LOGGER), pytest.raises(FidleError) as error:
        _load(root, module, workers, monkeypatch)
    assert str(error.value) == message
    # The traceback of the bug, for whoever fixes it: where it was raised.
    assert "Trace de l'erreur de « polynomial-regression »" in caplog.text
    assert f"{name}.py" in caplog.text and 'raise ValueError("axe introuvable")' in caplog.text


def test_speedups_write_the_same_bytes_as_matplotlib(monkeypatch):
    """The shared math-text parser, the cached font metrics and the layout-only first
    pass of core/matplotlib_speedups.py change no byte: log scales (math text), several
    font sizes, a title on two lines, a legend placed where it hides least, a figure
    without layout engine, one with a draw_event callback, a PNG, a PDF, and the
    polynomial explorer's figures (the site's most numerous). The first pass of an SVG
    with a layout engine is really cut: Figure.draw runs once per such figure, against
    twice without the patch."""
    from matplotlib import figure as mpl_figure, textpath
    from matplotlib.backends import backend_svg

    from fidle_examples.core import matplotlib_speedups as speedups
    from fidle_examples.core.results import Result
    from fidle_examples.examples import polynomial_regression as polynomial

    # A result shaped as the example's run() makes it (no training: make test-fast).
    config = dataclasses.asdict(polynomial.PROFILES["full"])
    x = np.linspace(-3, 3, 30)
    y = polynomial.TRUE_POLYNOMIAL(x) + np.cos(7 * x)
    degrees = list(range(1, config["max_degree"] + 1))
    result = Result(config=config, extra={
        "degrees": degrees, "train_mse": [10.0 / d for d in degrees],
        "val_mse": [0.5 * d * d for d in degrees]},
        data={"x_train": x[::2], "y_train": y[::2], "x_val": x[1::2], "y_val": y[1::2],
              **{f"fit_{d}": np.polynomial.Chebyshev.fit(x, y, d)(np.linspace(-3, 3, 400))
                 for d in degrees}})

    def figures():
        drawn = [plots.line_chart([1, 2, 3, 4], {"perte": [3e-4, 2e-2, 0.5, 40.0],
                                                 "validation": [1e-3, 0.1, 1.0, 90.0]},
                                  "Perte\nsur deux lignes", "époque", "perte", log=True,
                                  dashed=("validation",))]
        fig, axes = plots.new_figure(8, 3, ncols=2)
        axes[0].plot([0.5, 1.5, 2.5], [1, 2, 4], label="β₁ = 0,5")
        axes[0].set_title("Petit titre", fontsize=8)
        axes[0].legend(fontsize=7)
        axes[1].loglog([1, 10, 100], [1e-5, 1e-2, 1e3])
        axes[1].set_xlabel("$n$ points", fontsize=12)
        drawn.append(plots.to_svg(fig))
        drawn += [draw(result, degree) for degree in (1, 5, 20)
                  for draw in (polynomial.figure_errors, polynomial.figure_fits)]
        fig, ax = plots.new_figure(4, 3)
        ax.plot([1, 2, 3], [3, 1, 2], label="placée au mieux")
        ax.legend(loc="best")
        drawn.append(plots.to_svg(fig))
        with plots.style():
            # No layout engine, but a first pass all the same (for the tight bounding box).
            fig = mpl_figure.Figure(figsize=(4, 3))
            fig.subplots().plot([1, 2], [2, 1], label="droite")
            svg = io.StringIO()
            fig.savefig(svg, format="svg", bbox_inches="tight", metadata={"Date": None})
            drawn.append(svg.getvalue())
            # A draw_event callback: the stock first pass fires it, so the patch stands aside.
            fig = mpl_figure.Figure(figsize=(4, 3), layout="constrained")
            fig.subplots().plot([1, 2], [1, 2])
            fig.canvas.mpl_connect("draw_event", lambda event: event.canvas.figure.axes[0]
                                   .set_title(f"titre n° {len(fig.axes[0].get_title()) + 1}"))
            drawn.append(plots.to_svg(fig))
            # Other formats go the stock way: PNG (Agg) and a draw without rendering.
            fig = mpl_figure.Figure(figsize=(2, 2), dpi=50, layout="constrained")
            fig.subplots().plot([1, 2], [1, 2])
            fig.draw_without_rendering()
            png = io.BytesIO()
            fig.savefig(png, format="png", metadata={"Software": None})
            drawn.append(png.getvalue())
            pdf = io.BytesIO()  # a mixed-mode renderer too, around a PDF one
            fig.savefig(pdf, format="pdf", metadata={"CreationDate": None, "Producer": None})
            drawn.append(pdf.getvalue())
        return drawn

    draws = []

    def counted(stock):
        def draw(self, renderer):
            draws.append(self)
            return stock(self, renderer)
        return draw

    # Installed as in a drawing process; monkeypatch takes the patches off after the test.
    stock_matplotlib(monkeypatch)
    assert speedups.install()
    assert textpath.TextToPath().mathtext_parser is speedups._MATH_PARSER  # in effect
    assert backend_svg.RendererSVG._get_font_height_metrics is speedups._svg_font_height_metrics
    monkeypatch.setattr(speedups, "_STOCK_FIGURE_DRAW", counted(speedups._STOCK_FIGURE_DRAW))
    fast = figures()
    # The layout pass of each SVG with a layout engine no longer goes through Figure.draw;
    # the others are drawn twice, as by stock matplotlib: the tight-bounding-box figure, the
    # one with a draw_event callback, the PNG one (three times: draw_without_rendering) and
    # the PDF.
    assert len(draws) == len(fast) + 5
    draws.clear()
    stock_matplotlib(monkeypatch)
    monkeypatch.setattr(mpl_figure.Figure, "draw", counted(speedups._figure_draw.stock))
    assert textpath.TextToPath().mathtext_parser is not speedups._MATH_PARSER
    stock = figures()
    assert len(draws) == 2 * len(stock) + 1  # twice each; once more: draw_without_rendering
    assert all("<svg" in svg[:2000] for svg in stock[:-2])
    assert stock[-2][:4] == b"\x89PNG" and stock[-1][:5] == b"%PDF-"
    assert fast == stock
    assert "titre n° 1" in stock[-3]  # the callback ran in the first pass, as before


def test_a_few_figures_are_drawn_in_this_process(monkeypatch, caplog):
    """Starting a drawing process costs about ten figures: below that, no pool."""
    import os
    import types

    from fidle_examples.build import drawing

    module = types.ModuleType("fidle_test_figures")  # importable by no other process
    module.figure_pid = lambda result, n=0: f"<svg>{os.getpid()} {n}</svg>"
    monkeypatch.setenv(pool.ENV_WORKERS, "2")
    batch, received = drawing.Batch(), []
    tasks = {f"f{n}": drawing.Task("essai", module, "figure_pid", None, None, {"n": n})
             for n in range(drawing.FIGURES_PER_PROCESS * 2 - 1)}
    batch.add(tasks, received.append)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        batch.run()
    assert received == [{name: f"<svg>{os.getpid()} {n}</svg>"
                         for n, name in enumerate(tasks)}]
    assert f"{len(tasks)} figures dessinées en" in caplog.text
    assert "(1 processus)" in caplog.text
    assert len(batch) == 0


_PARENT = """
import multiprocessing, os, time
from concurrent.futures import ProcessPoolExecutor
from fidle_examples.build import drawing

if __name__ == "__main__":
    executor = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=drawing._start_worker)  # as Stream does
    print(executor.submit(os.getpid).result(), flush=True)
    time.sleep(600)
"""


def _running(pid: int) -> bool:
    """Neither gone nor a zombie (a dead process not reaped yet)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="lit l'état des processus dans /proc")
def test_a_drawing_process_ends_with_the_process_that_started_it(tmp_path):
    # `mkdocs serve` stopped by SIGTERM used to leave its drawing processes waiting for
    # work forever (found in the test suite's leftovers, parent 1).
    script = tmp_path / "parent.py"
    script.write_text(_PARENT, encoding="utf-8")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    drawer = None
    try:
        drawer = int(parent.stdout.readline())
        time.sleep(1)
        assert _running(drawer), "le processus de dessin doit attendre tant que MkDocs vit"
        parent.terminate()
        parent.wait(timeout=30)
        deadline = time.monotonic() + 15
        while _running(drawer) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(drawer), "le processus de dessin a survécu à son parent"
    finally:
        parent.kill()
        parent.wait()
        if drawer is not None and _running(drawer):
            os.kill(drawer, signal.SIGKILL)
