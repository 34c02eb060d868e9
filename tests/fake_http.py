"""What the fake provider servers share (Twilio's, Telegram's): a quiet threading HTTP
server on 127.0.0.1, and JSON answers."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class QuietServer(ThreadingHTTPServer):
    """A threading HTTP server that says nothing when a client gives up mid-answer."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # a client that gave up (a timeout, a killed process) is expected


def send_json(
    handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    """Answer a request with JSON (an empty body for None), and any extra headers."""
    data = json.dumps(body).encode() if body is not None else b""
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
