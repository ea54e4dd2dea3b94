"""The whole course as one PDF: Chromium prints the print page of a built site.

    python scripts/make_pdf.py [SITE]      (make pdf: SITE is site/)

Writes SITE/fidle-cours.pdf from SITE/imprimer/ (mkdocs-print-site-plugin), then
links it from SITE/index.html, in place of the `<!-- lien-pdf ... -->` line of
docs/index.md: the home page offers the PDF only when this build has one (the
next `mkdocs build` cleans both away). Chromium runs offline: any request to
another host is refused, and the PDF holds what the site holds.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from fidle_examples import browser
from fidle_examples.core import frenchfmt

PDF_NAME = "fidle-cours.pdf"
PRINT_PAGE = "imprimer/index.html"
PLACEHOLDER = re.compile(r"<!-- lien-pdf\b.*?-->")

# Material draws each diagram in a closed shadow root: open it, to see when it is drawn.
_OPEN_SHADOWS = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
  return attach.call(this, Object.assign({}, init, { mode: "open" }));
};
"""

# Everything a reader would see after scrolling: folded blocks open, lazy images
# loaded, and each diagram brought into view (the Mermaid loader waits for a diagram
# to come near the viewport): one stop per diagram, not one per screen (229 screens
# for the quick profile's print page).
_PREPARE = """
async () => {
  document.querySelectorAll("details:not([open])").forEach((d) => { d.open = true; });
  const images = [...document.images];
  images.forEach((img) => { img.loading = "eager"; });
  for (const diagram of document.querySelectorAll(".mermaid")) {
    diagram.scrollIntoView();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  scrollTo(0, 0);
  await Promise.all(images.map((img) => img.decode().catch(() => null)));
  return images.filter((img) => !img.naturalWidth).map((img) => img.getAttribute("src"));
}
"""

_DIAGRAMS_DRAWN = """
() => [...document.querySelectorAll(".mermaid")].every(
  (el) => el.tagName === "DIV" && el.shadowRoot && el.shadowRoot.querySelector("svg"))
"""


def print_pdf(site: Path, output: Path, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    refused: list[str] = []

    def only_local(route):
        if route.request.url.startswith(origin) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with browser.static_server(site) as origin, sync_playwright() as pw:
        chrome = pw.chromium.launch(executable_path=chromium, headless=True,
                                    args=browser.CHROMIUM_FLAGS)
        page = chrome.new_page(viewport={"width": 1200, "height": 900})
        page.add_init_script(_OPEN_SHADOWS)
        page.route("**/*", only_local)
        page.goto(origin + PRINT_PAGE, wait_until="load", timeout=120_000)
        broken = page.evaluate(_PREPARE)
        if broken:
            raise SystemExit(f"Erreur\u00a0: images absentes de la page à imprimer\u00a0: "
                             f"{', '.join(broken[:5])}.")
        page.wait_for_function(_DIAGRAMS_DRAWN, timeout=120_000)
        # Sheet size, margins and page numbers: @page in print.css.
        page.pdf(path=str(output), prefer_css_page_size=True, print_background=True,
                 outline=True, tagged=True)
        chrome.close()
    if refused:
        raise SystemExit("Erreur\u00a0: la page à imprimer demande des fichiers à un autre hôte "
                         f"(refusés)\u00a0: {', '.join(refused[:5])}.")


def link_from_home(site: Path, pdf: Path) -> bool:
    """Put the PDF link in place of the placeholder of the home page; False if absent."""
    home = site / "index.html"
    html = home.read_text(encoding="utf-8")
    size = frenchfmt.number(pdf.stat().st_size / 2**20, 1)
    link = (f'<p class="fidle-pdf-link"><strong>Il s\'imprime.</strong> Tout le cours en un '
            f'seul document\u00a0: <a href="{pdf.name}" download>le cours complet en PDF</a> '
            f'({size}\u00a0Mo), produit avec ce site et ses résultats.</p>')
    html, count = PLACEHOLDER.subn(link, html, count=1)
    if count:
        home.write_text(html, encoding="utf-8")
    return bool(count)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Le cours complet en PDF, depuis le site construit.")
    parser.add_argument("site", nargs="?", type=Path, default=Path("site"),
                        help="dossier du site construit (défaut\u00a0: site)")
    args = parser.parse_args(argv)
    site = args.site
    if not (site / PRINT_PAGE).is_file():
        print(f"Erreur\u00a0: {site / PRINT_PAGE} est introuvable. Construisez d'abord le site "
              "(make build) avec le greffon print-site de mkdocs.yml.", file=sys.stderr)
        return 1
    chromium = browser.find_chromium()
    if chromium is None:
        print("Erreur\u00a0: Chromium est introuvable, le PDF n'a pas été produit. Installez-le "
              "(apt-get install -y chromium) ou indiquez son chemin dans FIDLE_CHROMIUM. "
              f"Sans lui, ouvrez {site / PRINT_PAGE} dans un navigateur et imprimez-la "
              "(Ctrl+P, « Enregistrer au format PDF »).", file=sys.stderr)
        return 1
    try:
        import playwright  # noqa: F401
    except ImportError:
        print("Erreur\u00a0: le paquet Python playwright manque (extra dev)\u00a0: "
              "make .venv/.installed (ou bash scripts/install.sh).", file=sys.stderr)
        return 1
    output = site / PDF_NAME
    partial = output.with_suffix(".pdf.part")
    start = time.perf_counter()
    print(f"Impression de {site / PRINT_PAGE} avec {chromium}...")
    print_pdf(site, partial, chromium)
    partial.replace(output)  # never a half-written PDF under the final name
    linked = link_from_home(site, output)
    size = frenchfmt.number(output.stat().st_size / 2**20, 1)
    print(f"PDF écrit\u00a0: {output} ({size}\u00a0Mo, en {time.perf_counter() - start:.0f}\u00a0s)"
          + ("\u00a0; lien ajouté à la page d'accueil." if linked else
             "\u00a0; pas de lien\u00a0: la ligne « lien-pdf » manque à la page d'accueil."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
