"""GSM-7 details a text message depends on: which characters are reported, what is left out,
and how many septets and segments a text costs."""

from __future__ import annotations

import pytest

from voicebox.channels.sms.gsm7 import gsm7_length, non_gsm7, segment_count, to_gsm7


def test_non_gsm7_lists_each_character_once_in_order():
    """flows check names every character a text cannot carry, once each, as they come."""
    assert non_gsm7("ça va 🙂, ça va ✓ {€}") == "ç🙂✓"


def test_non_gsm7_is_empty_for_basic_and_extended_characters():
    """Extended characters (two septets) can still be sent: they are not reported."""
    assert non_gsm7("Hello {world} [1] ~ | \\ ^ € @£$¥") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thanks \U0001f44d\U0001f3fd", "Thanks"),  # thumbs up, medium skin tone
        ("\U0001f44b\U0001f3ff hi", "hi"),  # waving hand, dark skin tone
        ("\U0001f3fb", ""),  # a skin tone on its own
    ],
    ids=["after-words", "before-words", "alone"],
)
def test_skin_tone_modifiers_are_left_out(text, expected):
    """A skin tone is a modifier symbol: left out with its emoji, not sent as '?'."""
    assert to_gsm7(text) == expected


@pytest.mark.parametrize(
    ("text", "septets"),
    [
        ("", 0),
        ("abc", 3),
        ("€", 2),
        ("{}", 4),
        ("a\fb", 4),  # form feed is an extended character
        ("é\n@", 3),
    ],
)
def test_gsm7_length_counts_extended_characters_twice(text, septets):
    """Each basic character is one septet; each extended one needs the escape, so two."""
    assert gsm7_length(text) == septets


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("a" * 158 + "€", 1),  # 160 septets
        ("a" * 159 + "€", 2),  # 161 septets: one extended character tips it over
        ("€" * 153, 2),  # 306 septets
        ("€" * 154, 3),  # 308 septets
        ("a" * 459, 3),
        ("a" * 460, 4),
    ],
    ids=["160-with-euro", "161-with-euro", "306-euros", "308-euros", "459", "460"],
)
def test_segment_count_at_the_edges(text, count):
    """Segments are counted in septets, not characters: 160 for one, then 153 a part."""
    assert segment_count(text) == count
