"""Edges of the engine that round 1 of mutation testing left open (issue 9 point 9).

Switching check-in mid-conversation, "hi DEMO", a flag's step id, the less common command
words ("pass", "next question", "undo") and choice words ("option 3", "six"), all through
Engine.resume with a TurnContext, or the real engine on SQLite.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.bot.conftest import Person
from tests.bot.test_engine_promises import CARDS_FLOW
from voicebox.bot import replies
from voicebox.bot.engine import EARLIER_CHARS, MAX_ANSWER_CHARS, MAX_GIVEN, Engine
from voicebox.bot.messages import InboundMessage, OutboundMessage
from voicebox.bot.ports import TurnContext
from voicebox.bot.safeguarding import PhraseList
from voicebox.bot.state import ConsultationRef, ConversationState, Participant
from voicebox.flows import load_builtin_flows
from voicebox.flows.loader import parse_flow
from voicebox.storage.models import SafeguardingFlag

FLOWS = load_builtin_flows()
ENGINE = Engine(FLOWS.values())
DEMO = ConsultationRef(code="DEMO", flow_id="tops_and_pants", flow_version=2)
CORNER = ConsultationRef(code="CORNER", flow_id="four_cornerstones", flow_version=1)
REFS = {"DEMO": DEMO, "CORNER": CORNER}


def _find(code: str) -> ConsultationRef | None:
    return REFS.get(code.upper())


def _turn(
    text: str,
    step: str | None = "topic",
    *,
    ref: ConsultationRef = DEMO,
    named: ConsultationRef | None = None,
    ended: bool = False,
    opted_out: bool = False,
    **extra,
):
    state = None
    if step is not None:
        state = ConversationState(consultation=ref, step=step, consent="given", ended=ended)
    context = TurnContext(Participant("Otter-1", opted_out), state, _find, named=named)
    inbound = InboundMessage("sms", "sms:+447700900001", text, **extra)
    return ENGINE.resume(context, inbound), state


def _question(outcome):
    """The question asked last, as its step id."""
    asked = [m for m in outcome.replies if m.expects]
    return asked[-1].step_id if asked else None


# -- switching check-in mid-conversation ------------------------------------------------


def test_a_channel_naming_another_checkin_starts_that_one():
    """The web chat URL names CORNER while the person is in DEMO: CORNER starts."""
    outcome, _ = _turn("hello", named=CORNER, consultation="CORNER")
    assert outcome.started is True
    assert outcome.conversation is not None
    assert outcome.conversation.consultation == CORNER
    assert outcome.conversation.step == "consent"
    assert _question(outcome) == "consent"


def test_a_channel_naming_the_same_checkin_in_other_letters_does_not_switch():
    """'demo' named by the channel is DEMO: the person stays at their question."""
    outcome, state = _turn("2", named=DEMO, consultation="demo")
    assert outcome.started is False
    assert outcome.conversation is state
    assert outcome.chosen is not None and outcome.chosen.key == "home"
    assert state.step == "feeling"


def test_typing_another_open_code_moves_and_says_so():
    """CORNER typed at a DEMO question moves there, with a notice first."""
    outcome, _ = _turn("CORNER", step="good")
    assert outcome.started is True
    assert outcome.conversation.consultation == CORNER
    assert outcome.in_reply_to is None
    assert outcome.answers == []
    notice = outcome.replies[0]
    assert notice.purpose == "notice" and "CORNER" in notice.text
    assert _question(outcome) == "consent"


def test_join_code_moves_even_when_lower_case():
    """'join corner' always moves, written in any case."""
    outcome, _ = _turn("join corner", step="feeling")
    assert outcome.started is True
    assert outcome.conversation.consultation == CORNER


def test_own_code_says_where_you_are():
    """DEMO typed inside DEMO keeps the person where they are, kindly."""
    outcome, state = _turn("DEMO", step="good")
    assert outcome.started is False
    assert outcome.replies[0].purpose == "notice"
    assert _question(outcome) == "good"
    assert state.step == "good" and outcome.answers == []


def test_three_words_are_an_answer_not_a_code():
    """'join the CORNER' is not a code: at a text question it is the answer."""
    outcome, _ = _turn("join the CORNER", step="good")
    assert outcome.started is False
    assert [a.answer for a in outcome.answers] == ["join the CORNER"]


# -- joining -----------------------------------------------------------------------------


def test_hi_demo_joins_demo():
    """A first message 'hi DEMO' finds the code among its words and starts DEMO."""
    outcome, _ = _turn("hi DEMO", step=None)
    assert outcome.started is True
    assert outcome.conversation.consultation == DEMO
    assert [m.step_id for m in outcome.replies] == ["hello", "consent"]
    assert outcome.replies[0].purpose == "flow" and outcome.replies[0].expects is None


def test_hello_alone_gets_the_join_hint():
    """A first message with no code starts nothing and says how to start."""
    outcome, _ = _turn("hello", step=None)
    assert outcome.started is False and outcome.conversation is None
    assert [m.purpose for m in outcome.replies] == ["notice"]


def test_help_before_any_checkin_is_help():
    outcome, _ = _turn("HELP", step=None)
    assert [m.purpose for m in outcome.replies] == ["help"]
    assert outcome.conversation is None


def test_after_the_end_a_message_says_finished_with_the_code():
    outcome, _ = _turn("hello", step="goodbye", ended=True)
    assert [m.purpose for m in outcome.replies] == ["notice"]
    assert "DEMO" in outcome.replies[0].text


def test_after_the_end_the_code_starts_again():
    outcome, _ = _turn("DEMO", step="goodbye", ended=True)
    assert outcome.started is True
    assert outcome.conversation.step == "consent"


# -- flags -------------------------------------------------------------------------------


def test_a_flag_keeps_the_step_it_was_sent_at():
    outcome, _ = _turn("my dad hits me", step="not_good")
    assert [f.step_id for f in outcome.flags] == ["not_good"]
    assert outcome.replies[0].purpose == "safeguarding"


def test_a_flag_after_the_end_has_no_step():
    outcome, _ = _turn("my dad hits me", step="goodbye", ended=True)
    assert [f.step_id for f in outcome.flags] == [None]


def test_a_flag_before_any_checkin_has_no_step_and_no_join_hint():
    outcome, _ = _turn("my dad hits me", step=None)
    assert [f.step_id for f in outcome.flags] == [None]
    assert [m.purpose for m in outcome.replies] == ["safeguarding"]


def test_a_flag_after_stop_is_kept_but_nothing_is_said():
    outcome, _ = _turn("my dad hits me", step="good", opted_out=True)
    assert [f.step_id for f in outcome.flags] == ["good"]
    assert outcome.replies == []


def test_a_flag_is_stored_with_its_step(sqlite_engine):
    """On the real store, the flag row holds the step the message answered."""
    person = Person(sqlite_engine)
    person.send("DEMO")
    person.send("yes")
    person.send("1")
    person.send("2")
    person.send("my dad hits me")
    with sqlite_engine.store.database.engine.connect() as conn:
        steps = list(conn.scalars(select(SafeguardingFlag.step)))
    assert steps == ["good"]


# -- the less common words ---------------------------------------------------------------


def test_pass_skips_the_question():
    outcome, state = _turn("pass", step="good")
    assert state.step == "not_good" and outcome.answers == []
    assert _question(outcome) == "not_good"


def test_next_question_skips_the_question():
    outcome, state = _turn("Next question", step="topic")
    assert state.step == "another"
    assert _question(outcome) == "another"


def test_undo_goes_back(sqlite_engine):
    person = Person(sqlite_engine)
    person.send("DEMO")
    person.send("yes")
    person.send("1")
    replies = person.send("undo")
    assert [m.purpose for m in replies] == ["reask", "earlier", "flow"]
    assert replies[-1].step_id == "topic"


def test_option_3_picks_the_third_choice():
    outcome, state = _turn("option 3", step="topic")
    assert outcome.chosen.key == "health" and outcome.chosen.number == 3
    assert state.topic == "health" and state.step == "feeling"


def test_six_is_not_a_choice_of_five():
    """'six' is a number word, but the topic list has five choices: asked again."""
    outcome, state = _turn("six", step="topic")
    assert outcome.chosen is None and state.step == "topic"
    assert [m.purpose for m in outcome.replies] == ["reask", "flow"]
    assert "1 to 5" in outcome.replies[0].text


def test_five_as_a_word_picks_the_fifth_choice():
    outcome, state = _turn("five", step="topic")
    assert outcome.chosen.key == "more_topics"
    assert state.step == "topic_more"


# -- HELP in the check-in's own words ---------------------------------------------------


def test_help_in_four_cornerstones_uses_its_own_words():
    """four_cornerstones asks what is going well: its HELP says so, then how to skip and stop."""
    outcome, _ = _turn("help", "welcome_well", ref=CORNER)
    help_text = outcome.replies[0].text
    assert help_text == (
        "Voicebox asks what is going well and what could be better. "
        "Send SKIP to skip a question, or STOP to stop. "
        "To talk to a person, ask someone who runs your group."
    )
    assert outcome.replies[0].purpose == "help"
    assert _question(outcome) == "welcome_well"


def test_help_on_buttons_says_press_in_the_flows_words():
    """On the web, the same flow's HELP says press Skip, never send SKIP."""
    outcome, _ = _turn("help", "welcome_well", ref=CORNER, buttons=True)
    assert outcome.replies[0].text.startswith("Voicebox asks what is going well")
    assert "Press Skip to skip a question, or Stop to stop." in outcome.replies[0].text
    assert "SKIP" not in outcome.replies[0].text


