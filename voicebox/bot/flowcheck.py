"""`voicebox flows check`: structure, Easy Read language and SMS rendering of flows."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType

import yaml

from voicebox.bot import replies as engine_replies
from voicebox.bot.engine import MAX_ANSWER_CHARS, question_message, render_text
from voicebox.bot.gsm7 import SEGMENT_LENGTH, gsm7_length, non_gsm7
from voicebox.bot.matching import choice_index, normalize
from voicebox.bot.words import command_word
from voicebox.flows import (
    Flow,
    FlowError,
    Problem,
    Step,
    builtin_flow_paths,
    load_flow,
    structural_problems,
)
from voicebox.flows.structure import MAX_CHOICES

JARGON_FILE = Path(__file__).parent / "data" / "jargon.yaml"
MAX_SENTENCE_WORDS = 15
MAX_SENTENCES = 3
# Words a person types to Voicebox; messages may show them in capitals.
CONTROL_WORDS = frozenset({"STOP", "START", "SKIP", "HELP", "BACK", "YES", "NO", "OK"})
# Commands the engine takes before it looks at the choices (START only matters after STOP).
_SHADOWING_COMMANDS = frozenset({"stop", "help", "skip", "back"})
# How replies.py placeholders are filled in: words for the language rules, and the
# longest value each can take for the SMS length rule (a join code has at most 32 characters).
REPLY_SAMPLES = {"code": "DEMO", "count": str(MAX_CHOICES), "limit": f"{MAX_ANSWER_CHARS:,}"}
REPLY_LONGEST = {**REPLY_SAMPLES, "code": "X" * 32}

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


def _quote(sentence: str) -> str:
    words = sentence.split()
    shown = " ".join(words[:_QUOTED_WORDS])
    return f'"{shown} ..."' if len(words) > _QUOTED_WORDS else f'"{shown}"'


def _topic_note(about: str | None) -> str:
    return f" when the topic is '{about}'" if about else ""


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
                f"sentence {_quote(sentence)} has {count} words; {MAX_SENTENCE_WORDS} is the most"
            )
    return found + word_problems(text, words)


def sms_problems(text: str) -> list[str]:
    """Problems sending this text as one plain SMS: characters outside GSM-7, or too long."""
    found: list[str] = []
    bad = non_gsm7(text)
    if bad:
        shown = ", ".join(f"'{ch}' (U+{ord(ch):04X})" for ch in bad)
        found.append(f"SMS text has characters GSM-7 cannot send: {shown}")
    length = gsm7_length(text)
    if length > SEGMENT_LENGTH:
        found.append(f"SMS text is {length} characters; {SEGMENT_LENGTH} is the most")
    return found


def topic_phrases(flow: Flow) -> list[str]:
    """Every phrase a choice of the flow can put into {topic}, in file order."""
    found: list[str] = []
    for step in flow.steps.values():
        for choice in step.choices:
            if choice.topic and choice.topic not in found:
                found.append(choice.topic)
    return found


def _abouts(flow: Flow, step: Step) -> list[str | None]:
    """How a step can be filled in: no topic (the default words), then every topic."""
    if "{topic}" not in step.full_text:
        return [None]
    return [None, *topic_phrases(flow)]


def _step_text_problems(flow: Flow, step: Step) -> list[str]:
    """Language rules on what the step says, for every topic it can name."""
    found = language_problems(render_text(step.full_text, None))
    worst: dict[int, tuple[int, str, str | None]] = {}
    for about in _abouts(flow, step)[1:]:
        for index, sentence in enumerate(sentences(render_text(step.full_text, about))):
            count = word_count(sentence)
            if count > worst.get(index, (MAX_SENTENCE_WORDS, "", None))[0]:
                worst[index] = (count, sentence, about)
    default = sentences(render_text(step.full_text, None))
    for index, (count, sentence, about) in sorted(worst.items()):
        if index < len(default) and word_count(default[index]) > MAX_SENTENCE_WORDS:
            continue  # already said for the default words
        found.append(
            f"sentence {_quote(sentence)} has {count} words{_topic_note(about)}; "
            f"{MAX_SENTENCE_WORDS} is the most"
        )
    return found


def _choice_problems(step: Step) -> list[str]:
    """Language rules on choice words and topics, and words that can never pick a choice."""
    found: list[str] = []
    index = choice_index(step)
    emoji_owner: dict[str, str] = {}
    for choice in step.choices:
        label = f"choice '{choice.key}'"
        if choice.words:
            found += [f"{label} {message}" for message in language_problems(choice.words)]
        if choice.topic:
            found += [f"{label} topic {message}" for message in word_problems(choice.topic)]
        for written in (choice.words, *choice.also):
            form = normalize(written)
            if not form:
                continue
            command = command_word(form)
            if command in _SHADOWING_COMMANDS:
                found.append(
                    f"{label}: typing '{written}' means {command.upper()} everywhere, "
                    "so it never picks this choice"
                )
            elif index.get(form) is not None and index[form].key != choice.key:
                found.append(
                    f"{label}: typing '{written}' picks choice '{index[form].key}' instead"
                )
        if choice.symbol and choice.symbol.emoji:
            owner = emoji_owner.setdefault(choice.symbol.emoji, choice.key)
            if owner != choice.key:
                found.append(f"{label} has the same emoji as choice '{owner}'")
    return found


def _sms_step_problems(flow: Flow, step: Step) -> list[str]:
    """What SMS would send for this step (numbered options), for every topic it can name."""
    found: list[str] = []
    longest: tuple[int, str | None] = (0, None)
    for about in _abouts(flow, step):
        text = question_message(step, about).as_text()
        bad = non_gsm7(text)
        if bad and not found:
            shown = ", ".join(f"'{ch}' (U+{ord(ch):04X})" for ch in bad)
            found.append(f"SMS text has characters GSM-7 cannot send: {shown}{_topic_note(about)}")
        length = gsm7_length(text)
        if length > longest[0]:
            longest = (length, about)
    if longest[0] > SEGMENT_LENGTH:
        found.append(
            f"SMS text is {longest[0]} characters{_topic_note(longest[1])}; "
            f"{SEGMENT_LENGTH} is the most"
        )
    return found


def check_flow(flow: Flow) -> list[Problem]:
    """Every problem in a flow: structure, then each step's language and SMS text."""
    where = flow.source or flow.id
    # The same structural lines that refuse the flow at load time; a broken exit is said
    # once, not again for every step it cuts off (the rule is in flows/structure.py).
    problems = structural_problems(flow)
    seen = {str(problem) for problem in problems}
    for step in flow.steps.values():
        messages = _step_text_problems(flow, step) if step.text else []
        messages += _choice_problems(step)
        messages += _sms_step_problems(flow, step)
        for message in messages:
            problem = Problem(where, step.id, message)
            if str(problem) not in seen:
                seen.add(str(problem))
                problems.append(problem)
    return problems


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def check_replies(module: ModuleType = engine_replies) -> list[Problem]:
    """The engine's own words (replies.py) against the same language and SMS rules."""
    where = f"{module.__name__.replace('.', '/')}.py"
    problems: list[Problem] = []
    for name, value in vars(module).items():
        if not name.isupper() or name.startswith("_") or not isinstance(value, str):
            continue
        unknown = _placeholders(value) - REPLY_SAMPLES.keys()
        if unknown:
            names = ", ".join("{" + field + "}" for field in sorted(unknown))
            problems.append(Problem(where, None, f"{name}: the checker cannot fill in {names}"))
            continue
        messages = language_problems(value.format(**REPLY_SAMPLES))
        messages += sms_problems(value.format(**REPLY_LONGEST))
        problems += [Problem(where, None, f"{name}: {message}") for message in messages]
    return problems


def reply_problems() -> list[str]:
    """Problems in the engine's replies, one line each."""
    return [str(problem) for problem in check_replies()]


def _is_builtin(path: Path) -> bool:
    try:
        resolved = path.resolve()
    except OSError:
        return False
    return any(resolved == builtin.resolve() for builtin in builtin_flow_paths())


def check_files(paths: Iterable[str | Path], with_replies: bool | None = None) -> list[str]:
    """Check flow files (and the engine's replies with built-ins); one line per problem."""
    # The replies ship with the built-in flows, so they are checked with them by default.
    lines: list[str] = []
    paths = [Path(path) for path in paths]
    for path in paths:
        try:
            # Unchecked: a structural problem would refuse the flow, and here every
            # problem is listed, structure and words alike.
            flow = load_flow(path, check=False)
        except FlowError as error:
            lines.append(str(error))
            continue
        lines.extend(str(problem) for problem in check_flow(flow))
    if with_replies is None:
        with_replies = any(_is_builtin(path) for path in paths)
    if with_replies:
        lines.extend(reply_problems())
    return lines
