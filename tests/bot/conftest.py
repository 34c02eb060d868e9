"""Shared by the engine tests: a person texting the real engine on a real SQLite store."""

from __future__ import annotations

import itertools

import pytest

from voicebox.bot.engine import Engine
from voicebox.bot.messages import InboundMessage
from voicebox.storage.consultations import create_consultation, ensure_demo
from voicebox.storage.store import SqlStore

SECRET = b"engine-test-secret"
_ids = itertools.count()


class Person:
    """Someone texting the engine; each message gets a fresh provider id."""

    def __init__(self, engine: Engine, address: str = "sms:+447700900777", channel: str = "sms"):
        self.engine, self.address, self.channel = engine, address, channel

    def inbound(self, text: str = "", **extra) -> InboundMessage:
        """A message from this person, with a fresh provider id."""
        return InboundMessage(
            self.channel, self.address, text, message_id=f"m{next(_ids)}", **extra
        )

    def send(self, text: str = "", **extra):
        return list(self.engine.handle(self.inbound(text, **extra)).replies)

    def say(self, text: str = "", **extra) -> list[str]:
        return [message.as_text() for message in self.send(text, **extra)]


@pytest.fixture
def sqlite_engine(sqlite_database, flows):
    """The engine on SQLite only, with DEMO (tops_and_pants) and CORNER (four_cornerstones)."""
    ensure_demo(sqlite_database, flows)
    create_consultation(
        sqlite_database, "CORNER", "four_cornerstones", flows["four_cornerstones"].version, "C"
    )
    return Engine(flows.values(), SqlStore(sqlite_database, SECRET))


@pytest.fixture
def person(sqlite_engine):
    return Person(sqlite_engine)
