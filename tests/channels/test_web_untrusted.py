"""What a visitor's browser sends is never trusted: a token in any script is refused
kindly, and a page to go back to is only ever one of ours, never a 500."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.channels.webpage import parse

# Tokens a browser or a client can send that are not the session's: compare_digest raises
# TypeError on a str holding anything but ASCII, so each of these was a 500.
ODD_TOKENS = ["é", "☃" * 24, "😀", "токен", "a\x00b", "\ufffd" * 3]
POST_ROUTES = ["/c/DEMO", "/c/DEMO/messages", "/c/DEMO/show", "/forget"]
# Places to go back to that are not a page of ours, or that a header cannot hold.
ODD_NEXT = [
    "/a\r\nSet-Cookie: stolen=1",
    "/\r\n/evil.example.org",
    "/\t/evil.example.org",
    "/\n/evil.example.org",
    "\t//evil.example.org",
    "//evil.example.org",
    "/\\evil.example.org",
    "https://evil.example.org/",
    "javascript:alert(1)",
    "/\x00",
    "/\x85",
]


def _local(target: str) -> bool:
    """True when a browser would stay on this site following `target`."""
    seen = "".join(ch for ch in target if ch not in "\t\r\n")  # what a browser would follow
    parts = urlsplit(seen)
    return (
        target == seen
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and not parts.scheme
        and not parts.netloc
        and all(ord(ch) >= 0x20 and not 0x7F <= ord(ch) <= 0x9F for ch in target)
    )


@pytest.mark.parametrize("route", POST_ROUTES)
@pytest.mark.parametrize("sent", ODD_TOKENS)
def test_a_token_in_any_script_is_refused_without_a_500(page_client, route, sent):
    """A token that is not ASCII is simply a wrong token: nothing done, no error page."""
    page_client.get("/c/DEMO")
    with page_client.session_transaction() as session:
        session.setdefault("token", "a-good-token-for-this-visitor")
    response = page_client.post(route, data={"token": sent, "text": "hello"})
    assert response.status_code < 500
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ODD_NEXT)
def test_settings_and_who_sees_go_back_only_to_our_own_pages(page_client, target):
    """CR, LF, tab, backslashes, //host and schemes in `next`: never a 500, and the way
    back (the redirect and the page's Back link) stays on this site."""
    with page_client.session_transaction() as session:
        session.setdefault("token", "a-good-token-for-this-visitor")
    form = {"next": target, "token": "a-good-token-for-this-visitor", "csrf_token": ""}
    saved = page_client.post("/settings", data=form)
    assert saved.status_code < 500
    if saved.status_code in (301, 302, 303, 307, 308):
        assert _local(saved.headers["Location"]), saved.headers["Location"]
    for path in ("/settings", "/who-sees-my-answers"):
        page = page_client.get(path, query_string={"next": target})
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "Traceback" not in html
        (back,) = parse(html).with_class("back-link")
        href = back.get("href") or ""
        assert _local(href), href
        assert href == "/"  # none of these is a page to go back to
