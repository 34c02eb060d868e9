"""The workers' area on a real app and a real SQLite database, with workers in groups."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.fake_alerts import FakeMailServer, FakeWebhook
from voicebox.alerts import AlertSettings
from voicebox.app import build_senders, build_services, create_app
from voicebox.channels.registry import build_channels
from voicebox.settings import Settings
from voicebox.storage.consultations import create_consultation
from voicebox.storage.database import Database
from voicebox.storage.dispatcher import Dispatcher, Sender
from voicebox.storage.results import ResultsCache
from voicebox.storage.services import Services
from voicebox.storage.workers import create_worker, set_consultation_group

PASSWORD = "a long enough password"
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class Area:
    """The app and its database, with a way in for each worker."""

    app: Flask
    services: Services
    senders: dict[str, Sender] = field(default_factory=dict)

    def dispatch(self) -> int:
        """Send what waits in the outbox once, as `voicebox serve` does in the background."""
        return Dispatcher(self.services.database, self.senders).run_once()

    def client(self) -> FlaskClient:
        """A browser with no one signed in."""
        return self.app.test_client()

    def signed_in(self, email: str, password: str = PASSWORD) -> FlaskClient:
        """A browser signed in as this worker."""
        client = self.client()
        response = sign_in(client, email, password)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client


def token(client: FlaskClient, path: str = "/workers/login") -> str:
    """The CSRF token from a form on this page."""
    page = client.get(path).get_data(as_text=True)
    found = _TOKEN.search(page)
    assert found, page
    return found.group(1)


def sign_in(client: FlaskClient, email: str, password: str, **extra):
    """Fill in and send the sign-in form."""
    data = {"email": email, "password": password, "csrf_token": token(client)}
    return client.post("/workers/login", data=data, **extra)


def make_area(database, public_url: str | None = None, env: dict[str, str] | None = None) -> Area:
    """The whole app on this database (which already has the workers and check-ins), with
    the channels and safeguarding alerts these VOICEBOX_ settings turn on."""
    settings = Settings(
        database_url=database.url, secret_key="workers-test-secret-0123", public_url=public_url
    )
    channels = build_channels(env or {})
    alerts = AlertSettings.from_env(env or {})
    services = build_services(settings, channels, alerts)
    app = create_app({"TESTING": False}, settings=settings, services=services, channels=channels)
    # On a busy machine counting five people can take over SLOW, and then the results
    # would be kept for a while: the slow path has its own test, with its own clock.
    app.extensions["voicebox_results"] = ResultsCache(clock=lambda: 0.0)
    return Area(app, services, build_senders(services, channels, alerts))


@pytest.fixture
def mail():
    """A fake mail server, stopped after the test."""
    server = FakeMailServer().start()
    yield server
    server.stop()


@pytest.fixture
def webhook():
    """A fake Teams or Slack webhook."""
    hook = FakeWebhook()
    yield hook
    hook.stop()


@pytest.fixture(scope="session")
def area_template(sqlite_template, tmp_path_factory) -> str:
    """A migrated SQLite file with two groups' workers, an admin and three check-ins.

    Made once: hashing four passwords with Argon2 for every test would cost seconds."""
    path = tmp_path_factory.mktemp("area_template") / "voicebox.db"
    shutil.copyfile(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    for code, group in [("YOUTH1", "Youth club"), ("COUNCIL", "Council team")]:
        create_consultation(database, code, "tops_and_pants", 2, f"{group} check-in")
        set_consultation_group(database, code, group)
    create_consultation(database, "LOOSE", "tops_and_pants", 2, "No group yet")
    create_worker(database, "youth@example.org", PASSWORD, "worker", ["Youth club"])
    create_worker(database, "council@example.org", PASSWORD, "worker", ["Council team"])
    create_worker(database, "both@example.org", PASSWORD, "worker", ["Youth club", "council team"])
    create_worker(database, "admin@example.org", PASSWORD, "admin")
    database.dispose()
    return str(path)


@pytest.fixture
def area(area_template, tmp_path) -> Iterator[Area]:
    """The area on its own copy of the SQLite file."""
    path = tmp_path / "area.db"
    shutil.copyfile(area_template, path)
    made = make_area(Database(f"sqlite:///{path}"))
    yield made
    made.services.database.dispose()