def test_help_in_a_flow_with_no_help_line_uses_the_general_words():
    """tops_and_pants has no `help:`: HELP is the general reply, on each kind of channel."""
    outcome, _ = _turn("help", "topic")
    assert outcome.replies[0].text == replies.HELP
    outcome, _ = _turn("help", "topic", buttons=True)
    assert outcome.replies[0].text == replies.HELP_BUTTONS


def test_help_before_any_checkin_is_the_general_reply():
    """No check-in yet: the general HELP, whatever flows say."""
    outcome, _ = _turn("help", None)
    assert [m.text for m in outcome.replies] == [replies.HELP]


def test_digits_in_other_forms_at_a_cards_question():
    """ "¹", "①" and Arabic-Indic digits are numbers, as for one choice; "𐩀" is words."""
    pics = ConsultationRef(code="PICS", flow_id="tops_and_pants_pictures", flow_version=1)
    for text, keys in [
        ("\u00b9", ["kind_people"]),
        ("\u2460 \u00b3", ["kind_people", "listened_to"]),
        ("\u0661 3", ["kind_people", "listened_to"]),
    ]:
        outcome, _ = _turn(text, "good", ref=pics)
        assert [row.answer_key for row in outcome.answers] == keys, text
    # A Kharosthi digit: a digit to Python, but no number; kept as the person's words.
    outcome, _ = _turn("\U00010a40", "good", ref=pics)
    assert [row.answer for row in outcome.answers] == ["\U00010a40"]
    assert _question(outcome) == "not_good"


