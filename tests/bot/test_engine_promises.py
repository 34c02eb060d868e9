"""Issue 9's promises at the engine: BACK keeps answers, stopping is never argued with,
codes move people, saying no keeps nothing, and cards take answers in pictures."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.bot.conftest import SECRET, Person
from voicebox.bot import replies
from voicebox.bot.engine import Engine
from voicebox.flows import load_builtin_flows
from voicebox.flows.loader import parse_flow
from voicebox.storage.consultations import close_consultation, create_consultation, ensure_demo
from voicebox.storage.export import export_rows
from voicebox.storage.models import Conversation, SafeguardingFlag, TranscriptMessage
from voicebox.storage.models import Participant as ParticipantRow
from voicebox.storage.store import SqlStore

CARDS_FLOW = """
id: cards_test
version: 1
title: Cards
start: consent
steps:
  - id: consent
    consent: People who run this group read your answers.
    choices:
      - {key: "yes", words: "Yes", symbol: {emoji: "✅", picture: "yes"}, next: good}
      - {key: "no", words: "No thanks", symbol: {emoji: "❌", picture: "no"}, next: bye}
  - id: good
    cards: What is good about school?
    kind: top
    hint: Send the numbers, like 1 3.
    next: more
    choices:
      - {key: kind_people, words: People are kind, symbol: {emoji: "🤗", picture: kind}}
      - {key: safe, words: I feel safe, symbol: {emoji: "🛡", picture: safe}}
      - {key: quiet, words: I can have quiet time, symbol: {emoji: "🤫", picture: quiet}}
  - id: more
    text: Anything else?
    kind: text
    next: bye
  - id: bye
    end: Thank you.
"""


def _count(db, column) -> int:
    with db.engine.connect() as conn:
        return int(conn.scalar(select(func.count(column))) or 0)


def _rows(person: Person, code: str = "DEMO") -> list[tuple[str, str, str]]:
    return [
        (r["question_id"], r["answer"], r["answer_key"])
        for r in export_rows(person.engine.store.database, code)
    ]


@pytest.fixture
def two_groups(sqlite_database):
    """DEMO, YOUTH2 (both TOPS and PANTS), FOUR (four_cornerstones) and PICS (cards)."""
    flows = dict(load_builtin_flows())
    flows["cards_test"] = parse_flow(CARDS_FLOW)
    ensure_demo(sqlite_database, flows)
    tops = flows["tops_and_pants"]
    create_consultation(sqlite_database, "YOUTH2", tops.id, tops.version, "Youth group")
    corner = flows["four_cornerstones"]
    create_consultation(sqlite_database, "FOUR", corner.id, corner.version, "Four")
    create_consultation(sqlite_database, "PICS", "cards_test", 1, "Pictures")
    return Engine(flows.values(), SqlStore(sqlite_database, SECRET))


@pytest.fixture
def texter(two_groups):
    return Person(two_groups)


# -- 1. BACK walks the real history and keeps answers ---------------------------------


def _school_then_home(person: Person) -> None:
    """Answer all of school, say yes to another part, then choose Home."""
    for text in ("DEMO", "1", "1", "2", "kind teachers", "loud corridors", "quiet rooms"):
        person.say(text)
    person.say("1")  # yes, another part
    person.say("2")  # home


def test_back_from_a_new_topic_returns_to_the_topic_list_and_loses_nothing(texter):
    """The issue's case: BACK after choosing Home goes to the topic list, not to 'better'."""
    _school_then_home(texter)
    answer = texter.say("back")
    assert answer[0] == replies.GOING_BACK
    assert answer[1] == replies.EARLIER.format(answer="Home")
    assert answer[2].startswith("Which part of your life")
    answer = texter.say("back")
    assert answer[-1].startswith("Thank you") or "another part" in answer[-1]
    answer = texter.say("back")  # to 'What would make school or college better?'
    assert answer[1] == replies.EARLIER.format(answer="quiet rooms")
    assert answer[2].startswith("What would make school or college better?")
    kept = [row[1] for row in _rows(texter)]
    assert kept == ["Good", "kind teachers", "loud corridors", "quiet rooms"]


