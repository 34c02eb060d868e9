"""The console channel: a check-in in the terminal, for trying flows (`voicebox chat`)."""

from __future__ import annotations

import secrets
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

from flask import Blueprint, Flask

from voicebox.bot.messages import InboundMessage, OutboundMessage
from voicebox.bot.report_back import SentText
from voicebox.bot.results import TurnResult
from voicebox.channels.base import Fit
from voicebox.channels.text import clean_text
from voicebox.storage.dispatcher import Sender
from voicebox.storage.services import Services

CHANNEL = "console"


@dataclass
class ConsoleChannel:
    """The terminal: always there, no routes, nothing sent later, no length limits."""

    name: str = CHANNEL
    replies_later: bool = False
    redelivers: bool = False
    joined_length: int | None = None  # each reply is its own message
    reached_later: bool = False  # the terminal is gone once the chat ends

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ConsoleChannel:
        """The console has no settings."""
        return cls()

    def enabled(self) -> bool:
        """The console is always there."""
        return True

    def blueprint(self, app: Flask, services: Services) -> Blueprint | None:
        """The console has no web routes."""
        return None

    def sender(self, services: Services) -> Sender | None:
        """Nothing waits to be sent to a terminal."""
        return None

    def fit(self, message: OutboundMessage) -> Fit | None:
        """A terminal shows any text."""
        return None

    def preview(self, messages: Sequence[OutboundMessage]) -> list[SentText] | None:
        """The terminal sends nothing later."""
        return None

    def invitation(self, code: str) -> str | None:
        """The terminal is for trying flows: nothing for a poster."""
        return None

    def chat(
        self,
        handle: Callable[[InboundMessage], TurnResult],
        code: str,
        stdin: TextIO,
        stdout: TextIO,
    ) -> int:
        """Run one check-in of consultation `code` here (see run_console)."""
        return run_console(handle, code, stdin, stdout)


LEAVE_HINT = "(Type START to come back, or press Ctrl+D to leave.)"


def render(message: OutboundMessage, width: int = 72) -> str:
    """A bot message as terminal lines: its words, then numbered choices with emoji."""
    lines = textwrap.wrap(message.text, width=width - 4) or [""]
    out = [f"bot > {lines[0]}"] + [f"      {line}" for line in lines[1:]]
    for option in message.choices:
        mark = f"{option.emoji} " if option.emoji else ""
        out.append(f"      {option.number}  {mark}{option.words}")
    return "\n".join(out)


def run_console(
    handle: Callable[[InboundMessage], TurnResult],
    code: str,
    stdin: TextIO,
    stdout: TextIO,
    address: str | None = None,
) -> int:
    """Run one check-in on the terminal until it ends or input ends; return 0.

    After STOP it keeps reading, silent, so that START brings the person back.
    """
    address = address or f"{CHANNEL}:{secrets.token_hex(8)}"
    say = stdout.write
    say("Type your answer and press Enter. Type STOP to stop, HELP for help.\n\n")
    result = handle(InboundMessage(CHANNEL, address, "", consultation=code))
    while True:
        for message in result.replies:
            say(render(message) + "\n")
        if result.opted_out and result.replies:  # it says "Send START": so START must work
            say(LEAVE_HINT + "\n")
        stdout.flush()
        if not result.opted_out and (result.ended or result.question is None):
            return 0
        say("you > ")
        stdout.flush()
        line = stdin.readline()
        if not line:
            say("\n")
            return 0
        text = clean_text(line.rstrip("\n"))
        result = handle(InboundMessage(CHANNEL, address, text, consultation=code))
        say("\n")
