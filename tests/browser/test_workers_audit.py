"""The audit log in a real browser, at 200% zoom: an admin reaches it from the admins' menu
and filters it by keyboard; axe finds nothing on the filtered page."""

from __future__ import annotations

from tests.browser.area_driver import PASSWORD, ZOOMED, sign_in
from tests.browser.chat_driver import (
    assert_accessible,
    focused,
    no_sideways_scroll,
    tab_to,
    watch_requests,
)


def test_an_admin_filters_the_audit_log_by_keyboard(served, new_context):
    """Admins' menu, then "What they did": Signed in, then Find. The list says how many
    match, each row in words; axe is clean and nothing scrolls sideways."""
    served.env, saved = {**served.env, "VOICEBOX_WORKER_PASSWORD": PASSWORD}, served.env
    try:
        served.cli("worker", "create", "audrey@example.org", "--role", "admin")
    finally:
        served.env = saved
    base = served.base
    page = new_context(viewport=ZOOMED).new_page()
    requests, _complaints = watch_requests(page)
    sign_in(page, base, "audrey@example.org")
    page.goto(f"{base}/workers/admin/workers")

    tab_to(page, lambda f: f.tag == "a" and f.text == "Audit log")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/workers/admin/audit")
    tab_to(page, lambda f: f.id == "action")
    page.select_option("#action", "signed_in")  # what a keyboard's arrows pick in the list
    assert focused(page).id == "action"
    tab_to(page, lambda f: f.tag == "button" and f.text == "Find")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert "action=signed_in" in page.url
    assert "match" in page.inner_text("#match-count")
    rows = page.locator("tbody tr").all_inner_texts()
    assert rows and all("Signed in" in row for row in rows)
    assert any("audrey@example.org" in row for row in rows)
    assert_accessible(page, "the audit log, filtered")
    assert no_sideways_scroll(page)
    assert [url for url in requests if not url.startswith(base)] == []
