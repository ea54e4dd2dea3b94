"""Load one page in Chromium and record everything the browser tests check on it.

One visit per page collects all the facts (requests, console, images, Mermaid,
KaTeX, figures, axe-core); the tests then assert on these facts, so a page added
to the site is checked without any change here.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager
from urllib.parse import unquote, urlsplit

VIEWPORT = {"width": 1280, "height": 800}

# Material renders each Mermaid diagram inside a *closed* shadow root: opening
# them lets the tests (and axe-core) see the SVG. Uncaught errors are counted
# so that waiting for a diagram that will never come stops early.
INIT_SCRIPT = """
(() => {
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    return attach.call(this, Object.assign({}, init, { mode: "open" }));
  };
  window.__fidleErrors = 0;
  addEventListener("error", () => { window.__fidleErrors += 1; }, true);
  addEventListener("unhandledrejection", () => { window.__fidleErrors += 1; });
})();
"""

_RENDER_STATE_JS = """
() => {
  const diagrams = [...document.querySelectorAll("div.mermaid")].map((host) => {
    const svg = host.shadowRoot && host.shadowRoot.querySelector("svg");
    if (!svg) return "vide";
    if (svg.getAttribute("aria-roledescription") === "error") return "erreur";
    const box = svg.getBoundingClientRect();
    return box.width > 0 && box.height > 0 ? "ok" : "taille nulle";
  });
  const math = [...document.querySelectorAll(".arithmatex")].map((el) => {
    if (el.querySelector(".katex-error")) return "erreur : " + el.textContent.trim().slice(0, 80);
    if (!el.querySelector(".katex")) return "non rendue : " + el.textContent.trim().slice(0, 80);
    return "ok";
  });
  return { diagrams, math, errors: window.__fidleErrors };
}
"""

# Lazy images never load off-screen: make them eager, then wait for each one
# (decode() rejects for a broken image, which is what is measured next).
_IMAGES_JS = """
async () => {
  document.querySelectorAll("details:not([open])").forEach((d) => { d.open = true; });
  const images = [...document.images];
  images.forEach((img) => { if (img.loading === "lazy") img.loading = "eager"; });
  await Promise.all(images.map((img) => Promise.race([
    img.decode().catch(() => null),
    new Promise((resolve) => setTimeout(resolve, 5000)),
  ])));
  return images.map((img) => {
    const box = img.getBoundingClientRect();
    return {
      src: img.getAttribute("src") || "",
      url: img.currentSrc || img.src,
      naturalWidth: img.naturalWidth,
      width: box.width,
      height: box.height,
    };
  });
}
"""

# Links to an anchor of the same page ("#x") whose target does not exist. This
# covers the many line-number anchors of code blocks, which LinkChecker skips.
_SAME_PAGE_ANCHORS_JS = """
() => [...document.querySelectorAll('a[href^="#"]')]
  .map((a) => a.getAttribute("href").slice(1))
  .filter((id) => id && !document.getElementById(decodeURIComponent(id)))
  .filter((id, i, all) => all.indexOf(id) === i)
  .map((id) => "#" + id)
