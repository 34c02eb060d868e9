"""`voicebox telegram poll`: long polling (getUpdates) for a computer with no public
address. Each update is handled as the webhook would; the offset moves on only after it
is stored, so a stop or a crash loses nothing and a repeat is still handled once."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError

from voicebox.channels.telegram.bot_api import POLL_WAIT, BotApi
from voicebox.channels.telegram.handling import UpdateHandler
from voicebox.settings import SettingsError

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query")
MAX_PAUSE = 30.0  # seconds: the longest wait between tries when Telegram cannot be reached


class PollingRefused(SettingsError):
    """Telegram will not let this bot poll; the message is one line saying what to do."""


def poll(
    api: BotApi,
    handler: UpdateHandler,
    stop: threading.Event,
    wait: int = POLL_WAIT,
    said: Callable[[str], None] = print,
) -> int:
    """Fetch and handle updates until `stop` is set; return how many were handled."""
    offset: int | None = None
    handled = 0
    pause = 1.0
    while not stop.is_set():
        try:
            updates = _until_stopped(api, offset, wait, stop)
        except Conflict:
            raise PollingRefused(
                "This bot has a webhook, so Telegram will not let it poll. "
                "Run `voicebox telegram poll --drop-webhook` to remove the webhook and poll."
            ) from None
        except InvalidToken:
            raise PollingRefused(
                "Telegram refused the bot's token. Check VOICEBOX_TELEGRAM_TOKEN."
            ) from None
        except (NetworkError, TimeoutError, TelegramError) as exc:
            said(f"Telegram cannot be reached ({type(exc).__name__}). Trying again soon.")
            stop.wait(pause)
            pause = min(MAX_PAUSE, pause * 2)
            continue
        pause = 1.0
        for update in updates:
            if stop.is_set():
                break
            try:
                handler.handle(update)
            except Exception as exc:  # the database is away: keep the offset, try again
                log.error(
                    "Telegram update %s could not be handled: %s",
                    update.update_id,
                    type(exc).__name__,
                )
                stop.wait(pause)
                break
            offset = update.update_id + 1
            handled += 1
    if offset is not None:  # tell Telegram which updates are done, so none comes again
        with contextlib.suppress(TelegramError, TimeoutError):
            api.call(lambda: _fetch(api, offset, 0), timeout=api.timeout + 5)
    return handled


def _until_stopped(
    api: BotApi, offset: int | None, wait: int, stop: threading.Event
) -> tuple[Update, ...]:
    """One long poll, given up at once when `stop` is set (Ctrl+C need not wait for it)."""
    future = api.start(lambda: _fetch(api, offset, wait))
    deadline = time.monotonic() + wait + api.timeout + 10
    while not future.done():
        if stop.wait(0.1):
            future.cancel()
            return ()
        if time.monotonic() > deadline:
            future.cancel()
            raise TimeoutError("getUpdates did not answer")
    return future.result()


async def _fetch(api: BotApi, offset: int | None, wait: int) -> tuple[Update, ...]:
    return await api.bot.get_updates(
        offset=offset, timeout=wait, allowed_updates=list(ALLOWED_UPDATES)
    )
