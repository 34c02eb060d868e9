"""Signing in to the workers' area: CSRF, lock-out, idle sign-out, cookies, groups."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from tests.channels.webpage import parse
from tests.workers.conftest import PASSWORD, make_area, sign_in, token
from voicebox.storage.models import SignInFailure, Worker
from voicebox.storage.sign_in import ACCOUNT_LIMIT, ADDRESS_LIMIT
from voicebox.workers.views import LOCKED, WRONG


def _text(response) -> str:
    return parse(response.get_data(as_text=True)).text()


def test_every_page_of_the_area_asks_to_sign_in_first(area):
    """No page shows anything before signing in; the sign-in page says where to go after."""
    response = area.client().get("/workers/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/workers/login?next=%2Fworkers%2F"
    assert area.client().get("/workers").status_code in (301, 308)


def test_the_sign_in_page_has_labelled_fields_and_a_token(area):
    """Email and password fields with labels, and a CSRF token in the form."""
    client = area.client()
    response = client.get("/workers/login")
    page = parse(response.get_data(as_text=True))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    for field, kind in [("email", "email"), ("password", "current-password")]:
        box = page.by_id(field)
        assert box is not None and box.get("autocomplete") == kind
        labels = page.find_all(lambda e, f=field: e.tag == "label" and e.get("for") == f)
        assert len(labels) == 1
    assert token(client)


def test_signing_in_shows_only_the_workers_groups(area):
    """A worker sees their groups' check-ins; an admin sees every one, grouped or not."""
    seen = {}
    for email in (
        "youth@example.org",
        "council@example.org",
        "both@example.org",
        "admin@example.org",
    ):
        text = _text(area.signed_in(email).get("/workers/"))
        seen[email] = {code for code in ("YOUTH1", "COUNCIL", "LOOSE") if code in text}
        assert f"Signed in as {email}" in text
    assert seen == {
        "youth@example.org": {"YOUTH1"},
        "council@example.org": {"COUNCIL"},
        "both@example.org": {"YOUTH1", "COUNCIL"},
        "admin@example.org": {"YOUTH1", "COUNCIL", "LOOSE"},
    }


def test_a_form_without_its_token_is_refused_and_changes_nothing(area):
    """No CSRF token: 400 in the area's words; not signed in, and not signed out either."""
    client = area.client()
    response = client.post(
        "/workers/login", data={"email": "youth@example.org", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "Sorry, we could not use that" in _text(response)
    assert client.get("/workers/").status_code == 302
    signed_in = area.signed_in("youth@example.org")
    assert signed_in.post("/workers/logout").status_code == 400
    assert signed_in.get("/workers/").status_code == 200
    bad = signed_in.post("/workers/logout", data={"csrf_token": "not-the-token"})
    assert bad.status_code == 400 and signed_in.get("/workers/").status_code == 200


def test_signing_out_ends_the_session(area):
    """Sign out with the form: the area asks to sign in again, and says it signed out."""
    client = area.signed_in("youth@example.org")
    response = client.post("/workers/logout", data={"csrf_token": token(client, "/workers/")})
    assert response.status_code == 302 and response.headers["Location"] == "/workers/login"
    assert "You are signed out." in _text(client.get("/workers/login"))
    assert client.get("/workers/").status_code == 302


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("youth@example.org", "not the password"),
        ("nobody@example.org", PASSWORD),
        ("YOUTH@example.org ", "A LONG ENOUGH PASSWORD"),
    ],
)
def test_a_wrong_email_or_password_gets_the_same_words(area, email, password):
    """The answer never says whether the email has an account."""
    response = sign_in(area.client(), email, password)
    assert response.status_code == 400
    text = _text(response)
    assert WRONG in text and "There is a problem" in text
    assert "Error:" in parse(response.get_data(as_text=True)).find_all("title")[0].text()


def test_empty_fields_are_named_in_the_summary_and_beside_the_field(area):
    """Nothing typed: the summary links to each field, and each field says what is missing."""
    response = sign_in(area.client(), "", "")
    page = parse(response.get_data(as_text=True))
    assert response.status_code == 400
    links = [a.get("href") for a in page.with_class("error-summary")[0].find_all("a")]
    assert links == ["#email", "#password"]
    assert "Enter your email address" in page.by_id("email-error").text()
    assert "Enter your password" in page.by_id("password-error").text()
    assert page.by_id("email").get("aria-describedby") == "email-error"


def test_an_email_signs_in_in_any_case_with_spaces(area):
    """People type their email as they like: case and spaces do not matter."""
    assert sign_in(area.client(), "  Youth@Example.ORG ", PASSWORD).status_code == 302