def test_a_number_thousands_of_digits_long_at_a_cards_question_is_a_number_that_does_not_fit():
    """Before: 4,301 digits raised ValueError (Python's limit on int()), so no reply at all."""
    pics = ConsultationRef(code="PICS", flow_id="tops_and_pants_pictures", flow_version=1)
    too_big, _ = _turn("99", "good", ref=pics)
    for text in ["0" * 4301, "1 " + "7" * 5000, "1234"]:
        outcome, _ = _turn(text, "good", ref=pics)
        assert [m.text for m in outcome.replies] == [m.text for m in too_big.replies], text
        assert outcome.answers == [] and _question(outcome) == "good"


# -- START after STOP: welcome back ------------------------------------------------------


def _said(outcome) -> list[tuple[str, str]]:
    return [(m.text, m.purpose) for m in outcome.replies]


def test_start_after_stop_with_no_checkin_says_how_to_begin():
    """START after STOP, before any check-in: one welcome, naming the code, nothing asked."""
    outcome, _ = _turn("START", None, opted_out=True)
    assert _said(outcome) == [(replies.WELCOME_BACK_NOTHING, "start")]
    assert outcome.opted_out is False


def test_start_after_stop_at_a_finished_checkin_asks_nothing_again():
    """START after STOP, the check-in already finished: the same welcome, no old question."""
    outcome, _ = _turn("START", "good", opted_out=True, ended=True)
    assert _said(outcome) == [(replies.WELCOME_BACK_NOTHING, "start")]


def test_start_after_stop_part_way_asks_the_question_again_in_the_channels_words():
    """START after STOP mid check-in: welcome back, then the question, worded per channel."""
    on_web, _ = _turn("START", "good", opted_out=True, buttons=True)
    by_sms, _ = _turn("START", "good", opted_out=True, buttons=False)
    question = "What is good about this part of your life?"
    assert _said(on_web) == [(replies.WELCOME_BACK, "start"), (question, "flow")]
    assert _said(by_sms) == [
        (replies.WELCOME_BACK, "start"),
        (f"{question} Type your answer, or send SKIP.", "flow"),
    ]
    assert _question(on_web) == _question(by_sms) == "good"


# -- re-asking at consent and after a worrying message ----------------------------------


def _reask_at(step: str, text: str, retries: int, **extra):
    state = ConversationState(consultation=DEMO, step=step, retries=retries)
    if step != "consent":
        state.consent = "given"
    context = TurnContext(Participant("Otter-1"), state, _find)
    return ENGINE.resume(context, InboundMessage("sms", "sms:+447700900001", text, **extra))


