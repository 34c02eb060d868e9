"""The Telegram channel's settings: the bot's token, the webhook's secret, where the Bot API
is, and the pace."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from voicebox.settings import env_value, positive_setting

DEFAULT_API_URL = "https://api.telegram.org"
DEFAULT_RATE = 25.0  # messages a second over every chat, across every process
PERSON_RATE = 1.0  # messages a second to one chat (Telegram: "about one a second")
DEFAULT_TIMEOUT = 10.0  # seconds to wait for the Bot API's answer


@dataclass(frozen=True)
class TelegramSettings:
    """VOICEBOX_TELEGRAM_*: the channel is on when the token is set; the webhook exists
    only with a secret too (without one, `voicebox telegram poll` still works)."""

    token: str | None = None
    secret: str | None = None
    api_url: str = DEFAULT_API_URL
    rate: float = DEFAULT_RATE
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TelegramSettings:
        """Read the VOICEBOX_TELEGRAM_* variables (empty ones count as unset)."""
        rate = env_value(env, "TELEGRAM_RATE")
        timeout = env_value(env, "TELEGRAM_TIMEOUT")
        return cls(
            token=env_value(env, "TELEGRAM_TOKEN"),
            secret=env_value(env, "TELEGRAM_SECRET"),
            api_url=(env_value(env, "TELEGRAM_API_URL") or DEFAULT_API_URL).rstrip("/"),
            rate=positive_setting(rate, "TELEGRAM_RATE", DEFAULT_RATE, "messages a second"),
            timeout=positive_setting(timeout, "TELEGRAM_TIMEOUT", DEFAULT_TIMEOUT),
        )
