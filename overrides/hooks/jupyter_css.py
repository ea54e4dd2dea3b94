"""MkDocs hook: the notebook pages' style sheet keeps only the rules they can use.

notebook_pages.py turns the JupyterLab style sheet that mkdocs-jupyter inlines
into one shared file, assets/stylesheets/jupyter.css: 585 kB, most of it for
JupyterLab's own interface (menus, dialogs, file browser...). A notebook page
must download it before its first paint. After the build, this hook drops the
style rules whose selectors name a class that no page using the sheet holds
(classes are written in the HTML: the notebook pages run no script that adds
JupyterLab classes). It keeps, to stay safe, every rule it cannot judge: at-rules
other than @media and @supports, selectors with :is(), :where() or :has(),
and whatever sits inside :not(). Then it drops the custom properties (--jp-...)
that no kept rule and no inline style reads, directly or through another one:
most of what is left are JupyterLab's icons, as data URIs.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.jupyter_css")

STYLESHEET = "assets/stylesheets/jupyter.css"  # as notebook_pages.STYLESHEET

_CLASS_ATTR = re.compile(r'\bclass="([^"]*)"')
_CLASS_IN_SELECTOR = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_NOT = re.compile(r":not\((?:[^()]|\([^()]*\))*\)")
_UNJUDGED = re.compile(r":(?:is|where|has|host|matches|-\w+-any)\(")
_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def _blocks(css: str):
    """Top-level (prelude, body or None) pairs: body is the text between the
    braces of a block, None for a statement ending with « ; »."""
    i, n, start = 0, len(css), 0
    while i < n:
        char = css[i]
        if char in "\"'":
            i = css.index(char, i + 1) + 1
            continue
        if char == ";" and css[start:i].lstrip().startswith("@"):
            yield css[start:i + 1].strip(), None
            start = i = i + 1
            continue
        if char == "{":
            depth, j = 1, i + 1
            while depth:
                if css[j] in "\"'":
                    j = css.index(css[j], j + 1)
                elif css[j] == "{":
                    depth += 1
                elif css[j] == "}":
                    depth -= 1
                j += 1
            yield css[start:i].strip(), css[i + 1:j - 1]
            start = i = j
            continue
        i += 1


def _split_selectors(prelude: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in prelude:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _may_match(selector: str, classes: set[str]) -> bool:
    if _UNJUDGED.search(selector):
        return True
    needed = _CLASS_IN_SELECTOR.findall(_NOT.sub("", selector))
    return all(name in classes for name in needed)


def _split_declarations(body: str) -> list[str]:
    """« a: b; c: url(data:...;base64,...) » -> the declarations (« ; » in
    parentheses or strings does not split)."""
    parts, depth, quote, current = [], 0, "", []
    for char in body:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == ";" and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _rules(css: str, classes: set[str]) -> list:
    """[(prelude, declarations list | nested rules | None)] that may apply."""
    out = []
    for prelude, body in _blocks(_COMMENT.sub("", css)):
        if body is None:
            out.append((prelude, None))
        elif prelude.startswith(("@media", "@supports")):
            inner = _rules(body, classes)
            if inner:
                out.append((prelude, inner))
        elif prelude.startswith("@"):
            out.append((prelude, body))  # kept verbatim (@font-face, @keyframes...)
        else:
            kept = [s for s in _split_selectors(prelude) if _may_match(s, classes)]
            if kept:
                out.append((",".join(kept), _split_declarations(body)))
    return out


def _declarations(rules: list):
    for prelude, body in rules:
        if isinstance(body, list) and body and isinstance(body[0], tuple):
            yield from _declarations(body)
        elif isinstance(body, list):
            yield from body
        elif isinstance(body, str):
            yield body


_VAR = re.compile(r"var\(\s*(--[\w-]+)")
_CUSTOM = re.compile(r"^(--[\w-]+)\s*:")


def _used_properties(rules: list, html: str) -> set[str]:
    """Custom properties that a kept rule or the pages' inline styles read,
    directly or through another custom property."""
    values: dict[str, list[str]] = {}
    used = set(_VAR.findall(html))
    for declaration in _declarations(rules):
        custom = _CUSTOM.match(declaration)
        if custom:
            values.setdefault(custom[1], []).append(declaration)
        else:
            used.update(_VAR.findall(declaration))
    pending = list(used)
    while pending:
        for value in values.get(pending.pop(), []):
            for name in _VAR.findall(value):
                if name not in used:
                    used.add(name)
                    pending.append(name)
    return used


def _write(rules: list, used: set[str]) -> list[str]:
    out = []
    for prelude, body in rules:
        if body is None:
            out.append(prelude)
        elif isinstance(body, str):
            out.append(f"{prelude}{{{body}}}")
        elif body and isinstance(body[0], tuple):
            inner = _write(body, used)
            if inner:
                out.append(f"{prelude}{{{''.join(inner)}}}")
        else:
            kept = [d for d in body if not (_CUSTOM.match(d) and _CUSTOM.match(d)[1] not in used)]
            if kept:
                out.append(f"{prelude}{{{';'.join(kept)}}}")
    return out


def purge(css: str, classes: set[str], html: str = "") -> str:
    """The rules of css that may apply to elements with these classes, without
    the custom properties nothing reads (html: the pages, for inline styles)."""
    rules = _rules(css, classes)
    return "\n".join(_write(rules, _used_properties(rules, html)))


def on_post_build(config) -> None:
    site = Path(config["site_dir"])
    sheet = site / STYLESHEET
    if not sheet.is_file():
        return
    classes: set[str] = set()
    pages = []
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if "jupyter.css" in text:
            pages.append(text)
            for attr in _CLASS_ATTR.findall(text):
                classes.update(attr.split())
    if not pages:
        return
    css = sheet.read_text(encoding="utf-8")
    kept = purge(css, classes, "\n".join(pages))
    sheet.write_text(kept + "\n", encoding="utf-8")
    log.info("jupyter.css : %d ko gardés sur %d (règles utiles aux %d pages de carnets).",
             len(kept) // 1000, len(css) // 1000, len(pages))
