"""Fixtures of the browser tests: the built site (tests/conftest.py `built_site`,
the one build of the session) served on loopback, Chromium, the npm tools, and one
audit of every page shared by the tests.

Without Chromium (or Node.js/npm for axe-core) the tests are
skipped with the command that installs it, except under CI=true where a
missing tool is a failure: CI must never report a skipped browser suite as green.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import asdict
from pathlib import Path

import pytest

import nodetools
from linkscan import LinkCheck
from fidle_examples.browser import find_chromium, static_server
from pageaudit import audit_site, launched_browser
from sitetools import ROOT, site_pages

ARTIFACTS = ROOT / "test-artifacts"
# The page audit first: LinkChecker crawls the site meanwhile, on the other core.
# Modules not listed keep their place, after these.
MODULE_ORDER = ["test_pages.py", "test_color_scheme.py",
                "test_search.py", "test_links.py", "test_breakage.py"]
IN_CI = os.environ.get("CI", "").strip().lower() == "true"


def pytest_collection_modifyitems(session, config, items):
    """Browser tests after all the others (the results cache of the session is
    then warm: building the site here trains nothing again), in MODULE_ORDER."""
    here = Path(__file__).parent

    def rank(item) -> int:
        path = Path(str(item.path))
        if path.parent != here:
            return -1
        return MODULE_ORDER.index(path.name) if path.name in MODULE_ORDER else len(MODULE_ORDER)

    items[:] = sorted(items, key=rank)  # stable: the order within a module is kept


def missing_tool(message: str) -> None:
    """Skip the test, or fail it under CI=true."""
    if IN_CI:
        pytest.fail(f"{message} (CI=true : un outil manquant est une erreur, pas un test ignoré)",
                    pytrace=False)
    pytest.skip(message)


class NodeTools:
    """The pinned npm tools (axe-core), installed on first use; `require()` skips or fails."""

    def __init__(self) -> None:
        self.node, self.npm = shutil.which("node"), shutil.which("npm")
        self._modules: Path | None = None
        self._error: str | None = None

    @property
    def available(self) -> bool:
        return bool(self.node and self.npm)

    def install(self) -> Path | None:
        """node_modules with the pinned tools, or None (absent, or install failed)."""
        if self.available and self._modules is None and self._error is None:
            try:
                self._modules = nodetools.ensure_installed(self.npm)
            except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                self._error = str(exc)
        return self._modules

    def require(self) -> Path:
        if not self.available:
            missing_tool("Node.js et npm sont introuvables : installez-les avec "
                         "« apt-get install -y nodejs npm » (axe-core en a besoin).")
        if self.install() is None:
            pytest.fail(self._error, pytrace=False)
        return self._modules

    def axe_script(self) -> Path | None:
        modules = self.install()
        return modules / "axe-core" / "axe.min.js" if modules else None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        missing_tool("Chromium est introuvable : installez-le avec « apt-get install -y chromium » "
                     "(ou indiquez son chemin dans FIDLE_CHROMIUM).")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    with launched_browser(chromium_path) as instance:
        yield instance


@pytest.fixture(scope="session")
def node_tools() -> NodeTools:
    return NodeTools()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def pages(built_site) -> list[str]:
    return site_pages(built_site)


@pytest.fixture(scope="session")
def site_url(built_site):
    with static_server(built_site, gzip=True) as url:
        yield url


@pytest.fixture(scope="session")
def link_check(site_url, pages, tmp_path_factory):
    """LinkChecker over the whole site, started now, in the background
    (every page is a starting point: a page no other page links to is checked too)."""
    check = LinkCheck([site_url + path for path in pages], tmp_path_factory.mktemp("links"))
    yield check
    check.stop()


@pytest.fixture(scope="session")
def page_reports(browser, chromium_path, site_url, pages, node_tools, artifacts,
                 link_check) -> list:
    """One visit of every page of the site, two pages at a time (LinkChecker meanwhile
    crawls it); the reports are also saved as an artefact."""
    reports = audit_site(browser, site_url, pages, node_tools.axe_script(),
                         second_browser=lambda: launched_browser(chromium_path))
    (artifacts / "browser-audit.json").write_text(
        json.dumps([asdict(r) for r in reports], ensure_ascii=False, indent=1), encoding="utf-8")
    return reports
