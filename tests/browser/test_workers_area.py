"""The workers' area in a real browser: signing in and out by keyboard, errors, groups,
with axe after each step, at 200% zoom, and with nothing asked of another site."""

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
from tests.qr import scan

DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def workers(served):
    """A youth worker in one group, a check-in in that group and one in another."""
    env = {**served.env, "VOICEBOX_WORKER_PASSWORD": PASSWORD}
    for code, group in [("BYOUTH", "Browser youth"), ("BOTHER", "Browser other")]:
        served.cli(
            "consultation",
            "create",
            code,
            "--flow",
            "tops_and_pants",
            "--title",
            f"{group} check-in",
            "--group",
            group,
        )
    served.env, saved = env, served.env
    try:
        served.cli(
            "worker", "create", "kai@example.org", "--role", "worker", "--group", "Browser youth"
        )
    finally:
        served.env = saved
    return served


@pytest.mark.parametrize("viewport", [DESKTOP, ZOOMED], ids=["desktop", "zoom-200"])
def test_a_worker_signs_in_and_out_by_keyboard(workers, new_context, viewport):
    """Keyboard only: a wrong password is named at the top and by the field, then the right
    one opens the worker's check-ins, then Sign out; axe finds nothing at any step."""
    page = new_context(viewport=viewport).new_page()
    requests, complaints = watch_requests(page)
    page.goto(f"{workers.base}/workers/")
    assert page.url.endswith("/workers/login?next=%2Fworkers%2F")
    assert_accessible(page, "on the sign-in page")

    tab_to(page, lambda f: f.id == "email")
    page.keyboard.type("kai@example.org")
    page.keyboard.press("Tab")
    assert focused(page).id == "password"
    page.keyboard.type("not it")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    assert "The email address or password is not right." in summary.inner_text()
    assert page.title().startswith("Error:")
    assert_accessible(page, "after a wrong password")
    assert no_sideways_scroll(page)

    page.fill("#password", PASSWORD)
    page.focus("#password")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{workers.base}/workers/")
    text = page.locator("main").inner_text()
    assert "BYOUTH" in text and "BOTHER" not in text and "DEMO" not in text
    assert "Signed in as kai@example.org" in page.inner_text("header")
    assert "safeguarding" in page.inner_text("#new-flags").lower()
    assert_accessible(page, "on the home page")
    assert no_sideways_scroll(page)

    tab_to(page, lambda f: f.tag == "button" and f.text == "Sign out")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{workers.base}/workers/login")
    assert "You are signed out." in page.inner_text("main")
    assert_accessible(page, "after signing out")
    page.goto(f"{workers.base}/workers/")
    assert "/workers/login" in page.url
    assert [url for url in requests if not url.startswith(workers.base)] == []
    # The wrong password's page is a 400, which Chromium logs; nothing else may complain.
    assert [c for c in complaints if "status of 400" not in c] == []


def test_empty_fields_link_to_each_field(workers, new_context):
    """Nothing typed: each error in the summary is a link that takes focus to its field."""
    page = new_context(viewport=DESKTOP).new_page()
    page.goto(f"{workers.base}/workers/login")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    links = page.locator(".error-summary a")
    assert links.all_inner_texts() == ["Enter your email address", "Enter your password"]
    assert_accessible(page, "with both fields empty")
    links.nth(1).click()
    assert focused(page).id == "password"


def test_a_call_for_help_on_the_web_reaches_the_workers_queue(workers, new_context):
    """A young person asks for help in the web chat; the group's worker sees the flag, opens
    it, is told what is missing, and says it was seen, then acted on. axe at each step."""
    young = new_context().new_page()
    young.goto(f"{workers.base}/c/BYOUTH")
    for kind, words in TO_A_TEXT_QUESTION:
        take(young, kind, words, True)
    take(young, "type", "i want to die", True)

    page = new_context(viewport=DESKTOP).new_page()
    sign_in(page, workers.base, "kai@example.org")
    assert "1 new safeguarding flag to read" in page.inner_text("#new-flags")
    page.click("#new-flags a")
    page.wait_for_url(f"{workers.base}/workers/flags")
    assert "“want to die”" in page.inner_text("main")
    assert_accessible(page, "on the queue")
    page.locator("main table a").first.click()
    page.wait_for_load_state()
    assert_accessible(page, "on the flag")
    page.get_by_label("Acted on: it has been dealt with").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "Say what was done and who was told" in page.inner_text(".error-summary")
    assert_accessible(page, "after acted with no note")
    page.get_by_label("Seen: I have read it and I am dealing with it").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{workers.base}/workers/flags")
    assert "No new safeguarding flags" in page.inner_text("#new-flags")
    assert_accessible(page, "after marking it seen")


def test_the_poster_prints_with_a_qr_code_that_scans_to_the_checkin(workers, new_context):
    """From the check-in list to its share kit and poster (axe on each); the poster's QR
    code, as drawn on screen and in print, scans to the check-in's link."""
    page = new_context(viewport=DESKTOP).new_page()
    sign_in(page, workers.base, "kai@example.org")
    page.click('a[href="/workers/checkins/BYOUTH"]')
    page.wait_for_url(f"{workers.base}/workers/checkins/BYOUTH")
    assert_accessible(page, "on the share kit")
    page.get_by_role("link", name="Open the easy-read poster to print").click()
    page.wait_for_url(f"{workers.base}/workers/checkins/BYOUTH/poster")
    assert_accessible(page, "on the poster")
    for media in ("screen", "print"):
        page.emulate_media(media=media)
        png = page.locator(".poster-qr").screenshot()
        assert scan(png) == [f"{workers.base}/c/BYOUTH"], media
    assert not page.locator(".poster-tools").is_visible()  # still in print
