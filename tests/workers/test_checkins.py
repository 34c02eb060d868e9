"""Making and changing check-ins in the area: create, edit, open, close, dates that open
and close a check-in by themselves, and the group's words before the first question."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from sqlalchemy import select

from tests.channels.webpage import parse
from tests.workers.conftest import token
from voicebox.bot.messages import InboundMessage, utcnow
from voicebox.storage.consultations import get_consultation, update_consultation
from voicebox.storage.models import Consultation
from voicebox.storage.schedule import UK

_ids = itertools.count()
INTRO = "We are the youth club team. We want to hear what you think."


def _form(client, path: str = "/workers/checkins/new", **fields: str) -> dict[str, str]:
    data = {
        "csrf_token": token(client, path),
        "code": "CLUB2",
        "title": "Summer club",
        "flow": "tops_and_pants",
        "group": "",
        "intro": "",
        "starts_on": "",
        "ends_on": "",
    }
    data.update(fields)
    return data


def _group_value(client, name: str, path: str = "/workers/checkins/new") -> str:
    """The radio value of a group on the form, by its words."""
    page = parse(client.get(path).get_data(as_text=True))
    for label in page.find_all("label"):
        if label.text() == name:
            return label.get("for") and page.by_id(label.get("for")).get("value")
    raise AssertionError(f"no group {name} on the form")


def _text(response) -> str:
    return parse(response.get_data(as_text=True)).text()


def _say(area, text: str, phone: str = "+447700900401"):
    return area.services.engine.handle(
        InboundMessage("sms", f"sms:{phone}", text, message_id=f"c{next(_ids)}")
    )


def _codes(area) -> set[str]:
    with area.services.database.read_sessions() as session:
        return set(session.scalars(select(Consultation.code)))


def test_a_worker_makes_a_checkin_for_their_group(area):
    """The only group is chosen already; the new check-in is theirs, with its words."""
    client = area.signed_in("youth@example.org")
    page = parse(client.get("/workers/checkins/new").get_data(as_text=True))
    radios = [i for i in page.find_all("input") if i.get("name") == "group"]
    assert [(r.get("checked") is not None) for r in radios] == [True]  # one group, chosen
    response = client.post(
        "/workers/checkins/new",
        data=_form(client, code="club2", group=radios[0].get("value"), intro=INTRO),
    )
    assert response.status_code == 302, _text(response)
    assert response.headers["Location"].endswith("/workers/checkins/CLUB2")
    made = get_consultation(area.services.database, "CLUB2")
    assert made is not None and made.title == "Summer club" and made.intro == INTRO
    shown = _text(client.get("/workers/checkins/CLUB2"))
    assert "The check-in CLUB2 is made." in shown and INTRO in shown and "Youth club" in shown
    assert "CLUB2" in _text(client.get("/workers/"))
    assert area.signed_in("council@example.org").get("/workers/checkins/CLUB2").status_code == 404


def test_the_words_come_before_the_first_question(area):
    """A young person joining hears the group's words first, then the consent question."""
    client = area.signed_in("youth@example.org")
    group = _group_value(client, "Youth club")
    client.post("/workers/checkins/new", data=_form(client, group=group, intro=INTRO))
    result = _say(area, "CLUB2")
    assert result.replies[0].text == INTRO
    assert result.question is not None and result.question.kind == "consent"


def test_a_worker_cannot_give_a_checkin_to_another_group(area):
    """Another group's id is not a choice: the form says so and nothing is made."""
    client = area.signed_in("youth@example.org")
    admin = area.signed_in("admin@example.org")
    council = _group_value(admin, "Council team")
    response = client.post("/workers/checkins/new", data=_form(client, group=council))
    assert response.status_code == 400
    assert "Choose the group that runs it" in _text(response)
    assert "CLUB2" not in _codes(area)


def test_mistakes_are_shown_at_the_top_and_beside_each_field(area):
    """Every mistake is listed and nothing is made; what was typed stays in the form."""
    client = area.signed_in("youth@example.org")
    group = _group_value(client, "Youth club")
    cases = [
        ({"code": ""}, "Enter a code"),
        ({"code": "no spaces please"}, "Use 2 to 32 letters or numbers, with no spaces"),
        ({"code": "YOUTH1"}, "The code YOUTH1 is already used"),
        ({"title": "  "}, "Enter a title"),
        ({"flow": "made_up"}, "Choose the questions"),
        ({"intro": "Please complete the KPI survey."}, "Make these words easier to read"),
        ({"intro": "x" * 301}, "Use at most 300 characters"),
        ({"starts_on": "2027-03-10", "ends_on": "2027-03-01"}, "must be the same as or after"),
        ({"ends_on": "31/02/2027"}, "Not a valid date value"),
    ]
    for fields, words in cases:
        response = client.post("/workers/checkins/new", data=_form(client, group=group, **fields))
        assert response.status_code == 400, fields
        page = parse(response.get_data(as_text=True))
        summary = page.with_class("error-summary")[0]
        assert words in summary.text(), (fields, summary.text())
        assert page.find_all("title")[0].text().startswith("Error:")
    assert _codes(area) == {"YOUTH1", "COUNCIL", "LOOSE"}


