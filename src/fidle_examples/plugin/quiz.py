"""Self-check quizzes written in a page: the ```quiz fence of pymdownx.superfences.

    ```quiz
    Si l'on double le taux d'apprentissage, que devient le pas ?
    - [x] Il double aussi.
        Le pas vaut $\\eta \\nabla L$ : il est proportionnel à $\\eta$.
    - [ ] Il ne change pas.
        Le gradient ne change pas, mais il est multiplié par $\\eta$.

    Combien de paramètres compte le réseau ?
    = {{ fidle:metric mnist/parameters }} ± 0
        Chaque couche dense a $n_{entrées} \\times n_{sorties}$ poids et $n_{sorties}$ biais.
    ```

A line at the margin is question text; `- [x]` / `- [ ]` a right / wrong choice
(several `[x]`: check boxes); `= VALUE ± TOLERANCE UNIT` a numeric answer, written the
French way (« 97,74 % », « 199 210 », « 1,2 × 10⁻³ »), as the page markers write it: they
are replaced before Markdown runs (markers.py scans quiz fences). Indented lines explain
the choice or answer above them. Text may hold inline Markdown and `$...$` formulas,
rendered by the page's own inline processors, so formulas come out as the arithmatex spans
that overrides/hooks/katex_prerender.py typesets. Everything is in the HTML, the answers in
a <details>: docs/assets/javascripts/quiz.js only adds checking and saved progress.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from html import escape
from typing import Callable

from markdown.serializers import to_html_string
from mkdocs.exceptions import PluginError
from pymdownx.superfences import SuperFencesException

from fidle_examples.core import frenchfmt

_SPACE = "[ \u00a0\u202f]"  # thousands separators: space, no-break space, narrow one
_SUPERSCRIPTS = str.maketrans("⁻⁺⁰¹²³⁴⁵⁶⁷⁸⁹", "-+0123456789")
_NUMBER = re.compile(
    rf"^(?P<sign>[-+\u2212])?{_SPACE}*(?P<int>\d{{1,3}}(?:{_SPACE}\d{{3}})+|\d+)"
    rf"(?:[,.](?P<frac>\d+))?"
    rf"(?:[eE](?P<e>[-+]?\d+)"
    rf"|{_SPACE}*[×x·]{_SPACE}*10(?:\^(?P<caret>[-+\u2212]?\d+)"
    rf"|<sup>(?P<sup>[-+\u2212]?\d+)</sup>|(?P<uni>[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)))?"
    rf"{_SPACE}*(?P<unit>%|[^\W\d_][^\d±]{{0,29}})?{_SPACE}*$")
_PLUS_MINUS = re.compile(r"±|\+/-|\+-")
_CHOICE = re.compile(r"^[-*+][ \t]+\[(?P<box>[ xX])\](?:[ \t]+(?P<text>.*))?$")
_LIST_ITEM = re.compile(r"^[-*+][ \t]")
_MD_LINK = re.compile(r"\]\(\s*(?P<target>[^)\s]*\.md(?:#[^)\s]*)?)\s*(?:\"[^\"]*\")?\)")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_MARKER = "{{"  # a marker left as is: the plugin is off (FIDLE_EXAMPLES_ENABLED=0)
_PENDING = ("La réponse vient d'un entraînement, qui n'a pas été fait pour cette "
            "construction du site.")


class QuizError(ValueError):
    """A quiz that cannot be read; `line` is 1-based in the fence's content."""

    def __init__(self, line: int, message: str):
        super().__init__(f"ligne {line} du quiz : {message}")
        self.line = line


class QuizBuildError(SuperFencesException, PluginError):
    """Stops the build with the message: superfences lets this class through (it
    swallows other errors and shows the fence as code), MkDocs prints PluginError."""


@dataclass
class Choice:
    text: str
    right: bool
    line: int
    explanation: str = ""


@dataclass
class Answer:
    """A numeric answer. value None: its marker was left as is (plugin off)."""
    text: str  # as written, after "="
    value: float | None
    tolerance: float
    tolerance_text: str
    unit: str
    line: int
    explanation: str = ""