def test_consent_reasks_for_a_number_then_asks_for_yes_or_no_never_offering_skip():
    """Misses 1 and 2 at consent ask for a number; from the third, yes or no (SKIP cannot
    work before consent, so it is never offered there)."""
    count = 2  # yes and no
    for retries, hint in [
        (0, replies.REASK_CHOICE.format(count=count)),
        (1, replies.REASK_CHOICE.format(count=count)),
        (2, replies.CONSENT_FIRST),
        (5, replies.CONSENT_FIRST),
    ]:
        outcome = _reask_at("consent", "banana", retries)
        assert outcome.replies[0].text == hint, retries
        assert outcome.replies[0].purpose == "reask"
        assert _question(outcome) == "consent"


def test_the_same_misses_at_a_question_offer_skip_from_the_third():
    """Away from consent, the third miss offers SKIP as well."""
    assert _reask_at("topic", "banana", 1).replies[0].text != replies.OFFER_SKIP
    assert _reask_at("topic", "banana", 2).replies[0].text == replies.OFFER_SKIP


def test_worrying_numbers_at_cards_are_cared_for_then_asked_again_in_the_channels_words():
    """Numbers that pick no card but match a phrase: the caring reply, then the question
    with no "sorry" hint, and on the web without the text hint."""
    flow = parse_flow(CARDS_FLOW)
    engine = Engine([flow], phrases=PhraseList({"harm": ["99"]}))
    ref = ConsultationRef(code="CARDS", flow_id=flow.id, flow_version=flow.version)
    asked = {}
    for buttons in (True, False):
        state = ConversationState(consultation=ref, step="good", consent="given")
        context = TurnContext(Participant("Otter-1"), state, _find)
        inbound = InboundMessage("sms", "sms:+447700900001", "99", buttons=buttons)
        outcome = engine.resume(context, inbound)
        assert [m.purpose for m in outcome.replies] == ["safeguarding", "flow"]
        assert outcome.replies[-1].step_id == "good"
        asked[buttons] = outcome.replies[-1].text
    assert asked[True] == "What is good about school?"
    assert asked[False] == "What is good about school? Send the numbers, like 1 3."


# -- BACK and SKIP where they cannot go --------------------------------------------------


def test_back_at_the_first_question_says_so_and_asks_it_again_in_the_channels_words():
    """BACK with nothing before: a re-ask saying so, then the same question."""
    for buttons, question in [
        (True, "What is good about this part of your life?"),
        (False, "What is good about this part of your life? Type your answer, or send SKIP."),
    ]:
        outcome, state = _turn("back", "good", buttons=buttons)
        assert _said(outcome) == [
            (replies.on_channel(replies.NOTHING_TO_GO_BACK_TO, buttons), "reask"),
            (question, "flow"),
        ]
        assert state.step == "good"


def test_back_starts_the_earlier_question_with_no_misses_counted():
    """After BACK, the misses at the question left behind do not count against the one
    shown again: it takes three new misses before SKIP is offered there."""
    state = ConversationState(consultation=DEMO, step="topic", consent="given", retries=2)
    state.history.append(["feeling", "school", "school or college"])
    context = TurnContext(Participant("Otter-1"), state, _find)
    ENGINE.resume(context, InboundMessage("sms", "sms:+447700900001", "back"))
    assert (state.step, state.retries) == ("feeling", 0)


def test_skip_at_consent_asks_for_yes_or_no_in_the_channels_words():
    """SKIP cannot work before consent: say so (no STOP words on the web), ask again."""
    for buttons in (True, False):
        outcome, state = _turn("skip", "consent", buttons=buttons)
        assert [m.purpose for m in outcome.replies] == ["reask", "flow"]
        assert outcome.replies[0].text == replies.on_channel(replies.CONSENT_FIRST, buttons)
        assert state.step == "consent"
    assert replies.on_channel(replies.CONSENT_FIRST, True) != replies.CONSENT_FIRST


def test_an_empty_answer_at_a_text_question_is_asked_again_in_the_channels_words():
    """Nothing typed: sorry, then the question, with its text hint only off the web."""
    for buttons, question in [
        (True, "What is good about this part of your life?"),
        (False, "What is good about this part of your life? Type your answer, or send SKIP."),
    ]:
        outcome = _reask_at("good", "  ", 0, buttons=buttons)
        assert [m.purpose for m in outcome.replies] == ["reask", "flow"]
        assert outcome.replies[-1].text == question


