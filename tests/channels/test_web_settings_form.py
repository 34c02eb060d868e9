"""POST /settings is behind the web chat's own CSRF token: without it nothing is saved,
and the person is brought back to the form with a plain message. The real app."""

from __future__ import annotations

import pytest

from tests.channels.webpage import parse

LOOK = {"text": "bigger", "colours": "strong", "pictures": "off", "next": "/c/DEMO"}


def _token(client) -> str:
    page = parse(client.get("/settings").get_data(as_text=True))
    return page.find_all(lambda e: e.get("name") == "token")[0].get("value")


def _look_cookie(response) -> list[str]:
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith("voicebox_look=")]


@pytest.mark.parametrize(
    "token",
    [None, "", "wrong-token-0123456789", "x" * 5000],
    ids=["none", "empty", "wrong", "huge"],
)
def test_settings_without_the_right_token_save_nothing(page_client, token):
    """A missing or wrong token: no cookie, a redirect back to the form, and kind words."""
    _token(page_client)  # the visitor has a token of their own; the post does not carry it
    data = dict(LOOK) if token is None else {**LOOK, "token": token}
    response = page_client.post("/settings", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings?next=/c/DEMO&retry=1"
    assert _look_cookie(response) == []
    page = page_client.get(response.headers["Location"])
    assert page.status_code == 200
    doc = parse(page.get_data(as_text=True))
    words = doc.by_id("retry").text()
    assert words == "Sorry, that did not work. Your choices are not saved. Please try again."
    assert doc.by_id("retry").get("role") == "status"
    assert "text-bigger" not in doc.find_all("html")[0].classes
    # The form comes back with a token that works.
    fixed = page_client.post("/settings", data={**LOOK, "token": _token(page_client)})
    assert fixed.headers["Location"] == "/settings?next=/c/DEMO&saved=1"
    assert len(_look_cookie(fixed)) == 1


def test_settings_from_another_site_save_nothing(page_client):
    """A browser with no session at all (a post from elsewhere): nothing saved, no 400."""
    response = page_client.post("/settings", data={**LOOK, "token": "anything-at-all-here"})
    assert response.status_code == 303 and _look_cookie(response) == []
