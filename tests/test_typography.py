"""French typography of the pages: a no-break space (U+00A0, or the narrow U+202F)
before « : ; ! ? », inside « », and before « % », wherever the reader sees prose. Code,
math, URLs, markers and Markdown or Mermaid syntax are left out of the scan."""

from __future__ import annotations

import re

import pytest

from support import ROOT

DOCS = ROOT / "docs"
# What is not prose, on one line: code, math, markers, link targets, URLs, HTML tags and
# comments, attribute lists, a footnote label, a definition's colon, a block's keyword.
_NOT_PROSE = re.compile(
    r"`[^`]*`|\$[^$]+\$|\{\{.*?\}\}|\]\([^)]*\)|<[^>]*>|https?://\S+|\{[#:.][^}]*\}"
    r"|^\s*\[\^[^\]]+\]:|^\s*:(?=\s)|^\s*(?:!!!|\?\?\?\+?|===)\s*[\w-]*")
_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]+$")
_FAULTS = ((re.compile(r" [:;!?]"), "espace ordinaire avant « : ; ! ? »"),
           (re.compile(r"« | »"), "espace ordinaire dans « »"),
           (re.compile(r" %"), "espace ordinaire avant « % »"))


def prose(text: str):
    """(line number, line with its non-prose parts blanked out) for each line of a page
    that can hold prose: in a Mermaid diagram, only the quoted labels."""
    fence, math = None, False
    lines = text.split("\n")
    start = lines.index("---", 1) + 1 if lines and lines[0] == "---" else 0
    for number, line in enumerate(lines[start:], start + 1):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            fence = None if fence else (stripped.strip("`~").split() or [""])[0]
            continue
        if stripped == "$$" or (fence is None and stripped.startswith("$$")
                                and not stripped.endswith("$$")):
            math = not math
            continue
        if math or stripped.startswith("$$") or _TABLE_RULE.match(line):
            continue
        if fence == "mermaid":
            yield number, "\x00".join(re.findall(r'"([^"]*)"', line))
        elif fence in (None, "quiz"):
            yield number, _NOT_PROSE.sub("\x00", line)


def faults(text: str) -> list[str]:
    return [f"ligne {n} : {why} : {line.strip()[:80]}"
            for n, line in prose(text) for pattern, why in _FAULTS if pattern.search(line)]


PAGES = sorted(p for p in DOCS.rglob("*.md") if "assets" not in p.parts)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_pages_use_no_break_spaces(page):
    assert faults(page.read_text(encoding="utf-8")) == []


def test_the_scanner_flags_bad_lines_and_accepts_good_ones():
    nb, nnb = "\u00a0", "\u202f"
    bad = ["Une question ?", "Le mot « lot » ici.", "Une perte : 0,3.", "soit 97 %.",
           "Après `code` ; ensuite", '```mermaid\n  A["Exemples : ici"]\n```']
    good = [f"Une question{nb}?", f"Le mot «{nb}lot{nb}» ici.", f"Une perte{nb}: 0,3.",
            f"soit 97{nnb}%.", f"Après `code`{nb}; ensuite", "Du code `a ? b : c` ici",
            "$$\nx : y\n$$", "```python\nd = {1 : 2}\n```", "[^note]: Source.",
            ":   Définition.", '!!! note "Titre"', "| --- | :---: |", "Un lien (https://a.b/?q)",
            '```mermaid\ntimeline\n    Premier hiver : 1969, Perceptrons\n```',
            "---\ntitle: Page\n---\nTexte."]
    assert all(faults(line) for line in bad), [b for b in bad if not faults(b)]
    assert not any(faults(line) for line in good), [g for g in good if faults(g)]
