"""Every word that works at any point (STOP, START, HELP, SKIP, BACK) and YES after STOP."""

from __future__ import annotations

import pytest

from voicebox.bot.words import (
    BACK_WORDS,
    HELP_WORDS,
    SKIP_WORDS,
    START_WORDS,
    STOP_WORDS,
    command_word,
    is_yes,
)

EVERY_WORD = [
    *((word, "stop") for word in sorted(STOP_WORDS)),
    *((word, "start") for word in sorted(START_WORDS)),
    *((word, "help") for word in sorted(HELP_WORDS)),
    *((word, "skip") for word in sorted(SKIP_WORDS)),
    *((word, "back") for word in sorted(BACK_WORDS)),
]


@pytest.mark.parametrize(("word", "command"), EVERY_WORD, ids=[w for w, _ in EVERY_WORD])
def test_every_command_word_gives_its_command(word, command):
    """Each listed word, alone, is its command, in capitals or with a full stop too."""
    assert command_word(word) == command
    assert command_word(word.upper()) == command
    assert command_word(f" {word.capitalize()}. ") == command


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("pass", "skip"),
        ("Pass!", "skip"),
        ("next question", "skip"),
        ("Next   Question.", "skip"),
        ("next-question", "skip"),
        ("undo", "back"),
        ("UNDO", "back"),
        ("go back", "back"),
        ("Go back!", "back"),
        ("info", "help"),
        ("Info?", "help"),
    ],
)
def test_the_less_common_words(typed, command):
    """'pass' and 'next question' skip, 'undo' goes back, 'info' is help."""
    assert command_word(typed) == command


@pytest.mark.parametrize(
    "typed",
    [
        "next",  # a choice's extra word in tops_and_pants ("More choices")
        "question",
        "pass it on",
        "skip this one",
        "go",
        "back to the first list",  # a choice's words in tops_and_pants
        "helpful",
        "starting",
        "",
        "   ",
        "!!!",
        "\U0001f6d1",
    ],
)
def test_words_that_are_not_commands(typed):
    """Only the whole message counts: part of a command, or a longer message, is an answer."""
    assert command_word(typed) is None


def test_the_word_sets_do_not_overlap():
    """A word means one command: none is in two sets."""
    sets = [STOP_WORDS, START_WORDS, HELP_WORDS, SKIP_WORDS, BACK_WORDS]
    every = [word for words in sets for word in words]
    assert len(every) == len(set(every))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("yes", True),
        ("YES", True),
        ("Yes!", True),
        (" yes. ", True),
        ("y", False),
        ("yeah", False),
        ("yes please", False),
        ("no", False),
        ("start", False),
        ("", False),
        ("yess", False),
    ],
)
def test_is_yes_only_for_the_word_yes(typed, expected):
    """After STOP, YES alone starts again (as carriers do); nothing else counts as YES."""
    assert is_yes(typed) is expected
