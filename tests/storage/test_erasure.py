"""Erasing one person on SQLite and PostgreSQL: nothing of theirs is left in any text
column of any table, their choices still count, an open flag stops it, and a second erase
finds nothing to do."""

from __future__ import annotations

import itertools
import json

import pytest
from sqlalchemy import JSON, String, Text, func, select

from tests.conftest import SECRET
from voicebox.bot.engine import Engine
from voicebox.bot.messages import InboundMessage
from voicebox.storage.consultations import ensure_demo
from voicebox.storage.erasure import (
    erase_person,
    find_person,
    get_person,
    list_erasures,
    phone_addresses,
)
from voicebox.storage.flags import review_flag
from voicebox.storage.models import Answer, Base, SafeguardingFlag
from voicebox.storage.store import SqlStore
from voicebox.storage.workers import create_worker

PHONE = "+447700900123"
CHAT = "987654321"
# What the SMS person types: a topic of their own, answers, and a call for help.
SMS_WORDS = ["Flopsybun", "Marmaduke teaches badly", "quietroomplease", "i want to die"]
TELEGRAM_WORDS = ["Zanzibarville canteen", "Quibblequack noise"]
OTHER_WORDS = ["Holloway knitting club"]


@pytest.fixture
def engine(database, flows):
    """The engine on the test database, with Telegram replies going through the outbox."""
    store = SqlStore(database, SECRET, outbox_channels=["telegram"])
    ensure_demo(database, flows)
    return Engine(flows.values(), store)


_IDS = itertools.count(1)


def _say(engine, channel: str, address: str, turns: list[str]) -> None:
    for words in turns:
        inbound = InboundMessage(channel, address, words, message_id=f"m{next(_IDS)}")
        engine.handle(inbound)


def _sms_person(engine) -> None:
    """Consent, a typed topic, a feeling, typed answers, and a flag."""
    flopsy, marmaduke, quiet, help_me = SMS_WORDS
    turns = ["DEMO", "1", "5", "3", f"my {flopsy}", "2", marmaduke, help_me, quiet, "no", "1"]
    _say(engine, "sms", f"sms:{PHONE}", turns)


def _telegram_person(engine) -> None:
    canteen, noise = TELEGRAM_WORDS
    turns = ["DEMO", "1", "1", "4", canteen, noise, "skip", "no", "1"]
    _say(engine, "telegram", f"telegram:{CHAT}", turns)


def _other_person(engine) -> None:
    _say(engine, "sms", "sms:+447700900999", ["DEMO", "1", "1", "2", OTHER_WORDS[0]])


def _texts(database) -> list[str]:
    """Every text, string and JSON value in every table, read through the metadata."""
    found: list[str] = []
    with database.reading() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
            if not columns:
                continue
            for row in conn.execute(select(*columns)):
                found.extend(
                    json.dumps(value) if not isinstance(value, str) else value
                    for value in row
                    if value is not None
                )
    return found


def _holding(database, needles: list[str]) -> list[str]:
    texts = _texts(database)
    return [needle for needle in needles if any(needle.lower() in t.lower() for t in texts)]


def _close_flags(database) -> None:
    admin = create_worker(database, "lead@example.org", "a long enough password", "admin")
    with database.reading() as conn:
        flag_ids = list(conn.execute(select(SafeguardingFlag.id)).scalars())
    for flag_id in flag_ids:
        review_flag(database, flag_id, None, admin, "acted", "Rang the lead")


def _choices(database) -> list[tuple]:
    """Choice answers counted per question and key: what results are made of."""
    query = (
        select(Answer.question_id, Answer.answer_key, func.count())
        .where(Answer.answer_key != "")
        .group_by(Answer.question_id, Answer.answer_key)
        .order_by(Answer.question_id, Answer.answer_key)
    )
    with database.reading() as conn:
        return [tuple(row) for row in conn.execute(query)]


