"""How safeguarding alerts leave: the mail server (VOICEBOX_SMTP_*) and a webhook address."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from voicebox.settings import SettingsError, env_value

log = logging.getLogger(__name__)

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORT = 587


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
            smtp_host=host,
            smtp_port=port,
            smtp_username=env_value(env, "SMTP_USERNAME"),
            smtp_password=env_value(env, "SMTP_PASSWORD"),
            smtp_from=env_value(env, "SMTP_FROM") or (f"voicebox@{host}" if host else None),
            smtp_security=security,
            webhook_url=webhook,
        )

    @property
    def email(self) -> bool:
        """True when alerts can go by email."""
        return self.smtp_host is not None

    @property
    def webhook(self) -> bool:
        """True when alerts also go to a webhook (a Teams or Slack channel, say)."""
        return self.webhook_url is not None
