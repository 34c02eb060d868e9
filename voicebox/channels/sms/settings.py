"""The SMS channel's settings: the Twilio account, token, sending number and pace."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from voicebox.settings import env_value, positive_setting

DEFAULT_API_URL = "https://api.twilio.com"
DEFAULT_RATE = 1.0  # segments a second, across every process (VOICEBOX_TWILIO_RATE)
DEFAULT_TIMEOUT = 15.0  # seconds to wait for Twilio's answer (VOICEBOX_TWILIO_TIMEOUT)


@dataclass(frozen=True)
class SmsSettings:
    """VOICEBOX_TWILIO_*: the channel is on when the auth token is set."""

    account_sid: str | None = None
    auth_token: str | None = None  # checks webhook signatures; no token, no routes
    sender: str | None = None  # a number, or a messaging service SID (MG...)
    api_url: str = DEFAULT_API_URL
    rate: float = DEFAULT_RATE
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmsSettings:
        """Read the VOICEBOX_TWILIO_* variables (empty ones count as unset)."""
        return cls(
            account_sid=env_value(env, "TWILIO_ACCOUNT_SID"),
            auth_token=env_value(env, "TWILIO_AUTH_TOKEN"),
            sender=env_value(env, "TWILIO_FROM"),
            api_url=(env_value(env, "TWILIO_API_URL") or DEFAULT_API_URL).rstrip("/"),
            rate=sender_rate(env_value(env, "TWILIO_RATE")),
            timeout=positive_setting(
                env_value(env, "TWILIO_TIMEOUT"), "TWILIO_TIMEOUT", DEFAULT_TIMEOUT
            ),
        )


def sender_rate(value: str | None) -> float:
    """Segments a second from VOICEBOX_TWILIO_RATE's value; 1 when unset or unusable."""
    return positive_setting(value, "TWILIO_RATE", DEFAULT_RATE, "segments a second")
