"""Benchmark: what one Bot API call costs the process that makes it, through voicebox's
BotApi (python-telegram-bot's Bot on httpx, on one event loop), beside plain http.client.

    python bench/telegram_bot_api.py                 # 400 calls each way
    python bench/telegram_bot_api.py --calls 1000 --pools 32 8

The fake Bot API (tests/channels/telegram_harness.py) runs in its own process, so only the
caller's CPU is counted (getrusage of this process). For each connection pool size: N
sendMessage calls one after another (as one outbox thread sends), then N started at once
(as a burst of button presses fires answerCallbackQuery and editMessageText). Then the
same sendMessage with http.client and json on one keep-alive connection, for scale.
Each call carries a question's nine buttons, as a reply does.

Last, the least a call through python-telegram-bot can cost, whatever carries it: the hop
from a thread to the loop alone (a coroutine that does nothing), then `send_message` over a
transport that answers at once without any network.

This is a script, not a test. It prints CPU and wall time per call.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup  # noqa: E402
from telegram.request import BaseRequest, RequestData  # noqa: E402
from telegram_webhook import Chats  # noqa: E402 - beside this file

from voicebox.channels.telegram import bot_api  # noqa: E402

TOKEN = "123456:TEST-token"
CHAT = 800_000_001
TEXT = "How do you feel about school or college?"


def cpu() -> float:
    """CPU seconds this process has used (user + system)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def keyboard() -> InlineKeyboardMarkup:
    """Nine buttons, one a row, as a feeling question has."""
    button = InlineKeyboardButton("😄 Very good", callback_data="c.Hoq_-5c8.very_good")
    return InlineKeyboardMarkup([[button] for _ in range(9)])


def through_bot(url: str, pool: int, calls: int, transport: str) -> None:
    """voicebox's BotApi with this pool size: calls in turn, then all at once."""
    bot_api.CONNECTIONS = pool  # read when BotApi builds its Bot
    api = bot_api.BotApi(TOKEN, url, 30.0, transport)
    markup = keyboard()
    try:
        for _ in range(20):  # connections open, code warm
            api.call(lambda: api.bot.send_message(CHAT, TEXT, reply_markup=markup))
        used, began = cpu(), time.perf_counter()
        for _ in range(calls):
            api.call(lambda: api.bot.send_message(CHAT, TEXT, reply_markup=markup))
        show(f"{transport}, pool {pool}, one at a time", used, began, calls)
        used, began = cpu(), time.perf_counter()
        started = [
            api.start(lambda: api.bot.send_message(CHAT, TEXT, reply_markup=markup))
            for _ in range(calls)
        ]
        for future in started:
            future.result(120)
        show(f"{transport}, pool {pool}, {calls} at once", used, began, calls)
    finally:
        api.close()


def through_http_client(url: str, calls: int) -> None:
    """The same call with http.client and json, one keep-alive connection."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port))
    body = json.dumps(
        {"chat_id": CHAT, "text": TEXT, "reply_markup": keyboard().to_dict()}
    ).encode()

    def send() -> None:
        connection.request(
            "POST",
            f"/bot{TOKEN}/sendMessage",
            body=body,
            headers={"Content-Type": "application/json"},
        )
        json.loads(connection.getresponse().read())

    for _ in range(20):
        send()
    used, began = cpu(), time.perf_counter()
    for _ in range(calls):
        send()
    show("http.client + json, one at a time", used, began, calls)
    connection.close()


class AnswersAtOnce(BaseRequest):
    """A transport with no network: every call gets Telegram's answer to a sendMessage."""

    ANSWER = json.dumps(
        {
            "ok": True,
            "result": {
                "message_id": 7,
                "date": 1_700_000_000,
                "chat": {"id": CHAT, "type": "private"},
                "text": TEXT,
                "reply_markup": keyboard().to_dict(),
            },
        }
    ).encode()

    @property
    def read_timeout(self) -> float | None:
        """Never waited on."""
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Telegram's answer, at once."""
        return 200, self.ANSWER


def least_through_bot(calls: int) -> None:
    """The hop to the loop alone, then python-telegram-bot with no network under it."""
    api = bot_api.BotApi(TOKEN, "http://127.0.0.1:9", 30.0)
    markup = keyboard()

    async def nothing() -> None:
        return None

    async def build() -> Bot:
        return Bot(TOKEN, request=AnswersAtOnce(), get_updates_request=AnswersAtOnce())

    try:
        bot = api.call(build)
        for _ in range(20):
            api.call(nothing)
            api.call(lambda: bot.send_message(CHAT, TEXT, reply_markup=markup))
        used, began = cpu(), time.perf_counter()
        for _ in range(calls):
            api.call(nothing)
        show("hop to the loop alone", used, began, calls)
        used, began = cpu(), time.perf_counter()
        for _ in range(calls):
            api.call(lambda: bot.send_message(CHAT, TEXT, reply_markup=markup))
        show("BotApi with no network under it", used, began, calls)
    finally:
        api.close()


def show(label: str, used: float, began: float, calls: int) -> None:
    """One line: CPU and wall time per call."""
    per_cpu = (cpu() - used) * 1000 / calls
    per_wall = (time.perf_counter() - began) * 1000 / calls
    print(f"{label:<34} {per_cpu:6.2f} ms CPU a call   {per_wall:6.2f} ms wall", flush=True)


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400, help="calls each way")
    parser.add_argument(
        "--pools",
        type=int,
        nargs="+",
        default=[bot_api.CONNECTIONS, 8, 1],
        help="connection pool sizes to try (voicebox's own first)",
    )
    parser.add_argument(
        "--transports",
        nargs="+",
        default=["aiohttp", "httpx"],
        help="aiohttp (voicebox's) and httpx (python-telegram-bot's own)",
    )
    args = parser.parse_args()
    print(
        f"voicebox Bot API call cost: Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, fake Bot API in its own process, {args.calls} sendMessage "
        f"calls each way",
        flush=True,
    )
    chats = Chats(own_process=True)
    try:
        for transport in args.transports:
            for pool in args.pools:
                through_bot(chats.url, pool, args.calls, transport)
        through_http_client(chats.url, args.calls)
        least_through_bot(args.calls)
    finally:
        chats.stop()


if __name__ == "__main__":
    main()
