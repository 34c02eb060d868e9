"""Safeguarding alerts to workers, by email and webhook: a flag must reach a person today.

Storage queues each alert in the outbox when a flag is raised (storage/alerts.py); the
senders here deliver them through the same dispatcher, with the same retries."""

from __future__ import annotations

from voicebox.alerts.mail import EmailSender
from voicebox.alerts.settings import AlertSettings
from voicebox.alerts.webhook import WebhookSender
from voicebox.storage.alerts import EMAIL, WEBHOOK, AlertRoutes
from voicebox.storage.dispatcher import Sender

__all__ = ["AlertSettings", "alert_routes", "alert_senders"]


def alert_routes(settings: AlertSettings, public_url: str | None) -> AlertRoutes:
    """Which alerts storage should queue for these settings."""
    return AlertRoutes(
        email=settings.email,
        webhook=settings.webhook,
        public_url=public_url,
        remind_after=settings.remind_after,
    )


def alert_senders(settings: AlertSettings) -> dict[str, Sender]:
    """A sender for each way of alerting that is set up."""
    senders: dict[str, Sender] = {}
    if settings.email:
        senders[EMAIL] = EmailSender(settings)
    if settings.webhook_url:
        senders[WEBHOOK] = WebhookSender(settings.webhook_url)
    return senders
