"""Answer matching: by number, words in any case and spacing, extra words, emoji."""

import pytest

from voicebox.bot.codes import candidate_codes
from voicebox.bot.matching import match_choice, normalize
from voicebox.bot.words import command_word
from voicebox.flows import load_builtin_flows

FLOWS = load_builtin_flows()
TOPIC = FLOWS["tops_and_pants"].step("topic")
FEELING = FLOWS["tops_and_pants"].step("feeling")
CONSENT = FLOWS["tops_and_pants"].step("consent")
MORE = FLOWS["tops_and_pants"].step("topic_more")
HEAR_BACK = FLOWS["four_cornerstones"].step("hear_back")

CASES = [
    # (step, typed, expected key or None)
    (TOPIC, "1", "school"),
    (TOPIC, " 2 ", "home"),
    (TOPIC, "3.", "health"),
    (TOPIC, "#4", "getting_around"),
    (TOPIC, "number 4", "getting_around"),
    (TOPIC, "two", "home"),
    (TOPIC, "School or college", "school"),
    (TOPIC, "  SCHOOL   OR   COLLEGE  ", "school"),
    (TOPIC, "school or college!", "school"),
    (TOPIC, "college", "school"),
    (TOPIC, "Getting Around", "getting_around"),
    (TOPIC, "getting around", "getting_around"),
    (TOPIC, "bus", "getting_around"),
    (TOPIC, "🏫", "school"),
    (TOPIC, "🏠", "home"),
    (TOPIC, "➡", "more_topics"),  # without the variation selector
    (TOPIC, "➡️", "more_topics"),
    (TOPIC, "2 Home", "home"),
    (TOPIC, "2.", "home"),
    (TOPIC, "#2", "home"),
    (TOPIC, "2)", "home"),
    (TOPIC, "\tHOME\n", "home"),
    (TOPIC, "gEtTiNg\u00a0  aRoUnD", "getting_around"),
    (TOPIC, "Ｈｏｍｅ", "home"),  # full-width letters, as some phone keyboards send
    (TOPIC, "TRANSPORT", "getting_around"),
    (TOPIC, "🏠\ufe0f", "home"),
    (TOPIC, "➡\ufe0e", "more_topics"),  # text-style variation selector
    (TOPIC, "1 2", None),
    (TOPIC, "2.5", None),
    (TOPIC, "home school", None),
    (TOPIC, "🏠🏫", None),
    (TOPIC, "🙂", None),  # an emoji of another question
    (TOPIC, "6", None),
    (TOPIC, "0", None),
    (TOPIC, "the moon", None),
    (TOPIC, "", None),
    (TOPIC, "   ", None),
    (TOPIC, "12", None),
    (FEELING, "OK", "ok"),
    (FEELING, "okay", "ok"),
    (FEELING, "not good", "not_good"),
    (FEELING, "Not Good.", "not_good"),
    (FEELING, "😢", "bad"),
    (FEELING, "🙂", "good"),
    (FEELING, "very good", "very_good"),
    (CONSENT, "yes", "yes"),
    (CONSENT, "Yes, that is OK", "yes"),
    (CONSENT, "YEAH", "yes"),
    (CONSENT, "y", "yes"),
    (CONSENT, "no thanks", "no"),
    (CONSENT, "N", "no"),
    (CONSENT, "✅", "yes"),
    (CONSENT, "❌", "no"),
    (CONSENT, "maybe", None),
    (CONSENT, "✅\ufe0f", "yes"),
    (CONSENT, "yes no", None),
    (HEAR_BACK, "Yes, tell me", "yes"),
    (HEAR_BACK, "2", "no"),
    (HEAR_BACK, "3", None),
    (MORE, "Clubs", "clubs_and_fun"),
    (MORE, "4", "go_back"),
    (MORE, "first list", "go_back"),
]


def _typed_id(typed: str) -> str:
    """The typed text as a plain ASCII id, other characters written as <U+XXXX>.

    pytest escapes non-ASCII ids again each time it collects a module in one process,
    and mutmut collects twice, so such ids would not be found on the second run.
    """
    return (
        "".join(ch if ch.isascii() and ch.isprintable() else f"<U+{ord(ch):04X}>" for ch in typed)
        or "<empty>"
    )


@pytest.mark.parametrize(("step", "typed", "expected"), CASES, ids=[_typed_id(c[1]) for c in CASES])
def test_match_choice(step, typed, expected):
    """Each way of answering picks the right choice, or none."""
    found = match_choice(step, typed)
    assert (found.key if found else None) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("STOP", "stop"),
        ("stop", "stop"),
        (" Stop. ", "stop"),
        ("STOPALL", "stop"),
        ("unsubscribe", "stop"),
        ("Cancel", "stop"),
        ("end", "stop"),
        ("QUIT", "stop"),
        ("start", "start"),
        ("UNSTOP", "start"),
        ("help", "help"),
        ("HELP!", "help"),
        ("skip", "skip"),
        ("Skip", "skip"),
        ("back", "back"),
        ("go back", "back"),
        ("please stop talking about school", None),
        ("stop it they hit me", None),
        ("yes", None),
        ("", None),
        ("stopp", None),
    ],
)
def test_command_words_only_alone(typed, expected):
    """Words that work anywhere count only when they are the whole message."""
    assert command_word(typed) == expected


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        ("DEMO", ["DEMO"]),
        ("demo", ["DEMO"]),
        ("join demo", ["DEMO"]),
        ("JOIN  Demo!", ["DEMO"]),
        ("hi", ["HI"]),
        ("", []),
        ("🙂", []),
    ],
)
def test_candidate_codes(typed, codes):
    """Join codes are found in any case, with or without JOIN."""
    assert candidate_codes(typed) == codes


def test_normalize():
    """Case, punctuation and spacing do not matter; apostrophes vanish."""
    assert normalize("  Don't   STOP!! ") == "dont stop"
