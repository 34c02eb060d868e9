"""`voicebox flows check`: structure, Easy Read language and SMS rendering of flows."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from voicebox.bot import replies
from voicebox.bot.engine import question_message, render_text
from voicebox.bot.gsm7 import SEGMENT_LENGTH, gsm7_length, non_gsm7
from voicebox.flows import Flow, FlowError, Problem, Step, load_flow, structural_problems

JARGON_FILE = Path(__file__).parent / "data" / "jargon.txt"
MAX_SENTENCE_WORDS = 15
MAX_SENTENCES = 3
CONTROL_WORDS = frozenset(
    {
        "STOP",
        "START",
        "SKIP",
        "HELP",
        "BACK",
        "YES",
        "NO",
        "OK",
        "END",
        "QUIT",
        "CANCEL",
        "UNSTOP",
        "UNSUBSCRIBE",
        "STOPALL",
        "DEMO",
    }
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:['\u2019-][A-Za-z0-9]+)*")
_ACRONYM = re.compile(r"\b[A-Z]{2,}\b")


@lru_cache(maxsize=1)
def jargon_words() -> tuple[str, ...]:
    """The jargon list, lower case, longest first."""
    lines = JARGON_FILE.read_text(encoding="utf-8").splitlines()
    words = {line.strip().lower() for line in lines if line.strip() and not line.startswith("#")}
    return tuple(sorted(words, key=len, reverse=True))


def sentences(text: str) -> list[str]:
    """Split text into sentences at . ! or ? followed by a space."""
    return [part.strip() for part in _SENTENCE_END.split(text.strip()) if part.strip()]


def word_count(sentence: str) -> int:
    """How many words a sentence has (numbers count as words)."""
    return len(_WORD.findall(sentence))


def language_problems(text: str) -> list[str]:
    """Easy Read problems in one message: long sentences, too many sentences, jargon."""
    found: list[str] = []
    parts = sentences(text)
    if len(parts) > MAX_SENTENCES:
        found.append(f"has {len(parts)} sentences in one message; {MAX_SENTENCES} is the most")
    for sentence in parts:
        words = word_count(sentence)
        if words > MAX_SENTENCE_WORDS:
            found.append(
                f'sentence has {words} words; {MAX_SENTENCE_WORDS} is the most: "{sentence}"'
            )
    lowered = f" {text.lower()} "
    for word in jargon_words():
        if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", lowered):
            if word == "send" and not re.search(r"\bSEND\b", text):
                continue  # "send" the verb is plain English; SEND the acronym is jargon
            found.append(f"uses the word '{word}', which young people may not know")
    for acronym in sorted(set(_ACRONYM.findall(text))):
        if acronym not in CONTROL_WORDS and acronym.lower() not in jargon_words():
            found.append(f"uses the acronym '{acronym}'; say it in plain words")
    return found


def sms_problems(text: str) -> list[str]:
    """Problems sending this text as one plain SMS: characters outside GSM-7, or too long."""
    found: list[str] = []
    bad = non_gsm7(text)
    if bad:
        shown = " ".join(f"'{ch}' (U+{ord(ch):04X})" for ch in bad)
        found.append(f"SMS text has characters outside GSM-7: {shown}")
    length = gsm7_length(text)
    if length > SEGMENT_LENGTH:
        found.append(f"SMS text is {length} characters; {SEGMENT_LENGTH} is the most")
    return found


def _topic_phrases(flow: Flow) -> list[str | None]:
    """Every way {topic} can be filled in, plus no topic at all."""
    phrases: list[str | None] = [None]
    phrases += sorted(set(flow.topics().values()), key=len, reverse=True)
    return phrases


def _step_texts(flow: Flow, step: Step) -> list[str]:
    if "{topic}" not in step.full_text:
        return [step.full_text]
    return list(dict.fromkeys(render_text(step.full_text, about) for about in _topic_phrases(flow)))


def check_flow(flow: Flow) -> list[Problem]:
    """Every problem in a flow: structure, language, and what SMS would send."""
    where = flow.source or flow.id
    problems = structural_problems(flow)
    for step in flow.steps.values():
        seen: set[str] = set()
        for text in _step_texts(flow, step):
            for message in language_problems(text):
                if message not in seen:
                    seen.add(message)
                    problems.append(Problem(where, step.id, message))
        for choice in step.choices:
            for message in language_problems(choice.words):
                problems.append(Problem(where, step.id, f"choice '{choice.key}' {message}"))
            if choice.words and word_count(choice.words) > 6:
                problems.append(
                    Problem(where, step.id, f"choice '{choice.key}' has more than 6 words")
                )
        if not step.text or any(p.step == step.id for p in problems if "not a step" in p.message):
            continue
        for about in _topic_phrases(flow) if "{topic}" in step.full_text else [None]:
            sms = question_message(step, about).as_text()
            for message in sms_problems(sms):
                if message not in seen:
                    seen.add(message)
                    problems.append(Problem(where, step.id, message))
    return problems


def reply_problems() -> list[str]:
    """Problems in the engine's own words (replies.py): the same language and SMS rules."""
    found: list[str] = []
    for name in dir(replies):
        if not name.isupper():
            continue
        text = getattr(replies, name).format(code="DEMO1234", count=6, limit="2,000")
        for message in language_problems(text) + sms_problems(text):
            found.append(f"voicebox/bot/replies.py: {name}: {message}")
    return found


def check_files(paths: Iterable[str | Path]) -> list[str]:
    """Check flow files; one line per problem (an empty list when all is well)."""
    lines: list[str] = []
    for path in paths:
        try:
            flow = load_flow(path)
        except FlowError as error:
            lines.append(str(error))
            continue
        lines.extend(str(problem) for problem in check_flow(flow))
    return lines
