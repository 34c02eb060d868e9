"""A report-back with as many themes as one statement can queue (62, a BIGINT's bits), and
one more (queued row by row): each person's themes still come first, on SQLite and
PostgreSQL."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from voicebox.bot.messages import InboundMessage
from voicebox.bot.report_back import ReportItem, item_text
from voicebox.storage.consultations import get_consultation
from voicebox.storage.models import Answer, OutboxMessage, Participant
from voicebox.storage.pseudonyms import address_key
from voicebox.storage.reports import MASK_THEMES, save_report, send_report_back
from voicebox.storage.themes import create_theme, tag_answers

_ids = itertools.count()


def _take_part(engine, address: str, good: str) -> None:
    """A whole DEMO check-in by text, saying yes to hearing back."""
    for said in ("DEMO", "1", "1", "2", good, "Noise", "Quiet room", "2", "1"):
        engine.handle(InboundMessage("sms", address, said, message_id=f"m{next(_ids)}"))


def _texts(engine, address: str) -> list[str]:
    database = engine.store.database
    key = address_key(engine.store.secret, "sms", address)  # addresses are kept sealed
    with database.reading() as conn:
        return list(
            conn.scalars(
                select(OutboxMessage.body)
                .join(Participant, Participant.id == OutboxMessage.participant_id)
                .where(Participant.key_hash == key, OutboxMessage.report_id.is_not(None))
                .order_by(OutboxMessage.id)
            )
        )


@pytest.mark.parametrize("count", [MASK_THEMES, MASK_THEMES + 1])
def test_the_last_theme_comes_first_for_whoever_spoke_to_it(engine, count):
    database = engine.store.database
    _take_part(engine, "sms:+447700900011", "Buses")
    _take_part(engine, "sms:+447700900012", "Friends")
    demo = get_consultation(database, "DEMO")
    assert demo is not None
    themes = [create_theme(database, demo.id, f"Theme {n}") for n in range(count)]
    with database.reading() as conn:
        buses = conn.scalar(select(Answer.id).where(Answer.answer == "Buses"))
    tag_answers(database, demo.id, themes[-1], [buses])
    tag_answers(database, demo.id, themes[0], [buses])
    items = [
        ReportItem(t, f"Theme {n}", f"Thing {n}.", "We did it.", "", "done")
        for n, t in enumerate(themes)
    ]
    save_report(database, demo.id, items, public=False)

    sent = send_report_back(database, demo.id, "Our check-in")

    assert (sent.people, sent.messages) == (2, 2 * (count + 2))
    spoke = [body["text"] for body in _texts(engine, "sms:+447700900011")]
    other = [body["text"] for body in _texts(engine, "sms:+447700900012")]
    assert spoke[1:3] == [item_text(items[0]), item_text(items[-1])]
    assert spoke[3:-1] == [item_text(i) for i in items[1:-1]]
    assert other[1:-1] == [item_text(i) for i in items]
    again = send_report_back(database, demo.id, "Our check-in")
    assert (again.people, again.messages) == (0, 0)
