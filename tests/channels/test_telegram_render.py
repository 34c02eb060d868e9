"""Telegram's rendering and button data, as pure functions: every flow's buttons fit
Telegram's limits, carry nothing readable about the question, and read back right."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import InlineKeyboardMarkup

from voicebox.bot.engine import question_message
from voicebox.bot.messages import ChoiceOption, OutboundMessage, joined
from voicebox.channels.telegram import callbacks
from voicebox.channels.telegram.render import (
    DONE,
    MAX_TEXT,
    TICK,
    answered_line,
    answered_text,
    render,
    split_text,
    telegram_length,
    ticked_keys,
    toggled,
)
from voicebox.flows import load_builtin_flows

FLOWS = load_builtin_flows()
QUESTIONS = [
    (flow.id, step) for flow in FLOWS.values() for step in flow.steps.values() if step.is_question
]
TAGS = callbacks.StepTags(step.id for _flow, step in QUESTIONS)
CONSENT = frozenset(step.id for _flow, step in QUESTIONS if step.type == "consent")


def _data(markup: InlineKeyboardMarkup | None) -> list[str]:
    assert markup is not None
    return [str(b.callback_data) for row in markup.inline_keyboard for b in row]


@pytest.mark.parametrize(("flow_id", "step"), QUESTIONS, ids=lambda v: getattr(v, "id", v))
def test_every_question_of_every_flow_renders_within_telegram_limits(flow_id, step):
    """One button a row, each with its symbol and words; data at most 64 bytes that reads
    back to the same step and key, and does not show the step's name."""
    message = question_message(step, "school", buttons=True)
    pieces = render(message, CONSENT)
    assert all(0 < telegram_length(piece.text) <= MAX_TEXT for piece in pieces)
    keyboard = pieces[-1].keyboard
    assert keyboard is not None and all(piece.keyboard is None for piece in pieces[:-1])
    rows = keyboard.inline_keyboard
    for option, row in zip(message.choices, rows, strict=False):
        assert len(row) == 1
        assert row[0].text == f"{option.emoji} {option.words}".strip()
        assert option.emoji and option.words in row[0].text  # a picture and a word
    for data in _data(keyboard):
        assert callbacks.fits(data), data
        assert step.id not in data.split(".")  # the step's own name is not in it
        assert TAGS.read(data).kind != "unknown"
    read = [TAGS.read(data) for data in _data(keyboard)[: len(message.choices)]]
    assert all(press.step_id == step.id for press in read)
    assert [press.key for press in read] == [option.key for option in message.choices]


def test_a_question_shows_back_skip_help_and_stop_and_consent_only_help():
    consent = next(step for _f, step in QUESTIONS if step.type == "consent")
    asked = next(step for _f, step in QUESTIONS if step.type == "choice")
    texts = [b.text for row in render(question_message(asked, None, True), CONSENT)[-1]
             .keyboard.inline_keyboard for b in row]  # fmt: skip
    assert [t.split()[-1] for t in texts[-4:]] == ["Back", "Skip", "Help", "Stop"]
    consent_texts = [b.text for row in render(question_message(consent, None, True), CONSENT)[-1]
                     .keyboard.inline_keyboard for b in row]  # fmt: skip
    assert consent_texts[-1].endswith("Help")
    assert not any(t.endswith(("Skip", "Stop", "Back")) for t in consent_texts)


def test_a_message_with_nothing_to_answer_has_no_buttons():
    pieces = render(OutboundMessage("Thank you. That is the end.", purpose="end"))
    assert [(p.text, p.keyboard) for p in pieces] == [("Thank you. That is the end.", None)]


def test_a_free_text_question_has_the_controls_but_no_choices():
    step = next(step for _f, step in QUESTIONS if step.type == "text")
    keyboard = render(question_message(step, None, True), CONSENT)[-1].keyboard
    assert [TAGS.read(d).kind for d in _data(keyboard)] == ["command"] * 4


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=12_000))
def test_long_texts_split_under_the_limit_and_lose_only_spaces_at_cuts(text):
    pieces = split_text(text)
    assert all(telegram_length(piece) <= MAX_TEXT for piece in pieces)
    assert all(piece for piece in pieces)
    if text.strip():
        assert "".join("".join(p.split()) for p in pieces) == "".join(text.split())