def test_skip_after_back_keeps_the_answer_and_goes_the_same_way(texter):
    """Going back and pressing SKIP all the way keeps every answer and the chosen topic."""
    _school_then_home(texter)
    for _ in range(4):
        texter.say("back")
    for _ in range(3):  # better, another, topic: each kept as it was
        texter.say("skip")
    answer = texter.say("skip")  # the topic: Home again, so the feeling about home is next
    assert answer[-1].startswith("How do you feel about home?")
    kept = [row[1] for row in _rows(texter)]
    assert kept == ["Good", "kind teachers", "loud corridors", "quiet rooms"]


def test_a_new_answer_after_back_replaces_only_that_answer(texter):
    """A changed answer replaces the earlier one; every other answer stays."""
    _school_then_home(texter)
    for _ in range(3):
        texter.say("back")
    texter.say("a garden")
    assert [row[1] for row in _rows(texter)] == [
        "Good",
        "kind teachers",
        "loud corridors",
        "a garden",
    ]


def test_back_never_returns_to_consent(texter):
    """Consent is not a question to change with BACK: the first question says so."""
    for text in ("DEMO", "1"):
        texter.say(text)
    assert texter.say("back")[0] == replies.NOTHING_TO_GO_BACK_TO


def test_the_web_says_press_skip_when_showing_an_earlier_answer(two_groups):
    """Channels with buttons never ask anyone to send SKIP."""
    web = Person(two_groups, "web:promises-1", channel="web")
    for text in ("", "1", "2", "4"):
        web.say(text, consultation="DEMO", buttons=True)
    said = web.say("back", consultation="DEMO", buttons=True)
    assert said[1] == replies.EARLIER_BUTTONS.format(answer="Not good")
    assert not any("SKIP" in line or "STOP" in line for line in said)


# -- 2. Calls for help ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "i feel like dying",
        "nobody would care if i died",
        "im being hurt",
        "I'm going to end it",
        "i hate my life",
    ],
)
def test_the_missed_calls_for_help_are_heard(texter, text):
    """Each message the issue found missed gets the caring reply, a flag, then the question."""
    for step in ("DEMO", "1", "1", "2"):
        texter.say(step)
    answer = texter.say(text)
    assert answer[0] == replies.SAFEGUARDING  # their answer is kept, and the check-in goes on
    assert answer[-1].startswith("What is not good about school or college?")
    assert _count(texter.engine.store.database, SafeguardingFlag.id) == 1


def test_a_call_for_help_after_stop_is_flagged_and_kept_but_nothing_is_sent(texter):
    """After STOP nothing is said, but 'my dad hits me' reaches a person."""
    for step in ("DEMO", "1", "STOP"):
        texter.say(step)
    assert texter.say("my dad hits me") == []
    db = texter.engine.store.database
    assert _count(db, SafeguardingFlag.id) == 1
    with db.engine.connect() as conn:
        kept = conn.scalars(select(TranscriptMessage.text)).all()
        flagged = conn.scalar(select(Conversation.flagged))
    assert "my dad hits me" in kept and flagged


# -- 3. Stopping is never argued with ----------------------------------------------------


@pytest.mark.parametrize(
    "text", ["Stop please", "I want to stop", "please stop messaging me", "no more", "STOP."]
)
def test_a_clear_wish_to_stop_stops(texter, text):
    """A short message that clearly asks to stop gets the one confirmation, then silence."""
    for step in ("DEMO", "1", "1"):
        texter.say(step)
    assert texter.say(text) == [replies.STOPPED]
    assert texter.say("hello") == []


@pytest.mark.parametrize("text", ["make it stop", "he won't leave me alone"])
def test_a_call_for_help_that_sounds_like_stop_is_cared_for_not_taken_as_leaving(texter, text):
    """The safeguarding check comes first: these are calls for help, not goodbyes."""
    for step in ("DEMO", "1", "1"):
        texter.say(step)
    answer = texter.say(text)
    assert answer[0] == replies.SAFEGUARDING and replies.STOPPED not in answer
    assert texter.say("3")[0].startswith("What is good about")  # still in the check-in


def test_unmatched_input_always_repeats_the_question(texter):
    """However many misses, every re-ask ends with the question and its choices."""
    for step in ("DEMO", "1"):
        texter.say(step)
    question = texter.say("banana")[-1]
    for _ in range(6):
        answer = texter.say("banana")
        assert answer[-1] == question and len(answer) == 2
        assert not answer[0].startswith("That is OK")


# -- 4. Codes -------------------------------------------------------------------------


