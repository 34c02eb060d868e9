"""The web server's settings: limits read from VOICEBOX_*, bad values refused in one line,
and every one documented in `voicebox serve --help`."""

from __future__ import annotations

import resource
import subprocess
import sys

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


FIT = "from voicebox.serving import fit_connection_limit; print(fit_connection_limit(2000))"


def _fit_with_file_limit(soft: int, hard: int) -> subprocess.CompletedProcess[str]:
    """fit_connection_limit(2000) in a process whose open-file limit is (soft, hard)."""
    return subprocess.run(
        [sys.executable, "-c", FIT],
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard)),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_low_open_file_limit_is_raised_to_fit_the_connections():
    """A soft limit of 256 (select()'s world) is raised, so 2,000 connections fit."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2100:
        pytest.skip("this machine's hard limit on open files is too low to raise to")
    result = _fit_with_file_limit(256, hard)
    assert result.stdout.strip() == "2000", result.stderr


def test_a_hard_open_file_limit_lowers_the_connections_with_a_warning():
    """When even the hard limit is too low, fewer connections are allowed, and it says so."""
    result = _fit_with_file_limit(256, 256)
    assert result.stdout.strip() == "156"
    assert "may open only 256 files: allowing 156 connections, not 2000" in result.stderr
