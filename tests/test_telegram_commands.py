"""`voicebox telegram poll` and `voicebox telegram set-webhook` as real processes, against a
fake Bot API on 127.0.0.1 (tests/channels/telegram_harness.py) in this test process."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.channels import telegram_updates as updates
from tests.channels.telegram_app import Person
from tests.channels.telegram_harness import FakeBotApi, ShownMessage
from tests.serve_process import VOICEBOX, clean_env, free_port

CHAT = 700_100_200  # a private chat's id: it must never reach an export or an output
SECRET = "webhook-secret_0123456789-abcdef"
PUBLIC_URL = "https://voicebox.example.org"
STARTING = 30.0  # seconds a poller may take to start on a busy machine (imports, migrations)
STOPPING = 5.0  # seconds Ctrl+C may take: the long poll (25 s) must be cut short


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    """A fake Telegram Bot API on 127.0.0.1."""
    with FakeBotApi() as api:
        yield api


def settings(folder: Path, fake: FakeBotApi | None = None, **extra: str) -> dict[str, str]:
    """The environment of a `voicebox` run: a SQLite file in `folder`, the fake's token and
    address (when given), and `extra` VOICEBOX_* settings."""
    env = {"VOICEBOX_DATABASE_URL": f"sqlite:///{folder / 'voicebox.db'}"}
    if fake is not None:
        env["VOICEBOX_TELEGRAM_TOKEN"] = fake.token
        env["VOICEBOX_TELEGRAM_API_URL"] = fake.url
    env.update({f"VOICEBOX_{name}": value for name, value in extra.items()})
    return clean_env(**env)


def run(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """`voicebox ARGS` to its end."""
    return subprocess.run(
        [VOICEBOX, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=60
    )


def one_line_error(result: subprocess.CompletedProcess | Output) -> str:
    """The one line a failed command wrote (exit 1, no traceback)."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("voicebox: ")
    return lines[0]


def never_shows_the_token(result: subprocess.CompletedProcess | Output, token: str) -> None:
    """Neither the bot's token nor its secret half is in anything the command wrote."""
    written = result.stdout + result.stderr
    assert token not in written
    assert token.partition(":")[2] not in written


@dataclass
class Output:
    """What a stopped poller wrote, and its exit code."""

    returncode: int
    stdout: str
    stderr: str


class Poller:
    """`voicebox telegram poll [ARGS]` as a real process, stopped by its pid."""

    def __init__(self, folder: Path, env: dict[str, str], *args: str) -> None:
        number = len(list(folder.glob("poll-*.out")))
        self.out = folder / f"poll-{number}.out"
        self.err = folder / f"poll-{number}.err"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.process = subprocess.Popen(
                [VOICEBOX, "telegram", "poll", *args], cwd=folder, env=env, stdout=out, stderr=err
            )

    def running(self) -> bool:
        """True while the process has not ended."""
        return self.process.poll() is None

    def written(self) -> str:
        """Its standard output and error so far."""
        return self.out.read_text() + self.err.read_text()

    def wait_until(self, what: Any, timeout: float = STARTING) -> None:
        """Wait until `what()` is true, failing at once if the process ended."""
        deadline = time.monotonic() + timeout
        while not what():
            if not self.running():
                pytest.fail(f"poll ended early ({self.process.returncode}):\n{self.written()}")
            if time.monotonic() > deadline:
                pytest.fail(f"waited {timeout} s; poll wrote:\n{self.written()}")
            time.sleep(0.05)

    def polling(self, fake: FakeBotApi, count: int = 1) -> None:
        """Wait until `count` getUpdates have reached the fake."""
        self.wait_until(lambda: len(fake.calls("getUpdates")) >= count)

    def finish(self, timeout: float = STARTING) -> Output:
        """Wait for the process to end by itself."""
        self.process.wait(timeout=timeout)
        return Output(self.process.returncode, self.out.read_text(), self.err.read_text())

    def ctrl_c(self, within: float = STOPPING, sig: int = signal.SIGINT) -> Output:
        """Press Ctrl+C (SIGINT; or send `sig`): it must end within `within` seconds."""
        os.kill(self.process.pid, sig)
        try:
            self.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"poll did not stop within {within} s of Ctrl+C:\n{self.written()}")
        return Output(self.process.returncode, self.out.read_text(), self.err.read_text())

    def kill(self) -> None:
        """Stop it by its pid, whatever it is doing."""
        if self.running():
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def pollers(tmp_path: Path) -> Iterator[list[Poller]]:
    """Pollers the test started; any still running at the end is stopped by its pid."""
    started: list[Poller] = []
    yield started
    for poller in started:
        poller.kill()


