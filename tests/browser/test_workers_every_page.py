"""Every page of the workers' area, as an admin, at 200% zoom: axe finds nothing, nothing
scrolls sideways, and nothing is asked of another site. The other browser tests walk the
journeys; this one makes sure no page is left out of the check. It also takes README's
pictures of the area from the same pages (a run leaves the repository as it was;
VOICEBOX_UPDATE_SCREENSHOTS=1 refreshes the pictures in docs/screenshots/)."""

from __future__ import annotations

import os
import re

from tests.browser.area_driver import PASSWORD, ZOOMED
from tests.browser.chat_driver import (
    TO_A_TEXT_QUESTION,
    assert_accessible,
    no_sideways_scroll,
    take,
    watch_requests,
)
from tests.browser.test_web_chat import DOCS_SCREENSHOTS, UPDATE_SCREENSHOTS

SAID = [
    "My keyworker listens to me",
    "My room is quiet",
    "We cook tea together",
    "I feel safe here",
    "My sister visits",
    "i want to die",  # the flag in the queue
]


def test_every_page_passes_axe_at_200_percent(served, new_context, tmp_path):
    """Each GET page an admin can open, including one flag, one conversation, one worker,
    one group and the 'not found' page; then desktop pictures of four of them."""
    served.cli("consultation", "create", "EVERY", "--flow", "tops_and_pants", "--title", "All")
    served.cli("group", "add", "Every team", "EVERY")
    # A code of 32 letters cannot wrap: the list of check-ins is wider than the window.
    wide = "WIDE" + "X" * 28
    served.cli("consultation", "create", wide, "--flow", "tops_and_pants", "--title", "Wide")
    env = {**served.env, "VOICEBOX_WORKER_PASSWORD": PASSWORD}
    served.env, saved = env, served.env
    try:
        served.cli("worker", "create", "eve@example.org", "--role", "admin")
    finally:
        served.env = saved
    for words in SAID:  # six, so the results show numbers, not only "fewer than 5"
        young = new_context().new_page()
        young.goto(f"{served.base}/c/EVERY")
        for kind, said in TO_A_TEXT_QUESTION:
            take(young, kind, said, True)
        take(young, "type", words, True)

    page = new_context(viewport=ZOOMED).new_page()
    requests, _complaints = watch_requests(page)
    page.goto(f"{served.base}/workers/login")
    assert_accessible(page, "/workers/login")
    page.fill("#email", "eve@example.org")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{served.base}/workers/")

    # A theme, so the report page shows its form (and the confirmation page its words).
    page.goto(f"{served.base}/workers/checkins/EVERY/themes")
    page.fill("#name", "Home")
    page.press("#name", "Enter")
    page.wait_for_selector("text=The theme “Home” is made.")

    def first_link(path: str, pattern: str) -> str:
        page.goto(served.base + path)
        hrefs = page.locator("main a").evaluate_all("links => links.map(a => a.pathname)")
        return next(h for h in hrefs if re.fullmatch(pattern, h))

    pages = [
        "/workers/",
        "/workers/flags",
        first_link("/workers/flags", r"/workers/flags/\d+"),
        "/workers/checkins/new",
        "/workers/checkins/EVERY",
        "/workers/checkins/EVERY/edit",
        "/workers/checkins/EVERY/poster",
        "/workers/checkins/EVERY/conversations",
        first_link("/workers/checkins/EVERY/conversations", r"/workers/conversations/\d+"),
        "/workers/checkins/EVERY/results",
        "/workers/checkins/EVERY/themes",
        "/workers/checkins/EVERY/report",
        "/workers/checkins/EVERY/report/send",
        "/workers/checkins/EVERY/live?updates=off",
        "/workers/admin/workers",
        "/workers/admin/workers/new",
        first_link("/workers/admin/workers", r"/workers/admin/workers/\d+"),
        "/workers/admin/groups",
        first_link("/workers/admin/groups", r"/workers/admin/groups/\d+"),
        "/workers/admin/audit",
        "/workers/admin/erase",
        "/workers/checkins/NOSUCH",
    ]
    for path in pages:
        response = page.goto(served.base + path)
        assert response is not None
        assert response.status == (404 if "NOSUCH" in path else 200), path
        assert_accessible(page, path)
        if "poster" not in path:  # the poster is a printed page: it is A4 wide on purpose
            assert no_sideways_scroll(page), path
    assert [url for url in requests if not url.startswith(served.base)] == []

    folder = DOCS_SCREENSHOTS if os.environ.get(UPDATE_SCREENSHOTS) == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    desk = new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1).new_page()
    desk.goto(f"{served.base}/workers/login")
    desk.fill("#email", "eve@example.org")
    desk.fill("#password", PASSWORD)
    desk.click("button[type=submit]")
    desk.wait_for_url(f"{served.base}/workers/")
    conversation = next(p for p in pages if p.startswith("/workers/conversations/"))
    shots = []
    for name, path in [
        ("workers-checkins", "/workers/"),
        ("workers-results", "/workers/checkins/EVERY/results"),
        ("workers-flags", "/workers/flags"),
        ("workers-conversation", conversation),
    ]:
        desk.goto(served.base + path)
        if name == "workers-results":  # the charts, not the words above them
            desk.get_by_role("heading", name="Parts of life").evaluate("h => h.scrollIntoView()")
        desk.mouse.move(0, 0)
        shots.append(folder / f"{name}.png")
        desk.screenshot(path=shots[-1], animations="disabled")
    for shot in shots:
        assert 10_000 < shot.stat().st_size < 300_000, shot
