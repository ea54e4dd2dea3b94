"""Explanations for an example's notebook, taken from the site page that shows its code.

For each snippet section the page includes, the notebook takes the prose right before
the include: back to the previous heading (kept) or code block, and no further than
the paragraph that opens with a bold label ("**Les données.** ..."), the course's way
of introducing a snippet. MkDocs-only syntax becomes Markdown that Jupyter renders:
admonitions become block quotes, content tabs bold titles, result markers what the
generator makes of them (the variable `EPOCHS`, `metrics["test_mae"]`); attribute
lists, footnote references, abbreviation definitions and comments go. Relative links are rewritten relative to the
notebook (docs/carnets/): on the site, overrides/hooks/notebook_pages.py turns them
into page URLs.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Callable

from fidle_examples.plugin import markers

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})")
_HEADING = re.compile(r"^(?P<level>#{1,6})[ \t]+(?P<text>.+?)[ \t]*$")
_CONTAINER = re.compile(r"^(?P<indent>[ \t]*)(?P<kind>!!!|\?\?\?\+?|===)[ \t]*(?P<rest>.*)$")
_INCLUDE = r'^[ \t]*--8<--[ \t]+"{file}:(?P<section>[\w-]+)"'
_BOLD_LABEL = re.compile(r"^\*\*[^*]+\*\*")
_LINK = re.compile(r"(?P<bang>!?)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)(?P<title>\s+\"[^\"]*\")?\)")
_ATTR_TOKEN = re.compile(r"""^(?:[#.][\w-]+|[\w-]+=(?:"[^"]*"|'[^']*'|[^\s"'}]+)|[\w-]+)$""")
_ATTR_LIST = re.compile(r"""[ \t]*\{:?[ \t]*((?:[^{}"']|"[^"]*"|'[^']*')*?)[ \t]*\}""")
_FOOTNOTE_REF = re.compile(r"\[\^[^\]]+\](?!:)")
_FOOTNOTE_DEF = re.compile(r"^\[\^[^\]]+\]:")
_ABBREVIATION = re.compile(r"^\*\[[^\]]+\]:")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_EMOJI = re.compile(r":(?:material|fontawesome|octicons|simple)-[\w-]+:")

# Material's default admonition titles, in French.
_TITLES = {"note": "Remarque", "abstract": "Résumé", "info": "Info", "tip": "Astuce",
           "success": "Réussite", "question": "Question", "warning": "Attention",
           "failure": "Échec", "danger": "Danger", "bug": "Bogue", "example": "Exemple",
           "quote": "Citation"}


@dataclass(frozen=True)
class Block:
    kind: str  # "text", "heading", "fence", "math" or "container"
    lines: tuple[str, ...]


def includes(page_text: str, folder: str) -> list[tuple[str, str]]:
    """(file name, section) of each snippet section of a module under `folder` (e.g.
    "src/fidle_examples/examples") the page includes, in page order, first time only."""
    pattern = re.compile(_INCLUDE.format(file=re.escape(folder) + r"/(?P<file>[\w.-]+\.py)"),
                         re.M)
    found: list[tuple[str, str]] = []
    for block in blocks(page_text):
        if block.kind == "fence":
            for match in pattern.finditer("\n".join(block.lines)):
                if (match["file"], match["section"]) not in found:
                    found.append((match["file"], match["section"]))
    return found


def title(page_text: str) -> str | None:
    """The page's level-1 heading, attribute list removed."""
    for block in blocks(page_text):
        if block.kind == "heading" and block.lines[0].startswith("# "):
            return _strip_attr_lists(block.lines[0][2:]).strip()
    return None


def blocks(text: str) -> list[Block]:
    """The top-level Markdown blocks of `text` (paragraphs and lists, headings, fenced
    code, display math, admonitions and tabs with their indented body)."""
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        start = i
        fence = _FENCE.match(line)
        if fence:
            mark = fence["fence"]
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(mark):
                i += 1
            out.append(Block("fence", tuple(lines[start:i + 1])))
            i += 1
        elif _HEADING.match(line):
            out.append(Block("heading", (line,)))
            i += 1
        elif line.strip() == "$$" or (line.lstrip().startswith("$$") and not
                                       line.rstrip().endswith("$$")):
            i += 1
            while i < len(lines) and not lines[i].rstrip().endswith("$$"):
                i += 1
            out.append(Block("math", tuple(lines[start:i + 1])))
            i += 1
        elif _CONTAINER.match(line) and not line[0].isspace():
            i += 1
            while i < len(lines) and (not lines[i].strip() or lines[i][:1].isspace()):
                i += 1
            out.append(Block("container", tuple(_trim(lines[start:i]))))
        else:
            i += 1
            while i < len(lines):
                if lines[i].strip():
                    i += 1
                    continue
                following = next((j for j in range(i, len(lines)) if lines[j].strip()), None)
                if following is None or not lines[following][:1].isspace():
                    break  # a blank line ends the paragraph, unless a list item goes on
                i = following
            out.append(Block("text", tuple(_trim(lines[start:i]))))
    return out


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def section_prose(page_text: str, source_file: str) -> dict[str, str]:
    """{section: the Markdown right before the page's first include of it}."""
    pattern = re.compile(_INCLUDE.format(file=re.escape(source_file)), re.M)
    found: dict[str, str] = {}
    page = blocks(page_text)
    for index, block in enumerate(page):
        if block.kind != "fence":
            continue
        match = pattern.search("\n".join(block.lines))
        if not match or match["section"] in found:
            continue
        picked: list[Block] = []
        for previous in reversed(page[:index]):
            if previous.kind == "fence":
                break
            if previous.kind == "heading":
                if not previous.lines[0].startswith("# "):
                    picked.insert(0, previous)
                break
            picked.insert(0, previous)
            if previous.kind == "text" and _BOLD_LABEL.match(previous.lines[0]):
                break
        found[match["section"]] = "\n\n".join("\n".join(b.lines) for b in picked)
    return found


def to_jupyter(markdown: str, page_uri: str, notebook_uri: str,
               render: Callable[[markers.Marker], str]) -> str:
    """`markdown` of the page `page_uri` (relative to docs/) as Markdown that Jupyter
    renders, for the notebook `notebook_uri`; render(marker) writes each result marker."""
    text = markers.replace(_COMMENT.sub("", markdown), render)
    lines = []
    skipping = False
    for line in text.split("\n"):
        if _FOOTNOTE_DEF.match(line) or _ABBREVIATION.match(line):
            skipping = True
            continue
        if skipping and (line[:1].isspace() and line.strip()):
            continue
        skipping = False
        lines.append(line)
    text = "\n".join(_containers(lines))
    text = _FOOTNOTE_REF.sub("", _EMOJI.sub("", text))
    text = _strip_attr_lists(text)
    text = _LINK.sub(lambda m: _relink(m, page_uri, notebook_uri), text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _containers(lines: list[str]) -> list[str]:
    """Admonitions and collapsible blocks as block quotes with a bold title; content
    tabs as a bold title over their content. Nested ones too."""
    out, i = [], 0
    while i < len(lines):
        match = _CONTAINER.match(lines[i])
        if not match:
            out.append(lines[i])
            i += 1
            continue
        indent, body_indent = match["indent"], match["indent"] + "    "
        i += 1
        body = []
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith(body_indent)):
            body.append(lines[i][len(body_indent):])
            i += 1
        body = _containers(_trim(body))
        heading = _container_title(match["kind"], match["rest"])
        if match["kind"] == "===":
            out += [f"{indent}**{heading}**", ""] + [f"{indent}{b}" if b else "" for b in body]
        else:
            quoted = ([f"**{heading}**", ""] if heading else []) + body
            out += [f"{indent}> {b}".rstrip() for b in quoted]
        out.append("")
    return out


def _container_title(kind: str, rest: str) -> str:
    quoted = re.search(r'"([^"]*)"', rest)
    if quoted:
        return quoted.group(1)
    if kind == "===":
        return rest.strip()
    words = rest.split()
    return _TITLES.get(words[0], words[0].capitalize()) if words else ""


def _strip_attr_lists(text: str) -> str:
    """Remove `{ #id .class key=value }` lists; braces that hold anything else (TeX)
    stay."""
    def replace(match: re.Match) -> str:
        tokens = re.findall(r"""(?:[^\s"']|"[^"]*"|'[^']*')+""", match.group(1))
        is_attr = tokens and all(_ATTR_TOKEN.match(t) for t in tokens) and any(
            t[0] in "#." or "=" in t for t in tokens)
        return "" if is_attr else match.group(0)
    return _ATTR_LIST.sub(replace, text)


def _relink(match: re.Match, page_uri: str, notebook_uri: str) -> str:
    target = match["target"]
    if re.match(r"^[a-z][a-z0-9+.-]*:|^/|^//", target, re.I):
        return match.group(0)  # another site, an e-mail, an absolute path
    path, _, anchor = target.partition("#")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page_uri), path)) \
        if path else page_uri
    relative = posixpath.relpath(resolved, posixpath.dirname(notebook_uri) or ".")
    new = relative + (f"#{anchor}" if anchor else "")
    return f"{match['bang']}[{match['text']}]({new}{match['title'] or ''})"
