"""Properties: any text at any step gets a reply and never an exception; state stays valid."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from voicebox.bot.engine import MAX_ANSWER_CHARS, Engine
from voicebox.bot.messages import InboundMessage
from voicebox.bot.ports import TurnContext
from voicebox.bot.state import ConsultationRef, ConversationState, Participant, answer_slot
from voicebox.flows import ANSWER_KINDS, load_builtin_flows

FLOWS = load_builtin_flows()
ENGINE = Engine(FLOWS.values())
REFS = {
    flow_id: ConsultationRef(code=flow_id.upper()[:8], flow_id=flow_id, flow_version=flow.version)
    for flow_id, flow in FLOWS.items()
}
STEPS = [(flow_id, step_id) for flow_id, flow in FLOWS.items() for step_id in flow.steps]
# Every button either flow shows: old buttons pressed late must be as safe as fresh ones.
PAYLOADS = sorted(
    f"{step.id}:{choice.key}"
    for flow in FLOWS.values()
    for step in flow.steps.values()
    for choice in step.choices
)

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
    # long messages in any script: a few characters repeated up to 10,000
    st.builds(
        lambda part, n: (part * n)[:10_000],
        st.text(min_size=1, max_size=4),
        st.integers(min_value=500, max_value=10_000),
    ),
)


@st.composite
def places(draw):
    """A saved conversation anywhere in either flow: step, consent, retries, topic, history."""
    flow_id = draw(st.sampled_from(sorted(FLOWS)))
    flow = FLOWS[flow_id]
    step_id = draw(st.sampled_from(sorted(flow.steps)))
    questions = sorted(s.id for s in flow.steps.values() if s.is_question)
    topics = sorted(
        (choice.key, choice.topic)
        for step in flow.steps.values()
        for choice in step.choices
        if choice.topic
    )
    topic, about = draw(st.sampled_from([(None, None), *topics]))
    history = draw(st.lists(st.sampled_from(questions), max_size=4))
    # Earlier answers, some with keys the step no longer has (the flow changed).
    keys = sorted({c.key for s in flow.steps.values() for c in s.choices} | {"gone"})
    given = draw(
        st.dictionaries(
            st.sampled_from(questions).map(lambda q: answer_slot(q, topic)),
            st.fixed_dictionaries(
                {
                    "seqs": st.lists(st.integers(0, 20), max_size=3),
                    "keys": st.lists(st.sampled_from(keys), max_size=3),
                    "text": st.text(max_size=80),
                }
            ),
            max_size=3,
        )
    )
    state = ConversationState(
        consultation=REFS[flow_id],
        step=step_id,
        consent=draw(st.sampled_from(["given", "pending"])),
        retries=draw(st.integers(0, 4)),
        topic=topic,
        about=about,
        seq=draw(st.integers(0, 20)),
        history=[[step, topic, about] for step in history],
        given=given,
    )
    state.ended = flow.step(step_id).is_end
    return flow_id, state


def _context(flow_id: str, step_id: str, opted_out: bool = False, consent: str = "given"):
    state = ConversationState(consultation=REFS[flow_id], step=step_id, consent=consent)
    state.ended = FLOWS[flow_id].step(step_id).is_end
    return TurnContext(Participant("Otter-1000", opted_out), state, lambda code: None)


def _find(code: str):
    return next((ref for ref in REFS.values() if ref.code == code.upper()), None)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    place=places(),
    text=texts,
    payload=st.none() | st.text(max_size=40) | st.sampled_from(PAYLOADS),
    media=st.booleans(),
)
def test_any_text_at_any_step_gets_a_reply(place, text, payload, media):
    """Whatever is typed or pressed, wherever, the engine answers and stays on a real step."""
    flow_id, state = place
    flow = FLOWS[flow_id]
    inbound = InboundMessage("sms", "sms:+447700900000", text, payload=payload, has_media=media)
    outcome = ENGINE.resume(TurnContext(Participant("Otter-1000"), state, _find), inbound)
    assert outcome.replies, (state.step, text)
    for reply in outcome.replies:
        assert reply.text.strip() and reply.as_text()
    if outcome.conversation is not None:
        now = outcome.conversation
        assert now.step in FLOWS[now.consultation.flow_id].steps
        assert now.retries >= 0
        assert now.ended == FLOWS[now.consultation.flow_id].step(now.step).is_end
    for answer in outcome.answers:
        assert answer.kind in ANSWER_KINDS
        assert answer.question_id in flow.steps
        assert len(answer.answer) <= MAX_ANSWER_CHARS


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
@example(flow_id="four_cornerstones_pictures", inputs=["1", "0" * 4301])  # found by a long run
def test_any_sequence_keeps_state_valid(flow_id, inputs):
    """A whole conversation of random input never breaks the state or the answer numbers."""
    state = None
    participant = Participant("Otter-1000")
    seqs: list[int] = []
    code = REFS[flow_id].code
    for text in [code, *inputs]:
        context = TurnContext(participant, state, lambda c: REFS[flow_id] if c == code else None)
        outcome = ENGINE.resume(context, InboundMessage("sms", "sms:+1", text))
        # silence is right only for someone who has sent STOP (and not START since)
        assert outcome.replies or (participant.opted_out and outcome.opted_out is None), text
        if outcome.opted_out is not None:
            participant = Participant("Otter-1000", outcome.opted_out)
        if outcome.conversation is not None:
            state = outcome.conversation
            assert state.step in FLOWS[flow_id].steps
        seqs = [s for s in seqs if s not in outcome.retracted]
        seqs += [answer.seq for answer in outcome.answers]
        assert len(seqs) == len(set(seqs))
        for answer in outcome.answers:
            assert answer.kind in ANSWER_KINDS
            assert len(answer.answer) <= MAX_ANSWER_CHARS