@dataclass
class Question:
    text: str
    line: int
    choices: list[Choice]
    answer: Answer | None = None

    @property
    def kind(self) -> str:
        if self.answer:
            return "number"
        return "multiple" if sum(c.right for c in self.choices) > 1 else "single"


# --- reading --------------------------------------------------------------------------

def parse_number(text: str) -> tuple[float, str]:
    """« 97,74 % » -> (97.74, "%"); « 199 210 » -> (199210.0, ""); « 1,2 × 10⁻³ »,
    « 1 × 10<sup>−5</sup> » and « 1e-5 » too. ValueError when it is not a number."""
    match = _NUMBER.match(text.strip())
    if not match:
        raise ValueError(text)
    sign = "-" if match["sign"] in ("-", frenchfmt.MINUS) else ""
    digits = re.sub(_SPACE, "", match["int"])
    exponent = match["e"] or match["caret"] or match["sup"] or match["uni"] or "0"
    exponent = exponent.translate(_SUPERSCRIPTS).replace(frenchfmt.MINUS, "-")
    value = float(f"{sign}{digits}.{match['frac'] or '0'}e{exponent}")
    return value, (match["unit"] or "").strip()


def _parse_answer(text: str, line: int) -> Answer:
    if _MARKER in text:
        return Answer(text, None, 0.0, "", "", line)
    value_text, *rest = _PLUS_MINUS.split(text, maxsplit=1)
    example = "écrivez par exemple « = 97,7 ± 0,5 % » ou « = 199 210 »"
    if not value_text.strip():
        raise QuizError(line, f"la réponse numérique est vide : {example}.")
    try:
        value, unit = parse_number(value_text)
    except ValueError:
        raise QuizError(line, f"la réponse numérique « {value_text.strip()} » n'est pas un "
                              f"nombre : {example}.") from None
    tolerance, tolerance_text = 0.0, ""
    if rest:
        tolerance_text = rest[0].strip()
        try:
            tolerance, tolerance_unit = parse_number(tolerance_text)
        except ValueError:
            tolerance, tolerance_unit = -1.0, ""
        if tolerance < 0:
            raise QuizError(line, f"la tolérance « {tolerance_text} » n'est pas un nombre "
                                  f"positif ou nul : {example}.")
        if unit and tolerance_unit and unit != tolerance_unit:
            raise QuizError(line, f"la réponse est en « {unit} » mais la tolérance en "
                                  f"« {tolerance_unit} » : donnez la même unité, ou une seule.")
        unit = unit or tolerance_unit
        tolerance_text = tolerance_text.removesuffix(tolerance_unit).strip()
    return Answer(value_text.strip(), value, tolerance, tolerance_text, unit, line)


def _check_question(question: Question) -> None:
    where = f"la question « {_short(question.text)} »"
    if not question.choices and not question.answer:
        raise QuizError(question.line, f"{where} n'a ni choix (« - [x] … », « - [ ] … ») "
                                       "ni réponse numérique (« = … »).")
    if question.choices and len(question.choices) < 2:
        raise QuizError(question.line, f"{where} n'a qu'un choix : proposez-en au moins deux.")
    if question.choices and not any(c.right for c in question.choices):
        raise QuizError(question.line, f"{where} n'a pas de bonne réponse : cochez-en au "
                                       "moins une avec « - [x] ».")