def test_another_groups_code_at_a_text_question_moves_the_person(texter):
    """'YOUTH2' mid check-in is never stored as an answer: it moves them, kindly."""
    for step in ("DEMO", "1", "1", "1", "kind teachers"):
        texter.say(step)
    answer = texter.say("YOUTH2")
    assert answer[0] == replies.MOVED.format(code="YOUTH2")
    assert answer[-1].startswith("Hi, I am Voicebox") or "1 Yes" in answer[-1]
    assert [row[1] for row in _rows(texter)] == ["Very good", "kind teachers"]  # kept
    assert _rows(texter, "YOUTH2") == []


def test_a_code_in_capitals_at_a_choice_moves_but_the_same_word_in_lower_case_answers(texter):
    """The rule: 'FOUR' (as a code is written) moves; 'four' answers option 4."""
    for step in ("DEMO", "1"):
        texter.say(step)
    assert texter.say("four")[-1].startswith("How do you feel about getting around?")
    texter.say("back")
    answer = texter.say("FOUR")
    assert answer[0] == replies.MOVED.format(code="FOUR")


def test_join_code_always_moves_and_the_own_code_says_where_you_are(texter):
    """'join YOUTH2' moves from anywhere; 'DEMO' while in DEMO shows the question again."""
    for step in ("DEMO", "1"):
        texter.say(step)
    answer = texter.say("DEMO")
    assert answer[0] == replies.ALREADY_HERE and answer[1].startswith("Which part")
    assert texter.say("join youth2")[0] == replies.MOVED.format(code="YOUTH2")


def test_a_closed_or_unknown_code_is_just_an_answer(texter, two_groups):
    """Only an open check-in's code moves anyone; anything else is read as usual."""
    close_consultation(two_groups.store.database, "YOUTH2")
    for step in ("DEMO", "1", "1", "1"):
        texter.say(step)
    texter.say("YOUTH2")
    assert _rows(texter)[-1][1] == "YOUTH2"


# -- 5. Saying no keeps nothing ------------------------------------------------------------


def test_no_thanks_keeps_no_address_no_person_and_no_check_in(texter):
    """After DEMO then 2: no participant row with the phone number, no conversation."""
    texter.say("DEMO")
    assert texter.say("2")[0].startswith("That is OK")
    db = texter.engine.store.database
    assert _count(db, ParticipantRow.id) == 0
    assert _count(db, Conversation.id) == 0


def test_a_message_that_starts_nothing_keeps_nobody(texter):
    """'hello' with no code: the person hears how to start, and no row is made."""
    assert texter.say("hello") == [replies.JOIN_HINT]
    assert _count(texter.engine.store.database, ParticipantRow.id) == 0


# -- 6. Answers in pictures --------------------------------------------------------------


def test_cards_by_numbers_keep_one_row_per_card(texter):
    """By SMS, '1 3' picks two cards: two export rows of the step's kind."""
    for step in ("PICS", "1"):
        texter.say(step)
    assert texter.say("1 3")[0] == "Anything else?"
    assert _rows(texter, "PICS") == [
        ("good", "People are kind", "kind_people"),
        ("good", "I can have quiet time", "quiet"),
    ]
    kinds = {r["kind"] for r in export_rows(texter.engine.store.database, "PICS")}
    assert kinds == {"top"}


@pytest.mark.parametrize("text", ["1, 3", "1 and 3", "3 1", "one three", "1,3,3"])
def test_cards_numbers_in_any_form(texter, text):
    """Commas, 'and', word numbers and repeats all read the same way."""
    for step in ("PICS", "1"):
        texter.say(step)
    texter.say(text)
    assert {row[2] for row in _rows(texter, "PICS")} == {"kind_people", "quiet"}


def test_cards_words_are_kept_and_bad_numbers_are_asked_again(texter):
    """Words are kept as 'tell us more'; a number with no card is asked again."""
    for step in ("PICS", "1"):
        texter.say(step)
    answer = texter.say("1 9")
    assert answer[0] == replies.REASK_CARDS
    assert answer[1].startswith("What is good about school? Send the numbers, like 1 3.\n1 People")
    texter.say("the lunches are nice")
    assert _rows(texter, "PICS") == [("good", "the lunches are nice", "")]


