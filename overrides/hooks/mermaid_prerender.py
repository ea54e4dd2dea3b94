"""MkDocs hook: Mermaid diagrams drawn at build time, when Chromium is at hand.

Drawing a diagram in the reader's browser costs the 3.5 MB library and two long
main-thread tasks (evaluating it, laying the diagram out): a diagram at the top
of a page then delays the page's first interaction by several hundred
milliseconds. After the build, this hook opens one built page in headless
Chromium (Python playwright), lets Material's own bundle and the vendored
Mermaid run there as they would for a reader (same settings, same theme CSS,
same fonts), draws every diagram of the site with them, and writes each SVG
into its page in place of the `<pre class="mermaid">` source, inside a
declarative shadow root: `<div class="mermaid"><template shadowrootmode="open">`.
That is the structure Material builds in the browser (a `div.mermaid` whose
shadow root holds the SVG), and Material's theme CSS in the SVG uses the
site's colour variables, so the diagram follows the light and dark schemes.

The SVGs are cached in .cache/mermaid/ (FIDLE_MERMAID_CACHE), keyed by the
diagram, its position in the page and the Mermaid and Material versions: a
build whose diagrams have not changed starts no browser. Without playwright or
Chromium, or with FIDLE_MERMAID_PRERENDER=0, a diagram that is not in the cache
stays as it is and is drawn in the browser, lazily, by
assets/javascripts/mermaid-loader.js: the site works either way. A diagram
Mermaid cannot parse is a warning (an error under `mkdocs build --strict`).
"""

from __future__ import annotations

import hashlib
import html
import importlib.metadata
import itertools
import logging
import os
import re
import time
from pathlib import Path

from fidle_examples import browser
from fidle_examples.core import atomic

log = logging.getLogger("mkdocs.hooks.mermaid_prerender")

ROOT = Path(__file__).resolve().parents[2]
MERMAID_JS = ROOT / "docs" / "assets" / "vendor" / "mermaid" / "mermaid.min.js"
CACHE_DIR = Path(os.environ.get("FIDLE_MERMAID_CACHE", ROOT / ".cache" / "mermaid"))
TIMEOUT_MS = 60_000

# What pymdownx.superfences' fence_code_format writes for a ```mermaid block.
_BLOCK = re.compile(r'<pre class="mermaid"><code>(?P<source>.*?)</code></pre>', re.S)

# In the headless page: the lazy loader (assets/javascripts/mermaid-loader.js)
# fetches the library and sets it up with the settings Material gave it (theme
# CSS included); every font the page declares is loaded (labels are measured
# with them); then the diagrams are drawn one after the other.
_RENDER_JS = """
async (items) => {
  const loader = window.fidleMermaid;
  if (!loader) throw new Error("la page ne charge pas mermaid-loader.js");
  if (!loader.settings()) throw new Error("Material n'a pas configuré Mermaid");
  const mermaid = await loader.load();
  await Promise.all([...document.fonts].map((font) => font.load().catch(() => null)));
  await document.fonts.ready;
  const out = [];
  for (const [id, source] of items) {
    try {
      out.push({ svg: (await mermaid.render(id, source)).svg });
    } catch (error) {
      out.push({ error: String((error && error.message) || error) });
    }
  }
  return out;
}
"""


class Unavailable(Exception):
    """No browser to draw with: the diagrams are left to the reader's browser."""


def _fingerprint() -> str:
    """What, besides a diagram's text, decides its SVG."""
    digest = hashlib.sha256(MERMAID_JS.read_bytes()).hexdigest()[:16]
    try:
        material = importlib.metadata.version("mkdocs-material")
    except importlib.metadata.PackageNotFoundError:
        material = "?"
    return f"mermaid {digest}; material {material}; hook 2"


def _key(fingerprint: str, diagram_id: str, source: str) -> str:
    return hashlib.sha256(f"{fingerprint}\0{diagram_id}\0{source}".encode()).hexdigest()


