"""Screenshots of the workers' area for README, from the real pages after six young people
took part: the check-ins list, the results, a conversation and the safeguarding queue.

A test run leaves the repository as it was; VOICEBOX_UPDATE_SCREENSHOTS=1 refreshes the
pictures in docs/screenshots/."""

from __future__ import annotations

import os

from tests.browser.chat_driver import TO_A_TEXT_QUESTION, assert_accessible, take
from tests.browser.test_web_chat import DOCS_SCREENSHOTS, UPDATE_SCREENSHOTS

PASSWORD = "a long enough password"
SAID = [
    "My keyworker listens to me",
    "My room is quiet",
    "We cook tea together",
    "I feel safe here",
    "My sister visits",
    "i want to die",  # the flag in the queue
]


def test_workers_area_screenshots(served, new_context, tmp_path):
    """Desktop pictures of four pages, each small enough for the repository."""
    folder = DOCS_SCREENSHOTS if os.environ.get(UPDATE_SCREENSHOTS) == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    served.cli("consultation", "create", "OAK1", "--flow", "tops_and_pants", "--title", "Oakfield")
    served.cli("group", "add", "Oakfield team", "OAK1")
    env = {**served.env, "VOICEBOX_WORKER_PASSWORD": PASSWORD}
    served.env, saved = env, served.env
    try:
        served.cli(
            "worker", "create", "sam@example.org", "--role", "worker", "--group", "Oakfield team"
        )
    finally:
        served.env = saved
    for words in SAID:
        young = new_context().new_page()
        young.goto(f"{served.base}/c/OAK1")
        for kind, said in TO_A_TEXT_QUESTION:
            take(young, kind, said, True)
        take(young, "type", words, True)

    context = new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    page.goto(f"{served.base}/workers/login")
    page.fill("#email", "sam@example.org")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{served.base}/workers/")
    shots = {}
    for name, path in [
        ("workers-checkins", "/workers/"),
        ("workers-results", "/workers/checkins/OAK1/results"),
        ("workers-flags", "/workers/flags"),
    ]:
        page.goto(served.base + path)
        if name == "workers-results":  # the charts, not the words above them
            page.get_by_role("heading", name="Parts of life").evaluate("h => h.scrollIntoView()")
        page.mouse.move(0, 0)
        shots[name] = folder / f"{name}.png"
        page.screenshot(path=shots[name], animations="disabled")
    page.goto(f"{served.base}/workers/checkins/OAK1/conversations")
    page.locator("main table a").last.click()
    page.wait_for_load_state()
    assert_accessible(page, "on the conversation pictured")
    shots["workers-conversation"] = folder / "workers-conversation.png"
    page.screenshot(path=shots["workers-conversation"], animations="disabled")
    for path in shots.values():
        assert 10_000 < path.stat().st_size < 300_000, path
