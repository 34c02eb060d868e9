"""Settings from VOICEBOX_* variables: every one optional, empty means unset, one secret."""

from __future__ import annotations

import stat

import pytest

from voicebox.channels.registry import build_channels
from voicebox.channels.sms.settings import SmsSettings
from voicebox.channels.web.settings import WebSettings
from voicebox.settings import DEFAULT_DATABASE_URL, Settings, SettingsError

EVERY_VARIABLE = {
    "VOICEBOX_DATABASE_URL": "postgresql://voicebox@db.example.org/voicebox",
    "VOICEBOX_SECRET_KEY": "a-secret-key-of-enough-length-0123456789",
    "VOICEBOX_PUBLIC_URL": "https://voice.example.org/",
    "VOICEBOX_TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "VOICEBOX_TWILIO_AUTH_TOKEN": "twilio-token",
    "VOICEBOX_TWILIO_FROM": "+447700900000",
    "VOICEBOX_TWILIO_API_URL": "http://127.0.0.1:9999/",
    "VOICEBOX_TWILIO_RATE": "2.5",
    "VOICEBOX_TELEGRAM_TOKEN": "123:abc",
    "VOICEBOX_TELEGRAM_SECRET": "telegram-secret",
    "VOICEBOX_TELEGRAM_API_URL": "http://127.0.0.1:9998",
    "VOICEBOX_WEB_PICTURES": "/srv/our-symbols",
}


def test_every_variable_is_read():
    """Each documented variable lands in its typed setting; trailing slashes are dropped."""
    assert Settings.from_env(EVERY_VARIABLE) == Settings(
        database_url="postgresql://voicebox@db.example.org/voicebox",
        secret_key="a-secret-key-of-enough-length-0123456789",
        public_url="https://voice.example.org",
    )
    assert SmsSettings.from_env(EVERY_VARIABLE) == SmsSettings(
        account_sid="AC" + "1" * 32,
        auth_token="twilio-token",
        sender="+447700900000",
        api_url="http://127.0.0.1:9999",
        rate=2.5,
    )
    assert WebSettings.from_env(EVERY_VARIABLE) == WebSettings(pictures="/srv/our-symbols")


def test_nothing_set_gives_the_defaults():
    """No variables at all: SQLite here, the real Twilio API, and every channel but the web off."""
    assert Settings.from_env({}).database_url == DEFAULT_DATABASE_URL == "sqlite:///voicebox.db"
    assert SmsSettings.from_env({}).api_url == "https://api.twilio.com"
    channels = build_channels({})
    assert {name for name, channel in channels.items() if channel.enabled()} == {"web", "console"}
    assert build_channels(EVERY_VARIABLE)["sms"].enabled()


def test_empty_and_blank_values_count_as_unset():
    """`VOICEBOX_X=` in a service file must not turn a channel on with an empty token."""
    blank = {name: "  " for name in EVERY_VARIABLE}
    assert Settings.from_env(blank) == Settings.from_env({})
    assert SmsSettings.from_env(blank) == SmsSettings.from_env({})
    assert WebSettings.from_env(blank) == WebSettings.from_env({})


def test_secret_is_generated_once_and_kept_private(tmp_path):
    """No secret key: one is made, kept beside the database (owner-only), and reused."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'voicebox.db'}")
    first = settings.resolve_secret()
    path = tmp_path / "voicebox.db.secret"
    assert path.read_text(encoding="utf-8").strip().encode() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 64
    assert settings.resolve_secret() == first


def test_secret_from_the_environment_wins(tmp_path):
    """VOICEBOX_SECRET_KEY is used as given, and no file is written."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'v.db'}", secret_key="mine")
    assert settings.resolve_secret() == b"mine"
    assert not (tmp_path / "v.db.secret").exists()


def test_a_secret_that_cannot_be_kept_is_one_clear_line(tmp_path):
    """A folder we cannot write to: a SettingsError naming the file, not a traceback."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    settings = Settings(database_url=f"sqlite:///{blocker / 'voicebox.db'}")
    with pytest.raises(SettingsError, match="cannot keep a secret key in"):
        settings.resolve_secret()


def test_alert_settings():
    """Email alerts are on with a mail server; port 465 means TLS from the start; a
    webhook must be a web address; bad values are one clear line."""
    from voicebox.alerts import AlertSettings

    off = AlertSettings.from_env({})
    assert not off.email and not off.webhook
    on = AlertSettings.from_env(
        {
            "VOICEBOX_SMTP_HOST": "mail.council.example",
            "VOICEBOX_SMTP_PORT": "465",
            "VOICEBOX_SMTP_USERNAME": "voicebox",
            "VOICEBOX_SMTP_PASSWORD": "pw",
            "VOICEBOX_SAFEGUARDING_WEBHOOK_URL": "https://hooks.example/x",
        }
    )
    assert on.email and on.webhook and on.smtp_security == "tls"
    assert on.smtp_from == "voicebox@mail.council.example" and on.smtp_username == "voicebox"
    assert AlertSettings.from_env({"VOICEBOX_SMTP_HOST": "m"}).smtp_security == "starttls"
    for env, words in [
        ({"VOICEBOX_SMTP_PORT": "lots"}, "VOICEBOX_SMTP_PORT must be a port number"),
        ({"VOICEBOX_SMTP_PORT": "70000"}, "VOICEBOX_SMTP_PORT must be a port number"),
        ({"VOICEBOX_SMTP_SECURITY": "maybe"}, "VOICEBOX_SMTP_SECURITY must be one of"),
        ({"VOICEBOX_SAFEGUARDING_WEBHOOK_URL": "hooks.example"}, "must start with https://"),
    ]:
        with pytest.raises(SettingsError, match=words):
            AlertSettings.from_env(env)
