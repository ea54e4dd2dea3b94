"""The whole site, built once per session with `mkdocs build --strict` (quick profile,
conftest.py `built_site`, shared with the notebook and browser tests).

Checks what a reader relies on: the build reuses the session's results, no page loads anything from
another host, every nav page is there, code on the pages comes from the package
(never typed by hand), Mermaid and KaTeX are sent only to the pages that use
them (formulas are typeset at build time), and a page without a diagram stays
under 600 KB on the wire. The tests that need the built site are marked slow;
the others (the checkers themselves) run in `make test-fast`.
"""

from __future__ import annotations

import gzip
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
from mkdocs.config import load_config
from mkdocs.exceptions import PluginError
from mkdocs.structure.nav import get_navigation
from mkdocs.structure.files import get_files
from fidle_examples.core import registry
from support import ROOT, from_cache, load_hook, training_started

DOCS = ROOT / "docs"

# Plain links (<a href>) to other sites that the pages may hold. Anything that
# the browser would load by itself (script, style sheet, font, image, frame)
# must come from the site, whatever its host.
ALLOWED_LINK_HOSTS = {
    "fidle.cnrs.fr",                                # the Fidle course
    "gricad-gitlab.univ-grenoble-alpes.fr",         # Fidle sources and wiki
    "www.youtube.com", "youtube.com",               # Fidle videos (links only)
    "creativecommons.org",                          # licences
    "opensource.org",
    "keras.io", "www.tensorflow.org", "jax.readthedocs.io", "pytorch.org",
    "numpy.org", "matplotlib.org", "scikit-learn.org", "docs.python.org",
    "www.mkdocs.org", "squidfunk.github.io", "facelessuser.github.io",
    "zensical.org",                                 # Material's successor (contributors)
    "archive.ics.uci.edu",                          # Wine Quality data set
    "yann.lecun.com",                               # MNIST
    "fr.wikipedia.org", "en.wikipedia.org",
    "arxiv.org", "doi.org",
}
PAGE_WEIGHT_LIMIT = 600 * 1024
# Files Material's search worker fetches besides the index, for `lang: fr`.
SEARCH_LANG_FILES = ("lunr/min/lunr.stemmer.support.min.js", "lunr/min/lunr.fr.min.js")

_URL_ATTRS = {"src", "href", "srcset", "data", "poster", "xlink:href", "action", "background"}
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")
# Ways a script or style sheet makes the browser load a URL by itself.
_JS_LOAD = re.compile(
    r"""(?:url\(\s*['"]?|@import\s+(?:url\()?['"]?|\b(?:src|href)\s*=\s*\\?['"]"""
    r"""|importScripts\(\s*['"]|\bimport\(\s*['"]|\bimport\s+['"]|\bfrom\s+['"])"""
    r"""((?:https?:)?//[^'"\s)\\]+)""")


def _is_external(url: str) -> bool:
    return url.startswith(("http://", "https://", "//"))


