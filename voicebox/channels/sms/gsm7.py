"""GSM-7 (GSM 03.38): what one plain SMS segment can carry, and how to fit text into it."""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"
_BASIC = frozenset(GSM7_BASIC)
_EXTENDED = frozenset(GSM7_EXTENDED)
SEGMENT_LENGTH = 160


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


def lost_in_gsm7(text: str) -> str:
    """The characters `to_gsm7` cannot carry even as a look-alike (they become ? or go),
    each once, in order: curly quotes, dashes and accents are not lost."""
    return "".join(ch for ch in non_gsm7(text) if _gsm7_char(ch) in ("?", ""))


CONCATENATED_SEGMENT = 153  # GSM-7 septets per part of a multi-part SMS

_GSM7 = _BASIC | _EXTENDED
_LOOKALIKES = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "`": "'",
    "\u00b4": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2022": "-",
    "\u00b7": "-",
    "\u2026": "...",
    "\t": " ",
    "\f": " ",
    "\r": "\n",
    "\x1b": "",  # the GSM-7 escape is not a character of its own
    "\u00e7": "c",  # GSM-7 has only the capital
}
_SPACE_RUNS = re.compile(r"[ ]{2,}")


def _gsm7_char(ch: str) -> str:
    if ch in _LOOKALIKES:
        return _LOOKALIKES[ch]
    if ch in _GSM7:
        return ch
    if ch.isspace():
        return " "
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c) and c in _GSM7
    )
    if plain:
        return plain  # é -> e, ﬁ -> fi, ² -> 2
    category = unicodedata.category(ch)
    if category[0] in "MC" or category in ("So", "Sk"):
        return ""  # emoji, variation selectors, joiners and control characters: leave out
    return "?"


@lru_cache(maxsize=2048)
def to_gsm7(text: str) -> str:
    """The text with every character GSM-7 can carry; others replaced or left out safely."""
    if all(ch in _GSM7 for ch in text) and not any(ch in text for ch in "\r\x1b\f"):
        return text
    text = text.replace("\r\n", "\n")
    out = "".join(_gsm7_char(ch) for ch in text)
    out = _SPACE_RUNS.sub(" ", out)
    return "\n".join(line.strip(" ") for line in out.split("\n")).strip("\n")


def segment_count(text: str) -> int:
    """How many SMS segments a GSM-7 text costs (153 septets a part once past 160)."""
    length = gsm7_length(text)
    if length <= SEGMENT_LENGTH:
        return 1
    return math.ceil(length / CONCATENATED_SEGMENT)
