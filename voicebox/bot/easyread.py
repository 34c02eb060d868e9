"""Easy Read rules: short sentences, few sentences a message, no jargon or acronyms.

`voicebox flows check` runs them on every step and on the engine's own replies; anything
else that writes to young people (report-backs) can run them too."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

JARGON_FILE = Path(__file__).parent / "data" / "jargon.yaml"
MAX_SENTENCE_WORDS = 15
MAX_SENTENCES = 3
# Words a person types to Voicebox; messages may show them in capitals.
CONTROL_WORDS = frozenset({"STOP", "START", "SKIP", "HELP", "BACK", "YES", "NO", "OK"})

_SENTENCE_BREAK = re.compile(r"(?:(?<=[.!?\u2026])|(?<=[.!?\u2026][\"'\u201d\u2019)]))\s+|\s*\n\s*")
_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")
_CAPITALS = re.compile(r"[A-Z]{2,}")
_QUOTED_WORDS = 6


@dataclass(frozen=True)
class WordList:
    """The jargon patterns and the capitalised words that are not acronyms."""

    jargon: tuple[re.Pattern[str], ...]
    allowed_capitals: frozenset[str]


def _jargon_pattern(entry: str) -> re.Pattern[str]:
    core = entry.strip()
    star = core.endswith("*")
    core = core.rstrip("*").strip()
    words = [re.escape(part) for part in re.split(r"[\s\-\u2010\u2011]+", core) if part]
    body = r"[\s\-\u2010\u2011]*".join(words)
    ending = r"[^\W_]*" if star else r"(?:e?s)?"
    flags = 0 if core.isupper() else re.IGNORECASE
    return re.compile(rf"(?<![^\W_]){body}{ending}(?![^\W_])", flags)


def load_word_list(path: str | Path = JARGON_FILE) -> WordList:
    """Read a jargon file (YAML with `jargon` and `allowed_capitals` lists)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    jargon = tuple(_jargon_pattern(str(entry)) for entry in data.get("jargon") or [])
    allowed = frozenset(str(word).strip() for word in data.get("allowed_capitals") or [])
    return WordList(jargon=jargon, allowed_capitals=CONTROL_WORDS | allowed)


@lru_cache(maxsize=1)
def default_word_list() -> WordList:
    """The word list that ships with Voicebox (read once)."""
    return load_word_list()


def sentences(text: str) -> list[str]:
    """Split text into sentences: after . ! ? or … and a space, and at line breaks."""
    parts = (part.strip() for part in _SENTENCE_BREAK.split(text.strip()))
    return [part for part in parts if _WORD.search(part)]


def word_count(sentence: str) -> int:
    """How many words a sentence has (numbers count; "grown-ups" and "don't" are one)."""
    return len(_WORD.findall(sentence))


def quote(sentence: str) -> str:
    """The start of a sentence, in quotes, for a one-line problem."""
    words = sentence.split()
    shown = " ".join(words[:_QUOTED_WORDS])
    return f'"{shown} ..."' if len(words) > _QUOTED_WORDS else f'"{shown}"'


def word_problems(text: str, words: WordList | None = None) -> list[str]:
    """Jargon and acronyms in a text, each once, in the order they appear."""
    words = words or default_word_list()
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for pattern in words.jargon:
        for match in pattern.finditer(text):
            taken.append(match.span())
            found.append((match.start(), f"uses the jargon word '{match.group()}'"))
    for token in _WORD.finditer(text):
        for run in _CAPITALS.finditer(token.group()):
            start = token.start() + run.start()
            if run.group() in words.allowed_capitals:
                continue
            if any(begin <= start < end for begin, end in taken):
                continue
            found.append((start, f"uses the acronym '{token.group()}'"))
            break
    messages: list[str] = []
    for _, message in sorted(found):
        message += "; say it in plain words"
        if message not in messages:
            messages.append(message)
    return messages


def language_problems(text: str, words: WordList | None = None) -> list[str]:
    """Easy Read problems in one message: too many sentences, long sentences, jargon."""
    found: list[str] = []
    parts = sentences(text)
    if len(parts) > MAX_SENTENCES:
        found.append(f"has {len(parts)} sentences in one message; {MAX_SENTENCES} is the most")
    for sentence in parts:
        count = word_count(sentence)
        if count > MAX_SENTENCE_WORDS:
            found.append(
                f"sentence {quote(sentence)} has {count} words; {MAX_SENTENCE_WORDS} is the most"
            )
    return found + word_problems(text, words)
