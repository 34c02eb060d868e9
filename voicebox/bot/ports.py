"""The small protocol through which the engine reaches storage."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from voicebox.bot.messages import InboundMessage, OutboundMessage
from voicebox.bot.state import ConsultationRef, ConversationState, Outcome, Participant


@dataclass
class TurnContext:
    """Everything the engine may read while handling one message."""

    participant: Participant
    conversation: ConversationState | None
    find_consultation: Callable[[str], ConsultationRef | None]
    # The check-in the channel named (InboundMessage.consultation), read in the same
    # transaction; None when it named none, or a code that does not exist.
    named: ConsultationRef | None = None
    duplicate: bool = False  # the message id was seen before: handle nothing, say nothing
    # A duplicate from the same sender: what the first delivery was answered (if still kept).
    earlier_replies: tuple[OutboundMessage, ...] = ()
    # The pressed button was on a message older than the newest one sent to the person
    # (InboundMessage.pressed_on): its question has passed, whatever its step.
    button_passed: bool = False
    # Their check-in has ended and its "You said, we did" was sent to them: a message now
    # is a reply to it (kept in the transcript for the workers, as every message is).
    heard_back: bool = False


class Turn(Protocol):
    """One inbound message's unit of work: read the context, save the outcome."""

    context: TurnContext

    def save(self, outcome: Outcome) -> None:
        """Keep what the outcome says, inside the same transaction."""


class ConversationStore(Protocol):
    """Storage as the engine needs it."""

    def begin(self, inbound: InboundMessage) -> AbstractContextManager[Turn]:
        """Open one transaction for this message and read what the engine needs."""
