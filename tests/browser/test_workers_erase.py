"""Erasing a person in a real browser: a young person answers on the web, an admin finds
them by their name in Voicebox and reaches the confirmation step; axe finds nothing there,
and after the confirm their typed words are gone from the export."""

from __future__ import annotations

from tests.browser.area_driver import PASSWORD, sign_in
from tests.browser.chat_driver import answer, assert_accessible, no_sideways_scroll

CODE = "BERASE"
TYPED = "Wobblesworth is my favourite teacher"


def test_an_admin_erases_a_person_after_the_confirmation_step(served, new_context):
    """Find by pseudonym, see what will go (axe clean), confirm, and the words are gone."""
    served.cli("consultation", "create", CODE, "--flow", "tops_and_pants", "--title", "Erase")
    served.env, saved = {**served.env, "VOICEBOX_WORKER_PASSWORD": PASSWORD}, served.env
    try:
        served.cli("worker", "create", "erin.erase@example.org", "--role", "admin")
    finally:
        served.env = saved
    young = new_context().new_page()
    young.goto(f"{served.base}/c/{CODE}")
    for kind, words in [
        ("press", "Yes, that is OK"),
        ("press", "School or college"),
        ("press", "Good"),
        ("type", TYPED),
    ]:
        answer(young, kind, words)
    rows = served.export(CODE)
    assert TYPED in [row["answer"] for row in rows]
    pseudonym = rows[0]["participant"]

    page = new_context().new_page()
    sign_in(page, served.base, "erin.erase@example.org")
    page.goto(f"{served.base}/workers/admin/erase")
    page.get_by_label("By their name in Voicebox, like Otter-4821").check()
    page.get_by_label("Their name, phone number or chat id").fill(pseudonym)
    page.get_by_role("button", name="Find them").click()
    page.get_by_role("heading", name=f"Erase {pseudonym}?").wait_for()
    assert_accessible(page, "on the confirmation step")
    assert no_sideways_scroll(page)

    page.get_by_role("button", name=f"Erase {pseudonym}").click()
    page.wait_for_url(f"{served.base}/workers/admin/erase")
    assert "Erased." in page.locator("main").inner_text()
    assert TYPED not in [row["answer"] for row in served.export(CODE)]
