"""The Bot API through python-telegram-bot's `Bot`, on one event loop of our own.

The outbox's threads, the webhook's requests and the poller all call in from ordinary
threads: `call` runs a coroutine on the loop and waits for it, `fire` runs one without
waiting (an answer to a button press, an edit). One loop, one connection pool, for the
life of the process; never a loop per message."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from telegram import Bot
from telegram.error import BadRequest, TelegramError
from telegram.request import BaseRequest, HTTPXRequest

from voicebox.channels.telegram.transport import AiohttpRequest

log = logging.getLogger(__name__)
T = TypeVar("T")

# httpx logs every request's URL at INFO, and a Bot API URL holds the bot's token;
# python-telegram-bot logs each call's data (chat ids, words) at DEBUG.
for _name in ("httpx", "httpcore", "telegram"):
    logging.getLogger(_name).setLevel(logging.WARNING)
# Time periods (a 429's retry_after) as timedelta, python-telegram-bot's coming default:
# without it every 429 warns that the type will change.
os.environ.setdefault("PTB_TIMEDELTA", "true")

POLL_WAIT = 25  # seconds a getUpdates long poll waits for an update
CONNECTIONS = 8  # connections kept open: the outbox's threads and the webhook's calls share them
NAME_RETRY = 60.0  # seconds before asking the bot's name again after a failure


class BotApi:
    """python-telegram-bot's Bot at `{api_url}/bot{token}/{method}`, on a loop in a thread."""

    def __init__(
        self, token: str, api_url: str, timeout: float, transport: str = "aiohttp"
    ) -> None:
        self.timeout = timeout
        # A bot's token starts with its user id: "123456:ABC..."
        self.bot_id = int(token.partition(":")[0]) if token.partition(":")[0].isdigit() else 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="voicebox-telegram", daemon=True
        )
        self._thread.start()
        self._username: str | None = None
        self._name_asked = -NAME_RETRY
        self._closed = False

        async def build() -> tuple[Bot, list[BaseRequest]]:
            request: BaseRequest
            polling: BaseRequest
            if transport == "httpx":  # python-telegram-bot's own (kept for the benchmark)
                request = HTTPXRequest(
                    connection_pool_size=CONNECTIONS,
                    read_timeout=timeout,
                    write_timeout=timeout,
                    connect_timeout=timeout,
                    pool_timeout=timeout,
                )
                polling = HTTPXRequest(
                    connection_pool_size=2,
                    read_timeout=POLL_WAIT + timeout,
                    write_timeout=timeout,
                    connect_timeout=timeout,
                )
            else:
                request = AiohttpRequest(CONNECTIONS, timeout)
                polling = AiohttpRequest(2, timeout, read_timeout=POLL_WAIT + timeout)
            bot = Bot(
                token, base_url=f"{api_url}/bot", request=request, get_updates_request=polling
            )
            return bot, [request, polling]

        # Never initialised (that would ask getMe first), so closing the requests is ours.
        self.bot, self._requests = self.call(lambda: build())

    def __repr__(self) -> str:
        return "BotApi()"  # never the token

    def call(self, make: Callable[[], Coroutine[Any, Any, T]], timeout: float | None = None) -> T:
        """Run a coroutine on the loop and wait for its result (or its exception)."""
        future = asyncio.run_coroutine_threadsafe(make(), self._loop)
        try:
            return future.result(timeout if timeout is not None else self.timeout + 5)
        except TimeoutError:
            future.cancel()
            raise

    def start(self, make: Callable[[], Coroutine[Any, Any, T]]) -> Future[T]:
        """Run a coroutine on the loop; the caller waits on (or cancels) the future."""
        return asyncio.run_coroutine_threadsafe(make(), self._loop)

    def fire(self, make: Callable[[], Coroutine[Any, Any, Any]], what: str) -> Future[Any]:
        """Run a coroutine on the loop without waiting; a failure is logged by `what`."""
        future = asyncio.run_coroutine_threadsafe(make(), self._loop)
        future.add_done_callback(lambda done: _log_failure(done, what))
        return future

    def username(self) -> str | None:
        """The bot's @username from getMe (asked once, again a minute after a failure)."""
        if self._username is None and time.monotonic() - self._name_asked >= NAME_RETRY:
            self._name_asked = time.monotonic()
            try:
                me = self.call(lambda: self.bot.get_me(), timeout=self.timeout)
                self._username = me.username
            except (TelegramError, TimeoutError) as exc:
                log.warning("Telegram did not say the bot's name: %s", type(exc).__name__)
        return self._username

    def close(self) -> None:
        """Close the connections and stop the loop."""
        if self._closed:
            return
        self._closed = True
        try:
            self.call(self._shut, timeout=5)
        except Exception as exc:  # closing: nothing more to do about it
            log.debug("closing the Bot API's connections: %s", type(exc).__name__)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()

    async def _shut(self) -> None:
        for request in self._requests:
            await request.shutdown()


def _log_failure(done: Future[Any], what: str) -> None:
    if done.cancelled():
        return
    exc = done.exception()
    if exc is None:
        return
    if isinstance(exc, BadRequest) and "not modified" in str(exc).lower():
        return  # the message already shows this: nothing to do
    # The class only: a Bot API error's words can hold the token or a chat's id.
    log.warning("Telegram %s failed: %s", what, type(exc).__name__)
