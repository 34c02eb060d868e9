"""Turning engine messages into JSON for the outbox, and back."""

from __future__ import annotations

from typing import Any

from voicebox.bot.messages import ChoiceOption, OutboundMessage


def message_to_json(message: OutboundMessage) -> dict[str, Any]:
    """An outbound message as plain JSON data."""
    return {
        "text": message.text,
        "step_id": message.step_id,
        "expects": message.expects,
        "purpose": message.purpose,
        "choices": [
            {
                "number": c.number,
                "key": c.key,
                "words": c.words,
                "emoji": c.emoji,
                "picture": c.picture,
                "payload": c.payload,
            }
            for c in message.choices
        ],
    }


def message_from_json(data: dict[str, Any]) -> OutboundMessage:
    """An outbound message from its JSON data."""
    return OutboundMessage(
        text=str(data.get("text", "")),
        choices=tuple(ChoiceOption(**choice) for choice in data.get("choices", [])),
        step_id=data.get("step_id"),
        expects=data.get("expects"),
        purpose=str(data.get("purpose", "flow")),
    )