def test_cards_by_buttons_with_words_and_back_shows_them(two_groups):
    """The web sends the keys and the words together; BACK shows both as the earlier answer."""
    web = Person(two_groups, "web:cards-1", channel="web")
    web.say("", consultation="PICS", buttons=True)
    web.say("1", consultation="PICS", buttons=True)
    result = two_groups.handle(
        web.inbound("my friends", consultation="PICS", buttons=True, payload="good:safe,quiet")
    )
    assert [card.key for card in result.chosen_cards] == ["safe", "quiet"]
    back = two_groups.handle(web.inbound("back", consultation="PICS", buttons=True))
    assert back.question is not None and back.question.kind == "cards"
    assert back.question.earlier == ("safe", "quiet")
    assert back.question.earlier_text == "my friends"
    assert back.replies[1].text == replies.EARLIER_BUTTONS.format(
        answer="I feel safe, I can have quiet time, my friends"
    )


def test_an_old_or_wrong_cards_button_changes_nothing(texter):
    """A payload for another step, or a card that does not exist, gets the question again."""
    for step in ("PICS", "1"):
        texter.say(step)
    assert texter.say(payload="good:nope")[0] == replies.OLD_BUTTON
    assert texter.say(payload="consent:yes")[0] == replies.OLD_BUTTON
    assert _rows(texter, "PICS") == []


# -- 7. Something else ---------------------------------------------------------------------


def test_something_else_uses_the_typed_topic_in_questions_and_the_export(texter):
    """The words typed for 'Something else' name the topic from then on."""
    for step in ("DEMO", "1", "5", "3"):  # agree, more choices, something else
        texter.say(step)
    assert texter.say("swimming club")[0].startswith("How do you feel about swimming club?")
    texter.say("1")
    assert texter.say("the coach")[0].startswith("What is not good about swimming club?")
    rows = list(export_rows(texter.engine.store.database, "DEMO"))
    assert {row["topic"] for row in rows} == {"swimming club"}
    assert [row["question"] for row in rows][-1] == "What is good about swimming club?"


@pytest.mark.parametrize(
    ("typed", "asked_about"),
    [
        ("my job", "your job"),
        ("Me and my brother", "you and your brother"),
        ("where I live", "where you live"),
        ("our flat", "your flat"),
        ("where I\u2019m happy", "where you're happy"),  # a phone's curly apostrophe
        ("where im happy", "where you're happy"),
        ("swimming", "swimming"),
        ("my nan and grandad's", "your nan and grandad's"),  # 22 letters read back: kept
        ("my nan and grandad's!!", "this part of your life"),  # 24: too long for a question
        ("a b c d e f", "a b c d e f"),  # six words: kept
        ("a b c d e f g", "this part of your life"),  # seven: too many
    ],
)
def test_a_typed_topic_is_read_back_in_our_voice(texter, typed, asked_about):
    """The topic typed for 'Something else' is said back as "your", and kept as typed."""
    for step in ("DEMO", "1", "5", "3"):
        texter.say(step)
    assert texter.say(typed)[0].startswith(f"How do you feel about {asked_about}?")
    texter.say("1")
    rows = list(export_rows(texter.engine.store.database, "DEMO"))
    assert rows[0]["topic"] == typed


def test_a_typed_topic_survives_back_and_skip_and_can_be_changed(texter):
    """BACK to the typed topic shows it as typed; SKIP keeps it (said back as "your");
    a new one replaces it in the questions after."""
    for step in ("DEMO", "1", "5", "3"):
        texter.say(step)
    assert texter.say("my job")[0].startswith("How do you feel about your job?")
    answer = texter.say("back")
    assert replies.EARLIER.format(answer="my job") in answer
    assert texter.say("skip")[0].startswith("How do you feel about your job?")
    texter.say("back")
    assert texter.say("my nan's house")[0].startswith("How do you feel about your nan's house?")
    texter.say("2")
    rows = list(export_rows(texter.engine.store.database, "DEMO"))
    assert [(row["question"], row["topic"]) for row in rows] == [
        ("How do you feel about your nan's house?", "my nan's house")
    ]


def test_a_long_typed_topic_is_kept_whole_but_asked_about_in_short(texter):
    """A long description is kept in the export; questions use a short stand-in."""
    for step in ("DEMO", "1", "5", "3"):
        texter.say(step)
    long_topic = "the after school club on tuesdays where we do cooking and games"
    answer = texter.say(long_topic)
    assert answer[0].startswith("How do you feel about this part of your life?")
    texter.say("1")
    rows = list(export_rows(texter.engine.store.database, "DEMO"))
    assert rows[0]["topic"] == long_topic
