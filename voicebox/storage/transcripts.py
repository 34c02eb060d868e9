"""Transcripts: every message in and out of a conversation after consent, as structured
rows. The web chat shows them, and the workers' area reads the same rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from voicebox.bot.messages import MAX_MESSAGE_CHARS, OutboundMessage
from voicebox.storage.models import TranscriptMessage, table

_transcript = table(TranscriptMessage)
INSERT_LINES = insert(_transcript)
MAX_LINES = 400  # a page shows at most this many of the latest lines
MEDIA_ONLY = "[picture or sound]"  # kept for a message that had media and no words

_SELECT = select(
    _transcript.c.id,
    _transcript.c.direction,
    _transcript.c.text,
    _transcript.c.step,
    _transcript.c.choice_key,
    _transcript.c.purpose,
    _transcript.c.created_at,
)


@dataclass(frozen=True)
class TranscriptLine:
    """One kept message: in (from the person) or out (from Voicebox)."""

    id: int
    direction: str  # in, out
    text: str  # in: as typed ("" for a button); out: the words, no choice lines
    step: str | None  # in: the question it answered; out: the step it says or asks
    choice_key: str | None  # in: the choice it picked, by button or by typing
    purpose: str | None  # out: flow, end, reask, help, stop, start, safeguarding, notice
    created_at: datetime


def inbound_row(
    conversation_id: int,
    text: str,
    has_media: bool,
    step: str | None,
    choice_key: str | None,
    now: datetime,
) -> dict[str, Any]:
    """The row for what a person sent."""
    kept = text[:MAX_MESSAGE_CHARS] or (MEDIA_ONLY if has_media and not choice_key else "")
    return {
        "conversation_id": conversation_id,
        "direction": "in",
        "text": kept,
        "step": step,
        "choice_key": choice_key,
        "purpose": None,
        "created_at": now,
    }


def outbound_rows(
    conversation_id: int, replies: Iterable[OutboundMessage], now: datetime
) -> list[dict[str, Any]]:
    """The rows for what Voicebox said back."""
    return [
        {
            "conversation_id": conversation_id,
            "direction": "out",
            "text": message.text,
            "step": message.step_id,
            "choice_key": None,
            "purpose": message.purpose,
            "created_at": now,
        }
        for message in replies
    ]


def read_transcript(
    conn: Connection, conversation_id: int, limit: int = MAX_LINES
) -> list[TranscriptLine]:
    """The latest kept messages of a conversation, oldest first."""
    rows = conn.execute(
        _SELECT.where(_transcript.c.conversation_id == conversation_id)
        .order_by(_transcript.c.id.desc())
        .limit(limit)
    ).all()
    return [
        TranscriptLine(r.id, r.direction, r.text, r.step, r.choice_key, r.purpose, r.created_at)
        for r in reversed(rows)
    ]
