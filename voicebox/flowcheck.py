"""`voicebox flows check`: structure, Easy Read language, and how each step fits every
channel. It sits above the channels so it asks each one (SMS: the very packer the webhook
uses) whether a step fits, and the check and the real messages can never drift apart."""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from voicebox.bot import replies as engine_replies
from voicebox.bot.easyread import (
    MAX_SENTENCE_WORDS,
    language_problems,
    quote,
    sentences,
    word_count,
    word_problems,
)
from voicebox.bot.engine import (
    EARLIER_CHARS,
    MAX_ABOUT_WORDS,
    MAX_ANSWER_CHARS,
    question_message,
    render_text,
)
from voicebox.bot.matching import choice_index, normalize
from voicebox.bot.messages import OutboundMessage
from voicebox.bot.words import command_word
from voicebox.channels.base import Channel, Fit
from voicebox.channels.registry import build_channels
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

# Commands the engine takes before it looks at the choices (START only matters after STOP).
_SHADOWING_COMMANDS = frozenset({"stop", "help", "skip", "back"})
# How replies.py placeholders are filled in: words for the language rules, and the
# longest value each can take for the length rules (a join code has at most 32 characters).
REPLY_SAMPLES = {
    "code": "DEMO",
    "count": str(MAX_CHOICES),
    "limit": f"{MAX_ANSWER_CHARS:,}",
    "answer": "School or college",
    "day": "Monday 7 December",
}
# The longest day a check-in can open on (storage/schedule.py's day_words).
REPLY_LONGEST = {
    **REPLY_SAMPLES,
    "code": "X" * 32,
    "answer": "x" * EARLIER_CHARS,
    "day": "Wednesday 30 September",
}


# A typed topic ("Something else", a `sets_topic` step) in questions is never longer than
# the default words, which every question is checked with; but it can have more words.
TYPED_ABOUT = " ".join(["xx"] * MAX_ABOUT_WORDS)


def _topic_note(about: str | None) -> str:
    if about == TYPED_ABOUT:
        return f" when the topic typed has {MAX_ABOUT_WORDS} words"
    return f" when the topic is '{about}'" if about else ""


@lru_cache(maxsize=1)
def _channels() -> Mapping[str, Channel]:
    """Every channel, set up or not: a flow must fit them all (made once)."""
    return build_channels({})


def _bad_characters(fit: Fit, about: str | None = None) -> str:
    shown = ", ".join(f"'{ch}' (U+{ord(ch):04X})" for ch in fit.bad_characters)
    return f"{fit.label} has characters {fit.charset} cannot send: {shown}{_topic_note(about)}"


def _too_long(fit: Fit, about: str | None = None) -> str:
    return f"{fit.label} is {fit.length} characters{_topic_note(about)}; {fit.limit} is the most"


def message_problems(message: OutboundMessage) -> list[str]:
    """How one message fails to fit any channel: characters it cannot carry, or length."""
    found: list[str] = []
    for channel in _channels().values():
        fit = channel.fit(message)
        if fit is None:
            continue
        if fit.bad_characters:
            found.append(_bad_characters(fit))
        if fit.over:
            found.append(_too_long(fit))
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
    typed = [TYPED_ABOUT] if any(each.sets_topic for each in flow.steps.values()) else []
    return [None, *topic_phrases(flow), *typed]


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
            f"sentence {quote(sentence)} has {count} words{_topic_note(about)}; "
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


def _channel_step_problems(flow: Flow, step: Step) -> list[str]:
    """What each channel would send for this step, for every topic it can name."""
    found: list[str] = []
    for channel in _channels().values():
        bad: str | None = None
        longest: tuple[Fit, str | None] | None = None
        for about in _abouts(flow, step):
            fit = channel.fit(question_message(step, about))
            if fit is None:
                break
            if fit.bad_characters and bad is None:
                bad = _bad_characters(fit, about)
            if fit.over and (longest is None or fit.length > longest[0].length):
                longest = (fit, about)
        found += [bad] if bad else []
        found += [_too_long(*longest)] if longest else []
    return found


def check_flow(flow: Flow) -> list[Problem]:
    """Every problem in a flow: structure, then each step's language and channel fit."""
    where = flow.source or flow.id
    # The same structural lines that refuse the flow at load time; a broken exit is said
    # once, not again for every step it cuts off (the rule is in flows/structure.py).
    problems = structural_problems(flow)
    seen = {str(problem) for problem in problems}
    for step in flow.steps.values():
        messages = _step_text_problems(flow, step) if step.text else []
        messages += _choice_problems(step)
        messages += _channel_step_problems(flow, step)
        for message in messages:
            problem = Problem(where, step.id, message)
            if str(problem) not in seen:
                seen.add(str(problem))
                problems.append(problem)
    problems += [Problem(where, None, f"help: {message}") for message in _help_problems(flow)]
    return problems


def _help_problems(flow: Flow) -> list[str]:
    """The flow's `help:` sentence, as HELP says it: plain words, and the reply in one text."""
    if not flow.help:
        return []
    found = language_problems(flow.help)
    if len(sentences(flow.help)) > 1:
        found.append("must be one sentence: HELP goes on to say how to skip and stop")
    for buttons in (False, True):
        found += message_problems(OutboundMessage(engine_replies.help_words(flow.help, buttons)))
    return list(dict.fromkeys(found))


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def check_replies(module: ModuleType = engine_replies) -> list[Problem]:
    """The engine's own words (replies.py) against the same language and channel rules."""
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
        messages += message_problems(OutboundMessage(value.format(**REPLY_LONGEST)))
        problems += [Problem(where, None, f"{name}: {message}") for message in messages]
    return problems


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
    files = [Path(path) for path in paths]
    for path in files:
        try:
            # Unchecked: a structural problem would refuse the flow, and here every
            # problem is listed, structure and words alike.
            flow = load_flow(path, check=False)
        except FlowError as error:
            lines.append(str(error))
            continue
        lines.extend(str(problem) for problem in check_flow(flow))
    if with_replies is None:
        with_replies = any(_is_builtin(path) for path in files)
    if with_replies:
        lines.extend(str(problem) for problem in check_replies())
    return lines