@pytest.mark.parametrize("keys", [["gone"], []], ids=["a choice since removed", "no key"])
def test_skip_at_a_choice_whose_earlier_answer_no_longer_fits_moves_on(keys):
    """BACK to a choice answered with a key the flow no longer has (or none), then SKIP:
    the question is skipped as if never answered, with no error."""
    state = ConversationState(consultation=DEMO, step="topic", consent="given")
    state.given["topic|"] = {"seqs": [], "keys": keys, "text": ""}
    context = TurnContext(Participant("Otter-1"), state, _find)
    outcome = ENGINE.resume(context, InboundMessage("sms", "sms:+447700900001", "skip"))
    skipped, _ = _turn("skip", "topic")
    assert [m.text for m in outcome.replies] == [m.text for m in skipped.replies]
    assert state.step != "topic"


@pytest.mark.parametrize(
    "payload", ["more:kind_people", "good:kind_people,gone"], ids=["old step", "unknown card"]
)
def test_an_old_cards_button_says_so_and_asks_the_question_now_in_the_channels_words(payload):
    """A cards press for another question, or naming a card it does not have: nothing is
    kept; say the button was old, then ask the question now (no text hint on the web)."""
    flow = parse_flow(CARDS_FLOW)
    engine = Engine([flow])
    ref = ConsultationRef(code="CARDS", flow_id=flow.id, flow_version=flow.version)
    for buttons, question in [
        (True, "What is good about school?"),
        (False, "What is good about school? Send the numbers, like 1 3."),
    ]:
        state = ConversationState(consultation=ref, step="good", consent="given")
        context = TurnContext(Participant("Otter-1"), state, _find)
        inbound = InboundMessage("web", "web:abc", "", payload=payload, buttons=buttons)
        outcome = engine.resume(context, inbound)
        assert _said(outcome) == [(replies.OLD_BUTTON, "reask"), (question, "flow")]
        assert state.step == "good" and state.given == {}


# -- a check-in that cannot start ----------------------------------------------------------


def test_a_code_whose_flow_is_gone_says_closed_and_logs_it_for_the_admin(caplog):
    """A check-in naming a flow this engine does not have: the person is told it is closed,
    and the log names the code and the flow, so an admin can put it right."""
    gone = ConsultationRef(code="OLDFLOW", flow_id="retired_flow", flow_version=1)
    context = TurnContext(Participant("Otter-1"), None, {"OLDFLOW": gone}.get)
    with caplog.at_level("ERROR", logger="voicebox.bot.engine"):
        outcome = ENGINE.resume(context, InboundMessage("sms", "sms:+447700900001", "OLDFLOW"))
    assert _said(outcome) == [(replies.CLOSED, "notice")]
    assert [r.getMessage() for r in caplog.records] == [
        "consultation OLDFLOW names unknown flow retired_flow"
    ]


def test_a_closed_code_says_closed_and_logs_nothing(caplog):
    """A closed check-in is no fault: the same notice, and nothing in the error log."""
    closed = ConsultationRef(code="SHUT", flow_id="tops_and_pants", flow_version=2, open=False)
    context = TurnContext(Participant("Otter-1"), None, {"SHUT": closed}.get)
    with caplog.at_level("ERROR", logger="voicebox.bot.engine"):
        outcome = ENGINE.resume(context, InboundMessage("sms", "sms:+447700900001", "SHUT"))
    assert _said(outcome) == [(replies.CLOSED, "notice")]
    assert caplog.records == []


HINTS_FLOW = """
id: hints_test
version: 1
title: Hints
start: hello
steps:
  - id: hello
    say: Hello.
    hint: Send STOP to stop.
    next: ask
  - id: ask
    text: What is good?
    kind: text
    hint: Type your answer.
    next: bye
  - id: bye
    end: Thank you.
"""


def test_a_checkin_starts_in_the_channels_words():
    """The first messages of a check-in leave the text hints out on a channel with buttons."""
    flow = parse_flow(HINTS_FLOW)
    engine = Engine([flow])
    ref = ConsultationRef(code="HINTS", flow_id=flow.id, flow_version=flow.version)
    said = {}
    for buttons in (True, False):
        context = TurnContext(Participant("Otter-1"), None, {"HINTS": ref}.get)
        inbound = InboundMessage("sms", "sms:+447700900001", "HINTS", buttons=buttons)
        said[buttons] = [m.text for m in engine.resume(context, inbound).replies]
    assert said[True] == ["Hello.", "What is good?"]
    assert said[False] == ["Hello. Send STOP to stop.", "What is good? Type your answer."]


