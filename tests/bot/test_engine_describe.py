"""Engine.describe (what a page shows of a check-in) and the refusal of a check-in that is
unknown or closed: the parts the web chat relies on, tested at the engine."""

from __future__ import annotations

import pytest

from tests.bot.conftest import Person
from voicebox.bot import replies
from voicebox.bot.engine import Engine, answer_slot
from voicebox.bot.messages import InboundMessage
from voicebox.bot.ports import TurnContext
from voicebox.bot.state import ConsultationRef, ConversationState, Participant
from voicebox.flows import load_builtin_flows
from voicebox.flows.loader import parse_flow
from voicebox.storage.consultations import close_consultation

ENGINE = Engine(load_builtin_flows().values())
CORNER = ConsultationRef(code="CORNER", flow_id="four_cornerstones", flow_version=2)


def _at(step: str, **extra) -> ConversationState:
    return ConversationState(consultation=CORNER, step=step, consent="given", **extra)


def test_describe_shows_the_open_question_with_its_text_hint_by_default():
    """No buttons named: a text channel, so the question carries its hint."""
    state = _at("welcome_well")
    result = ENGINE.describe(state, opted_out=False)
    assert result.question is not None and result.question.step_id == "welcome_well"
    assert result.question.hint == "Type your answer, or send SKIP."
    assert result.consultation == CORNER and result.consent == "given"
    assert result.replies == () and result.duplicate is False and result.ended is False


def test_describe_on_buttons_leaves_the_hint_out():
    """The web chat has buttons: it never shows 'send SKIP'."""
    result = ENGINE.describe(_at("welcome_well"), opted_out=False, buttons=True)
    assert result.question is not None and result.question.hint == ""
    assert result.duplicate is False


def test_describe_shows_an_earlier_answer():
    """A question answered before comes with that answer, for the page to fill in."""
    state = _at("welcome_well")
    state.given[answer_slot("welcome_well", state.topic)] = {"text": "People smile"}
    question = ENGINE.describe(state, opted_out=False).question
    assert question is not None and question.earlier_text == "People smile"


def test_describe_shows_no_question_when_ended_stopped_or_never_started():
    """Nothing waits for an answer after the end, after STOP, or before any check-in."""
    ended = ENGINE.describe(_at("welcome_well", ended=True), opted_out=False)
    assert ended.question is None and ended.ended is True and ended.consultation == CORNER
    stopped = ENGINE.describe(_at("welcome_well"), opted_out=True)
    assert stopped.question is None and stopped.opted_out is True
    nothing = ENGINE.describe(None, opted_out=False)
    assert nothing.question is None and nothing.consultation is None and nothing.consent is None
    assert nothing.ended is False  # never started is not finished


def test_a_closed_checkin_named_by_the_channel_is_refused_as_a_notice(sqlite_engine):
    """The web chat's page for a closed check-in: one notice, nothing kept."""
    close_consultation(sqlite_engine.store.database, "CORNER")
    result = sqlite_engine.handle(Person(sqlite_engine).inbound("hello", consultation="CORNER"))
    assert [(m.text, m.purpose) for m in result.replies] == [(replies.CLOSED, "notice")]
    assert result.consultation is not None and result.consultation.code == "CORNER"
    assert result.question is None


def test_an_unknown_checkin_named_by_the_channel_is_refused_with_the_join_hint(sqlite_engine):
    """A page for a code that does not exist: how to join, as a notice."""
    result = sqlite_engine.handle(Person(sqlite_engine).inbound("hello", consultation="NOPE"))
    assert [(m.text, m.purpose) for m in result.replies] == [(replies.JOIN_HINT, "notice")]
    assert result.consultation is None


def test_describe_shows_no_question_at_a_step_that_asks_nothing():
    """A person left at a say step (as a flow change might leave them) has no question open."""
    assert ENGINE.describe(_at("thanks"), opted_out=False).question is None
    assert ENGINE.describe(_at("hello"), opted_out=False).question is None


def test_describe_shows_the_earlier_answer_about_this_topic_only():
    """The same question about another topic has its own answer: only this topic's shows."""
    state = _at("welcome_well", topic="school")
    state.given[answer_slot("welcome_well", "school")] = {"keys": [], "text": "At school"}
    state.given[answer_slot("welcome_well", None)] = {"keys": [], "text": "No topic"}
    question = ENGINE.describe(state, opted_out=False).question
    assert question is not None and question.earlier_text == "At school"


