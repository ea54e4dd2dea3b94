"""Every page of the built site, as Chromium shows it (one visit per page, see
conftest.page_reports): offline, no error, images, diagrams, formulas, the
figures of the build-time training, and accessibility (axe-core, every impact)."""

from __future__ import annotations

import pytest

from mkdocs.config import load_config
from mkdocs.structure.files import get_files

from checks import assert_no_problem
from sitetools import ROOT

pytestmark = pytest.mark.browser


def source_pages() -> set[str]:
    """The pages the site must have, read from the sources, not from the built site:
    each Markdown page and notebook of docs/, and the print page (print-site)."""
    config = load_config(str(ROOT / "mkdocs.yml"))
    files = get_files(config)
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter:
        files = jupyter.on_files(files, config)
    expected = {"" if f.url == "./" else f.url for f in files.documentation_pages()}
    printing = config.plugins.get("print-site")
    if printing:
        expected.add(printing.config["print_page_basename"].strip("/") + "/")
    return expected


def test_every_page_of_the_site_is_visited(pages, page_reports):
    """The audit visits the pages of the built site (`pages`): they must be exactly the
    pages of the sources (none missing, none extra), each visited once."""
    expected = source_pages()
    assert "" in expected and len(expected) > 10
    assert set(pages) == expected, (f"absentes du site : {sorted(expected - set(pages))} ; "
                                    f"en trop : {sorted(set(pages) - expected)}")
    assert sorted(r.path for r in page_reports) == sorted(expected)


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


def test_links_to_an_anchor_of_a_page_by_its_address_find_it(page_reports):
    """page#anchor, to another page or to itself by its address ("./#x"), checked on
    the pages as visited (LinkChecker checks pages and files)."""
    assert sum(len(r.links_to_anchors) for r in page_reports) > 100  # the checks ran
    assert_no_problem(page_reports, "ancres des pages visées")


def test_no_accessibility_violation_of_any_impact(page_reports, node_tools):
    """axe-core on every page, minor to critical (Lighthouse's accessibility audits are
    axe-core rules: the suite runs no Lighthouse, bench.lighthouse measures speed)."""
    node_tools.require()
    assert_no_problem(page_reports, "accessibilité (axe-core)")
