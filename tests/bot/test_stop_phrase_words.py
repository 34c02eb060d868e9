"""Every stop phrase and filler word, written out: a changed word in words.py fails here."""

from __future__ import annotations

import pytest

from voicebox.bot.words import command_word, is_stop_phrase

# Written out here on purpose, not imported: the test must fail when a phrase changes.
PHRASES = [
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
]
FILLER = [
    "please", "pls", "plz", "can", "could", "you", "u", "just", "now", "ok", "okay",
    "thanks", "thank", "thx", "i", "id", "would", "like",
]  # fmt: skip
STOP_WORDS = ["stop", "stopall", "unsubscribe", "cancel", "end", "quit"]


@pytest.mark.parametrize("phrase", PHRASES)
def test_each_stop_phrase_stops(phrase):
    """Each phrase stops, as typed, in capitals, and with punctuation."""
    assert is_stop_phrase(phrase)
    assert is_stop_phrase(phrase.upper() + "!")


@pytest.mark.parametrize("word", FILLER)
def test_each_filler_word_is_taken_off(word):
    """A polite or filler word before and after the phrase still stops."""
    assert is_stop_phrase(f"{word} stop")
    assert is_stop_phrase(f"{word} want to quit {word}")


@pytest.mark.parametrize("word", STOP_WORDS)
def test_each_stop_word_stops_with_filler(word):
    """The stop words are stop phrases too, with polite words around them."""
    assert is_stop_phrase(f"please {word} thanks")
    assert command_word(word) == "stop"


@pytest.mark.parametrize(
    "typed",
    [
        "I want to leave",  # could be a call for help: not a stop phrase
        "end this",
        "stop hitting me",
        "please",
        "thanks",
        "",
        "   ",
        "no",
        "more",
    ],
)
def test_not_stop_phrases(typed):
    """Words that could mean something else, or only filler, do not stop."""
    assert not is_stop_phrase(typed)


def test_ten_words_can_stop_and_eleven_cannot():
    """A message of up to ten words can be a stop phrase; a longer one is an answer."""
    assert is_stop_phrase("please " * 9 + "stop")
    assert not is_stop_phrase("please " * 10 + "stop")


@pytest.mark.parametrize(
    ("typed", "command"),
    [("pass", "skip"), ("next question", "skip"), ("undo", "back"), ("unstop", "start")],
)
def test_command_words_written_out(typed, command):
    """The less common command words, written out rather than read from words.py."""
    assert command_word(typed) == command
    assert command_word(typed + " please") is None
