"""Every path people take through both built-in flows, checked by axe after every step.

Each journey below is walked by a new visitor in all four ways the page is used: with
JavaScript on and off, in a 320 px window and a 1280 px desktop one. After every step the
log must show what the person did, the newest reply must say what it should, focus must be
on it, nothing may scroll sideways, and axe must find no WCAG 2.2 A/AA violation on the page
as the person was left with it (scrolled to the reply, not back to the top).

Together the journeys take each topic of tops_and_pants (the four on the first list, the
three behind "More choices", and back from there), skip, go back, help, stop then start
again, consent "No thanks", a safeguarding message and the end (then start again); and in
four_cornerstones every command, a safeguarding message, the end and "No thanks". A topic's
questions are the same page with the topic's words in them, so each topic is taken as far
as its first typed question, and school on to the end. Every journey starts a new check-in,
so the logs stay short and axe stays quick."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from tests.browser.chat_driver import (
    WAYS,
    accessibility_problems,
    assert_accessible,
    focused,
    no_sideways_scroll,
    take,
    watch_requests,
)

pytestmark = pytest.mark.browser

TOPICS = "Which part of your life do you want to talk about?"
MORE = "Here are more parts of your life."
ANOTHER = "Do you want to talk about another part of your life?"
HEAR_BACK = "Do you want to hear what we do with your answers?"
CONSENT = "The people who run this group read your answers."
THE_END = "The people who run this group will talk about what to change."
NOT_KEPT = "We have not kept your answers."
HELP = "To talk to a person, ask someone who runs your group."
BACK = "OK, let us go back."
STOPPED = "You have stopped."
WELCOME_BACK = "Welcome back. Here is where you were."
CARING = "You can call Childline free on 0800 1111"
SAFEGUARDING = "I am not safe at home"


class Step(NamedTuple):
    """Press a button (a choice or Go back, Skip, Help, Stop, Start again) or type and Send;
    the newest reply from Voicebox must then hold every one of `expect`."""

    kind: str  # "press" or "type"
    words: str
    expect: tuple[str, ...]


def press(words: str, *expect: str) -> Step:
    return Step("press", words, expect)


def type_(words: str, *expect: str) -> Step:
    return Step("type", words, expect)


YES = press("Yes, that is OK", TOPICS)
CORNER_YES = press("Yes, that is OK", "Part 1: feeling welcome.")
WELCOME_BETTER = "What could be better about how people welcome you and care for you?"
INCLUDE_BETTER = "What could be better about how people include you and value you?"
TALK = "They talk to me, not my mum ({way})"


class Journey(NamedTuple):
    """A new visitor's way through one check-in. `kept` is an answer (with "{way}" in its
    words, so each run's is its own) that the export must then hold once, with its topic."""

    code: str
    steps: list[Step]
    kept: tuple[str, str] | None = None


JOURNEYS: dict[str, Journey] = {
    "school-to-the-end-and-start-again": Journey(
        "DEMO",
        [
            YES,
            press("School or college", "How do you feel about school or college?"),
            press("Good", "What is good about school or college?"),
            type_("My friends are kind", "What is not good about school or college?"),
            type_("Lunch is too loud", "What would make school or college better?"),
            type_("More time outside", ANOTHER),
            press("No, I am done", HEAR_BACK),
            press("Yes, tell me", THE_END),
            press("Start again", CONSENT),
        ],
    ),
    "home-skip-and-go-back": Journey(
        "DEMO",
        [
            YES,
            press("Home", "How do you feel about home?"),
            press("Very good", "What is good about home?"),
            press("Skip", "What is not good about home?"),
            press("Go back", BACK, "What is good about home?"),
            type_("My dog", "What is not good about home?"),
            press("Skip", "What would make home better?"),
            press("Skip", ANOTHER),
            press("Yes", TOPICS),
        ],
    ),
    "health-and-help": Journey(
        "DEMO",
        [
            YES,
            press("Health", "How do you feel about your health care?"),
            press("Help", HELP, "How do you feel about your health care?"),
            press("OK", "What is good about your health care?"),
            press("Help", HELP, "What is good about your health care?"),
        ],
    ),
    "getting-around-stop-and-start-again": Journey(
        "DEMO",
        [
            YES,
            press("Getting around", "How do you feel about getting around?"),
            press("Stop", STOPPED),
            press("Start again", WELCOME_BACK, "How do you feel about getting around?"),
            press("Not good", "What is good about getting around?"),
        ],
    ),
    "more-choices-and-clubs": Journey(
        "DEMO",
        [
            YES,
            press("More choices", MORE),
            press("Back to the first list", TOPICS),
            press("More choices", MORE),
            press("Clubs and fun", "How do you feel about clubs and fun?"),
            press("Bad", "What is good about clubs and fun?"),
        ],
    ),
    "people-who-help-and-safeguarding": Journey(
        "DEMO",
        [
            YES,
            press("More choices", MORE),
            press("People who help me", "How do you feel about the help you get?"),
            press("Good", "What is good about the help you get?"),
            type_(SAFEGUARDING, CARING, "What is not good about the help you get?"),
        ],
    ),
    "something-else": Journey(
        "DEMO",
        [
            YES,
            press("More choices", MORE),
            press("Something else", "What part of your life do you want to talk about?"),
            type_("Drama club", "How do you feel about Drama club?"),  # the topic named
            press("Very good", "What is good about Drama club?"),
        ],
    ),
    "consent-no-and-start-again": Journey(
        "DEMO",
        [press("No thanks", NOT_KEPT), press("Start again", CONSENT)],
    ),
    "cornerstones-every-command-to-the-end": Journey(
        "CORNER",
        [
            CORNER_YES,
            type_("People say hello to me", WELCOME_BETTER),
            press("Go back", BACK, "Part 1: feeling welcome."),
            type_("They smile at me", WELCOME_BETTER),
            press("Help", HELP, WELCOME_BETTER),
            press("Skip", "Part 2: being included."),
            type_(SAFEGUARDING, CARING, INCLUDE_BETTER),
            type_("Ask me first", "Part 3: talking and listening."),
            press("Stop", STOPPED),
            press("Start again", WELCOME_BACK, "Part 3: talking and listening."),
            type_(TALK, "What could be better about how people talk with you"),
            press("Skip", "Part 4: working together."),
            press("Skip", "What could be better about how people plan things with you?"),
            type_("We plan my review together", "If you could change one thing"),
            type_("Listen and then do it", HEAR_BACK),
            press("No thanks", THE_END),
        ],
        kept=(TALK, "communicate"),
    ),
    "cornerstones-consent-no": Journey("CORNER", [press("No thanks", NOT_KEPT)]),
}