class _Page(HTMLParser):
    """What a built HTML page loads and links to."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.loads: list[tuple[str, str, str]] = []   # (tag, attribute, url)
        self.links: list[str] = []                    # <a href>
        self.scripts: list[str] = []                  # <script src>, in order
        self.stylesheets: list[str] = []
        self.inline: list[str] = []                   # <style>/<script> text, style=""
        self.classes: dict[str, list[set[str]]] = {}  # tag -> class sets
        self.text_len = 0
        self.canonical: str | None = None           # <link rel=canonical>
        self.redirect = False                       # <meta http-equiv=refresh> (a stub)
        self._in_article = 0
        self._raw: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.classes.setdefault(tag, []).append(set((attrs.get("class") or "").split()))
        if attrs.get("style"):
            self.inline.append(attrs["style"])
        if tag == "article":
            self._in_article += 1
        if tag in ("style", "script") and "src" not in attrs:
            self._raw = ""
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            self.redirect = True
        if tag == "link" and (attrs.get("rel") or "").split() == ["canonical"]:
            # The page's published address (site_url): a browser never loads it.
            self.canonical = attrs.get("href")
            return
        for name, value in attrs.items():
            if name not in _URL_ATTRS or not value:
                continue
            urls = [part.split()[0] for part in value.split(",") if part.strip()] \
                if name == "srcset" else [value]
            for url in urls:
                if tag == "a" and name == "href":
                    self.links.append(url)
                else:
                    self.loads.append((tag, name, url))
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "") and attrs.get("href"):
            self.stylesheets.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "article":
            self._in_article -= 1
        if tag in ("style", "script") and self._raw is not None:
            self.inline.append(self._raw)
            self._raw = None

    def handle_data(self, data):
        if self._raw is not None:
            self._raw += data
        if self._in_article:
            self.text_len += len(data.strip())

    def has(self, tag: str, css_class: str) -> bool:
        return any(css_class in classes for classes in self.classes.get(tag, []))


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def _local_file(site: Path, referrer: Path, url: str) -> Path | None:
    """The file under the site that a relative URL of `referrer` points to."""
    parsed = urlparse(url)
    if parsed.scheme or parsed.netloc or not parsed.path:
        return None
    # 404.html uses root-relative URLs (/assets/...): it may be served at any depth.
    target = unquote(urljoin(referrer.relative_to(site).as_posix(), parsed.path)).lstrip("/")
    path = site / target
    return path / "index.html" if path.is_dir() else path


@pytest.fixture(scope="module")
def site(built_site) -> Path:
    return built_site


@pytest.fixture(scope="module")
def pages(site) -> dict[Path, _Page]:
    return {path: _parse(path) for path in sorted(site.rglob("*.html"))}


@pytest.mark.slow
def test_the_build_reads_every_result_from_the_session_cache(site_build):
    """The site build (a subprocess) finds every example the session trained in this
    process: the training key is the same in both, nothing trains twice."""
    assert not training_started(site_build.log), site_build.log[-3000:]
    assert sorted(from_cache(site_build.log)) == sorted(registry.names()), site_build.log[-3000:]


@pytest.mark.slow
def test_every_page_of_docs_is_built_with_the_search_index(site, pages):
    """Each Markdown page and notebook of docs/ (in the navigation or not) has its HTML
    page in the site, and the search has its index."""
    config = load_config(str(ROOT / "mkdocs.yml"))
    files = get_files(config)
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter:
        files = jupyter.on_files(files, config)
    sources = [f for f in files.documentation_pages()]
    assert len(sources) > 10, "docs/ presque vide ?"
    missing = [f.src_uri for f in sources if site / f.dest_uri not in pages]
    assert not missing, "Pages de docs/ absentes du site construit : " + ", ".join(missing)
    assert (site / "search" / "search_index.json").is_file()


@pytest.mark.slow
def test_no_page_loads_anything_from_another_host(site, pages):
    problems = []
    for path, page in pages.items():
        rel = path.relative_to(site)
        problems += [f"{rel}: <{tag} {attr}={url}>" for tag, attr, url in page.loads
                     if _is_external(url)]
        problems += [f"{rel}: <a href={url}> (hôte absent de ALLOWED_LINK_HOSTS)"
                     for url in page.links
                     if _is_external(url) and urlparse(url).hostname not in ALLOWED_LINK_HOSTS]
        for text in page.inline:
            problems += [f"{rel}: {m.group(0)!r} dans un style ou script en ligne"
                         for m in _JS_LOAD.finditer(text)]
    for path in sorted([*site.rglob("*.css"), *site.rglob("*.js")]):
        text = path.read_text(encoding="utf-8", errors="replace")
        problems += [f"{path.relative_to(site)}: {m.group(0)!r}" for m in _JS_LOAD.finditer(text)]
    assert not problems, "Ressources chargées depuis un autre hôte :\n" + "\n".join(problems)


@pytest.mark.slow
def test_site_url_only_adds_each_page_its_canonical_address(site, pages, monkeypatch):
    """site_url (the published address, README « Publier le site ») changes no link: they
    stay relative (test above); each page only names its own address."""
    monkeypatch.delenv("SITE_URL", raising=False)
    site_url = load_config(str(ROOT / "mkdocs.yml")).site_url
    wrong = []
    for path, page in pages.items():
        folder = path.parent.relative_to(site).as_posix()
        expected = site_url + ("" if folder == "." else folder + "/")
        if page.redirect:  # a stub of mkdocs-redirects names the page it leads to
            continue
        if path.name == "index.html" and page.canonical != expected:
            wrong.append(f"{path.relative_to(site)}: {page.canonical}")
    assert not wrong, f"Adresse canonique différente de {site_url}… :\n" + "\n".join(wrong)


@pytest.mark.slow
def test_every_local_asset_exists(site, pages):
    """Scripts, style sheets, images and the fonts of the style sheets are all in the site."""
    missing = []
    for path, page in pages.items():
        for tag, attr, url in page.loads:
            target = _local_file(site, path, url)
            if target is not None and not target.exists():
                missing.append(f"{path.relative_to(site)}: <{tag} {attr}={url}>")
    for css in site.rglob("*.css"):
        for match in _CSS_URL.finditer(css.read_text(encoding="utf-8", errors="replace")):
            url = match.group(1) or match.group(2)
            target = None if url.startswith("data:") else _local_file(site, css, url)
            if target is not None and not target.exists():
                missing.append(f"{css.relative_to(site)}: url({url})")
    assert not missing, "Fichiers référencés mais absents du site :\n" + "\n".join(missing)


@pytest.mark.slow
def test_every_nav_page_exists_and_has_content(site, pages):
    config = load_config(str(ROOT / "mkdocs.yml"))
    files = get_files(config)
    jupyter = config.plugins.get("mkdocs-jupyter")  # it makes pages of carnets/*.ipynb
    if jupyter:
        files = jupyter.on_files(files, config)
    nav = get_navigation(files, config)
    assert nav.pages, "La navigation (nav) de mkdocs.yml est vide."
    for nav_page in nav.pages:
        source = DOCS / nav_page.file.src_uri
        assert source.is_file(), f"Page de la navigation absente : {source}"
        assert source.read_text(encoding="utf-8").strip(), f"Page vide : {source}"
        built = site / nav_page.file.dest_uri
        assert built in pages, f"Page non construite : {built}"
        assert pages[built].text_len > 0, f"Page construite sans contenu : {built}"


# --- code on the pages is included from the package, never typed by hand ----

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*\{?\s*\.?(?P<lang>[\w+-]*)")
_PYTHON_LANGS = {"python", "py", "python3", "py3", "pycon"}
MAX_HAND_WRITTEN_LINES = 3


def hand_written_python_blocks(markdown: str) -> list[tuple[int, int]]:
    """(line number, hand-written lines) of each Python block over the limit.

    Lines of a snippet include (`--8<-- "file:section"`, or the block form
    between two `--8<--` lines) do not count; blank lines do not count either.
    """
    offenders, lines, i = [], markdown.splitlines(), 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, start = opening["fence"], i
        closing = re.compile(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        body = []
        i += 1
        while i < len(lines) and not closing.match(lines[i]):
            body.append(lines[i].strip())
            i += 1
        i += 1
        if opening["lang"].lower() not in _PYTHON_LANGS:
            continue
        counted, in_snippet_block = 0, False
        for line in body:
            if line == "--8<--":
                in_snippet_block = not in_snippet_block
            elif line and not in_snippet_block and not line.startswith("--8<--"):
                counted += 1
        if counted > MAX_HAND_WRITTEN_LINES:
            offenders.append((start + 1, counted))
    return offenders


def test_python_block_check_tells_included_from_hand_written_code():
    included = '```python\n--8<-- "src/fidle_examples/examples/mnist.py:model"\n```\n'
    block_form = "```py\n--8<--\nsrc/a.py:x\nsrc/b.py:y\nsrc/c.py:z\nsrc/d.py:w\n--8<--\n```\n"
    short = "```python\nimport keras\n\nmodel.fit(x, y)\nmodel.evaluate(x, y)\n```\n"
    long = "Texte\n\n    ``` { .python title=\"x\" }\n    a = 1\n    b = 2\n    c = 3\n    d = 4\n    ```\n"
    other = "```bash\na\nb\nc\nd\ne\n```\n"
    assert hand_written_python_blocks(included) == []
    assert hand_written_python_blocks(block_form) == []
    assert hand_written_python_blocks(short) == []
    assert hand_written_python_blocks(other) == []
    assert hand_written_python_blocks(long) == [(3, 4)]
    assert hand_written_python_blocks(other + long + included) == [(10, 4)]


def test_no_hand_written_python_on_the_pages():
    problems = []
    for md in sorted(DOCS.rglob("*.md")):
        for line, count in hand_written_python_blocks(md.read_text(encoding="utf-8")):
            problems.append(f"{md.relative_to(ROOT)}:{line}: {count} lignes de Python écrites à la main")
    assert not problems, (
        "Le code Python des pages doit venir du paquet (pymdownx.snippets, "
        '--8<-- "src/fidle_examples/...:section") :\n' + "\n".join(problems))


# --- heavy libraries only where they are used --------------------------------

def _loads(page: _Page, name: str) -> bool:
    return any(src.split("?")[0].endswith(name) for src in page.scripts)


@pytest.mark.slow
def test_mermaid_is_sent_only_to_pages_with_a_diagram(site, pages):
    for path, page in pages.items():
        rel = path.relative_to(site)
        has_diagram = page.has("pre", "mermaid")   # what Material renders as a diagram
        assert _loads(page, "mermaid.min.js") == has_diagram, (
            f"{rel}: diagramme={has_diagram} mais mermaid.min.js chargé={not has_diagram}")
        if has_diagram:   # must be defined before Material's bundle, or it uses a CDN
            order = [s.rsplit("/", 1)[-1] for s in page.scripts]
            bundle = next(i for i, name in enumerate(order) if name.startswith("bundle."))
            assert order.index("mermaid.min.js") < bundle, f"{rel}: Mermaid chargé après le bundle"


_RAW_MATH = re.compile(r'<(?:span|div) class="arithmatex">(?!<span class="katex)(.{0,60})', re.S)


@pytest.mark.slow
def test_formulas_are_typeset_at_build_time(site, pages):
    """KaTeX runs during the build: pages get its style sheet, never its script."""
    for path, page in pages.items():
        rel = path.relative_to(site)
        has_math = page.has("span", "arithmatex") or page.has("div", "arithmatex")
        assert not any("katex" in src for src in page.scripts), f"{rel}: script KaTeX envoyé"
        assert any(s.endswith("katex.min.css") for s in page.stylesheets) == has_math, (
            f"{rel}: formules={has_math}, katex.min.css chargé={not has_math}")
        raw = _RAW_MATH.findall(path.read_text(encoding="utf-8"))
        assert not raw, f"{rel}: formules laissées en TeX brut : {raw[:3]}"


def _load_katex_hook():
    return load_hook("katex_prerender")


def test_katex_hook_renders_formulas_and_rejects_wrong_tex():
    hook = _load_katex_hook()
    page = ('<p>Soit <span class="arithmatex">\\(a &lt; b\\)</span>.</p>\n'
            '<div class="arithmatex">\\[\n\\frac{1}{n} \\sum_i x_i\n\\]</div>')
    out = hook.typeset(page)
    assert "\\(" not in out and "\\[" not in out
    assert out.count('class="katex"') == 2 and 'class="katex-display"' in out
    assert '<annotation encoding="application/x-tex">a &lt; b</annotation>' in out
    with pytest.raises(PluginError, match="Formule incorrecte"):
        hook.typeset('<span class="arithmatex">\\(\\frac{1}{\\)</span>')


def test_the_search_index_gets_each_formula_once_and_pages_keep_katex():
    """Material's search indexes each formula once, as its MathML (not KaTeX's whole HTML:
    the formula three times, a span per glyph); the page keeps its typeset formulas; a
    page changed since the hook typeset it is indexed as it is."""
    from types import SimpleNamespace

    hook = _load_katex_hook()
    indexed = []

    class Index:  # Material's SearchIndex, as far as the hook uses it
        def add_entry_from_context(self, page):
            indexed.append(page.content)
            if "échec" in page.content:
                raise RuntimeError("échec")

    search = SimpleNamespace(search_index=Index())
    config = SimpleNamespace(plugins={"material/search": search})
    assert hook.on_config(config) is config and hook.on_config(config) is config
    wrapped = search.search_index.add_entry_from_context
    assert wrapped.stock.__func__ is Index.add_entry_from_context  # wrapped once, not twice

    source = ('<p>Soit <span class="arithmatex">\\(\\theta &lt; b\\)</span>.</p>\n'
              '<div class="arithmatex">\\[\n\\frac{1}{n}\n\\]</div>')
    page = SimpleNamespace(file=SimpleNamespace(src_uri="cours/a.md"), content=None)
    page.content = typeset = hook.on_page_content(source, page, None, None)
    assert typeset == hook.typeset(source) and typeset.count('class="katex-html"') == 2
    wrapped(page)
    searched = indexed[-1]
    assert searched.count("<math") == 2 and searched.count('class="arithmatex"') == 2
    assert "katex" not in searched and "annotation" not in searched and "\\" not in searched
    assert "<mi>θ</mi>" in searched and "<mo>&lt;</mo>" in searched  # each symbol, once
    assert searched.startswith("<p>Soit ") and searched.endswith("</div>")
    assert page.content == typeset  # the page itself keeps KaTeX's HTML
    wrapped(page)  # indexed again in the same build: the same MathML
    assert indexed[-1] == searched
    hook.on_config(config)  # the next build (`mkdocs serve`) forgets this one's pages
    wrapped(page)
    assert indexed[-1] == typeset
    page.content = hook.on_page_content(source, page, None, None) + "<p>ajouté</p>"
    wrapped(page)  # changed by someone after the hook
    assert indexed[-1] == typeset + "<p>ajouté</p>"
    plain = SimpleNamespace(file=SimpleNamespace(src_uri="cours/a.md"), content="<p>échec</p>")
    assert hook.on_page_content(plain.content, plain, None, None) == "<p>échec</p>"
    with pytest.raises(RuntimeError):
        wrapped(plain)
    assert indexed[-1] == "<p>échec</p>" and plain.content == "<p>échec</p>"
    failing = SimpleNamespace(file=SimpleNamespace(src_uri="cours/b.md"), content=None)
    failing.content = hook.on_page_content(source + "<p>échec</p>", failing, None, None)
    kept = failing.content
    with pytest.raises(RuntimeError):
        wrapped(failing)
    assert "katex" not in indexed[-1] and failing.content == kept  # put back after an error


@pytest.mark.slow
def test_the_built_search_index_holds_each_formula_once(site):
    """In the built site: no KaTeX glyph spacing (U+200B, in 93 entries before), no TeX
    annotation, and the formulas' symbols still searchable."""
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    assert sum("θ" in doc["text"] for doc in docs) > 5
    chain_rule = [doc["text"] for doc in docs  # (the performance page quotes the old text)
                  if doc["location"].startswith("prerequis/") and "f(g(x))" in doc["text"]]
    assert chain_rule and not any("f(g(x))f(g(x))" in text for text in chain_rule)
    polluted = [doc["location"] for doc in docs if "\u200b" in doc["text"] or "\\frac{" in doc["text"]]
    assert not polluted, polluted[:5]