"""

# What links to an anchor written with a page's address need, as the reader's browser
# sees the page: its own ids and <a name>, and its links to page#anchor on this site
# (another page, or itself written "./#x"; a bare "#x" is _SAME_PAGE_ANCHORS_JS's).
_ANCHORS_JS = """
() => {
  const ids = [...document.querySelectorAll("[id]")].map((el) => el.id)
    .concat([...document.querySelectorAll("a[name]")].map((a) => a.name));
  const links = [...document.querySelectorAll('a[href*="#"]')]
    .filter((a) => a instanceof HTMLAnchorElement && !a.getAttribute("href").startsWith("#"))
    .map((a) => a.href)
    .filter((href) => href.startsWith(location.origin + "/"));
  return { ids: [...new Set(ids)], links: [...new Set(links)] };
}
"""

_ALL_FORMULAS_NOW_JS = """
() => { dispatchEvent(new Event("beforeprint")); dispatchEvent(new Event("afterprint")); }
"""

# Each lazy section's estimated height (contain-intrinsic-size) and real one, laid out.
LAZY_HEIGHTS_JS = """() => [...document.querySelectorAll('.fidle-lazy')].map((el) => {
  const estimated = parseInt(el.style.containIntrinsicSize.split(' ').pop(), 10);
  el.style.contentVisibility = 'visible';
  return [estimated, el.getBoundingClientRect().height];
})"""

AXE_JS = """
async () => {
  // Later sections are laid out only near the screen (content-visibility: auto): axe
  // measures colours on the layout, so every section is laid out first.
  document.querySelectorAll(".fidle-lazy").forEach((el) => { el.style.contentVisibility = "visible"; });
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.slice(0, 50).map((n) => ({ target: n.target, summary: n.failureSummary })),
    count: v.nodes.length,
  }));
}
"""


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def goes_to_network(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https", "ws", "wss", "ftp")


@dataclass
class PageReport:
    path: str
    external_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    mermaid_expected: int = 0
    diagrams: list[str] = field(default_factory=list)
    math_expected: int = 0
    math: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    broken_anchors: list[str] = field(default_factory=list)
    axe_violations: list[dict] = field(default_factory=list)
    lazy_heights: list[list[float]] = field(default_factory=list)  # [estimated, real]
    ids: list[str] = field(default_factory=list)
    links_to_anchors: list[str] = field(default_factory=list)  # page#anchor, absolute
    broken_anchors_elsewhere: list[str] = field(default_factory=list)  # audit_site fills it

    @property
    def broken_images(self) -> list[str]:
        return [i["src"] for i in self.images if i["naturalWidth"] <= 0]

    @property
    def generated_figures(self) -> list[dict]:
        return [i for i in self.images if "generated/" in i["src"]]

    @property
    def mermaid_problems(self) -> list[str]:
        problems = [f"diagramme {n + 1} : {state}"
                    for n, state in enumerate(self.diagrams) if state != "ok"]
        missing = self.mermaid_expected - len(self.diagrams)
        if missing > 0:
            problems.append(f"{missing} bloc(s) Mermaid jamais transformé(s) en SVG")
        return problems

    @property
    def math_problems(self) -> list[str]:
        problems = [state for state in self.math if state != "ok"]
        if self.math_expected > len(self.math):
            problems.append(f"{self.math_expected - len(self.math)} formule(s) disparue(s)")
        return problems


@contextlib.contextmanager
def launched_browser(chromium_path: str):
    """Headless Chromium, in a Playwright of this thread (one per thread)."""
    from playwright.sync_api import sync_playwright

    from fidle_examples.browser import CHROMIUM_FLAGS

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium_path, headless=True,
                                      args=CHROMIUM_FLAGS)
        try:
            yield instance
        finally:
            instance.close()


class OfflineContext:
    """A browser context that aborts, and records, every request to another host."""

    def __init__(self, browser, **options):
        # Reduced motion: Material then drops its transitions (tabs fading in,
        # colour changes), so that contrast and screenshots are measured on the
        # final colours, never half-way through an animation.
        options = {"viewport": VIEWPORT, "locale": "fr-FR", "color_scheme": "light",
                   "reduced_motion": "reduce", **options}
        self.context = browser.new_context(**options)
        self.context.add_init_script(INIT_SCRIPT)
        self.external_requests: list[str] = []
        self.context.route("**/*", self._route)

    def _route(self, route) -> None:
        url = route.request.url
        if goes_to_network(url) and not is_loopback(url):
            self.external_requests.append(url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def new_page(self):
        return self.context.new_page()

    def close(self) -> None:
        self.context.close()

    def __enter__(self) -> "OfflineContext":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _count_class(html: str, name: str) -> int:
    return len(re.findall(rf'class="(?:[^"]*\s)?{name}(?:\s[^"]*)?"', html))


# Nothing loading and no diagram nor formula drawn for this long: what is still not drawn
# never will be (a formula KaTeX never composed), instead of waiting for the whole render
# timeout. Long enough for Mermaid to draw a diagram in the browser after loading, on a
# loaded machine (each drawn diagram changes the state).
QUIET_S = 3.0


class _Network:
    """The page's requests in flight, and when the last one started or ended."""

    def __init__(self, page) -> None:
        self.pending = 0
        self.last = time.monotonic()
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _started(self, _request) -> None:
        self.pending += 1
        self.last = time.monotonic()

    def _ended(self, _request) -> None:
        self.pending = max(0, self.pending - 1)
        self.last = time.monotonic()

    def quiet_since(self, now: float) -> float:
        return 0.0 if self.pending else now - self.last


def _wait_for_rendering(page, report: PageReport, timeout: float, network: _Network) -> dict:
    """Poll until every diagram and formula is rendered, or it is hopeless: an error
    was seen 3 s ago, or nothing has loaded nor changed for QUIET_S."""
    deadline = time.monotonic() + timeout
    error_seen_at = None
    previous, changed_at = None, time.monotonic()
    while True:
        state = page.evaluate(_RENDER_STATE_JS)
        rendered = (sum(s != "vide" for s in state["diagrams"]) >= report.mermaid_expected
                    and all(not s.startswith("non rendue") for s in state["math"]))
        now = time.monotonic()
        if state != previous:
            previous, changed_at = state, now
        if state["errors"] and error_seen_at is None:
            error_seen_at = now
        stuck = now - changed_at > QUIET_S and network.quiet_since(now) > QUIET_S
        if rendered or stuck or now > deadline or (error_seen_at and now - error_seen_at > 3):
            return state
        page.wait_for_timeout(200)


