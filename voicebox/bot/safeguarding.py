"""Check free text against the reviewed safeguarding phrase list (kept as data)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

PHRASES_FILE = Path(__file__).parent / "data" / "safeguarding.yaml"
PHRASE_MAX = 100  # a flag keeps at most this much of the matched phrase

# curly apostrophes and accents, then invisible marks (soft hyphen, zero width, joiners)
_DROPPED = re.compile("[\u2018\u2019\u02bc\u00b4\u2032\u00ad\u200b-\u200f\u2060\ufeff]+")
_NON_ASCII_SIGNS = re.compile(r"[^\x00-\x7f\w]+")  # emoji, other signs, other spaces
_LOOKALIKE = str.maketrans("013457@$", "oieastas")
_LOOKALIKES = re.compile(r"[013457@$](?:(?<=[^\W\d_].)|(?=[^\W\d_]))")
_ASCII_PUNCT = re.compile(r"[!-/:-@\[-`{-~]+")  # every ASCII sign, and _
_SPACED_LETTERS = re.compile(r" [^\W\d_](?: [^\W\d_]){2,}(?= )")
_REPEATS = re.compile(r"([^\W\d_])\1+")
_GROUP = re.compile(r"\{(\w+)\}")


def fold(text: str) -> str:
    """The words of a text as the phrase list reads them (see the list's header)."""
    if not text.isascii():
        text = _DROPPED.sub("", unicodedata.normalize("NFKC", _DROPPED.sub("", text)))
        text = _NON_ASCII_SIGNS.sub(" ", text.casefold())
    text = text.lower().replace("'", "").replace("`", "")
    text = _LOOKALIKES.sub(lambda m: m.group(0).translate(_LOOKALIKE), text)
    text = " " + " ".join(_ASCII_PUNCT.sub(" ", text).split()) + " "
    return _SPACED_LETTERS.sub(lambda m: " " + m.group(0).replace(" ", ""), text).strip()


def collapse(text: str) -> str:
    """A run of the same letter as one letter: "killl" and "kill" are both "kil"."""
    return _REPEATS.sub(r"\1", text)


def _letters(plain: str) -> str:
    """A pattern for folded words where each letter may be typed once or many times."""
    return "".join(re.escape(c) + (re.escape(c) + "*" if c.isalpha() else "") for c in plain)


def _key(plain: str) -> str:
    """Folded words without spaces or repeated letters: how the pattern reads them."""
    return collapse(plain.replace(" ", ""))


def _exact_key(plain: str) -> str:
    """Like _key, but a letter that ends one word and starts the next counts twice."""
    return collapse(plain).replace(" ", "")


@dataclass(frozen=True)
class Match:
    """The phrase found, and its category."""

    category: str
    phrase: str


@dataclass(frozen=True)
class _Entry:
    """One phrase of the list as the reviewer wrote it, with any group filled in."""

    category: str
    rank: int  # the category's place in the list: 0 is the most serious
    words: str  # without the trailing *
    star: bool


class _Trie:
    """Folded, collapsed phrases letter by letter, to make one fast regular expression."""

    __slots__ = ("children", "ends", "star")

    def __init__(self) -> None:
        self.children: dict[str, _Trie] = {}
        self.ends = False  # a phrase ends here
        self.star = False  # a phrase ending in * ends here

    def add(self, plain: str, star: bool) -> None:
        """Add one folded, collapsed phrase."""
        node = self
        for char in plain:
            node = node.children.setdefault(char, _Trie())
        if star:
            node.star = True
        else:
            node.ends = True

    def pattern(self) -> str:
        """This node as a regular expression; longer phrases are tried first."""
        options = [
            (" ?" if char == " " else _letters(char)) + child.pattern()
            for char, child in sorted(self.children.items())
        ]
        if self.star:
            options.append(r"\w*")  # also covers a phrase without * that ends here
        elif self.ends:
            options.append(r"(?!\w)")
        return options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"


class PhraseList:
    """A compiled phrase list: one regular expression over whole words."""

    def __init__(
        self,
        categories: Mapping[str, Sequence[str]],
        *,
        short_forms: Mapping[str, str] | None = None,
        groups: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._short_forms: dict[str, str] = {}
        shorts = _Trie()
        for short, meaning in (short_forms or {}).items():
            plain, meaning = collapse(fold(short)), fold(meaning)
            if plain and meaning and _key(plain) not in self._short_forms:
                self._short_forms[_key(plain)] = meaning
                shorts.add(plain, star=False)
        self._short_pattern = re.compile(" " + shorts.pattern()) if shorts.children else None

        self._entries: list[_Entry] = []
        self._exact: dict[str, _Entry] = {}  # by _exact_key: "burnt themselves"
        self._loose: dict[str, _Entry] = {}  # by _key: "burnthemselves" (either one)
        self._stars: dict[str, _Entry] = {}
        trie = _Trie()
        for rank, (category, phrases) in enumerate(categories.items()):
            for written in phrases:
                for phrase in _fill_groups(written.strip(), groups or {}):
                    entry = _Entry(category, rank, phrase.rstrip("*").strip(), phrase.endswith("*"))
                    plain = collapse(self.words(entry.words))
                    if not plain:
                        continue
                    self._entries.append(entry)
                    if entry.star:
                        self._stars.setdefault(_key(plain), entry)
                    else:
                        self._exact.setdefault(_exact_key(plain), entry)
                        self._loose.setdefault(_key(plain), entry)
                    trie.add(plain, entry.star)
        # Longest first, so "self harm*" wins over "self*" for "selfharming".
        self._star_keys = sorted(self._stars, key=len, reverse=True)
        # Every phrase starts after a space: find() puts one before the text.
        self._pattern = re.compile(" " + trie.pattern()) if trie.children else None

    def __len__(self) -> int:
        return len(self._entries)

    def phrases(self) -> list[tuple[str, str]]:
        """Every phrase with its category, groups filled in, as written (with any *)."""
        return [(e.category, e.words + ("*" if e.star else "")) for e in self._entries]

    def words(self, text: str) -> str:
        """The text folded, with short forms read as the words they stand for."""
        plain = fold(text)
        if self._short_pattern is None or not plain:
            return plain
        return self._short_pattern.sub(self._short_form, f" {plain} ").strip()

    def _short_form(self, found: re.Match[str]) -> str:
        return " " + self._short_forms[_key(found.group(0))]

    def find(self, text: str) -> Match | None:
        """The most serious phrase in the text (the first of its category), or None."""
        if self._pattern is None or not text:
            return None
        plain = f" {self.words(text)} "
        best: tuple[_Entry, str] | None = None
        seen: dict[str, tuple[_Entry, str]] = {}
        at = 0
        # The longest phrase at each word, overlaps too: in "do not want to be here any
        # more", "not want to be here any more" (suicide) starts inside "do not want to
        # be here" (distress).
        while (found := self._pattern.search(plain, at)) is not None:
            words = found.group(0)
            hit = seen.get(words)
            if hit is None:
                hit = seen[words] = self._entry_for(words)
            if best is None or hit[0].rank < best[0].rank:
                best = hit
                if best[0].rank == 0:
                    break
            at = found.start() + 1
        if best is None:
            return None
        entry, ending = best
        return Match(category=entry.category, phrase=(entry.words + ending)[:PHRASE_MAX])

    def _entry_for(self, words: str) -> tuple[_Entry, str]:
        """The phrase that matched these words, and the ending typed after a *."""
        key = _key(words)
        exact = self._exact.get(_exact_key(words)) or self._loose.get(key)
        if exact is not None:
            return exact, ""
        stem = next(k for k in self._star_keys if key.startswith(k))
        return self._stars[stem], key[len(stem) :]


def _fill_groups(phrase: str, groups: Mapping[str, Sequence[str]]) -> list[str]:
    """Every phrase a written phrase stands for: "{person}" becomes each word of that group."""
    found = _GROUP.search(phrase)
    if found is None:
        return [phrase]
    words = groups.get(found.group(1))
    if not words:
        raise ValueError(f"safeguarding phrase {phrase!r}: no group called {found.group(1)!r}")
    start, end = found.span()
    return [
        filled
        for word in words
        for filled in _fill_groups(phrase[:start] + str(word) + phrase[end:], groups)
    ]


def load_phrase_list(path: str | Path = PHRASES_FILE) -> PhraseList:
    """Read a phrase list file."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    short_forms = data.get("short_forms") or {}
    for short, meaning in short_forms.items():
        if not isinstance(short, str) or not isinstance(meaning, str):
            raise ValueError(f"short form {short!r}: {meaning!r} is not two texts (quote them)")
    return PhraseList(
        {str(k): _texts(v, f"category {k}") for k, v in data["categories"].items()},
        short_forms=short_forms,
        groups={str(k): _texts(v, f"group {k}") for k, v in (data.get("groups") or {}).items()},
    )


def _texts(items: object, where: str) -> list[str]:
    """A list of texts from the file; YAML reads a bare no, yes or 2 as something else."""
    if not isinstance(items, list):
        raise ValueError(f"{where}: expected a list of phrases")
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"{where}: {item!r} is not text (quote it)")
    return items


@lru_cache(maxsize=1)
def default_phrase_list() -> PhraseList:
    """The phrase list that ships with Voicebox (read once per process)."""
    return load_phrase_list()
