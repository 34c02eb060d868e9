"""The BACK promise, as a property: no answer is ever lost by going back and forth.

Any sequence of answers, BACKs and SKIPs ends with exactly the answer last given to each
question still in the export. A question is its step and its words as shown (the words
hold the topic), which is also how the export names it.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voicebox.bot.engine import Engine
from voicebox.bot.messages import InboundMessage
from voicebox.bot.results import Question
from voicebox.flows import load_builtin_flows
from voicebox.storage.consultations import create_consultation
from voicebox.storage.conversations import read_place
from voicebox.storage.database import Database
from voicebox.storage.export import export_rows
from voicebox.storage.store import SqlStore

FLOWS = load_builtin_flows()
WORDS = ["the teachers", "too loud", "more time", "my friends", "quiet room", "swimming"]
_people = itertools.count()


@pytest.fixture(scope="module")
def checkins(tmp_path_factory):
    """One engine and SQLite store, with a check-in for every built-in flow."""
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('back') / 'voicebox.db'}")
    db.upgrade()
    codes = {}
    for number, flow in enumerate(sorted(FLOWS.values(), key=lambda f: f.id)):
        code = f"BACK{number}"
        create_consultation(db, code, flow.id, flow.version, flow.title)
        codes[code] = flow.id
    yield Engine(FLOWS.values(), SqlStore(db, b"back-property-secret")), codes
    db.dispose()


def _answer(data, question: Question) -> tuple[InboundMessage | dict, set[tuple[str, str]]]:
    """A random answer to the question, and the export rows it should leave."""
    if question.kind in ("choice", "consent"):
        option = data.draw(st.sampled_from(question.choices))
        typed = data.draw(st.sampled_from([str(option.number), option.words]))
        return {"text": typed}, {(option.words, option.key)}
    if question.kind == "cards":
        picked = data.draw(st.lists(st.sampled_from(question.choices), min_size=1, unique=True))
        words = data.draw(st.sampled_from(["", *WORDS]))
        payload = f"{question.step_id}:" + ",".join(option.key for option in picked)
        rows = {(option.words, option.key) for option in picked}
        if words:
            rows.add((words, ""))
        return {"text": words, "payload": payload}, rows
    words = data.draw(st.sampled_from(WORDS))
    return {"text": words}, {(words, "")}


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_back_and_skip_never_lose_an_answer(checkins, data):
    """Answers, BACKs and SKIPs in any order: the export holds each question's last answer."""
    engine, codes = checkins
    code = data.draw(st.sampled_from(sorted(codes)))
    flow = FLOWS[codes[code]]
    address = f"sms:+4477008{next(_people):05d}"
    ids = itertools.count()

    def send(text: str = "", payload: str | None = None):
        inbound = InboundMessage(
            "sms", address, text, message_id=f"{address}/{next(ids)}", payload=payload
        )
        return engine.handle(inbound)

    send(code)
    result = send("1")  # yes, that is OK
    expected: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for _ in range(data.draw(st.integers(5, 40), label="turns")):
        question = result.question
        if question is None:
            break
        step = flow.steps[question.step_id]
        move = data.draw(st.sampled_from(["answer", "answer", "back", "skip"]))
        if move == "answer":
            sent, rows = _answer(data, question)
            result = send(**sent)
            if step.keeps_answer:
                expected[(question.step_id, question.text)] = rows
        else:
            result = send(move.upper())
        assert result.replies, f"no reply to {move}"
    exported: dict[tuple[str, str], set[tuple[str, str]]] = {}
    pseudonym = _pseudonym(engine, address)
    for row in export_rows(engine.store.database, code):
        if row["participant"] == pseudonym:
            place = (row["question_id"], row["question"])
            exported.setdefault(place, set()).add((row["answer"], row["answer_key"]))
    assert exported == {place: rows for place, rows in expected.items() if rows}


def _pseudonym(engine: Engine, address: str) -> str:
    with engine.store.database.reading() as conn:
        place = read_place(conn, engine.store.secret, "sms", address, None)
    assert place.participant is not None
    return place.participant.pseudonym
