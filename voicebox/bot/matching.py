"""Match what a person typed to a choice: by number, words, extra words or emoji."""

from __future__ import annotations

import re
import unicodedata

from voicebox.flows import Choice, Step

_VARIATION = re.compile("[\ufe0e\ufe0f\u200d]")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"^(?:number\s+|no\.?\s*|#\s*|option\s+)?(\d{1,2})\s*[.):]?$")
DIGIT_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
}


def normalize(text: str) -> str:
    """Lower case, without punctuation, one space between words."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("'", "").replace("\u2019", "")
    text = _PUNCT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def _emoji_form(text: str) -> str:
    return _VARIATION.sub("", text).strip()


def choice_index(step: Step) -> dict[str, Choice]:
    """Every accepted form of every choice of a step, to its choice (first wins)."""
    index: dict[str, Choice] = {}

    def put(form: str, choice: Choice) -> None:
        if form and form not in index:
            index[form] = choice

    for number, choice in enumerate(step.choices, start=1):
        put(str(number), choice)
        put(normalize(choice.words), choice)
        put(f"{number} {normalize(choice.words)}", choice)
    for choice in step.choices:
        put(normalize(choice.key.replace("_", " ")), choice)
        for word in choice.also:
            put(normalize(word), choice)
    return index


def match_choice(step: Step, text: str, index: dict[str, Choice] | None = None) -> Choice | None:
    """The choice this text picks, or None."""
    if not text or not step.choices:
        return None
    index = index if index is not None else choice_index(step)
    emoji = _emoji_form(text)
    for choice in step.choices:
        if choice.symbol and choice.symbol.emoji and emoji == _emoji_form(choice.symbol.emoji):
            return choice
    plain = normalize(text)
    found = index.get(plain)
    if found is not None:
        return found
    number = _NUMBER.match(text.strip().casefold())
    if number:
        return index.get(str(int(number.group(1))))
    if plain in DIGIT_WORDS:
        return index.get(str(DIGIT_WORDS[plain]))
    return None
