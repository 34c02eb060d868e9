"""The erase page on the real app: an admin finds a person, sees what will go, confirms;
a worker gets 403; an open flag stops it; a number typed is never shown or logged. And the
retention period on the check-in's edit form."""

from __future__ import annotations

import itertools
import logging

from tests.channels.webpage import parse
from tests.workers.conftest import token
from voicebox.bot.messages import InboundMessage
from voicebox.storage.consultations import get_consultation
from voicebox.storage.erasure import find_person, list_erasures
from voicebox.storage.flags import flag_queue, review_flag
from voicebox.storage.workers import worker_id_for
from voicebox.workers.erase_pages import NOTHING_LEFT, OPEN_FLAG

PHONE = "+447700900555"
_ids = itertools.count(1)


def _text(response) -> str:
    return parse(response.get_data(as_text=True)).text()


def _person(area, words: list[str]) -> None:
    """Someone texting YOUTH1: consent, school, a feeling, then what they type."""
    for text in ["YOUTH1", "1", "1", "2", *words]:
        inbound = InboundMessage("sms", f"sms:{PHONE}", text, message_id=f"e{next(_ids)}")
        area.services.engine.handle(inbound)


def _find(client, kind: str, who: str, with_token: bool = True):
    data = {"kind": kind, "who": who}
    if with_token:
        data["csrf_token"] = token(client, "/workers/admin/erase")
    return client.post("/workers/admin/erase", data=data)


def _confirm(client, participant_id: int, with_token: bool = True):
    data = {"csrf_token": token(client, "/workers/admin/erase")} if with_token else {}
    return client.post(f"/workers/admin/erase/{participant_id}", data=data, follow_redirects=True)


def test_an_admin_finds_sees_and_erases_a_person(area, caplog):
    """Found by the number as they say it; the page shows the counts, never the number;
    nothing goes until the confirm; then they cannot be found again."""
    caplog.set_level(logging.DEBUG)
    _person(area, ["Grimbleshanks is mean", "skip"])
    database, secret = area.services.database, area.services.secret
    person = find_person(database, secret, "sms", PHONE)
    assert person is not None
    client = area.signed_in("admin@example.org")

    shown = _find(client, "sms", "07700 900555")
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert f"Erase {person.pseudonym}?" in _text(shown)
    rows = parse(page).with_class("summary-row")
    shown_counts = {r.find_all("dt")[0].text(): r.find_all("dd")[0].text() for r in rows}
    assert shown_counts["Typed answers"] == "1"
    assert shown_counts["Conversations"] == "1"
    assert "900555" not in page
    assert find_person(database, secret, "sms", PHONE) == person  # nothing went yet

    done = _confirm(client, person.participant_id)
    assert "Erased. 1 typed answer and " in _text(done)
    assert find_person(database, secret, "sms", PHONE) is None
    assert [r.worker_email for r in list_erasures(database)] == ["admin@example.org"]
    assert "admin@example.org" in _text(done)  # the latest erasures list says who

    for path in [
        "/workers/checkins/YOUTH1/conversations",
        "/workers/conversations/1",
        "/workers/checkins/YOUTH1/results",
        "/workers/checkins/YOUTH1/export.csv",
    ]:
        after = client.get(path)
        assert after.status_code == 200, path  # their conversation, with nothing left in it
        assert "Grimbleshanks" not in after.get_data(as_text=True), path

    again = _find(client, "sms", PHONE)
    assert "We found no one who texted from that number." in _text(again)
    assert "900555" not in again.get_data(as_text=True)
    twice = _confirm(client, person.participant_id)
    assert NOTHING_LEFT in _text(twice)
    assert len(list_erasures(database)) == 1
    assert "900555" not in caplog.text and "Grimbleshanks" not in caplog.text


