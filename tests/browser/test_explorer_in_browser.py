"""Explorers over real runs ({{ fidle:explorer NAME }}) in Chromium: each control moved
with the keyboard changes the figures, the numbers and the text alternative; the images
of a state load only when it is chosen, from the page's own host or from a file://
copy of the site; without JavaScript the first state and a note are shown.

What each state must show is read from the page's own JSON, so the tests keep working
when a grid or a label changes."""

from __future__ import annotations

import json
import shutil
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from pageaudit import OfflineContext, goes_to_network

pytestmark = pytest.mark.browser

PAGES = {"gradient-descent": "exemples/descente-de-gradient/",
         "polynomial-regression": "exemples/regression-polynomiale/",
         "logistic-regression": "exemples/regression-logistique/"}


def explorer_data(root) -> dict:
    return json.loads(root.locator("script.fidle-explorer__data").text_content())


def current(root) -> dict:
    """What the explorer shows now: image files, alt texts, text alternative, command."""
    images = root.locator(".fidle-explorer__figures img")
    return {"files": [src.rsplit("/", 1)[1] for src in
                      images.evaluate_all("imgs => imgs.map(i => i.getAttribute('src'))")],
            "alts": images.evaluate_all("imgs => imgs.map(i => i.alt)"),
            "summary": root.locator(".fidle-explorer__state").inner_text(),
            "command": root.locator(".fidle-explorer__command code").inner_text()}


def wait_for_images(page, root) -> None:
    """Every image of the state shown is loaded and has a size (not broken). They are
    loaded lazily, as the page's other figures: scroll to them first."""
    root.locator(".fidle-explorer__figures").scroll_into_view_if_needed()
    page.wait_for_function(
        """root => Array.from(root.querySelectorAll(".fidle-explorer__figures img"))
                     .every(img => img.complete && img.naturalWidth > 0)""",
        arg=root.element_handle(), timeout=10_000)


def move_each_control(page, root) -> int:
    """Move every control with the keyboard; after each move, check the explorer shows
    the state the JSON describes for the new position. Returns the moves made."""
    data = explorer_data(root)
    moves = 0
    for slider in root.locator("input[type=range]").all():
        before = current(root)
        slider.focus()
        page.keyboard.press("ArrowRight" if slider.input_value() != slider.get_attribute("max")
                            else "ArrowLeft")
        moves += check_state(page, root, data, before)
        index = int(slider.get_attribute("data-control"))
        expect(slider).to_have_attribute(
            "aria-valuetext", data["controls"][index][int(slider.input_value())])
    for group in root.locator("fieldset[data-control]").all():
        before = current(root)
        group.locator("input:checked").focus()
        page.keyboard.press("ArrowRight")  # the next radio button, checked
        moves += check_state(page, root, data, before)
    return moves


def check_state(page, root, data: dict, before: dict) -> int:
    key = root.get_attribute("data-state")
    state = data["states"][key]
    wait_for_images(page, root)
    now = current(root)
    assert now != before, f"rien n'a changé après le déplacement (état {key})"
    assert now["files"] == state["files"] and now["files"] != before["files"]
    assert all(alt.endswith(state["setting"]) for alt in now["alts"])
    assert now["command"] == state["command"]
    # The text alternative of the state: its setting and each of its numbers.
    assert state["setting"] in now["summary"]
    for label, value in state["metrics"]:
        assert label in now["summary"] and value in now["summary"], (label, value)
    for warning in state["warnings"]:
        assert warning in now["summary"]
    return 1


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_control_changes_the_figures_and_the_numbers(browser, site_url, name):
    with OfflineContext(browser) as ctx:
        page = ctx.new_page()
        hosts = set()
        requested = []

        def on_request(request):
            if goes_to_network(request.url):
                hosts.add(urlsplit(request.url).netloc)
                requested.append(request.url)

        page.on("request", on_request)
        page.goto(site_url + PAGES[name], wait_until="networkidle")
        root = page.locator(f"#fidle-explorer-{name}")
        expect(root.locator(".fidle-explorer__controls")).to_be_visible()
        expect(root.locator(".fidle-explorer__nojs")).to_be_hidden()
        expect(root.locator("[aria-live=polite]")).to_have_count(1)
        data = explorer_data(root)
        wait_for_images(page, root)
        # Only the first state's images are loaded with the page.
        shown = {f for s in data["states"].values() for f in s["files"]}
        loaded = {u.rsplit("/", 1)[1] for u in requested if "/explorer/" in u}
        assert loaded == set(current(root)["files"]) and len(shown) > len(loaded)

        moves = move_each_control(page, root)
        assert moves == len(data["controls"])
        assert not ctx.external_requests
        assert hosts == {urlsplit(site_url).netloc}


def test_an_explorer_works_from_a_copy_of_the_site_on_disk(browser, built_site, tmp_path):
    copy = tmp_path / "site"
    shutil.copytree(built_site, copy)
    with OfflineContext(browser) as ctx:
        page = ctx.new_page()
        page.goto((copy / PAGES["gradient-descent"] / "index.html").as_uri(), wait_until="load")
        root = page.locator("#fidle-explorer-gradient-descent")
        wait_for_images(page, root)
        assert move_each_control(page, root) == 2
        assert all(src.startswith("file://") for src in root.locator("img").evaluate_all(
            "imgs => imgs.map(i => i.src)"))
        assert not ctx.external_requests


def test_without_javascript_the_first_state_and_a_note_are_shown(browser, site_url):
    with OfflineContext(browser, java_script_enabled=False) as ctx:
        page = ctx.new_page()
        page.goto(site_url + PAGES["polynomial-regression"], wait_until="load")
        root = page.locator(".fidle-explorer").first
        expect(root.locator(".fidle-explorer__nojs")).to_be_visible()
        expect(root.locator(".fidle-explorer__nojs")).to_contain_text("Sans JavaScript")
        expect(root.locator(".fidle-explorer__controls")).to_be_hidden()
        wait_for_images(page, root)
        expect(root.locator(".fidle-explorer__state")).to_contain_text("Réglage affiché")
        expect(root.locator(".fidle-explorer__command code")).to_contain_text(
            "fidle-examples run polynomial-regression")
