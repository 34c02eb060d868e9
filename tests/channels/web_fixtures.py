"""Fixtures for the web chat tests: the real app on a real database, and a visitor that
uses the page the way a browser with JavaScript off does (read the HTML, press a button).

test_web*.py import them (`from web_fixtures import *`), so tests/channels/conftest.py
stays free for the other channels' fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webpage import Element, parse

from voicebox.app import build_services, create_app
from voicebox.settings import Settings
from voicebox.storage.consultations import close_consultation, create_consultation, ensure_demo
from voicebox.storage.services import Services

__all__ = [
    "Page",
    "Visitor",
    "client",
    "page_client",
    "page_services",
    "visitor",
    "web_app",
    "web_services",
]

WEB_SECRET = "web-test-secret-key-0123456789abcdef"


def _services_on(database) -> Iterator[Services]:
    services = build_services(Settings(database_url=database.url, secret_key=WEB_SECRET))
    flows = {fid: services.engine.flow(fid) for fid in ("tops_and_pants", "four_cornerstones")}
    ensure_demo(services.database, flows["tops_and_pants"].version)
    version = flows["four_cornerstones"].version
    create_consultation(services.database, "CORNER", "four_cornerstones", version, "Going well")
    create_consultation(services.database, "SHUT", "tops_and_pants", 1, "Closed check-in")
    close_consultation(services.database, "SHUT")
    yield services
    services.database.dispose()


@pytest.fixture
def web_services(database) -> Iterator[Services]:
    """Services built the way `voicebox serve` builds them, on SQLite and on PostgreSQL."""
    yield from _services_on(database)


@pytest.fixture
def page_services(sqlite_database) -> Iterator[Services]:
    """The same on SQLite only, for tests of pages that do not depend on the database."""
    yield from _services_on(sqlite_database)


@pytest.fixture
def web_app(web_services) -> Flask:
    """The whole Flask app, as served."""
    return create_app({"TESTING": True}, settings=Settings(), services=web_services)


@pytest.fixture
def client(web_app) -> FlaskClient:
    """A browser with cookies and JavaScript off."""
    return web_app.test_client()


@pytest.fixture
def page_client(page_services) -> FlaskClient:
    """A browser on an app on SQLite only."""
    return create_app({"TESTING": True}, settings=Settings(), services=page_services).test_client()


@dataclass
class Page:
    """A page as a test reads it."""

    status: int
    html: str
    doc: Element

    def buttons(self, name: str) -> list[Element]:
        """Buttons with this form field name."""
        return [b for b in self.doc.find_all("button") if b.get("name") == name]

    def choice_words(self) -> list[str]:
        """The words on the choice buttons."""
        return [b.text() for b in self.buttons("choice")]

    def log_texts(self) -> list[tuple[str, str]]:
        """(who, text) for each message in the log."""
        log = self.doc.find_all(lambda e: e.get("role") == "log")[0]
        found = []
        for turn in log.with_class("turn"):
            who = "bot" if "turn-bot" in turn.classes else "you"
            for msg in turn.with_class("msg"):
                text = msg.with_class("text")[0].text()
                found.append((who, text))
        return found

    def field(self, name: str) -> str:
        """A hidden field's value in the answer form."""
        form = self.doc.with_class("answer-form")[0]
        return next(i.get("value") for i in form.find_all("input") if i.get("name") == name)

    @property
    def status_text(self) -> str:
        """What the role=status region says."""
        return self.doc.by_id("status").text()


class Visitor:
    """One young person on the web chat with JavaScript off."""

    def __init__(self, client: FlaskClient, code: str = "DEMO") -> None:
        self.client = client
        self.code = code
        self.page: Page | None = None

    def open(self, path: str | None = None) -> Page:
        """GET a page (the check-in by default)."""
        response = self.client.get(path or f"/c/{self.code}")
        self.page = Page(response.status_code, response.get_data(as_text=True), None)  # type: ignore[arg-type]
        self.page.doc = parse(self.page.html)
        return self.page

    def post(self, data: dict[str, str]) -> Page:
        """Post the answer form with these fields, follow the redirect, and read the page."""
        assert self.page is not None
        fields = {"token": self.page.field("token"), "nonce": self.page.field("nonce"), **data}
        response = self.client.post(f"/c/{self.code}", data=fields)
        assert response.status_code == 303, response.status_code
        assert response.headers["Location"].endswith(f"/c/{self.code.upper()}")
        return self.open()

    def choose(self, words: str) -> Page:
        """Press the choice button with these words."""
        assert self.page is not None
        button = next(b for b in self.page.buttons("choice") if b.text() == words)
        return self.post({"choice": button.get("value")})

    def say(self, text: str) -> Page:
        """Type words and press Send."""
        return self.post({"text": text, "send": "1"})

    def press(self, command: str) -> Page:
        """Press Skip, Help, Stop, Go back or Start again (by the command's value)."""
        return self.post({"command": command})


@pytest.fixture
def visitor(client) -> Visitor:
    """A young person on the demo check-in."""
    return Visitor(client)
