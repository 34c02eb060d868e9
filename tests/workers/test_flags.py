"""The safeguarding queue: every open flag shown, new first; each change kept with who,
when and a note; another group's flag is not found; no phone number anywhere."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from tests.channels.webpage import parse
from tests.workers.conftest import token
from voicebox.bot.messages import InboundMessage
from voicebox.storage.models import FlagReview, SafeguardingFlag

_ids = itertools.count()
PHONES = {"YOUTH1": "+447700900101", "COUNCIL": "+447700900202"}


def _say(area, code: str, *texts: str, phone: str | None = None) -> None:
    """A young person texting the real engine of the area's app."""
    address = f"sms:{phone or PHONES[code]}"
    for text in texts:
        area.services.engine.handle(
            InboundMessage("sms", address, text, message_id=f"f{next(_ids)}")
        )


def _flag_ids(area, code: str | None = None) -> list[int]:
    with area.services.database.read_sessions() as session:
        return list(session.scalars(select(SafeguardingFlag.id).order_by(SafeguardingFlag.id)))


def _text(response) -> str:
    return parse(response.get_data(as_text=True)).text()


@pytest.fixture
def flagged(area):
    """A flag in each group's check-in: YOUTH1's after consent, COUNCIL's before it."""
    _say(area, "YOUTH1", "YOUTH1", "1", "i want to die")
    _say(area, "COUNCIL", "COUNCIL", "nobody would care if i died")
    youth, council = _flag_ids(area)
    return area, youth, council


def test_the_queue_shows_only_the_workers_groups_flags(flagged):
    """Each worker sees their own group's flag, with the words, channel and pseudonym; an
    admin sees both; the bar on every page counts the new ones."""
    area, youth, council = flagged
    page = _text(area.signed_in("youth@example.org").get("/workers/flags"))
    assert f"Flag {youth}" in page and f"Flag {council}" not in page
    assert "“want to die”" in page and "YOUTH1" in page and "by SMS" in page
    assert "1 new safeguarding flag to read" in page
    admin = _text(area.signed_in("admin@example.org").get("/workers/"))
    assert "2 new safeguarding flags to read" in admin


def test_another_groups_flag_is_not_found(flagged):
    """Guessing the id of another group's flag gives 'not found', to read or to change."""
    area, youth, council = flagged
    client = area.signed_in("youth@example.org")
    assert client.get(f"/workers/flags/{council}").status_code == 404
    data = {"csrf_token": token(client, "/workers/flags"), "status": "seen", "note": ""}
    assert client.post(f"/workers/flags/{council}", data=data).status_code == 404
    assert client.get("/workers/flags/999999").status_code == 404
    with area.services.database.read_sessions() as session:
        assert session.get(SafeguardingFlag, council).status == "new"


def test_no_phone_number_is_shown(flagged):
    """Workers see pseudonyms only."""
    area, youth, council = flagged
    client = area.signed_in("admin@example.org")
    for path in ("/workers/flags", f"/workers/flags/{youth}", f"/workers/flags/{council}"):
        page = client.get(path).get_data(as_text=True)
        assert all(phone not in page and phone[1:] not in page for phone in PHONES.values())


