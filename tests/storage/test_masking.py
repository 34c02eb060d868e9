"""Masking what could identify a young person in typed text: the quick way past text with
no digit and no @ hides exactly what every pattern would."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from voicebox.storage.masking import _PATTERNS, has_hidden, mask


def _every_pattern(text: str) -> str:
    for label, pattern in _PATTERNS:
        text = pattern.sub(label, text)
    return text


@given(st.text(alphabet=st.sampled_from("ab AB1 2@.+-()SW1A_é٣")))
def test_the_quick_way_changes_nothing(text):
    """Whatever the text, mask() gives what running every pattern gives."""
    assert mask(text) == _every_pattern(text)


def test_what_is_hidden():
    """Phone numbers, emails, postcodes and long numbers go; ordinary words stay."""
    typed = "Ring 07700 900123, mail jo.b@example.org, I live at SW1A 1AA, ref 12345678."
    assert mask(typed) == (
        "Ring [phone number], mail [email address], I live at [postcode], ref [number]."
    )
    assert mask("Year 11 is good") == "Year 11 is good"
    assert has_hidden(typed) and not has_hidden("kind teachers")
