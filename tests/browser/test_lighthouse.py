"""Lighthouse (desktop preset) on the home page and on one example page.

Reports (JSON and HTML, one pair per run) and scores are saved in
test-artifacts/lighthouse/. The performance score depends on how busy the CPU
is: a page gets up to RUNS tries and its best run counts (Lighthouse's own
advice is to look at several runs). Accessibility does not vary between runs.
"""

from __future__ import annotations

import json

import pytest

from nodetools import run_lighthouse
from pageaudit import CHROMIUM_ARGS

pytestmark = pytest.mark.browser

RUNS = 3
ACCESSIBILITY_MIN = 1.0
# Performance bounds. The example page (MNIST) draws a Mermaid diagram in the
# browser: evaluating mermaid.min.js (3.5 MB) and laying the diagram out are
# two long main-thread tasks of 100 to 350 ms each on a 2-core machine, which
# Lighthouse counts as Total Blocking Time; 0.98 is then reached on a quiet
# machine only. Documented lower bound for that page: 0.90.
PERFORMANCE_MIN = {"accueil": 0.98, "exemple": 0.90}
EXAMPLE_PAGE = "exemples/mnist/"


def audited_page(name: str, pages: list[str]) -> str:
    if name == "accueil":
        return ""
    examples = [p for p in pages if p.startswith("exemples/") and p != "exemples/"]
    return EXAMPLE_PAGE if EXAMPLE_PAGE in pages else (examples or ["exemples/"])[0]


def record(folder, name: str, entry: dict) -> None:
    summary_file = folder / "scores.json"
    summary = json.loads(summary_file.read_text(encoding="utf-8")) if summary_file.is_file() else {}
    summary[name] = entry
    summary_file.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")


@pytest.mark.parametrize("name", ["accueil", "exemple"])
def test_lighthouse_scores(name, site_url, pages, chromium_path, node_tools, artifacts):
    modules = node_tools.require()
    path = audited_page(name, pages)
    assert path in pages, f"/{path} n'existe pas dans le site construit"
    folder = artifacts / "lighthouse"
    for old in folder.glob(f"{name}-*.report.*"):  # reports of an earlier session
        old.unlink()
    runs = []
    for run in range(1, RUNS + 1):
        scores = run_lighthouse(node_tools.node, modules, site_url + path,
                                folder / f"{name}-{run}", chromium_path, CHROMIUM_ARGS)
        runs.append(scores)
        if scores["performance"] >= PERFORMANCE_MIN[name]:
            break
    best = max(runs, key=lambda s: s["performance"])
    record(folder, name, {"page": "/" + path, "runs": runs, "best": best,
                          "performance_min": PERFORMANCE_MIN[name]})
    assert all(s["accessibility"] >= ACCESSIBILITY_MIN for s in runs), runs
    assert best["performance"] >= PERFORMANCE_MIN[name], runs
