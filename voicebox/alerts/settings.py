"""How safeguarding alerts leave: the mail server (VOICEBOX_SMTP_*) and a webhook address."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from voicebox.settings import SettingsError, env_value

log = logging.getLogger(__name__)

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORT = 587
DEFAULT_REMINDER_HOURS = 4.0  # a flag raised in the morning is reminded the same day
MAX_REMINDER_HOURS = 168.0
REMINDER_ERROR = (
    "VOICEBOX_FLAG_REMINDER_HOURS must be a number of hours from 0 to 168, like 4 "
    "(0 turns reminders off)"
)


@dataclass(frozen=True)
class AlertSettings:
    """Email is on when VOICEBOX_SMTP_HOST is set; the webhook when its URL is set."""

    smtp_host: str | None = None
    smtp_port: int = DEFAULT_PORT
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str | None = None
    smtp_security: str = "starttls"  # "tls" from the first byte (port 465), or "none"
    webhook_url: str | None = None
    # Hours a flag may wait with no one marking it as seen before each reminder.
    reminder_hours: float = DEFAULT_REMINDER_HOURS

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AlertSettings:
        """Read VOICEBOX_SMTP_* and VOICEBOX_SAFEGUARDING_WEBHOOK_URL (empty counts as unset)."""
        port_text = env_value(env, "SMTP_PORT")
        try:
            port = int(port_text) if port_text else DEFAULT_PORT
        except ValueError:
            raise SettingsError("VOICEBOX_SMTP_PORT must be a port number, like 587") from None
        if not 0 < port < 65536:
            raise SettingsError("VOICEBOX_SMTP_PORT must be a port number, like 587")
        security = env_value(env, "SMTP_SECURITY") or ("tls" if port == 465 else "starttls")
        security = security.lower()
        if security not in SECURITY:
            raise SettingsError(f"VOICEBOX_SMTP_SECURITY must be one of: {', '.join(SECURITY)}")
        webhook = env_value(env, "SAFEGUARDING_WEBHOOK_URL")
        if webhook and not webhook.startswith(("https://", "http://")):
            raise SettingsError("VOICEBOX_SAFEGUARDING_WEBHOOK_URL must start with https://")
        host = env_value(env, "SMTP_HOST")
        return cls(
            reminder_hours=_reminder_hours(env_value(env, "FLAG_REMINDER_HOURS")),
            smtp_host=host,
            smtp_port=port,
            smtp_username=env_value(env, "SMTP_USERNAME"),
            smtp_password=env_value(env, "SMTP_PASSWORD"),
            smtp_from=env_value(env, "SMTP_FROM") or (f"voicebox@{host}" if host else None),
            smtp_security=security,
            webhook_url=webhook,
        )

    @property
    def remind_after(self) -> timedelta | None:
        """How long a flag may wait unseen before a reminder; None when reminders are off."""
        return timedelta(hours=self.reminder_hours) if self.reminder_hours > 0 else None

    @property
    def email(self) -> bool:
        """True when alerts can go by email."""
        return self.smtp_host is not None

    @property
    def webhook(self) -> bool:
        """True when alerts also go to a webhook (a Teams or Slack channel, say)."""
        return self.webhook_url is not None


def _reminder_hours(text: str | None) -> float:
    """VOICEBOX_FLAG_REMINDER_HOURS as hours (fractions allowed), or a clear error."""
    if not text:
        return DEFAULT_REMINDER_HOURS
    try:
        hours = float(text)
    except ValueError:
        raise SettingsError(REMINDER_ERROR) from None
    if not 0 <= hours <= MAX_REMINDER_HOURS:  # also refuses nan
        raise SettingsError(REMINDER_ERROR)
    return hours