def _short(text: str, words: int = 8) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def parse(source: str) -> list[Question]:
    """The questions of a quiz fence; QuizError (in French, with the line) when malformed."""
    questions: list[Question] = []
    last: Choice | Answer | None = None  # what an indented line explains
    after_blank = False  # question text goes on only on the next line, not after a blank
    for number, raw in enumerate(source.split("\n"), 1):
        line = raw.rstrip()
        if not line.strip():
            after_blank = True
            continue
        follows, after_blank = not after_blank, False
        link = _MD_LINK.search(line)
        if link:
            raise QuizError(number, f"le lien vers « {link['target']} » ne serait pas converti "
                                    "dans un quiz : placez-le dans le texte de la page, hors "
                                    "du quiz.")
        question = questions[-1] if questions else None
        if line[0] in " \t":
            if last is None:
                raise QuizError(number, "ligne en retrait inattendue : une explication se "
                                        "place sous un choix (« - [x] … ») ou sous une "
                                        "réponse (« = … »), en retrait.")
            last.explanation = f"{last.explanation}\n{line.strip()}".strip()
            continue
        choice = _CHOICE.match(line)
        if choice or _LIST_ITEM.match(line):
            if not choice or not (choice["text"] or "").strip():
                raise QuizError(number, f"choix mal formé « {line} » : écrivez "
                                        "« - [x] texte » pour une bonne réponse, "
                                        "« - [ ] texte » pour une mauvaise.")
            if question is None:
                raise QuizError(number, "un choix avant toute question : écrivez d'abord la "
                                        "question, à la marge.")
            if question.answer:
                raise QuizError(number, "une question a soit des choix, soit une réponse "
                                        "numérique, pas les deux.")
            last = Choice(choice["text"].strip(), choice["box"] != " ", number)
            question.choices.append(last)
        elif line.startswith("="):
            if question is None:
                raise QuizError(number, "une réponse avant toute question : écrivez d'abord la "
                                        "question, à la marge.")
            if question.choices or question.answer:
                raise QuizError(number, "une question a soit des choix, soit une seule réponse "
                                        "numérique.")
            last = question.answer = _parse_answer(line[1:].strip(), number)
        elif question is None or question.choices or question.answer or not follows:
            if question is not None:
                _check_question(question)
            questions.append(Question(line.strip(), number, []))
            last = None
        else:
            question.text += "\n" + line.strip()  # a question on several lines
    if not questions:
        raise QuizError(1, "le quiz est vide : écrivez une question, puis ses choix ou sa "
                           "réponse.")
    _check_question(questions[-1])
    return questions


# --- writing --------------------------------------------------------------------------

Inline = Callable[[str], str]


def _choice_parts(question: Question, qid: str, inline: Inline) -> tuple[str, str]:
    """(the radio buttons or check boxes, the explanation of every choice)."""
    kind = "checkbox" if question.kind == "multiple" else "radio"
    hint = ('<p class="fidle-quiz__hint">Plusieurs réponses sont justes\u00a0: cochez-les '
            'toutes.</p>' if kind == "checkbox" else "")
    choices = "".join(
        f'<label class="fidle-quiz__choice"><input type="{kind}" name="{qid}" value="{i}"> '
        f'<span>{inline(c.text)}</span></label>' for i, c in enumerate(question.choices))
    items = []
    for i, choice in enumerate(question.choices):
        verdict = "Juste" if choice.right else "Faux"
        why = (f'<p class="fidle-quiz__why">{inline(choice.explanation)}</p>'
               if choice.explanation else "")
        items.append(f'<li data-choice="{i}" data-right="{str(choice.right).lower()}">'
                     f'<p><strong>{verdict}\u00a0:</strong> {inline(choice.text)}</p>{why}</li>')
    return (f'{hint}<div class="fidle-quiz__choices">{choices}</div>',
            f'<ul class="fidle-quiz__explanations">{"".join(items)}</ul>')


def _number_parts(answer: Answer, qid: str, inline: Inline) -> tuple[str, str]:
    """(the text field, the answer and its explanation); no field without a value."""
    why = (f'<p class="fidle-quiz__why">{inline(answer.explanation)}</p>'
           if answer.explanation else "")
    if answer.value is None:
        return "", f"<p>{_PENDING}</p>{why}"
    unit = escape(answer.unit)
    described = f' aria-describedby="{qid}-unit"' if unit else ""
    field = (f'<div class="fidle-quiz__number"><label for="{qid}-input">Votre réponse</label> '
             f'<input type="text" id="{qid}-input" inputmode="decimal" autocomplete="off" '
             f'spellcheck="false" size="12"{described}>'
             + (f' <span class="fidle-quiz__unit" id="{qid}-unit">{unit}</span>' if unit else "")
             + "</div>")
    near = (f" (à {inline(answer.tolerance_text)}{frenchfmt.NNBSP + unit if unit else ''} près)"
            if answer.tolerance else "")
    return field, f"<p><strong>Réponse\u00a0:</strong> {inline(answer.text)}{near}.</p>{why}"


