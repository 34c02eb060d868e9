"""The audit log through the real app: signing in and out, reading a conversation, showing
what is hidden and downloading answers each leave one entry, with no one's words in it;
admins read it at /workers/admin/audit, a page at a time, with filters; workers cannot."""

from __future__ import annotations

from sqlalchemy import select, text

from tests.channels.webpage import parse
from tests.workers.conftest import PASSWORD, sign_in, token
from tests.workers.test_transcripts import TYPED, _say
from voicebox.storage.audit import PER_PAGE, SIGNED_IN, SIGNED_OUT, list_audit, record
from voicebox.storage.models import Worker

PAGE = "/workers/admin/audit"
PHONE = "+447700900777"
WORDS = "My secret is that I love the swings"


def _worker_id(area, email: str) -> int:
    with area.services.database.read_sessions() as session:
        return session.scalar(select(Worker.id).where(Worker.email == email))


def _log(area) -> list[tuple[str, str, str | None, str | None]]:
    """Every entry, oldest first: who, what, which check-in, which target."""
    rows, _ = list_audit(area.services.database, per_page=1000)
    return [(e.worker_email, e.action, e.consultation_code, e.target) for e in reversed(rows)]


def _text(response) -> str:
    return parse(response.get_data(as_text=True)).text()


def _cells(page) -> list[list[str]]:
    """The audit table's rows, each a list of its cells' words."""
    bodies = page.find_all("tbody")
    rows = bodies[0].find_all("tr") if bodies else []
    return [[td.text() for td in tr.find_all("td")] for tr in rows]


def test_each_action_is_one_entry_and_none_holds_what_anyone_wrote(area):
    """Sign in (and a wrong password), read a conversation, show what is hidden, download
    the answers masked and unmasked, sign out: each is one entry, in that order, and no row
    holds the young person's words, their number, or the password typed."""
    conversation = _say(area, "YOUTH1", PHONE, "YOUTH1", "1", "1", "1", TYPED, WORDS)
    admin = area.client()
    assert sign_in(admin, "admin@example.org", "not the password 1").status_code == 400
    assert sign_in(admin, "nobody@example.org", "not the password 2").status_code == 400
    assert sign_in(admin, "admin@example.org", PASSWORD).status_code == 302
    path = f"/workers/conversations/{conversation}"
    assert admin.get(path).status_code == 200
    shown = admin.post(f"{path}/reveal", data={"csrf_token": token(admin, path)})
    assert shown.status_code == 200
    assert admin.get("/workers/checkins/YOUTH1/export.csv").status_code == 200
    form = {"csrf_token": token(admin, "/workers/checkins/YOUTH1")}
    assert admin.post("/workers/checkins/YOUTH1/export.json", data=form).status_code == 200
    out = {"csrf_token": token(admin, "/workers/")}
    assert admin.post("/workers/logout", data=out).status_code == 302

    target = str(conversation)
    assert _log(area) == [
        ("admin@example.org", "sign_in_failed", None, None),
        ("admin@example.org", "signed_in", None, None),
        ("admin@example.org", "viewed_conversation", "YOUTH1", target),
        # the page the token came from is a read too
        ("admin@example.org", "viewed_conversation", "YOUTH1", target),
        ("admin@example.org", "revealed_conversation", "YOUTH1", target),
        ("admin@example.org", "exported", "YOUTH1", "csv"),
        ("admin@example.org", "exported_revealed", "YOUTH1", "json"),
        ("admin@example.org", "signed_out", None, None),
    ]
    with area.services.database.engine.connect() as conn:
        rows = repr(conn.execute(text("SELECT * FROM audit_log")).all())
    for secret in ("swings", "secret", "07700 900123", "7700900777", "jo.b@", "not the password"):
        assert secret not in rows
    assert "nobody@example.org" not in rows


