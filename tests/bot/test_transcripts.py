"""Golden transcripts: every file in tests/transcripts, played through the real engine and store.

Each file gives a flow's join code and turns (`send`, and the `expect`ed replies, each as
the text SMS would show), then the `answers` the export must hold and the safeguarding
`flags` raised. Optional per turn: `button` (a payload instead of text), `kept` (whether a
transcript is being kept by then).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from voicebox.bot.engine import Engine
from voicebox.bot.messages import InboundMessage
from voicebox.flows import load_builtin_flows
from voicebox.storage.consultations import create_consultation, get_consultation
from voicebox.storage.database import Database
from voicebox.storage.export import export_rows
from voicebox.storage.models import SafeguardingFlag, TranscriptMessage
from voicebox.storage.store import SqlStore

TRANSCRIPTS = sorted((Path(__file__).parent.parent / "transcripts").glob("*.yaml"))
SECRET = b"golden-transcript-secret"
ANSWER_KEYS = ("question_id", "answer", "answer_key", "kind", "topic")


def play(db: Database, script: dict) -> dict:
    """Send each turn through Engine.handle; return replies, export rows and flags."""
    flows = load_builtin_flows()
    flow = flows[script["flow"]]
    code = script["code"]
    if get_consultation(db, code) is None:
        create_consultation(db, code, flow.id, flow.version, f"Golden {flow.id}")
    engine = Engine(flows.values(), SqlStore(db, SECRET))
    channel = script.get("channel", "sms")
    address = f"{channel}:{script.get('address', '+447700900001')}"
    replies = []
    for number, turn in enumerate(script["turns"]):
        inbound = InboundMessage(
            channel=channel,
            address=address,
            text=str(turn.get("send", "")),
            payload=turn.get("button"),
            message_id=f"golden-{number}",
            consultation=code if channel == "web" else None,
        )
        replies.append([message.as_text() for message in engine.handle(inbound)])
    rows = [{key: row[key] for key in ANSWER_KEYS} for row in export_rows(db, code)]
    with db.engine.connect() as conn:
        flags = [
            f"{category}: {phrase}"
            for category, phrase in conn.execute(
                select(SafeguardingFlag.category, SafeguardingFlag.phrase).order_by(
                    SafeguardingFlag.id
                )
            )
        ]
        transcript = conn.scalar(select(func.count(TranscriptMessage.id)))
    return {"replies": replies, "answers": rows, "flags": flags, "transcript": transcript}


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_golden_transcript(database, path):
    """What the engine says, and what lands in the store, match the golden file."""
    script = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = play(database, script)
    for number, (turn, got) in enumerate(zip(script["turns"], result["replies"], strict=True)):
        expected = [text.rstrip("\n") for text in turn.get("expect") or []]
        assert got == expected, f"turn {number} (sent {turn.get('send')!r})"
    assert result["answers"] == (script.get("answers") or [])
    assert result["flags"] == (script.get("flags") or [])
    if script.get("keeps_nothing"):
        assert result["transcript"] == 0
        assert result["answers"] == []
    else:
        assert result["transcript"] > 0


def test_there_are_transcripts_for_both_flows():
    """Both built-in flows have every scenario the engine promises."""
    names = {p.stem for p in TRANSCRIPTS}
    for flow in ("tops_and_pants", "four_cornerstones"):
        for scenario in ("happy", "skip_all", "stop_start", "consent_no", "safeguarding", "back"):
            assert f"{flow}.{scenario}" in names
