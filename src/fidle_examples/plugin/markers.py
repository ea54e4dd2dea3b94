"""Finding `{{ fidle:KIND NAME[/ITEM] }}` markers in Markdown, outside code and comments.

Markers inside fenced code blocks, inline code or HTML comments are left alone, so a
page can show the syntax. A ```quiz fence is page text, not code (plugin/quiz.py): its
markers are replaced, so that a numeric answer can come from a run. Anything that starts
like a marker but is not a valid one is reported (with its line) rather than silently
printed on the page.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Callable, Iterator

# kind -> True when the kind needs NAME/ITEM, False when it takes NAME alone.
KINDS = {"results": False, "figure": True, "metrics": False, "metric": True,
         "config": True, "provenance": False, "range": True, "claim": True,
         "explorer": False, "index": False}
# Kinds that become a block of HTML: they must stand alone on their line.
BLOCK_KINDS = frozenset({"results", "figure", "metrics", "provenance", "claim", "explorer",
                         "index"})
# Kinds whose NAME is not an example: {{ fidle:index exemples }} lists the registry.
INDEX_NAMES = ("exemples", "questions", "carnets")

MARK = "fidle:"  # every marker contains it: a text without it has none
_CANDIDATE = re.compile(r"\{\{\s*fidle:(?P<body>.*?)\}\}")
_FENCE = re.compile(r"^[ \t]*(?:[-*+][ \t]+|\d+[.)][ \t]+|>[ \t]?)*(?P<fence>`{3,}|~{3,})")
_FENCE_END = re.compile(r"^[ \t]*(?:>[ \t]?)*(?P<fence>`{3,}|~{3,})[ \t]*$")
_QUIZ_INFO = re.compile(r"[ \t]*quiz(?![\w-])")
_TICKS_OR_COMMENT = re.compile(r"<!--|`+")
_NAME = r"[a-z0-9][a-z0-9_-]*"
_ARGUMENT = re.compile(rf"^(?P<name>{_NAME})(?:/(?P<item>[A-Za-z0-9_][A-Za-z0-9_-]*))?$")


class MarkerError(ValueError):
    """A malformed marker; `line` is 1-based in the text that was parsed."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Marker:
    kind: str
    name: str  # registry name of the example
    item: str | None  # figure, metric or config field
    line: int  # 1-based
    text: str  # the marker as written
    indent: str  # the whitespace before it (block kinds, which stand alone on their line)
    quiz: bool = False  # inside a ```quiz fence (replace() says so)

    @property
    def target(self) -> str:
        return f"{self.name}/{self.item}" if self.item else self.name


def _parse(match: re.Match, line_no: int, line: str) -> Marker:
    text = match.group(0)
    kind, _, argument = match.group("body").strip().partition(" ")
    argument = argument.strip()
    if kind not in KINDS:
        raise MarkerError(line_no, f"type de marqueur inconnu « fidle:{kind} » dans « {text} ». "
                                   f"Types possibles : {', '.join(KINDS)}.")
    parsed = _ARGUMENT.match(argument)
    wants_item = KINDS[kind]
    if not parsed or bool(parsed.group("item")) != wants_item:
        form = "NOM/ÉLÉMENT" if wants_item else "NOM"
        raise MarkerError(line_no, f"marqueur mal formé « {text} » : la forme attendue est "
                                   f"« {{{{ fidle:{kind} {form} }}}} ».")
    before, after = line[: match.start()], line[match.end():]
    alone = not before.strip() and not after.strip()
    if kind in BLOCK_KINDS and not alone:
        raise MarkerError(line_no, f"le marqueur « {text} » produit un bloc (figure, tableau "
                                   "ou encadré) : il doit être seul sur sa ligne.")
    return Marker(kind, parsed.group("name"), parsed.group("item"), line_no, text,
                  before if alone else "")


def _hidden_spans(line: str, in_comment: bool) -> tuple[list[tuple[int, int]], bool]:
    """Spans of `line` that are inline code or HTML comment; and whether a comment
    is still open at the end of the line."""
    spans, pos = [], 0
    while pos < len(line):
        if in_comment:
            end = line.find("-->", pos)
            stop = len(line) if end < 0 else end + 3
            spans.append((pos, stop))
            in_comment, pos = end < 0, stop
            continue
        found = _TICKS_OR_COMMENT.search(line, pos)
        if not found:
            break
        if found.group() == "<!--":
            in_comment, pos = True, found.start()
            continue
        ticks = len(found.group())
        close = re.compile(rf"(?<!`)`{{{ticks}}}(?!`)").search(line, found.end())
        if close:
            spans.append((found.start(), close.end()))
            pos = close.end()
        else:
            pos = found.end()  # a lone backtick run is literal text
    return spans, in_comment


