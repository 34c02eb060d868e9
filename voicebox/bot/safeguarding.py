"""Check free text against the reviewed safeguarding phrase list (kept as data)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from voicebox.bot.matching import normalize

PHRASES_FILE = Path(__file__).parent / "data" / "safeguarding.yaml"


@dataclass(frozen=True)
class Match:
    """The first phrase found, and its category."""

    category: str
    phrase: str


class PhraseList:
    """A compiled phrase list: one regular expression over whole words."""

    def __init__(self, categories: dict[str, list[str]]) -> None:
        self._category_of: dict[str, str] = {}
        parts: list[str] = []
        for category, phrases in categories.items():
            for phrase in phrases:
                plain = normalize(phrase.rstrip("*"))
                if not plain:
                    continue
                group = f"p{len(parts)}"
                pattern = re.escape(plain).replace(r"\ ", r"\s+")
                if phrase.endswith("*"):
                    pattern += r"\w*"
                parts.append(f"(?P<{group}>{pattern})")
                self._category_of[group] = category
        self._pattern = re.compile(r"\b(?:" + "|".join(parts) + r")\b") if parts else None

    def __len__(self) -> int:
        return len(self._category_of)

    def find(self, text: str) -> Match | None:
        """The first phrase in the text, or None."""
        if self._pattern is None or not text:
            return None
        found = self._pattern.search(normalize(text))
        if found is None:
            return None
        group = found.lastgroup or ""
        return Match(category=self._category_of[group], phrase=found.group(0))


def load_phrase_list(path: str | Path = PHRASES_FILE) -> PhraseList:
    """Read a phrase list file."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return PhraseList({str(k): [str(p) for p in v] for k, v in data["categories"].items()})


@lru_cache(maxsize=1)
def default_phrase_list() -> PhraseList:
    """The phrase list that ships with Voicebox (read once per process)."""
    return load_phrase_list()