def start_poll(pollers: list[Poller], folder: Path, env: dict[str, str], *args: str) -> Poller:
    """Start a poller and keep it for the fixture to clean up."""
    poller = Poller(folder, env, *args)
    pollers.append(poller)
    return poller


@dataclass
class Pushed:
    """Telegram took the update: it waits in the queue getUpdates reads."""

    status_code: int = 200


class UpdateQueue:
    """Where a Person's messages and presses go when the bot polls: the fake's getUpdates
    queue, not a webhook. Keeps every update pushed, to push one again."""

    def __init__(self, fake: FakeBotApi) -> None:
        self.fake = fake
        self.pushed: list[dict[str, Any]] = []

    def post(self, update: dict[str, Any]) -> Pushed:
        """Queue the update for the bot's next getUpdates."""
        self.pushed.append(self.fake.push_update(update))
        return Pushed()


class PolledPerson(Person):
    """A young person in a private chat with a polling bot. Like a person, they press a
    button only once the bot has noted which message holds it: the poller's outbox keeps
    the message's id a moment after Telegram has shown it, and a press before that is
    taken for an earlier question's (a machine's speed, not a person's)."""

    def __init__(self, queue: UpdateQueue, database: Path) -> None:
        super().__init__(queue, CHAT)  # type: ignore[arg-type]  # only .fake and .post
        self.queue = queue
        self.database = database

    def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[ShownMessage]:
        """Wait for `count` messages, the newest noted as sent in the poller's outbox."""
        super().wait_for_messages(count, timeout)
        newest = str(self.newest().message_id)
        self.fake.wait_for(lambda: self._noted(newest), timeout=timeout)
        return self.shown()

    def _noted(self, message_id: str) -> bool:
        with closing(sqlite3.connect(self.database)) as conn:
            found = conn.execute(
                "SELECT 1 FROM outbox WHERE channel = 'telegram' AND provider_id = ?",
                (message_id,),
            )
            return found.fetchone() is not None


def sam(fake: FakeBotApi, folder: Path) -> tuple[PolledPerson, UpdateQueue]:
    """A young person in a private chat with a polling bot, and their updates."""
    queue = UpdateQueue(fake)
    return PolledPerson(queue, folder / "voicebox.db"), queue


def exported(folder: Path, env: dict[str, str]) -> tuple[str, list[dict[str, str]]]:
    """`voicebox export DEMO --format csv`: the text and its rows."""
    result = run(folder, env, "export", "DEMO", "--format", "csv")
    assert result.returncode == 0, result.stderr
    return result.stdout, list(csv.DictReader(io.StringIO(result.stdout)))


