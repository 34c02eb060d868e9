"""Properties: any text at any step gets a reply and never an exception; state stays valid."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voicebox.bot.engine import Engine
from voicebox.bot.messages import InboundMessage
from voicebox.bot.state import ConsultationRef, ConversationState, Participant
from voicebox.bot.store import TurnContext
from voicebox.flows import load_builtin_flows

FLOWS = load_builtin_flows()
ENGINE = Engine(FLOWS.values())
REFS = {
    flow_id: ConsultationRef(code=flow_id.upper()[:8], flow_id=flow_id, flow_version=flow.version)
    for flow_id, flow in FLOWS.items()
}
STEPS = [(flow_id, step_id) for flow_id, flow in FLOWS.items() for step_id in flow.steps]

texts = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
    st.sampled_from(
        [
            "",
            " ",
            "STOP",
            "start",
            "HELP",
            "skip",
            "back",
            "1",
            "7",
            "yes",
            "no",
            "🙂",
            "✅",
            "مرحبا",
            "你好",
            "\x00",
            "DEMO",
            "join demo",
            "my dad hits me",
            "stop it",
        ]
    ),
    st.builds(lambda n: "a" * n, st.integers(min_value=1990, max_value=10_000)),
)


def _context(flow_id: str, step_id: str, opted_out: bool = False, consent: str = "given"):
    state = ConversationState(consultation=REFS[flow_id], step=step_id, consent=consent)
    state.ended = FLOWS[flow_id].step(step_id).is_end
    return TurnContext(Participant("Otter-1000", opted_out), state, lambda code: None)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(place=st.sampled_from(STEPS), text=texts, payload=st.none() | st.text(max_size=40))
def test_any_text_at_any_step_gets_a_reply(place, text, payload):
    """Whatever is typed, wherever, the engine answers and stays on a real step."""
    flow_id, step_id = place
    inbound = InboundMessage("sms", "sms:+447700900000", text, payload=payload)
    outcome = ENGINE.resume(_context(flow_id, step_id), inbound)
    assert outcome.replies, (step_id, text)
    assert all(reply.text for reply in outcome.replies)
    if outcome.conversation is not None:
        assert outcome.conversation.step in FLOWS[flow_id].steps
        assert outcome.conversation.retries >= 0


@settings(max_examples=200, deadline=None)
@given(place=st.sampled_from(STEPS), text=texts)
def test_opted_out_hears_nothing_but_start(place, text):
    """After STOP, only START (or YES) gets any reply at all."""
    flow_id, step_id = place
    inbound = InboundMessage("sms", "sms:+447700900000", text)
    outcome = ENGINE.resume(_context(flow_id, step_id, opted_out=True), inbound)
    if outcome.opted_out is False:
        assert outcome.replies
    else:
        assert outcome.replies == []
        assert outcome.answers == [] and outcome.conversation is None


@settings(max_examples=150, deadline=None)
@given(
    flow_id=st.sampled_from(sorted(FLOWS)),
    inputs=st.lists(texts, min_size=1, max_size=25),
)
def test_any_sequence_keeps_state_valid(flow_id, inputs):
    """A whole conversation of random input never breaks the state or the answer numbers."""
    state = None
    participant = Participant("Otter-1000")
    seqs: list[int] = []
    code = REFS[flow_id].code
    for text in [code, *inputs]:
        context = TurnContext(participant, state, lambda c: REFS[flow_id] if c == code else None)
        outcome = ENGINE.resume(context, InboundMessage("sms", "sms:+1", text))
        if outcome.opted_out is not None:
            participant = Participant("Otter-1000", outcome.opted_out)
        if outcome.conversation is not None:
            state = outcome.conversation
            assert state.step in FLOWS[flow_id].steps
        seqs = [s for s in seqs if s not in outcome.retracted]
        seqs += [answer.seq for answer in outcome.answers]
        assert len(seqs) == len(set(seqs))
        for answer in outcome.answers:
            assert answer.kind in ("top", "pants", "better", "feeling", "choice", "text")
            assert len(answer.answer) <= 2000
