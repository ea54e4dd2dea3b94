"""MkDocs hook: a long page's later sections cost nothing before they come near.

The chapters of the course weighed 420 to 480 kB of HTML, most of it KaTeX: each
formula is written twice, as MathML (what screen readers read) and as KaTeX's
drawing, about five times larger (a span per glyph, strut and spacing). Their first
paint waited for the whole file. Past the first EAGER_BYTES of a page's article
(a few screens), this hook, on the final HTML of each screen page (not the print
page, which print-site assembles from the pages' content before this runs):

1. keeps each formula's MathML in the page and moves KaTeX's drawing of it to a
   script beside the page (PAGE_DIR/formules.js, or NAME.formules.js). Without
   JavaScript, or until the drawing comes, the browser draws the MathML itself
   (MathML Core: Chromium 109+, Firefox, Safari): the page reads, screen readers
   get the same MathML as before. assets/javascripts/lazy-math.js fetches that
   script when a formula comes near the viewport or the page has been idle a
   while, and puts each drawing back where KaTeX would have written it;
2. wraps the content between two headings in <div class="fidle-lazy">, which
   extra.css gives `content-visibility: auto`: the browser lays out and paints it
   only near the viewport. Headings stay outside, so that Material's table of
   contents, which measures their positions, does not force the layout of the
   blocks. Each block's estimated height (contain-intrinsic-size, `auto`: the real
   one once drawn) keeps the scrollbar close to right;
3. gives the page's <img> of SVG files their width and height (no layout shift
   when a lazy image arrives) and decoding="async".
The content is all in the HTML: find in page, anchors, printing and reading
without JavaScript work as before.
"""

from __future__ import annotations

import json
import logging
import posixpath
import re
from pathlib import Path

from mkdocs.utils import get_relative_url

log = logging.getLogger("mkdocs.hooks.lazy_sections")

EAGER_BYTES = 30_000   # of article HTML, drawn as before: the first screens
SCRIPT = "assets/javascripts/lazy-math.js"

_ARTICLE = re.compile(r'(<article class="md-content__inner md-typeset">)(.*?)(</article>)', re.S)
_TAG = re.compile(r"<!--.*?-->|<(/?)([a-zA-Z][\w:-]*)\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(/?)>", re.S)
_RAW = {"script", "style", "template", "textarea", "pre"}  # their content is not parsed here
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
         "source", "track", "wbr"}
_HEADING = re.compile(r"h[1-6]")
_UNSEEN = {"style", "script", "template"}  # elements that show nothing
_UNSEEN_ELEMENT = re.compile(rf"<({'|'.join(_UNSEEN)})\b.*?</\1>", re.S)
_MATH_START = re.compile(r'<(span|div) class="arithmatex">')
_SPAN = re.compile(r"<(/?)span\b[^>]*>")
_IMG = re.compile(r'<img\b[^>]*\bsrc="([^"]+\.svg)"[^>]*>')
_SVG_SIZE = re.compile(r"<svg\b[^>]*>", re.S)
_LENGTH = re.compile(r"([\d.]+)\s*(pt|px)?$")


def top_level_blocks(body: str) -> list[tuple[int, int, str]]:
    """(start, end, tag) of each top-level element of `body` (HTML that the site's
    Markdown wrote: well-formed); text between elements is not listed. Raises
    ValueError when the tags do not balance."""
    blocks, start, stack = [], 0, []
    pos = 0
    while True:
        match = _TAG.search(body, pos)
        if not match:
            break
        pos = match.end()
        if match.group(0).startswith("<!--"):
            continue
        closing, name, selfclosing = match.group(1), match.group(2).lower(), match.group(3)
        if closing:
            if not stack or stack[-1] != name:
                raise ValueError(f"</{name}> inattendu")
            stack.pop()
            if not stack:
                blocks.append((start, match.end(), name))
            continue
        if name in _VOID or selfclosing:
            if not stack:
                blocks.append((match.start(), match.end(), name))
            continue
        if not stack:
            start = match.start()
        stack.append(name)
        if name in _RAW:  # skip to its end tag
            end = body.find(f"</{name}>", pos)
            if end < 0:
                raise ValueError(f"<{name}> sans fin")
            pos = end
    if stack:
        raise ValueError(f"<{stack[-1]}> sans fin")
    return blocks


def _element_end(html: str, start: int) -> int:
    """End of the <span> or <div> that opens at `start` (spans balanced inside)."""
    tag = "div" if html.startswith("<div", start) else "span"
    if tag == "div":
        return html.index("</div>", start) + len("</div>")  # KaTeX writes no div
    depth = 0
    for match in _SPAN.finditer(html, start):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            return match.end()
    raise ValueError("span sans fin")


def split_formula(element: str) -> tuple[str, str] | None:
    """(element with MathML only, KaTeX's drawing with an empty MathML slot) of one
    arithmatex element that KaTeX typeset; None when it is not one."""
    open_tag = element[:element.index(">") + 1]
    math_start = element.find("<math")
    math_end = element.find("</math>")
    if math_start < 0 or math_end < 0 or 'class="katex-html"' not in element:
        return None
    math_end += len("</math>")
    inner = element[len(open_tag):element.rindex("</")]
    drawing = inner.replace(element[math_start:math_end], "", 1)
    return f"{open_tag}{element[math_start:math_end]}{element[element.rindex('</'):]}", drawing


