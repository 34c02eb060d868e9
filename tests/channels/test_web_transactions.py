"""How many database transactions one button press costs (counted with SQLAlchemy's
"begin" event): with the page's script at most 1 write and 1 read; without it, at most
2 for the POST and the page it redirects to. One text message stays one transaction."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event

from tests.channels.web_visitor import Page
from tests.channels.webpage import parse
from voicebox.bot.messages import InboundMessage
from voicebox.storage.database import READ_ONLY, Database

# A whole check-in by buttons and words: consent, a topic, a feeling, three answers (one
# skipped), another part? no, hear back? yes. Then Start again and STOP.
PRESSES: list[tuple[str, str]] = [
    ("choice", "consent:yes"),
    ("choice", "topic:school"),
    ("choice", "feeling:good"),
    ("text", "My teacher explains things"),
    ("command", "skip"),
    ("text", "A quiet room at lunch"),
    ("command", "back"),
    ("text", "A quiet room at lunch"),
    ("choice", "another:no"),
    ("choice", "hear_back:yes"),
    ("command", "start"),
    ("command", "help"),
    ("command", "stop"),
    ("command", "start"),
]


@dataclass(eq=False)  # a listener must be hashable
class Transactions:
    """Every transaction begun on a database, as 'read' or 'write'."""

    seen: list[str] = field(default_factory=list)

    def __call__(self, connection: Any) -> None:
        read = connection.get_execution_options().get(READ_ONLY)
        self.seen.append("read" if read else "write")

    def take(self) -> dict[str, int]:
        """How many of each since the last take."""
        counts = {"read": self.seen.count("read"), "write": self.seen.count("write")}
        self.seen.clear()
        return counts


@pytest.fixture
def transactions(web_services) -> Iterator[Transactions]:
    """Counts the transactions of the app's database."""
    counter = Transactions()
    database: Database = web_services.database
    event.listen(database.engine, "begin", counter)
    yield counter
    event.remove(database.engine, "begin", counter)


def _fields(page: Page, kind: str, value: str) -> dict[str, str]:
    fields = {"token": page.field("token"), "nonce": page.field("nonce")}
    if kind == "text":
        return {**fields, "text": value, "send": "1"}
    return {**fields, kind: value}


def _next_press(page: Page, kind: str, value: str) -> tuple[str, str]:
    """The press as the page offers it now (a topic may be behind More choices)."""
    if kind == "choice":
        offered = {b.get("value") for b in page.buttons("choice")}
        assert value in offered, (value, offered)
    return kind, value


def test_a_press_with_the_script_is_one_write_and_one_read(visitor, transactions):
    """POST /c/CODE/messages: the engine's one write, and one read for waiting messages."""
    page = visitor.open()
    transactions.take()
    for kind, value in PRESSES:
        response = visitor.client.post("/c/DEMO/messages", data=_fields(page, kind, value))
        assert response.status_code == 200, (kind, value)
        counts = transactions.take()
        assert counts["write"] <= 1 and counts["read"] <= 1, (kind, value, counts)
        assert counts["write"] == 1, (kind, value, counts)  # the press itself was handled
        answer = response.get_json()["answer_html"]
        page = Page(200, answer, parse(answer))  # the next press uses the new form's fields


def test_a_press_without_the_script_and_its_page_are_two(visitor, transactions):
    """POST /c/CODE then GET /c/CODE: one write for the press, one read for the page."""
    page = visitor.open()
    transactions.take()
    for kind, value in PRESSES:
        kind, value = _next_press(page, kind, value)
        page = visitor.post(_fields(page, kind, value))
        counts = transactions.take()
        assert counts["write"] + counts["read"] <= 2, (kind, value, counts)
        assert counts == {"write": 1, "read": 1}, (kind, value, counts)


def test_an_empty_answer_changes_nothing(visitor, transactions):
    """Send with an empty box: a kind word on the page, no write at all."""
    page = visitor.open()
    visitor.choose("Yes, that is OK")
    visitor.choose("School or college")
    page = visitor.choose("Good")
    transactions.take()
    page = visitor.post(_fields(page, "text", "   "))
    assert transactions.take()["write"] == 0
    assert "Please type your answer first" in page.status_text


def test_a_text_message_is_one_transaction(engine, store):
    """SMS: each message, join to the end, is one transaction."""
    counter = Transactions()
    event.listen(store.database.engine, "begin", counter)
    try:
        words = ["DEMO", "1", "school", "2", "Kind teachers", "skip", "More quiet", "2", "1"]
        for number, text in enumerate(words):
            engine.handle(InboundMessage("sms", "sms:+447700900555", text, message_id=f"t{number}"))
            assert counter.take() == {"read": 0, "write": 1}, text
    finally:
        event.remove(store.database.engine, "begin", counter)


def test_the_press_fields_match_the_flow(flows):
    """The presses above name real choices of the demo flow (so the counts mean something)."""
    keys = {
        f"{step.id}:{choice.key}"
        for step in flows["tops_and_pants"].steps.values()
        for choice in step.choices
    }
    assert {value for kind, value in PRESSES if kind == "choice"} <= keys
    assert all(re.fullmatch(r"[a-z_]+:[a-z_]+", v) for k, v in PRESSES if k == "choice")
