"""The engine says what happened: every channel renders from the TurnResult, never from
reply text or the engine's saved state. Run on the real store, SQLite and PostgreSQL."""

from __future__ import annotations

import itertools

from sqlalchemy import func, select

from voicebox.bot import replies
from voicebox.bot.messages import InboundMessage
from voicebox.storage.conversations import read_place
from voicebox.storage.models import Participant, TranscriptMessage
from voicebox.storage.transcripts import read_transcript

_ids = itertools.count()


def _web(engine, text="", address="web:visitor-one", code="DEMO", **extra):
    inbound = InboundMessage(
        "web", address, text, message_id=f"w{next(_ids)}", consultation=code, **extra
    )
    return engine.handle(inbound)


def _sms(engine, text, address="sms:+447700900321"):
    return engine.handle(InboundMessage("sms", address, text, message_id=f"s{next(_ids)}"))


def test_the_open_question_comes_with_its_choices(engine):
    """Joining asks for consent: kind, step, words, keys and symbols, all in the result."""
    result = _web(engine)
    assert result.started and result.consent == "pending" and not result.ended
    assert result.consultation is not None and result.consultation.code == "DEMO"
    question = result.question
    assert question is not None and question.kind == "consent" and question.step_id == "consent"
    assert [(c.key, c.words) for c in question.choices] == [
        ("yes", "Yes, that is OK"),
        ("no", "No thanks"),
    ]
    assert all(c.emoji and c.picture and c.payload == f"consent:{c.key}" for c in question.choices)
    assert result.replies[-1].step_id == "consent"


def test_a_choice_says_which_one_was_picked(engine):
    """A button and a typed number both say the choice picked, as the person saw it."""
    _web(engine)
    result = _web(engine, payload="consent:yes")
    assert result.chosen is not None and result.chosen.words == "Yes, that is OK"
    assert result.consent == "given" and result.question is not None
    assert result.question.step_id == "topic" and result.question.kind == "choice"
    result = _web(engine, "1")
    assert result.chosen is not None and result.chosen.key == "school"
    assert result.question is not None and result.question.step_id == "feeling"
    result = _web(engine, "2")
    assert result.question is not None and result.question.kind == "text"
    assert "school or college" in result.question.text


def test_an_old_button_picks_nothing(engine):
    """A button for a question already passed: no choice, and the open question again."""
    _web(engine)
    _web(engine, payload="consent:yes")
    result = _web(engine, payload="consent:no")
    assert result.chosen is None and result.consent == "given"
    assert result.replies[0].text == replies.OLD_BUTTON
    assert result.question is not None and result.question.step_id == "topic"


def test_no_thanks_ends_it_and_stop_opts_out(engine):
    """Declining ends the check-in; STOP opts out and leaves no question open."""
    _web(engine)
    result = _web(engine, payload="consent:no")
    assert result.consent == "declined" and result.ended and result.question is None
    result = _sms(engine, "DEMO")
    assert result.question is not None
    result = _sms(engine, "STOP")
    assert result.opted_out and result.question is None
    assert [m.purpose for m in result.replies] == ["stop"]
    result = _sms(engine, "START")
    assert not result.opted_out and result.question is not None


def test_describe_matches_what_handle_said(engine, store):
    """A page visit (describe from the stored place) shows the same open question."""
    _web(engine)
    said = _web(engine, payload="consent:yes")
    with store.database.reading() as conn:
        place = read_place(conn, store.secret, "web", "web:visitor-one", "DEMO")
    seen = engine.describe(place.state, place.opted_out)
    assert seen.question == said.question
    assert (seen.consent, seen.ended, seen.opted_out) == ("given", False, False)


def test_a_duplicate_changes_nothing_but_still_knows_the_question(engine):
    """The same message id twice: nothing said or kept again, the open question still there."""
    _web(engine)
    inbound = InboundMessage(
        "web", "web:visitor-one", "", message_id="same", payload="consent:yes", consultation="DEMO"
    )
    first = engine.handle(inbound)
    again = engine.handle(inbound)
    assert first.replies and not first.duplicate
    assert again.duplicate and again.replies == ()
    assert again.question == first.question


def test_a_closed_or_unknown_checkin_is_refused_and_keeps_nothing(engine, store):
    """A page for a code that is not open: no person's row is made, and nothing is said kept."""
    result = _web(engine, "hello", address="web:stranger", code="NOSUCH")
    assert result.consultation is None and result.question is None
    assert result.replies[0].text == replies.JOIN_HINT
    result = _web(engine, "hello", address="web:stranger", code="DEMO")
    assert result.consultation is not None and result.consultation.open
    with store.database.engine.connect() as conn:
        before = conn.scalar(select(func.count(Participant.id)))
    from voicebox.storage.consultations import close_consultation

    close_consultation(store.database, "CORNER")
    result = _web(engine, "hello", address="web:someone-new", code="CORNER")
    assert result.consultation is not None and not result.consultation.open
    assert result.replies[0].text == replies.CLOSED
    with store.database.engine.connect() as conn:
        assert conn.scalar(select(func.count(Participant.id))) == before


def test_transcript_rows_are_structured(engine, store):
    """A picked choice keeps its step and key; questions are kept without numbered lines."""
    _sms(engine, "DEMO")
    _sms(engine, "1")  # consent yes, typed
    _sms(engine, "school")
    with store.database.engine.connect() as conn:
        conversation_id = conn.scalar(select(func.max(TranscriptMessage.conversation_id)))
    with store.database.reading() as conn:
        lines = read_transcript(conn, conversation_id)
    typed = [(line.text, line.step, line.choice_key) for line in lines if line.direction == "in"]
    assert typed == [("1", "consent", "yes"), ("school", "topic", "school")]
    questions = [line for line in lines if line.direction == "out" and line.step == "feeling"]
    assert questions and "\n" not in questions[0].text and questions[0].purpose == "flow"
    _web(engine)
    _web(engine, payload="consent:yes")
    _web(engine, payload="topic:home")
    with store.database.engine.connect() as conn:
        latest = conn.scalar(select(func.max(TranscriptMessage.conversation_id)))
    with store.database.reading() as conn:
        pressed = [line for line in read_transcript(conn, latest) if line.direction == "in"]
    last = pressed[-1]
    assert (last.text, last.step, last.choice_key) == ("", "topic", "home")