@pytest.mark.parametrize(
    ("length", "told"), [(MAX_ANSWER_CHARS, False), (MAX_ANSWER_CHARS + 1, True)]
)
def test_an_answer_longer_than_kept_is_cut_and_the_person_told(length, told):
    """Up to the limit an answer is kept whole, silently; one letter more is cut to the
    limit, with a notice saying so."""
    state = ConversationState(consultation=DEMO, step="good", consent="given")
    context = TurnContext(Participant("Otter-1"), state, _find)
    outcome = ENGINE.resume(context, InboundMessage("sms", "sms:+1", "a" * length))
    notices = [m for m in outcome.replies if m.purpose == "notice"]
    limit = f"{MAX_ANSWER_CHARS:,}"
    assert notices == (
        [OutboundMessage(replies.LONG_ANSWER.format(limit=limit), purpose="notice")] if told else []
    )
    assert [len(a.answer) for a in outcome.answers] == [MAX_ANSWER_CHARS if told else length]


PICK_FLOW = """
id: pick_test
version: 1
title: Pick
start: pick
steps:
  - id: pick
    choice: Which do you like?
    hint: Send 1 or 2.
    next: more
    choices:
      - {key: tea, words: Tea, symbol: {emoji: "🍵", picture: tea}}
      - {key: juice, words: Juice, symbol: {emoji: "🧃", picture: juice}}
  - id: more
    cards: What else?
    kind: top
    next: bye
    choices:
      - {key: cake, words: Cake, symbol: {emoji: "🍰", picture: cake}}
      - {key: fruit, words: Fruit, symbol: {emoji: "🍎", picture: fruit}}
      - {key: nuts, words: Nuts, symbol: {emoji: "🥜", picture: nuts}}
  - id: bye
    end: Thank you.
"""


def _pick(step: str = "pick", **extra):
    flow = parse_flow(PICK_FLOW)
    engine = Engine([flow])
    ref = ConsultationRef(code="PICK", flow_id=flow.id, flow_version=flow.version)
    state = ConversationState(consultation=ref, step=step, consent="given", **extra)
    return engine, TurnContext(Participant("Otter-1"), state, {"PICK": ref}.get), state


def test_an_old_choice_button_says_so_and_asks_the_question_now_in_the_channels_words():
    """A button from another question: nothing kept; the question now, hint only off the web."""
    for buttons, question in [
        (True, "Which do you like?"),
        (False, "Which do you like? Send 1 or 2."),
    ]:
        engine, context, state = _pick()
        inbound = InboundMessage("web", "web:a", "", payload="gone:tea", buttons=buttons)
        outcome = engine.resume(context, inbound)
        assert _said(outcome) == [(replies.OLD_BUTTON, "reask"), (question, "flow")]
        assert outcome.answers == [] and state.step == "pick"


@pytest.mark.parametrize("payload", ["pick:coffee", "pick:tea:extra", "pick:"])
def test_a_button_for_this_question_naming_no_choice_of_it_is_asked_again(payload):
    """A press naming a choice this question does not have is not an old button: sorry,
    then the question again; nothing is kept."""
    engine, context, state = _pick()
    outcome = engine.resume(context, InboundMessage("web", "web:a", "", payload=payload))
    assert [m.purpose for m in outcome.replies] == ["reask", "flow"]
    assert outcome.replies[0].text != replies.OLD_BUTTON and outcome.answers == []


def test_a_choice_with_no_kind_is_kept_as_kind_choice_and_rows_are_numbered_in_order():
    """A plain choice lands in the export as kind "choice"; every row gets the next number,
    several cards included."""
    engine, context, state = _pick()
    first = engine.resume(context, InboundMessage("sms", "sms:+1", "1"))
    second = engine.resume(context, InboundMessage("sms", "sms:+1", "1 3"))
    rows = [(a.seq, a.answer_key, a.kind) for a in (*first.answers, *second.answers)]
    assert rows == [(0, "tea", "choice"), (1, "cake", "top"), (2, "nuts", "top")]
    assert state.seq == 3


def test_back_to_a_choice_shows_just_the_choice_taken():
    """BACK to a choice question says the choice's own words as the earlier answer."""
    engine, context, state = _pick()
    engine.resume(context, InboundMessage("sms", "sms:+1", "2"))
    outcome = engine.resume(context, InboundMessage("sms", "sms:+1", "back"))
    assert replies.EARLIER.format(answer="Juice") in [m.text for m in outcome.replies]
    shown = engine.describe(state, opted_out=False, buttons=True).question
    assert shown is not None and shown.earlier == ("juice",) and shown.earlier_text == ""


def test_earlier_answers_kept_for_back_are_bounded_oldest_dropped_first():
    """At most MAX_GIVEN earlier answers are remembered for BACK: at the bound nothing is
    dropped; past it, the oldest goes (its rows stay in the export)."""
    for already, dropped in [(MAX_GIVEN - 1, False), (MAX_GIVEN, True)]:
        given = {f"old{n}|": {"seqs": [], "keys": [], "text": "x"} for n in range(already)}
        engine, context, state = _pick(given=given)
        engine.resume(context, InboundMessage("sms", "sms:+1", "1"))
        assert "pick|" in state.given
        assert len(state.given) == min(already + 1, MAX_GIVEN)
        assert ("old0|" not in state.given) is dropped
        assert "old1|" in state.given


