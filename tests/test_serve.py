"""`voicebox serve` from an empty folder: schema, demo, health check, production server."""

import json
import subprocess
import urllib.error
import urllib.request

import pytest

from tests.serve_process import VOICEBOX, ServeProcess, clean_env, free_port


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


Server = ServeProcess


@pytest.fixture
def served(tmp_path):
    server = Server(tmp_path)
    yield server, tmp_path
    server.stop()


def test_serve_from_an_empty_folder(served):
    """Health check answers, the demo exists, and waitress (not Flask's dev server) serves."""
    server, folder = served
    status, headers, body = _get(server.base + "/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok"}
    assert headers.get("Server") == "voicebox"  # waitress's ident; Werkzeug would say Werkzeug
    assert (folder / "voicebox.db").exists()
    secret = folder / "voicebox.db.secret"
    assert secret.exists() and oct(secret.stat().st_mode & 0o777) == "0o600"
    assert "VOICEBOX_SECRET_KEY is not set" in server.log.read_text()
    listing = subprocess.run(
        [VOICEBOX, "consultation", "list"], cwd=folder, capture_output=True, text=True
    )
    assert listing.returncode == 0
    assert "DEMO" in listing.stdout and "tops_and_pants" in listing.stdout
    assert headers.get("Content-Security-Policy", "").startswith("default-src 'self'")


def test_serve_demo_page_and_404(served):
    """The demo check-in page is served; an unknown code gets a plain-words 404."""
    server, _folder = served
    status, _headers, body = _get(server.base + "/c/demo")
    assert status == 200
    assert b"Voicebox" in body
    status, _headers, body = _get(server.base + "/c/NOSUCHCODE")
    assert status == 404


def test_serve_no_demo(tmp_path):
    """--no-demo serves without creating DEMO."""
    server = Server(tmp_path, "--no-demo")
    try:
        status, _headers, _body = _get(server.base + "/healthz")
        assert status == 200
        status, _headers, _body = _get(server.base + "/c/DEMO")
        assert status == 404
    finally:
        server.stop()


def test_serve_unreachable_database_is_one_line(tmp_path):
    """A database that cannot be reached stops serve with one human line, no traceback."""
    env = clean_env(VOICEBOX_DATABASE_URL=f"sqlite:///{tmp_path}/missing/folder/v.db")
    result = subprocess.run(
        [VOICEBOX, "serve", "--port", str(free_port())],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("voicebox: "), result.stderr
