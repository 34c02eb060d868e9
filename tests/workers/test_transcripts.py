"""Reading conversations in the workers' area: the list, one conversation as bubbles with
the choices taken, and nothing that could identify a young person shown."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from tests.channels.webpage import parse
from voicebox.bot.messages import InboundMessage
from voicebox.storage.conversation_list import PER_PAGE
from voicebox.storage.models import Conversation

_ids = itertools.count()
TYPED = "Call me on 07700 900123 or jo.b@example.org. I live near SW1A 1AA, code 12345678."


def _say(area, code: str, phone: str, *texts: str) -> int:
    """Text the area's engine; return the conversation's id."""
    for text in texts:
        area.services.engine.handle(
            InboundMessage("sms", f"sms:{phone}", text, message_id=f"t{next(_ids)}")
        )
    with area.services.database.read_sessions() as session:
        return session.scalars(select(Conversation.id).order_by(Conversation.id.desc())).first()


def _text(response) -> str:
    return parse(response.get_data(as_text=True)).text()


def test_a_conversation_reads_as_bubbles_with_identifying_details_hidden(area):
    """The worker reads what was chosen and typed; the phone number the young person texted
    from, and the number, email, postcode and digits they typed, are nowhere on the page."""
    conversation = _say(area, "YOUTH1", "+447700900555", "YOUTH1", "1", "1", "1", TYPED)
    client = area.signed_in("youth@example.org")
    listed = _text(client.get("/workers/checkins/YOUTH1/conversations"))
    assert "1 conversation where the young person said yes" in listed
    html = client.get(f"/workers/conversations/{conversation}").get_data(as_text=True)
    page = parse(html).text()
    assert "Chose: Yes" in page and "Chose: School or college" in page
    assert "Call me on [phone number] or [email address]. I live near [postcode]" in page
    assert "code [number]." in page
    for secret in ("7700900555", "07700 900123", "jo.b@example.org", "SW1A 1AA", "12345678"):
        assert secret not in html
    assert "What is good about school or college?" in page


def test_another_groups_conversations_are_not_found(area):
    """A worker of another group gets 'not found' for the list and for each conversation."""
    conversation = _say(area, "YOUTH1", "+447700900556", "YOUTH1", "1")
    client = area.signed_in("council@example.org")
    assert client.get("/workers/checkins/YOUTH1/conversations").status_code == 404
    assert client.get(f"/workers/conversations/{conversation}").status_code == 404
    assert client.get("/workers/conversations/999999").status_code == 404
    assert (
        area.signed_in("admin@example.org")
        .get(f"/workers/conversations/{conversation}")
        .status_code
        == 200
    )


def test_only_conversations_with_a_yes_are_listed(area):
    """Stopped at the consent question, nothing was agreed: not listed, not readable."""
    waiting = _say(area, "YOUTH1", "+447700900557", "YOUTH1")
    client = area.signed_in("youth@example.org")
    assert "0 conversations" in _text(client.get("/workers/checkins/YOUTH1/conversations"))
    assert client.get(f"/workers/conversations/{waiting}").status_code == 404


def test_the_list_pages_newest_first(area):
    """More than a page: page 1 holds the newest, page 2 the rest; a bad page is handled."""
    ids = [_say(area, "YOUTH1", f"+4477009{n:05d}", "YOUTH1", "1") for n in range(PER_PAGE + 1)]
    client = area.signed_in("youth@example.org")

    def linked(page: str) -> list[int]:
        html = parse(
            client.get(f"/workers/checkins/YOUTH1/conversations{page}").get_data(as_text=True)
        )
        return [
            int(a.get("href").rsplit("/", 1)[1])
            for a in html.find_all("a")
            if "/workers/conversations/" in (a.get("href") or "")
        ]

    assert linked("") == list(reversed(ids))[:PER_PAGE]
    assert linked("?page=2") == [ids[0]]
    assert linked("?page=abc") == linked("")
    assert client.get("/workers/checkins/YOUTH1/conversations?page=3").status_code == 404


def _listed(client, query: str = "") -> tuple[int, list[str]]:
    """The status and the pseudonyms listed for this query string."""
    response = client.get(f"/workers/checkins/YOUTH1/conversations{query}")
    page = parse(response.get_data(as_text=True))
    names = [a.text() for a in page.find_all("a") if "/workers/conversations/" in a.get("href")]
    return response.status_code, names


def _pseudonym(area, conversation_id: int) -> str:
    from voicebox.storage.models import Participant

    with area.services.database.read_sessions() as session:
        found = session.get(Conversation, conversation_id)
        return session.get(Participant, found.participant_id).pseudonym


def test_filters_narrow_the_list(area):
    """Words, topic, kind, channel, flagged and dates each narrow the list; together they
    all apply; paging keeps them."""
    typed = _say(area, "YOUTH1", "+447700900601", "YOUTH1", "1", "1", "1", "The 100% best TEACHERS")
    home = _say(area, "YOUTH1", "+447700900602", "YOUTH1", "1", "2", "1", "my room is cosy")
    flagged = _say(area, "YOUTH1", "+447700900603", "YOUTH1", "1", "1", "1", "i want to die")
    web = area.services.engine.handle(
        InboundMessage("web", "web:browser-1", "YOUTH1", message_id=f"t{next(_ids)}")
    )
    assert web.started
    client = area.signed_in("youth@example.org")
    names = {
        key: _pseudonym(area, cid)
        for key, cid in [("typed", typed), ("home", home), ("flagged", flagged)]
    }
    assert _listed(client, "?words=teachers")[1] == [names["typed"]]
    assert _listed(client, "?words=100%25")[1] == [names["typed"]]  # % is a letter, not a wildcard
    assert _listed(client, "?words=_")[1] == []
    page = parse(
        client.get("/workers/checkins/YOUTH1/conversations?words=teachers").get_data(as_text=True)
    )
    assert page.by_id("match-count").text() == "1 conversation matches. Newest first."
    assert page.by_id("words").get("value") == "teachers"
    school = _listed(client, "?topic=school")[1]
    assert sorted(school) == sorted([names["typed"], names["flagged"]])
    assert _listed(client, "?flagged=y")[1] == [names["flagged"]]
    assert _listed(client, "?channel=sms&topic=school&words=die")[1] == [names["flagged"]]
    assert _listed(client, "?channel=web")[1] == []  # the web visitor has not said yes yet
    assert len(_listed(client, "?kind=top")[1]) == 3
    assert _listed(client, "?started_from=2000-01-01&started_to=2000-01-02")[1] == []
    assert len(_listed(client, "?started_from=2000-01-01")[1]) == 3


def test_a_filter_that_makes_no_sense_is_explained(area):
    """A made-up date or a backwards range is shown as a problem, not a crash."""
    client = area.signed_in("youth@example.org")
    for query, words in [
        ("?started_from=2026-02-31", "Not a valid date value"),
        ("?started_from=2026-03-02&started_to=2026-03-01", "must be the same as or after"),
        ("?words=" + "x" * 101, "at most 100 characters"),
    ]:
        response = client.get(f"/workers/checkins/YOUTH1/conversations{query}")
        assert response.status_code == 400
        summary = parse(response.get_data(as_text=True)).with_class("error-summary")[0]
        assert words in summary.text()
    assert _listed(client, "?kind=made-up&topic=nope")[0] == 200


def test_an_admin_can_show_what_is_hidden_and_each_time_is_recorded(area):
    """Only an admin sees the button; pressing it shows what was typed, records who and
    when first, and a reload hides it again. A worker's POST is 'not found'."""
    from tests.workers.conftest import token
    from voicebox.storage.reveals import list_reveals

    conversation = _say(area, "YOUTH1", "+447700900558", "YOUTH1", "1", "1", "1", TYPED)
    path = f"/workers/conversations/{conversation}"
    worker = area.signed_in("youth@example.org")
    assert "Show what is hidden" not in _text(worker.get(path))
    data = {"csrf_token": token(worker, path)}
    assert worker.post(f"{path}/reveal", data=data).status_code == 404
    assert list_reveals(area.services.database) == []

    admin = area.signed_in("admin@example.org")
    assert "Show what is hidden" in _text(admin.get(path))
    assert admin.post(f"{path}/reveal", data={}).status_code == 400  # no token
    assert list_reveals(area.services.database) == []
    shown = admin.post(f"{path}/reveal", data={"csrf_token": token(admin, path)})
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert "jo.b@example.org" in html and "SW1A 1AA" in html and "07700 900123" in html
    assert "Nothing is hidden on this page." in parse(html).text()
    (record,) = list_reveals(area.services.database, "YOUTH1", conversation)
    assert record.kind == "conversation" and record.worker_email == "admin@example.org"
    again = admin.get(path).get_data(as_text=True)
    assert "jo.b@example.org" not in again
    assert "When the hidden details were shown" in parse(again).text()
    assert "admin@example.org" in parse(again).text()
    assert "7700900558" not in html  # the number they texted from is never shown


def test_nothing_to_show_means_no_button(area):
    """A conversation with nothing hidden offers no button, even to an admin."""
    conversation = _say(area, "YOUTH1", "+447700900559", "YOUTH1", "1", "1", "1", "all good")
    page = _text(area.signed_in("admin@example.org").get(f"/workers/conversations/{conversation}"))
    assert "Show what is hidden" not in page