def test_change_the_details_of_a_checkin(area):
    """Title, words and dates change; the code and questions stay."""
    client = area.signed_in("youth@example.org")
    path = "/workers/checkins/YOUTH1/edit"
    form = parse(client.get(path).get_data(as_text=True))
    assert not [i for i in form.find_all("input") if i.get("name") in ("code", "flow")]
    group = _group_value(client, "Youth club", path)
    data = _form(
        client,
        path,
        title="Youth club, autumn",
        intro=INTRO,
        group=group,
        starts_on="2026-01-05",
        ends_on="2030-12-20",
    )
    response = client.post(path, data=data)
    assert response.status_code == 302, _text(response)
    found = get_consultation(area.services.database, "YOUTH1")
    assert found.title == "Youth club, autumn" and found.intro == INTRO
    assert found.starts_at.astimezone(UK).date() == date(2026, 1, 5)
    assert found.ends_at.astimezone(UK).date() == date(2030, 12, 21)  # the end of the 20th
    page = _text(client.get("/workers/checkins/YOUTH1"))
    assert "At the end of Friday 20 December 2030" in page
    again = parse(client.get(path).get_data(as_text=True))
    assert again.by_id("ends_on").get("value") == "2030-12-20"


def test_another_groups_checkin_cannot_be_changed(area):
    """Edit, open and close are 'not found' for another group's check-in."""
    client = area.signed_in("youth@example.org")
    assert client.get("/workers/checkins/COUNCIL/edit").status_code == 404
    data = _form(client, "/workers/checkins/YOUTH1/edit", title="Taken over")
    assert client.post("/workers/checkins/COUNCIL/edit", data=data).status_code == 404
    closing = {"csrf_token": data["csrf_token"]}
    assert client.post("/workers/checkins/COUNCIL/close", data=closing).status_code == 404
    found = get_consultation(area.services.database, "COUNCIL")
    assert found.title == "Council team check-in" and found.status == "open"


def test_close_then_open_again(area):
    """Closed, the code stops working and the answers stay; opened again, it works."""
    client = area.signed_in("youth@example.org")
    data = {"csrf_token": token(client, "/workers/checkins/YOUTH1")}
    assert client.post("/workers/checkins/YOUTH1/close", data={}).status_code == 400
    assert get_consultation(area.services.database, "YOUTH1").status == "open"
    response = client.post("/workers/checkins/YOUTH1/close", data=data)
    assert response.status_code == 302
    assert "is closed. Its answers are kept." in _text(client.get("/workers/checkins/YOUTH1"))
    assert "has closed" in _say(area, "YOUTH1").replies[0].text
    client.post("/workers/checkins/YOUTH1/open", data=data)
    assert get_consultation(area.services.database, "YOUTH1").status == "open"
    assert _say(area, "YOUTH1", "+447700900402").started


def test_dates_open_and_close_a_checkin_by_themselves(area):
    """Before its first day it is not open yet; after its last day it closes itself,
    and cannot be opened again until the end date moves."""
    database = area.services.database
    now = utcnow()
    tomorrow = now + timedelta(days=1)
    update_consultation(database, "YOUTH1", None, "Youth club", "", tomorrow, None)
    assert get_consultation(database, "YOUTH1").status == "not yet open"
    said = _say(area, "YOUTH1").replies[0].text
    day = tomorrow.astimezone(UK)
    assert said == f"This check-in opens on {day:%A} {day.day} {day:%B}. Please come back then."
    update_consultation(database, "YOUTH1", None, "Youth club", "", None, now - timedelta(hours=1))
    assert get_consultation(database, "YOUTH1").status == "closed"
    assert "has closed" in _say(area, "YOUTH1", "+447700900403").replies[0].text
    client = area.signed_in("youth@example.org")
    data = {"csrf_token": token(client, "/workers/checkins/YOUTH1")}
    client.post("/workers/checkins/YOUTH1/open", data=data)
    page = _text(client.get("/workers/checkins/YOUTH1"))
    assert "Its end date has passed. Change the end date first." in page
    assert get_consultation(database, "YOUTH1").status == "closed"


def test_an_admin_may_leave_a_checkin_with_no_group(area):
    """Only admins are offered 'No group'."""
    client = area.signed_in("admin@example.org")
    response = client.post("/workers/checkins/new", data=_form(client, code="ADMIN1", group="none"))
    assert response.status_code == 302
    assert get_consultation(area.services.database, "ADMIN1").group is None
    worker = area.signed_in("youth@example.org")
    assert "No group" not in _text(worker.get("/workers/checkins/new"))


def test_long_words_give_way_to_the_consent_question_on_sms(area):
    """On SMS the words share two texts with the consent question; the question wins."""
    from voicebox.channels.sms.packing import render_segments

    sentence = "We are the youth club team at the big hall and we want your views."
    words = " ".join([sentence] * 3)
    client = area.signed_in("youth@example.org")
    group = _group_value(client, "Youth club")
    response = client.post("/workers/checkins/new", data=_form(client, group=group, intro=words))
    assert response.status_code == 302, _text(response)
    result = _say(area, "CLUB2")
    texts = render_segments(result.replies)
    assert len(texts) <= 2
    question = result.question
    assert question is not None and question.text.split("\n")[0][:40] in "\n".join(texts)