def test_a_checkin_closed_mid_way_says_so_and_ends():
    """A person part-way through a check-in that has since closed: one notice, and it ends."""
    shut = ConsultationRef(code="DEMO", flow_id="tops_and_pants", flow_version=2, open=False)
    state = ConversationState(consultation=shut, step="good", consent="given")
    context = TurnContext(Participant("Otter-1"), state, _find)
    outcome = ENGINE.resume(context, InboundMessage("sms", "sms:+1", "It is fine"))
    assert _said(outcome) == [(replies.CLOSED, "notice")]
    assert state.ended is True and outcome.answers == []


def test_a_step_gone_from_a_changed_flow_starts_the_checkin_again_and_logs_it(caplog):
    """Saved at a step the flow no longer has: the check-in starts again from its first
    step (said, not silent), and the log names the step and the flow."""
    state = ConversationState(consultation=DEMO, step="removed_step", consent="given")
    context = TurnContext(Participant("Otter-1"), state, _find)
    with caplog.at_level("WARNING", logger="voicebox.bot.engine"):
        outcome = ENGINE.resume(context, InboundMessage("sms", "sms:+1", "hello"))
    fresh, _ = _turn("DEMO", None)
    assert [m.text for m in outcome.replies] == [m.text for m in fresh.replies]
    assert outcome.conversation is state and state.step == "consent"
    assert [r.getMessage() for r in caplog.records] == [
        "step removed_step is not in flow tops_and_pants; starting again"
    ]


SAYS_FLOW = """
id: says_test
version: 1
title: Says
start: one
steps:
  - id: one
    say: One.
    next: two
  - id: two
    say: Two.
    hint: Nothing to answer.
    next: bye
  - id: bye
    end: Bye.
"""


def test_a_flow_of_say_steps_runs_through_to_its_end():
    """Say steps one after another, to the end step, in one turn; the hint only off the web."""
    flow = parse_flow(SAYS_FLOW)
    engine = Engine([flow])
    ref = ConsultationRef(code="SAYS", flow_id=flow.id, flow_version=flow.version)
    for buttons, two in [(True, "Two."), (False, "Two. Nothing to answer.")]:
        context = TurnContext(Participant("Otter-1"), None, {"SAYS": ref}.get)
        outcome = engine.resume(context, InboundMessage("web", "web:a", "SAYS", buttons=buttons))
        assert [m.text for m in outcome.replies] == ["One.", two, "Bye."]
        assert outcome.conversation is not None and outcome.conversation.ended


def test_saved_at_a_step_gone_or_a_say_step_it_carries_on_in_the_channels_words():
    """A changed flow left a person at a missing step or at a say step: on the web the
    questions that follow leave the text hints out."""
    engine, context, state = _pick(step="gone")
    outcome = engine.resume(context, InboundMessage("web", "web:a", "hi", buttons=True))
    assert [m.text for m in outcome.replies] == ["Which do you like?"]
    said = ConversationState(consultation=DEMO, step="thanks", consent="given")
    context = TurnContext(Participant("Otter-1"), said, _find)
    on_web = ENGINE.resume(context, InboundMessage("web", "web:a", "hi", buttons=True))
    assert all("send" not in m.text.lower() for m in on_web.replies), on_web.replies


def test_the_end_message_names_its_step():
    """The closing words carry the end step's id and the "end" purpose (channels show them
    as the close of the check-in)."""
    flow = parse_flow(SAYS_FLOW)
    ref = ConsultationRef(code="SAYS", flow_id=flow.id, flow_version=flow.version)
    context = TurnContext(Participant("Otter-1"), None, {"SAYS": ref}.get)
    outcome = Engine([flow]).resume(context, InboundMessage("sms", "sms:+1", "SAYS"))
    last = outcome.replies[-1]
    assert (last.text, last.step_id, last.purpose) == ("Bye.", "bye", "end")


def test_help_before_any_checkin_is_worded_for_the_channel():
    """HELP with no check-in yet: the general help, in the channel's own words."""
    for buttons in (True, False):
        outcome, _ = _turn("help", None, buttons=buttons)
        assert _said(outcome) == [(replies.help_words(None, buttons), "help")]
    assert replies.help_words(None, True) != replies.help_words(None, False)


