"""A check-in answered by pictures only, in Chromium: cards are toggle buttons, then Done.

With JavaScript on a card toggles where it is; with it off each press comes back as a page
with the card pressed and focus on it. Either way axe finds nothing after every press,
every Done, and after going back to a cards question that shows the cards chosen before.
The export then has one row per card. The check-ins are a test flow of picture cards
(tests/flows/pictures_test.yaml, served by the served_pictures fixture), and the built-in
tops_and_pants_pictures on `voicebox serve`."""

from __future__ import annotations

import pytest

from tests.browser.chat_driver import (
    WAYS,
    Way,
    assert_accessible,
    focused,
    no_sideways_scroll,
    tab_to,
    turn_count,
    wait_for_reply,
    watch_requests,
)
from voicebox.storage.consultations import create_consultation

pytestmark = pytest.mark.browser

GOOD = "What is good about school?"
NOT_GOOD = "What is not good about school?"
FEELING = "How do you feel about school?"


def _check_in(served_pictures, code: str) -> str:
    flow = served_pictures.services.engine.flows["pictures_test"]
    create_consultation(served_pictures.services.database, code, flow.id, flow.version, "Pictures")
    return code


def _card(page, words: str):
    return page.get_by_role("button", name=words, exact=True)


def _pressed(page) -> list[str]:
    return page.eval_on_selector_all(
        ".card[aria-pressed='true'] .words", "(nodes) => nodes.map((n) => n.textContent)"
    )


class Person:
    """A young person who answers by pressing pictures (never typing)."""

    def __init__(self, page, way: Way, copy) -> None:
        self.page = page
        self.way = way
        self.copy = None if way.script else copy

    def check(self, where: str) -> None:
        assert no_sideways_scroll(self.page), where
        assert_accessible(self.page, f"{where} ({self.way})", self.copy)

    def press_picture(self, words: str, pressed: list[str]) -> None:
        """Press a card by its picture; it (and only the right ones) is pressed after."""
        picture = _card(self.page, words).locator("img")
        if self.way.script:
            picture.click()
            now = focused(self.page)
            assert now.tag == "button" and now.text == words, now
        else:
            with self.page.expect_navigation():
                picture.click()
            self.page.wait_for_function(
                "(words) => document.activeElement.textContent.trim() === words", arg=words
            )
        assert _pressed(self.page) == pressed, words
        self.check(f"after pressing {words!r}")

    def press(self, words: str, expect: str) -> None:
        """Press a button that answers (a choice, Done, Go back); the reply must come."""
        button = self.page.get_by_role("button", name=words, exact=True)
        if self.way.script:
            before = turn_count(self.page)
            button.click()
            wait_for_reply(self.page, before)
            assert "turn-bot" in focused(self.page).classes
        else:
            with self.page.expect_navigation():
                button.click()
            self.page.wait_for_function("() => document.activeElement.id === 'now'")
        reply = self.page.locator("#log .turn-bot").last.inner_text()
        assert expect in reply, reply
        self.check(f"after {words!r}")


@pytest.mark.parametrize("way", WAYS, ids=str)
def test_a_check_in_by_pictures_only(served_pictures, new_context, scriptless_copy, way):
    """Every question answered by pressing pictures: cards, Done, back to a cards question
    with the earlier cards shown pressed, a new answer, a feeling, the end."""
    code = _check_in(served_pictures, f"PICS{way.width}{'JS' if way.script else 'NOJS'}")
    page = new_context(**way.options()).new_page()
    requests, complaints = watch_requests(page)
    person = Person(page, way, scriptless_copy)
    page.goto(f"{served_pictures.base}/c/{code}")
    person.check("on arrival")
    person.press("Yes, that is OK", GOOD)
    person.press_picture("My friends", ["My friends"])
    person.press_picture("Sport", ["My friends", "Sport"])
    person.press_picture("My friends", ["Sport"])
    person.press_picture("Lessons", ["Lessons", "Sport"])
    person.press("Done", NOT_GOOD)
    said = page.locator("#log .turn-you").last
    assert said.locator(".said-cards li").all_inner_texts() == ["Lessons", "Sport"]
    assert said.locator(".said-cards img").count() == 2
    person.press_picture("The bus", ["The bus"])
    person.press("Done", FEELING)
    person.press("Go back", NOT_GOOD)
    assert _pressed(page) == ["The bus"]  # the answer given before
    assert "Your answer was: The bus." in page.locator("#log .turn-bot").last.inner_text()
    person.press_picture("Going home", ["The bus", "Going home"])
    person.press("Done", FEELING)
    person.press("Good", "Thank you for your answers")
    rows = served_pictures.export(code)
    assert [(r["answer"], r["answer_key"], r["kind"]) for r in rows] == [
        ("Lessons", "lessons", "top"),
        ("Sport", "sport", "top"),
        ("The bus", "bus", "pants"),
        ("Going home", "home_time", "pants"),
        ("Good", "good", "feeling"),
    ]
    assert {r["channel"] for r in rows} == {"web"}
    assert all(url.startswith(served_pictures.base + "/") for url in requests), requests
    assert complaints == []


