"""Every page of the built site, as Chromium shows it (one visit per page, see
conftest.page_reports): offline, no error, images, diagrams, formulas, the
figures of the build-time training, and accessibility."""

from __future__ import annotations

import pytest

from checks import assert_no_problem

pytestmark = pytest.mark.browser


def test_every_page_of_the_site_is_visited(pages, page_reports):
    assert "" in pages, "la page d'accueil manque au site construit"
    assert [r.path for r in page_reports] == pages


def test_no_request_to_another_host_is_even_attempted(page_reports):
    assert_no_problem(page_reports, "requêtes vers un autre hôte")


def test_no_console_error(page_reports):
    assert_no_problem(page_reports, "erreurs dans la console")


def test_no_failed_request(page_reports):
    assert_no_problem(page_reports, "requêtes en échec")


def test_no_broken_image(page_reports):
    assert_no_problem(page_reports, "images cassées")


def test_every_mermaid_block_became_an_svg(page_reports):
    assert_no_problem(page_reports, "diagrammes Mermaid")


def test_every_formula_is_typeset_by_katex(page_reports):
    assert_no_problem(page_reports, "formules KaTeX")


def test_figures_of_the_training_are_displayed(page_reports):
    assert_no_problem(page_reports, "figures générées")
    # Each example page shows the curves of its own training run.
    examples = [r for r in page_reports if r.path.startswith("exemples/") and r.path != "exemples/"]
    assert examples, "aucune page d'exemple dans le site construit"
    without = [r.path for r in examples if not r.generated_figures]
    assert not without, ("pages d'exemples sans figure générée (src contenant « generated/ ») : "
                         + ", ".join(without))


def test_links_to_an_anchor_of_the_same_page_find_it(page_reports):
    assert_no_problem(page_reports, "ancres de la page")


def test_no_serious_or_critical_accessibility_violation(page_reports, node_tools):
    node_tools.require()
    assert_no_problem(page_reports, "accessibilité (axe-core)")