_FONT_FACE = re.compile(r"@font-face\s*\{([^}]*)\}")
_CSS_RULE = re.compile(r"([^{}@]+)\{([^}]*)\}")


def _fonts_used(css: str, page_classes: set[str]) -> set[str]:
    """URLs of the @font-face files of `css` that the classes of a page select
    (an estimate of what the browser fetches: rule classes all present on the page)."""
    faces = {}
    for face in _FONT_FACE.finditer(css):
        body = face.group(1)
        family = re.search(r"font-family:\s*['\"]?([^;'\"]+)", body).group(1)
        style = re.search(r"font-style:\s*(\w+)", body).group(1)
        weight = re.search(r"font-weight:\s*(\d+)", body).group(1)
        faces[(family, style, weight)] = re.search(r"url\(['\"]?([^'\")]+)", body).group(1)
    used = set()
    for selectors, body in _CSS_RULE.findall(_FONT_FACE.sub("", css)):
        family = re.search(r"font(?:-family)?:[^;]*?(KaTeX_\w+)", body)
        style = "italic" if "font-style:italic" in body else "normal"
        weight = "700" if "font-weight:700" in body else "400"
        if not family and (style, weight) == ("normal", "400"):
            continue
        key = (family.group(1) if family else "KaTeX_Main", style, weight)
        for selector in selectors.split(","):
            classes = set(re.findall(r"\.([\w-]+)", selector))
            if key in faces and classes <= page_classes:
                used.add(faces[key])
    return used