def draw(page_file: Path, items: list[tuple[str, str]]) -> list[dict]:
    """[{"svg": ...} or {"error": ...}] for items [(id, source)], drawn in page_file
    (a built page with at least one diagram), opened in headless Chromium, offline."""
    if os.environ.get("FIDLE_MERMAID_PRERENDER", "1").strip() == "0":
        raise Unavailable("FIDLE_MERMAID_PRERENDER=0")
    chromium = browser.find_chromium()
    if chromium is None:
        raise Unavailable("Chromium est introuvable")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        raise Unavailable("le module Python playwright est absent") from err
    try:
        with sync_playwright() as pw:
            chrome = pw.chromium.launch(executable_path=chromium, headless=True,
                                        args=browser.CHROMIUM_FLAGS)
            try:
                page = chrome.new_page()
                # The site's own files only: nothing may come from another host.
                page.route("**/*", lambda route: route.continue_()
                           if route.request.url.startswith("file:") else route.abort())
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(page_file.as_uri(), wait_until="load")
                return page.evaluate(_RENDER_JS, [list(item) for item in items])
            finally:
                chrome.close()
    except PlaywrightError as err:
        raise Unavailable(f"Chromium n'a pas pu dessiner les diagrammes : "
                          f"{str(err).splitlines()[0]}") from err


_PATH_DATA = re.compile(r' d="[^"]*"')
_LONG_DECIMALS = re.compile(r"(\.\d\d)\d+")


def compact(svg: str) -> str:
    """Path coordinates to 1/100 px: Mermaid writes them with 15 decimals, and
    the hand-drawn look of some shapes makes one diagram weigh 120 kB, then 65 kB."""
    return _PATH_DATA.sub(lambda m: _LONG_DECIMALS.sub(r"\1", m[0]), svg)


def shadow_host(svg: str) -> str:
    """The element Material would build around the SVG, written in the HTML."""
    return f'<div class="mermaid"><template shadowrootmode="open">{svg}</template></div>'


def on_post_build(config) -> None:
    site = Path(config["site_dir"])
    pages = {}
    for path in sorted(site.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        if '<pre class="mermaid">' in text:
            pages[path] = text
    if not pages:
        return
    fingerprint = _fingerprint()
    # Material numbers a page's diagrams from 0 in document order (__mermaid_N):
    # the same ids here give the same SVG as in the browser.
    wanted: dict[str, tuple[str, str, Path]] = {}
    for path, text in pages.items():
        for number, match in enumerate(_BLOCK.finditer(text)):
            diagram_id = f"__mermaid_{number}"
            source = html.unescape(match["source"])
            wanted.setdefault(_key(fingerprint, diagram_id, source), (diagram_id, source, path))
    cached = {key: CACHE_DIR / f"{key}.svg" for key in wanted}
    missing = [key for key, file in cached.items() if not file.is_file()]
    if missing:
        started = time.monotonic()
        try:
            results = draw(next(iter(pages)), [wanted[key][:2] for key in missing])
        except Unavailable as why:
            log.info("Diagrammes Mermaid non dessinés à la construction (%s) : le navigateur "
                     "du lecteur les dessinera.", why)
            results = []
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        drawn = 0
        for key, result in zip(missing, results):
            if "svg" in result:
                # Atomic: another build may read the cache meanwhile.
                atomic.write_text(cached[key], compact(result["svg"]))
                drawn += 1
            else:
                path = wanted[key][2].relative_to(site).as_posix()
                log.warning("Diagramme Mermaid incorrect dans %s : %s", path, result["error"])
        if drawn:
            log.info("%d diagramme(s) Mermaid dessiné(s) en %.1f s.", drawn,
                     time.monotonic() - started)

    for path, text in pages.items():
        counter = itertools.count()

        def replace(match: re.Match) -> str:
            number = next(counter)
            key = _key(fingerprint, f"__mermaid_{number}", html.unescape(match["source"]))
            file = cached[key]
            return shadow_host(file.read_text(encoding="utf-8")) if file.is_file() else match[0]

        path.write_text(_BLOCK.sub(replace, text), encoding="utf-8")
