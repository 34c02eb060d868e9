"""The web chat in a real browser: Chromium (Playwright) against `voicebox serve`, with axe.

A whole check-in by keyboard alone; reflow at 320 px; settings that persist; read aloud;
quick exit; nothing fetched from anywhere but our own server; phone screenshots. Every
path through both flows, by mouse and with JavaScript off, is walked in test_paths.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.chat_driver import (
    DEMO_STEPS,
    END_WORDS,
    answer,
    assert_accessible,
    button_named,
    focused,
    history_untouched,
    last_bot_text,
    mark_history,
    no_sideways_scroll,
    tab_to,
    turn_count,
    wait_for_reply,
    watch_requests,
)

pytestmark = pytest.mark.browser

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
UPDATE_SCREENSHOTS = "VOICEBOX_UPDATE_SCREENSHOTS"  # set to 1 to refresh the ones in docs/


def test_whole_check_in_by_keyboard_alone(served, new_context):
    """DEMO by Tab, Enter and typing only: focus moves to each reply, axe is clean each step."""
    page = new_context().new_page()
    requests, complaints = watch_requests(page)
    page.goto(served.base + "/")
    assert_accessible(page, "")
    tab_to(page, lambda f: f.id == "code")
    page.keyboard.type("demo")
    page.keyboard.press("Enter")
    page.wait_for_url("**/c/DEMO")
    assert_accessible(page, "")
    mark_history(page)
    for kind, words in DEMO_STEPS:
        before = turn_count(page)
        if kind == "choose":
            tab_to(page, button_named(words))
            page.keyboard.press("Enter")
        else:
            tab_to(page, lambda f: f.id == "answer-text")
            page.keyboard.type(words)
            tab_to(page, button_named("Send"))
            page.keyboard.press("Enter")
        wait_for_reply(page, before)
        now = focused(page)
        assert "turn-bot" in now.classes, f"focus did not move to the reply: {now}"
        assert history_untouched(page), "the history was drawn again"
        assert page.locator("#log .turn-you").last.inner_text().endswith(words)
        assert_accessible(page, f"after {words!r}")
    assert END_WORDS in last_bot_text(page)
    assert page.url.endswith("/c/DEMO")  # never reloaded
    assert all(url.startswith(served.base + "/") for url in requests), requests
    assert complaints == []
    rows = [r for r in served.export("DEMO") if r["answer"] == "The corridors are too busy"]
    assert len(rows) == 1 and rows[0]["channel"] == "web" and rows[0]["kind"] == "pants"


# /away comes last: after it the check-in is hidden until the person asks to see it.
PAGES_320 = ["/", "/about", "/who-sees-my-answers", "/settings", "/c/NOPE"]


@pytest.mark.parametrize("size", ["usual", "bigger"])
def test_no_sideways_scrolling_at_320_pixels(served, new_context, size):
    """Every page fits 320 CSS pixels (and 640, which is 1280 at 200% zoom), even bigger text;
    axe is clean after each answer there too."""
    context = new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    if size == "bigger":
        page.goto(served.base + "/settings")
        page.get_by_label("Bigger", exact=True).check()
        page.get_by_role("button", name="Save my choices").click()
        page.wait_for_url("**saved=1")
    for path in PAGES_320:
        page.goto(served.base + path)
        assert no_sideways_scroll(page), path
    page.goto(served.base + "/c/DEMO")
    for kind, words in [*DEMO_STEPS[:3], ("type", "x" * 300)]:
        assert no_sideways_scroll(page), words
        answer(page, kind, words)
        assert_accessible(page, f"after {words[:20]!r} with {size} text")
    assert no_sideways_scroll(page)
    page.set_viewport_size({"width": 640, "height": 800})
    assert no_sideways_scroll(page)
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('button, a, textarea, input')]
            .filter(el => el.offsetParent !== null)
            .map(el => {
                const r = el.getBoundingClientRect();
                return [r.width, r.height, el.innerText];
            })
            .filter(([w, h, t]) => !(w >= 44 && h >= 44))"""
    )
    small = [s for s in sizes if s[2] and "\n" not in s[2]]
    assert small == [], small
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/away", "/c/DEMO"):  # the neutral page, then the check-in hidden after it
        page.goto(served.base + path)
        assert no_sideways_scroll(page), path


def test_settings_persist_across_reloads(served, new_context):
    """Bigger text, strong colours and no pictures: saved in a cookie and used after reload."""
    context = new_context()
    page = context.new_page()
    page.goto(served.base + "/c/DEMO")
    page.get_by_role("link", name="Change how it looks").click()
    page.get_by_label("Bigger", exact=True).check()
    page.get_by_label("Strong colours: black and white").check()
    page.get_by_label("No, only words").check()
    page.get_by_role("button", name="Save my choices").click()
    page.wait_for_url("**saved=1")
    saved = page.get_by_role("status")
    assert saved.inner_text() == "Your changes are saved."
    assert focused(page).id == "saved"  # said where the person is looking
    assert_accessible(page, "after saving")
    page.get_by_role("link", name="Go back to your check-in").click()
    page.wait_for_url("**/c/DEMO")
    for _ in range(2):
        classes = page.evaluate("document.documentElement.className")
        assert {"text-bigger", "colours-strong", "no-pictures"} <= set(classes.split())
        assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "24px"
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
        assert page.locator(".choice img").count() == 0
        assert page.get_by_role("button", name="Yes, that is OK", exact=True).is_visible()
        assert_accessible(page, "")
        page = context.new_page()  # a new tab: the same choices
        page.goto(served.base + "/c/DEMO")


