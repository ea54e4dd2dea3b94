"""Self-check quizzes: the ```quiz fence (src/fidle_examples/plugin/quiz.py), read and
rendered through the Markdown configuration of mkdocs.yml."""

from __future__ import annotations

import re

import markdown
import pytest
from mkdocs.config import load_config
from mkdocs.exceptions import PluginError

from fidle_examples.plugin import quiz
from support import ROOT, load_hook

NNBSP = "\u202f"

QUIZ = """```quiz
Si l'on double le taux $\\eta$, que devient le **pas** ?
- [x] Il double.
    Le pas vaut $\\eta \\nabla L$ :
    il est proportionnel à $\\eta$.
- [ ] Il ne change pas.
    Le gradient ne change pas, mais il est multiplié par $\\eta$.

Lesquelles de ces fonctions
sont non linéaires ?
- [x] La sigmoïde.
    Sa courbe est en S.
- [x] ReLU.
    Coudée en 0.
- [ ] $x \\mapsto 3x$.
    Une droite.

Quelle exactitude le réseau atteint-il ?
= 97,74{NNBSP}% ± 0,5
    Lue dans le tableau des résultats.
```
""".replace("{NNBSP}", NNBSP)


@pytest.fixture(scope="module")
def project_config():
    return load_config(str(ROOT / "mkdocs.yml"))


def convert(config, text: str) -> str:
    """Markdown to HTML with the extensions of mkdocs.yml (one instance per page, as MkDocs)."""
    md = markdown.Markdown(extensions=config["markdown_extensions"],
                           extension_configs=config["mdx_configs"])
    return md.convert(text)


# --- reading --------------------------------------------------------------------------

def test_questions_choices_and_explanations_are_read():
    questions = quiz.parse(QUIZ.split("\n", 1)[1].rsplit("```", 1)[0])
    assert [q.kind for q in questions] == ["single", "multiple", "number"]
    first, second, third = questions
    assert first.text == "Si l'on double le taux $\\eta$, que devient le **pas** ?"
    assert [(c.text, c.right) for c in first.choices] == [("Il double.", True),
                                                          ("Il ne change pas.", False)]
    assert first.choices[0].explanation == ("Le pas vaut $\\eta \\nabla L$ :\n"
                                            "il est proportionnel à $\\eta$.")
    assert second.text == "Lesquelles de ces fonctions\nsont non linéaires ?"
    assert [c.right for c in second.choices] == [True, True, False]
    answer = third.answer
    assert (answer.value, answer.tolerance, answer.unit) == (97.74, 0.5, "%")
    assert answer.explanation == "Lue dans le tableau des résultats."


@pytest.mark.parametrize("text, value, unit", [
    (f"97,74{NNBSP}%", 97.74, "%"),               # fidle:metric, percent
    ("0,478", 0.478, ""),                          # fidle:metric, plain
    (f"199{NNBSP}210", 199210, ""),                # fidle:metric, integer
    ("60\u00a0000", 60000, ""),                    # no-break space
    ("1 234,5", 1234.5, ""),
    (f"1,2{NNBSP}×{NNBSP}10⁻³", 1.2e-3, ""),       # frenchfmt.scientific
    (f"1{NNBSP}×{NNBSP}10<sup>\u22125</sup>", 1e-5, ""),  # fidle:config of a small float
    ("1e-5", 1e-5, ""),
    ("\u22123,5", -3.5, ""),                       # minus sign
    ("12.5", 12.5, ""),
    ("784 paramètres", 784, "paramètres"),
])
def test_numbers_are_read_in_the_forms_the_markers_write(text, value, unit):
    assert quiz.parse_number(text) == (pytest.approx(value), unit)


@pytest.mark.parametrize("text", ["abc", "12,5,3", "1 2", "", "97 %%", "1,2 × 10"])
def test_what_is_not_a_number_is_refused(text):
    with pytest.raises(ValueError):
        quiz.parse_number(text)


def test_tolerance_takes_the_unit_written_on_either_side():
    for line in ("= 97,7 ± 0,5 %", "= 97,7 % ± 0,5", "= 97,7 % ± 0,5 %", "= 97,7 % +/- 0,5"):
        answer = quiz.parse(f"Q ?\n{line}")[0].answer
        assert (answer.value, answer.tolerance, answer.unit) == (97.7, 0.5, "%"), line
    assert quiz.parse("Q ?\n= 199 210")[0].answer.tolerance == 0