def test_an_open_flag_is_closed_before_anyone_is_erased(area):
    """The page says plainly why not, has no erase button, and a confirm erases nothing."""
    _person(area, ["i want to die"])
    database = area.services.database
    person = find_person(database, area.services.secret, "sms", PHONE)
    client = area.signed_in("admin@example.org")
    shown = _find(client, "pseudonym", person.pseudonym)
    assert OPEN_FLAG in _text(shown)
    assert "button-warning" not in shown.get_data(as_text=True)
    refused = _confirm(client, person.participant_id)
    assert OPEN_FLAG in _text(refused)
    assert list_erasures(database) == []
    open_flags, _acted = flag_queue(database)
    admin = worker_id_for(database, "admin@example.org")
    review_flag(database, open_flags[0].id, None, admin, "acted", "Rang the lead")
    assert "Erased." in _text(_confirm(client, person.participant_id))


def test_a_worker_who_is_not_an_admin_gets_403(area):
    """Every erase page and form is forbidden to a worker, and nothing is erased."""
    _person(area, ["skip"])
    person = find_person(area.services.database, area.services.secret, "sms", PHONE)
    client = area.signed_in("youth@example.org")
    admin_token = token(client, "/workers/checkins/YOUTH1/edit")
    assert client.get("/workers/admin/erase").status_code == 403
    data = {"kind": "sms", "who": PHONE, "csrf_token": admin_token}
    assert client.post("/workers/admin/erase", data=data).status_code == 403
    erase = f"/workers/admin/erase/{person.participant_id}"
    assert client.post(erase, data={"csrf_token": admin_token}).status_code == 403
    assert list_erasures(area.services.database) == []


def test_without_its_token_nothing_is_found_or_erased(area):
    """The forms are POSTs with the area's CSRF token: without it, 400 and no change."""
    _person(area, ["skip"])
    person = find_person(area.services.database, area.services.secret, "sms", PHONE)
    client = area.signed_in("admin@example.org")
    assert _find(client, "sms", PHONE, with_token=False).status_code == 400
    assert _confirm(client, person.participant_id, with_token=False).status_code == 400
    assert list_erasures(area.services.database) == []
    gone = {"csrf_token": token(client, "/workers/admin/erase")}
    assert client.post("/workers/admin/erase/999999", data=gone).status_code == 404


def test_the_find_form_says_what_is_missing(area):
    """No choice and no words: an error summary in plain words, 400."""
    client = area.signed_in("admin@example.org")
    response = client.post(
        "/workers/admin/erase", data={"csrf_token": token(client, "/workers/admin/erase")}
    )
    assert response.status_code == 400
    words = _text(response)
    assert "Choose how you know them" in words
    assert "Enter their name, phone number or chat id" in words


def _edit(client, code: str, days: str):
    data = {
        "csrf_token": token(client, f"/workers/checkins/{code}/edit"),
        "title": "Youth club check-in",
        "group": "",
        "retain_days": days,
    }
    page = client.get(f"/workers/checkins/{code}/edit").get_data(as_text=True)
    checked = parse(page).find_all(
        lambda e: e.tag == "input" and e.get("name") == "group" and "checked" in e.attrs
    )
    data["group"] = checked[0].get("value") or "" if checked else ""
    return client.post(f"/workers/checkins/{code}/edit", data=data)


def test_a_worker_sets_how_long_typed_words_are_kept(area):
    """On the edit form, in days; empty keeps them; anything but a number is refused."""
    client = area.signed_in("youth@example.org")
    database = area.services.database
    assert _edit(client, "YOUTH1", "30").status_code == 302
    assert get_consultation(database, "YOUTH1").retain_days == 30
    page = client.get("/workers/checkins/YOUTH1/edit").get_data(as_text=True)
    assert 'value="30"' in page
    assert "Deleted 30 days after it closes" in _text(client.get("/workers/checkins/YOUTH1"))
    bad = _edit(client, "YOUTH1", "a month")
    assert bad.status_code == 400
    assert "Enter a whole number of days, like 30" in _text(bad)
    assert get_consultation(database, "YOUTH1").retain_days == 30
    assert _edit(client, "YOUTH1", "99999").status_code == 400
    assert _edit(client, "YOUTH1", "").status_code == 302
    assert get_consultation(database, "YOUTH1").retain_days is None
