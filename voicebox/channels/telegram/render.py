"""The engine's messages as Telegram shows them: text in pieces under 4,096 characters,
then an inline keyboard with one button a row (the symbol and the words), cards that tick
in place, and the line a pressed message keeps once it is answered. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from voicebox.bot.messages import ChoiceOption, OutboundMessage
from voicebox.channels.telegram import callbacks

MAX_TEXT = 4096  # Telegram's limit on a message's text, in UTF-16 code units
TICK = "☑️"  # before a ticked card (no flow's symbol: they use ✅ and ✔️)
DONE = "👍 Done"  # the engine says "press Done"
# The buttons under a question, with the symbol and the word the engine knows them by.
CONTROLS = {"back": "⬅️ Back", "skip": "⏭️ Skip", "help": "❓ Help", "stop": "✋ Stop"}
PRESSED = {"back": "Back", "skip": "Skip", "help": "Help", "stop": "Stop"}


@dataclass(frozen=True)
class Outgoing:
    """One sendMessage: its text and its buttons (None for none)."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


def telegram_length(text: str) -> int:
    """A text's length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """The text in pieces Telegram takes, cut at a blank line, a line end or a space
    where one is near enough, never inside a character."""
    pieces: list[str] = []
    rest = text
    while telegram_length(rest) > limit:
        cut = _fit(rest, limit)
        for mark in ("\n\n", "\n", " "):
            at = rest.rfind(mark, 0, cut)
            if at > cut // 2:
                cut = at
                break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    return [piece for piece in pieces if piece.strip()] or [text[:1] or " "]


def _fit(text: str, limit: int) -> int:
    """How many characters of the text make at most `limit` UTF-16 code units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return max(1, index)
    return len(text)


def button_words(option: ChoiceOption) -> str:
    """A choice's button: its symbol, then its words."""
    return f"{option.emoji} {option.words}".strip()


def has_buttons(message: OutboundMessage) -> bool:
    """True when the message is a question, which Telegram shows with buttons under it."""
    return message.step_id is not None and message.expects in ("choice", "cards", "text")


def keyboard_for(
    message: OutboundMessage, consent_steps: frozenset[str]
) -> list[list[InlineKeyboardButton]]:
    """The buttons under a question: each choice or card on its own row, then Done under
    cards, then Back and Skip, Help and Stop (only Help before consent)."""
    step_id = message.step_id
    if step_id is None or not has_buttons(message):
        return []
    rows: list[list[InlineKeyboardButton]] = []
    for option in message.choices:
        if message.expects == "cards":
            data = callbacks.card_data(step_id, option.key, tick=True)
        else:
            data = callbacks.choice_data(step_id, option.key)
        rows.append([InlineKeyboardButton(button_words(option), callback_data=data)])
    if message.expects == "cards":
        rows.append([InlineKeyboardButton(DONE, callback_data=callbacks.done_data(step_id))])
    if step_id in consent_steps:
        rows.append([_control("help")])
    else:
        rows.append([_control("back"), _control("skip")])
        rows.append([_control("help"), _control("stop")])
    return rows


def _control(command: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(CONTROLS[command], callback_data=callbacks.command_data(command))


def render(message: OutboundMessage, consent_steps: frozenset[str] = frozenset()) -> list[Outgoing]:
    """One outbox message as sendMessage calls: the text's pieces, buttons on the last."""
    pieces = split_text(message.text or " ")
    rows = keyboard_for(message, consent_steps)
    keyboard = InlineKeyboardMarkup(rows) if rows else None
    return [Outgoing(piece) for piece in pieces[:-1]] + [Outgoing(pieces[-1], keyboard)]


def toggled(markup: InlineKeyboardMarkup, data: str) -> InlineKeyboardMarkup | None:
    """The keyboard after the card button with this data was pressed: that card ticked or
    unticked, and its button now doing the opposite. None when no button has this data."""
    press = data.split(".")
    if len(press) != 4:
        return None
    tick = press[3] == "1"
    rows: list[list[InlineKeyboardButton]] = []
    found = False
    for row in markup.inline_keyboard:
        new_row = []
        for button in row:
            if button.callback_data == data:
                found = True
                label = str(button.text)
                text = f"{TICK} {label}" if tick else label.removeprefix(f"{TICK} ")
                other = ".".join([*press[:3], "0" if tick else "1"])
                button = InlineKeyboardButton(text, callback_data=other)
            new_row.append(button)
        rows.append(new_row)
    return InlineKeyboardMarkup(rows) if found else None


def ticked_keys(markup: InlineKeyboardMarkup | None, step_tag: str) -> list[str]:
    """The keys of the cards ticked on a keyboard (their buttons now untick), in order."""
    if markup is None:
        return []
    keys = []
    for row in markup.inline_keyboard:
        for button in row:
            parts = str(button.callback_data or "").split(".")
            if len(parts) == 4 and parts[0] == "t" and parts[1] == step_tag and parts[3] == "0":
                keys.append(parts[2])
    return keys


def answered_line(
    chosen: ChoiceOption | None, cards: Sequence[ChoiceOption], command: str | None
) -> str:
    """What a pressed message says once answered: the answer, or the button pressed."""
    if chosen is not None:
        return f"Your answer: {button_words(chosen)}"
    if cards:
        return "Your answer: " + ", ".join(button_words(card) for card in cards)
    if command in PRESSED:
        return f"You pressed {PRESSED[command]}."
    return ""


def answered_text(original: str | None, line: str) -> str | None:
    """The pressed message's new text (None when it stays as it is, buttons aside)."""
    if not original or not line:
        return None
    text = f"{original}\n\n{line}"
    return text if telegram_length(text) <= MAX_TEXT else None
