"""The real app with the Telegram channel pointed at a FakeBotApi, the outbox's threads
running as `voicebox serve` runs them, and a young person's side of the chat: send words,
press the buttons the fake chat shows. No tests here; the fixtures are in conftest.py."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import func, select

from tests.channels import telegram_updates as updates
from tests.channels.telegram_harness import FakeBotApi, ShownMessage
from tests.helpers import app_with_checkins
from voicebox.app import build_senders
from voicebox.channels.registry import build_channels
from voicebox.channels.telegram import TelegramChannel
from voicebox.channels.telegram.settings import TelegramSettings
from voicebox.settings import Settings
from voicebox.storage.dispatcher import Backoff, Dispatchers
from voicebox.storage.models import OutboxMessage

TELEGRAM_SECRET = "test-telegram-webhook-secret_0123456789"
SECRET_KEY = "test-secret-key-for-telegram-0123456789abcdef"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CHAT = 700_100_200  # a private chat's id (the person's user id)


class TelegramApp:
    """The app, its services and its outbox threads, against one fake Bot API."""

    def __init__(
        self,
        folder: Any,
        fake: FakeBotApi,
        secret: str | None = TELEGRAM_SECRET,
        database_url: str | None = None,
        rate: float = 1000.0,
        timeout: float = 2.0,
        dispatch: bool = True,
        person_rate: float = 50.0,
        interval: float = 0.2,
        backoff: Backoff | None = None,
    ) -> None:
        self.fake = fake
        # Telegram's own pace in a chat is about 1 a second; tests that are not about it
        # go faster, so a check-in of twenty steps takes less than twenty seconds.
        self.person_rate = person_rate
        self.interval = interval  # how often an idle outbox thread looks (the bell wakes it)
        self.backoff = backoff or Backoff(first=0.2, cap=1.0)
        self.settings = Settings(
            database_url=database_url or f"sqlite:///{folder / 'voicebox.db'}",
            secret_key=SECRET_KEY,
        )
        self.channel = TelegramChannel(
            TelegramSettings(
                token=fake.token, secret=secret, api_url=fake.url, rate=rate, timeout=timeout
            )
        )
        self.channels = {**build_channels({}), "telegram": self.channel}
        self.services, self.app = app_with_checkins(self.settings, self.channels)
        self.client = self.app.test_client()
        self.outbox: Dispatchers | None = None
        if dispatch:
            self.start_outbox()

    def start_outbox(self) -> None:
        """Run the outbox's threads, as `voicebox serve` does."""
        senders = build_senders(self.services, self.channels)
        senders["telegram"].person_rate = self.person_rate
        self.outbox = Dispatchers(
            self.services.database, senders, self.services.bell, self.interval, self.backoff
        )

    def close(self) -> None:
        """Stop the threads, the Bot API's loop and the database."""
        if self.outbox is not None:
            self.outbox.stop(timeout=5)
        self.channel.api().close()
        self.services.database.dispose()

    def nothing_in_flight(self) -> bool:
        """Whether no outbox message is being sent right now (claimed, not yet finished)."""
        with self.services.database.reading() as conn:
            sending = select(func.count()).where(OutboxMessage.status == "sending")
            return not conn.scalar(sending)

    # -- the webhook ---------------------------------------------------------------------

    def post(self, update: dict[str, Any] | bytes, secret: str | None = TELEGRAM_SECRET) -> Any:
        """POST an update to /telegram/webhook as Telegram does."""
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        body = update if isinstance(update, bytes) else json.dumps(update).encode()
        return self.client.post(
            "/telegram/webhook", data=body, headers=headers, content_type="application/json"
        )

    def count(self, model: Any) -> int:
        """Rows in a table."""
        with self.services.database.reading() as conn:
            return conn.execute(select(func.count()).select_from(model.__table__)).scalar_one()


