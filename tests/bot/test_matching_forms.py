"""More ways people answer a choice: numbers written out or with a word before them, keys,
apostrophes, accents, emoji with spaces, and which choice wins when two share a word."""

from __future__ import annotations

import pytest

from voicebox.bot.matching import choice_index, match_choice, normalize
from voicebox.flows import Choice, Step, load_builtin_flows
from voicebox.flows.loader import parse_flow

FLOWS = load_builtin_flows()
TOPIC = FLOWS["tops_and_pants"].step("topic")
MORE = FLOWS["tops_and_pants"].step("topic_more")
HEAR_BACK = FLOWS["tops_and_pants"].step("hear_back")

SIX = """\
id: six
version: 1
start: pick
steps:
  - id: pick
    choice: Which one?
    next: bye
    choices:
{choices}  - id: bye
    end: Thank you.
"""
SIX_KEYS = ["red", "orange", "yellow", "green", "blue", "purple"]
SIX_EMOJI = ["🟥", "🟧", "🟨", "🟩", "🟦", "🟪"]


def _choices_step(choices: list[tuple[str, str, list[str]]]) -> Step:
    """A checked choice step with these (key, words, also) choices, each with a symbol."""
    text = "".join(
        f'      - key: {key}\n        words: "{words}"\n        also: {also}\n'
        f'        symbol: {{emoji: "{SIX_EMOJI[n]}", picture: {key}}}\n'
        for n, (key, words, also) in enumerate(choices)
    )
    return parse_flow(SIX.format(choices=text)).step("pick")


PICK = _choices_step([(key, key.capitalize(), []) for key in SIX_KEYS])


def _key(step: Step, typed: str) -> str | None:
    found = match_choice(step, typed)
    return found.key if found else None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("one", "red"),
        ("Two", "orange"),
        ("THREE", "yellow"),
        ("four.", "green"),
        ("Five!", "blue"),
        ("six", "purple"),
        (" Six ", "purple"),
        ("seven", None),
        ("6", "purple"),
        ("7", None),
    ],
)
def test_numbers_as_words_up_to_six(typed, expected):
    """'one' to 'six' pick by place, like the digits; there is no seventh choice."""
    assert _key(PICK, typed) == expected


def test_a_number_word_past_the_last_choice_picks_nothing():
    """'five' on a question with two choices is not an answer."""
    assert _key(HEAR_BACK, "five") is None
    assert _key(HEAR_BACK, "two") == "no"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("option 3", "health"),
        ("Option 3", "health"),
        ("OPTION  3", "health"),
        ("option 5", "more_topics"),
        ("number 2", "home"),
        ("Number 1", "school"),
        ("no. 2", "home"),
        ("No.2", "home"),
        ("No 4", "getting_around"),
        ("# 3", "health"),
        ("02", "home"),
        ("option 02", "home"),
        ("3:", "health"),
        ("4)", "getting_around"),
        ("option 6", None),
        ("option", None),
        ("option three", None),
        ("choice 3", None),
        ("number 23", None),
        ("100", None),
    ],
)
def test_a_number_with_a_word_before_it(typed, expected):
    """'option 3', 'number 2', 'no. 2' and '#3' pick by place; a leading 0 is allowed."""
    assert _key(TOPIC, typed) == expected


@pytest.mark.parametrize(
    ("step", "typed", "expected"),
    [
        (TOPIC, "more topics", "more_topics"),
        (TOPIC, "MORE TOPICS", "more_topics"),
        (MORE, "go back", "go_back"),
        (MORE, "people who help", "people_who_help"),
        (MORE, "4 back to the first list", "go_back"),
    ],
)
def test_a_choice_is_also_its_key_and_its_number_with_words(step, typed, expected):
    """The key (with spaces for _) works, and so does the number followed by the words."""
    assert _key(step, typed) == expected


APOSTROPHES = _choices_step([("dont_know", "I don't know", []), ("sure", "I'm sure", ["certain"])])


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("I don't know", "dont_know"),
        ("I don\u2019t know", "dont_know"),  # the curly apostrophe phones put in
        ("i dont know", "dont_know"),
        ("I\u2019m sure", "sure"),
        ("im sure", "sure"),
        ("I m sure", None),
    ],
)
def test_apostrophes_of_either_kind_vanish(typed, expected):
    """Straight and curly apostrophes are left out, so 'don’t' and 'dont' are the same."""
    assert _key(APOSTROPHES, typed) == expected


def test_normalize_keeps_accented_letters_whole():
    """An accented letter stays one letter (Welsh and French words keep working)."""
    assert normalize("Caf\u00e9!") == "caf\u00e9"
    assert normalize("Cafe\u0301") == "caf\u00e9"  # e and a combining accent: one letter
    assert normalize("Stra\u00dfe") == "strasse"  # casefold, not just lower case
    assert normalize("don\u2019t") == "dont"


def test_emoji_with_spaces_around_it():
    """An emoji answer may come with spaces or a new line around it."""
    assert _key(TOPIC, " \U0001f3e0 ") == "home"
    assert _key(TOPIC, "\U0001f3eb\n") == "school"
    assert _key(PICK, "\U0001f7ea") == "purple"


def test_words_beat_extra_words_and_the_first_choice_wins():
    """When two choices share a form: a choice's own words beat another's extra words,
    and between extra words the first choice wins (flows check warns about both)."""
    step = _choices_step(
        [
            ("good", "Good", ["fine", "ok"]),
            ("fine", "Fine", []),
            ("ok_really", "OK really", ["ok"]),
        ]
    )
    assert _key(step, "fine") == "fine"
    assert _key(step, "ok") == "good"
    assert _key(step, "ok really") == "ok_really"
    index = choice_index(step)
    assert (index["fine"].key, index["ok"].key, index["1"].key) == ("fine", "good", "good")
    assert "" not in index


def test_a_prebuilt_index_gives_the_same_answers():
    """The engine passes an index built once per step: answers are the same with it."""
    index = choice_index(TOPIC)
    for typed in ("1", "home", "bus", "\U0001f3eb", "option 3", "two", "the moon"):
        assert match_choice(TOPIC, typed, index) == match_choice(TOPIC, typed), typed


def test_a_choice_with_no_symbol_is_still_matched_by_words_and_number():
    """A flow read without checks may have a choice with no symbol: matching still works."""
    step = Step(
        id="ask",
        type="choice",
        text="Which?",
        next="bye",
        choices=(
            Choice(key="tea", words="Tea"),
            Choice(key="coffee", words="Coffee", also=("latte",)),
        ),
    )
    assert _key(step, "coffee") == "coffee"
    assert _key(step, "Latte") == "coffee"
    assert _key(step, "1") == "tea"
    assert _key(step, "\u2615") is None
