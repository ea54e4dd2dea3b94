"""Build a MkDocs site into a folder, list its pages (fidle_examples.browser serves it)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MKDOCS = [sys.executable, "-m", "mkdocs"]


def build_site(site_dir: Path, *, config: Path | None = None,
               env: dict[str, str] | None = None, timeout: float = 900) -> None:
    """`mkdocs build` into site_dir; raises RuntimeError with mkdocs' output on failure."""
    cmd = [*MKDOCS, "build", "--clean", "-d", str(site_dir)]
    if config is not None:
        cmd += ["-f", str(config)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        raise RuntimeError(
            f"La construction du site a échoué (code {proc.returncode}) :\n"
            + (proc.stdout + proc.stderr)[-6000:])


def site_pages(site_dir: Path) -> list[str]:
    """URL paths of the pages of a built site ("" for the home page, "cours/svm/"...).

    Every HTML file except 404.html, anything under assets/ (vendored files) and the
    old addresses that only redirect to a page (mkdocs-redirects, tested apart in
    test_redirects.py), so that pages added later are checked without editing the tests.
    """
    pages = []
    for html in sorted(site_dir.rglob("*.html")):
        rel = html.relative_to(site_dir).as_posix()
        if rel == "404.html" or rel.startswith("assets/"):
            continue
        if 'http-equiv="refresh"' in html.read_text(encoding="utf-8")[:2000]:
            continue
        pages.append(rel.removesuffix("index.html"))
    return pages


def write_small_site(pages: Path, dest: Path) -> Path:
    """A small site with the project's real configuration, theme, hooks and
    vendored assets but the pages of `pages`; returns its mkdocs.yml.

    The config inherits the project's mkdocs.yml and keeps only the search
    plugin, so that building it trains nothing. The project's top-level folders
    (overrides/, src/...) are linked beside it: the paths that mkdocs.yml gives
    relative to itself resolve the same way.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for entry in ROOT.iterdir():
        if entry.is_dir() and not entry.name.startswith(".") and entry.name not in ("docs", "site"):
            (dest / entry.name).symlink_to(entry, target_is_directory=True)
    docs = dest / "docs"
    shutil.copytree(ROOT / "docs" / "assets", docs / "assets")
    shutil.copytree(pages, docs, dirs_exist_ok=True)
    nav = sorted(p.relative_to(pages).as_posix() for p in pages.rglob("*.md"))
    config = {
        "INHERIT": str(ROOT / "mkdocs.yml"),
        "site_name": "Site de contrôle des tests navigateur",
        "plugins": [{"search": {"lang": "fr"}}],
        "nav": nav,
    }
    path = dest / "mkdocs.yml"
    path.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
