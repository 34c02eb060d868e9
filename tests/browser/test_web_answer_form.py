"""The answer form in a real browser, axe after each step: no Skip at consent, Start again
says where it goes, the letter counter (said near the limit only), long answers given back
in the box with and without script, and Read aloud only once the device has a voice."""

from __future__ import annotations

import pytest

from tests.browser.chat_driver import (
    TO_A_TEXT_QUESTION,
    answer,
    assert_accessible,
    last_bot_text,
    take,
    turn_count,
)

pytestmark = pytest.mark.browser

TOO_LONG = "Your answer has 2,050 letters. The most is 2,000. Please make it shorter."


@pytest.mark.parametrize("script", [True, False], ids=["js", "no-js"])
def test_skip_at_consent_and_start_again(served, new_context, scriptless_copy, script):
    """No Skip at consent; after Stop, Start again says it goes back to where you stopped."""
    page = new_context(java_script_enabled=script).new_page()
    copy = None if script else scriptless_copy
    page.goto(f"{served.base}/c/DEMO")
    assert page.get_by_role("button", name="Skip").count() == 0
    assert page.get_by_role("button", name="Help").count() == 1
    take(page, "choose", "Yes, that is OK", script)
    assert page.get_by_role("button", name="Skip").count() == 1
    take(page, "choose", "Stop", script)
    start = page.get_by_role("button", name="Start again")
    hint = page.locator("#" + start.get_attribute("aria-describedby"))
    assert hint.inner_text() == "Start again takes you back to where you stopped."
    assert hint.is_visible()
    assert_accessible(page, "after Stop", copy)
    take(page, "choose", "Start again", script)
    assert "Which part of your life" in last_bot_text(page)


def _spoken_changes(page) -> None:
    page.evaluate(
        """() => {
        window.__said = [];
        const region = document.getElementById('answer-count-said');
        new MutationObserver(() => window.__said.push(region.textContent))
            .observe(region, {childList: true, characterData: true, subtree: true});
    }"""
    )


def test_counter_counts_and_speaks_only_near_the_limit(served, new_context):
    """The counter changes as the person types; the spoken count waits for a pause and
    speaks only near or over the limit, once; Send over the limit keeps every letter."""
    page = new_context().new_page()
    page.goto(f"{served.base}/c/DEMO")
    for kind, words in TO_A_TEXT_QUESTION:
        answer(page, kind, words)
    box = page.get_by_label("Your answer")
    counter = page.locator("#answer-count")
    assert counter.inner_text() == "You can write up to 2,000 letters."
    _spoken_changes(page)
    box.press_sequentially("My dog", delay=30)
    assert counter.inner_text() == "6 of 2,000 letters."
    page.wait_for_timeout(1300)
    assert page.evaluate("window.__said") == []  # far from the limit: nothing said
    assert_accessible(page, "while typing")
    box.fill("a" * 1890)
    box.press_sequentially("bcdef", delay=40)
    page.wait_for_timeout(1300)
    assert counter.inner_text() == "1,895 of 2,000 letters."
    assert page.evaluate("window.__said") == ["You have 105 letters left."]  # once
    box.fill("a" * 2040)
    box.press_sequentially("0123456789", delay=40)
    assert counter.inner_text() == "2,050 of 2,000 letters. That is 50 too many."
    assert "counter-over" in (counter.get_attribute("class") or "")
    page.wait_for_timeout(1300)
    assert page.evaluate("window.__said")[-1] == "Your answer is 50 letters too long."
    assert_accessible(page, "over the limit")
    typed = box.input_value()
    before = turn_count(page)
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_function("() => document.activeElement.id === 'answer-text'")
    assert page.get_by_role("status").first.inner_text() == TOO_LONG
    box = page.get_by_label("Your answer")
    assert box.input_value() == typed  # nothing lost
    assert box.get_attribute("aria-invalid") == "true"
    assert turn_count(page) == before
    assert_accessible(page, "told it is too long")
    box.fill("My dog is kind")
    before = turn_count(page)
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_function("(n) => document.querySelectorAll('#log .turn').length > n", arg=before)
    assert "What is not good about home?" in last_bot_text(page)


def test_too_long_without_script_keeps_the_words(served, new_context, scriptless_copy):
    """With JavaScript off the page comes back with the words in the box and the reason."""
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{served.base}/c/DEMO")
    for kind, words in TO_A_TEXT_QUESTION:
        take(page, kind, words, False)
    text = "Line one\n" + "b" * 2041
    page.get_by_label("Your answer").fill(text)
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_function("() => document.activeElement.id === 'answer-text'")
    box = page.get_by_label("Your answer")
    assert box.input_value() == text
    assert page.locator("#answer-error").text_content() == f"Error: {TOO_LONG}"
    assert page.locator("#answer-count").inner_text() == (
        "2,050 of 2,000 letters. That is 50 too many."
    )
    assert page.title().startswith("Error:")
    assert_accessible(page, "told it is too long", scriptless_copy)
    box.fill("Line one")
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    assert "What is not good about home?" in last_bot_text(page)


# -- Read aloud and the device's voices ------------------------------------------------

NO_VOICE_YET = """(() => {
    let voices = [];
    window.speechSynthesis.getVoices = () => voices;
    window.__addVoice = () => {
        voices = [{name: 'Late voice', lang: 'en-GB', default: true, localService: true,
                   voiceURI: 'late'}];
        window.speechSynthesis.dispatchEvent(new Event('voiceschanged'));
    };
})();"""


def test_read_aloud_is_hidden_with_speech_but_no_voice(served, new_context):
    """Speech with no voice (Chromium here): no Read aloud buttons, and axe is clean."""
    page = new_context(voices=False).new_page()
    page.goto(f"{served.base}/c/DEMO")
    page.wait_for_timeout(500)
    assert page.evaluate("() => 'speechSynthesis' in window")
    assert page.get_by_role("button", name="Read aloud").count() == 0
    assert_accessible(page, "with no voice")


def test_read_aloud_shows_when_a_voice_arrives(served, new_context):
    """Voices listed a moment after load (voiceschanged): the buttons show then, not before."""
    context = new_context(voices=False)
    context.add_init_script(NO_VOICE_YET)
    page = context.new_page()
    page.goto(f"{served.base}/c/DEMO")
    assert page.get_by_role("button", name="Read aloud").count() == 0
    page.evaluate("window.__addVoice()")
    readers = page.get_by_role("button", name="Read aloud")
    readers.first.wait_for()
    assert readers.count() == page.locator("#log .turn-bot .msg").count() == 2
    assert_accessible(page, "once a voice is known")
