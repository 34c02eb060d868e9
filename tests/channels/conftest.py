"""Fixtures for the channel tests: the web chat's app and visitor, the SMS harness and a
fake Twilio REST API. Helpers live beside them (web_visitor.py, sms_harness.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.channels.sms_harness import FakeTwilio, SmsHarness, fake_twilio_server
from tests.channels.telegram_app import Person, TelegramApp
from tests.channels.telegram_harness import FakeBotApi
from tests.channels.web_visitor import Visitor
from voicebox.app import build_services, create_app
from voicebox.channels.registry import build_channels
from voicebox.settings import Settings
from voicebox.storage.consultations import close_consultation, create_consultation, ensure_demo
from voicebox.storage.services import Services

WEB_SECRET = "web-test-secret-key-0123456789abcdef"


def _services_on(database) -> Iterator[Services]:
    settings = Settings(database_url=database.url, secret_key=WEB_SECRET)
    services = build_services(settings, build_channels({}))
    flows = {fid: services.engine.flows[fid] for fid in ("tops_and_pants", "four_cornerstones")}
    ensure_demo(services.database, flows)
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
    return create_app(
        {"TESTING": True}, settings=Settings(), services=web_services, channels=build_channels({})
    )


@pytest.fixture
def client(web_app) -> FlaskClient:
    """A browser with cookies and JavaScript off."""
    return web_app.test_client()


@pytest.fixture
def page_client(page_services) -> FlaskClient:
    """A browser on an app on SQLite only."""
    return create_app({"TESTING": True}, settings=Settings(), services=page_services).test_client()


@pytest.fixture
def visitor(client) -> Visitor:
    """A young person on the demo check-in."""
    return Visitor(client)


@pytest.fixture
def sms(tmp_path) -> Iterator[SmsHarness]:
    """The app with the SMS channel on (no public URL), DEMO and CORNER open."""
    harness = SmsHarness(tmp_path)
    yield harness
    harness.services.database.dispose()


@pytest.fixture
def sms_factory(tmp_path) -> Iterator[Any]:
    """Build SMS harnesses with other settings (public URL, no token, fake API)."""
    made: list[SmsHarness] = []

    def make(**kwargs: Any) -> SmsHarness:
        folder = tmp_path / f"app{len(made)}"
        folder.mkdir()
        harness = SmsHarness(folder, **kwargs)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.services.database.dispose()


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A fake Twilio REST API on 127.0.0.1 (a free port), speaking the real wire format."""
    with fake_twilio_server() as fake:
        yield fake


@pytest.fixture
def fake_bot_api() -> Iterator[FakeBotApi]:
    """A fake Telegram Bot API on 127.0.0.1 (a free port), speaking the real wire format."""
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def telegram(tmp_path, fake_bot_api) -> Iterator[TelegramApp]:
    """The app with the Telegram channel on (webhook and secret), its outbox threads
    sending to the fake Bot API, DEMO and CORNER open."""
    app = TelegramApp(tmp_path, fake_bot_api)
    yield app
    app.close()


@pytest.fixture
def person(telegram) -> Person:
    """A young person in a private chat with the bot."""
    return Person(telegram)
