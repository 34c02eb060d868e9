"""The small protocol through which the engine reaches storage."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from voicebox.bot.messages import InboundMessage
from voicebox.bot.state import ConsultationRef, ConversationState, Outcome, Participant


@dataclass
class TurnContext:
    """Everything the engine may read while handling one message."""

    participant: Participant
    conversation: ConversationState | None
    find_consultation: Callable[[str], ConsultationRef | None]


class Turn(Protocol):
    """One inbound message's unit of work: read the context, save the outcome."""

    context: TurnContext

    def save(self, outcome: Outcome) -> None:
        """Keep what the outcome says, inside the same transaction."""


class ConversationStore(Protocol):
    """Storage as the engine needs it."""

    def begin(self, inbound: InboundMessage) -> AbstractContextManager[Turn | None]:
        """Open one transaction for this message; yield None when it is a duplicate."""
