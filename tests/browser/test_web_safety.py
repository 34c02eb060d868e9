"""Keeping people safe, in a real browser with axe after each step: the caring reply's panel
(read once, still there after a reload), Back after Exit this page with JavaScript off, and
a check-in closed while its page is open."""

from __future__ import annotations

import pytest

from tests.browser.chat_driver import (
    TO_A_TEXT_QUESTION,
    answer,
    assert_accessible,
    focused,
    no_sideways_scroll,
    take,
    turn_count,
    wait_for_reply,
)

pytestmark = pytest.mark.browser

WORRY = "I am not safe at home"


def _focus_holds(page, selector: str) -> bool:
    return page.evaluate(
        "(selector) => document.activeElement.querySelector(selector) !== null", selector
    )


@pytest.mark.parametrize("script", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("contrast", ["no-preference", "more"])
def test_caring_reply_stands_apart(served, new_context, scriptless_copy, script, contrast):
    """The caring reply is a panel with big buttons to call Childline and 999. Focus goes to
    its turn (so it is read), no live region says it again, and a reload keeps it."""
    page = new_context(java_script_enabled=script, contrast=contrast).new_page()
    copy = None if script else scriptless_copy
    page.goto(f"{served.base}/c/DEMO")
    for kind, words in TO_A_TEXT_QUESTION:
        take(page, kind, words, script)
    take(page, "type", WORRY, script)
    if not script:
        page.wait_for_function("() => document.activeElement.id === 'now'")
    for when in ("after the worrying message", "after a reload"):
        panel = page.locator("#log .caring")
        assert panel.count() == 1, when
        childline = panel.get_by_role("link", name="Call Childline free: 0800 1111")
        assert childline.get_attribute("href") == "tel:08001111"
        box = childline.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 200
        emergency = panel.get_by_role("link", name="In an emergency, call 999")
        assert emergency.get_attribute("href") == "tel:999"
        if when == "after the worrying message":
            assert _focus_holds(page, ".caring"), focused(page)
        spoken = page.evaluate(
            """() => [...document.querySelectorAll('[aria-live], [role=status], [role=alert]')]
                .filter((el) => el.getAttribute('aria-live') !== 'off')
                .map((el) => el.textContent).join(' ')"""
        )
        assert "Childline" not in spoken
        assert no_sideways_scroll(page)
        assert_accessible(page, f"{when} ({contrast})", copy)
        page.reload()


def test_back_after_exit_with_javascript_off_shows_no_answers(served, new_context, scriptless_copy):
    """Exit this page is a plain link without script; Back then shows a page that hides the
    answers until the person presses Show my answers."""
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{served.base}/")
    page.goto(f"{served.base}/c/DEMO")
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, that is OK", exact=True).click()
    assert "Which part of your life" in page.content()
    page.get_by_role("link", name="Exit this page").click()
    page.wait_for_url("**/away")
    page.go_back()
    assert page.url.endswith("/c/DEMO")
    assert page.get_by_role("heading", level=1).inner_text() == "Your answers are hidden"
    assert "Which part of your life" not in page.content()
    assert page.get_by_role("log").count() == 0
    assert_accessible(page, "hidden after Exit this page", scriptless_copy)
    with page.expect_navigation():
        page.get_by_role("button", name="Show my answers").click()
    assert "Which part of your life" in page.locator("#log").inner_text()


def test_back_after_exit_with_javascript_on_shows_no_answers(served, new_context):
    """With script, Exit this page replaces the page; going to the check-in again shows it
    hidden too, until the person asks."""
    page = new_context().new_page()
    page.goto(f"{served.base}/c/DEMO")
    answer(page, "choose", "Yes, that is OK")
    page.get_by_role("link", name="Exit this page").click()
    page.wait_for_url("**/away")
    page.goto(f"{served.base}/c/DEMO")
    assert page.get_by_role("heading", level=1).inner_text() == "Your answers are hidden"
    assert_accessible(page, "hidden after Exit this page")
    page.get_by_role("button", name="Show my answers").click()
    page.wait_for_selector("#log")
    assert "Which part of your life" in page.locator("#log").inner_text()


@pytest.mark.parametrize("script", [True, False], ids=["js", "no-js"])
def test_closed_while_the_page_is_open(served, new_context, scriptless_copy, script):
    """The next press says the check-in has closed; no answer buttons or text box are left."""
    code = f"SHUT{'JS' if script else 'NOJS'}"
    served.cli("consultation", "create", code, "--flow", "tops_and_pants", "--title", "Soon shut")
    page = new_context(java_script_enabled=script).new_page()
    page.goto(f"{served.base}/c/{code}")
    take(page, "choose", "Yes, that is OK", script)
    served.cli("consultation", "close", code)
    if script:
        before = turn_count(page)
        page.get_by_role("button", name="Home", exact=True).click()
        wait_for_reply(page, before)
        reply = page.locator("#log .turn-bot").last
        assert "this check-in has closed" in reply.inner_text()
        assert "turn-bot" in focused(page).classes
        assert page.get_by_role("link", name="Go to the start page").is_visible()
    else:
        with page.expect_navigation():
            page.get_by_role("button", name="Home", exact=True).click()
        assert page.get_by_role("heading", level=1).inner_text() == "This check-in has closed"
    assert page.locator(".answer-form, textarea").count() == 0
    assert page.get_by_role("button", name="Home").count() == 0
    assert page.get_by_role("button", name="Skip").count() == 0
    assert_accessible(page, "after the check-in closed", None if script else scriptless_copy)
    page.reload()
    assert page.get_by_role("heading", level=1).inner_text() == "This check-in has closed"
    assert page.locator(".answer-form, textarea").count() == 0
