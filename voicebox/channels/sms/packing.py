"""Packing the engine's replies into at most two plain GSM-7 texts of 160 characters.

The webhook answers with these texts, and `voicebox flows check` asks this same packer
whether a step fits, so the check and the real texts can never drift apart."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from voicebox.bot.messages import OutboundMessage
from voicebox.channels.sms.gsm7 import SEGMENT_LENGTH, gsm7_length, to_gsm7

log = logging.getLogger(__name__)

MAX_MESSAGES = 2  # <Message> elements per inbound message (CONTRACT.md)


# What may be left out when the replies do not fit, least important first. Safeguarding
# words, a question (with its options) and the end of a check-in are never left out.
_DROP_ORDER = {"reask": 0, "flow": 1, "notice": 2, "help": 3, "start": 4, "stop": 5}
_KEEP = 99


@dataclass(frozen=True)
class _Part:
    text: str
    rank: int  # lower is left out first; _KEEP is never left out
    order: int  # position among the engine's replies


def _importance(message: OutboundMessage) -> int:
    if message.purpose in ("safeguarding", "end") or message.expects or message.choices:
        return _KEEP
    return _DROP_ORDER.get(message.purpose, _DROP_ORDER["notice"])


def _split_long(text: str) -> list[str]:
    """Cut a text longer than one segment at line or word ends (never needed for checked flows)."""
    pieces: list[str] = []
    current = ""
    for word in re.split(r"(?<=[\n ])", text):
        candidate = current + word
        if gsm7_length(candidate.rstrip()) <= SEGMENT_LENGTH:
            current = candidate
            continue
        if current.strip():
            pieces.append(current.rstrip())
        while gsm7_length(word.rstrip()) > SEGMENT_LENGTH:  # one enormous word
            cut = SEGMENT_LENGTH
            while gsm7_length(word[:cut]) > SEGMENT_LENGTH:
                cut -= 1
            pieces.append(word[:cut])
            word = word[cut:]
        current = word
    if current.strip():
        pieces.append(current.rstrip())
    return pieces


def _pack(parts: Sequence[_Part]) -> list[str]:
    """Join neighbouring parts with a line break while they fit one segment (in order)."""
    texts: list[str] = []
    for part in parts:
        if texts and gsm7_length(texts[-1]) + 1 + gsm7_length(part.text) <= SEGMENT_LENGTH:
            texts[-1] = f"{texts[-1]}\n{part.text}"
        else:
            texts.append(part.text)
    return texts


def render_segments(messages: Sequence[OutboundMessage]) -> list[str]:
    """The replies as at most two GSM-7 texts of at most 160 characters each.

    Safeguarding words always come first and whole. Short replies are joined with a line
    break. When they still do not fit, the least important part is left out (a re-ask hint
    first, then a passing remark, a notice, a confirmation); never a question or its options.
    """
    return list(_packed(tuple(messages)))


# The engine says the same few hundred things over and over (its questions and notices;
# it never repeats what a person wrote), so packing is worked out once for each.
@lru_cache(maxsize=1024)
def _packed(messages: tuple[OutboundMessage, ...]) -> tuple[str, ...]:
    parts: list[_Part] = []
    ordered = sorted(messages, key=lambda m: m.purpose != "safeguarding")  # stable sort
    for order, message in enumerate(ordered):
        text = to_gsm7(message.as_text())
        if not text:
            continue
        rank = _importance(message)
        for piece in _split_long(text) if gsm7_length(text) > SEGMENT_LENGTH else [text]:
            parts.append(_Part(piece, rank, order))
    texts = _pack(parts)
    while len(texts) > MAX_MESSAGES:
        droppable = [p for p in parts if p.rank != _KEEP]
        if not droppable:
            break
        least = min(droppable, key=lambda p: (p.rank, p.order))
        parts = [p for p in parts if p.order != least.order]
        texts = _pack(parts)
    if len(texts) > MAX_MESSAGES:
        # Only a flow that `voicebox flows check` rejects gets here: keep the first segment
        # (safeguarding words, when there are any) and the last (a question's options).
        log.warning(
            "SMS replies did not fit in %s messages; run voicebox flows check", MAX_MESSAGES
        )
        texts = [texts[0], texts[-1]]
    return tuple(texts)
