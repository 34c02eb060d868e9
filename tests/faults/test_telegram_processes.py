"""Telegram with two real `voicebox serve` processes on one PostgreSQL database: updates
for one chat come to either process, and each chat still gets every reply once, in order,
about a second apart (Telegram's pace in a chat), while the chats go side by side."""

from __future__ import annotations

import json
import time
import urllib.request
from collections import defaultdict
from itertools import pairwise

import pytest

from tests.channels import telegram_updates as updates
from tests.channels.telegram_harness import FakeBotApi
from tests.faults.outbox_load import SECRET
from tests.serve_process import ServeProcess, clean_env

pytestmark = pytest.mark.postgres

WEBHOOK_SECRET = "fault-test-telegram-secret_0123456789"
PEOPLE = 12


def _serve(folder, url: str, fake: FakeBotApi, demo: bool) -> ServeProcess:
    folder.mkdir(parents=True, exist_ok=True)
    env = clean_env(
        VOICEBOX_DATABASE_URL=url,
        VOICEBOX_SECRET_KEY=SECRET,
        VOICEBOX_TELEGRAM_TOKEN=fake.token,
        VOICEBOX_TELEGRAM_SECRET=WEBHOOK_SECRET,
        VOICEBOX_TELEGRAM_API_URL=fake.url,
    )
    return ServeProcess(folder, *(() if demo else ("--no-demo",)), env=env)


def _post(server: ServeProcess, update: dict) -> int:
    request = urllib.request.Request(
        f"{server.base}/telegram/webhook",
        data=json.dumps(update).encode(),
        headers={
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status


def _sent(fake: FakeBotApi) -> dict[int, list]:
    by_chat: dict[int, list] = defaultdict(list)
    for call in fake.calls("sendMessage"):
        if call.status == 200:
            by_chat[int(call.params["chat_id"])].append(call)
    return by_chat


def test_two_processes_reply_to_every_chat_once_in_order(postgres_database, tmp_path):
    chats = [800_000_000 + n for n in range(PEOPLE)]
    with FakeBotApi() as fake:
        one = _serve(tmp_path / "one", postgres_database.url, fake, demo=True)
        two = _serve(tmp_path / "two", postgres_database.url, fake, demo=False)
        servers = [one, two]
        try:
            for n, chat in enumerate(chats):  # each chat's first update to one, then the other
                assert _post(servers[n % 2], updates.command(chat, "/start", "DEMO")) == 200
            fake.wait_for(lambda: len(_sent(fake)) == PEOPLE, timeout=20)
            for n, chat in enumerate(chats):
                consent = _sent(fake)[chat][0]
                yes = consent.params["reply_markup"]["inline_keyboard"][0][0]
                update = updates.callback(
                    chat,
                    yes["callback_data"],
                    1,
                    consent.params["text"],
                    consent.params["reply_markup"],
                )
                assert _post(servers[(n + 1) % 2], update) == 200
                assert _post(servers[n % 2], updates.private_text(chat, "Help")) == 200
            fake.wait_for(lambda: sum(len(c) for c in _sent(fake).values()) == 3 * PEOPLE, 30)
            time.sleep(1.5)  # anything sent twice would come now
        finally:
            for server in servers:
                server.stop()
    by_chat = _sent(fake)
    for chat in chats:
        texts = [call.params["text"] for call in by_chat[chat]]
        assert len(texts) == 3, texts
        assert texts[0].startswith("Hi, I am Voicebox")
        assert "Which part of your life" in texts[1]  # after Yes, in order
        assert texts[2].startswith("Voicebox asks") or "Stop" in texts[2]  # then Help
        # Slots are a second apart when claimed; the sends themselves take a little time
        # each, so two may land a little under a second apart.
        times = [call.at for call in by_chat[chat]]
        assert all(later - earlier >= 0.75 for earlier, later in pairwise(times)), (
            [round(b - a, 3) for a, b in pairwise(times)],
            texts,
        )
    answered = [c for c in fake.calls("answerCallbackQuery") if c.status == 200]
    assert len(answered) == PEOPLE
    first_replies = sorted(by_chat[chat][0].at for chat in chats)
    assert first_replies[-1] - first_replies[0] < 5  # the chats went side by side
