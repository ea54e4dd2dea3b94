"""Self-check quizzes (```quiz fences) in Chromium: one answer wrong and one right with
the keyboard, the feedback, the progress kept across a reload (also from file://), the
answers readable without JavaScript, and no request leaving the page's host.

The questions are chosen from the page's own answer key (data-right, data-answer), so
the tests keep working when a quiz is reworded."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from pageaudit import OfflineContext, goes_to_network

pytestmark = pytest.mark.browser

PAGE = "cours/regression-lineaire/"  # has a quiz with a choice and a numeric question
CHAPTERS = ["introduction", "regression-lineaire", "regression-logistique", "historique",
            "retropropagation", "svm"]


def quiz_count(html_file: Path) -> int:
    return len(re.findall(r'<div class="fidle-quiz" ', html_file.read_text(encoding="utf-8")))


def french(value: float) -> str:
    """0.75 -> "0,75", as a reader types it."""
    return f"{value:g}".replace(".", ",")


def mixed_quiz(page):
    """The first quiz with a one-answer question and a numeric one."""
    quiz = (page.locator(".fidle-quiz")
            .filter(has=page.locator('[data-kind="single"]'))
            .filter(has=page.locator('[data-kind="number"][data-answer]')).first)
    expect(quiz).to_be_visible()
    return quiz


def score(quiz) -> str:
    """The quiz's score line, as shown: brought near first, since a later section of a
    long page is laid out only near the screen (content-visibility), and innerText
    needs layout."""
    status = quiz.locator(".fidle-quiz__score [role=status]")
    status.scroll_into_view_if_needed()
    quiz.page.wait_for_function("el => el.innerText.trim() !== ''",
                                arg=status.element_handle(), timeout=5000)
    return status.inner_text()


def test_each_chapter_has_two_quizzes_and_each_example_page_one(built_site):
    counts = {f"cours/{name}": quiz_count(built_site / "cours" / name / "index.html")
              for name in CHAPTERS}
    assert all(n >= 2 for n in counts.values()), counts
    examples = [p.parent for p in (built_site / "exemples").glob("*/index.html")]
    assert len(examples) >= 6
    without = [p.name for p in examples if quiz_count(p / "index.html") < 1]
    assert not without, f"pages d'exemples sans quiz : {without}"
    questions = [p.parent for p in (built_site / "questions").glob("*/index.html")
                 if 'http-equiv="refresh"' not in p.read_text(encoding="utf-8")]  # old addresses
    assert len(questions) >= 5
    without = [p.name for p in questions if quiz_count(p / "index.html") < 1]
    assert not without, f"pages de questions sans quiz : {without}"
    # The number of parameters of the MNIST network comes from the run, through a marker.
    mnist = (built_site / "exemples" / "mnist" / "index.html").read_text(encoding="utf-8")
    answers = re.findall(r'data-kind="number" data-answer="([\d.e+-]+)"', mnist)
    assert answers and "{{" not in "".join(re.findall(r"<fieldset.*?</fieldset>", mnist, re.S))


def test_wrong_then_right_answer_with_feedback_and_progress_kept(browser, site_url):
    with OfflineContext(browser) as ctx:
        page = ctx.new_page()
        hosts = set()
        page.on("request", lambda r: goes_to_network(r.url) and hosts.add(urlsplit(r.url).netloc))
        page.goto(site_url + PAGE, wait_until="networkidle")
        quiz = mixed_quiz(page)
        total = quiz.locator(".fidle-quiz__question").count()
        assert score(quiz) == f"0/{total} réussie"

        # A wrong choice, with the keyboard: Space checks the radio, Tab reaches the button.
        single = quiz.locator('[data-kind="single"]').first
        wrong = single.locator('li[data-right="false"]').first.get_attribute("data-choice")
        why = single.locator(f'li[data-choice="{wrong}"] .fidle-quiz__why').text_content()
        radio = single.locator(f'input[value="{wrong}"]')
        radio.focus()
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
        expect(single.get_by_role("button", name="Vérifier")).to_be_focused()
        page.keyboard.press("Enter")
        feedback = single.locator(".fidle-quiz__feedback")
        expect(feedback.locator(".fidle-quiz__verdict")).to_have_text("✗ Pas tout à fait.")
        assert feedback.locator(".fidle-quiz__why").text_content() == why
        expect(single).to_have_class(re.compile(r"\bis-wrong\b"))

        # The right number, typed the French way, checked with Enter.
        number = quiz.locator('[data-kind="number"][data-answer]').first
        typed = french(float(number.get_attribute("data-answer")))
        number.get_by_label("Votre réponse").focus()
        page.keyboard.type(typed)
        page.keyboard.press("Enter")
        expect(number.locator(".fidle-quiz__verdict")).to_have_text("✓ Bonne réponse.")
        expect(number).to_have_class(re.compile(r"\bis-right\b"))
        assert score(quiz) == f"1/{total} réussie"

        # A reload shows the same answers, feedback and score.
        page.reload(wait_until="networkidle")
        quiz = mixed_quiz(page)
        single = quiz.locator('[data-kind="single"]').first
        number = quiz.locator('[data-kind="number"][data-answer]').first
        expect(single.locator(f'input[value="{wrong}"]')).to_be_checked()
        expect(single.locator(".fidle-quiz__verdict")).to_have_text("✗ Pas tout à fait.")
        expect(number.get_by_label("Votre réponse")).to_have_value(typed)
        expect(number.locator(".fidle-quiz__verdict")).to_have_text("✓ Bonne réponse.")
        assert score(quiz) == f"1/{total} réussie"

        # « Effacer mes réponses » forgets them, reload included.
        quiz.get_by_role("button", name="Effacer mes réponses").click()
        assert score(quiz) == f"0/{total} réussie"
        page.reload(wait_until="networkidle")
        quiz = mixed_quiz(page)
        assert score(quiz) == f"0/{total} réussie"
        expect(quiz.locator(".fidle-quiz__feedback").first).to_be_empty()

        assert not ctx.external_requests
        assert hosts == {urlsplit(site_url).netloc}


def test_a_number_that_is_not_one_is_explained(browser, site_url):
    with OfflineContext(browser) as ctx:
        page = ctx.new_page()
        page.goto(site_url + PAGE, wait_until="networkidle")
        number = mixed_quiz(page).locator('[data-kind="number"][data-answer]').first
        number.get_by_label("Votre réponse").fill("beaucoup")
        number.get_by_role("button", name="Vérifier").click()
        expect(number.locator(".fidle-quiz__feedback")).to_contain_text(
            "«\u00a0beaucoup\u00a0» n'est pas un nombre")
        assert "is-wrong" not in (number.get_attribute("class") or "")


def test_answers_are_readable_without_javascript(browser, site_url):
    with OfflineContext(browser, java_script_enabled=False) as ctx:
        page = ctx.new_page()
        page.goto(site_url + PAGE, wait_until="load")
        quiz = page.locator(".fidle-quiz").first
        expect(quiz.locator(".fidle-quiz__check").first).to_be_hidden()
        details = quiz.locator("details.fidle-quiz__answer").first
        details.locator("summary").click()
        expect(details.locator("li, p").first).to_be_visible()
        expect(details).to_contain_text(re.compile(r"Juste|Réponse"))


def test_progress_is_kept_from_a_copy_of_the_site_on_disk(browser, built_site):
    with OfflineContext(browser) as ctx:
        page = ctx.new_page()
        page.goto((built_site / PAGE / "index.html").as_uri(), wait_until="load")
        number = mixed_quiz(page).locator('[data-kind="number"][data-answer]').first
        answer = french(float(number.get_attribute("data-answer")))
        number.get_by_label("Votre réponse").fill(answer)
        number.get_by_role("button", name="Vérifier").click()
        expect(number.locator(".fidle-quiz__verdict")).to_have_text("✓ Bonne réponse.")
        page.reload(wait_until="load")
        number = mixed_quiz(page).locator('[data-kind="number"][data-answer]').first
        expect(number.locator(".fidle-quiz__verdict")).to_have_text("✓ Bonne réponse.")
        assert not ctx.external_requests