def test_too_many_wrong_passwords_lock_the_account_for_a_while(area):
    """After the limit, even the right password is refused with the lock's words; an
    unknown email is locked the same way, so the lock says nothing either."""
    for email in ("youth@example.org", "nobody@example.org"):
        for attempt in range(ACCOUNT_LIMIT):
            response = sign_in(area.client(), email, "wrong password")
            expected = LOCKED if attempt == ACCOUNT_LIMIT - 1 else WRONG
            assert expected in _text(response), attempt
        locked = sign_in(area.client(), email, PASSWORD)
        assert locked.status_code == 429 and LOCKED in _text(locked)
    assert sign_in(area.client(), "council@example.org", PASSWORD).status_code == 302


def test_many_failures_from_one_address_lock_that_address(area):
    """Guessing across many emails from one address locks the address, not only accounts."""
    for n in range(ADDRESS_LIMIT):
        sign_in(area.client(), f"guess{n}@example.org", "wrong password")
    locked = sign_in(area.client(), "youth@example.org", PASSWORD)
    assert locked.status_code == 429 and LOCKED in _text(locked)
    elsewhere = sign_in(
        area.client(), "youth@example.org", PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert elsewhere.status_code == 302


def test_failures_are_kept_only_as_keyed_hashes(area):
    """Neither the email nor the address is stored with a failed sign-in."""
    sign_in(area.client(), "youth@example.org", "wrong password")
    with area.services.database.read_sessions() as session:
        keys = session.scalars(select(SignInFailure.key_hash)).all()
    assert len(keys) == 2 and all(len(key) == 64 and "youth" not in key for key in keys)


def test_signing_in_clears_the_accounts_failures(area):
    """A worker who mistypes twice and then gets in starts again from nothing."""
    for _ in range(ACCOUNT_LIMIT - 1):
        sign_in(area.client(), "youth@example.org", "wrong password")
    assert sign_in(area.client(), "youth@example.org", PASSWORD).status_code == 302
    for _ in range(ACCOUNT_LIMIT - 1):
        response = sign_in(area.client(), "youth@example.org", "wrong password")
        assert WRONG in _text(response)


def test_a_session_left_alone_ends_and_says_why(area):
    """Thirty minutes with nothing done: the next page asks to sign in again, saying why."""
    client = area.signed_in("youth@example.org")
    with client.session_transaction() as session:
        session["workers_seen"] = time.time() - 29 * 60
    assert client.get("/workers/").status_code == 200  # still in, and the clock restarts
    with client.session_transaction() as session:
        session["workers_seen"] = time.time() - 31 * 60
    response = client.get("/workers/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/workers/login?next=")
    assert "nothing was done for 30 minutes" in _text(client.get("/workers/login"))
    assert client.get("/workers/").status_code == 302


def test_the_session_cookie_is_http_only_and_same_site(area):
    """The cookie cannot be read by scripts or sent by other sites; Secure behind https."""
    cookie = sign_in(area.client(), "youth@example.org", PASSWORD).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = make_area(area.services.database, public_url="https://voicebox.example.org")
    cookie = sign_in(secure.client(), "admin@example.org", PASSWORD).headers["Set-Cookie"]
    assert "Secure" in cookie


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example.org/",
        "https://evil.example.org/",
        "/workers/../",
        "/c/DEMO",
        "/\\evil",
        "/workers/\r\nSet-Cookie: stolen=1",  # a header cannot hold CR or LF: was a 500
        "/workers/a\nb",
        "/workers/\x00",
        "/workers/\x85",
        "\t//evil.example.org/",
    ],
)
def test_after_signing_in_only_pages_of_the_area_are_followed(area, target):
    """A `next` pointing elsewhere goes to the area's home instead."""
    client = area.client()
    data = {"email": "youth@example.org", "password": PASSWORD, "csrf_token": token(client)}
    response = client.post("/workers/login", query_string={"next": target}, data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/workers/"


def test_after_signing_in_the_page_asked_for_opens(area):
    """A link to a page of the area, followed signed out, opens after signing in."""
    client = area.client()
    data = {"email": "youth@example.org", "password": PASSWORD, "csrf_token": token(client)}
    response = client.post("/workers/login?next=%2Fworkers%2F%3Fa%3D1", data=data)
    assert response.headers["Location"] == "/workers/?a=1"


def test_a_turned_off_account_cannot_sign_in_or_stay_in(area):
    """An admin turns an account off: the worker's open session ends at the next page."""
    client = area.signed_in("youth@example.org")
    with area.services.database.sessions.begin() as session:
        worker = session.scalar(select(Worker).where(Worker.email == "youth@example.org"))
        worker.active = False
    assert client.get("/workers/").status_code == 302
    assert sign_in(area.client(), "youth@example.org", PASSWORD).status_code == 400
