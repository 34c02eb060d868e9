"""One key for everyone: a process with another key, or none on PostgreSQL, will not start."""

from __future__ import annotations

import subprocess

import pytest

from tests.empty_postgres import empty_postgres
from tests.serve_process import VOICEBOX, ServeProcess, clean_env, free_port
from voicebox.storage.secret_key import DIFFERENT_KEY

KEY = "the-council-key-0123456789abcdef"


def _serve_refused(folder, env) -> str:
    """Run `voicebox serve`; it must stop at once with one line: that line."""
    result = subprocess.run(
        [VOICEBOX, "serve", "--port", str(free_port())],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.postgres
def test_a_second_server_with_another_key_refuses(postgres_server, tmp_path):
    """Before, it started and made every phone a second person: 0 of 4 answers kept."""
    with empty_postgres(postgres_server) as url:
        first = ServeProcess(
            tmp_path, env=clean_env(VOICEBOX_DATABASE_URL=url, VOICEBOX_SECRET_KEY=KEY)
        )
        try:
            other = clean_env(VOICEBOX_DATABASE_URL=url, VOICEBOX_SECRET_KEY="another-key-42")
            assert _serve_refused(tmp_path, other) == f"voicebox: {DIFFERENT_KEY}"
            same = clean_env(VOICEBOX_DATABASE_URL=url, VOICEBOX_SECRET_KEY=KEY)
            listing = subprocess.run(
                [VOICEBOX, "chat", "DEMO"],
                cwd=tmp_path,
                env=same,
                input="",
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert listing.returncode == 0, listing.stderr  # the same key is welcome
        finally:
            first.stop()


@pytest.mark.postgres
def test_postgres_without_a_key_refuses_and_makes_no_key_file(postgres_server, tmp_path):
    """Before, each folder got its own key file, so one phone became two people."""
    with empty_postgres(postgres_server) as url:
        line = _serve_refused(tmp_path, clean_env(VOICEBOX_DATABASE_URL=url))
    assert line.startswith("voicebox: VOICEBOX_SECRET_KEY is not set.")
    assert "set VOICEBOX_SECRET_KEY" in line
    assert list(tmp_path.glob("*.secret")) == []