def test_a_long_text_is_cut_at_a_paragraph_and_the_buttons_go_on_the_last_piece():
    paragraph = ("Words " * 500).strip()  # 2,999 characters
    step = next(step for _f, step in QUESTIONS if step.type == "choice")
    message = question_message(step, None, True)
    long = OutboundMessage(f"{paragraph}\n\n{paragraph}\n\n{message.text}", message.choices,
                           message.step_id, message.expects)  # fmt: skip
    pieces = render(long, CONSENT)
    assert [p.text for p in pieces] == [paragraph, f"{paragraph}\n\n{message.text}"]
    assert pieces[0].keyboard is None and pieces[-1].keyboard is not None


def test_emoji_count_twice_as_telegram_counts_them():
    text = "🙂" * 3000  # 6,000 UTF-16 code units
    pieces = split_text(text)
    assert [telegram_length(p) for p in pieces] == [4096, 6000 - 4096]
    assert "".join(pieces) == text


def _cards_keyboard():
    step = next(step for _f, step in QUESTIONS if step.type == "cards")
    return step, render(question_message(step, None, True), CONSENT)[-1].keyboard


def test_a_card_ticks_and_unticks_in_place_and_done_reads_the_ticks():
    step, keyboard = _cards_keyboard()
    tag = callbacks.step_tag(step.id)
    first, third = step.choices[0], step.choices[2]
    assert ticked_keys(keyboard, tag) == []
    once = toggled(keyboard, callbacks.card_data(step.id, first.key, tick=True))
    twice = toggled(once, callbacks.card_data(step.id, third.key, tick=True))
    assert ticked_keys(twice, tag) == [first.key, third.key]
    assert twice.inline_keyboard[0][0].text.startswith(TICK)
    assert not twice.inline_keyboard[1][0].text.startswith(TICK)
    # The same press delivered twice leaves the same ticks: the old data is gone.
    assert toggled(twice, callbacks.card_data(step.id, first.key, tick=True)) is None
    back = toggled(twice, callbacks.card_data(step.id, first.key, tick=False))
    assert ticked_keys(back, tag) == [third.key]
    assert back.inline_keyboard[0][0].text == keyboard.inline_keyboard[0][0].text
    assert DONE in [b.text for row in back.inline_keyboard for b in row]


@pytest.mark.parametrize(
    "data",
    ["", "x", "c", "c.", "c.AAAAAAAA.school", "k.dance", "t.{tag}.a.2", "d.{tag}.x", "c.{tag}."],
)
def test_button_data_we_did_not_write_reads_as_unknown(data):
    step, _keyboard = _cards_keyboard()
    assert TAGS.read(data.format(tag=callbacks.step_tag(step.id))) == callbacks.UNKNOWN


def test_the_answered_line_shows_the_answer_with_its_symbol():
    school = ChoiceOption(1, "school", "School or college", "🏫")
    home = ChoiceOption(2, "home", "Home", "🏠")
    assert answered_line(school, (), None) == "Your answer: 🏫 School or college"
    assert answered_line(None, (school, home), None) == "Your answer: 🏫 School or college, 🏠 Home"
    assert answered_line(None, (), "skip") == "You pressed Skip."
    assert answered_line(None, (), None) == ""
    assert (
        answered_text("Which part?", "Your answer: 🏠 Home")
        == "Which part?\n\nYour answer: 🏠 Home"
    )
    assert answered_text("x" * MAX_TEXT, "Your answer: 🏠 Home") is None  # too long: as it was
    assert answered_text(None, "Your answer: 🏠 Home") is None


def test_replies_join_into_one_message_up_to_the_question_and_the_limit():
    step = next(step for _f, step in QUESTIONS if step.type == "choice")
    question = question_message(step, None, True)
    thanks = OutboundMessage("Thank you.")
    end = OutboundMessage("Bye.", purpose="end")
    one = joined([thanks, question], MAX_TEXT)
    assert len(one) == 1 and one[0].text == f"Thank you.\n\n{question.text}"
    assert one[0].choices == question.choices and one[0].step_id == step.id
    # Nothing joins onto a question; past the limit a new message starts.
    assert joined([question, end], MAX_TEXT) == (question, end)
    long = OutboundMessage("x" * (MAX_TEXT - len(question.text)))
    assert joined([long, question], MAX_TEXT) == (long, question)
    assert joined([], MAX_TEXT) == ()