def _page_files(site: Path, path: Path, page: _Page) -> set[Path]:
    """What a browser fetches for the page with an empty cache: the HTML, its
    style sheets and scripts, the search files, the latin Roboto fonts (latin-ext
    only loads for rare letters) and the KaTeX fonts its formulas use."""
    files = {path}
    for url in [*page.scripts, *page.stylesheets]:
        files.add(_local_file(site, path, url))
    page_classes = set().union(*[c for sets in page.classes.values() for c in sets])
    for css in [f for f in list(files) if f is not None and f.suffix == ".css" and f.is_file()]:
        text = css.read_text(encoding="utf-8")
        if "KaTeX_" in text:
            urls = _fonts_used(text, page_classes)
        else:
            urls = {m.group(1) for m in _CSS_URL.finditer(text)
                    if (m.group(1) or "").endswith(".woff2") and "latin-ext" not in m.group(1)}
        files |= {_local_file(site, css, url) for url in urls}
    config = json.loads(re.search(r'<script id="__config" type="application/json">(.*?)</script>',
                                  path.read_text(encoding="utf-8"), re.S).group(1))
    worker = _local_file(site, path, config["search"])
    files |= {worker, site / "search" / "search_index.json"}
    files |= {worker.parent.parent / name for name in SEARCH_LANG_FILES}
    # Missing or external files are reported by the tests above, not counted here.
    return {f for f in files if f is not None and f.is_file()}


