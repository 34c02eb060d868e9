""" "You said, we did" in a real browser, by keyboard at 200% zoom: write a theme's three
boxes, save, read the preview, go to the confirmation page, send it, and see the counts.
axe runs where the page is after each step, and nothing is asked of another site."""

from __future__ import annotations

import itertools

import pytest

from tests.browser.area_driver import PASSWORD, ZOOMED, sign_in
from tests.browser.chat_driver import (
    TO_A_TEXT_QUESTION,
    assert_accessible,
    button_named,
    no_sideways_scroll,
    tab_to,
    take,
    watch_requests,
)
from voicebox.storage.consultations import close_consultation

pytestmark = pytest.mark.browser
WORKER = "rowan@example.org"
_ids = itertools.count()


@pytest.fixture(scope="module")
def report_area(served):
    """A check-in of one group where two young people said yes to hearing back and one said
    no, a theme made, and a worker in the group."""
    from voicebox.app import build_services
    from voicebox.bot.messages import InboundMessage
    from voicebox.channels.registry import build_channels
    from voicebox.settings import Settings
    from voicebox.storage.consultations import get_consultation
    from voicebox.storage.themes import create_theme

    served.cli(
        "consultation", "create", "BREPORT", "--flow", "tops_and_pants", "--title", "Youth forum",
        "--group", "Browser reports",
    )  # fmt: skip
    saved = served.env
    served.env = {**saved, "VOICEBOX_WORKER_PASSWORD": PASSWORD}
    try:
        served.cli("worker", "create", WORKER, "--role", "worker", "--group", "Browser reports")
    finally:
        served.env = saved
    settings = Settings(
        database_url=served.env["VOICEBOX_DATABASE_URL"],
        secret_key=served.env["VOICEBOX_SECRET_KEY"],
    )
    services = build_services(settings, build_channels({}))
    for phone, hear_back in (
        ("+447700900701", "1"),
        ("+447700900702", "1"),
        ("+447700900703", "2"),
    ):
        for words in ("BREPORT", "1", "1", "2", "Friends", "The noise", "A quiet room", "2"):
            services.engine.handle(
                InboundMessage("sms", f"sms:{phone}", words, message_id=f"b{next(_ids)}")
            )
        services.engine.handle(
            InboundMessage("sms", f"sms:{phone}", hear_back, message_id=f"b{next(_ids)}")
        )
    found = get_consultation(services.database, "BREPORT")
    assert found is not None
    theme = create_theme(services.database, found.id, "Quiet places")
    yield served, theme, services
    services.database.dispose()


def test_write_preview_confirm_and_send_by_keyboard(report_area, new_context):
    served, theme, services = report_area
    young = new_context().new_page()  # a young person on the web chat says yes to hearing back
    young.goto(f"{served.base}/c/BREPORT")
    for kind, said in [*TO_A_TEXT_QUESTION, ("type", "My room"), ("type", "Noise"),
                       ("type", "A quiet room"), ("choose", "No, I am done"),
                       ("choose", "Yes, tell me")]:  # fmt: skip
        take(young, kind, said, True)

    page = new_context(viewport=ZOOMED).new_page()
    requests, complaints = watch_requests(page)
    sign_in(page, served.base, WORKER)
    page.goto(f"{served.base}/workers/checkins/BREPORT/report")
    assert_accessible(page, "on the report page")
    assert no_sideways_scroll(page)

    for box, words in (
        ("said", "You want a quiet room."),
        ("did", "We opened one at lunch."),
        ("next", "We ask you again in May."),
    ):
        tab_to(page, lambda f, box=box: f.tag == "textarea" and f.id == f"{box}-{theme}")
        page.keyboard.type(words)
    tab_to(page, lambda f: f.tag == "input" and f.id == f"status-{theme}-planned", limit=10)
    page.keyboard.press("ArrowRight")  # radios move with the arrows
    page.keyboard.press("ArrowRight")
    assert page.locator(f"#status-{theme}-done").is_checked()
    assert_accessible(page, "with the boxes written")
    tab_to(page, button_named("Save and show the preview"), limit=20)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Saved. Check the preview below before you send it.")
    assert page.locator("#preview").is_visible()
    texts = page.locator("#preview-sms ~ ol .preview-text").all_inner_texts()
    assert "You said: You want a quiet room." in texts[1]
    assert_accessible(page, "with the preview")
    assert no_sideways_scroll(page)

    tab_to(page, lambda f: f.tag == "a" and f.text == "Send it back", limit=80)
    page.keyboard.press("Enter")
    page.wait_for_url("**/report/send")
    page.wait_for_selector("text=It will go to 3 people who said yes to hearing back")
    assert_accessible(page, "on the confirmation page")
    assert no_sideways_scroll(page)
    tab_to(page, button_named("Yes, send it now"), limit=40)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Sent to 3 people.")
    table = page.locator("#delivery-counts")
    assert table.is_visible()
    assert table.locator("[data-count=queued]").inner_text() == "2"
    assert table.locator("[data-count=web_waiting]").inner_text() == "1"
    assert_accessible(page, "with the counts")
    assert no_sideways_scroll(page)

    close_consultation(services.database, "BREPORT")
    young.reload()
    young.wait_for_selector("text=This check-in has closed")
    notes = young.locator(".note .text").all_inner_texts()
    assert len(notes) == 3 and "You said: You want a quiet room." in notes[1]
    assert_accessible(young, "the closed check-in with the report")
    assert [url for url in requests if not url.startswith(served.base)] == []
    assert complaints == []