def _question_html(question: Question, number: int, total: int, quiz_id: str,
                   inline: Inline) -> str:
    qid = f"quiz-{quiz_id}-{number}"
    attrs = f'class="fidle-quiz__question" id="{qid}" data-kind="{question.kind}"'
    answer = question.answer
    if answer is None:
        controls, solution = _choice_parts(question, qid, inline)
    else:
        controls, solution = _number_parts(answer, qid, inline)
        if answer.value is not None:
            attrs += (f' data-answer="{answer.value!r}" data-tolerance="{answer.tolerance!r}"'
                      f' data-unit="{escape(answer.unit)}"')
    if controls:  # the script shows the button and fills the live region
        controls += ('<div class="fidle-quiz__actions" hidden><button type="button" '
                     'class="fidle-quiz__check">Vérifier</button></div>'
                     '<div class="fidle-quiz__feedback" role="status"></div>')
    label = (f'<span class="fidle-quiz__label">Question {number}/{total}</span> '
             if total > 1 else "")
    return (f'<fieldset {attrs}><legend>{label}{inline(question.text)}</legend>{controls}'
            f'<details class="question fidle-quiz__answer"><summary>Voir la réponse</summary>'
            f'{solution}</details></fieldset>')


def render(questions: list[Question], quiz_id: str, inline: Inline = escape) -> str:
    """The quiz as HTML that reads without JavaScript; `inline` renders inline Markdown."""
    body = "".join(_question_html(q, n, len(questions), quiz_id, inline)
                   for n, q in enumerate(questions, 1))
    return (f'<div class="fidle-quiz" id="quiz-{quiz_id}" data-quiz-id="{quiz_id}">{body}'
            '<p class="fidle-quiz__score" hidden></p></div>')


def quiz_id(questions: list[Question]) -> str:
    """Stable while the questions keep their wording: the key of the saved progress."""
    text = "\n".join(q.text for q in questions)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


# --- pymdownx.superfences -------------------------------------------------------------

def _inline_renderer(md) -> Inline:
    """Inline Markdown with the page's own inline patterns (arithmatex, code, emphasis)."""
    processors = [md.treeprocessors[name] for name in ("inline", "unescape")
                  if name in md.treeprocessors]

    def inline(text: str) -> str:
        root = etree.Element("div")
        span = etree.SubElement(root, "span")
        span.text = text
        for processor in processors:
            processor.run(root)
        return to_html_string(span)[len("<span>"):-len("</span>")]
    return inline


def validator(language, inputs, options, attrs, md) -> bool:
    """Accepts ```quiz id="nom" (a chosen key for the saved progress), nothing else."""
    for key, value in inputs.items():
        if key != "id" or not _ID.match(value):
            raise QuizBuildError(
                f"Quiz : option « {key}={value} » refusée ; la seule option est "
                "id=\"nom\" (minuscules, chiffres et tirets).")
        options["id"] = value
    return True


def fence_format(source, language, class_name, options, md, **kwargs) -> str:
    """The superfences formatter of ```quiz (mkdocs.yml, custom_fences)."""
    try:
        questions = parse(source)
    except QuizError as error:
        first = next((line.strip() for line in source.split("\n") if line.strip()), "")
        raise QuizBuildError(f"Quiz incorrect (« {_short(first)} ») : {error}") from None
    base = options.get("id") or quiz_id(questions)
    seen = md.__dict__.setdefault("_fidle_quiz_ids", set())  # one Markdown per page
    unique = base if base not in seen else f"{base}-{len(seen) + 1}"
    seen.add(unique)
    return render(questions, unique, _inline_renderer(md))
