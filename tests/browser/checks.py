"""The checks made on every page, as functions of a PageReport.

Each check returns the list of problems of one page (empty: the page passes).
The site tests assert that no page has any; test_breakage.py asserts that a
deliberately broken page is caught by the check meant to catch it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from pageaudit import PageReport


def figure_problems(report: PageReport) -> list[str]:
    return [f"{fig['src']} : affichée en {fig['width']:.0f}×{fig['height']:.0f} px, "
            f"largeur naturelle {fig['naturalWidth']} px"
            for fig in report.generated_figures
            if fig["naturalWidth"] <= 0 or fig["width"] <= 0 or fig["height"] <= 0]


# Known violations, tolerated by rule AND element only, each with the fix it waits for;
# any other violation, of any impact, fails. Remove an entry once fixed.
KNOWN_AXE = {
    # Material names the nav of each code block and of each section alike (moderate).
    "landmark-unique": re.compile(r"^(#__code_\w+ > \.md-code__nav|nav\[aria-labelledby=\"__nav_\d+_label\"\])$"),
    # Markdown tables of the course pages with an empty header cell (minor).
    "empty-table-header": re.compile(r"(^| > )th:nth-child\(\d+\)$"),
}


def _known(rule: str, target: str) -> bool:
    pattern = KNOWN_AXE.get(rule)
    return bool(pattern and pattern.search(target))


def axe_problems(report: PageReport) -> list[str]:
    """Every axe-core violation, whatever its impact (minor to critical), but the known
    ones above: the suite's accessibility check (Lighthouse's accessibility audits are
    axe-core rules; bench.lighthouse measures speed)."""
    problems = []
    for v in report.axe_violations:
        nodes = [n for n in v["nodes"]
                 if not _known(v["id"], " ".join(map(str, n["target"])))]
        if not nodes:
            continue
        targets = ", ".join(" ".join(map(str, node["target"])) for node in nodes)
        problems.append(f"{v['id']} ({v['impact']}, {v['count']} élément(s)) : "
                        f"{v['help']} ; éléments : {targets}")
    return problems


CHECKS: dict[str, Callable[[PageReport], list[str]]] = {
    "requêtes vers un autre hôte": lambda r: r.external_requests,
    "erreurs dans la console": lambda r: r.console_errors,
    "requêtes en échec": lambda r: r.failed_requests,
    "images cassées": lambda r: r.broken_images,
    "diagrammes Mermaid": lambda r: r.mermaid_problems,
    "formules KaTeX": lambda r: r.math_problems,
    "figures générées": figure_problems,
    "ancres de la page": lambda r: r.broken_anchors,
    "ancres des pages visées": lambda r: r.broken_anchors_elsewhere,
    "accessibilité (axe-core)": axe_problems,
}


def failing_pages(reports: Iterable[PageReport], check: str) -> dict[str, list[str]]:
    """{page path: problems} for the pages that fail the named check."""
    found = {r.path: CHECKS[check](r) for r in reports}
    return {path: problems for path, problems in found.items() if problems}


def assert_no_problem(reports: Iterable[PageReport], check: str) -> None:
    failing = failing_pages(reports, check)
    lines = [f"  /{path} : {problem}" for path, problems in failing.items()
             for problem in problems]
    assert not failing, f"{check} : {len(lines)} problème(s)\n" + "\n".join(lines)
