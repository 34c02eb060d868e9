"""Themes in a real browser, by keyboard at 200% zoom: make a theme, tick two answers, add
the theme, then rename it from its "Change" section. axe runs where the page is after each
step, and nothing is asked of another site."""

from __future__ import annotations

import pytest

from tests.browser.area_driver import PASSWORD, ZOOMED, sign_in
from tests.browser.chat_driver import (
    assert_accessible,
    button_named,
    no_sideways_scroll,
    tab_to,
    watch_requests,
)
from tests.storage.test_results import take_part

pytestmark = pytest.mark.browser
WORKER = "theo@example.org"


@pytest.fixture(scope="module")
def themes_area(served):
    """A check-in of one group with three young people's answers, and a worker in it."""
    from voicebox.app import build_services
    from voicebox.channels.registry import build_channels
    from voicebox.settings import Settings

    served.cli(
        "consultation", "create", "BTHEME", "--flow", "tops_and_pants", "--title", "Youth forum",
        "--group", "Browser themes",
    )  # fmt: skip
    saved = served.env
    served.env = {**saved, "VOICEBOX_WORKER_PASSWORD": PASSWORD}
    try:
        served.cli("worker", "create", WORKER, "--role", "worker", "--group", "Browser themes")
    finally:
        served.env = saved
    settings = Settings(
        database_url=served.env["VOICEBOX_DATABASE_URL"],
        secret_key=served.env["VOICEBOX_SECRET_KEY"],
    )
    services = build_services(settings, build_channels({}))
    for words in (
        ("My friends", "Buses are late", "More buses"),
        ("Art club", "The bus is full", "A later bus"),
        ("Lunch", "Noisy corridors", "A quiet room"),
    ):
        take_part(services.engine, "BTHEME", words=words)
    yield served
    services.database.dispose()


def test_make_a_theme_and_tag_answers_by_keyboard(themes_area, new_context):
    served = themes_area
    page = new_context(viewport=ZOOMED).new_page()
    requests, complaints = watch_requests(page)
    sign_in(page, served.base, WORKER)
    page.goto(f"{served.base}/workers/checkins/BTHEME/themes")
    assert_accessible(page, "on the themes page")
    assert no_sideways_scroll(page)

    tab_to(page, lambda f: f.tag == "input" and f.id == "name", limit=120)
    page.keyboard.type("Buses")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=The theme “Buses” is made.")
    assert_accessible(page, "after making a theme")

    ticked = 0
    for _ in range(2):
        tab_to(page, lambda f: f.tag == "input" and f.id.startswith("answer-"), limit=120)
        page.keyboard.press("Space")
        ticked += 1
    assert page.locator("input[name=answers]:checked").count() == ticked
    assert_accessible(page, "with two answers ticked, scrolled to them")
    tab_to(page, button_named("Add the theme to the ticked answers"), limit=40)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Added “Buses” to 2 answers.")
    assert_accessible(page, "after adding the theme")
    row = page.locator("#themes tbody tr").first
    assert row.inner_text().split("\t")[:3] == ["Buses", "2", "fewer than 5"]

    tab_to(page, lambda f: f.text.startswith("Change the theme “Buses”"), limit=40)
    page.keyboard.press("Enter")  # opens the section
    tab_to(page, lambda f: f.tag == "input" and f.id.startswith("rename-"), limit=10)
    page.keyboard.press("Control+A")
    page.keyboard.type("Getting about")
    assert_accessible(page, "with the change section open")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=The theme is now called “Getting about”.")
    assert_accessible(page, "after renaming")
    assert no_sideways_scroll(page)
    assert [url for url in requests if not url.startswith(served.base)] == []
    assert complaints == []


def test_the_public_page_reads_well_small_zoomed_and_printed(themes_area, new_context):
    """The public "You said, we did" at 320 pixels wide: axe finds nothing, nothing scrolls
    sideways, a picture beside each line; printed, the site's header is left off."""
    from voicebox.app import build_services
    from voicebox.bot.report_back import ReportItem
    from voicebox.channels.registry import build_channels
    from voicebox.settings import Settings
    from voicebox.storage.consultations import get_consultation
    from voicebox.storage.reports import save_report, set_public
    from voicebox.storage.themes import create_theme

    served = themes_area
    settings = Settings(
        database_url=served.env["VOICEBOX_DATABASE_URL"],
        secret_key=served.env["VOICEBOX_SECRET_KEY"],
    )
    services = build_services(settings, build_channels({}))
    try:
        found = get_consultation(services.database, "BTHEME")
        assert found is not None
        theme = create_theme(services.database, found.id, "Getting to school")
        item = ReportItem(theme, "", "Buses are late.", "We asked for more buses.", "", "doing")
        save_report(services.database, found.id, [item], public=False)
        set_public(services.database, found.id, True)
    finally:
        services.database.dispose()
    page = new_context(viewport={"width": 320, "height": 640}).new_page()
    requests, complaints = watch_requests(page)
    page.goto(f"{served.base}/you-said-we-did/BTHEME")
    assert page.locator("h1").inner_text() == "You said, we did"
    assert page.locator(".report-lines img").count() == 2
    assert "We are doing this now: We asked for more buses." in page.inner_text("main")
    assert_accessible(page, "on the public page")
    assert no_sideways_scroll(page)
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert [url for url in requests if not url.startswith(served.base)] == []
    assert complaints == []