def lazy_math(html: str, first: int) -> tuple[str, list[str]]:
    """Formulas at or after offset `first`: MathML left, drawings returned in order."""
    drawings, out, pos = [], [], 0
    for match in _MATH_START.finditer(html, first):
        if match.start() < pos:
            continue
        end = _element_end(html, match.start())
        parts = split_formula(html[match.start():end])
        if parts is None:
            continue
        lazy, drawing = parts
        lazy = lazy.replace('class="arithmatex">',
                            f'class="arithmatex" data-fidle-math="{len(drawings)}">', 1)
        out += [html[pos:match.start()], lazy]
        drawings.append(drawing)
        pos = end
    out.append(html[pos:])
    return "".join(out), drawings


def estimated_height(block: str) -> int:
    """A rough height in CSS pixels of some content: text lines, formulas, figures,
    definitions. Far too small an estimate moves the content when it is laid out:
    the glossary's, at half its height, made axe-core (in Lighthouse) measure its
    terms' contrast against the footer."""
    block = _UNSEEN_ELEMENT.sub("", block)
    text = re.sub(r"<math\b.*?</math>|<[^>]+>", " ", block, flags=re.S)
    lines = len(" ".join(text.split())) / 90
    height = 27 * lines + 30 * block.count("<p") + 22 * block.count("<li")
    height += 90 * block.count('<div class="arithmatex"') + 36 * block.count("<tr")
    height += 62 * block.count("<dt")  # a term's line and its definition's margins
    height += 380 * (block.count("<img") + block.count('class="mermaid"'))
    height += 20 * sum(part.count("\n") for part in re.findall(r"<pre.*?</pre>", block, re.S))
    return max(50, round(height / 10) * 10)


def wrap_sections(body: str, first: int) -> str:
    """Runs of top-level elements from offset `first`, between two headings, each in
    a <div class="fidle-lazy"> with its estimated height."""
    # A style sheet or a script shows nothing: no block of its own (mkdocs-jupyter puts
    # its style sheet after a notebook, which got a blank 1 450 px block).
    blocks = [b for b in top_level_blocks(body) if b[0] >= first and b[2] not in _UNSEEN]
    runs, current = [], []
    for block in blocks:
        if _HEADING.fullmatch(block[2]):
            if current:
                runs.append(current)
            current = []
        else:
            current.append(block)
    if current:
        runs.append(current)
    out, pos = [], 0
    for run in runs:
        start, end = run[0][0], run[-1][1]
        inner = body[start:end]
        out += [body[pos:start],
                f'<div class="fidle-lazy" style="contain-intrinsic-size:auto '
                f'{estimated_height(inner)}px">{inner}</div>']
        pos = end
    out.append(body[pos:])
    return "".join(out)


def _svg_size(file: Path) -> tuple[int, int] | None:
    try:
        with file.open(encoding="utf-8", errors="replace") as stream:
            head = stream.read(4096)
    except OSError:
        return None
    match = _SVG_SIZE.search(head)
    if not match:
        return None
    size = []
    for name in ("width", "height"):
        value = re.search(rf'\s{name}="([^"]+)"', match.group(0))
        length = _LENGTH.match(value.group(1).strip()) if value else None
        if not length:
            return None
        size.append(round(float(length.group(1)) * (4 / 3 if length.group(2) == "pt" else 1)))
    return size[0], size[1]


def sized_images(html: str, page_dir: Path) -> str:
    def add(match: re.Match) -> str:
        tag, src = match.group(0), match.group(1)
        if " width=" in tag or "://" in src or src.startswith("data:"):
            return tag
        size = _svg_size(page_dir / src)
        if size is None:
            return tag
        extra = f' width="{size[0]}" height="{size[1]}"'
        if "decoding=" not in tag:
            extra += ' decoding="async"'
        return tag[:-1].rstrip("/").rstrip() + extra + ">"
    return _IMG.sub(add, html)


def formulas_name(dest_uri: str) -> str:
    folder, name = posixpath.split(dest_uri)
    stem = "" if name == "index.html" else posixpath.splitext(name)[0] + "."
    return posixpath.join(folder, f"{stem}formules.js")


def on_post_page(output: str, page, config) -> str:
    match = _ARTICLE.search(output)
    if not match:
        return output
    page_dir = Path(config["site_dir"]) / posixpath.dirname(page.file.dest_uri)
    body = sized_images(match.group(2), page_dir)
    drawings: list[str] = []
    if len(body.encode()) > EAGER_BYTES:
        # A byte offset in the UTF-8 text, back to a character offset.
        first = len(body.encode()[:EAGER_BYTES].decode("utf-8", errors="ignore"))
        try:
            body = wrap_sections(body, first)
            body, drawings = lazy_math(body, first)
        except ValueError as err:  # unexpected markup: the page stays as it is
            log.warning("%s : sections différées non appliquées (%s)", page.file.src_uri, err)
            body, drawings = sized_images(match.group(2), page_dir), []
    output = output[:match.start(2)] + body + output[match.end(2):]
    if drawings:
        target = formulas_name(page.file.dest_uri)
        file = Path(config["site_dir"]) / target
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text("fidleLazyMath(" + json.dumps(drawings, ensure_ascii=False,
                                                     separators=(",", ":")) + ");\n",
                        encoding="utf-8")
        script = (f'<script defer src="{get_relative_url(SCRIPT, page.file.dest_uri)}" '
                  f'data-formulas="{posixpath.basename(target)}"></script>')
        output = output.replace("</body>", script + "</body>", 1)
    return output
