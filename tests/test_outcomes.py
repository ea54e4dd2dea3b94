"""The outcome-sentence tool (plugin/outcomes.py): which sentences state a result, what
backs each one, and the course itself: none unbacked on the example and question pages."""

from __future__ import annotations

from fidle_examples.plugin import outcomes
from support import ROOT

DOCS = ROOT / "docs"

PAGE = """\
# Essai

La perte de validation remonte après la dixième époque.

{{ fidle:claim mnist/validation_loss_flattens }}

Le réseau fait mieux que la référence naïve.

Le réseau classe {{ fidle:metric mnist/test_accuracy }} des images, plus que le SVM.

Le gradient d'un lot est plus bruité que celui du lot complet[^gbc].

- les petits lots avancent plus vite par époque ;
- le lot complet avance plus lentement que les autres.

{{ fidle:claim batch-size/full_batch_lags }}

Une phrase qui ne dit rien de mesurable.

```python
loss = loss_that_always_diverges()  # code: never read
```

```quiz
Pourquoi la perte remonte-t-elle toujours ?
- [x] Sur-apprentissage.
- [ ] Hasard.
```

La perte augmente-t-elle toujours ?

Cette phrase exceptionnelle diverge toujours.
"""


def _sentence(start: str, page: str = "questions/essai.md", text: str = PAGE):
    found = [s for s in outcomes.scan_page(page, text) if s.text.startswith(start)]
    assert len(found) == 1, start
    return found[0]


def test_a_sentence_followed_by_its_claim_is_backed_by_it():
    sentence = _sentence("La perte de validation")
    assert sentence.kinds == ("tendance",)
    assert sentence.backing == "affirmation mnist/validation_loss_flattens"


def test_a_comparison_with_nothing_to_back_it_is_unbacked():
    sentence = _sentence("Le réseau fait mieux")
    assert "comparaison" in sentence.kinds and not sentence.backed
    assert outcomes.unbacked([sentence]) == [sentence]
    assert "NON ÉTAYÉE" in outcomes.report([sentence])


def test_markers_sources_and_lists_back_their_sentences():
    assert _sentence("Le réseau classe").backing == "marqueur mnist/test_accuracy"
    assert _sentence("Le gradient").backing == "source"
    # A claim after a list backs every item of the list.
    items = [s for s in outcomes.scan_page("questions/essai.md", PAGE)
             if s.text.startswith(("les petits", "le lot complet"))]
    assert [s.backing for s in items] == ["affirmation batch-size/full_batch_lags"] * 2


def test_code_quizzes_questions_and_plain_sentences_are_not_outcomes():
    texts = " ".join(s.text for s in outcomes.scan_page("questions/essai.md", PAGE))
    assert "loss_that" not in texts and "Pourquoi" not in texts
    assert "augmente-t-elle" not in texts and "mesurable" not in texts


def test_an_allowed_sentence_is_backed_by_its_reason(monkeypatch):
    monkeypatch.setattr(outcomes, "ALLOWED", (
        ("questions/essai.md", "Cette phrase exceptionnelle", "une raison écrite"),))
    sentence = _sentence("Cette phrase")
    assert sentence.backing == "exception : une raison écrite"
    # The same sentence on another page is not excused.
    assert not _sentence("Cette phrase", "exemples/autre.md").backed


def test_links_to_a_chapter_section_are_sources_links_to_examples_are_not():
    text = ("# T\n\nLa perte diverge ([voir](../cours/regression-lineaire.md#taux-apprentissage)).\n\n"
            "La perte diverge encore ([voir](mnist.md#resultats)).\n")
    first, second = outcomes.scan_page("exemples/essai.md", text)
    assert first.backing == "source" and not second.backed


def test_no_unbacked_outcome_sentence_on_example_and_question_pages():
    sentences = outcomes.scan(DOCS)
    missing = outcomes.unbacked(sentences)
    assert not missing, outcomes.report(missing)
    assert len([s for s in sentences if s.page.split("/")[0] in outcomes.CHECKED]) > 100


def test_every_exception_is_used_once_and_says_why():
    sentences = outcomes.scan(DOCS)
    for page, beginning, reason in outcomes.ALLOWED:
        used = [s for s in sentences if s.page == page and s.text.startswith(beginning)]
        assert len(used) == 1, (page, beginning)
        assert used[0].backing.startswith("exception") and len(reason) > 20
    assert len(outcomes.ALLOWED) <= 8


def test_the_contributors_page_shows_the_current_list():
    text = (DOCS / "contribuer.md").read_text(encoding="utf-8")
    start = text.index(outcomes.BEGIN)
    end = text.index(outcomes.END) + len(outcomes.END)
    assert text[start:end] == outcomes.contributors_block(outcomes.scan(DOCS)), (
        "relancez : python -m fidle_examples.plugin.outcomes --ecrire docs/contribuer.md")


def test_the_command_reports_in_french_and_fails_on_an_unbacked_sentence(tmp_path, capsys):
    (tmp_path / "exemples").mkdir()
    (tmp_path / "exemples" / "page.md").write_text(PAGE, encoding="utf-8")
    assert outcomes.main(["--docs", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "phrase(s) non étayée(s)" in out and "exemples/page.md:7" in out
    assert outcomes.main(["--docs", str(DOCS)]) == 0
