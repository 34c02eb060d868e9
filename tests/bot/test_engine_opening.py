"""Engine.opening (a check-in's opening, worked out without storing anything) and a first
message that answers an opening the channel already showed (InboundMessage.opening_shown)."""

from __future__ import annotations

from voicebox.bot.engine import Engine
from voicebox.bot.messages import InboundMessage
from voicebox.bot.ports import TurnContext
from voicebox.bot.state import ConsultationRef, Participant
from voicebox.flows import load_builtin_flows

ENGINE = Engine(load_builtin_flows().values())
DEMO = ConsultationRef(code="DEMO", flow_id="tops_and_pants", flow_version=2, intro="Our words.")


def _context() -> TurnContext:
    return TurnContext(Participant(pseudonym="Otter-1"), None, lambda _code: None, DEMO)


def _message(**fields) -> InboundMessage:
    return InboundMessage("web", "web:someone", consultation="DEMO", buttons=True, **fields)


def test_opening_is_what_starting_says_and_asks():
    """The same replies and question as a stored start, and nothing to keep."""
    opening = ENGINE.opening(DEMO, buttons=True)
    started = ENGINE.resume(_context(), _message())
    assert opening.replies == tuple(started.replies)
    assert [m.text for m in opening.replies][:2] == ["Our words.", started.replies[1].text]
    assert opening.question is not None and opening.question.kind == "consent"
    assert opening.consent == "pending" and opening.started and opening.consultation == DEMO


def test_an_answer_to_a_shown_opening_starts_and_answers_at_once():
    """Yes on a page that showed the opening: begun and consented in one outcome."""
    outcome = ENGINE.resume(_context(), _message(payload="consent:yes", opening_shown=True))
    assert outcome.started and outcome.conversation is not None
    assert outcome.conversation.consent == "given" and outcome.conversation.step == "topic"
    assert outcome.chosen is not None and outcome.chosen.key == "yes"
    assert not any(m.text == "Our words." for m in outcome.replies)  # not said twice


def test_without_the_opening_shown_a_message_starts_from_the_opening():
    """A channel that showed nothing (or Start again): the check-in begins with its words."""
    outcome = ENGINE.resume(_context(), _message(payload="consent:yes"))
    assert outcome.started and outcome.conversation is not None
    assert outcome.conversation.consent == "pending"
    assert outcome.replies[0].text == "Our words."


def test_stop_as_the_first_answer_starts_nothing():
    """STOP on a page that showed the opening: an opt-out, no check-in."""
    outcome = ENGINE.resume(_context(), _message(text="Stop", opening_shown=True))
    assert outcome.opted_out is True and outcome.conversation is None and not outcome.started
