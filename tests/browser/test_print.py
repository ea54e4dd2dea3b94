"""The course on paper: the print page (mkdocs-print-site-plugin) and `make pdf`.

What is checked, and how:
- the print page gathers the pages of the navigation, in its order, minus the
  excluded ones (mkdocs.yml), with their formulas typeset and their figures;
- Chromium loads it with no request to another host, no error, every image,
  diagram and formula rendered (the checks of every page, see checks.py);
- scripts/make_pdf.py writes a valid PDF: at least one sheet per gathered page,
  each page title in the text in the order of the navigation, no raw TeX left;
  rendered to images (one pdftoppm call), no sheet is blank, and the sheet that holds the
  first figure of the training has coloured pixels where a text-only sheet (the
  table of contents) has none. That shows a figure was drawn there, not which one.
"""

from __future__ import annotations

import fnmatch
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mkdocs.config import load_config
from mkdocs.structure.files import get_files
from mkdocs.structure.nav import get_navigation

from checks import CHECKS
from pageaudit import OfflineContext, audit_page
from sitetools import ROOT

pytestmark = pytest.mark.browser
PRINT_PAGE = "imprimer/"
IN_CI = os.environ.get("CI", "").strip().lower() == "true"


def _gathered_pages() -> list:
    """The nav pages print-site gathers: all of them but its `exclude` patterns."""
    config = load_config(str(ROOT / "mkdocs.yml"))
    files = get_files(config)
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter:
        files = jupyter.on_files(files, config)
    excluded = config.plugins["print-site"].config["exclude"]
    return [page for page in get_navigation(files, config).pages
            if not any(fnmatch.fnmatch(page.file.src_uri, pattern) for pattern in excluded)]


def _key(url: str) -> str:
    """print-site's id of a page's section: "cours/svm/" -> "cours-svm"."""
    return url.strip("/").replace("/", "-") or "index"


def _text(fragment: str) -> str:
    """The text of an HTML fragment, without the « ¶ » of permanent links."""
    fragment = re.sub(r'<a class="headerlink".*?</a>', "", fragment, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@pytest.fixture(scope="module")
def print_html(built_site) -> str:
    return (built_site / PRINT_PAGE / "index.html").read_text(encoding="utf-8")


def test_the_print_page_gathers_the_nav_in_order(print_html):
    expected = [_key(page.url) for page in _gathered_pages()]
    found = re.findall(r'<section class="print-page" id="([^"]+)"', print_html)
    assert found == expected
    for excluded in ("contribuer", "performances", "carnets-mnist"):
        assert excluded not in found


def test_the_print_page_holds_typeset_formulas_and_the_figures(print_html):
    assert print_html.count('class="katex"') > 50
    assert not re.search(r'<(?:span|div) class="arithmatex">(?!<span class="katex)', print_html)
    figures = re.findall(r'<img src="\.\./generated/[^"]+"', print_html)
    assert len(figures) >= 10, figures
    assert 'class="mermaid"' in print_html


def test_the_print_page_loads_offline_and_renders_everything(browser, site_url):
    with OfflineContext(browser) as ctx:
        report = audit_page(ctx, site_url, PRINT_PAGE, render_timeout=90)
    problems = {name: check(report) for name, check in CHECKS.items()
                if name != "accessibilité (axe-core)"}  # test_pages.py runs axe on it
    assert not any(problems.values()), problems
    assert report.generated_figures and report.diagrams and report.math


# --- make pdf ----------------------------------------------------------------

def _require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} est introuvable : installez-le avec « apt-get install -y {package} »."
        if IN_CI:
            pytest.fail(message + " (CI=true : un outil manquant est une erreur)", pytrace=False)
        pytest.skip(message)
    return path


def _make_pdf(site: Path, chromium: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "make_pdf.py"), str(site)],
                          capture_output=True, text=True, timeout=900,
                          env={**os.environ, "FIDLE_CHROMIUM": chromium})


@pytest.fixture(scope="module")
def pdf_site(built_site, chromium_path, tmp_path_factory) -> Path:
    """A copy of the built site (make_pdf.py adds the PDF and edits the home page)."""
    site = tmp_path_factory.mktemp("pdf") / "site"
    shutil.copytree(built_site, site)
    done = _make_pdf(site, chromium_path)
    assert done.returncode == 0, done.stdout + done.stderr
    return site


