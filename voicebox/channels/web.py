"""The web chat channel (placeholder until the web chat issue lands)."""

from __future__ import annotations

from flask import Blueprint

from voicebox.storage.services import Services

CHANNEL = "web"
blueprint = Blueprint(CHANNEL, __name__)


def enabled(services: Services) -> bool:
    """The web chat is always on."""
    return True
