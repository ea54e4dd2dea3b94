"""Lazy sections and the search index on demand, in Chromium: nothing is fetched
before it is needed, and everything comes when it is (overrides/hooks/lazy_sections.py,
assets/javascripts/lazy-math.js and search-on-demand.js)."""

from __future__ import annotations

import pytest

from pageaudit import OfflineContext
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CHAPTER = "cours/retropropagation/"


def lazy_page(built_site, pages) -> str:
    if CHAPTER in pages and (built_site / CHAPTER / "formules.js").is_file():
        return CHAPTER
    found = [p for p in pages if (built_site / p / "formules.js").is_file()]
    if not found:
        pytest.skip("aucune page n'a de sections différées")
    return found[0]


def test_search_index_waits_for_the_search(browser, site_url):
    with OfflineContext(browser) as ctx:
        page = ctx.new_page()
        requested = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(site_url, wait_until="load")
        page.wait_for_timeout(1500)
        assert not [u for u in requested if "search_index" in u or "/workers/search" in u]
        page.locator(".md-search__input").click()
        page.keyboard.type("neurone", delay=20)
        page.wait_for_function(
            """() => { const meta = document.querySelector(".md-search-result__meta");
                       return meta && /trouv/i.test(meta.textContent); }""", timeout=15_000)
        assert [u for u in requested if u.endswith("search/search_index.json")]
        assert page.locator(".md-search-result__item").count() > 0


def test_lazy_formulas_get_katex_drawing(browser, site_url, built_site, pages):
    path = lazy_page(built_site, pages)
    with OfflineContext(browser) as ctx:
        page = ctx.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(site_url + path, wait_until="load")
        waiting = page.locator("[data-fidle-math]").count()
        assert waiting > 0
        # A formula far down, brought into view, then all of them (idle time).
        page.locator(".fidle-lazy > p .arithmatex").last.scroll_into_view_if_needed()
        page.wait_for_function("() => !document.querySelector('[data-fidle-math]')",
                               timeout=15_000)
        state = page.evaluate("""() => [...document.querySelectorAll('.arithmatex')].map(el =>
            el.querySelectorAll('math').length === 1
            && el.querySelectorAll('.katex-mathml > math').length === 1
            && !!el.querySelector('.katex-html'))""")
        assert all(state), f"{state.count(False)} formule(s) mal reconstruite(s)"
        assert not errors


def test_lazy_sections_read_without_javascript(browser, site_url, built_site, pages):
    path = lazy_page(built_site, pages)
    with OfflineContext(browser, java_script_enabled=False) as ctx:
        page = ctx.new_page()
        page.goto(site_url + path, wait_until="load")
        last = page.locator(".fidle-lazy > p").last
        last.scroll_into_view_if_needed()
        # The text is in the page itself, shown by CSS alone once near (content-visibility
        # needs no script); with scripts off the page cannot be asked for innerText.
        expect(last).to_be_visible()
        assert (last.text_content() or "").strip()
        math = page.locator(".fidle-lazy > p [data-fidle-math] > math").last
        math.scroll_into_view_if_needed()
        box = math.bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0  # the browser draws MathML


# Estimated height of a page's lazy sections against their real one, measured by the
# page audit (conftest.page_reports): at 0.44 (the glossary), laying them out moved the
# terms, and axe-core in Lighthouse measured their contrast against the footer. An
# estimate too large only lengthens the scrollbar.
LOWEST_ESTIMATE = 0.7


def test_lazy_sections_are_not_much_taller_than_estimated(page_reports):
    lazy = {r.path: r.lazy_heights for r in page_reports if r.lazy_heights}
    assert "glossaire/" in lazy and len(lazy) > 5
    short = []
    for path, heights in lazy.items():
        estimated, real = (sum(h[i] for h in heights) for i in (0, 1))
        if estimated < LOWEST_ESTIMATE * real:
            short.append(f"/{path} : {estimated} px estimés pour {real:.0f} px")
    assert not short, "sections différées sous-estimées :\n" + "\n".join(short)
