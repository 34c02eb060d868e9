"""The web chat's writes: a visit stores nothing, the first answer makes the person, and
duplicate form posts are told apart per visitor. Real app, real SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tests.channels.web_visitor import Visitor
from voicebox.storage.models import Answer, Conversation, InboundMessageId, Participant


def _count(services: Any, model: Any) -> int:
    with services.database.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model))


def _rows(services: Any) -> tuple[int, int]:
    return _count(services, Participant), _count(services, Conversation)


def _form(page: Any, **fields: str) -> dict[str, str]:
    return {"token": page.field("token"), "nonce": page.field("nonce"), **fields}


def test_visits_store_nothing_until_the_first_answer(web_app, web_services):
    """300 first visits make no person and no conversation; one answer makes one of each."""
    pages = []
    for _ in range(300):  # a new visitor each time, as a link preview or a crawler is
        visitor = Visitor(web_app.test_client())
        page = visitor.open()
        assert page.status == 200
        pages.append(visitor)
    assert _rows(web_services) == (0, 0)
    again = pages[0].open()  # the same visitor again: still nothing
    assert _rows(web_services) == (0, 0)
    # What the first visit shows is the opening, as the engine says it.
    said = [text for who, text in again.log_texts() if who == "bot"]
    assert said[0].startswith("Hi, I am Voicebox")
    assert again.choice_words() == ["Yes, that is OK", "No thanks"]
    page = pages[0].choose("Yes, that is OK")
    assert _rows(web_services) == (1, 1)
    # Straight to the first question: the consent question is not asked twice.
    assert page.choice_words()[:2] == ["School or college", "Home"]
    assert [text for _, text in page.log_texts()].count(said[-1]) == 0
    with web_services.database.engine.connect() as conn:
        consent = conn.scalar(select(Conversation.consent))
    assert consent == "given"


def test_first_answer_by_the_script_goes_straight_to_the_first_question(visitor, web_services):
    """With the page's script, Yes on a fresh page answers consent: one person, one check-in."""
    page = visitor.open()
    response = visitor.client.post("/c/DEMO/messages", data=_form(page, choice="consent:yes"))
    assert response.status_code == 200
    texts = [m["text"] for m in response.get_json()["messages"]]
    assert texts[0] == "Yes, that is OK" and texts[-1].startswith("Which part of your life")
    assert _rows(web_services) == (1, 1)


def test_first_message_typed_or_a_command_answers_the_opening(visitor, web_services):
    """Typed words or Help on a fresh page: asked the consent question again, never the intro."""
    page = visitor.open()
    response = visitor.client.post("/c/DEMO/messages", data=_form(page, text="hello", send="1"))
    said = [m["text"] for m in response.get_json()["messages"] if m["who"] == "bot"]
    assert not any(text.startswith("Hi, I am Voicebox") for text in said)
    assert said[-1].startswith("The people who run this group")  # the consent question
    assert _rows(web_services) == (1, 1)
    page = visitor.press("help")
    assert page.choice_words() == ["Yes, that is OK", "No thanks"]
    page = visitor.choose("Yes, that is OK")
    assert page.choice_words()[:2] == ["School or college", "Home"]
    assert _rows(web_services) == (1, 1)


def test_no_thanks_on_a_fresh_page_keeps_nothing(visitor, web_services):
    """No thanks as the first answer: the goodbye, and no row is left."""
    visitor.open()
    page = visitor.choose("No thanks")
    assert _rows(web_services) == (0, 0)
    assert page.choice_words() == []
    said = [text for who, text in page.log_texts() if who == "bot"]
    assert said[-1].startswith("That is OK. We have not kept your answers.")


def test_stop_on_a_fresh_page_keeps_only_the_opt_out(visitor, web_services):
    """Stop before any answer: the person is kept (to remember the opt-out), no check-in."""
    visitor.open()
    visitor.press("stop")
    assert _rows(web_services) == (1, 0)
    page = visitor.press("start")  # Start again: the opening, from the start
    said = [text for who, text in page.log_texts() if who == "bot"]
    assert any(text.startswith("Hi, I am Voicebox") for text in said)
    assert page.choice_words() == ["Yes, that is OK", "No thanks"]


# -- duplicate form posts, per visitor -------------------------------------------------------


def _at_feeling(client: Any) -> Visitor:
    """A visitor who said yes and chose school: asked how they feel about it."""
    visitor = Visitor(client)
    visitor.open()
    visitor.choose("Yes, that is OK")
    visitor.choose("School or college")
    return visitor


def _feelings(services: Any) -> list[str]:
    with services.database.engine.connect() as conn:
        found = select(Answer.answer_key).where(Answer.question_id == "feeling")
        return list(conn.scalars(found.order_by(Answer.id)))


def test_the_same_nonce_from_two_visitors_counts_for_both(web_app, web_services):
    """A nonce one visitor used (a cached or shared page) never swallows another's answer."""
    visitors = [_at_feeling(web_app.test_client()), _at_feeling(web_app.test_client())]
    for visitor, key in zip(visitors, ("good", "bad"), strict=True):
        assert visitor.page is not None
        fields = _form(visitor.page, choice=f"feeling:{key}")
        fields["nonce"] = "shared-nonce-1234"
        assert visitor.client.post("/c/DEMO", data=fields).status_code == 303
    assert _feelings(web_services) == ["good", "bad"]


def test_the_same_nonce_twice_from_one_visitor_counts_once(web_app, web_services):
    """The same form posted twice by one visitor (a resend) is one answer."""
    visitor = _at_feeling(web_app.test_client())
    assert visitor.page is not None
    fields = _form(visitor.page, choice="feeling:good")
    before = _count(web_services, InboundMessageId)
    for _ in range(2):
        assert visitor.client.post("/c/DEMO", data=fields).status_code == 303
    assert _count(web_services, InboundMessageId) == before + 1
    assert _feelings(web_services) == ["good"]


def test_web_answers_keep_no_reply_for_a_repeat(visitor, web_services):
    """Only a channel whose provider delivers again (SMS) keeps its answer a day: the web
    page shows the transcript, so its message ids hold no reply and no sender."""
    visitor.open()
    visitor.choose("Yes, that is OK")
    visitor.choose("School or college")
    with web_services.database.engine.connect() as conn:
        kept = conn.execute(select(InboundMessageId.reply, InboundMessageId.sender_key)).all()
    assert len(kept) == 2
    assert all(reply is None and sender is None for reply, sender in kept)
