"""Sending queued messages (report-backs, reminders) through Twilio's Messages API."""

from __future__ import annotations

import base64
import email.utils
import json
import math
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from voicebox.bot.messages import OutboundMessage, utcnow
from voicebox.channels.sms.gsm7 import segment_count, to_gsm7
from voicebox.channels.sms.settings import (
    DEFAULT_API_URL,
    DEFAULT_RATE,
    DEFAULT_TIMEOUT,
    SmsSettings,
)
from voicebox.storage.dispatcher import SendFailed

CHANNEL = "sms"
MAX_OUTBOUND_CHARS = 1_600  # the Messages API refuses longer bodies
OPTED_OUT_CODE = 21610  # Twilio: the recipient replied STOP to this sender
STATUS_PATH = "/sms/twilio/status"


def http_date(value: object) -> datetime | None:
    """An HTTP or RFC 2822 date (Retry-After, Twilio's date_created), as an aware datetime."""
    if not isinstance(value, str):
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date); None when absent or odd."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        when = http_date(value)
        if when is None:
            return None
        seconds = (when - (now or utcnow())).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), 3600.0)


def failure_from_response(status: int, body: bytes, retry_after: str | None = None) -> SendFailed:
    """The SendFailed for an error answer from the Messages API (status, JSON body)."""
    try:
        code = json.loads(body or b"{}").get("code")
    except (ValueError, AttributeError):
        code = None
    said = f"Twilio answered {status}" + (f" with error {code}" if code else "")
    if code == OPTED_OUT_CODE:
        return SendFailed(f"{said}: the person has unsubscribed", retry=False, opted_out=True)
    if status == 429:
        return SendFailed(said, retry=True, wait=parse_retry_after(retry_after))
    if status >= 500:  # Twilio may have made the message before it failed: ask first
        return SendFailed(said, retry=True, wait=parse_retry_after(retry_after), in_doubt=True)
    return SendFailed(said, retry=False)  # other 4xx: trying again will not help


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: it would carry our credentials somewhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class TwilioSender:
    """Sends outbox messages through Twilio's Messages API. The dispatcher keeps to `rate`
    segments a second across every process, and asks `lookup` before sending again a
    message whose first send may have reached Twilio."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        api_url: str = DEFAULT_API_URL,
        status_callback: str | None = None,
        rate: float = DEFAULT_RATE,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
        self._authorization = f"Basic {credentials}"
        self.sender = sender
        self.status_callback = status_callback
        self.timeout = timeout
        self.rate = rate
        self._opener = urllib.request.build_opener(_NoRedirects())

    def __repr__(self) -> str:
        return f"TwilioSender(url={self.url!r})"  # never the token

    def fields(self, address: str, message: OutboundMessage) -> dict[str, str]:
        """The form fields for one message: To, Body, From or MessagingServiceSid, callback."""
        fields = {"To": address.removeprefix(f"{CHANNEL}:"), "Body": outbound_body(message)}
        if self.sender.startswith("MG"):
            fields["MessagingServiceSid"] = self.sender
        else:
            fields["From"] = self.sender
        if self.status_callback:
            fields["StatusCallback"] = self.status_callback
        return fields

    def units(self, message: OutboundMessage) -> int:
        """The message's SMS segments: what Twilio's rate counts."""
        return segment_count(outbound_body(message))

    def send(self, address: str, message: OutboundMessage) -> str | None:
        """Send one message; return Twilio's message sid; raise SendFailed when it fails."""
        fields = self.fields(address, message)
        if not fields["Body"]:
            raise SendFailed("there is nothing to send", retry=False)
        payload = self._call(self.url, urlencode(fields).encode("utf-8"))
        try:
            sid = json.loads(payload or b"{}").get("sid")
        except (ValueError, AttributeError):
            sid = None
        # Twilio took the message: a retry would send it twice, so no sid is still a success.
        return sid[:64] if isinstance(sid, str) and sid else None

    def lookup(self, address: str, message: OutboundMessage, since: datetime) -> list[str]:
        """Sids of messages with these words to this number made since then, newest first."""
        fields = self.fields(address, message)
        query = {"To": fields["To"], "PageSize": "50"}
        if "From" in fields:
            query["From"] = fields["From"]
        payload = self._call(f"{self.url}?{urlencode(query)}")
        try:
            listed = json.loads(payload or b"{}").get("messages") or []
        except (ValueError, AttributeError):
            raise SendFailed("Twilio's list of messages could not be read") from None
        earliest = since.replace(tzinfo=since.tzinfo or UTC) - CLOCK_SKEW
        found = []
        for item in listed:
            if not isinstance(item, dict) or item.get("body") != fields["Body"]:
                continue
            made = http_date(item.get("date_created"))
            sid = item.get("sid")
            if isinstance(sid, str) and sid and made is not None and made >= earliest:
                found.append(sid)
        return found

    def _call(self, url: str, data: bytes | None = None) -> bytes:
        """One call to the API (POST with data, else GET); its answer, or SendFailed."""
        headers = {
            "Authorization": self._authorization,
            "Accept": "application/json",
            "User-Agent": "voicebox",
        }
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        call = urllib.request.Request(
            url, data=data, method="POST" if data is not None else "GET", headers=headers
        )
        try:
            with self._opener.open(call, timeout=self.timeout) as answer:
                return answer.read()
        except urllib.error.HTTPError as error:
            with error:
                body = error.read()
            raise failure_from_response(
                error.code, body, error.headers.get("Retry-After")
            ) from None
        except urllib.error.URLError as error:  # refused, no route: Twilio never saw it
            raise SendFailed(f"could not reach Twilio: {type(error.reason).__name__}") from None
        except (OSError, ValueError) as error:
            # Timed out or cut off after the request went: Twilio may have taken it.
            raise SendFailed(
                f"no answer from Twilio: {type(error).__name__}", in_doubt=True
            ) from None


CLOCK_SKEW = timedelta(minutes=5)  # Twilio's clock against ours, when matching a lookup


def outbound_body(message: OutboundMessage) -> str:
    """A message as the Body of one outbound SMS: GSM-7, at most 1,600 characters."""
    return to_gsm7(message.as_text())[:MAX_OUTBOUND_CHARS]


def build_sender(settings: SmsSettings, public_url: str | None) -> TwilioSender | None:
    """The outbox sender when account, token and sender are all set, else None."""
    if not (settings.account_sid and settings.auth_token and settings.sender):
        return None
    return TwilioSender(
        account_sid=settings.account_sid,
        auth_token=settings.auth_token,
        sender=settings.sender,
        api_url=settings.api_url,
        status_callback=f"{public_url.rstrip('/')}{STATUS_PATH}" if public_url else None,
        rate=settings.rate,
        timeout=settings.timeout,
    )
