"""The Questions section has one page per question since its experiment pages were
merged into them: the old addresses (links from outside, bookmarks) lead to the new
pages in a real browser, and an anchor of the old page is kept on the way."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

MOVED = {  # old page -> (new page, its title)
    "questions/aleatoire/": ("questions/hasard/", "D'où vient le hasard"),
    "questions/taille-des-lots/": ("questions/lots/", "Pourquoi des lots"),
    "questions/generalisation/": ("questions/surapprentissage/", "Le sur-apprentissage"),
}


@pytest.mark.parametrize("old", list(MOVED))
def test_old_address_leads_to_the_merged_page(browser, site_url, old):
    new, title = MOVED[old]
    page = browser.new_page()
    try:
        page.goto(f"{site_url}{old}")
        page.wait_for_url(f"{site_url}{new}**", timeout=10_000)
        assert page.locator("h1").first.inner_text().startswith(title)
        # The quiz and the experiment of the merged page are there.
        assert page.locator(".fidle-quiz").count() >= 1
    finally:
        page.close()


def test_old_address_keeps_its_anchor(browser, site_url):
    page = browser.new_page()
    try:
        page.goto(f"{site_url}questions/generalisation/#arret-precoce")
        page.wait_for_url(f"{site_url}questions/surapprentissage/#arret-precoce", timeout=10_000)
        assert page.locator("#arret-precoce").count() == 1
    finally:
        page.close()


def test_redirect_pages_are_not_in_the_navigation(built_site):
    home = (built_site / "index.html").read_text(encoding="utf-8")
    assert "questions/aleatoire/" not in home and "questions/generalisation/" not in home
