"""The admins' pages in a real browser: adding a worker by keyboard only, errors in the
summary and beside each field, groups and their contacts; axe after each step, at 200%
zoom too, and nothing asked of another site."""

from __future__ import annotations

import pytest

from tests.browser.area_driver import PASSWORD, ZOOMED, sign_in
from tests.browser.chat_driver import (
    assert_accessible,
    focused,
    no_sideways_scroll,
    tab_to,
    watch_requests,
)

NEW_PASSWORD = "the first password they get"
DESKTOP = {"width": 1280, "height": 800}
GROUP = "Admin youth"


@pytest.fixture(scope="module")
def admins(served):
    """An admin, a worker, and a check-in in the worker's group."""
    served.cli(
        "consultation",
        "create",
        "BADMIN",
        "--flow",
        "tops_and_pants",
        "--title",
        "Admin youth check-in",
        "--group",
        GROUP,
    )
    served.env, saved = {**served.env, "VOICEBOX_WORKER_PASSWORD": PASSWORD}, served.env
    try:
        served.cli("worker", "create", "ada@example.org", "--role", "admin")
        served.cli("worker", "create", "kim@example.org", "--role", "worker", "--group", GROUP)
    finally:
        served.env = saved
    return served


def _sign_in_by_keyboard(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/workers/login")
    tab_to(page, lambda f: f.id == "email")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/workers/")


def _check(page, where: str) -> None:
    assert_accessible(page, where)
    assert no_sideways_scroll(page), where


@pytest.mark.parametrize("viewport", [DESKTOP, ZOOMED], ids=["desktop", "zoom-200"])
def test_an_admin_adds_a_worker_by_keyboard_only(admins, new_context, viewport):
    """From the home page to a new worker, by keyboard: a taken email and a short password
    are named at the top (which takes focus) and by each field; fixed, the worker is added
    and can sign in to see their group's check-in. axe finds nothing at any step."""
    base = admins.base
    email = f"new-{viewport['width']}@example.org"
    page = new_context(viewport=viewport).new_page()
    requests, complaints = watch_requests(page)
    _sign_in_by_keyboard(page, base, "ada@example.org", PASSWORD)
    _check(page, "on the home page")

    tab_to(page, lambda f: f.tag == "a" and f.text == "Workers and groups")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/workers/admin/workers")
    _check(page, "on the list of workers")

    tab_to(page, lambda f: f.tag == "a" and f.text == "Add a worker")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/workers/admin/workers/new")
    _check(page, "on the add a worker page")

    tab_to(page, lambda f: f.id == "email")
    page.keyboard.type("ADA@example.org")
    page.keyboard.press("Tab")
    assert focused(page).id == "role-0"  # Worker, chosen already
    group = page.get_by_label(GROUP).get_attribute("id")
    tab_to(page, lambda f: f.id == group)
    page.keyboard.press("Space")
    tab_to(page, lambda f: f.id == "password")
    page.keyboard.type("short")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.title().startswith("Error:")
    assert "error-summary" in focused(page).classes
    links = page.locator(".error-summary a")
    assert links.all_inner_texts() == [
        "There is already a worker with this email address",
        "The password must be at least 10 characters",
    ]
    assert page.input_value("#email") == "ADA@example.org"
    assert page.is_checked(f"#{group}")
    _check(page, "with the error summary")

    page.keyboard.press("Tab")
    assert focused(page).text == "There is already a worker with this email address"
    page.keyboard.press("Enter")
    assert focused(page).id == "email"
    page.keyboard.press("Control+A")
    page.keyboard.type(email)
    tab_to(page, lambda f: f.id == "password")
    page.keyboard.type(NEW_PASSWORD)
    tab_to(page, lambda f: f.tag == "button" and f.text == "Add worker")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/workers/admin/workers")
    assert f"Added {email}." in page.inner_text(".notice")
    row = page.locator("tr", has_text=email).inner_text()
    assert "Worker" in row and GROUP in row
    _check(page, "after adding a worker")
    assert [url for url in requests if not url.startswith(base)] == []
    assert [c for c in complaints if "status of 400" not in c] == []

    theirs = new_context(viewport=viewport).new_page()
    _sign_in_by_keyboard(theirs, base, email, NEW_PASSWORD)
    assert "BADMIN" in theirs.inner_text("main")
    assert "Workers and groups" not in theirs.inner_text("header")


@pytest.mark.parametrize("viewport", [DESKTOP, ZOOMED], ids=["desktop", "zoom-200"])
def test_an_admin_manages_a_group_and_its_contacts(admins, new_context, viewport):
    """Add a group (a taken name first), then a contact (a bad address first), remove it;
    turn a worker off and on; try to stop being an admin. axe at each step."""
    base = admins.base
    name = f"Art club {viewport['width']}"
    page = new_context(viewport=viewport).new_page()
    requests, complaints = watch_requests(page)
    sign_in(page, base, "ada@example.org")
    page.goto(f"{base}/workers/admin/groups")
    assert "sends its flags to every admin" in page.inner_text("main")
    _check(page, "on the list of groups")

    page.fill("#name", GROUP.upper())
    with page.expect_navigation():
        page.get_by_role("button", name="Add group").click()
    assert page.inner_text(".error-summary a") == f"There is already a group called {GROUP}"
    assert page.input_value("#name") == GROUP.upper()
    _check(page, "with a group name taken")
    page.fill("#name", name)
    with page.expect_navigation():
        page.get_by_role("button", name="Add group").click()
    assert f"Added the group {name}." in page.inner_text(".notice"), page.inner_text("main")

    with page.expect_navigation():
        page.get_by_role("link", name=name).click()
    assert "this group's flags go to every admin" in page.inner_text("#contacts")
    _check(page, "on a group's page")
    page.fill("#email", "lead at example")
    with page.expect_navigation():
        page.get_by_role("button", name="Add contact").click()
    assert "name@example.org" in page.inner_text("#email-error")
    _check(page, "with a bad contact address")
    page.fill("#email", "lead@example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="Add contact").click()
    assert "lead@example.org" in page.inner_text("#contacts")
    _check(page, "with a contact")
    with page.expect_navigation():
        page.get_by_role("button", name="Remove lead@example.org").click()
    assert "will no longer be told" in page.inner_text(".notice")

    page.goto(f"{base}/workers/admin/workers")
    with page.expect_navigation():
        page.get_by_role("link", name="kim@example.org").click()
    _check(page, "on a worker's page")
    with page.expect_navigation():
        page.get_by_role("button", name="Turn off this account").click()
    assert "Turned off kim@example.org." in page.inner_text(".notice")
    assert "Turned off: they cannot sign in" in page.inner_text(".summary-list")
    _check(page, "with the worker turned off")
    with page.expect_navigation():
        page.get_by_role("button", name="Turn this account back on").click()
    assert "They can sign in again." in page.inner_text(".notice")

    page.goto(f"{base}/workers/admin/workers")
    with page.expect_navigation():
        page.get_by_role("link", name="ada@example.org").click()
    assert "You cannot turn off your own account." in page.inner_text("main")
    _check(page, "on the admin's own page")
    page.get_by_label("Worker: sees the check-ins and flags of their groups").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save role and groups").click()
    assert "You cannot remove your own admin role." in page.inner_text(".error-summary")
    _check(page, "after trying to stop being an admin")
    assert [url for url in requests if not url.startswith(base)] == []
    assert [c for c in complaints if "status of 400" not in c] == []