def _visible(line: str, spans: list[tuple[int, int]]) -> str:
    """`line` with code and comments blanked out (same length, so offsets still hold)."""
    chars = list(line)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _scan(text: str) -> Iterator[tuple[int, str, list[re.Match], bool]]:
    """(line number, line, marker matches on it, whether it is code) for each line."""
    fence: str | None = None
    quiz = False  # the open fence is a quiz: its lines are scanned, as code for the rest
    in_comment = False
    for number, line in enumerate(text.split("\n"), 1):
        if fence:
            closing = _FENCE_END.match(line)
            if closing and closing.group("fence").startswith(fence):
                fence = None
            elif quiz and "{{" in line:
                spans, _ = _hidden_spans(line, False)
                yield number, line, list(_CANDIDATE.finditer(_visible(line, spans))), True
                continue
            yield number, line, [], True
            continue
        opening = None if in_comment else _FENCE.match(line)
        if opening:
            fence = opening.group("fence")
            quiz = bool(_QUIZ_INFO.match(line, opening.end()))
            yield number, line, [], True
            continue
        if not in_comment and "{{" not in line and "<!--" not in line:
            yield number, line, [], False  # the common case, kept cheap
            continue
        spans, in_comment = _hidden_spans(line, in_comment)
        yield number, line, list(_CANDIDATE.finditer(_visible(line, spans))), False


def scan(text: str) -> tuple[list[Marker], list[MarkerError]]:
    """All markers of `text`, and the errors of the malformed ones."""
    found, errors = [], []
    if MARK not in text:
        return found, errors
    for number, line, matches, _ in _scan(text):
        for match in matches:
            try:
                found.append(_parse(match, number, line))
            except MarkerError as error:
                errors.append(error)
    return found, errors


def find(text: str) -> list[Marker]:
    """All markers of `text`; raises the MarkerError of the first malformed one."""
    found, errors = scan(text)
    if errors:
        raise errors[0]
    return found


def quiz_fences(text: str) -> Iterator[tuple[int, str]]:
    """(line of the opening fence, 1-based; its content, dedented) of each ```quiz fence,
    so that the quizzes can be read before any training (plugin/__init__.py)."""
    if "quiz" not in text:
        return
    lines = text.split("\n")
    fence, start, indent = None, 0, ""
    for number, line in enumerate(lines, 1):
        if fence is None:
            opening = _FENCE.match(line)
            if opening and _QUIZ_INFO.match(line, opening.end()):
                fence, start = opening.group("fence"), number
                indent = line[: len(line) - len(line.lstrip())]
            elif opening:
                fence, start = opening.group("fence"), -number  # another fence: skipped
            continue
        closing = _FENCE_END.match(line)
        if closing and closing.group("fence").startswith(fence):
            if start > 0:
                body = lines[start:number - 1]
                yield start, "\n".join(part[len(indent):] if part.startswith(indent)
                                       else part.lstrip() for part in body)
            fence = None


def insert_after_title(text: str, block: str) -> str:
    """`text` with `block` after its first level-1 heading (or at the top if none)."""
    lines = text.split("\n")
    at = next((number for number, line, _, code in _scan(text)
               if not code and re.match(r"^# \S", line)), 0)
    return "\n".join(lines[:at] + ["", block, ""] + lines[at:])


def replace(text: str, render: Callable[[Marker], str]) -> str:
    """`text` with each marker replaced by render(marker). A block is indented like its
    marker and separated by blank lines, so it also works inside lists and admonitions."""
    out: list[str] = []
    for number, line, matches, code in _scan(text):
        if not matches:
            out.append(line)
            continue
        pieces, pos = [], 0
        for match in matches:
            marker = _parse(match, number, line)
            if code:  # the only code lines with markers are a quiz's
                marker = dataclasses.replace(marker, quiz=True)
            rendered = render(marker)
            if marker.kind in BLOCK_KINDS:
                body = "\n".join(marker.indent + part if part else ""
                                 for part in rendered.split("\n"))
                rendered = f"\n{body}\n"
                pieces.append(rendered)
                pos = len(line)
                break
            pieces.append(line[pos: match.start()] + rendered)
            pos = match.end()
        out.append("".join(pieces) + line[pos:])
    return "\n".join(out)
