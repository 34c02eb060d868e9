"""The GSM 03.38 (GSM-7) character set: what one plain SMS segment can carry."""

from __future__ import annotations

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"
_BASIC = frozenset(GSM7_BASIC)
_EXTENDED = frozenset(GSM7_EXTENDED)
SEGMENT_LENGTH = 160


def is_gsm7(text: str) -> bool:
    """True when every character can be sent in GSM-7."""
    return all(ch in _BASIC or ch in _EXTENDED for ch in text)


def gsm7_length(text: str) -> int:
    """Septets the text takes (extended characters take two)."""
    return sum(2 if ch in _EXTENDED else 1 for ch in text)


def non_gsm7(text: str) -> str:
    """The characters of the text that GSM-7 cannot carry, each once, in order."""
    seen: list[str] = []
    for ch in text:
        if ch not in _BASIC and ch not in _EXTENDED and ch not in seen:
            seen.append(ch)
    return "".join(seen)
