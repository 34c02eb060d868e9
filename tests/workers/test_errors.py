"""The workers' area has its own home under /workers, with error pages in a worker's words."""

from __future__ import annotations

import pytest

from tests.channels.webpage import parse
from voicebox.app import build_services, create_app
from voicebox.channels.registry import build_channels
from voicebox.settings import Settings

YOUNG_PEOPLE_WORDS = "Your answers so far are safe"


@pytest.fixture
def app(sqlite_database):
    """The whole app, with one route that fails in each area."""
    settings = Settings(database_url=sqlite_database.url, secret_key="workers-test-secret-0123")
    channels = build_channels({})
    app = create_app(
        {"TESTING": False, "PROPAGATE_EXCEPTIONS": False},
        settings=settings,
        services=build_services(settings, channels),
        channels=channels,
    )

    def broken() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/workers/broken", "workers_broken", broken)
    app.add_url_rule("/broken", "public_broken", broken)
    return app


def _page(app, path: str, method: str = "GET"):
    response = app.test_client().open(path, method=method)
    return response.status_code, parse(response.get_data(as_text=True)).text(), response


@pytest.mark.parametrize(
    ("path", "method", "status", "words"),
    [
        ("/workers/nothing-here", "GET", 404, "If you typed the web address, check it is correct"),
        ("/workers/nothing/deeper", "GET", 404, "Page not found"),
        ("/workers/broken", "GET", 500, "Your last change may not have been saved"),
        ("/workers/broken", "POST", 405, "Go back to the page you were on"),
    ],
)
def test_workers_get_their_own_error_pages(app, path, method, status, words):
    """A worker reads what happened and what to do; never the words meant for young people."""
    code, text, response = _page(app, path, method)
    assert code == status
    assert words in text and f"Error code: {status}" in text
    assert YOUNG_PEOPLE_WORDS not in text
    assert "Voicebox for workers" in text
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_young_people_keep_their_error_pages(app):
    """Outside /workers the pages still talk to young people."""
    code, text, _ = _page(app, "/broken")
    assert code == 500 and YOUNG_PEOPLE_WORDS in text
    code, text, _ = _page(app, "/workers-not-really")
    assert code == 404 and "There is no page here" in text and "workers" not in text.lower()


def test_the_workers_style_sheet_is_served_from_here(app):
    """The area's style sheet comes from this server (nothing from elsewhere)."""
    response = app.test_client().get("/workers/static/workers.css")
    assert response.status_code == 200 and b"font-family" in response.data
