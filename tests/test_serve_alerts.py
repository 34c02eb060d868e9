"""`voicebox serve` as a real process tells a safeguarding flag to a fake mail server at once."""

from __future__ import annotations

import http.cookiejar
import re
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from tests.fake_alerts import FakeMailServer
from tests.serve_process import VOICEBOX, ServeProcess, clean_env

_FIELD = re.compile(r'name="(token|nonce)" value="([^"]+)"')


@pytest.fixture
def mail():
    """A fake mail server on 127.0.0.1."""
    server = FakeMailServer().start()
    yield server
    server.stop()


def test_a_flag_on_the_web_chat_reaches_the_admins_inbox(tmp_path, mail):
    """A young person types a call for help on /c/DEMO; within seconds the admin has an
    email with a link to the flag and none of their words. No one marks it as seen, so
    the serve process's own reminder job sends a reminder after the set time, and again."""
    env = clean_env(
        **mail.env(),
        VOICEBOX_PUBLIC_URL="http://voice.example.org",
        VOICEBOX_WORKER_PASSWORD="a long enough password",
        VOICEBOX_FLAG_REMINDER_HOURS="0.001",  # 3.6 seconds
    )
    made = subprocess.run(
        [VOICEBOX, "worker", "create", "lead@example.org", "--role", "admin"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    server = ServeProcess(tmp_path, env=env)
    try:
        assert _wait_log(server, "Safeguarding alerts go out by: email")
        assert _wait_log(server, "A flag no one marks as seen is alerted again after 1 minute.")
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        page = opener.open(f"{server.base}/c/DEMO", timeout=10).read().decode()
        fields = dict(_FIELD.findall(page))
        data = urllib.parse.urlencode(
            {**fields, "text": "i want to kill myself", "send": "1"}
        ).encode()
        opener.open(f"{server.base}/c/DEMO", data=data, timeout=10).read()
        deadline = time.monotonic() + 20
        while len(mail.received) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.stop()
    sent, reminder, again = mail.received[:3]
    assert sent.recipients == reminder.recipients == again.recipients == ["lead@example.org"]
    assert again.text.startswith("Reminder: a safeguarding flag")
    for mailed in (sent, reminder):
        assert "http://voice.example.org/workers/flags/1" in mailed.text
        assert "kill" not in mailed.text
    assert not sent.text.startswith("Reminder")
    assert reminder.text.startswith("Reminder: a safeguarding flag")
    assert "No one has marked it as seen yet." in reminder.text


def _wait_log(server: ServeProcess, words: str) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if words in server.log.read_text():
            return True
        time.sleep(0.1)
    return False
