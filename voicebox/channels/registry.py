"""The channels by name: the one place that names them. The app wires what it returns."""

from __future__ import annotations

import os
from collections.abc import Mapping

from voicebox.channels.base import Channel
from voicebox.channels.console import ConsoleChannel
from voicebox.channels.sms import SmsChannel
from voicebox.channels.telegram import TelegramChannel
from voicebox.channels.web import WebChannel

# Each type has a `from_env(env)` that reads its own typed settings.
CHANNEL_TYPES = (SmsChannel, TelegramChannel, WebChannel, ConsoleChannel)


def build_channels(env: Mapping[str, str] | None = None) -> dict[str, Channel]:
    """Every channel with its settings from the environment, keyed by its name."""
    env = os.environ if env is None else env
    return {channel.name: channel for channel in (kind.from_env(env) for kind in CHANNEL_TYPES)}


def channel_packages() -> list[str]:
    """The package (or module) of each channel, for the import contracts that keep them apart."""
    return sorted({".".join(kind.__module__.split(".")[:3]) for kind in CHANNEL_TYPES})


def console_of(channels: Mapping[str, Channel]) -> ConsoleChannel:
    """The terminal channel, for `voicebox chat`."""
    found = channels["console"]
    if not isinstance(found, ConsoleChannel):
        raise TypeError("the console channel is not a ConsoleChannel")
    return found
