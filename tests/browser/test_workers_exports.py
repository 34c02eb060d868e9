"""Downloading a check-in's answers in a real browser: the buttons under "Download the
answers" give the files `voicebox export` gives, masked; an admin's "nothing hidden"
download shows what was typed. axe on the page, at 200% zoom too."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.browser.area_driver import PASSWORD, sign_in
from tests.browser.chat_driver import (
    TO_A_TEXT_QUESTION,
    assert_accessible,
    no_sideways_scroll,
    take,
    watch_requests,
)

TYPED = "Ring me on 07700 900123"


@pytest.fixture(scope="module")
def exports(served):
    """A check-in in its own group, its worker, an admin, and one typed answer in it."""
    env = {**served.env, "VOICEBOX_WORKER_PASSWORD": PASSWORD}
    served.cli(
        "consultation",
        "create",
        "BEXPORT",
        "--flow",
        "tops_and_pants",
        "--title",
        "Browser export check-in",
        "--group",
        "Browser export",
    )
    served.env, saved = env, served.env
    try:
        served.cli(
            "worker", "create", "exp@example.org", "--role", "worker", "--group", "Browser export"
        )
        served.cli("worker", "create", "expadmin@example.org", "--role", "admin")
    finally:
        served.env = saved
    return served


def _download(page, click) -> tuple[str, bytes]:
    with page.expect_download() as info:
        click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, {"width": 640, "height": 400}]
)
def test_a_worker_downloads_the_answers_and_an_admin_can_see_them_unhidden(
    exports, new_context, viewport
):
    """The worker's CSV and Excel are the CLI's, with the phone number hidden; the admin's
    "CSV with nothing hidden" holds it as typed. The page passes axe."""
    young = new_context().new_page()
    young.goto(f"{exports.base}/c/BEXPORT")
    for kind, words in TO_A_TEXT_QUESTION:
        take(young, kind, words, True)
    take(young, "type", TYPED, True)

    page = new_context(viewport=viewport, accept_downloads=True).new_page()
    requests, _complaints = watch_requests(page)
    sign_in(page, exports.base, "exp@example.org")
    page.goto(f"{exports.base}/workers/checkins/BEXPORT")
    assert_accessible(page, "on the check-in page with its downloads")
    assert no_sideways_scroll(page)
    assert page.get_by_role("heading", name="Download the answers").is_visible()
    assert page.get_by_text("nothing hidden").count() == 0

    name, data = _download(
        page, page.get_by_role("link", name="Download as CSV, for any spreadsheet").click
    )
    assert name == "voicebox-BEXPORT-answers.csv"
    cli = exports.cli("export", "BEXPORT", "--format", "csv")  # read as text: CRLF is LF
    assert data.decode("utf-8").splitlines() == cli.splitlines()
    assert "Ring me on [phone number]" in data.decode("utf-8")
    assert "900123" not in data.decode("utf-8")
    name, data = _download(page, page.get_by_role("link", name="Download as Excel").click)
    assert name == "voicebox-BEXPORT-answers.xlsx"
    answers = [row[5] for row in load_workbook(io.BytesIO(data)).active.values]
    assert "Ring me on [phone number]" in answers
    assert [url for url in requests if not url.startswith(exports.base)] == []

    admin = new_context(viewport=viewport, accept_downloads=True).new_page()
    sign_in(admin, exports.base, "expadmin@example.org")
    admin.goto(f"{exports.base}/workers/checkins/BEXPORT")
    assert_accessible(admin, "on the check-in page as an admin")
    assert no_sideways_scroll(admin)
    name, data = _download(admin, admin.get_by_role("button", name="CSV with nothing hidden").click)
    assert name == "voicebox-BEXPORT-answers-nothing-hidden.csv"
    assert TYPED in data.decode("utf-8")
