"""The engine's promises beyond the golden transcripts: re-asks, HELP, STOP words, odd input."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.bot.conftest import Person
from voicebox.bot import replies
from voicebox.bot.engine import MAX_ANSWER_CHARS
from voicebox.storage.consultations import close_consultation
from voicebox.storage.export import export_rows
from voicebox.storage.models import Participant


def _to_good(person: Person) -> None:
    """Join DEMO, agree, pick home, feel OK: now at 'What is good about home?'."""
    for text in ("DEMO", "1", "2", "3"):
        person.say(text)


def test_unmatched_input_reasks_twice_then_offers_skip(person):
    """Two kind re-asks that say what to send, then SKIP is offered."""
    for text in ("DEMO", "1"):
        person.say(text)
    first = person.say("banana")
    second = person.say("banana")
    third = person.say("banana")
    assert first[0] == second[0] == replies.REASK_CHOICE.format(count=5)
    assert first[1].startswith("Which part of your life")
    assert third[0] == replies.OFFER_SKIP  # and the question again, never only a hint
    assert third[1] == first[1]
    assert person.say("skip")[0].startswith("Do you want to talk about another")


def test_a_good_answer_resets_the_reasks(person):
    """After a real answer, the next question starts with a fresh count of re-asks."""
    for text in ("DEMO", "1", "banana", "banana", "2"):
        person.say(text)
    assert person.say("banana")[0] == replies.REASK_CHOICE.format(count=5)


def test_consent_cannot_be_skipped(person):
    """SKIP at the consent question asks for yes or no; nothing is asked before consent."""
    person.say("DEMO")
    answer = person.say("skip")
    assert answer[0] == replies.CONSENT_FIRST
    assert answer[1].startswith("The people who run this group read your answers.")
    for _ in range(4):  # never offers SKIP, however often
        assert person.say("what")[-1].startswith("The people who run this group")


@pytest.mark.parametrize("word", ["HELP", "help", " Help! ", "info"])
def test_help_works_anywhere_and_asks_again(person, word):
    """HELP says what this is, how to stop and how to reach a person; then the question."""
    _to_good(person)
    answer = person.say(word)
    assert "STOP" in answer[0] and "SKIP" in answer[0] and "person" in answer[0]
    assert answer[1] == "What is good about home? Type your answer, or send SKIP."


def test_help_before_joining(person):
    """HELP from someone who has not joined still explains things."""
    assert person.say("help") == [replies.HELP]


@pytest.mark.parametrize("word", ["STOP", "stopall", "Unsubscribe", "CANCEL", "end", "Quit"])
def test_every_stop_word_stops(person, word):
    """Each STOP word: one confirmation, then nothing at all until START."""
    _to_good(person)
    assert person.say(word) == [replies.STOPPED]
    for text in ("hello", "HELP", "DEMO", "1", "skip"):
        assert person.say(text) == []


@pytest.mark.parametrize("word", ["START", "unstop", "yes", "Yes"])
def test_start_words_bring_them_back_where_they_were(person, word):
    """START, UNSTOP or YES after STOP carry on at the question they left."""
    _to_good(person)
    person.say("stop")
    assert person.say(word) == [
        replies.WELCOME_BACK,
        "What is good about home? Type your answer, or send SKIP.",
    ]


def test_provider_opt_out_signal_counts_as_stop(person):
    """A channel's own STOP signal (e.g. a carrier keyword) works like the word."""
    _to_good(person)
    assert person.say("please leave me", opt_out="stop") == [replies.STOPPED]
    assert person.say("anything") == []


def test_stop_words_inside_a_sentence_are_answers(person):
    """'stop' in a longer message is an answer, not STOP (only alone does it count)."""
    _to_good(person)
    assert person.say("the bus does not stop near home")[0].startswith("What is not good")
    rows = list(export_rows(person.engine.store.database, "DEMO"))
    assert rows[-1]["answer"] == "the bus does not stop near home"


def test_long_answers_are_cut_and_the_person_is_told(person):
    """10,000 characters: the first 2,000 are kept and the person hears so."""
    _to_good(person)
    answer = person.say("x" * 10_000)
    assert answer[0] == replies.LONG_ANSWER.format(limit=f"{MAX_ANSWER_CHARS:,}")
    assert answer[1].startswith("What is not good about home?")
    rows = list(export_rows(person.engine.store.database, "DEMO"))
    assert rows[-1]["answer"] == "x" * MAX_ANSWER_CHARS


