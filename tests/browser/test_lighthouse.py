"""Lighthouse (desktop preset): the home page, one example page, one chapter,
and every page with a Mermaid diagram.

Reports (JSON and HTML, one pair per run) and scores are saved in
test-artifacts/lighthouse/. The performance score depends on how busy the CPU
is: a page gets up to RUNS tries and its best run counts (Lighthouse's own
advice is to look at several runs). Accessibility does not vary between runs.

Pages with a diagram were the slow ones: Mermaid (3.5 MB) used to load as a
blocking script, and drawing a diagram in the browser costs two long
main-thread tasks. The diagrams are now drawn at build time
(overrides/hooks/mermaid_prerender.py), or else lazily in the browser
(assets/javascripts/mermaid-loader.js); these tests keep it that way.
"""

from __future__ import annotations

import json

import pytest

from nodetools import run_lighthouse
from pageaudit import CHROMIUM_ARGS

pytestmark = pytest.mark.browser

RUNS = 3
ACCESSIBILITY_MIN = 1.0
PERFORMANCE_MIN = 0.98  # issue 14: every page at least 98 (best of RUNS)
# Named pages, audited first; fallbacks keep the test meaningful if one moves.
NAMED = {"accueil": "", "exemple": "exemples/mnist/", "chapitre": "cours/retropropagation/"}


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


def best_of_runs(name: str, path: str, site_url, chromium_path, node_tools, artifacts) -> dict:
    """Up to RUNS Lighthouse runs of one page, stopping at the first that passes."""
    modules = node_tools.require()
    folder = artifacts / "lighthouse"
    for old in folder.glob(f"{name}-*.report.*"):  # reports of an earlier session
        old.unlink()
    runs = []
    for run in range(1, RUNS + 1):
        scores = run_lighthouse(node_tools.node, modules, site_url + path,
                                folder / f"{name}-{run}", chromium_path, CHROMIUM_ARGS)
        runs.append(scores)
        if scores["performance"] >= PERFORMANCE_MIN:
            break
    best = max(runs, key=lambda s: s["performance"])
    entry = {"page": "/" + path, "runs": runs, "best": best, "performance_min": PERFORMANCE_MIN}
    record(folder, name, entry)
    return entry


def problems_of(entry: dict) -> list[str]:
    problems = []
    if any(s["accessibility"] < ACCESSIBILITY_MIN for s in entry["runs"]):
        problems.append(f"{entry['page']} : accessibilité "
                        f"{[s['accessibility'] for s in entry['runs']]}")
    if entry["best"]["performance"] < PERFORMANCE_MIN:
        problems.append(f"{entry['page']} : performance "
                        f"{[s['performance'] for s in entry['runs']]} < {PERFORMANCE_MIN}")
    return problems


@pytest.mark.parametrize("name", list(NAMED))
def test_lighthouse_scores(name, site_url, pages, chromium_path, node_tools, artifacts):
    path = audited_page(name, pages)
    assert path in pages, f"/{path} n'existe pas dans le site construit"
    entry = best_of_runs(name, path, site_url, chromium_path, node_tools, artifacts)
    assert not problems_of(entry), entry["runs"]


def test_every_page_with_a_diagram_is_fast(built_site, site_url, pages, chromium_path,
                                           node_tools, artifacts):
    with_diagram = diagram_pages(built_site, pages)
    assert len(with_diagram) >= 2, "le site construit devrait avoir des pages à diagramme"
    named = {audited_page(name, pages) for name in NAMED}
    problems = []
    for path in with_diagram:
        if path in named:  # measured by test_lighthouse_scores
            continue
        name = "diagramme-" + (path.strip("/").replace("/", "-") or "accueil")
        entry = best_of_runs(name, path, site_url, chromium_path, node_tools, artifacts)
        problems += problems_of(entry)
    assert not problems, "\n".join(problems)