def audit_page(ctx: OfflineContext, base_url: str, path: str, *,
               axe_script: Path | None = None, render_timeout: float = 20) -> PageReport:
    """Visit base_url + path and collect a PageReport."""
    report = PageReport(path=path)
    start = len(ctx.external_requests)
    page = ctx.new_page()
    network = _Network(page)

    def on_failed(request):
        if is_loopback(request.url):
            report.failed_requests.append(f"{request.url} ({request.failure})")

    def on_response(response):
        if response.status >= 400:
            report.failed_requests.append(f"{response.url} (HTTP {response.status})")

    def on_console(message):
        if message.type == "error":
            report.console_errors.append(message.text)

    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda error: report.console_errors.append(f"exception : {error}"))
    try:
        response = page.goto(base_url + path, wait_until="load")
        html = response.text() if response else ""
        report.mermaid_expected = _count_class(html, "mermaid")
        report.math_expected = _count_class(html, "arithmatex")
        # The formulas of later sections get KaTeX's drawing as they come near, or after
        # 2 s of idle time (lazy-math.js); printing asks for them all at once. Asking so
        # spares every page of the audit those 2 s: test_lazy_in_browser checks the
        # scrolling and idle paths.
        page.evaluate(_ALL_FORMULAS_NOW_JS)
        state = _wait_for_rendering(page, report, render_timeout, network)
        report.diagrams, report.math = state["diagrams"], state["math"]
        try:
            page.wait_for_load_state("networkidle", timeout=10_000)
        except Exception:  # noqa: BLE001 - a page that never goes idle is still reported
            report.failed_requests.append("le réseau n'est jamais devenu inactif (10 s)")
        # As a reader finds them: formulas drawn, folded blocks still folded.
        report.lazy_heights = page.evaluate(LAZY_HEIGHTS_JS)
        report.images = page.evaluate(_IMAGES_JS)
        report.broken_anchors = page.evaluate(_SAME_PAGE_ANCHORS_JS)
        anchors = page.evaluate(_ANCHORS_JS)
        report.ids, report.links_to_anchors = anchors["ids"], anchors["links"]
        if axe_script is not None:
            page.add_script_tag(path=str(axe_script))
            report.axe_violations = page.evaluate(AXE_JS)
    finally:
        page.close()
    report.external_requests = ctx.external_requests[start:]
    return report



def audit_site(browser, base_url: str, paths: list[str], axe_script: Path | None = None,
               second_browser: Callable[[], ContextManager] | None = None) -> list[PageReport]:
    """Audit the pages one after the other in one offline context; with
    `second_browser` (a context manager that launches one), every other page is audited
    at the same time in a thread of its own, with its own Playwright and browser (its
    objects must not cross threads): a page spends much of its visit waiting (load,
    rendering, network), which the other page's visit fills. Then each link to another
    page's anchor is checked against the ids of that page, as visited. Reports come
    back in the order of `paths`."""
    def audit(browser_, share: list[str]) -> list[PageReport]:
        with OfflineContext(browser_) as ctx:
            return [audit_page(ctx, base_url, path, axe_script=axe_script) for path in share]

    if second_browser is None or len(paths) < 2:
        reports = audit(browser, paths)
    else:
        reports = [None] * len(paths)
        reports[0::2], reports[1::2] = _two_at_a_time(audit, browser, second_browser, paths)
    link_anchors(reports, base_url)
    return reports


def _two_at_a_time(audit, browser, second_browser, paths):
    """(reports of paths[0::2], of paths[1::2]): the second share in a thread."""
    other: dict[str, list[PageReport] | BaseException] = {}

    def in_thread() -> None:
        try:
            with second_browser() as launched:
                other["reports"] = audit(launched, paths[1::2])
        except BaseException as error:  # noqa: BLE001 - raised again in the caller
            other["error"] = error

    thread = threading.Thread(target=in_thread, name="audit-2")
    thread.start()
    try:
        mine = audit(browser, paths[0::2])
    finally:
        thread.join()
    if "error" in other:
        raise other["error"]
    return mine, other["reports"]


def link_anchors(reports: list[PageReport], base_url: str) -> None:
    """Fill each report's broken_anchors_elsewhere: its links to page#anchor (another
    page, or itself by its address) where the page is not one of `reports` or has no
    element with that id. (LinkChecker, which checks the links to pages and files,
    would fetch and parse the target page again for each: linkscan.ANCHOR.)"""
    ids = {r.path: set(r.ids) for r in reports}
    for report in reports:
        for link in report.links_to_anchors:  # all on base_url's host (_ANCHORS_JS)
            page, _, anchor = link[len(base_url):].partition("#")
            found, anchor = ids.get(page), unquote(anchor)
            if found is None:
                report.broken_anchors_elsewhere.append(
                    f"/{page}#{anchor} : page /{page} absente du site visité")
            elif anchor and anchor not in found:
                report.broken_anchors_elsewhere.append(
                    f"/{page}#{anchor} : ancre « {anchor} » introuvable dans /{page}")
