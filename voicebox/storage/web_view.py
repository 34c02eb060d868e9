"""Read-only queries the web chat page needs: where a person is, and what was said."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from voicebox.storage.database import Database
from voicebox.storage.models import TranscriptMessage
from voicebox.storage.pseudonyms import address_key
from voicebox.storage.store import PERSON_AND_LATEST_FOR_CODE

_transcript = TranscriptMessage.__table__

MAX_TRANSCRIPT = 400  # the page shows at most this many of the latest lines

_TRANSCRIPT = select(
    _transcript.c.id,
    _transcript.c.direction,
    _transcript.c.text,
    _transcript.c.step,
    _transcript.c.created_at,
)


@dataclass(frozen=True)
class WebConversation:
    """One person's latest run through one check-in, as the page shows it."""

    id: int
    code: str
    flow_id: str
    step: str
    consent: str
    ended: bool
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def about(self) -> str | None:
        """How questions name the topic chosen so far."""
        about = self.state.get("about")
        return about if isinstance(about, str) else None


@dataclass(frozen=True)
class WebPlace:
    """Where a web visitor is in one check-in (all None for someone new)."""

    participant_id: int | None = None
    opted_out: bool = False
    conversation: WebConversation | None = None


@dataclass(frozen=True)
class TranscriptLine:
    """One kept message of a conversation: in (from the person) or out (from Voicebox)."""

    id: int
    direction: str
    text: str
    step: str | None
    created_at: datetime


class WebView:
    """Reads for the web chat, keyed by the same participant hash the store uses."""

    def __init__(self, database: Database, secret: bytes) -> None:
        self.database = database
        self.secret = secret

    def place(self, channel: str, address: str, code: str) -> WebPlace:
        """The participant and their latest conversation in the check-in with this code."""
        key = address_key(self.secret, channel, address)
        with self.database.reading() as conn:
            row = conn.execute(
                PERSON_AND_LATEST_FOR_CODE, {"key": key, "code": code.strip().upper()}
            ).first()
        if row is None:
            return WebPlace()
        conversation = None
        if row.id is not None:
            conversation = WebConversation(
                id=row.id,
                code=row.code,
                flow_id=row.flow_id,
                step=row.step,
                consent=row.consent,
                ended=row.ended_at is not None,
                state=row.state if isinstance(row.state, dict) else {},
            )
        return WebPlace(row.participant_id, bool(row.opted_out), conversation)

    def transcript(self, conversation_id: int, limit: int = MAX_TRANSCRIPT) -> list[TranscriptLine]:
        """The latest kept messages of a conversation, oldest first."""
        query = (
            _TRANSCRIPT.where(_transcript.c.conversation_id == conversation_id)
            .order_by(_transcript.c.id.desc())
            .limit(limit)
        )
        with self.database.reading() as conn:
            rows = conn.execute(query).all()
        return [
            TranscriptLine(r.id, r.direction, r.text, r.step, r.created_at) for r in reversed(rows)
        ]
