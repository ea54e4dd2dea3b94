"""The light/dark switch of every example page, and the dark scheme's
accessibility; screenshots of the first screen in both schemes are saved in
test-artifacts/screenshots/ for a human look."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from checks import axe_problems
from pageaudit import AXE_JS, OfflineContext, PageReport

pytestmark = pytest.mark.browser

SCHEME_NAMES = {"default": "clair", "slate": "sombre"}
_STATE_JS = """() => ({
  scheme: document.body.getAttribute("data-md-color-scheme"),
  background: getComputedStyle(document.body).backgroundColor,
})"""


@dataclass
class Switch:
    path: str
    before: dict
    after: dict
    external_requests: list[str]
    dark_axe: PageReport = field(default=None)


def screenshot(page, artifacts, path: str, scheme: str) -> None:
    name = f"{path.strip('/').replace('/', '-') or 'accueil'}-{SCHEME_NAMES.get(scheme, scheme)}.png"
    folder = artifacts / "screenshots"
    folder.mkdir(exist_ok=True)
    # The first screen shows the scheme; a full-page capture of a long page costs
    # about a second more, for nothing the tests read.
    page.screenshot(path=str(folder / name))


def switch_scheme(browser, url: str, path: str, artifacts, axe_script) -> Switch:
    """Load the page, screenshot, click the switch, screenshot again, run axe-core."""
    with OfflineContext(browser) as ctx:  # fresh storage: Material remembers the choice
        page = ctx.new_page()
        page.goto(url + path, wait_until="networkidle")
        before = page.evaluate(_STATE_JS)
        screenshot(page, artifacts, path, before["scheme"])
        page.locator("form[data-md-component=palette] label:visible").click()
        page.wait_for_function(
            "s => document.body.getAttribute('data-md-color-scheme') !== s", arg=before["scheme"])
        after = page.evaluate(_STATE_JS)
        screenshot(page, artifacts, path, after["scheme"])
        switch = Switch(path, before, after, list(ctx.external_requests))
        if axe_script is not None:
            page.add_script_tag(path=str(axe_script))
            switch.dark_axe = PageReport(path=path, axe_violations=page.evaluate(AXE_JS))
        return switch


@pytest.fixture(scope="module")
def switches(browser, site_url, pages, artifacts, node_tools) -> list[Switch]:
    examples = [p for p in pages if p.startswith("exemples/")]
    assert examples, "aucune page sous exemples/ dans le site construit"
    axe = node_tools.axe_script()
    return [switch_scheme(browser, site_url, path, artifacts, axe) for path in examples]


def test_the_switch_changes_scheme_and_background_on_every_example_page(switches):
    problems = []
    for s in switches:
        if (s.before["scheme"], s.after["scheme"]) != ("default", "slate"):
            problems.append(f"/{s.path} : schéma {s.before['scheme']} -> {s.after['scheme']}, "
                            "attendu default (clair, au premier affichage) -> slate (sombre)")
        if s.before["background"] == s.after["background"]:
            problems.append(f"/{s.path} : le fond reste {s.before['background']}")
        if s.external_requests:
            problems.append(f"/{s.path} : requêtes vers d'autres hôtes {s.external_requests}")
    assert not problems, "\n".join(problems)


def test_dark_scheme_has_no_accessibility_violation(switches, node_tools):
    node_tools.require()
    problems = [f"/{s.path} (sombre) : {p}" for s in switches for p in axe_problems(s.dark_axe)]
    assert not problems, "\n".join(problems)