def test_device_contrast_and_motion_preferences_are_respected(served, new_context):
    """prefers-contrast: more gives strong colours unless the person chose usual colours."""
    context = new_context(contrast="more", reduced_motion="reduce")
    page = context.new_page()
    page.goto(served.base + "/c/DEMO")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
    assert_accessible(page, "")
    transition = page.evaluate(
        "getComputedStyle(document.querySelector('.choice')).transitionDuration"
    )
    assert transition in ("0s", "")
    page.goto(served.base + "/settings")
    page.get_by_label("Usual colours").check()
    page.get_by_role("button", name="Save my choices").click()
    page.wait_for_url("**saved=1")
    page.goto(served.base + "/c/DEMO")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"


def test_script_says_what_went_wrong(served, new_context):
    """An empty answer puts focus in the box with the reason; a lost connection is said."""
    context = new_context()
    page = context.new_page()
    page.goto(served.base + "/c/DEMO")
    for kind, words in DEMO_STEPS[:3]:
        answer(page, kind, words)
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_function("() => document.activeElement.id === 'answer-text'")
    box = page.get_by_label("Your answer")
    assert box.get_attribute("aria-invalid") == "true"
    assert (
        page.get_by_role("status").inner_text() == "Please type your answer first, or press Skip."
    )
    assert_accessible(page, "with the error shown")
    context.set_offline(True)
    box.fill("My teacher explains things")
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_function(
        "() => document.getElementById('status').textContent.startsWith('Sorry, that did not send')"
    )
    context.set_offline(False)
    before = turn_count(page)
    page.get_by_role("button", name="Send", exact=True).click()
    wait_for_reply(page, before)
    assert "What is not good" in last_bot_text(page)


def test_read_aloud_uses_the_browsers_speech(served, new_context):
    """Read aloud speaks the message (and the choices) with speechSynthesis."""
    context = new_context()
    context.add_init_script(
        """window.__spoken = [];
        window.speechSynthesis.speak = (utterance) => { window.__spoken.push(utterance.text); };"""
    )
    page = context.new_page()
    page.goto(served.base + "/c/DEMO")
    readers = page.get_by_role("button", name="Read aloud")
    assert readers.count() == 2
    readers.last.click()
    spoken = page.evaluate("window.__spoken")
    assert spoken[-1].startswith("The people who run this group")
    assert spoken[-1].endswith("You can choose: Yes, that is OK, or No thanks.")
    assert page.get_by_role("button", name="Stop reading").count() == 1


def test_read_aloud_is_hidden_without_speech(served, new_context):
    """Where the browser has no speech, there are no Read aloud buttons."""
    context = new_context()
    context.add_init_script("delete window.SpeechSynthesisUtterance;")
    page = context.new_page()
    page.goto(served.base + "/c/DEMO")
    assert page.get_by_role("button", name="Read aloud").count() == 0


def test_quick_exit_leaves_and_replaces_the_history_entry(served, new_context):
    """Exit this page goes to a neutral page at once; Back does not return to the check-in."""
    page = new_context().new_page()
    page.goto(served.base + "/")
    page.goto(served.base + "/c/DEMO")
    page.get_by_role("link", name="Exit this page").click()
    page.wait_for_url("**/away")
    assert "Voicebox" not in page.content()
    page.go_back()
    assert page.url == served.base + "/"


def test_quick_exit_works_with_javascript_off(served, new_context):
    """Without script, Exit this page is a plain link to the neutral page."""
    page = new_context(java_script_enabled=False).new_page()
    page.goto(served.base + "/c/DEMO")
    page.get_by_role("link", name="Exit this page").click()
    page.wait_for_url("**/away")


def test_every_page_is_clean_and_local(served, new_context):
    """The other pages: axe clean, and nothing fetched from anywhere else."""
    page = new_context().new_page()
    requests, complaints = watch_requests(page)
    for path in ["/", "/about", "/who-sees-my-answers", "/settings", "/c/NOPE", "/join?code=zz"]:
        page.goto(served.base + path)
        assert_accessible(page, path)
    assert all(url.startswith(served.base + "/") for url in requests), requests
    assert [c for c in complaints if "404" not in c] == []


def test_phone_screenshots(served, new_context, tmp_path):
    """Phone-size pictures of the landing page, a choice, a text question and the end."""
    # A test run leaves the repository as it was; the docs' pictures change when asked to.
    folder = DOCS_SCREENSHOTS if os.environ.get(UPDATE_SCREENSHOTS) == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    context = new_context(device_scale_factor=1, reduced_motion="reduce")
    page = context.new_page()
    page.goto(served.base + "/")
    page.get_by_label("Type the code your group gave you").fill("DEMO")
    shots = {"landing": folder / "landing.png"}
    page.screenshot(path=shots["landing"], animations="disabled")
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/c/DEMO")
    for kind, words in DEMO_STEPS:
        answer(page, kind, words)
        page.mouse.move(0, 0)
        if words == "Yes, that is OK":
            shots["choice"] = folder / "choice.png"
            page.screenshot(path=shots["choice"], animations="disabled")
        if words == "Good":
            page.get_by_label("Your answer").fill("My teacher explains things")
            shots["text"] = folder / "text.png"
            page.screenshot(path=shots["text"], animations="disabled")
            page.get_by_label("Your answer").fill("")
    shots["end"] = folder / "end.png"
    page.screenshot(path=shots["end"], animations="disabled")
    for path in shots.values():
        assert path.stat().st_size < 200_000, path
