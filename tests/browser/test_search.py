"""Material's search, in French, typed key by key as a reader types it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from pageaudit import OfflineContext

pytestmark = pytest.mark.browser

# term typed -> the pages that answer it (one of them must be among the first
# TOP pages found). Material's search runs lunr with the French stemmer.
EXPECTED = {
    "rétropropagation": {"cours/retropropagation/"},
    # The spelling the pages use (the glossary gives « surapprentissage »).
    # Since the questions were merged, the example « sous- et sur-apprentissage » and the
    # notebook of the overfitting experiment rank with the question page: all are right.
    "sur-apprentissage": {"questions/surapprentissage/", "questions/",
                          "exemples/regression-polynomiale/", "carnets/overfitting/"},
    # The course section "Le neurone artificiel", or the example built on it.
    "neurone": {"cours/regression-logistique/", "exemples/regression-logistique/"},
}
TOP = 3


def result_pages(page, base_url: str) -> list[str]:
    """Pages of the result list, in order, each once (sections of a page follow it)."""
    hrefs = page.eval_on_selector_all(
        ".md-search-result__list > .md-search-result__item > a", "links => links.map(a => a.href)")
    base = urlsplit(base_url).path
    found = []
    for href in hrefs:
        path = urlsplit(href).path.removeprefix(base)
        if path not in found:
            found.append(path)
    return found


# Each keystroke sends a query to Material's search worker, and each answer replaces the
# result list: the list shown just after typing may answer an earlier query (« sur-a »),
# the right one arriving some 0,6 s later on a quiet machine. Count the messages sent to
# the worker and its answers (one each: set-up, then one per query).
_COUNT_WORKER_MESSAGES = """
(() => {
  const Real = window.Worker;
  window.__fidleSearch = { sent: 0, answered: 0 };
  window.Worker = class extends Real {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", () => { window.__fidleSearch.answered += 1; });
    }
    postMessage(...args) {
      window.__fidleSearch.sent += 1;
      return super.postMessage(...args);
    }
  };
})();
"""


@pytest.fixture(scope="module")
def search_page(browser, site_url):
    with OfflineContext(browser) as ctx:
        page = ctx.new_page()
        page.add_init_script(_COUNT_WORKER_MESSAGES)
        page.goto(site_url, wait_until="load")
        yield page
        assert not ctx.external_requests


@pytest.mark.parametrize("term", sorted(EXPECTED))
def test_french_search_finds_the_right_page(search_page, site_url, term):
    page = search_page
    box = page.locator(".md-search__input")
    box.click()
    box.press("Control+A")
    box.press("Backspace")
    page.keyboard.type(term, delay=20)
    # The result count ("N documents trouvés", "Aucun document trouvé") replaces
    # the "initialising" line once the index is ready and the query has run.
    # Every query answered, the last one being the whole term (typed last), and shown.
    page.wait_for_function(
        """term => {
          const meta = document.querySelector(".md-search-result__meta");
          const worker = window.__fidleSearch;
          return document.querySelector(".md-search__input").value === term
            && worker.sent > 1 && worker.answered === worker.sent
            && meta && /trouv/i.test(meta.textContent);
        }""", arg=term, timeout=15_000)
    page.wait_for_timeout(100)  # the answer's list drawn
    found = result_pages(page, site_url)
    assert set(found[:TOP]) & EXPECTED[term], (
        f"« {term} » : pages trouvées {found[:8]}, attendu l'une de {sorted(EXPECTED[term])} "
        f"parmi les {TOP} premières")
