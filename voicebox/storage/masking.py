"""Masking what could identify a young person inside free text (phone numbers, email
addresses, postcodes, long runs of digits), for workers' screens."""

from __future__ import annotations

import re

# Order matters: an email can hold digits, a phone number is a long digit run.
_PATTERNS = [
    ("[email address]", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)),
    ("[phone number]", re.compile(r"(?<![\w])\+?\d(?:[\s\-().]*\d){8,14}(?![\w])")),
    (
        "[postcode]",
        re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE),
    ),
    ("[number]", re.compile(r"\d{6,}")),
]
# Every pattern above needs a digit or an @: text with neither is let through at once
# (exports mask every row, and most answers hold neither).
_MIGHT_HIDE = re.compile(r"[\d@]")


def mask(text: str) -> str:
    """The text with phone numbers, emails, postcodes and long digit runs hidden."""
    if not _MIGHT_HIDE.search(text):
        return text
    for label, pattern in _PATTERNS:
        text = pattern.sub(label, text)
    return text


def has_hidden(text: str) -> bool:
    """True when mask() would hide something in this text."""
    return mask(text) != text
