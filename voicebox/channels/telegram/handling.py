"""What one Telegram update does, the same for the webhook and for polling.

A private chat's message or button press goes to the engine as an InboundMessage (the
update's id is its message id, so a repeat does nothing); the replies wait in the outbox,
and the bell wakes the outbox's threads to send them at once. A button press is answered
(answerCallbackQuery) and its message edited: the answer shown, the buttons gone. Ticking
a card only edits its message; Done sends the ticked cards. A group or channel is never
asked anything: at most one message a day there, a link to talk privately."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from telegram import CallbackQuery, Chat, InlineKeyboardMarkup, Message, Update

from voicebox.bot.codes import JOIN_CODE
from voicebox.bot.messages import InboundMessage, OutboundMessage, button_payload
from voicebox.bot.results import TurnResult
from voicebox.channels.telegram import callbacks
from voicebox.channels.telegram.bot_api import BotApi
from voicebox.channels.telegram.render import (
    answered_line,
    answered_text,
    has_buttons,
    ticked_keys,
    toggled,
)
from voicebox.channels.telegram.sender import CHANNEL
from voicebox.channels.text import clean_text
from voicebox.storage import notices, reach
from voicebox.storage.consultations import get_consultation
from voicebox.storage.outbox import older_than
from voicebox.storage.schedule import OPEN
from voicebox.storage.services import Services

log = logging.getLogger(__name__)

EDITED = "I can only read new messages, not changes. Please send it again."
GROUP = "Hi! I only chat one to one, so your answers stay private. Tap here to talk to me: {link}"
GROUP_NO_LINK = (
    "Hi! I only chat one to one, so your answers stay private. Send me a private message to start."
)
# What a command button sends: the word the engine knows (as the web chat's buttons do).
COMMAND_WORDS = {"back": "Back", "skip": "Skip", "help": "Help", "stop": "Stop"}
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]{1,64})?(?:\s+(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Command:
    """A /command at the start of a message, and the words after it."""

    name: str
    argument: str


def read_command(text: str) -> Command | None:
    """The /command a message is ("/start DEMO", "/help@VoiceboxBot"), or None."""
    found = _COMMAND.match(text.strip())
    if found is None:
        return None
    return Command(found.group(1).lower(), (found.group(2) or "").strip())


def engine_text(command: Command) -> str:
    """What a command says to the engine: /start CODE joins, /start alone is START, /help
    and /stop are HELP and STOP; any other /word is read as it was typed."""
    if command.name == "start":
        return command.argument or "START"
    if command.name in ("help", "stop"):
        return command.name.upper()
    return f"/{command.name} {command.argument}".strip()


def join_code(words: str) -> str | None:
    """A check-in's code in the words, when they are one (for a deep link)."""
    code = words.strip().upper()
    return code if code and JOIN_CODE.match(code) else None


def _passes(sent: tuple[str, OutboundMessage], result: TurnResult) -> bool:
    """True when a typed message leaves the buttons of this message (Telegram's id, and
    what it said) with nothing to do: new buttons come, or no question is open any more."""
    telegram_id, question = sent
    if not telegram_id.isdecimal() or not has_buttons(question) or not result.replies:
        return False  # nothing is said (after STOP, nothing at all changes on their screen)
    if result.ended or result.opted_out:
        return True
    return any(has_buttons(reply) for reply in result.replies)


def address_of(chat: Chat) -> str:
    """The person's address: the chat's id, which is theirs alone in a private chat."""
    return f"{CHANNEL}:{chat.id}"


