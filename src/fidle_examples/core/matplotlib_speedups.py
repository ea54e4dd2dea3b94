"""Same drawings, less repeated work: three patches of matplotlib for its SVG output.

Installed by `install()`, in the processes that draw the site's figures only (never at
import: a learner's kernel keeps matplotlib as it is), and only on the matplotlib these
patches were written and checked for (MATPLOTLIB_VERSION, the version requirements.lock
pins): they rely on its internals, and tests/test_drawing_pool.py checks that they change
no byte. On another version they stay off; figures are then drawn as fast as matplotlib
draws them.
"""

from __future__ import annotations

import functools

import matplotlib
from matplotlib import figure, font_manager, mathtext, textpath
from matplotlib.backends import backend_svg

MATPLOTLIB_VERSION = "3.11.2"  # tests/test_matplotlib_style.py checks requirements.lock

# Profiling the site's ~240 figures showed matplotlib (3.11) redoing, for every figure,
# work whose answer never changes (about 40 % of a log-scale figure, 15 % of the others):
# - the math text of the log-scale tick labels (10⁻³) is parsed again by each renderer:
#   the parse cache is per parser, and each renderer makes its own parser;
# - each text layout looks its font up again and reads its height from the font's tables,
#   unless the renderer provides `_get_font_height_metrics` (the PDF one does).
# One parser for the process, and the SVG renderer given those font metrics, computed as
# Text._get_layout computes them, once per font. The SVG written is the same, byte for
# byte (tests/test_drawing_pool.py draws figures with and without).

_MATH_PARSER = mathtext.MathTextParser("path")
# matplotlib's own (this module may be imported again when `mkdocs serve` sees it edited).
_STOCK_TEXT_TO_PATH_INIT = getattr(textpath.TextToPath.__init__, "stock",
                                   textpath.TextToPath.__init__)


def _text_to_path_init(self, *args, **kwargs):
    _STOCK_TEXT_TO_PATH_INIT(self, *args, **kwargs)
    self.mathtext_parser = _MATH_PARSER


_text_to_path_init.stock = _STOCK_TEXT_TO_PATH_INIT


@functools.lru_cache(maxsize=256)
def _font_height_metrics(prop) -> tuple:
    """(ascent, descent, line gap) of the font of `prop` (a FontProperties copy), as
    Text._get_layout reads them when the renderer does not provide them, at the 72 dpi
    the SVG backend draws at (print_svg sets the figure's dpi to it)."""
    dpi = backend_svg.FigureCanvasSVG.fixed_dpi
    font = font_manager.get_font(font_manager.fontManager._find_fonts_by_props(prop))
    for table_name, gap_key, ascent_key, descent_key in (
            ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
            ("hhea", "lineGap", "ascent", "descent")):
        table = font.get_sfnt_table(table_name)
        if table is None:
            continue
        fontsize = prop.get_size_in_points()
        units_per_em = font.get_sfnt_table("head")["unitsPerEm"]
        scale = 1 / units_per_em * fontsize * dpi / 72  # the same float operations
        return table[ascent_key] * scale, -table[descent_key] * scale, table[gap_key] * scale
    return None, None, None  # Text._get_layout then measures the text "lp" itself


def _svg_font_height_metrics(self, prop):
    return _font_height_metrics(prop.copy())  # a copy: the caller may change `prop`


# Third: savefig draws a figure with a layout engine twice. The first pass, with a
# renderer whose draw_* methods do nothing, is made for the layout engine, which Figure.draw
# runs first; the artists it then goes through are gone through again, really drawn, by
# the second pass, which computes everything again from the positions the layout set.
# For SVG output, the first pass is cut to the layout alone: about 5 s of the 38 s of CPU
# of a build that draws every figure. Not when a draw_event callback is connected: the
# stock pass fires it. (Figure.draw_without_rendering on an SVG canvas is cut the same
# way: it then runs the layout without updating the artists; the site never calls it.)
_STOCK_FIGURE_DRAW = getattr(figure.Figure.draw, "stock", figure.Figure.draw)


def _svg_layout_pass(renderer) -> bool:
    """Whether `renderer` is print_svg's and draws nothing: RendererBase._draw_disabled
    sets no-op draw_* methods on the SVG renderer inside the mixed-mode one."""
    vector = getattr(renderer, "_vector_renderer", None)
    return isinstance(vector, backend_svg.RendererSVG) and "draw_path" in vars(vector)


def _figure_draw(self, renderer):
    if (self.get_visible() and self.axes and self.get_layout_engine() is not None
            and _svg_layout_pass(renderer)
            and not self.canvas.callbacks.callbacks.get("draw_event")):
        with self._render_lock:
            try:
                self.get_layout_engine().execute(self)
            except ValueError:  # ignored, as Figure.draw does
                pass
            finally:
                self.stale = False
        return
    _STOCK_FIGURE_DRAW(self, renderer)


_figure_draw.stock = _STOCK_FIGURE_DRAW


def installed() -> bool:
    """Whether the patches are in effect in this process (by name: `mkdocs serve` may
    import this module again)."""
    metrics = getattr(backend_svg.RendererSVG, "_get_font_height_metrics", None)
    return (textpath.TextToPath.__init__.__name__ == _text_to_path_init.__name__
            and getattr(metrics, "__name__", "") == _svg_font_height_metrics.__name__
            and figure.Figure.draw.__name__ == _figure_draw.__name__)


def install() -> bool:
    """Put the patches in place (calling again changes nothing); True when they are in
    effect, False on a matplotlib other than MATPLOTLIB_VERSION (nothing patched)."""
    if matplotlib.__version__ != MATPLOTLIB_VERSION:
        return False
    textpath.TextToPath.__init__ = _text_to_path_init
    backend_svg.RendererSVG._get_font_height_metrics = _svg_font_height_metrics
    figure.Figure.draw = _figure_draw
    return True
