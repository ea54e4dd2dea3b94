"""MkDocs hook: formulas are typeset by KaTeX at build time, not in the browser.

pymdownx.arithmatex (generic mode) leaves `<span class="arithmatex">\\(...\\)</span>`
and `<div class="arithmatex">\\[...\\]</div>` in the page. This hook replaces their
TeX with the HTML (and MathML, for screen readers) of the vendored KaTeX, run
here in QuickJS. The reader's browser then only needs katex.min.css and the few
KaTeX fonts the page uses: no 270 kB script, no flash of raw TeX, and a wrong
formula fails the build instead of showing a red error box to the reader.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

from mkdocs.exceptions import PluginError

KATEX_JS = Path(__file__).resolve().parents[2] / "docs" / "assets" / "vendor" / "katex" / "katex.min.js"

_MATH = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\s*'
    r'(?:\\\((?P<inline>.*?)\\\)|\\\[(?P<display>.*?)\\\])\s*</(?P=tag)>',
    re.DOTALL)


@lru_cache(maxsize=1)
def _katex():
    """The render function of a QuickJS context with KaTeX loaded (once per process)."""
    import quickjs  # imported here: only pages with math need it

    ctx = quickjs.Context()
    ctx.eval("var window = globalThis, self = globalThis;")  # KaTeX's UMD wrapper
    ctx.eval(KATEX_JS.read_text(encoding="utf-8"))
    ctx.eval("function fidleRender(tex, display) {"
             " return katex.renderToString(tex, {displayMode: display, throwOnError: true}); }")
    return ctx.get("fidleRender")


def render(tex: str, display: bool) -> str:
    """KaTeX HTML for one formula; a TeX error raises PluginError (in French)."""
    try:
        return _katex()(tex, display)
    except Exception as err:  # quickjs.JSException carries KaTeX's ParseError text
        message = str(err).splitlines()[0]
        raise PluginError(
            f"Formule incorrecte : « {tex.strip()} »\n  {message}\n"
            "Corrigez le TeX de la formule (KaTeX le compile à la construction du site).") from err


def typeset(page_html: str) -> str:
    """The page with every arithmatex formula replaced by its KaTeX rendering."""
    def replace(match: re.Match) -> str:
        display = match["display"] is not None
        tex = html.unescape(match["display"] if display else match["inline"])
        return f'<{match["tag"]} class="arithmatex">{render(tex, display)}</{match["tag"]}>'
    return _MATH.sub(replace, page_html)


def on_page_content(html_content: str, page, config, files) -> str:
    if 'class="arithmatex"' not in html_content:
        return html_content
    try:
        return typeset(html_content)
    except PluginError as err:
        raise PluginError(f"{page.file.src_uri} : {err}") from err
