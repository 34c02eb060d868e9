"""The console channel: a check-in in the terminal, for trying flows."""

from __future__ import annotations

import secrets
import textwrap
from collections.abc import Callable
from typing import TextIO

from voicebox.bot.messages import InboundMessage, OutboundMessage

CHANNEL = "console"


def render(message: OutboundMessage, width: int = 72) -> str:
    """A bot message as terminal lines: its words, then numbered choices with emoji."""
    lines = textwrap.wrap(message.text, width=width - 4) or [""]
    out = [f"bot > {lines[0]}"] + [f"      {line}" for line in lines[1:]]
    for option in message.choices:
        mark = f"{option.emoji} " if option.emoji else ""
        out.append(f"      {option.number}  {mark}{option.words}")
    return "\n".join(out)


def run_console(
    handle: Callable[[InboundMessage], list[OutboundMessage]],
    code: str,
    stdin: TextIO,
    stdout: TextIO,
    address: str | None = None,
) -> int:
    """Run one check-in on the terminal until it ends, STOP, or end of input; return 0."""
    address = address or f"{CHANNEL}:{secrets.token_hex(8)}"
    say = stdout.write
    say("Type your answer and press Enter. Type STOP to stop, HELP for help.\n\n")
    replies = handle(InboundMessage(CHANNEL, address, "", consultation=code))
    while True:
        for message in replies:
            say(render(message) + "\n")
        stdout.flush()
        if any(m.purpose in ("end", "stop") for m in replies):
            return 0
        say("you > ")
        stdout.flush()
        line = stdin.readline()
        if not line:
            say("\n")
            return 0
        replies = handle(InboundMessage(CHANNEL, address, line.rstrip("\n"), consultation=code))
        say("\n")
