"""The sentences of the course that state an outcome, and what backs each one.

A sentence states an outcome when it compares (« plus … que », « mieux », « dépasse »),
describes a trend (« augmente », « diminue », « se creuse »), generalises (« toujours »,
« jamais », « chaque graine »), gives a duration (« 12 s », « quelques secondes ») or
says that something converges or diverges. Each one should be backed:

- by a claim: a `{{ fidle:claim NAME/KEY }}` marker right after its paragraph (the
  tests check every claim on every reference seed; a live run that contradicts it
  shows a warning on the page);
- by a marker: a `{{ fidle:metric … }}` or `{{ fidle:range … }}` in the sentence,
  the number the reader can check, or an explorer (`{{ fidle:explorer NAME }}`) right
  after its paragraph or list, whose states are the runs it describes;
- by a source: a footnote (`[^…]`), a link to another site, or a link to the section
  of a chapter or question page that derives it (general knowledge, not a result of
  our runs), in the sentence or in its paragraph;
- or by an entry of ALLOWED below, which says why it needs none.

    python -m fidle_examples.plugin.outcomes            # example and question pages
    python -m fidle_examples.plugin.outcomes --tout     # every sentence, backed or not
    python -m fidle_examples.plugin.outcomes docs/cours/svm.md

The report is in French; the exit status is 1 when a sentence of an example or question
page is unbacked (tests/test_outcomes.py keeps that count at zero).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

CHECKED = ("exemples", "questions")  # folders of docs/ whose count must stay at zero
SECTIONS = ("exemples", "questions", "cours")

# (page under docs/, beginning of the sentence, why it needs no claim, marker or source)
ALLOWED: tuple[tuple[str, str, str], ...] = (
    ("exemples/descente-de-gradient.md", "Si $a$ ou $b$ dépasse un million",
     "décrit la garde contre la divergence du code montré juste en dessous, pas un résultat"),
    ("exemples/descente-de-gradient.md", "Celles qui ont divergé sont notées",
     "décrit ce que fait le code montré juste en dessous, pas un résultat"),
    ("exemples/regression-lineaire.md", "Montrez que la MSE de la droite estimée",
     "énoncé d'un exercice de démonstration, que la réponse démontre (l'affirmation "
     "linear-regression/estimate_fits_its_points_best le vérifie aussi)"),
    ("exemples/regression-polynomiale.md", "**Réponse.** Un polynôme de degré 30 a 31",
     "calcul sur la configuration\u00a0; le refus de ce réglage est testé (tests/test_config.py)"),
    ("questions/surapprentissage.md", "Après 30 époques, la perte d'entraînement vaut 0,02",
     "énoncé d'un exercice, des courbes imaginaires données au lecteur pour qu'il les lise"),
)

_PATTERNS = {
    "comparaison": re.compile(
        r"\b(?:plus|moins)\b[^.;:]{0,60}?\b(?:que|qu')|\b(?:mieux|meilleure?s?|pires?)\b"
        r"[^.;:]{0,25}?\b(?:que|qu')"
        r"|\bfait (?:nettement |bien )?mieux\b|\bdépass\w*|\bl'emporte\w*|\bbat\b"
        r"|\bbattent\b|\bsurpasse\w*", re.I),
    "tendance": re.compile(
        r"\b(?:augment(?!ation de données)|diminu|baiss|remont|croî|croiss|décroî|grandi|chut"
        r"|se creus|s'effondr|stagn|plafonn|s'envol|explos|s'aggrav|s'amélior|recul"
        r"|se stabilis)(?!er\b)\w*",  # not the infinitive: « il faut augmenter » advises
        re.I),
    "généralité": re.compile(
        r"\b(?:toujours|jamais|systématiquement|chaque graine|toutes les graines"
        r"|sur les \S+ graines|quelle que soit|quel que soit|à coup sûr|tout finit)\b", re.I),
    "durée": re.compile(
        r"\b\d+(?:[,.]\d+)?[\s\u00a0\u202f]*(?:s|ms|secondes?|minutes?|min|heures?|h)\b"
        r"|\bquelques (?:secondes|minutes|heures)\b"
        r"|\b(?:plus|moins|aussi) (?:rapides?|lente?s?|vite)\b", re.I),
    "convergence": re.compile(r"\bconverg\w*|\bdiverg\w*", re.I),
}
_MARKER = re.compile(r"\{\{\s*fidle:(?P<kind>\w+)\s+(?P<target>[^\s}]+)\s*\}\}")
_CLAIM_LINE = re.compile(
    r"^\s*\{\{\s*fidle:(?P<kind>claim|explorer)\s+(?P<target>[^\s}]+)\s*\}\}\s*$")
_BLOCK_MARKER_LINE = re.compile(r"^\s*\{\{\s*fidle:\w+\s+[^\s}]+\s*\}\}\s*$")
_FENCE = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+)?(`{3,}|~{3,})")
_SOURCE = re.compile(r"\[\^[^\]]+\]|\]\(https?://")
_SECTION_LINK = re.compile(r"\]\((?P<target>[^)#\s]*\.md)#[^)\s]+\)")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_HEADING = re.compile(r"^\s*#{1,6}\s")
_ADMONITION = re.compile(r"^\s*(?:!!!|\?\?\?\+?)\s")
_TABLE = re.compile(r"^\s*\|")
_SPLIT = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-ÖØ-Þ«(*\[{])")
_CODE_SPAN = re.compile(r"`[^`]*`")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


@dataclass
class Sentence:
    page: str  # under docs/
    line: int  # 1-based, where the sentence begins
    text: str
    kinds: tuple[str, ...]  # what makes it an outcome: comparaison, tendance…
    backing: str  # "" when unbacked; else how: « affirmation nom/clé », « marqueur … »

    @property
    def backed(self) -> bool:
        return bool(self.backing)


def _blocks(text: str) -> list[tuple[int, list[str], list[str]]]:
    """(first line, lines, claims right after) of each paragraph or list item of prose.
    A claim marker backs the paragraph right above it, or every item of the list right
    above it (the items written without a blank line between them)."""
    lines = text.split("\n")
    blocks: list[tuple[int, list[str], list[str]]] = []
    current: list[str] = []
    start, fence, run_start, gap = 0, None, 0, True
    in_front = lines[:1] == ["---"]

    def close():
        nonlocal current
        if current:
            blocks.append((start, current, []))
        current = []

    for number, line in enumerate(lines, 1):
        if in_front:
            in_front = not (number > 1 and line.strip() == "---")
            continue
        if fence:
            if line.strip().startswith(fence):
                fence = None
            continue
        opening = _FENCE.match(line)
        if opening:
            close()
            fence, gap = opening.group(1), True
            continue
        claim = _CLAIM_LINE.match(line)
        if claim:
            close()
            for block in blocks[run_start:]:
                block[2].append(f"{claim['kind']} {claim['target']}")
            continue
        if (not line.strip() or _HEADING.match(line) or _TABLE.match(line)
                or _BLOCK_MARKER_LINE.match(line) or _ADMONITION.match(line)
                or line.strip().startswith("--8<--")):
            close()
            gap = True
            continue
        if _ITEM.match(line):
            close()
            line = _ITEM.sub("", line, count=1)
        if not current:
            start = number
            if gap:
                run_start, gap = len(blocks), False
        current.append(line.strip())
    close()
    return blocks


def _clean(sentence: str) -> str:
    """The sentence without markers, code or links, to look for outcome words."""
    sentence = _MARKER.sub(" N ", sentence)
    sentence = _CODE_SPAN.sub(" ", sentence)
    sentence = re.sub(r"\]\([^)]*\)", "]", sentence)
    return re.sub(r"\$[^$]*\$", " ", sentence)


def _allowed(page: str, text: str) -> str | None:
    for where, beginning, reason in ALLOWED:
        if where == page and text.startswith(beginning):
            return reason
    return None


def scan_page(page: str, text: str) -> list[Sentence]:
    """The outcome sentences of one page (`page`: its path under docs/)."""
    found = []
    text = _COMMENT.sub(lambda m: "\n" * m.group().count("\n"), text)
    for start, lines, claims in _blocks(text):
        joined = " ".join(lines)
        offsets, position = [], 0
        for index, line in enumerate(lines):
            offsets.append((position, start + index))
            position += len(line) + 1
        pos = 0
        for sentence in _SPLIT.split(joined):
            at = joined.find(sentence, pos)
            pos = at + len(sentence)
            line = max((ln for off, ln in offsets if off <= at), default=start)
            cleaned = _clean(sentence)
            if cleaned.rstrip(" *_»").endswith("?") or sentence.lstrip().startswith("$$"):
                continue  # a question asks, a formula derives: neither reports a run
            kinds = tuple(kind for kind, pattern in _PATTERNS.items()
                          if pattern.search(cleaned))
            if not kinds:
                continue
            found.append(Sentence(page, line, sentence, kinds,
                                  _backing(page, sentence, claims, joined)))
    return found


def _explains(page: str, target: str) -> bool:
    """Whether a link from `page` to `target` leads to a chapter or question page (where
    the course derives what it states), not to an example page."""
    folder = page.rsplit("/", 1)[0]
    parts = [part for part in f"{folder}/{target}".split("/") if part not in (".", "")]
    resolved: list[str] = []
    for part in parts:
        if part == "..":
            resolved = resolved[:-1]
        else:
            resolved.append(part)
    return len(resolved) == 2 and resolved[0] in ("cours", "questions")


def _sourced(page: str, text: str) -> bool:
    """A footnote, another site, or a section of a chapter or question page (on those
    pages, a section of the page itself: « voir [plus haut](#arret-precoce) »)."""
    if _SOURCE.search(text) or any(_explains(page, m["target"])
                                   for m in _SECTION_LINK.finditer(text)):
        return True
    return page.split("/")[0] in ("cours", "questions") and "](#" in text


def _backing(page: str, sentence: str, claims: list[str], paragraph: str = "") -> str:
    checked = [c.split(" ", 1)[1] for c in claims if c.startswith("claim ")]
    if checked:
        return "affirmation " + ", ".join(checked)
    shown = [c.split(" ", 1)[1] for c in claims if c.startswith("explorer ")]
    if shown:  # the states it describes are real runs, shown right below
        return "explorateur " + ", ".join(shown)
    numbers = [m["target"] for m in _MARKER.finditer(sentence)
               if m["kind"] in ("metric", "range")]
    if numbers:
        return "marqueur " + ", ".join(numbers)
    if _sourced(page, sentence):
        return "source"
    if paragraph and _sourced(page, paragraph):
        return "source du paragraphe"
    reason = _allowed(page, sentence)
    if reason:
        return f"exception : {reason}"
    return ""


def scan(docs: Path, sections: tuple[str, ...] = SECTIONS) -> list[Sentence]:
    """The outcome sentences of the pages of `sections` under `docs`."""
    found = []
    for section in sections:
        for path in sorted((docs / section).glob("*.md")):
            page = path.relative_to(docs).as_posix()
            found += scan_page(page, path.read_text(encoding="utf-8"))
    return found


def unbacked(sentences: list[Sentence], sections: tuple[str, ...] = CHECKED) -> list[Sentence]:
    return [s for s in sentences if not s.backed and s.page.split("/")[0] in sections]


def report(sentences: list[Sentence], everything: bool = False) -> str:
    """The French report: counts per section, then the sentences (unbacked ones only,
    unless `everything`)."""
    out = ["Phrases qui énoncent un résultat", ""]
    out.append("| Section | Phrases | Étayées | Non étayées |")
    out.append("| --- | --- | --- | --- |")
    for section in dict.fromkeys(s.page.split("/")[0] for s in sentences):
        mine = [s for s in sentences if s.page.startswith(section + "/")]
        backed = sum(s.backed for s in mine)
        out.append(f"| {section} | {len(mine)} | {backed} | {len(mine) - backed} |")
    out.append("")
    for sentence in sentences:
        if sentence.backed and not everything:
            continue
        state = sentence.backing or "NON ÉTAYÉE"
        text = re.sub(r"\s+", " ", sentence.text)
        text = text if len(text) <= 160 else text[:157] + "…"
        out.append(f"- {sentence.page}:{sentence.line} ({', '.join(sentence.kinds)}) "
                   f"[{state}] {text}")
    return "\n".join(out)


BEGIN = "<!-- début : phrases de résultat (python -m fidle_examples.plugin.outcomes --ecrire) -->"
END = "<!-- fin : phrases de résultat -->"


def contributors_block(sentences: list[Sentence]) -> str:
    """The counts and the unbacked sentences, as docs/contribuer.md shows them (the list
    in a text block, so that the markers some sentences hold stay as written)."""
    report_text = report(sentences)
    head, _, rest = report_text.partition("\n\n")
    table, _, listing_text = rest.partition("\n\n")
    lines = [BEGIN, "", table, ""]
    listing = [line for line in listing_text.split("\n") if line.strip()]
    if listing:
        lines += [f'??? note "Les {len(listing)} phrases sans affirmation, marqueur ni source"', "", "    ```text"]
        # No line numbers: an edit elsewhere in a chapter must not make the list stale.
        lines += ["    " + re.sub(r"^- ([^:]+):\d+ ", r"\1 ", line).replace(" [NON ÉTAYÉE]", "")
                  for line in listing] + ["    ```", ""]
    lines += ["Exceptions acceptées (`ALLOWED`, dans `plugin/outcomes.py`)\u00a0:", ""]
    lines += [f"- `{page}`, «\u00a0{beginning}\u00a0»\u00a0: {reason}."
              for page, beginning, reason in ALLOWED]
    return "\n".join(lines + ["", END])


def write_block(path: Path, sentences: list[Sentence]) -> None:
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    path.write_text(text[:start] + contributors_block(sentences) + text[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fidle_examples.plugin.outcomes",
        description="Liste les phrases des pages qui énoncent un résultat et ce qui les étaie.")
    parser.add_argument("pages", nargs="*", help="pages à lire (défaut : exemples, "
                                                 "questions et chapitres du cours)")
    parser.add_argument("--docs", default="docs", help="dossier des pages (défaut : docs)")
    parser.add_argument("--tout", action="store_true",
                        help="montrer aussi les phrases étayées, avec ce qui les étaie")
    parser.add_argument("--ecrire", metavar="PAGE",
                        help="remplacer la liste de PAGE (docs/contribuer.md) par celle-ci")
    args = parser.parse_args(argv)
    docs = Path(args.docs)
    if args.pages:
        sentences = []
        for name in args.pages:
            path = Path(name)
            page = path.resolve().relative_to(docs.resolve()).as_posix()
            sentences += scan_page(page, path.read_text(encoding="utf-8"))
    else:
        sentences = scan(docs)
    if args.ecrire:
        write_block(Path(args.ecrire), sentences)
    print(report(sentences, args.tout))
    missing = unbacked(sentences)
    print(f"\n{len(missing)} phrase(s) non étayée(s) sur les pages d'exemples et de questions.")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
