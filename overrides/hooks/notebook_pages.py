"""MkDocs hook: the notebook pages (docs/carnets/*.ipynb, rendered by mkdocs-jupyter)
fit the offline site.

nbconvert's template, which mkdocs-jupyter uses:
- loads MathJax and Mermaid from a CDN (cdnjs): those scripts are removed here, and the
  formulas of the Markdown cells ($...$, $$...$$) are written as pymdownx.arithmatex
  writes them, for katex_prerender.py (listed after this hook) to typeset;
- inlines JupyterLab's 575 kB style sheet into every notebook page: it becomes one
  shared file, assets/stylesheets/jupyter.css, that the browser caches;
- leaves links as the notebook writes them (relative to docs/carnets/): links to pages
  (.md) and to the figures the fidle-examples plugin generates (generated/...) become
  site URLs here, as MkDocs does for Markdown pages. A link to a missing page is a
  warning (an error under --strict); a figure this build did not produce (no page asks
  for that example's results) is replaced by a sentence saying so.
It also lists the .ipynb that mkdocs-jupyter copies beside each notebook page
(include_source) as a site file, so that pages can link to the download and MkDocs
checks those links; and it translates the copy button's English labels.
"""

from __future__ import annotations

import html
import logging
import posixpath
import re
from pathlib import Path
from urllib.parse import unquote

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.utils import get_relative_url

log = logging.getLogger("mkdocs.hooks.notebook_pages")

NOTEBOOKS = "carnets/"  # notebook pages live under docs/carnets/
FIGURES = "generated/"  # the fidle-examples plugin's figures
STYLESHEET = "assets/stylesheets/jupyter.css"

_ASSETS = ("index.css", "theme-light.css")  # what mkdocs-jupyter inlines (light theme)
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)
# Parts of the page where a dollar sign or a URL is not prose.
_VERBATIM = re.compile(r"(<(pre|code|script|style)\b.*?</\2>)", re.S)
_DISPLAY_MATH = re.compile(r"(?:<p>)?\$\$(.+?)\$\$(?:</p>)?", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)([^$<>]*?[^\s$\\])\$(?!\$)")
_URL_ATTR = re.compile(r'(?P<attr>\b(?:href|src))="(?P<url>[^"]*)"')
_IMG = re.compile(r"<img\b[^>]*>")
_EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*['"](?:https?:)?//|\bimport\(\s*['"](?:https?:)?//""")
_LABELS = {">Copied!<": ">Copié !<",
           'aria-label="Copy to Clipboard"': 'aria-label="Copier dans le presse-papiers"'}


def _is_notebook(file: File) -> bool:
    return file.src_uri.startswith(NOTEBOOKS) and file.src_uri.endswith(".ipynb")


def _jupyter_assets() -> list[str]:
    import mkdocs_jupyter

    folder = Path(mkdocs_jupyter.__file__).parent / "templates" / "mkdocs_html" / "assets"
    return [(folder / name).read_text(encoding="utf-8") for name in _ASSETS]


def on_files(files: Files, config) -> Files:
    notebooks = [f for f in files if _is_notebook(f)]
    for file in notebooks:
        uri = download_uri(file.src_uri, config.use_directory_urls)
        if uri != file.src_uri and files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, abs_src_path=file.abs_src_path))
    if notebooks:
        files.append(File.generated(config, STYLESHEET,
                                    content="\n".join(_jupyter_assets()).encode("utf-8")))
    return files


def download_uri(src_uri: str, use_directory_urls: bool) -> str:
    """Where include_source copies a notebook: beside its page's HTML file
    (carnets/mnist.ipynb -> carnets/mnist/mnist.ipynb with directory URLs)."""
    stem, name = posixpath.splitext(src_uri)[0], posixpath.basename(src_uri)
    if use_directory_urls and posixpath.basename(stem) not in ("index", "README"):
        return posixpath.join(stem, name)
    return src_uri