@pytest.mark.parametrize("source, line, message", [
    ("Q ?\n- [ ] a\n- [ ] b", 1, "n'a pas de bonne réponse : cochez-en au moins une"),
    ("Q ?\n= beaucoup", 2, "la réponse numérique « beaucoup » n'est pas un nombre"),
    ("Q ?\n= 12 ± peu", 2, "la tolérance « peu » n'est pas un nombre positif"),
    ("Q ?\n= 12 ± -1", 2, "n'est pas un nombre positif"),
    ("Q ?\n= 12 % ± 1 s", 2, "la réponse est en « % » mais la tolérance en « s »"),
    ("Q ?\n=", 2, "la réponse numérique est vide"),
    ("Q ?\n- [x] a", 1, "n'a qu'un choix"),
    ("Q ?\n\nAutre ?\n- [x] a\n- [ ] b", 1, "n'a ni choix"),
    ("Q ?\n- [v] a\n- [ ] b", 2, "choix mal formé « - [v] a »"),
    ("Q ?\n- a\n- [x] b", 2, "choix mal formé"),
    ("- [x] a\n- [ ] b", 1, "un choix avant toute question"),
    ("Q ?\n    pourquoi\n- [x] a\n- [ ] b", 2, "ligne en retrait inattendue"),
    ("Q ?\n- [x] a\n- [ ] b\n= 3", 4, "soit des choix, soit une seule réponse"),
    ("Q ?\n= 3\n- [x] a", 3, "soit des choix, soit une réponse numérique"),
    ("Voir [la page](../cours/svm.md) ?\n- [x] a\n- [ ] b", 1, "« ../cours/svm.md »"),
    ("\n\n", 1, "le quiz est vide"),
])
def test_bad_syntax_is_an_error_in_french_that_names_the_problem(source, line, message):
    with pytest.raises(quiz.QuizError) as error:
        quiz.parse(source)
    assert error.value.line == line
    assert str(error.value).startswith(f"ligne {line} du quiz : ")
    assert message in str(error.value)


# --- rendering ------------------------------------------------------------------------

def test_rendered_quiz_is_accessible_html_readable_without_javascript(project_config):
    html = convert(project_config, "# Page\n\n" + QUIZ)
    root = re.search(r'<div class="fidle-quiz" id="quiz-(\w+)" data-quiz-id="\1">', html)
    assert root, html[:300]
    assert html.count("<fieldset") == 3 and html.count("<legend>") == 3
    # Every choice input is inside its label; radios for one right answer, boxes for two.
    labels = re.findall(r'<label class="fidle-quiz__choice"><input type="(\w+)" name="([^"]+)"',
                        html)
    assert [kind for kind, _ in labels] == ["radio"] * 2 + ["checkbox"] * 3
    assert len({name for _, name in labels}) == 2
    number = re.search(r'<label for="([^"]+)">Votre réponse</label> <input type="text" id="\1"',
                       html)
    assert number
    assert 'data-answer="97.74" data-tolerance="0.5" data-unit="%"' in html
    # Answers and explanations are in the page, folded in a <details>.
    details = re.findall(r"<details[^>]*><summary>Voir la réponse</summary>(.*?)</details>",
                         html, re.S)
    assert len(details) == 3
    assert 'data-right="true"><p><strong>Juste\u00a0:</strong> Il double.' in details[0]
    assert "Une droite." in details[1]
    assert f"<strong>Réponse\u00a0:</strong> 97,74{NNBSP}% (à 0,5{NNBSP}% près)." in details[2]
    # The checking button and the live feedback region wait for the script.
    assert html.count('<div class="fidle-quiz__actions" hidden><button type="button"') == 3
    assert html.count('<div class="fidle-quiz__feedback" role="status"></div>') == 3
    # Inline Markdown and formulas, in the form arithmatex gives the KaTeX hook.
    assert "<strong>pas</strong>" in html
    assert '<span class="arithmatex">\\(\\eta \\nabla L\\)</span>' in html
    assert '<span class="arithmatex">\\(x \\mapsto 3x\\)</span>' in html


def test_formulas_of_a_quiz_are_typeset_by_the_katex_hook(project_config):
    html = load_hook("katex_prerender").typeset(convert(project_config, QUIZ))
    assert "\\(" not in html
    assert html.count('<annotation encoding="application/x-tex">\\eta</annotation>') == 3


def test_quiz_inside_an_admonition_and_two_quizzes_with_distinct_ids(project_config):
    body = "Q ?\n- [x] a\n- [ ] b\n"
    indented = "".join(f"    {line}\n" for line in f"```quiz\n{body}```".split("\n"))
    html = convert(project_config, f'!!! note "Encadré"\n\n{indented}\n'
                                   f"```quiz\n{body}```\n\n```quiz id=\"mon-quiz\"\n{body}```\n")
    ids = re.findall(r'<div class="fidle-quiz" id="quiz-([\w-]+)"', html)
    assert len(ids) == 3 and len(set(ids)) == 3
    assert ids[2] == "mon-quiz"
    assert ids[1].startswith(ids[0])  # the same questions: the same key, made unique


def test_bad_quiz_stops_the_build_with_a_french_message(project_config):
    with pytest.raises(PluginError) as error:
        convert(project_config, "# Page\n\n```quiz\nQuelle est la bonne ?\n- [ ] a\n- [ ] b\n```\n")
    message = str(error.value)
    assert message.startswith("Quiz incorrect (« Quelle est la bonne ? ») : ligne 1 du quiz : ")
    assert "pas de bonne réponse" in message
    with pytest.raises(PluginError, match="la seule option est id="):
        convert(project_config, "```quiz titre=\"x\"\nQ ?\n- [x] a\n- [ ] b\n```\n")


def test_answer_from_a_marker_left_as_is_still_builds(project_config):
    """FIDLE_EXAMPLES_ENABLED=0 leaves the markers: the page builds, the answer is marked
    as missing and the script leaves the question alone (no data-answer)."""
    html = convert(project_config,
                   "```quiz\nCombien ?\n= {{ fidle:metric mnist/parameters }} ± 0\n```\n")
    assert 'data-kind="number"' in html and "data-answer" not in html
    assert "<input" not in html and "Vérifier" not in html
    assert "La réponse vient d'un entraînement" in html