def test_erasure_leaves_nothing_of_them(engine):
    """After erasing both people, no text column anywhere holds their words, number, chat
    id, keyed hash or old name; another person's words are still there; choices count the
    same."""
    database = engine.store.database
    _sms_person(engine)
    _telegram_person(engine)
    _other_person(engine)
    _close_flags(database)
    sms = find_person(database, SECRET, "sms", "07700 900123")
    telegram = find_person(database, SECRET, "telegram", CHAT)
    assert sms is not None and telegram is not None
    assert sms.counts.answers >= 2 and sms.counts.messages > 0 and sms.counts.flags == 1
    assert telegram.counts.waiting > 0  # Telegram's replies went through the outbox
    people = Base.metadata.tables["participants"]
    with database.reading() as conn:
        keys = conn.execute(
            select(people.c.key_hash).where(
                people.c.id.in_([sms.participant_id, telegram.participant_id])
            )
        ).scalars()
        secrets = [*SMS_WORDS, *TELEGRAM_WORDS, *keys]
    secrets += [sms.pseudonym, telegram.pseudonym]
    assert _holding(database, secrets) == secrets  # the search finds them before
    # The number and chat id are kept only encrypted, so no search finds them, before or
    # after; they are still looked for after.
    secrets += [PHONE, PHONE[3:], CHAT]
    choices = _choices(database)

    first = erase_person(database, sms.participant_id, None, engine.flows)
    second = erase_person(database, telegram.participant_id, None, engine.flows)

    assert first.outcome == second.outcome == "erased"
    assert first.counts.answers == sms.counts.answers and first.counts.flags == 1
    assert _holding(database, secrets) == []
    assert _holding(database, OTHER_WORDS) == OTHER_WORDS
    assert _choices(database) == choices
    assert find_person(database, SECRET, "sms", PHONE) is None
    assert find_person(database, SECRET, "pseudonym", sms.pseudonym) is None
    records = list_erasures(database)
    assert [r.counts for r in records] == [second.counts, first.counts]


def test_an_open_flag_stops_the_erasure(engine):
    """Safeguarding comes first: nothing is erased while the flag is new or seen."""
    database = engine.store.database
    _sms_person(engine)
    person = find_person(database, SECRET, "sms", PHONE)
    assert person is not None and person.open_flags == 1
    before = _texts(database)
    result = erase_person(database, person.participant_id, None, engine.flows)
    assert result.outcome == "open_flag"
    assert sorted(_texts(database)) == sorted(before)
    assert list_erasures(database) == []


def test_a_second_erasure_finds_nothing_to_do(engine):
    """Erasing the same row again changes nothing and records nothing."""
    database = engine.store.database
    _telegram_person(engine)
    person = find_person(database, SECRET, "pseudonym", "  ")
    assert person is None
    person = find_person(database, SECRET, "telegram", f"telegram:{CHAT}")
    assert person is not None
    same = find_person(database, SECRET, "pseudonym", person.pseudonym.lower())
    assert same is not None and same.participant_id == person.participant_id
    assert erase_person(database, person.participant_id, None, engine.flows).outcome == "erased"
    again = erase_person(database, person.participant_id, None, engine.flows)
    assert again.outcome == "nothing"
    after = get_person(database, person.participant_id)
    assert after is not None and after.erased and after.counts.nothing
    assert len(list_erasures(database)) == 1


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("07700 900123", ["sms:07700900123", "sms:+447700900123"]),
        ("+44 (7700) 900-123", ["sms:+447700900123"]),
        ("00447700900123", ["sms:+447700900123"]),
        ("447700900123", ["sms:447700900123", "sms:+447700900123"]),
        (" sms:+447700900123", ["sms:+447700900123"]),
        ("", []),
    ],
)
def test_phone_numbers_are_read_as_they_arrive(typed, expected):
    """A number as people say it is tried in the forms Twilio sends."""
    assert phone_addresses(typed) == expected