def set_webhook_at_the_fake(fake: FakeBotApi, url: str) -> None:
    """Someone set a webhook for this bot (as `set-webhook` or BotFather's tools do)."""
    request = urllib.request.Request(
        f"{fake.url}/bot{fake.token}/setWebhook",
        data=json.dumps({"url": url}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert json.load(answer)["ok"] is True


# -- poll ---------------------------------------------------------------------------------------


def test_poll_completes_a_check_in_and_stops_on_ctrl_c(tmp_path, fake, pollers):
    """A whole check-in by buttons and words over getUpdates lands in the export (channel
    telegram, no chat id); Ctrl+C cuts the long poll short, says how many updates were
    handled and confirms them to Telegram."""
    env = settings(tmp_path, fake)
    poller = start_poll(pollers, tmp_path, env)
    poller.polling(fake)
    person, queue = sam(fake, tmp_path)

    person.send("/start DEMO")
    assert "We will not share your name." in person.newest().text
    person.press("Yes, that is OK")
    person.press("Home")
    person.press("🙂 Good")
    person.send("My own room")
    person.send("It is noisy")
    person.send("Headphones")
    person.press("No, I am done")
    person.press("Yes, tell me")
    assert "You can start again any time." in person.newest().text
    assert person.buttons() == []
    handled = len(queue.pushed)
    answered = fake.calls("answerCallbackQuery")
    assert len(answered) == 5, [c.params for c in answered]

    # The next long poll (timeout 25 s) is waiting now: Ctrl+C must not wait for it.
    poller.polling(fake, count=handled + 1)
    stopped = poller.ctrl_c()
    assert stopped.returncode == 0, stopped.stderr
    assert "Traceback" not in stopped.stdout + stopped.stderr
    assert f"{handled} update(s) handled" in stopped.stdout
    assert f"https://t.me/{updates.BOT_USERNAME}?start=DEMO" in stopped.stdout
    never_shows_the_token(stopped, fake.token)
    assert str(CHAT) not in stopped.stdout + stopped.stderr
    assert fake.pending_updates() == []
    last = fake.calls("getUpdates")[-1]
    assert last.params["offset"] == queue.pushed[-1]["update_id"] + 1
    assert last.params["allowed_updates"] == ["message", "callback_query"]

    text, rows = exported(tmp_path, env)
    assert [(r["question_id"], r["answer"]) for r in rows] == [
        ("feeling", "Good"),
        ("good", "My own room"),
        ("not_good", "It is noisy"),
        ("better", "Headphones"),
    ]
    assert {r["channel"] for r in rows} == {"telegram"}
    assert {r["topic"] for r in rows} == {"home"}
    assert str(CHAT) not in text and "Sam" not in {r["participant"] for r in rows}


def test_updates_sent_again_after_a_restart_are_handled_once(tmp_path, fake, pollers):
    """Telegram sends again what it saw no later getUpdates confirm (say the computer
    crashed): after a restart of poll, each is handled once: nothing sent or kept twice."""
    env = settings(tmp_path, fake)
    poller = start_poll(pollers, tmp_path, env)
    poller.polling(fake)
    person, queue = sam(fake, tmp_path)
    person.send("/start DEMO")
    person.press("Yes, that is OK")
    person.press("Home")
    person.press("🙂 Good")
    person.send("My own room")
    assert poller.ctrl_c().returncode == 0

    sent, edited = len(fake.calls("sendMessage")), len(fake.calls("editMessageText"))
    polled = len(fake.calls("getUpdates"))
    again = start_poll(pollers, tmp_path, env)
    for update in queue.pushed[-2:]:  # the last press, the last words
        fake.push_update(update)
    newest_id = queue.pushed[-1]["update_id"]
    again.wait_until(
        lambda: any(
            c.params.get("offset") == newest_id + 1 for c in fake.calls("getUpdates")[polled:]
        )
    )
    person.settle()
    stopped = again.ctrl_c()
    assert stopped.returncode == 0, stopped.stderr
    assert len(fake.calls("sendMessage")) == sent
    assert len(fake.calls("editMessageText")) == edited
    rows = exported(tmp_path, env)[1]
    assert [(r["question_id"], r["answer"]) for r in rows] == [
        ("feeling", "Good"),
        ("good", "My own room"),
    ]
    assert fake.pending_updates() == []


def test_poll_refuses_while_a_webhook_is_set_until_told_to_drop_it(tmp_path, fake, pollers):
    """Telegram will not let a bot with a webhook poll: one line says what to run, exit 1;
    `--drop-webhook` removes the webhook and polls (and SIGTERM stops it cleanly)."""
    set_webhook_at_the_fake(fake, f"{PUBLIC_URL}/telegram/webhook")
    env = settings(tmp_path, fake)
    refused = start_poll(pollers, tmp_path, env).finish()
    line = one_line_error(refused)
    assert "webhook" in line and "--drop-webhook" in line
    never_shows_the_token(refused, fake.token)
    assert fake.webhook.get("url")
    assert fake.calls("getUpdates") == []

    poller = start_poll(pollers, tmp_path, env, "--drop-webhook")
    poller.polling(fake)
    assert fake.webhook == {}
    assert fake.calls("deleteWebhook")
    person, _ = sam(fake, tmp_path)
    person.send("/start DEMO")
    assert person.button("Yes, that is OK")
    stopped = poller.ctrl_c(sig=signal.SIGTERM)  # as a service manager stops it
    assert stopped.returncode == 0, stopped.stderr
    assert "webhook is removed" in stopped.stdout
    assert "1 update(s) handled" in stopped.stdout
    never_shows_the_token(stopped, fake.token)


def test_poll_without_a_token_says_what_to_set(tmp_path):
    """No VOICEBOX_TELEGRAM_TOKEN: one line saying to set it (and where a token comes from)."""
    line = one_line_error(run(tmp_path, settings(tmp_path), "telegram", "poll"))
    assert "VOICEBOX_TELEGRAM_TOKEN" in line and "BotFather" in line


def test_poll_with_a_wrong_token_is_one_clear_line(tmp_path, fake, pollers):
    """Telegram answers 401 to a token it does not know: one line, exit 1, no token shown."""
    wrong = "654321:not-the-real-token"
    env = settings(tmp_path, fake, TELEGRAM_TOKEN=wrong)
    refused = start_poll(pollers, tmp_path, env).finish()
    line = one_line_error(refused)
    assert "token" in line.lower() and "VOICEBOX_TELEGRAM_TOKEN" in line
    never_shows_the_token(refused, wrong)
    assert fake.calls() == []  # the fake records only calls with its own token
    assert not (tmp_path / "voicebox.db").exists()


def test_poll_keeps_trying_while_telegram_cannot_be_reached(tmp_path, pollers):
    """Nothing listens at the Bot API's address: it says it will try again, keeps running,
    and Ctrl+C still stops it cleanly."""
    token = "123456:TEST-token"
    env = settings(
        tmp_path,
        TELEGRAM_TOKEN=token,
        TELEGRAM_API_URL=f"http://127.0.0.1:{free_port()}",
        TELEGRAM_TIMEOUT="1",
    )
    poller = start_poll(pollers, tmp_path, env)
    poller.wait_until(lambda: "Trying again" in poller.out.read_text())
    assert poller.running()
    stopped = poller.ctrl_c()
    assert stopped.returncode == 0, stopped.stderr
    assert "Traceback" not in stopped.stdout + stopped.stderr
    assert "cannot be reached" in stopped.stdout
    assert "0 update(s) handled" in stopped.stdout
    assert "send /start DEMO to your bot" in stopped.stdout  # no name: Telegram is away
    never_shows_the_token(stopped, token)


# -- set-webhook ----------------------------------------------------------------------------------


def test_set_webhook_registers_the_public_address_with_the_secret(tmp_path, fake):
    """VOICEBOX_PUBLIC_URL + /telegram/webhook, the secret and the two kinds of update we
    handle reach Telegram; the command prints what Telegram then says."""
    env = settings(tmp_path, fake, PUBLIC_URL=PUBLIC_URL + "/", TELEGRAM_SECRET=SECRET)
    result = run(tmp_path, env, "telegram", "set-webhook")
    assert result.returncode == 0, result.stderr
    (call,) = fake.calls("setWebhook")
    assert call.params["url"] == f"{PUBLIC_URL}/telegram/webhook"
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ["message", "callback_query"]
    assert fake.webhook["url"] == f"{PUBLIC_URL}/telegram/webhook"
    assert f"{PUBLIC_URL}/telegram/webhook" in result.stdout
    never_shows_the_token(result, fake.token)
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"PUBLIC_URL": PUBLIC_URL}, "VOICEBOX_TELEGRAM_SECRET"),
        ({"TELEGRAM_SECRET": SECRET}, "VOICEBOX_PUBLIC_URL"),
    ],
    ids=["no-secret", "no-public-url"],
)
def test_set_webhook_without_a_setting_makes_no_call(tmp_path, fake, extra, named):
    """Without the secret or the public address: one line naming it, exit 1, no call."""
    result = run(tmp_path, settings(tmp_path, fake, **extra), "telegram", "set-webhook")
    assert named in one_line_error(result)
    never_shows_the_token(result, fake.token)
    assert fake.calls() == []


def test_set_webhook_without_a_token_says_what_to_set(tmp_path):
    """No VOICEBOX_TELEGRAM_TOKEN: the same one line as poll gives."""
    env = settings(tmp_path, PUBLIC_URL=PUBLIC_URL, TELEGRAM_SECRET=SECRET)
    line = one_line_error(run(tmp_path, env, "telegram", "set-webhook"))
    assert "VOICEBOX_TELEGRAM_TOKEN" in line


def test_set_webhook_refused_by_telegram_is_one_line(tmp_path, fake):
    """A plain-http public address: Telegram says why it refuses, in one line, exit 1."""
    env = settings(tmp_path, fake, PUBLIC_URL="http://voicebox.example.org", TELEGRAM_SECRET=SECRET)
    result = run(tmp_path, env, "telegram", "set-webhook")
    assert "https" in one_line_error(result).lower()
    never_shows_the_token(result, fake.token)
    assert fake.webhook == {}


def test_telegram_help_lists_both_commands(tmp_path):
    """`voicebox telegram --help` names poll and set-webhook."""
    result = run(tmp_path, clean_env(), "telegram", "--help")
    assert result.returncode == 0, result.stderr
    assert "poll" in result.stdout and "set-webhook" in result.stdout
