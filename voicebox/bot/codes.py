"""Join codes: the short words a group gives young people to start a check-in."""

from __future__ import annotations

import re

from voicebox.bot.matching import normalize

# Upper case letters and digits, then letters, digits, - and _: 2 to 32 characters.
JOIN_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,31}$")
_CODE_WORDS = 4  # a code is looked for among the first few words only


def candidate_codes(text: str) -> list[str]:
    """Words in a message that could be a join code ("DEMO", "join demo")."""
    words = normalize(text).upper().split()
    if words and words[0] == "JOIN":
        words = words[1:]
    found: list[str] = []
    for word in words[:_CODE_WORDS]:
        if JOIN_CODE.match(word) and word not in found:
            found.append(word)
    return found