def _pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


def _page_text(pdf: Path, number: int | None = None) -> str:
    pages = ["-f", str(number), "-l", str(number)] if number else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def _page_texts(pdf: Path) -> list[str]:
    """The text of each sheet, from one pdftotext call (sheets end with a form feed)."""
    return _page_text(pdf).split("\f")[:_pdf_pages(pdf)]


def _render_all(pdf: Path, out: Path) -> list:
    """Every sheet as an RGB array (30 dpi), from one pdftoppm call."""
    import numpy as np
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(out / "sheet")], check=True)
    # pdftoppm names them sheet-1.png... or sheet-001.png, padded to the number of sheets.
    files = sorted(out.glob("sheet-*.png"), key=lambda f: int(f.stem.rsplit("-", 1)[1]))
    return [np.asarray(Image.open(f).convert("RGB")).astype(int) for f in files]


def _is_blank(sheet) -> bool:
    """Nothing printed between the margins (the footer alone does not count)."""
    height = sheet.shape[0]
    body = sheet[int(height * 0.05):int(height * 0.92)]
    return bool((body.min(axis=2) < 200).mean() < 1e-4)


def _coloured(sheet) -> float:
    """Fraction of clearly coloured pixels (text is black or grey)."""
    return float(((sheet.max(axis=2) - sheet.min(axis=2)) > 60).mean())


def test_make_pdf_writes_the_whole_course(pdf_site):
    _require("pdfinfo", "poppler-utils")
    pdf = pdf_site / "fidle-cours.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    gathered = _gathered_pages()
    assert _pdf_pages(pdf) >= len(gathered) + 2  # cover, contents, then one sheet or more each
    text = " ".join(_page_text(pdf).split())
    position = 0
    for page in gathered:
        title = _text(re.search(r"<h1[^>]*>(.*?)</h1>",
                                (pdf_site / page.file.dest_uri).read_text(encoding="utf-8"),
                                re.S).group(1))
        found = text.find(title, position)
        assert found >= 0, f"titre « {title} » ({page.file.src_uri}) absent ou hors d'ordre"
        position = found
    assert "\\frac" not in text and "\\(" not in text  # formulas typeset, not raw TeX


def test_the_home_page_links_the_pdf_only_once_made(built_site, pdf_site):
    assert "fidle-cours.pdf" not in (built_site / "index.html").read_text(encoding="utf-8")
    home = (pdf_site / "index.html").read_text(encoding="utf-8")
    assert '<a href="fidle-cours.pdf" download>' in home and "lien-pdf" not in home


def test_rendered_sheets_are_not_blank_and_show_a_figure(pdf_site, print_html, tmp_path):
    _require("pdftoppm", "poppler-utils")
    pdf = pdf_site / "fidle-cours.pdf"
    sheets = _render_all(pdf, tmp_path)
    assert len(sheets) == _pdf_pages(pdf)
    blank = [n for n, sheet in enumerate(sheets, 1) if _is_blank(sheet)]
    assert not blank, f"feuilles blanches : {blank}"
    caption = _text(re.search(r'<figure class="fidle-figure">.*?<figcaption>(.*?)</figcaption>',
                              print_html, re.S).group(1))[:40]
    texts = _page_texts(pdf)
    figure_sheet = next((n for n, text in enumerate(texts, 1)
                         if caption in " ".join(text.split())), None)
    assert figure_sheet, f"légende « {caption} » introuvable dans le PDF"
    contents = _coloured(sheets[1])  # sheet 2, the table of contents: text only
    figure = _coloured(sheets[figure_sheet - 1])
    assert contents < 0.0005 and figure > 0.005, (contents, figure, figure_sheet)


def test_make_pdf_without_chromium_says_so_in_french(tmp_path):
    site = tmp_path / "site"
    (site / "imprimer").mkdir(parents=True)
    (site / "imprimer" / "index.html").write_text("<h1>x</h1>", encoding="utf-8")
    done = _make_pdf(site, str(tmp_path / "pas-de-chromium"))
    assert done.returncode == 1
    assert "Chromium est introuvable, le PDF n'a pas été produit" in done.stderr
    assert "apt-get install -y chromium" in done.stderr
    assert not (site / "fidle-cours.pdf").exists()
