"""Words that work at any point, alone in a message."""

from __future__ import annotations

from voicebox.bot.matching import normalize

STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit"})
START_WORDS = frozenset({"start", "unstop"})
HELP_WORDS = frozenset({"help", "info"})
SKIP_WORDS = frozenset({"skip", "pass", "next question"})
BACK_WORDS = frozenset({"back", "go back", "undo"})

# A short message that clearly asks to stop the check-in stops it, like STOP. Polite and
# filler words are taken off first, so "please can you stop now" is "stop". The engine
# checks every message for a call for help before this: "make it stop" is never leaving.
# Words that could be a call for help ("I want to leave", "end this") are left out on purpose.
_FILLER = frozenset(
    {"please", "pls", "plz", "can", "could", "you", "u", "just", "now", "ok", "okay"}
    | {"thanks", "thank", "thx", "i", "id", "would", "like"}
)
STOP_PHRASES = frozenset(
    {
        "stop",
        "want to stop",
        "wanna stop",
        "to stop",
        "stop this",
        "stop it",
        "stop messaging me",
        "stop messaging",
        "stop texting me",
        "stop texting",
        "stop sending me messages",
        "stop sending messages",
        "stop the messages",
        "stop the check in",
        "stop the questions",
        "no more",
        "no more messages",
        "no more questions",
        "dont message me",
        "dont text me",
        "dont want to do this",
        "dont want to do this any more",
        "dont want to do this anymore",
        "dont want to carry on",
        "want to quit",
        "quit this",
        "unsubscribe me",
        "end the check in",
    }
)
_MAX_STOP_WORDS = 10  # longer messages are answers, not a wish to leave


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


def is_stop_phrase(text: str) -> bool:
    """True when a short message clearly asks to stop the check-in ("stop please")."""
    words = normalize(text).split()
    if not words or len(words) > _MAX_STOP_WORDS:
        return False
    core = " ".join(word for word in words if word not in _FILLER)
    return core in STOP_PHRASES or core in STOP_WORDS


def is_yes(text: str) -> bool:
    """True when the whole message is YES (START after STOP, as carriers do)."""
    return normalize(text) == "yes"


# A topic typed in the person's own voice is read back in ours: "my job" is "your job".
_SAID_BACK = {
    "my": "your",
    "mine": "yours",
    "me": "you",
    "myself": "yourself",
    "i": "you",
    "i'm": "you're",
    "im": "you're",
    "our": "your",
    "ours": "yours",
    "us": "you",
}


def said_back(typed: str) -> str:
    """Words a person typed about themselves, as Voicebox says them back ("my job": "your job")."""
    words = typed.split()
    return " ".join(_SAID_BACK.get(word.lower().replace("\u2019", "'"), word) for word in words)
