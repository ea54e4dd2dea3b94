"""The checks catch real faults: a small site built with the project's own
configuration, theme and vendored assets, where each page but one holds one
deliberate fault (tests/browser/broken_site/). Each fault must be caught by the
check meant for it, on that page; the control page (index) must pass them all.
"""

from __future__ import annotations

import functools
import http.server
import threading
import time
from pathlib import Path

import pytest

import pageaudit
from checks import CHECKS, failing_pages
from fidle_examples.browser import static_server
from linkscan import check_links
from pageaudit import audit_site, launched_browser
from sitetools import build_site, site_pages, write_small_site

pytestmark = pytest.mark.browser

PAGES = Path(__file__).resolve().parent / "broken_site"
AXE_CHECK = "accessibilité (axe-core)"

# page of broken_site/ -> the checks that must flag it
EXPECTED = {
    "externe/": ["requêtes vers un autre hôte"],
    "mermaid/": ["diagrammes Mermaid", "erreurs dans la console"],
    "formule/": ["formules KaTeX"],
    "image/": ["images cassées", "requêtes en échec"],
    "accessibilite/": [AXE_CHECK],
    "erreur/": ["erreurs dans la console"],
    "liens/": ["ancres de la page", "ancres des pages visées"],
}


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory):
    work = tmp_path_factory.mktemp("broken-site")
    config = write_small_site(PAGES, work)
    build_site(work / "site", config=config)
    with static_server(work / "site", gzip=True) as url:
        yield url, site_pages(work / "site"), work


@pytest.fixture(scope="module")
def broken_reports(browser, chromium_path, broken_site, node_tools):
    """The same audit as the site's (conftest.page_reports), two pages at a time."""
    url, paths, _ = broken_site
    reports = audit_site(browser, url, paths, node_tools.axe_script(),
                         second_browser=lambda: launched_browser(chromium_path))
    return {r.path: r for r in reports}


def test_the_control_page_passes_every_check(broken_reports, node_tools):
    control = broken_reports[""]
    # The control page really exercises the checks: a diagram, formulas, a figure.
    assert control.diagrams == ["ok"]
    assert control.math and set(control.math) == {"ok"}
    assert [fig["naturalWidth"] for fig in control.generated_figures] == [200]
    for check in CHECKS:
        if check == AXE_CHECK:
            node_tools.require()
        assert not failing_pages([control], check), check


@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_each_fault_is_caught_where_it_is(broken_reports, node_tools, page):
    if AXE_CHECK in EXPECTED[page]:
        node_tools.require()
    for check in EXPECTED[page]:
        assert page in failing_pages(broken_reports.values(), check), (
            f"la vérification « {check} » n'a pas vu le défaut de /{page}")


def test_the_faults_are_caught_on_their_page_only(broken_reports):
    # Each check flags exactly the pages that hold its fault; a check that flags
    # everything would also "catch" the faults.
    for check in ["requêtes vers un autre hôte", "diagrammes Mermaid", "formules KaTeX",
                  "images cassées", "ancres de la page", "ancres des pages visées"]:
        expected = {page for page, checks in EXPECTED.items() if check in checks}
        assert set(failing_pages(broken_reports.values(), check)) == expected, check


def test_the_external_font_was_blocked_not_fetched(broken_reports):
    assert any("fonts.googleapis.com" in url
               for url in broken_reports["externe/"].external_requests)


def test_broken_links_and_anchors_are_caught(broken_site):
    # LinkChecker: links to other pages and files; anchors, of this page ("#ailleurs")
    # or of another ("index.md#nulle-part"), are left to the browser audit (tests above,
    # "ancres de la page" and "ancres des pages visées").
    url, paths, work = broken_site
    problems = check_links([url + path for path in paths], work)
    assert any("liens/ -> absente.md" in p and "404" in p for p in problems), problems
    assert any("generated/absente.svg" in p for p in problems), problems
    assert len(problems) == 2, problems


def test_a_missing_anchor_of_a_page_by_its_address_is_named(broken_reports):
    assert broken_reports["liens/"].broken_anchors_elsewhere == [
        "/#nulle-part : ancre « nulle-part » introuvable dans /",
        "/liens/#ni-ici : ancre « ni-ici » introuvable dans /liens/"]


def test_a_formula_drawn_after_a_slow_request_is_waited_for(browser, tmp_path):
    # The other side of the audit's « nothing loads, nothing changes » rule (QUIET_S),
    # which spares the page formule/ above the whole render timeout: a formula whose
    # drawing arrives with a request slower than QUIET_S is still waited for.
    delay = pageaudit.QUIET_S + 1.5
    (tmp_path / "index.html").write_text(
        '<!doctype html><html lang="fr"><title>Lente</title><body>'
        '<div class="arithmatex">\\[x\\]</div><script>addEventListener("load", () => {'
        ' const s = document.createElement("script"); s.src = "lente.js";'
        ' document.head.append(s); });</script></body></html>', encoding="utf-8")
    (tmp_path / "lente.js").write_text(
        'document.querySelector(".arithmatex").innerHTML = \'<span class="katex">x</span>\';',
        encoding="utf-8")

    class Slow(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            if self.path.endswith("lente.js"):
                time.sleep(delay)
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Slow, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pageaudit.OfflineContext(browser) as ctx:
            start = time.monotonic()
            report = pageaudit.audit_page(ctx, f"http://127.0.0.1:{server.server_address[1]}/", "")
    finally:
        server.shutdown()
        server.server_close()
    assert report.math == ["ok"]
    assert time.monotonic() - start >= delay
