"""Mermaid diagrams cost the reader's browser nothing at load time.

A small site built with the project's configuration (hooks, theme, vendored
assets): overrides/hooks/mermaid_prerender.py draws its diagrams at build time
in Chromium and writes them as SVG; a diagram it cannot draw (wrong syntax, no
Chromium) is left to assets/javascripts/mermaid-loader.js, which fetches the
vendored Mermaid only when a diagram comes near the viewport, and never from a
CDN.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from fidle_examples.browser import static_server
from pageaudit import OfflineContext
from sitetools import MKDOCS, ROOT, write_small_site

pytestmark = pytest.mark.browser

DIAGRAM = """```mermaid
flowchart LR
    A["Entrées"] --> B["Couche cachée"] --> C["Sortie"]
```
"""
PAGES = {
    "index.md": "# Diagramme en haut\n\n" + DIAGRAM,
    # Far below the first screen: drawn in the browser only when scrolled to.
    "bas.md": "# Diagramme en bas\n\n" + "Un paragraphe de texte.\n\n" * 150 + DIAGRAM,
    "casse.md": "# Diagramme incorrect\n\n```mermaid\ngraph LR\n  A[Données] --> --> B(\n```\n",
}
MERMAID_JS = "assets/vendor/mermaid/mermaid.min.js"
TEMPLATE = '<div class="mermaid"><template shadowrootmode="open"><svg'
_DRAWN_JS = """() => [...document.querySelectorAll("div.mermaid")].map((host) => {
  const svg = host.shadowRoot && host.shadowRoot.querySelector("svg");
  return svg ? svg.getBoundingClientRect().width : 0;
})"""


def build(work, name: str, env: dict) -> tuple:
    """Build the small site into work/name; returns (site folder, build log)."""
    pages = work / "pages"
    if not pages.is_dir():
        pages.mkdir()
        for filename, text in PAGES.items():
            (pages / filename).write_text(text, encoding="utf-8")
    config = write_small_site(pages, work / "project") if not (work / "project").is_dir() \
        else work / "project" / "mkdocs.yml"
    site = work / name
    proc = subprocess.run([*MKDOCS, "build", "--clean", "-f", str(config), "-d", str(site)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **env})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return site, proc.stdout + proc.stderr


def html_of(site, page: str) -> str:
    return (site / page / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def work(tmp_path_factory, chromium_path):
    return tmp_path_factory.mktemp("mermaid")


@pytest.fixture(scope="module")
def prerendered(work, chromium_path):
    cache = work / "cache"
    site, log = build(work, "site", {"FIDLE_MERMAID_CACHE": str(cache),
                                     "FIDLE_CHROMIUM": chromium_path})
    return site, log, cache


def test_diagrams_are_svg_in_the_built_pages(prerendered):
    site, log, cache = prerendered
    for page in ("", "bas/"):
        text = html_of(site, page)
        assert text.count(TEMPLATE) == 1, page
        assert '<pre class="mermaid">' not in text, page
    # The same diagram at the same place of two pages is drawn once.
    assert len(list(cache.glob("*.svg"))) == 1


def test_a_wrong_diagram_is_a_build_warning_and_stays_for_the_browser(prerendered):
    site, log, _ = prerendered
    assert "Diagramme Mermaid incorrect dans casse/index.html" in log, log
    assert '<pre class="mermaid">' in html_of(site, "casse/")


def test_the_cache_spares_the_browser_on_the_next_build(work, prerendered):
    _, _, cache = prerendered
    # No Chromium at all: the diagrams still come out as SVG, from the cache.
    site, log = build(work, "site-cached", {"FIDLE_MERMAID_CACHE": str(cache),
                                            "FIDLE_CHROMIUM": str(work / "pas-de-chromium")})
    assert html_of(site, "").count(TEMPLATE) == 1
    assert html_of(site, "bas/").count(TEMPLATE) == 1


def test_a_prerendered_diagram_shows_without_loading_mermaid(browser, prerendered):
    site, _, _ = prerendered
    with static_server(site, gzip=True) as url, OfflineContext(browser) as ctx:
        page = ctx.new_page()
        requested = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(url, wait_until="load")
        page.wait_for_timeout(500)
        widths = page.evaluate(_DRAWN_JS)
        page.close()
        assert widths and all(w > 0 for w in widths), widths
        assert not [url for url in requested if url.endswith(MERMAID_JS)], requested
        assert not ctx.external_requests


def test_without_prerendering_mermaid_loads_when_a_diagram_comes_near(browser, work):
    site, log = build(work, "site-lazy", {"FIDLE_MERMAID_PRERENDER": "0",
                                          "FIDLE_MERMAID_CACHE": str(work / "empty-cache")})
    assert '<pre class="mermaid">' in html_of(site, "bas/")
    with static_server(site, gzip=True) as url, OfflineContext(browser) as ctx:
        page = ctx.new_page()
        requested = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(url + "bas/", wait_until="load")
        page.wait_for_timeout(1000)  # the idle fallback waits 3 s after the load event
        assert not [url for url in requested if url.endswith(MERMAID_JS)], \
            "Mermaid a été chargé alors qu'aucun diagramme n'est visible"
        assert page.evaluate(_DRAWN_JS) == []
        page.locator("pre.mermaid").scroll_into_view_if_needed()
        page.wait_for_function(
            "() => document.querySelector('div.mermaid') && !document.querySelector('pre.mermaid')",
            timeout=30_000)
        widths = page.evaluate(_DRAWN_JS)
        page.close()
        assert [url for url in requested if url.endswith(MERMAID_JS)]
        assert ctx.external_requests == []  # never the CDN (unpkg) of Material's bundle
    assert len(widths) == 1 and widths[0] > 0, widths
