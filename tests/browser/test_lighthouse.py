"""Lighthouse (desktop preset): the home page, one example page, one chapter,
and every page with a Mermaid diagram: accessibility must be 100 on each.

Reports (JSON and HTML) and scores are saved in test-artifacts/lighthouse/. The
performance score is recorded but not asserted: it depends on how busy the CPU is,
and speed targets belong to the benchmarks (`python -m bench.lighthouse SITE`, best
of 3 runs per page on a quiet machine, shown on the Performances page).

Pages with a diagram were the slow ones: Mermaid (3.5 MB) used to load as a
blocking script. The diagrams are now drawn at build time
(overrides/hooks/mermaid_prerender.py), or else lazily in the browser
(assets/javascripts/mermaid-loader.js).
"""

from __future__ import annotations

import json

import pytest

from fidle_examples.browser import CHROMIUM_FLAGS
from nodetools import run_lighthouse

pytestmark = pytest.mark.browser

ACCESSIBILITY_MIN = 1.0
# The performance score is a speed measure: it depends on the machine's load, so it is
# recorded here (scores.json) but asserted nowhere; `python -m bench.lighthouse` measures
# it on every page (best of 3, quiet machine) for the Performances page.
# Named pages, audited first; fallbacks keep the test meaningful if one moves.
NAMED = {"accueil": "", "exemple": "exemples/mnist/", "chapitre": "cours/retropropagation/",
         "explorateur": "exemples/descente-de-gradient/"}  # quizzes on the last three


def audited_page(name: str, pages: list[str]) -> str:
    path = NAMED[name]
    if path in pages or name == "accueil":
        return path
    section = path.split("/")[0] + "/"
    others = [p for p in pages if p.startswith(section) and p != section]
    return (others or [section])[0]


def diagram_pages(built_site, pages: list[str]) -> list[str]:
    """Pages whose built HTML holds a diagram (drawn at build time or not)."""
    return [p for p in pages
            if 'class="mermaid"' in (built_site / p / "index.html").read_text(encoding="utf-8")]


def record(folder, name: str, entry: dict) -> None:
    summary_file = folder / "scores.json"
    summary = json.loads(summary_file.read_text(encoding="utf-8")) if summary_file.is_file() else {}
    summary[name] = entry
    summary_file.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")


def audit(name: str, path: str, site_url, chromium_path, node_tools, artifacts) -> dict:
    """One Lighthouse run of one page, its scores recorded."""
    modules = node_tools.require()
    folder = artifacts / "lighthouse"
    for old in folder.glob(f"{name}-*.report.*"):  # reports of an earlier session
        old.unlink()
    scores = run_lighthouse(node_tools.node, modules, site_url + path, folder / f"{name}-1",
                            chromium_path, CHROMIUM_FLAGS)
    entry = {"page": "/" + path, "runs": [scores]}
    record(folder, name, entry)
    return entry


def problems_of(entry: dict) -> list[str]:
    problems = []
    # Lighthouse gives no score (None) when a category could not be measured.
    if any((s["accessibility"] or 0) < ACCESSIBILITY_MIN for s in entry["runs"]):
        problems.append(f"{entry['page']} : accessibilité "
                        f"{[s['accessibility'] for s in entry['runs']]}")
    return problems


@pytest.mark.parametrize("name", list(NAMED))
def test_lighthouse_scores(name, site_url, pages, chromium_path, node_tools, artifacts):
    path = audited_page(name, pages)
    assert path in pages, f"/{path} n'existe pas dans le site construit"
    entry = audit(name, path, site_url, chromium_path, node_tools, artifacts)
    assert not problems_of(entry), entry["runs"]


def test_every_page_with_a_diagram_is_accessible(built_site, site_url, pages, chromium_path,
                                                 node_tools, artifacts):
    with_diagram = diagram_pages(built_site, pages)
    assert len(with_diagram) >= 2, "le site construit devrait avoir des pages à diagramme"
    named = {audited_page(name, pages) for name in NAMED}
    problems = []
    for path in with_diagram:
        if path in named:  # measured by test_lighthouse_scores
            continue
        name = "diagramme-" + (path.strip("/").replace("/", "-") or "accueil")
        entry = audit(name, path, site_url, chromium_path, node_tools, artifacts)
        problems += problems_of(entry)
    assert not problems, "\n".join(problems)
