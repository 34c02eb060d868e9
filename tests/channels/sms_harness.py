"""SMS test helpers (no tests here): the real Flask app on a temp SQLite database with signed
Twilio webhooks, and a fake Twilio REST API (a real HTTP server on 127.0.0.1) for outbound.
The fixtures that hand them out (`sms`, `sms_factory`, `fake_twilio`) are in conftest.py."""

from __future__ import annotations

import base64
import email.utils
import itertools
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from tests.fake_http import QuietServer, send_json
from tests.helpers import app_with_checkins, participant_id
from voicebox.app import build_senders
from voicebox.channels.registry import build_channels
from voicebox.channels.sms import SmsChannel
from voicebox.channels.sms.gsm7 import gsm7_length, non_gsm7
from voicebox.channels.sms.settings import DEFAULT_RATE, DEFAULT_TIMEOUT, SmsSettings
from voicebox.settings import Settings
from voicebox.storage.models import Answer, InboundMessageId, OutboxMessage, Participant

SMS_TOKEN = "test-twilio-auth-token-0123456789"
SMS_ACCOUNT = "AC" + "0" * 32
SMS_NUMBER = "+447700900123"  # Ofcom's range for drama: never a real phone
SMS_OUR_NUMBER = "+447700900999"
SMS_SECRET = "test-secret-key-for-sms-0123456789abcdef"
_sids = itertools.count(1)


def new_sid() -> str:
    """A fresh Twilio-shaped message sid."""
    return f"SM{next(_sids):032x}"


def sms_replies(xml: str | bytes) -> list[str]:
    """The texts of the <Message> elements of a TwiML answer."""
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    assert all(child.tag == "Message" for child in root)
    return [child.text or "" for child in root]


def check_sms_shape(replies: list[str]) -> list[str]:
    """CONTRACT.md: at most two messages, each GSM-7 and at most 160 characters."""
    assert len(replies) <= 2, replies
    for text in replies:
        assert text, replies
        assert not non_gsm7(text), text
        assert gsm7_length(text) <= 160, (gsm7_length(text), text)
    return replies


class SmsHarness:
    """The real app with the SMS channel on, and a way to post signed webhooks to it."""

    new_sid = staticmethod(new_sid)
    replies = staticmethod(sms_replies)
    number = SMS_NUMBER
    our_number = SMS_OUR_NUMBER
    account = SMS_ACCOUNT
    token = SMS_TOKEN

    def __init__(self, folder: Any, public_url: str | None = None, **options: Any) -> None:
        self.settings = Settings(
            database_url=options.get("database_url") or f"sqlite:///{folder / 'voicebox.db'}",
            secret_key=SMS_SECRET,
            public_url=public_url,
        )
        self.sms_settings = SmsSettings(
            account_sid=options.get("account_sid", SMS_ACCOUNT),
            auth_token=options.get("token", SMS_TOKEN),
            sender=options.get("sender", SMS_OUR_NUMBER),
            api_url=options.get("api_url", "https://api.twilio.com"),
            rate=options.get("rate", DEFAULT_RATE),
            timeout=options.get("timeout", DEFAULT_TIMEOUT),
        )
        self.channels = {**build_channels({}), "sms": SmsChannel(self.sms_settings)}
        self.services, self.app = app_with_checkins(self.settings, self.channels)
        self.client = self.app.test_client()
        self.validator = RequestValidator(self.sms_settings.auth_token or "")
        self.public_url = public_url

    def senders(self) -> dict[str, Any]:
        """The outbox senders `voicebox serve` would run with these settings."""
        return build_senders(self.services, self.channels)

    def url(self, path: str = "/sms/twilio", query: str = "") -> str:
        """The URL Twilio would sign for a path."""
        base = self.public_url or "http://localhost"
        return f"{base}{path}" + (f"?{query}" if query else "")

    def form(self, body: str | None, sender: str = SMS_NUMBER, **extra: str | None) -> dict:
        """Twilio's incoming message fields (a None value leaves a field out)."""
        sid = extra.pop("MessageSid", "") or new_sid()
        fields: dict[str, str | None] = {
            "ToCountry": "GB",
            "ToState": "",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "FromCountry": "GB",
            "SmsSid": sid,
            "SmsStatus": "received",
            "From": sender,
            "To": SMS_OUR_NUMBER,
            "MessageSid": sid,
            "AccountSid": SMS_ACCOUNT,
            "NumSegments": "1",
            "ApiVersion": "2010-04-01",
            "Body": body,
        }
        fields.update(extra)
        return {k: v for k, v in fields.items() if v is not None}

    def post_form(
        self,
        fields: Any,
        path: str = "/sms/twilio",
        query: str = "",
        signature: str | None = "good",
        signed_url: str | None = None,
        signed_fields: Any = None,
    ) -> Any:
        """POST form fields; signature 'good' signs them as Twilio would, None sends none."""
        headers = {}
        if signature == "good":
            url = signed_url or self.url(path, query)
            signature = self.validator.compute_signature(url, signed_fields or fields)
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        target = path + (f"?{query}" if query else "")
        return self.client.post(target, data=fields, headers=headers)

    def send(self, body: str | None, sender: str = SMS_NUMBER, **extra: str | None) -> list[str]:
        """Send one signed SMS; check the contract's reply shape; return the reply texts."""
        response = self.post_form(self.form(body, sender, **extra))
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/xml"
        return check_sms_shape(sms_replies(response.data))

    def count(self, model: Any) -> int:
        """Rows in a table."""
        with self.services.database.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(model)).scalar_one()

    def participant(self, sender: str = SMS_NUMBER) -> Any:
        """The participant row for an SMS number (None before they wrote)."""
        services = self.services
        pid = participant_id(services.database, services.secret, "sms", f"sms:{sender}")
        if pid is None:
            return None
        with self.services.database.engine.connect() as conn:
            return conn.execute(select(Participant).where(Participant.id == pid)).one()

    def answers(self) -> list[Any]:
        """Every answer row, oldest first."""
        with self.services.database.engine.connect() as conn:
            return list(conn.execute(select(Answer).order_by(Answer.id)))

    def nothing_stored(self) -> bool:
        """True when no message id, participant, answer or outbox row was kept."""
        return all(
            self.count(model) == 0
            for model in (InboundMessageId, Participant, Answer, OutboxMessage)
        )