def _take(page, kind: str, words: str, script: bool) -> None:
    """One step as a person takes it; wait until the reply is there and has focus."""
    take(page, kind, words, script)
    if script:
        now = focused(page)
        assert "turn-bot" in now.classes, f"focus did not move to the reply: {now}"
    else:
        page.wait_for_function("() => document.activeElement.id === 'now'", timeout=10_000)


@pytest.mark.parametrize("way", WAYS, ids=str)
@pytest.mark.parametrize("journey", list(JOURNEYS))
def test_every_step_of_every_path_is_accessible(served, new_context, scriptless_copy, journey, way):
    """Walk one journey in one way; after each step check the reply, focus, reflow and axe."""
    code, steps, kept = JOURNEYS[journey]
    page = new_context(**way.options()).new_page()
    requests, complaints = watch_requests(page)
    copy_for_axe = None if way.script else scriptless_copy
    page.goto(f"{served.base}/c/{code}")
    assert_accessible(page, "on arrival", copy_for_axe)
    for step in steps:
        words = step.words.format(way=way)
        _take(page, step.kind, words, way.script)
        where = f"after {words!r} ({journey}, {way})"
        assert page.url.endswith(f"/c/{code}"), where
        said = page.locator("#log .turn-you").last.inner_text()
        assert said.endswith(words), f"{where}: the log shows {said!r}"
        reply = page.locator("#log .turn-bot").last.inner_text()
        missing = [expected for expected in step.expect if expected not in reply]
        assert not missing, f"{where}: the reply lacks {missing}:\n{reply}"
        assert no_sideways_scroll(page), f"{where}: the page scrolls sideways"
        assert_accessible(page, where, copy_for_axe)
    readers = page.get_by_role("button", name="Read aloud")
    assert readers.count() == (page.locator("#log .turn-bot .msg").count() if way.script else 0)
    assert all(url.startswith(served.base + "/") for url in requests), requests
    assert complaints == []
    if kept:
        words, topic = kept[0].format(way=way), kept[1]
        rows = [row for row in served.export(code) if row["answer"] == words]
        assert [(row["channel"], row["topic"]) for row in rows] == [("web", topic)], rows


def test_axe_sees_the_page_where_it_is_scrolled(served, new_context):
    """The checks can fail: a Read aloud button scrolled almost all the way under Exit this
    page is too small to press, and axe, run where the page is, says so."""
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(f"{served.base}/c/DEMO")
    assert accessibility_problems(page) == []
    page.evaluate(
        """() => {
        const exit = document.querySelector('.quick-exit').getBoundingClientRect();
        const reader = document.querySelector('#log .read-aloud').getBoundingClientRect();
        // leave 10 px of the button showing below Exit this page, too close to it
        window.scrollTo(0, window.scrollY + reader.top - (exit.bottom - reader.height + 10));
    }"""
    )
    problems = accessibility_problems(page)
    assert any(p.startswith("target-size (serious)") and "read-aloud" in p for p in problems)


def test_axe_checks_the_copy_of_a_page_without_script(served, new_context, scriptless_copy):
    """The checks can fail with JavaScript off too: the copy axe checks is the page's own."""
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{served.base}/c/DEMO")
    assert scriptless_copy.problems(page) == []
    page.evaluate("() => document.querySelector('#log .msg').append(document.createElement('img'))")
    assert any(p.startswith("image-alt (critical)") for p in scriptless_copy.problems(page))
