"""Helpers for the outbox's fault tests (no tests here): real `voicebox serve` processes
on one database, sending queued texts to a fake Twilio on 127.0.0.1."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, insert, select

from tests.channels.sms_harness import SMS_ACCOUNT, SMS_OUR_NUMBER, SMS_TOKEN, FakeTwilio
from tests.serve_process import ServeProcess, clean_env
from voicebox.bot.messages import OutboundMessage, utcnow
from voicebox.storage import outbox
from voicebox.storage.addresses import AddressSeal
from voicebox.storage.database import Database
from voicebox.storage.models import OutboxMessage, Participant

SECRET = "fault-test-secret-key-0123456789abcdef"


def queue_texts(database: Database, count: int, people: int = 10) -> list[str]:
    """Queue `count` texts, each with its own words, to `people` people; return the words."""
    now = utcnow()
    seal = AddressSeal(SECRET.encode())  # kept as the store keeps them: encrypted
    words = [f"News number {n}" for n in range(count)]
    with database.transaction() as conn:
        ids = [
            conn.execute(
                insert(Participant).returning(Participant.id),
                {
                    "channel": "sms",
                    "key_hash": f"{n:064d}",
                    "pseudonym": f"Otter-{n:04d}",
                    "address": seal.seal(f"sms:+4477009{n:05d}", f"{n:064d}"),
                    "opted_out": False,
                    "report_back": True,
                    "created_at": now,
                    "updated_at": now,
                },
            ).scalar_one()
            for n in range(people)
        ]
        for n, text in enumerate(words):
            outbox.enqueue(conn, ids[n % people], "sms", [OutboundMessage(text)], now, "report")
    return words


def statuses(database: Database) -> Counter[str]:
    """How many outbox rows have each status."""
    with database.reading() as conn:
        rows = conn.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    return Counter({status: count for status, count in rows})


def wait_until_sent(database: Database, count: int, limit: float) -> float:
    """Seconds until `count` rows are sent; fails after `limit` seconds."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if statuses(database)["sent"] >= count:
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"not all sent after {limit} s: {dict(statuses(database))}")


def serve_sending(
    folder: Path, url: str, twilio: FakeTwilio, timeout: float, rate: float = 1000
) -> ServeProcess:
    """`voicebox serve` on this database, sending SMS through the fake Twilio."""
    folder.mkdir(parents=True, exist_ok=True)
    env = clean_env(
        VOICEBOX_DATABASE_URL=url,
        VOICEBOX_SECRET_KEY=SECRET,
        VOICEBOX_TWILIO_ACCOUNT_SID=SMS_ACCOUNT,
        VOICEBOX_TWILIO_AUTH_TOKEN=SMS_TOKEN,
        VOICEBOX_TWILIO_FROM=SMS_OUR_NUMBER,
        VOICEBOX_TWILIO_API_URL=twilio.url,
        VOICEBOX_TWILIO_RATE=str(rate),
        VOICEBOX_TWILIO_TIMEOUT=str(timeout),
    )
    return ServeProcess(folder, "--no-demo", env=env)


def twice(twilio: FakeTwilio) -> list[str]:
    """Words Twilio was given more than once."""
    return [words for words, n in Counter(twilio.sent_bodies()).items() if n > 1]
