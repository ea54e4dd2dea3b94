"""MkDocs hook: formulas are typeset by KaTeX at build time, not in the browser.

pymdownx.arithmatex (generic mode) leaves `<span class="arithmatex">\\(...\\)</span>`
and `<div class="arithmatex">\\[...\\]</div>` in the page. This hook replaces their
TeX with the HTML (and MathML, for screen readers) of the vendored KaTeX, run
here in QuickJS. The reader's browser then only needs katex.min.css and the few
KaTeX fonts the page uses: no 270 kB script, no flash of raw TeX, and a wrong
formula fails the build instead of showing a red error box to the reader.

The search index gets each formula once, as its MathML alone: KaTeX's HTML put it
there three times (MathML, TeX annotation, drawing: « f(g(x))f(g(x))f(g(x)) » in the
results' excerpts), and Material's search plugin, which parses every page with
Python's html.parser, spent 3.5 s on it under the profiler, against 1.7 s with the
formulas' TeX alone (the MathML version was not profiled; a warm build takes 6.1 s
against 6.5 s). The MathML keeps the formulas' symbols (θ, σ, ∑) searchable.
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


_MATHML = re.compile(r"<math\b.*?</math>", re.S)
_ANNOTATION = re.compile(r"<annotation\b.*?</annotation>", re.S)


def typeset_both(page_html: str) -> tuple[str, str]:
    """(the page with every arithmatex formula replaced by its KaTeX rendering, the same
    page with each formula as its MathML alone, without the TeX annotation: for the
    search index)."""
    shown, searched, end = [], [], 0
    for match in _MATH.finditer(page_html):
        display = match["display"] is not None
        tex = html.unescape(match["display"] if display else match["inline"])
        rendered = render(tex, display)
        mathml = _ANNOTATION.sub("", _MATHML.search(rendered).group(0))
        before = page_html[end:match.start()]
        shown += [before, f'<{match["tag"]} class="arithmatex">{rendered}</{match["tag"]}>']
        searched += [before, f'<{match["tag"]} class="arithmatex">{mathml}</{match["tag"]}>']
        end = match.end()
    return "".join(shown + [page_html[end:]]), "".join(searched + [page_html[end:]])


def typeset(page_html: str) -> str:
    """The page with every arithmatex formula replaced by its KaTeX rendering."""
    return typeset_both(page_html)[0]


# src_uri -> (the typeset page this hook returned, its version for the search index).
_FOR_SEARCH: dict[str, tuple[str, str]] = {}


def on_page_content(html_content: str, page, config, files) -> str:
    if 'class="arithmatex"' not in html_content:
        return html_content
    try:
        typeset_html, searched_html = typeset_both(html_content)
    except PluginError as err:
        raise PluginError(f"{page.file.src_uri} : {err}") from err
    _FOR_SEARCH[page.file.src_uri] = (typeset_html, searched_html)
    return typeset_html


def _index_with_mathml(add_entry):
    """Material's SearchIndex.add_entry_from_context, given the search version of a page
    whose content is still what this hook returned (else the page as it is)."""
    def add_entry_from_context(page):
        typeset_html, searched_html = _FOR_SEARCH.get(page.file.src_uri, (None, None))
        if page.content is None or page.content != typeset_html:
            return add_entry(page)
        page.content = searched_html
        try:
            return add_entry(page)
        finally:
            page.content = typeset_html

    add_entry_from_context.stock = add_entry
    return add_entry_from_context


def on_config(config):
    """After the search plugin's on_config (hooks run after the plugins), which makes a
    new index for each build of `mkdocs serve`; the previous build's pages are dropped
    (this module stays loaded between the builds of `mkdocs serve`)."""
    _FOR_SEARCH.clear()
    search = config.plugins.get("material/search") or config.plugins.get("search")
    index = getattr(search, "search_index", None)
    if index is not None and not hasattr(index.add_entry_from_context, "stock"):
        index.add_entry_from_context = _index_with_mathml(index.add_entry_from_context)
    return config