# -- a fake Twilio REST API -------------------------------------------------------------------


@dataclass
class ReceivedCall:
    """One request the fake Twilio API received."""

    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]
    at: float

    def field(self, name: str) -> str | None:
        """The single value of a form field (None when absent)."""
        values = self.form.get(name)
        if values is None:
            return None
        assert len(values) == 1, values
        return values[0]

    def basic_auth(self) -> tuple[str, str]:
        """The user and password of the Basic Authorization header."""
        scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
        assert scheme == "Basic"
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        return user, password


@dataclass
class FakeTwilio:
    """Answers like Twilio's Messages API: scripted answers first, then 201 with a new sid.
    It keeps the messages it made, and lists them (GET Messages.json, newest first)."""

    url: str = ""
    calls: list[ReceivedCall] = field(default_factory=list)
    script: list[tuple[int, dict[str, str], Any, bool]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    lookups: list[dict[str, list[str]]] = field(default_factory=list)  # GET queries
    slow: float = 0.0  # seconds to wait before answering a POST (after making the message)
    # For fault tests: given the POST's number (from 1), seconds to wait before answering
    # and an error status to answer after making the message (None: answer 201).
    plan: Callable[[int], tuple[float, int | None]] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    sids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def answer(
        self,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        made: bool = False,
    ) -> None:
        """Queue the next answer: status, JSON body, headers; `made`: the message is made
        all the same (Twilio took it, then the answer failed)."""
        self.script.append((status, headers or {}, body, made))

    def _make(self, call: ReceivedCall) -> dict[str, Any]:
        sid = f"SM{next(self.sids):032x}"
        message = {
            "sid": sid,
            "status": "queued",
            "to": call.field("To"),
            "from": call.field("From"),
            "messaging_service_sid": call.field("MessagingServiceSid"),
            "body": call.field("Body"),
            "num_segments": "1",
            "account_sid": call.path.split("/")[3],
            "date_created": email.utils.format_datetime(datetime.now(UTC)),
            "error_code": None,
            "error_message": None,
        }
        self.messages.append(message)
        return message

    def next_answer(self, call: ReceivedCall) -> tuple[int, dict[str, str], Any]:
        """The scripted answer, else a Twilio-like 201 for the message."""
        with self.lock:
            self.calls.append(call)
            if self.plan is not None:
                delay, error = self.plan(len(self.calls))
                made = self._make(call)
                if error is None:
                    return 201, {"X-Delay": str(delay)}, made
                return error, {"X-Delay": str(delay)}, twilio_error(20500, error)
            if self.script:
                status, headers, body, made = self.script.pop(0)
                if made:
                    self._make(call)
                return status, headers, body
            return 201, {}, self._make(call)

    def listing(self, query: dict[str, list[str]]) -> dict[str, Any]:
        """GET Messages.json: the messages made, newest first, filtered by To and From."""
        wanted = {name: values[0] for name, values in query.items() if name in ("To", "From")}
        with self.lock:
            found = [
                m
                for m in reversed(self.messages)
                if all(m[name.lower()] == value for name, value in wanted.items())
            ]
        size = int(query.get("PageSize", ["50"])[0])
        return {"messages": found[:size], "page": 0, "page_size": size, "next_page_uri": None}

    def sent_bodies(self) -> list[str]:
        """The bodies of every message Twilio made, oldest first."""
        with self.lock:
            return [m["body"] for m in self.messages]


def twilio_error(code: int, status: int) -> dict[str, Any]:
    """Twilio's JSON error body."""
    return {
        "code": code,
        "message": f"error {code}",
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@contextmanager
def fake_twilio_server() -> Iterator[FakeTwilio]:
    """A fake Twilio REST API on 127.0.0.1 (a free port), speaking the real wire format."""
    fake = FakeTwilio()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8")
            call = ReceivedCall(
                method="POST",
                path=self.path,
                headers=dict(self.headers.items()),
                form=parse_qs(raw, keep_blank_values=True),
                at=time.monotonic(),
            )
            status, headers, body = fake.next_answer(call)
            delay = float(headers.pop("X-Delay", fake.slow))
            if delay:
                time.sleep(delay)
            self._answer(status, headers, body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path, _, query = self.path.partition("?")
            with fake.lock:
                fake.lookups.append(parse_qs(query))
            if not path.endswith("/Messages.json"):
                self._answer(404, {}, twilio_error(20404, 404))
                return
            self._answer(200, {}, fake.listing(parse_qs(query)))

        def _answer(self, status: int, headers: dict[str, str], body: Any) -> None:
            send_json(self, status, body, headers)

        def log_message(self, *args: Any) -> None:
            return None

    server = QuietServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="fake-twilio", daemon=True
    )
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