class UpdateHandler:
    """Handles Telegram updates for one process: the engine, the outbox and the Bot API."""

    def __init__(self, services: Services, api: BotApi, tags: callbacks.StepTags) -> None:
        self.services = services
        self.api = api
        self.tags = tags

    def handle(self, update: Update) -> None:
        """Do what the update asks; anything we do not handle is left, and nothing kept."""
        if update.callback_query is not None:
            self._press(update, update.callback_query)
        elif update.message is not None:
            message = update.message
            if message.chat.type == Chat.PRIVATE:
                self._message(update, message)
            elif message.chat.type in (Chat.GROUP, Chat.SUPERGROUP):
                self._group(message)
        elif update.edited_message is not None:
            self._edited(update, update.edited_message)
        elif update.my_chat_member is not None:
            member = update.my_chat_member
            if member.chat.type == Chat.PRIVATE and member.new_chat_member.status in (
                "kicked",
                "left",
            ):  # they blocked the bot: nothing more is sent until they write again
                reach.mark_unreachable(
                    self.services.database, self.services.secret, CHANNEL, address_of(member.chat)
                )
        # Channel posts, inline queries and the rest: nothing to do, nothing kept.

    # -- a private chat's messages --------------------------------------------------------

    def _message(self, update: Update, message: Message) -> None:
        typed = message.text if message.text is not None else (message.caption or "")
        has_media = message.text is None  # a sticker, photo, voice note, file...
        command = read_command(typed) if message.text is not None else None
        text = engine_text(command) if command is not None else typed
        address = address_of(message.chat)
        # Read first: the question they were looking at, before the replies to this go.
        before = self._newest(address)
        result = self._engine(address, str(update.update_id), text, has_media=has_media)
        if before is not None and not result.duplicate and _passes(before, result):
            self._take_off_buttons(message.chat.id, int(before[0]))
        if command is not None and command.name == "start" and result.opted_out:
            # A deep link after STOP: tapping it is asking to start again, in one message
            # (back where they were, or straight into the check-in the link names).
            code = self._open_code(command.argument)
            self._engine(address, f"{update.update_id}:start", "START", consultation=code)
        self.services.bell.ring(CHANNEL)

    def _engine(
        self,
        address: str,
        message_id: str,
        text: str = "",
        payload: str | None = None,
        pressed_on: str | None = None,
        has_media: bool = False,
        consultation: str | None = None,
    ) -> TurnResult:
        return self.services.engine.handle(
            InboundMessage(
                CHANNEL,
                address,
                clean_text(text),
                message_id=message_id,
                payload=payload,
                has_media=has_media,
                buttons=True,
                pressed_on=pressed_on,
                consultation=consultation,
            )
        )

    def _open_code(self, words: str) -> str | None:
        """The code in a deep link, when it names a check-in open now (else START alone)."""
        code = join_code(words)
        if code is None:
            return None
        found = get_consultation(self.services.database, code)
        return code if found is not None and found.status == OPEN else None

    def _edited(self, update: Update, message: Message) -> None:
        if message.chat.type != Chat.PRIVATE:
            return
        told = reach.tell_if_waiting(
            self.services.database,
            self.services.secret,
            CHANNEL,
            address_of(message.chat),
            str(update.update_id),
            OutboundMessage(EDITED, purpose="notice"),
        )
        if told:
            self.services.bell.ring(CHANNEL)

    # -- button presses ------------------------------------------------------------------

    def _press(self, update: Update, query: CallbackQuery) -> None:
        self.api.fire(lambda: self.api.bot.answer_callback_query(query.id), "answerCallbackQuery")
        message = query.message
        if not isinstance(message, Message) or message.chat.type != Chat.PRIVATE:
            return  # a message too old to read, or not a private chat: the answer is all
        press = self.tags.read(query.data)
        address = address_of(message.chat)
        pressed_on = str(message.message_id)
        if press.kind == "card" and self._still_open(address, pressed_on):
            self._tick(message, str(query.data))
            return
        text, payload = "", None
        if press.kind == "command":
            text = COMMAND_WORDS[press.key]
        elif press.kind == "choice":
            payload = button_payload(press.step_id, [press.key])
        elif press.kind in ("done", "card"):
            keys = ticked_keys(message.reply_markup, callbacks.step_tag(press.step_id))
            payload = button_payload(press.step_id, keys)
        else:  # not a button we made: the engine says it has passed
            payload = ":"
        result = self._engine(address, str(update.update_id), text, payload, pressed_on)
        stopped = result.opted_out and not result.replies  # after STOP: nothing, not an edit
        if not result.duplicate and not stopped:
            line = answered_line(result.chosen, result.chosen_cards, None)
            self._close(message, answered_text(message.text, line))
        self.services.bell.ring(CHANNEL)

    def _newest(self, address: str) -> tuple[str, OutboundMessage] | None:
        """The newest message sent to them, with Telegram's id for it."""
        return reach.newest_sent_to(self.services.database, self.services.secret, CHANNEL, address)

    def _still_open(self, address: str, pressed_on: str) -> bool:
        """True unless the pressed message is older than the newest one sent to them."""
        newest = self._newest(address)
        return not older_than(pressed_on, None if newest is None else newest[0])

    def _tick(self, message: Message, data: str) -> None:
        """Tick or untick one card, in place."""
        if message.reply_markup is None:
            return
        markup = toggled(message.reply_markup, data)
        if markup is None:
            return
        chat, message_id = message.chat.id, message.message_id
        self.api.fire(
            lambda: self.api.bot.edit_message_reply_markup(chat, message_id, reply_markup=markup),
            "editMessageReplyMarkup",
        )

    def _close(self, message: Message, text: str | None) -> None:
        """Take the buttons off a pressed message, showing the answer when there is one."""
        chat, message_id = message.chat.id, message.message_id
        bot = self.api.bot
        if text is not None:
            self.api.fire(
                lambda: bot.edit_message_text(text, chat, message_id, reply_markup=None),
                "editMessageText",
            )
        elif message.reply_markup is not None:
            self._take_off_buttons(chat, message_id)

    def _take_off_buttons(self, chat: int, message_id: int) -> None:
        empty = InlineKeyboardMarkup([])
        self.api.fire(
            lambda: self.api.bot.edit_message_reply_markup(chat, message_id, reply_markup=empty),
            "editMessageReplyMarkup",
        )

    # -- groups --------------------------------------------------------------------------

    def _group(self, message: Message) -> None:
        """At most one message a day to a group: a link to talk privately."""
        bot_added = any(member.id == self.api.bot_id for member in message.new_chat_members or ())
        command = read_command(message.text or "")
        if not bot_added and command is None:
            return  # people talking to each other: not for us
        code = join_code(command.argument) if command is not None else None
        name = self.api.username()
        if name:
            link = f"https://t.me/{name}" + (f"?start={code}" if code else "")
            words = GROUP.format(link=link)
        else:
            words = GROUP_NO_LINK
        said = notices.say_once(
            self.services.database,
            self.services.secret,
            CHANNEL,
            address_of(message.chat),
            OutboundMessage(words, purpose="notice"),
        )
        if said:
            self.services.bell.ring(CHANNEL)
