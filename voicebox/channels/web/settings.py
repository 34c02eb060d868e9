"""The web chat's settings: which picture set its choice buttons show."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from voicebox.settings import env_value


@dataclass(frozen=True)
class WebSettings:
    """VOICEBOX_WEB_PICTURES: a folder with a set.yaml, used before the built-in pictures."""

    pictures: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WebSettings:
        """Read the VOICEBOX_WEB_* variables (empty ones count as unset)."""
        return cls(pictures=env_value(env, "WEB_PICTURES"))
