"""The web server's settings: limits read from VOICEBOX_*, bad values refused in one line,
and every one documented in `voicebox serve --help`."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from voicebox.cli import main
from voicebox.settings import (
    DEFAULT_CONNECTION_LIMIT,
    DEFAULT_IDLE_TIMEOUT,
    Settings,
    SettingsError,
)


def test_limits_have_defaults_and_can_be_set():
    """Unset: 2,000 connections and 30 s; set: what was given."""
    assert Settings.from_env({}).connection_limit == DEFAULT_CONNECTION_LIMIT == 2000
    assert Settings.from_env({}).idle_timeout == DEFAULT_IDLE_TIMEOUT == 30
    chosen = Settings.from_env({"VOICEBOX_CONNECTION_LIMIT": "500", "VOICEBOX_IDLE_TIMEOUT": "5"})
    assert (chosen.connection_limit, chosen.idle_timeout) == (500, 5)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CONNECTION_LIMIT", "many"),
        ("CONNECTION_LIMIT", "0"),
        ("CONNECTION_LIMIT", "2.5"),
        ("IDLE_TIMEOUT", "-1"),
        ("IDLE_TIMEOUT", "30s"),
        ("IDLE_TIMEOUT", "99999"),
    ],
)
def test_a_bad_limit_is_one_clear_line(name, value):
    """It says which variable and what it takes."""
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({f"VOICEBOX_{name}": value})
    assert str(refused.value).startswith(f"VOICEBOX_{name} must be a whole number from ")
    assert "\n" not in str(refused.value)


def test_serve_help_says_every_server_setting():
    """--workers, --threads and the two limits are all in `voicebox serve --help`."""
    shown = CliRunner().invoke(main, ["serve", "--help"], terminal_width=100).output
    for words in ("--workers", "--threads", "VOICEBOX_CONNECTION_LIMIT", "VOICEBOX_IDLE_TIMEOUT"):
        assert words in shown
    assert "SIGTERM" in shown
