"""Making, changing, closing and finding in check-ins, in a real browser: keyboard first,
axe after each step (errors shown, at 200% zoom), nothing asked of another site."""

from __future__ import annotations

import pytest

from tests.browser.area_driver import PASSWORD, ZOOMED, sign_in
from tests.browser.chat_driver import (
    TO_A_TEXT_QUESTION,
    assert_accessible,
    focused,
    no_sideways_scroll,
    tab_to,
    take,
    watch_requests,
)

INTRO = "We are the Millbrook youth club. We want to hear what you think."


@pytest.fixture(scope="module")
def makers(served):
    """A youth worker alone in their group."""
    env = {**served.env, "VOICEBOX_WORKER_PASSWORD": PASSWORD}
    served.env, saved = env, served.env
    try:
        served.cli(
            "worker", "create", "ola@example.org", "--role", "worker", "--group", "Millbrook"
        )
    finally:
        served.env = saved
    return served


def test_make_a_checkin_by_keyboard(makers, new_context):
    """From the list to a new check-in by keyboard: mistakes shown and linked, then made;
    closed and opened again. axe finds nothing at any step."""
    code = "MILL1"
    page = new_context(viewport=ZOOMED).new_page()
    requests, complaints = watch_requests(page)
    sign_in(page, makers.base, "ola@example.org")
    tab_to(page, lambda f: f.tag == "a" and f.text == "Make a check-in")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{makers.base}/workers/checkins/new")
    assert_accessible(page, "on the new check-in form")
    assert no_sideways_scroll(page)

    tab_to(page, lambda f: f.id == "code")
    page.keyboard.type(code.lower())
    page.keyboard.press("Tab")
    page.keyboard.type("Millbrook, spring")
    page.focus("#intro")
    page.keyboard.type("Please fill in the KPI survey.")
    tab_to(page, lambda f: f.tag == "button" and f.text == "Make the check-in")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    assert "Choose the questions" in summary.inner_text()
    assert "Make these words easier to read" in summary.inner_text()
    assert page.title().startswith("Error:")
    assert page.input_value("#code") == code  # what was typed stays
    assert_accessible(page, "with mistakes shown")
    assert no_sideways_scroll(page)
    page.locator(".error-summary a", has_text="Choose the questions").click()
    page.get_by_label("What is good and what is not good (tops_and_pants)").check()
    page.fill("#intro", INTRO)
    page.fill("#ends_on", "2030-06-30")
    page.get_by_role("button", name="Make the check-in").click()
    # The summary link's #flow stays on the address through the redirect, as browsers do.
    page.wait_for_url(f"{makers.base}/workers/checkins/{code}#flow")
    main = page.inner_text("main")
    assert f"The check-in {code} is made." in main and INTRO in main
    assert "At the end of Sunday 30 June 2030" in main
    assert_accessible(page, "on the new check-in's page")
    assert no_sideways_scroll(page)

    tab_to(page, lambda f: f.tag == "button" and f.text == "Close it now")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "is closed. Its answers are kept." in page.inner_text("main")
    assert_accessible(page, "after closing it")
    with page.expect_navigation():
        page.get_by_role("button", name="Open it again").click()
    assert "is open again." in page.inner_text("main")
    assert [url for url in requests if not url.startswith(makers.base)] == []
    assert [c for c in complaints if "status of 400" not in c] == []


def test_find_a_conversation_with_the_filters(makers, new_context):
    """Two young people answer; the worker finds one by a word, axe on the filtered list
    (scrolled to the results, as a person leaves it), then a wrong date is explained."""
    code = "MILL3"
    makers.cli("consultation", "create", code, "--flow", "tops_and_pants", "--title", "Find")
    makers.cli("group", "add", "Millbrook", code)
    for words in ("the skate park is great", "the bus is always late"):
        young = new_context().new_page()
        young.goto(f"{makers.base}/c/{code}")
        for kind, said in TO_A_TEXT_QUESTION:
            take(young, kind, said, True)
        take(young, "type", words, True)
    page = new_context(viewport=ZOOMED).new_page()
    sign_in(page, makers.base, "ola@example.org")
    page.goto(f"{makers.base}/workers/checkins/{code}/conversations")
    assert "2 conversations" in page.inner_text("#match-count")
    page.fill("#words", "skate")
    with page.expect_navigation():
        page.get_by_role("button", name="Find").click()
    assert page.inner_text("#match-count").startswith("1 conversation matches")
    page.locator("main table").scroll_into_view_if_needed()
    assert_accessible(page, "on the filtered list, scrolled to it")
    assert no_sideways_scroll(page)
    page.fill("#started_from", "2026-03-02")
    page.fill("#started_to", "2026-03-01")
    with page.expect_navigation():
        page.get_by_role("button", name="Find").click()
    assert "must be the same as or after" in page.inner_text(".error-summary")
    assert_accessible(page, "with a backwards date range")
    page.locator(".error-summary a").first.click()
    assert focused(page).id == "started_to"


def test_an_admin_shows_what_is_hidden_in_a_conversation(makers, new_context):
    """An admin reads a conversation with a typed phone number hidden, presses the button,
    and sees it; axe on both pages."""
    code = "MILL4"
    makers.cli("consultation", "create", code, "--flow", "tops_and_pants", "--title", "Reveal")
    env = {**makers.env, "VOICEBOX_WORKER_PASSWORD": PASSWORD}
    makers.env, saved = env, makers.env
    try:
        makers.cli("worker", "create", "reveal-admin@example.org", "--role", "admin")
    finally:
        makers.env = saved
    young = new_context().new_page()
    young.goto(f"{makers.base}/c/{code}")
    for kind, said in TO_A_TEXT_QUESTION:
        take(young, kind, said, True)
    take(young, "type", "ring me on 07700 900461", True)
    page = new_context(viewport=ZOOMED).new_page()
    sign_in(page, makers.base, "reveal-admin@example.org")
    page.goto(f"{makers.base}/workers/checkins/{code}/conversations")
    with page.expect_navigation():
        page.locator("main table a").first.click()
    assert "ring me on [phone number]" in page.inner_text("main")
    assert_accessible(page, "on a conversation with details hidden")
    with page.expect_navigation():
        page.get_by_role("button", name="Show what is hidden").click()
    assert "ring me on 07700 900461" in page.inner_text("main")
    assert "Nothing is hidden on this page." in page.inner_text("main")
    assert_accessible(page, "with nothing hidden")
    assert no_sideways_scroll(page)
