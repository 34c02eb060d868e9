"""Secure cookies and HSTS follow VOICEBOX_PUBLIC_URL: behind a proxy that ends https the
request itself looks like plain http. The real app on a real SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from voicebox.app import HSTS, build_services, create_app
from voicebox.channels.registry import build_channels
from voicebox.settings import Settings
from voicebox.storage.consultations import ensure_demo

SECRET = "https-test-secret-key-0123456789abcdef"
PATHS = ["/", "/c/DEMO", "/settings", "/healthz", "/workers/login", "/no-such-page", "/c/NOPE"]


@pytest.fixture
def make_client(sqlite_database) -> Iterator[Any]:
    """A browser on the whole app, served with a given public URL."""
    made = []

    def make(public_url: str | None) -> FlaskClient:
        settings = Settings(
            database_url=sqlite_database.url, secret_key=SECRET, public_url=public_url
        )
        channels = build_channels({})
        services = build_services(settings, channels)
        made.append(services)
        ensure_demo(services.database, services.engine.flows)
        app = create_app({"TESTING": True}, settings=settings, services=services, channels=channels)
        return app.test_client()

    yield make
    for services in made:
        services.database.dispose()


def _cookie(response: Any, name: str) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}="))


def _token(client: FlaskClient) -> str:
    html = client.get("/settings").get_data(as_text=True)
    return html.split('name="token" value="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("path", PATHS)
def test_every_response_has_hsts_when_the_public_url_is_https(make_client, path):
    """Pages, errors, health checks and the workers' area: HSTS on each."""
    response = make_client("https://voice.example.org").get(path)
    assert response.headers["Strict-Transport-Security"] == HSTS == "max-age=31536000"


@pytest.mark.parametrize("public_url", [None, "http://voice.example.org"])
@pytest.mark.parametrize("path", PATHS)
def test_no_hsts_without_https(make_client, public_url, path):
    """Over plain http HSTS would mean nothing, and would lock out a test set-up."""
    assert "Strict-Transport-Security" not in make_client(public_url).get(path).headers


def test_cookies_are_secure_behind_a_proxy_that_ends_https(make_client):
    """The request is plain http (the proxy ended TLS): both cookies are Secure all the same."""
    client = make_client("https://voice.example.org")
    session = _cookie(client.get("/c/DEMO"), "session")
    assert "Secure" in session and "HttpOnly" in session
    response = client.post("/settings", data={"text": "big", "token": _token(client)})
    assert response.status_code == 303
    assert "Secure" in _cookie(response, "voicebox_look")


def test_cookies_are_not_secure_over_plain_http(make_client):
    """Without an https public URL a Secure cookie would never come back: none is Secure."""
    client = make_client(None)
    assert "Secure" not in _cookie(client.get("/c/DEMO"), "session")
    response = client.post("/settings", data={"text": "big", "token": _token(client)})
    assert "Secure" not in _cookie(response, "voicebox_look")
