"""A fake mail server and a fake webhook on 127.0.0.1, speaking the real wire formats
(SMTP through aiosmtpd, HTTP through the standard library). No tests here."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mail:
    """One email the fake server took, as it arrived on the wire."""

    sender: str
    recipients: list[str]
    message: Message

    @property
    def text(self) -> str:
        """The plain-text body."""
        payload = self.message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        return payload.decode()


@dataclass
class FakeMailServer:
    """An SMTP server that keeps what it is sent; it can refuse an address or go down."""

    received: list[Mail] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> SMTP reply
    port: int = 0
    _controller: Any = None

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: ANN001, ANN201, N802
        """Take or refuse one recipient, as a real server would."""
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        """Keep the message."""
        self.received.append(
            Mail(envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content))
        )
        return "250 Message accepted for delivery"

    def start(self) -> FakeMailServer:
        """Listen on 127.0.0.1."""
        self.port = self.port or free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening (a server that is down, for the retry tests)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def env(self) -> dict[str, str]:
        """The VOICEBOX_ settings that send alerts here."""
        return {
            "VOICEBOX_SMTP_HOST": "127.0.0.1",
            "VOICEBOX_SMTP_PORT": str(self.port),
            "VOICEBOX_SMTP_SECURITY": "none",
            "VOICEBOX_SMTP_FROM": "voicebox@council.example",
        }


class FakeWebhook:
    """An HTTP server taking JSON POSTs, as a Teams or Slack incoming webhook does."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []  # answers to give, in order; then 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status = outer.statuses.pop(0) if outer.statuses else 200
                if status == 200:
                    assert self.headers["Content-Type"] == "application/json"
                    outer.received.append(json.loads(body))
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "30")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/safeguarding"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()