def on_page_content(content: str, page, config, files: Files) -> str:
    if not _is_notebook(page.file):
        return content
    content = _SCRIPT.sub(lambda m: "" if _is_cdn_script(m.group(0)) else m.group(0), content)
    content = _prose(content, lambda text: _links(_math(text), page, files))
    content = _shared_stylesheet(content, page, files)
    for english, french in _LABELS.items():
        content = content.replace(english, french)
    leftover = [m.group(0) for m in _EXTERNAL.finditer(content)
                if not _is_plain_link(content, m.start())]
    if leftover:
        raise PluginError(f"{page.file.src_uri} : la page du carnet chargerait une ressource "
                          f"d'un autre site ({leftover[0]}…) ; le site doit rester hors ligne.")
    return content


def _is_cdn_script(script: str) -> bool:
    """MathJax (its loader and its configuration) and Mermaid's loader."""
    head = script[: script.find(">") + 1]
    return ("mathjax" in script.lower() or "mermaid" in script.lower()
            or re.search(r'\bsrc=""', head) is not None)


def _is_plain_link(content: str, position: int) -> bool:
    """An <a href> to another site is a link, not something the page loads."""
    tag_start = content.rfind("<", 0, position)
    return content.startswith("<a ", tag_start)


def _shared_stylesheet(content: str, page, files: Files) -> str:
    assets = {text.strip() for text in _jupyter_assets()}
    found = False

    def drop(match: re.Match) -> str:
        nonlocal found
        if match.group(1).strip() in assets:
            found = True
            return ""
        return match.group(0)

    content = _STYLE.sub(drop, content)
    sheet = files.get_file_from_path(STYLESHEET)
    if not found or sheet is None:
        return content
    href = get_relative_url(sheet.url, page.file.url)
    return f'<link rel="stylesheet" href="{href}">\n{content}'


def _prose(content: str, change) -> str:
    """`content` with `change` applied to every part that is not code, script or style."""
    parts = _VERBATIM.split(content)
    # split() with two groups gives: text, whole match, tag name, text, ...
    out = []
    for index in range(0, len(parts), 3):
        out.append(change(parts[index]))
        if index + 1 < len(parts):
            out.append(parts[index + 1])
    return "".join(out)


def _math(text: str) -> str:
    text = _DISPLAY_MATH.sub(
        lambda m: f'<div class="arithmatex">\\[{m.group(1)}\\]</div>', text)
    return _INLINE_MATH.sub(lambda m: f'<span class="arithmatex">\\({m.group(1)}\\)</span>',
                            text)


def _links(text: str, page, files: Files) -> str:
    missing_figures: list[str] = []  # as written in the notebook

    def replace(match: re.Match) -> str:
        url = html.unescape(match["url"])
        if not url or re.match(r"^(?:[a-z][a-z0-9+.-]*:|/|#)", url, re.I):
            return match.group(0)
        path, _, anchor = url.partition("#")
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page.file.src_uri),
                                                   unquote(path)))
        file = files.get_file_from_path(target)
        if file is None:
            if target.startswith(FIGURES):
                missing_figures.append(match["url"])
            else:
                log.warning("%s : lien vers « %s », absent du site.", page.file.src_uri, url)
            return match.group(0)
        new = get_relative_url(file.url, page.file.url) + (f"#{anchor}" if anchor else "")
        return f'{match["attr"]}="{html.escape(new)}"'

    text = _URL_ATTR.sub(replace, text)
    if missing_figures:
        log.info("%s : figures absentes de cette construction (aucune page ne demande les "
                 "résultats de cet exemple) : %s", page.file.src_uri, ", ".join(missing_figures))
        text = _IMG.sub(lambda m: _ABSENT if _src(m.group(0)) in missing_figures
                        else m.group(0), text)
    return text


_ABSENT = ("<em>Figure non produite par cette construction du site : exécutez le carnet "
           "pour la voir.</em>")


def _src(tag: str) -> str | None:
    found = re.search(r'\bsrc="([^"]*)"', tag)
    return found.group(1) if found else None
