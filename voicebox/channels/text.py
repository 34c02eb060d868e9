"""Text every channel shares: cleaning what people send before the engine reads it."""

from __future__ import annotations

import re
import unicodedata

from voicebox.bot.messages import MAX_MESSAGE_CHARS

# Control characters no database or screen should get (tab, line feed and CR stay).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str, limit: int | None = MAX_MESSAGE_CHARS) -> str:
    """Words as sent, minus control codes and broken characters, in one form, cut to size
    (not cut with limit=None: the web chat gives words too long back to the person)."""
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates (from JSON)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", CONTROL.sub("", text))
    return text if limit is None else text[:limit]