def test_seen_then_acted_is_kept_with_who_when_and_the_note(flagged):
    """Seen needs no note; acted needs one. Each change is listed on the flag's page."""
    area, youth, _ = flagged
    client = area.signed_in("youth@example.org")
    page = f"/workers/flags/{youth}"
    seen = client.post(page, data={"csrf_token": token(client, page), "status": "seen"})
    assert seen.status_code == 302 and seen.headers["Location"] == "/workers/flags"
    assert "No new safeguarding flags" in _text(client.get("/workers/flags"))
    no_note = client.post(page, data={"csrf_token": token(client, page), "status": "acted"})
    assert no_note.status_code == 400
    assert "Say what was done and who was told" in _text(no_note)
    note = "Rang the school's safeguarding lead at 2pm."
    acted = client.post(
        page, data={"csrf_token": token(client, page), "status": "acted", "note": note}
    )
    assert acted.status_code == 302
    history = _text(client.get(page))
    assert "Seen by youth@example.org" in history and "Acted on by youth@example.org" in history
    assert note in history
    with area.services.database.read_sessions() as session:
        flag = session.get(SafeguardingFlag, youth)
        reviews = session.scalars(select(FlagReview).where(FlagReview.flag_id == youth)).all()
    assert flag.status == "acted" and flag.reviewed_at is not None
    assert [(r.status, r.note) for r in reviews] == [("seen", ""), ("acted", note)]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({}, "Choose what has happened"),
        ({"status": "closed"}, "Choose what has happened"),
        ({"status": "acted", "note": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_a_review_that_cannot_be_saved_says_why_and_changes_nothing(flagged, data, words):
    """A missing or unknown status, or a note too long: the error, and the flag as it was."""
    area, youth, _ = flagged
    client = area.signed_in("youth@example.org")
    page = f"/workers/flags/{youth}"
    response = client.post(page, data={"csrf_token": token(client, page), **data})
    assert response.status_code == 400 and words in _text(response)
    with area.services.database.read_sessions() as session:
        assert session.get(SafeguardingFlag, youth).status == "new"


def test_a_review_without_its_token_is_refused(flagged):
    """No CSRF token: refused, nothing changed."""
    area, youth, _ = flagged
    client = area.signed_in("youth@example.org")
    response = client.post(f"/workers/flags/{youth}", data={"status": "seen"})
    assert response.status_code == 400
    with area.services.database.read_sessions() as session:
        assert session.get(SafeguardingFlag, youth).status == "new"


def test_a_flag_before_consent_shows_only_what_was_kept(flagged):
    """Said before agreeing to take part: the words that matched, and a note saying so."""
    area, _, council = flagged
    page = _text(area.signed_in("council@example.org").get(f"/workers/flags/{council}"))
    assert "before the young person agreed to take part" in page
    with area.services.database.read_sessions() as session:
        phrase = session.get(SafeguardingFlag, council).phrase
    assert f"“{phrase}”" in page and "Not kept" not in page


def test_open_flags_come_first_new_before_seen_and_none_is_left_out(area):
    """Many flags: every open one is listed (new first, oldest first), then acted ones."""
    for n in range(12):
        _say(area, "YOUTH1", "YOUTH1", "1", "i want to die", phone=f"+44770090{n:04d}")
    ids = _flag_ids(area)
    client = area.signed_in("admin@example.org")
    for flag_id in ids[:3]:
        page = f"/workers/flags/{flag_id}"
        client.post(page, data={"csrf_token": token(client, page), "status": "seen"})
    page = f"/workers/flags/{ids[3]}"
    client.post(page, data={"csrf_token": token(client, page), "status": "acted", "note": "Done."})
    html = parse(client.get("/workers/flags").get_data(as_text=True))
    tables = html.find_all("table")
    listed = [
        [int(a.text().split(":")[0].split()[-1]) for a in table.find_all("a")] for table in tables
    ]
    assert listed[0] == ids[4:] + ids[:3]
    assert listed[1] == [ids[3]]


def test_seen_after_acted_keeps_it_acted_and_says_so(flagged):
    """A worker who saves 'seen' on a flag someone has acted on is told, and both stay."""
    area, youth, _council = flagged
    first = area.signed_in("youth@example.org")
    second = area.signed_in("both@example.org")
    late = {"csrf_token": token(second, f"/workers/flags/{youth}"), "status": "seen", "note": ""}
    acted = {
        "csrf_token": token(first, f"/workers/flags/{youth}"),
        "status": "acted",
        "note": "Spoke to them and told the lead",
    }
    assert first.post(f"/workers/flags/{youth}", data=acted).status_code == 302
    assert second.post(f"/workers/flags/{youth}", data=late).status_code == 302
    page = _text(second.get("/workers/flags"))
    assert f"Flag {youth} was already acted on by someone else. Your note is kept with it." in page
    with area.services.database.read_sessions() as session:
        assert session.get(SafeguardingFlag, youth).status == "acted"
        assert (
            len(session.scalars(select(FlagReview).where(FlagReview.flag_id == youth)).all()) == 2
        )
