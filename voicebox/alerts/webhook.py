"""Sending a safeguarding alert to a webhook: a JSON POST that Teams and Slack both read."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from voicebox.bot.messages import OutboundMessage
from voicebox.storage.dispatcher import SendFailed

TIMEOUT = 20.0


class WebhookSender:
    """POSTs {"text": ...} to one address; 429 and server errors are tried again later."""

    def __init__(self, url: str) -> None:
        self.url = url

    def send(self, address: str | None, message: OutboundMessage) -> str | None:
        """POST the alert; the address is the sender's own, so the row's is not used."""
        body = json.dumps({"text": message.text}).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "voicebox-alerts"},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
                response.read(1024)
        except urllib.error.HTTPError as failed:
            status = failed.code
            wait = _seconds(failed.headers.get("Retry-After"))
            raise SendFailed(
                f"the webhook answered {status}",
                retry=status == 429 or status >= 500 or status == 408,
                wait=wait,
            ) from None
        except (urllib.error.URLError, OSError) as failed:
            raise SendFailed(f"could not reach the webhook ({failed.__class__.__name__})") from None
        return None


def _seconds(value: str | None) -> float | None:
    """Retry-After in seconds, when the webhook gave a number."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