def _transferred(file: Path) -> int:
    """Bytes on the wire from a server that compresses text (gzip -6, as static
    hosts and nginx do); woff2 is already compressed."""
    data = file.read_bytes()
    return len(data) if file.suffix == ".woff2" else len(gzip.compress(data, 6))


@pytest.mark.slow
def test_a_page_without_diagram_transfers_under_600_kb(site, pages):
    """The search index (full text of the site), Material's CSS and JS and the
    pre-typeset formulas make well over 600 KB uncompressed on a long page: the
    limit is on what a compressing server sends."""
    # The print page is the whole course on one page, for printing and `make pdf`: it
    # weighs what all the others weigh together, and nobody browses it.
    printing = load_config(str(ROOT / "mkdocs.yml")).plugins.get("print-site")
    whole = site / printing.config["print_page_basename"] / "index.html" if printing else None
    light = {p: page for p, page in pages.items()  # redirect stubs load nothing
             if not page.has("pre", "mermaid") and p != whole and not page.redirect}
    assert light, "Aucune page sans diagramme ?"
    files = {p: _page_files(site, p, page) for p, page in light.items()}
    weights = {p: sum(_transferred(f) for f in fs) for p, fs in files.items()}
    heaviest = max(weights, key=weights.get)
    raw = sum(f.stat().st_size for f in files[heaviest])
    assert weights[heaviest] < PAGE_WEIGHT_LIMIT, (
        f"{heaviest.relative_to(site)} : {weights[heaviest] / 1024:.0f} Kio transférés "
        f"({raw / 1024:.0f} Kio non compressés), limite {PAGE_WEIGHT_LIMIT / 1024:.0f} Kio")