class Person:
    """A young person in a private chat with the bot: they type, and press what they see."""

    def __init__(self, app: TelegramApp, chat_id: int = CHAT) -> None:
        self.app = app
        self.fake = app.fake
        self.chat_id = chat_id

    def shown(self) -> list[ShownMessage]:
        """The bot's messages as this person sees them now."""
        return self.fake.chat(self.chat_id)

    def newest(self) -> ShownMessage:
        """The newest message the bot sent them."""
        found = self.shown()
        assert found, "the bot has sent nothing to this chat"
        return found[-1]

    def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[ShownMessage]:
        """Wait until the chat holds `count` messages from the bot, and the outbox has
        marked them sent: a message shows at the fake a moment before that, and a press
        in that moment would be read against the message before it."""
        self.fake.wait_for(lambda: len(self.shown()) >= count, timeout=timeout)
        settled = getattr(self.app, "nothing_in_flight", None)  # a poller has no outbox here
        if settled is not None:
            self.fake.wait_for(settled, timeout=timeout)
        return self.shown()

    def send(self, text: str, wait: bool = True) -> Any:
        """Type a message; wait for the bot's reply (one more message in the chat)."""
        before = len(self.shown())
        response = self.app.post(updates.private_text(self.chat_id, text))
        assert response.status_code == 200, response.status_code
        if wait:
            self.wait_for_messages(before + 1)
        return response

    def buttons(self, message: ShownMessage | None = None) -> list[dict[str, Any]]:
        """The buttons of a message (the newest by default), top to bottom."""
        message = message or self.newest()
        markup = message.reply_markup or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]

    def button(self, words: str, message: ShownMessage | None = None) -> dict[str, Any]:
        """The button whose words are these (after its symbol), else the first that holds
        them."""
        buttons = self.buttons(message)
        wanted = words.lower()
        found = [b for b in buttons if b["text"].lower().split(" ", 1)[-1] == wanted]
        found = found or [b for b in buttons if b["text"].lower() == wanted]
        found = found or [b for b in buttons if wanted in b["text"].lower()]
        assert found, f"no button with {words!r}: {[b['text'] for b in buttons]}"
        return found[0]

    def press(
        self,
        words: str,
        message: ShownMessage | None = None,
        wait: bool = True,
        update_id: int | None = None,
    ) -> Any:
        """Press a button (on the newest message by default) and wait for the reply."""
        message = message or self.newest()
        button = self.button(words, message)
        before = len(self.shown())
        update = updates.callback(
            self.chat_id,
            button["callback_data"],
            message.message_id,
            message.text,
            message.reply_markup,
            update_id=update_id,
        )
        response = self.app.post(update)
        assert response.status_code == 200, response.status_code
        if wait:
            self.wait_for_messages(before + 1)
        return response

    def tick(self, words: str) -> None:
        """Tick (or untick) a picture card; waits until the message shows the change."""
        message = self.newest()
        button = self.button(words, message)
        self.app.post(
            updates.callback(
                self.chat_id,
                button["callback_data"],
                message.message_id,
                message.text,
                message.reply_markup,
            )
        )
        self.fake.wait_for(lambda: self.newest().reply_markup != message.reply_markup)

    def answer_demo(self) -> None:
        """From DEMO's topic question to its end: Home, Good, three typed answers, done,
        and no hearing back."""
        self.press("Home")
        self.press("Good")
        self.send("My room is quiet")
        self.send("My brother is loud")
        self.send("A lock on the door")
        self.press("No, I am done")
        self.press("No thanks")

    def closed(self, message_id: int) -> ShownMessage:
        """A pressed message once it lost its buttons (edits go beside the reply, so they
        may land just after it)."""

        def found() -> ShownMessage | None:
            shown = next(m for m in self.shown() if m.message_id == message_id)
            return shown if not (shown.reply_markup or {}).get("inline_keyboard") else None

        self.fake.wait_for(lambda: found() is not None)
        result = found()
        assert result is not None
        return result

    def settle(self, seconds: float = 0.3) -> None:
        """Give the outbox a moment (for checks that nothing more was sent)."""
        time.sleep(seconds)
