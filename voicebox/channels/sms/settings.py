"""The SMS channel's settings: the Twilio account, token, sending number and pace."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass

from voicebox.settings import env_value

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.twilio.com"
DEFAULT_RATE = 1.0  # segments a second, per sender (VOICEBOX_TWILIO_RATE)


@dataclass(frozen=True)
class SmsSettings:
    """VOICEBOX_TWILIO_*: the channel is on when the auth token is set."""

    account_sid: str | None = None
    auth_token: str | None = None  # checks webhook signatures; no token, no routes
    sender: str | None = None  # a number, or a messaging service SID (MG...)
    api_url: str = DEFAULT_API_URL
    rate: float = DEFAULT_RATE

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmsSettings:
        """Read the VOICEBOX_TWILIO_* variables (empty ones count as unset)."""
        return cls(
            account_sid=env_value(env, "TWILIO_ACCOUNT_SID"),
            auth_token=env_value(env, "TWILIO_AUTH_TOKEN"),
            sender=env_value(env, "TWILIO_FROM"),
            api_url=(env_value(env, "TWILIO_API_URL") or DEFAULT_API_URL).rstrip("/"),
            rate=sender_rate(env_value(env, "TWILIO_RATE")),
        )


def sender_rate(value: str | None) -> float:
    """Segments a second from VOICEBOX_TWILIO_RATE's value; 1 when unset or unusable."""
    if not value:
        return DEFAULT_RATE
    try:
        rate = float(value)
    except ValueError:
        rate = math.nan
    if not (rate > 0 and math.isfinite(rate)):
        log.warning(
            "VOICEBOX_TWILIO_RATE must be a number above 0 (segments a second); using %s",
            DEFAULT_RATE,
        )
        return DEFAULT_RATE
    return rate
