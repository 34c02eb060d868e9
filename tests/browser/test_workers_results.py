"""A check-in's results and live view in a real browser: by keyboard, at 200% zoom, with
and without JavaScript, with axe after each step and nothing asked of another site."""

from __future__ import annotations

import pytest

from tests.browser.area_driver import PASSWORD, ZOOMED, sign_in
from tests.browser.chat_driver import (
    assert_accessible,
    no_sideways_scroll,
    tab_to,
    watch_requests,
)
from tests.storage.test_results import take_part
from voicebox.storage.results import FEWER

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
WORKER = "rae@example.org"


@pytest.fixture(scope="module")
def results_area(served):
    """Two check-ins of one group, a worker in it, and the engine on the same database
    (young people answer through it, as the web chat would)."""
    from voicebox.app import build_services
    from voicebox.channels.registry import build_channels
    from voicebox.settings import Settings

    for code in ("BRESULT", "BLIVE"):
        served.cli(
            "consultation",
            "create",
            code,
            "--flow",
            "tops_and_pants",
            "--title",
            f"Youth forum {code[1:].lower()}",
            "--group",
            "Browser results",
        )
    saved = served.env
    served.env = {**saved, "VOICEBOX_WORKER_PASSWORD": PASSWORD}
    try:
        served.cli("worker", "create", WORKER, "--role", "worker", "--group", "Browser results")
    finally:
        served.env = saved
    settings = Settings(
        database_url=served.env["VOICEBOX_DATABASE_URL"],
        secret_key=served.env["VOICEBOX_SECRET_KEY"],
    )
    services = build_services(settings, build_channels({}))
    for number in range(6):
        take_part(services.engine, "BRESULT", channel="web" if number % 2 else "sms")
    for _ in range(4):
        take_part(services.engine, "BLIVE", channel="web")
    yield served, services.engine
    services.database.dispose()


@pytest.mark.parametrize("viewport", [DESKTOP, ZOOMED], ids=["desktop", "zoom-200"])
def test_the_results_by_keyboard(results_area, new_context, viewport):
    """From the check-in list to the results by keyboard; the charts, tables and summaries
    pass axe with no sideways scroll; small numbers read "fewer than 5"."""
    served, _ = results_area
    page = new_context(viewport=viewport).new_page()
    requests, complaints = watch_requests(page)
    sign_in(page, served.base, WORKER)
    tab_to(page, lambda f: f.tag == "a" and f.text == "Results for BRESULT", limit=120)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{served.base}/workers/checkins/BRESULT/results")
    assert_accessible(page, "on the results")
    assert no_sideways_scroll(page)
    main = page.inner_text("main")
    assert "6 people have taken part." in main
    assert "Web chat: fewer than 5" in page.inner_text("#channels")  # 3 web, 3 text message
    assert page.locator("#channels rect").count() == 0
    assert page.locator("#feelings-1 rect").count() == 1  # Good: 6
    assert "Kind teachers" in main
    svg = page.locator("#feelings-1 svg")
    assert svg.get_attribute("role") == "img"
    box = svg.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    tab_to(page, lambda f: f.tag == "a" and f.text.startswith("Open the live view"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{served.base}/workers/checkins/BRESULT/live")
    assert_accessible(page, "on the live view")
    assert no_sideways_scroll(page)
    assert [url for url in requests if not url.startswith(served.base)] == []
    assert complaints == []


def test_the_live_view_updates_by_itself_and_can_be_paused(results_area, new_context):
    """With script: new answers appear within seconds and are said politely; Pause stops
    that, and starting again catches up. axe after each step."""
    served, engine = results_area
    page = new_context(viewport=DESKTOP).new_page()
    requests, complaints = watch_requests(page)
    sign_in(page, served.base, WORKER)
    page.goto(f"{served.base}/workers/checkins/BLIVE/live")
    assert "Fewer than 5 people have taken part so far" in page.inner_text("#live-count")
    assert "Web chat: fewer than 5" in page.inner_text("#live-results")
    assert page.get_attribute("#live-news", "role") == "status"
    assert_accessible(page, "with 4 people")

    take_part(engine, "BLIVE", channel="web")
    page.wait_for_selector('#live-results[data-people="5"]', timeout=20_000)
    assert page.inner_text("#live-news") == (
        "5 people have taken part. There are new words from young people."
    )
    assert "Kind teachers" in page.inner_text("#live-results")
    assert_accessible(page, "after the fifth person")

    tab_to(page, lambda f: f.tag == "button" and f.text == "Pause updates")
    page.keyboard.press("Enter")
    assert page.inner_text("#live-pause") == "Start updates again"
    assert page.inner_text("#live-news") == "Updates are paused."
    take_part(engine, "BLIVE", channel="web")
    page.wait_for_timeout(7_000)  # longer than the script waits between asks
    assert page.inner_text("#live-count") == "5 people have taken part"
    page.keyboard.press("Enter")
    page.wait_for_selector('#live-results[data-people="6"]', timeout=20_000)
    assert page.inner_text("#live-news").startswith("1 more person took part. 6 in all.")
    assert page.inner_text("#live-pause") == "Pause updates"
    assert_accessible(page, "after starting again")
    assert [url for url in requests if not url.startswith(served.base)] == []
    assert complaints == []


def test_the_live_view_refreshes_without_script(results_area, new_context, scriptless_copy):
    """JavaScript off: the page loads itself again after 20 seconds, showing new answers;
    "Stop updating" stops that. axe checks each."""
    served, engine = results_area
    page = new_context(viewport=ZOOMED, java_script_enabled=False).new_page()
    requests, _ = watch_requests(page)
    sign_in(page, served.base, WORKER)
    page.goto(f"{served.base}/workers/checkins/BLIVE/live")
    assert not page.locator("#live-pause").is_visible()
    assert "This page updates every 20 seconds." in page.inner_text(".live-tools")
    assert_accessible(page, "without script", copy=scriptless_copy)
    assert no_sideways_scroll(page)
    before = page.inner_text("#live-count")
    take_part(engine, "BLIVE", channel="web")
    with page.expect_navigation(timeout=30_000):
        pass  # the refresh
    after = page.inner_text("#live-count")
    assert after != before and FEWER not in after
    page.get_by_role("link", name="Stop updating").click()
    page.wait_for_url("**/live?updates=off")
    assert "Updates are off." in page.inner_text(".live-tools")
    assert_accessible(page, "with updates off", copy=scriptless_copy)
    assert [url for url in requests if not url.startswith(served.base)] == []