@pytest.mark.parametrize("way", WAYS, ids=str)
def test_tops_and_pants_pictures_by_pictures_only(served, new_context, scriptless_copy, way):
    """The built-in picture check-in (tops_and_pants_pictures) on `voicebox serve`, every
    answer a picture: a topic, a feeling, three questions of cards with Done, back to the
    last cards (the earlier cards pressed), a new answer, the end. One row per card."""
    code = f"TOPSPICS{way.width}{'JS' if way.script else 'NOJS'}"
    served.cli(
        "consultation", "create", code, "--flow", "tops_and_pants_pictures", "--title", "Pictures"
    )
    page = new_context(**way.options()).new_page()
    requests, complaints = watch_requests(page)
    person = Person(page, way, scriptless_copy)
    page.goto(f"{served.base}/c/{code}")
    person.check("on arrival")
    for words, expect in [
        ("Yes, that is OK", "Which part of your life"),
        ("School or college", "How do you feel about school or college?"),
        ("Good", "What is good about school or college?"),
    ]:
        person.press(words, expect)
    assert "You can choose one or more answers" in page.locator("#log .turn-bot").last.inner_text()
    person.press_picture("People are kind", ["People are kind"])
    person.press_picture("My friends", ["People are kind", "My friends"])
    person.press("Done", "What is not good about school or college?")
    person.press_picture("Too noisy", ["Too noisy"])
    person.press("Done", "What would make school or college better?")
    person.press_picture("Quiet places", ["Quiet places"])
    person.press("Done", "Do you want to talk about another part of your life?")
    person.press("Go back", "What would make school or college better?")
    assert _pressed(page) == ["Quiet places"]
    person.press_picture("More help", ["Quiet places", "More help"])
    person.press("Done", "Do you want to talk about another part of your life?")
    person.press("No, I am done", "Do you want to hear what we do with your answers?")
    person.press("No thanks", "Thank you.")
    rows = served.export(code)
    assert [(r["answer"], r["answer_key"], r["kind"], r["topic"]) for r in rows] == [
        ("Good", "good", "feeling", "school"),
        ("People are kind", "kind_people", "top", "school"),
        ("My friends", "friends", "top", "school"),
        ("Too noisy", "too_noisy", "pants", "school"),
        ("Quiet places", "quiet_places", "better", "school"),
        ("More help", "more_help", "better", "school"),
    ]
    assert {r["channel"] for r in rows} == {"web"}
    assert all(url.startswith(served.base + "/") for url in requests), requests
    assert complaints == []


def test_cards_by_keyboard(served_pictures, new_context):
    """Tab to a card; Space presses it, Enter lets it go, focus stays and shows; each card is
    at least 44 px; Done by Enter sends the cards."""
    code = _check_in(served_pictures, "PICSKEYS")
    page = new_context().new_page()
    page.goto(f"{served_pictures.base}/c/{code}")
    before = turn_count(page)
    tab_to(page, lambda f: f.tag == "button" and f.text == "Yes, that is OK")
    page.keyboard.press("Enter")
    wait_for_reply(page, before)
    tab_to(page, lambda f: f.tag == "button" and f.text == "The bus")
    page.keyboard.press("Enter")
    assert _card(page, "The bus").get_attribute("aria-pressed") == "true"
    page.keyboard.press("Enter")
    assert _card(page, "The bus").get_attribute("aria-pressed") == "false"
    tab_to(page, lambda f: f.tag == "button" and f.text == "Talking")
    page.keyboard.press("Space")
    assert _card(page, "Talking").get_attribute("aria-pressed") == "true"
    assert focused(page).text == "Talking"
    assert _pressed(page) == ["Talking"]
    assert page.locator("input[name='cards']").input_value() == "good:talking"
    for box in page.locator(".card").evaluate_all(
        "(cards) => cards.map((c) => [c.offsetWidth, c.offsetHeight])"
    ):
        assert box[0] >= 44 and box[1] >= 44, box
    assert_accessible(page, "after pressing cards by keyboard")
    before = turn_count(page)
    tab_to(page, lambda f: f.tag == "button" and f.text == "Done")
    page.keyboard.press("Enter")
    wait_for_reply(page, before)
    said = page.locator("#log .turn-you").last.locator(".said-cards li").all_inner_texts()
    assert said == ["Talking"]
    assert NOT_GOOD in page.locator("#log .turn-bot").last.inner_text()


@pytest.mark.parametrize("script", [True, False], ids=["js", "no-js"])
def test_tell_us_more_is_kept_while_pressing_cards(
    served_pictures, new_context, scriptless_copy, script
):
    """Words typed in Tell us more stay while cards are pressed (without script the page
    comes back with them), and go with Done: a row per card, then the words."""
    code = _check_in(served_pictures, f"PICSWORDS{'JS' if script else 'NOJS'}")
    page = new_context(java_script_enabled=script).new_page()
    person = Person(page, Way(script, 390, 844), scriptless_copy)
    page.goto(f"{served_pictures.base}/c/{code}")
    person.press("Yes, that is OK", GOOD)
    page.get_by_label("Tell us more (you do not have to)").fill("We have a new pitch")
    person.press_picture("Sport", ["Sport"])
    assert page.get_by_label("Tell us more (you do not have to)").input_value() == (
        "We have a new pitch"
    )
    person.press("Done", NOT_GOOD)
    said = page.locator("#log .turn-you").last
    assert said.locator(".said-cards li").all_inner_texts() == ["Sport"]
    assert said.locator(".text").inner_text() == "We have a new pitch"
    rows = served_pictures.export(code)
    assert [(r["answer"], r["answer_key"]) for r in rows] == [
        ("Sport", "sport"),
        ("We have a new pitch", ""),
    ]