def _result(state, *, opted_out=False, buttons=None, text="hello"):
    context = TurnContext(Participant("Otter-1", opted_out), state, lambda code: None)
    outcome = ENGINE.resume(context, InboundMessage("sms", "sms:+447700900001", text))
    if buttons is None:
        return ENGINE.result(context, outcome)
    return ENGINE.result(context, outcome, buttons)


def test_result_shows_the_question_now_open_worded_for_the_channel():
    """After an answer, the result holds the next question: with its text hint unless the
    channel has buttons (a text channel by default)."""
    by_default = _result(_at("welcome_well"), text="People smile")
    on_buttons = _result(_at("welcome_well"), text="People smile", buttons=True)
    for result in (by_default, on_buttons):
        assert result.question is not None and result.question.step_id == "welcome_better"
        assert result.ended is False and result.opted_out is False
    assert by_default.question.hint == "Type your answer, or send SKIP."
    assert on_buttons.question.hint == ""


def test_result_after_stop_keeps_the_person_stopped_with_no_question():
    """A message after STOP changes nothing: the result says stopped and asks nothing."""
    result = _result(_at("welcome_well"), opted_out=True, text="hello")
    assert result.opted_out is True and result.question is None and result.replies == ()


def test_result_with_no_checkin_is_not_ended():
    """A first message with no code: no check-in, so nothing has ended either."""
    result = _result(None, text="hello")
    assert result.consultation is None and result.ended is False and result.question is None


def test_handle_needs_a_store():
    """An engine made without a store can only resume(): handle() says so plainly."""
    with pytest.raises(RuntimeError, match=r"^this engine has no store; use resume\(\)$"):
        ENGINE.handle(InboundMessage("sms", "sms:+447700900001", "hello"))


def _to_a_text_question(person: Person) -> None:
    for text in ("DEMO", "1", "1", "1"):  # yes, school, feeling: at "What is good"
        person.send(text)


def test_handle_on_buttons_describes_the_question_without_the_text_hint(sqlite_engine):
    """The web chat's turn: the open question comes back worded for buttons."""
    person = Person(sqlite_engine, "web:abc", "web")
    _to_a_text_question(person)
    on_web = sqlite_engine.handle(person.inbound("People are kind", buttons=True))
    assert on_web.question is not None and on_web.question.hint == ""
    by_text = sqlite_engine.handle(person.inbound("Nothing"))
    assert by_text.question is not None and by_text.question.hint != ""


def test_a_message_sent_twice_is_described_as_it_stands(sqlite_engine):
    """The same provider id again changes nothing: the result says where the person is,
    stopped or not, with the question worded for the channel."""
    person = Person(sqlite_engine, "web:abc", "web")
    _to_a_text_question(person)
    first = person.inbound("People are kind", buttons=True)
    sqlite_engine.handle(first)
    again = sqlite_engine.handle(first)
    assert again.duplicate is True and again.replies == ()
    assert again.question is not None and again.question.hint == ""
    assert again.opted_out is False
    stop = person.inbound("stop", buttons=True)
    sqlite_engine.handle(stop)
    stopped = sqlite_engine.handle(stop)
    assert stopped.duplicate is True and stopped.opted_out is True and stopped.question is None


def _cards_flow(version: int, title: str):
    from tests.bot.test_engine_promises import CARDS_FLOW

    text = CARDS_FLOW.replace("version: 1", f"version: {version}").replace(
        "title: Cards", f"title: {title}"
    )
    return parse_flow(text)


def test_the_engine_runs_the_newest_version_of_each_flow_given():
    """Given two versions of a flow in either order, the newer one runs; the same version
    twice keeps the first given."""
    older, newer = _cards_flow(1, "Old"), _cards_flow(2, "New")
    for flows in ([older, newer], [newer, older]):
        engine = Engine(flows)
        assert engine.flows["cards_test"].title == "New" and engine.has_flow("cards_test")
    again = Engine([_cards_flow(2, "First"), _cards_flow(2, "Second")])
    assert again.flows["cards_test"].title == "First"
    assert list(again.flows) == ["cards_test"] and not again.has_flow("tops_and_pants")


def test_the_engines_flows_cannot_be_changed_from_outside():
    """`flows` is a read-only view: a page listing flows cannot swap one by mistake."""
    flows = ENGINE.flows
    assert set(flows) == set(load_builtin_flows())
    with pytest.raises(TypeError):
        flows["tops_and_pants"] = flows["four_cornerstones"]  # type: ignore[index]