def test_start_while_not_stopped_asks_the_question_again_and_keeps_nothing():
    """START part-way through, never having stopped: the same question again, in the
    channel's words, with nothing kept as an answer."""
    for buttons, question in [
        (True, "What is good about this part of your life?"),
        (False, "What is good about this part of your life? Type your answer, or send SKIP."),
    ]:
        outcome, state = _turn("START", "good", buttons=buttons)
        assert _said(outcome) == [(question, "flow")]
        assert outcome.answers == [] and state.step == "good"


def test_a_providers_start_signal_with_an_answer_is_taken_as_the_answer():
    """A provider may mark a message as an opt-in (START) whose words answer the question:
    only the words START or UNSTOP mean start, so "1" still picks the first choice."""
    outcome, state = _turn("1", "topic", opt_out="start")
    plain, _ = _turn("1", "topic")
    assert (state.step, state.topic) == ("feeling", "school")
    assert _said(outcome) == _said(plain)


def test_moving_to_another_checkin_by_its_code_starts_it_in_the_channels_words():
    """Sending another check-in's code part-way: moved, and its first question worded for
    the channel (no text hint on the web)."""
    pick = parse_flow(PICK_FLOW)
    engine = Engine([*FLOWS.values(), pick])
    ref = ConsultationRef(code="PICK", flow_id=pick.id, flow_version=pick.version)
    for buttons, question in [
        (True, "Which do you like?"),
        (False, "Which do you like? Send 1 or 2."),
    ]:
        state = ConversationState(consultation=DEMO, step="good", consent="given")
        context = TurnContext(Participant("Otter-1"), state, {"PICK": ref, **REFS}.get)
        outcome = engine.resume(context, InboundMessage("web", "web:a", "PICK", buttons=buttons))
        assert _said(outcome) == [
            (replies.MOVED.format(code="PICK"), "notice"),
            (question, "flow"),
        ]


def test_a_button_press_is_never_read_as_a_code():
    """A press carries its own payload; words sent with it, even another check-in's code,
    do not move the person (only typed words can)."""
    outcome, state = _turn("CORNER", "topic", payload="topic:school")
    assert state.consultation == DEMO and (state.step, state.topic) == ("feeling", "school")
    assert replies.MOVED.format(code="CORNER") not in [m.text for m in outcome.replies]


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("a" * EARLIER_CHARS, "a" * EARLIER_CHARS),
        ("a" * (EARLIER_CHARS + 1), "a" * (EARLIER_CHARS - 3) + "..."),
    ],
)
def test_an_earlier_answer_is_said_back_whole_up_to_the_limit_then_shortened(typed, shown):
    """BACK says the earlier answer; a long one is cut to the limit, ending in "..."."""
    state = ConversationState(consultation=DEMO, step="not_good", consent="given")
    state.history.append(["good", None, None])
    state.given["good|"] = {"seqs": [0], "keys": [], "text": typed}
    context = TurnContext(Participant("Otter-1"), state, _find)
    outcome = ENGINE.resume(context, InboundMessage("sms", "sms:+1", "back"))
    assert replies.EARLIER.format(answer=shown) in [m.text for m in outcome.replies]


TOPIC_HINT_FLOW = PICK_FLOW.replace("id: pick_test", "id: topic_hint").replace(
    "    hint: Send 1 or 2.\n", "    hint: Think about {topic}.\n"
)


def test_a_hint_names_the_topic_being_talked_about():
    """A hint with {topic} in it names the part of life the questions are about."""
    flow = parse_flow(TOPIC_HINT_FLOW)
    engine = Engine([flow])
    ref = ConsultationRef(code="HINT", flow_id=flow.id, flow_version=flow.version)
    state = ConversationState(consultation=ref, step="pick", consent="given", about="school")
    question = engine.describe(state, opted_out=False).question
    assert question is not None and question.hint == "Think about school."


def test_a_providers_start_and_help_signals_count_whatever_the_words():
    """A provider's own START (after STOP) and HELP signals work like the words, even when
    the text is something else."""
    back, _ = _turn("ok", "good", opted_out=True, opt_out="start")
    assert back.opted_out is False and back.replies[0].text == replies.WELCOME_BACK
    helped, _ = _turn("hmm", "good", opt_out="help")
    assert helped.replies[0].purpose == "help" and helped.answers == []


def test_start_after_stop_on_a_checkins_own_page_begins_it_again():
    """STOP, then START on /c/DEMO with nothing part-way: welcome, and DEMO starts again."""
    outcome, _ = _turn("START", None, opted_out=True, named=DEMO, consultation="DEMO")
    fresh, _ = _turn("DEMO", None)
    assert outcome.opted_out is False and outcome.started
    assert [m.text for m in outcome.replies] == [m.text for m in fresh.replies]
    assert outcome.conversation is not None and outcome.conversation.consultation == DEMO
