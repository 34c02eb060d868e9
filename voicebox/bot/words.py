"""Words that work at any point, alone in a message."""

from __future__ import annotations

from voicebox.bot.matching import normalize

STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit"})
START_WORDS = frozenset({"start", "unstop"})
HELP_WORDS = frozenset({"help", "info"})
SKIP_WORDS = frozenset({"skip", "pass", "next question"})
BACK_WORDS = frozenset({"back", "go back", "undo"})


def command_word(text: str) -> str | None:
    """Which command the whole message is (stop, start, help, skip, back), or None."""
    plain = normalize(text)
    if not plain or len(plain) > 20:
        return None
    if plain in STOP_WORDS:
        return "stop"
    if plain in START_WORDS:
        return "start"
    if plain in HELP_WORDS:
        return "help"
    if plain in SKIP_WORDS:
        return "skip"
    if plain in BACK_WORDS:
        return "back"
    return None


def is_yes(text: str) -> bool:
    """True when the whole message is YES (START after STOP, as carriers do)."""
    return normalize(text) == "yes"