def test_a_picture_with_no_words_gets_a_kind_reply(person):
    """Media with no text: told we read words only, and asked again."""
    _to_good(person)
    answer = person.say("", has_media=True)
    assert answer[0] == replies.MEDIA_ONLY
    assert answer[1].startswith("What is good about home?")


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_messages_get_a_reply(person, text):
    """Empty bodies, before joining and mid check-in, always get a short reply."""
    assert person.say(text) == [replies.JOIN_HINT]
    _to_good(person)
    assert person.say(text)[0] == replies.REASK_TEXT


def test_buttons_answer_and_old_buttons_are_safe(person):
    """A button press answers by payload; a button from an earlier question re-asks."""
    person.say("DEMO")
    assert person.say(payload="consent:yes")[1].startswith("Which part of your life")
    health = "How do you feel about your health care?"
    assert person.say(payload="topic:health")[0].startswith(health)
    old = person.say(payload="topic:home")
    assert old[0] == replies.OLD_BUTTON and old[1].startswith(health)
    assert person.say(payload="feeling:nonsense")[0].startswith("Sorry, I did not get that.")


def test_back_before_any_answer_and_back_to_a_choice(person):
    """BACK at the first question says so; BACK after a choice asks that choice again."""
    person.say("DEMO")
    assert person.say("back")[0] == replies.NOTHING_TO_GO_BACK_TO
    for text in ("1", "2", "4"):  # home, feeling 'Not good'
        person.say(text)
    answer = person.say("back")
    assert answer[0] == replies.GOING_BACK
    assert answer[1] == replies.EARLIER.format(answer="Not good")
    assert answer[2].startswith("How do you feel about home?")
    person.say("1")
    rows = list(export_rows(person.engine.store.database, "DEMO"))
    assert [(r["question_id"], r["answer_key"]) for r in rows] == [("feeling", "very_good")]


def test_unknown_code_gets_the_join_hint(person):
    """A first message with no known code says how to start."""
    assert person.say("hello there") == [replies.JOIN_HINT]
    assert person.say("NOSUCHCODE") == [replies.JOIN_HINT]


def test_finished_check_in_can_start_again(person):
    """After the end, any message says it is finished; the code starts a new one."""
    for text in ("DEMO", "1", "skip", "2", "2"):  # agree, skip the topic, done, no news
        person.say(text)
    assert person.say("hi") == [replies.FINISHED.format(code="DEMO")]
    assert person.say("join demo")[0].startswith("Hi, I am Voicebox.")


def test_safeguarding_before_joining_still_gets_help(person):
    """A worrying first message gets the caring reply even before any check-in."""
    answer = person.say("I want to kill myself")
    assert len(answer) == 1 and "0800 1111" in answer[0] and "999" in answer[0]


def test_closed_consultations(engine):
    """A closed code cannot be joined; someone mid check-in is told it closed."""
    db = engine.store.database
    midway = Person(engine, "sms:+447700900001")
    for text in ("DEMO", "1"):
        midway.say(text)
    close_consultation(db, "DEMO")
    assert Person(engine, "sms:+447700900002").say("DEMO") == [replies.CLOSED]
    assert midway.say("2") == [replies.CLOSED]
    assert midway.say("2") == [replies.FINISHED.format(code="DEMO")]


@pytest.mark.parametrize(("choice", "kept"), [("1", True), ("2", False)])
def test_report_back_choice_is_kept_on_the_person(engine, choice, kept):
    """'Do you want to hear what we do with your answers?' is kept for report-backs."""
    person = Person(engine)
    for text in ("CORNER", "1", *["skip"] * 9):
        person.say(text)
    assert person.say(choice)[0].startswith("Thank you. The people who run this group")
    with engine.store.database.engine.connect() as conn:
        assert conn.scalar(select(Participant.report_back)) is kept
    assert list(export_rows(engine.store.database, "CORNER")) == []  # not a feedback answer


def test_web_chat_switching_consultations(person, sqlite_engine):
    """A channel that knows the code (the web chat URL) moves the person to that check-in."""
    web = Person(sqlite_engine, "web:abc123", channel="web")
    assert web.say(consultation="DEMO")[0].startswith("Hi, I am Voicebox.")
    web.say("1", consultation="DEMO")
    switched = web.say(consultation="CORNER")
    assert switched[0] == "Hi, I am Voicebox. I ask how things are going for you."
