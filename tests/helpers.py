"""Small helpers tests share (imported as tests.helpers; fixtures live in conftest.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask

from voicebox.app import build_services, create_app
from voicebox.storage.consultations import create_consultation, ensure_demo
from voicebox.storage.conversations import read_place
from voicebox.storage.database import Database
from voicebox.storage.services import Services


def participant_id(database: Database, secret: bytes, channel: str, address: str) -> int | None:
    """The participant id for a channel address, if they have written before."""
    with database.reading() as conn:
        return read_place(conn, secret, channel, address).participant_id


def at_once(work: Callable[[int], None], count: int, timeout: float = 120) -> None:
    """Run work(0) .. work(count - 1) in threads that start together; raise the first error."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            barrier.wait()
            work(number)
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"


def app_with_checkins(settings: Any, channels: Mapping[str, Any]) -> tuple[Services, Flask]:
    """Services and the real app for these settings and channels, on an upgraded database
    with DEMO (tops and pants) and CORNER (four cornerstones) open."""
    services = build_services(settings, channels)
    services.database.upgrade()
    flows = services.engine.flows
    ensure_demo(services.database, flows)
    corner = flows["four_cornerstones"]
    create_consultation(
        services.database, "CORNER", corner.id, corner.version, "Four cornerstones test"
    )
    app = create_app({"TESTING": True}, settings=settings, services=services, channels=channels)
    return services, app