def test_the_page_says_who_did_what_in_plain_words(area):
    """The admin reads each entry as words, newest first, with the check-in and a link to
    the conversation; the navigation links the page."""
    conversation = _say(area, "YOUTH1", PHONE, "YOUTH1", "1", "1", "1", WORDS)
    youth = area.signed_in("youth@example.org")
    youth.get(f"/workers/conversations/{conversation}")
    youth.get("/workers/checkins/YOUTH1/export.xlsx")
    admin = area.signed_in("admin@example.org")
    html = admin.get(PAGE).get_data(as_text=True)
    page = parse(html)
    assert [c[1:4] for c in _cells(page)] == [
        ["admin@example.org", "Signed in", ""],
        ["youth@example.org", "Downloaded the answers as Excel", "YOUTH1"],
        ["youth@example.org", "Read a conversation", "YOUTH1"],
        ["youth@example.org", "Signed in", ""],
    ]
    assert f'href="/workers/conversations/{conversation}"' in html
    assert "4 entries. Newest first." in page.text()
    nav = admin.get("/workers/admin/workers").get_data(as_text=True)
    assert f'href="{PAGE}"' in nav
    assert WORDS not in html


def test_a_worker_cannot_see_the_log(area):
    """A worker gets the area's own "You cannot see this page"; no one signed in is asked
    to sign in first."""
    refused = area.signed_in("youth@example.org").get(PAGE)
    assert refused.status_code == 403
    assert "You cannot see this page" in _text(refused)
    anonymous = area.client().get(PAGE)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/workers/login")
    nav = area.signed_in("youth@example.org").get("/workers/").get_data(as_text=True)
    assert PAGE not in nav


def test_pages_of_fifty_with_filters_kept(area):
    """55 sign-ins, 3 sign-outs and the admin's own sign-in: signed in only, page 1 holds
    50 and links the older page with the filter kept; a filter by action and worker
    narrows; a page past the end is not found."""
    database = area.services.database
    youth = _worker_id(area, "youth@example.org")
    for _ in range(PER_PAGE + 5):
        record(database, youth, SIGNED_IN)
    for _ in range(3):
        record(database, youth, SIGNED_OUT)
    admin = area.signed_in("admin@example.org")
    first = parse(admin.get(f"{PAGE}?action=signed_in").get_data(as_text=True))
    assert len(_cells(first)) == PER_PAGE
    (older,) = [a.get("href") for a in first.find_all("a") if a.get("rel") == "next"]
    assert "action=signed_in" in older and "page=2" in older
    assert len(_cells(parse(admin.get(older).get_data(as_text=True)))) == 6
    theirs = _text(admin.get(f"{PAGE}?worker={youth}&action=signed_in"))
    assert f"{PER_PAGE + 5} entries match." in theirs
    assert "admin@example.org" not in theirs.split("Newest first.")[-1]
    assert admin.get(f"{PAGE}?page=3&action=signed_in").status_code == 404
    assert "59 entries." in _text(admin.get(f"{PAGE}?page=2"))
    assert admin.get(f"{PAGE}?page=junk").status_code == 200


def test_filters_that_cannot_be_used_are_said_in_plain_words(area):
    """An action or worker not on the list, or a day that is not one, is a 400 with the
    problem beside its field, never a 500."""
    admin = area.signed_in("admin@example.org")
    for query, words in [
        ("action=read_minds", "Choose one from the list"),
        ("worker=999999", "Choose one from the list"),
        ("worker=x%00", "Choose one from the list"),
        ("since=yesterday", "Enter a real day, like 2026-11-28"),
        ("since=2026-11-28&until=2026-11-01", "The last day must be the same as or after"),
    ]:
        response = admin.get(f"{PAGE}?{query}")
        assert response.status_code == 400, query
        assert words in _text(response), query
    today = admin.get(f"{PAGE}?since=2020-01-01&until=2099-12-31&action=signed_in")
    assert today.status_code == 200
    assert "1 entry matches." in _text(today)
