"""The SMS channel through Twilio: a signed webhook in, TwiML out, and an outbox sender.

Wire formats (what Twilio sends and expects) are kept in pure functions, tested by tables:
`parse_inbound` and `parse_status` read Twilio's form fields; `render_segments` packs the
engine's replies into at most two plain GSM-7 SMS; `render_twiml` writes the reply;
`failure_from_response` reads an error from the Messages API. The routes are thin glue.
"""

from __future__ import annotations

import base64
import email.utils
import hmac
import json
import logging
import math
import re
import threading
import time
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, request
from sqlalchemy import or_, select, update
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from voicebox.bot.gsm7 import GSM7_BASIC, GSM7_EXTENDED, SEGMENT_LENGTH, gsm7_length
from voicebox.bot.messages import InboundMessage, OutboundMessage
from voicebox.storage.database import Database
from voicebox.storage.models import OutboxMessage, Participant
from voicebox.storage.outbox import SendFailed
from voicebox.storage.services import Services

log = logging.getLogger(__name__)

CHANNEL = "sms"
MAX_MESSAGES = 2  # <Message> elements per inbound message (CONTRACT.md)
# Text kept from one inbound message. Twilio itself delivers at most 1,600 characters; this
# bounds the work for anything longer. The engine then keeps at most 2,000 characters of a
# free-text answer and tells the person so (bot/engine.py MAX_ANSWER_CHARS).
MAX_INBOUND_CHARS = 10_000
MAX_OUTBOUND_CHARS = 1_600  # the Messages API refuses longer bodies
CONCATENATED_SEGMENT = 153  # GSM-7 septets per part of a multi-part SMS
DEFAULT_RATE = 1.0  # segments a second, per sender (VOICEBOX_TWILIO_RATE)
OPTED_OUT_CODE = 21610  # Twilio: the recipient replied STOP to this sender
STATUS_PATH = "/sms/twilio/status"
SIGNATURE_HEADER = "X-Twilio-Signature"
# Twilio adds this header when a webhook is signed with a shared key instead of the auth
# token. Voicebox checks signatures with the auth token only (CONTRACT.md).
SHARED_KEY_HEADER = "X-Twilio-Webhooks-Signature-Settings"

blueprint = Blueprint(CHANNEL, __name__, url_prefix="/sms")

# -- GSM-7 text ------------------------------------------------------------------------

_GSM7 = frozenset(GSM7_BASIC) | frozenset(GSM7_EXTENDED)
_LOOKALIKES = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "`": "'",
    "\u00b4": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2022": "-",
    "\u00b7": "-",
    "\u2026": "...",
    "\t": " ",
    "\f": " ",
    "\r": "\n",
    "\x1b": "",  # the GSM-7 escape is not a character of its own
    "\u00e7": "c",  # GSM-7 has only the capital
}
_SPACE_RUNS = re.compile(r"[ ]{2,}")


def _gsm7_char(ch: str) -> str:
    if ch in _LOOKALIKES:
        return _LOOKALIKES[ch]
    if ch in _GSM7:
        return ch
    if ch.isspace():
        return " "
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c) and c in _GSM7
    )
    if plain:
        return plain  # é -> e, ﬁ -> fi, ² -> 2
    category = unicodedata.category(ch)
    if category[0] in "MC" or category in ("So", "Sk"):
        return ""  # emoji, variation selectors, joiners and control characters: leave out
    return "?"


@lru_cache(maxsize=2048)
def to_gsm7(text: str) -> str:
    """The text with every character GSM-7 can carry; others replaced or left out safely."""
    if all(ch in _GSM7 for ch in text) and not any(ch in text for ch in "\r\x1b\f"):
        return text
    text = text.replace("\r\n", "\n")
    out = "".join(_gsm7_char(ch) for ch in text)
    out = _SPACE_RUNS.sub(" ", out)
    return "\n".join(line.strip(" ") for line in out.split("\n")).strip("\n")


def segment_count(text: str) -> int:
    """How many SMS segments a GSM-7 text costs (153 septets a part once past 160)."""
    length = gsm7_length(text)
    if length <= SEGMENT_LENGTH:
        return 1
    return math.ceil(length / CONCATENATED_SEGMENT)


# -- replies: packing the engine's messages into at most two SMS ------------------------

# What may be left out when the replies do not fit, least important first. Safeguarding
# words, a question (with its options) and the end of a check-in are never left out.
_DROP_ORDER = {"reask": 0, "flow": 1, "notice": 2, "help": 3, "start": 4, "stop": 5}
_KEEP = 99


@dataclass(frozen=True)
class _Part:
    text: str
    rank: int  # lower is left out first; _KEEP is never left out
    order: int  # position among the engine's replies


def _importance(message: OutboundMessage) -> int:
    if message.purpose in ("safeguarding", "end") or message.expects or message.choices:
        return _KEEP
    return _DROP_ORDER.get(message.purpose, _DROP_ORDER["notice"])


def _split_long(text: str) -> list[str]:
    """Cut a text longer than one segment at line or word ends (never needed for checked flows)."""
    pieces: list[str] = []
    current = ""
    for word in re.split(r"(?<=[\n ])", text):
        candidate = current + word
        if gsm7_length(candidate.rstrip()) <= SEGMENT_LENGTH:
            current = candidate
            continue
        if current.strip():
            pieces.append(current.rstrip())
        while gsm7_length(word.rstrip()) > SEGMENT_LENGTH:  # one enormous word
            cut = SEGMENT_LENGTH
            while gsm7_length(word[:cut]) > SEGMENT_LENGTH:
                cut -= 1
            pieces.append(word[:cut])
            word = word[cut:]
        current = word
    if current.strip():
        pieces.append(current.rstrip())
    return pieces


def _pack(parts: Sequence[_Part]) -> list[str]:
    """Join neighbouring parts with a line break while they fit one segment (in order)."""
    segments: list[str] = []
    for part in parts:
        if segments and gsm7_length(segments[-1]) + 1 + gsm7_length(part.text) <= SEGMENT_LENGTH:
            segments[-1] = f"{segments[-1]}\n{part.text}"
        else:
            segments.append(part.text)
    return segments


def render_segments(messages: Sequence[OutboundMessage]) -> list[str]:
    """The replies as at most two GSM-7 texts of at most 160 characters each.

    Safeguarding words always come first and whole. Short replies are joined with a line
    break. When they still do not fit, the least important part is left out (a re-ask hint
    first, then a passing remark, a notice, a confirmation); never a question or its options.
    """
    return list(_segments(tuple(messages)))


def render_reply(messages: Sequence[OutboundMessage]) -> str:
    """The replies as the TwiML answer to an inbound message."""
    return _twiml(tuple(messages))


# The engine says the same few hundred things over and over (its questions and notices;
# it never repeats what a person wrote), so packing and TwiML are worked out once each.
@lru_cache(maxsize=1024)
def _twiml(messages: tuple[OutboundMessage, ...]) -> str:
    return render_twiml(_segments(messages))


@lru_cache(maxsize=1024)
def _segments(messages: tuple[OutboundMessage, ...]) -> tuple[str, ...]:
    parts: list[_Part] = []
    ordered = sorted(messages, key=lambda m: m.purpose != "safeguarding")  # stable sort
    for order, message in enumerate(ordered):
        text = to_gsm7(message.as_text())
        if not text:
            continue
        rank = _importance(message)
        for piece in _split_long(text) if gsm7_length(text) > SEGMENT_LENGTH else [text]:
            parts.append(_Part(piece, rank, order))
    segments = _pack(parts)
    while len(segments) > MAX_MESSAGES:
        droppable = [p for p in parts if p.rank != _KEEP]
        if not droppable:
            break
        least = min(droppable, key=lambda p: (p.rank, p.order))
        parts = [p for p in parts if p.order != least.order]
        segments = _pack(parts)
    if len(segments) > MAX_MESSAGES:
        # Only a flow that `voicebox flows check` rejects gets here: keep the first segment
        # (safeguarding words, when there are any) and the last (a question's options).
        log.warning(
            "SMS replies did not fit in %s messages; run voicebox flows check", MAX_MESSAGES
        )
        segments = [segments[0], segments[-1]]
    return tuple(segments)


def render_twiml(segments: Sequence[str]) -> str:
    """A TwiML <Response> with one <Message> per segment (none for no reply)."""
    response = MessagingResponse()
    for segment in segments:
        response.message(segment)
    return response.to_xml()


def replies_to_send(
    inbound: InboundMessage, replies: Sequence[OutboundMessage]
) -> list[OutboundMessage]:
    """The engine's replies minus what Twilio's Advanced Opt-Out has already said."""
    if not inbound.opt_out:
        return list(replies)
    # When a Messaging Service with Advanced Opt-Out matched STOP, START or HELP, Twilio has
    # already answered with the confirmation configured there, and the OptOutType field tells
    # us so. Sending our own confirmation too would give the person two messages saying the
    # same thing (and cost twice), so we leave ours out. Anything else the engine says stays:
    # after START that is the question they were on, so they can carry on where they were.
    # After STOP the engine says nothing else, and Twilio would block a reply anyway.
    return [m for m in replies if m.purpose != inbound.opt_out]


# -- inbound: reading Twilio's form fields ----------------------------------------------


class InvalidRequest(ValueError):
    """A signed request that is not a message we can read."""


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TOKEN = re.compile(r"^[\x21-\x7e]{1,64}$")  # printable ASCII, no spaces
_OPT_OUT_TYPES = {"STOP": "stop", "START": "start", "HELP": "help"}


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)[:MAX_INBOUND_CHARS]


def _media_count(value: str | None) -> int:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 4 else 0


def parse_inbound(form: Mapping[str, str]) -> InboundMessage:
    """An InboundMessage from the fields of Twilio's incoming message webhook."""
    sender = (form.get("From") or "").strip()
    if not sender or not _TOKEN.match(sender):
        raise InvalidRequest("no usable From")
    sid = (form.get("MessageSid") or form.get("SmsMessageSid") or form.get("SmsSid") or "").strip()
    if not _TOKEN.match(sid):
        raise InvalidRequest("no usable MessageSid")
    opt_out = _OPT_OUT_TYPES.get((form.get("OptOutType") or "").strip().upper())
    return InboundMessage(
        channel=CHANNEL,
        address=f"{CHANNEL}:{sender}",
        text=_clean_text(form.get("Body") or ""),
        message_id=sid,
        has_media=_media_count(form.get("NumMedia")) > 0,
        opt_out=opt_out,
    )


# -- delivery status callbacks -----------------------------------------------------------

# A status only ever moves up this ladder; the last rung is final.
STATUS_RANK = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "canceled": 3,
}
_STORED_STATUS = {"accepted": "queued", "scheduled": "queued"}


@dataclass(frozen=True)
class StatusReport:
    """What a status callback says about one message we sent."""

    sid: str
    status: str  # one of STATUS_RANK's keys, as stored
    error_code: str | None = None


def parse_status(form: Mapping[str, str]) -> StatusReport | None:
    """A StatusReport from a status callback's fields; None for statuses we do not track."""
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
    if not _TOKEN.match(sid):
        raise InvalidRequest("no usable MessageSid")
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if status not in STATUS_RANK:
        return None
    code = (form.get("ErrorCode") or "").strip()
    return StatusReport(
        sid=sid,
        status=_STORED_STATUS.get(status, status),
        error_code=code[:16] if code.isdigit() else None,
    )


_outbox = OutboxMessage.__table__
_participants = Participant.__table__


def record_status(database: Database, report: StatusReport) -> bool:
    """Keep a delivery status on the outbox row it is about, never moving it backwards."""
    lower = [name for name, rank in STATUS_RANK.items() if rank < STATUS_RANK[report.status]]
    values: dict[str, Any] = {"delivery_status": report.status}
    if report.error_code:
        values["delivery_error"] = report.error_code
    with database.transaction() as conn:
        changed = conn.execute(
            update(_outbox)
            .where(
                _outbox.c.channel == CHANNEL,
                _outbox.c.provider_id == report.sid,
                or_(_outbox.c.delivery_status.is_(None), _outbox.c.delivery_status.in_(lower)),
            )
            .values(**values)
        ).rowcount
        if report.error_code == str(OPTED_OUT_CODE):
            about = select(_outbox.c.participant_id).where(
                _outbox.c.channel == CHANNEL, _outbox.c.provider_id == report.sid
            )
            conn.execute(
                update(_participants)
                .where(_participants.c.id.in_(about))
                .values(opted_out=True, updated_at=datetime.now(UTC))
            )
    return bool(changed)


# -- the routes ----------------------------------------------------------------------------


def enabled(services: Services) -> bool:
    """The SMS routes exist only when a Twilio auth token is set (never open without one)."""
    return bool(services.options.get("twilio_auth_token"))


@dataclass(frozen=True)
class _Webhook:
    """What the routes need, built once per app."""

    services: Services
    validator: RequestValidator
    public_url: str | None


_EXTENSION = "voicebox.sms_twilio"
_warned_shared_key = threading.Event()


def _set_up(state: Any) -> None:
    """Build the webhook's validator once, for each app the blueprint is registered on."""
    app: Flask = state.app
    services: Services = app.extensions["voicebox"]
    token = services.options.get("twilio_auth_token") or ""
    app.extensions[_EXTENSION] = _Webhook(services, RequestValidator(token), services.public_url)


blueprint.record(_set_up)


def signed_url(public_url: str | None, url: str, path: str, query: bytes) -> str:
    """The URL Twilio signed: the public URL + path + raw query when set, else the request's."""
    if not public_url:
        return url
    raw_query = query.decode("utf-8", "replace")
    return f"{public_url.rstrip('/')}{path}" + (f"?{raw_query}" if raw_query else "")


class _Fields:
    """Form fields as RequestValidator reads them: every value of a repeated field."""

    def __init__(self, form: Any) -> None:
        self._form = form

    def __iter__(self) -> Any:
        return iter(self._form)

    def getall(self, name: str) -> list[str]:
        """Every value of a field, as received."""
        return self._form.getlist(name)


def signature_ok(validator: RequestValidator, url: str, form: Any, signature: str) -> bool:
    """True when X-Twilio-Signature is Twilio's signature of this URL and these fields."""
    fields = _Fields(form)
    expected = validator.compute_signature(url, fields)
    if hmac.compare_digest(expected.encode(), signature.encode()):
        return True
    # Twilio may have signed the URL with or without its port: the validator tries both.
    return validator.validate(url, fields, signature)


def _signed_form(webhook: _Webhook) -> Mapping[str, str] | None:
    """The request's form fields when its Twilio signature is right, else None."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        return None
    own_url = "" if webhook.public_url else request.url  # only worked out when needed
    url = signed_url(webhook.public_url, own_url, request.path, request.query_string)
    form = request.form  # every field exactly as received, repeated ones included
    if signature_ok(webhook.validator, url, form, signature):
        return form
    if request.headers.get(SHARED_KEY_HEADER) and not _warned_shared_key.is_set():
        _warned_shared_key.set()
        log.warning(
            "an SMS webhook was signed with a shared key; Voicebox checks signatures with "
            "VOICEBOX_TWILIO_AUTH_TOKEN, so turn shared-key signing off for this webhook"
        )
    return None


def _signed_request() -> tuple[_Webhook, Mapping[str, str] | None]:
    """This app's webhook set-up, and the request's form when Twilio signed it."""
    webhook: _Webhook = current_app.extensions[_EXTENSION]
    return webhook, _signed_form(webhook)


def _forbidden() -> Response:
    return Response("Forbidden\n", status=403, content_type="text/plain; charset=utf-8")


def _xml(body: str, status: int = 200) -> Response:
    return Response(body, status=status, content_type="text/xml; charset=utf-8")


_EMPTY = render_twiml([])


@blueprint.post("/twilio")
def inbound() -> Response:
    """Twilio's incoming message webhook: check the signature, run the engine, answer TwiML."""
    webhook, form = _signed_request()
    if form is None:
        return _forbidden()
    try:
        message = parse_inbound(form)
    except InvalidRequest:
        return _xml(_EMPTY, 400)
    try:
        replies = webhook.services.engine.handle(message)
    except Exception as exc:  # never a traceback or a phone number in the log
        log.error("SMS message %s could not be handled: %s", message.message_id, type(exc).__name__)
        return _xml(_EMPTY, 503)
    return _xml(render_reply(replies_to_send(message, replies)))


@blueprint.post("/twilio/status")
def status() -> Response:
    """Twilio's status callback for messages we sent: keep the delivery status."""
    webhook, form = _signed_request()
    if form is None:
        return _forbidden()
    try:
        report = parse_status(form)
    except InvalidRequest:
        return Response(status=400)
    if report is not None:
        try:
            record_status(webhook.services.database, report)
        except Exception as exc:
            log.error("status of SMS %s not kept: %s", report.sid, type(exc).__name__)
            return Response(status=503)
    return Response(status=204)


# -- outbound: the outbox sender -------------------------------------------------------------


class RateLimit:
    """Spaces sends so that at most `rate` segments go out a second (safe across threads)."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError("the rate must be above zero")
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._next = -math.inf
        self._lock = threading.Lock()

    def wait(self, segments: int = 1) -> float:
        """Wait until these segments may go; return how long that was, in seconds."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + max(1, segments) / self.rate
        delay = start - now
        if delay > 0:
            self._sleep(delay)
        return delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date); None when absent or odd."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
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
    if status == 429 or status >= 500:
        return SendFailed(said, retry=True, wait=parse_retry_after(retry_after))
    return SendFailed(said, retry=False)  # other 4xx: trying again will not help


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: it would carry our credentials somewhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class TwilioSender:
    """Sends outbox messages through Twilio's Messages API, at most `rate` segments a second."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        api_url: str = "https://api.twilio.com",
        status_callback: str | None = None,
        rate: float = DEFAULT_RATE,
        timeout: float = 15.0,
        limit: RateLimit | None = None,
    ) -> None:
        self.url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
        self._authorization = f"Basic {credentials}"
        self.sender = sender
        self.status_callback = status_callback
        self.timeout = timeout
        self.limit = limit or RateLimit(rate)
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

    def send(self, address: str, message: OutboundMessage) -> str | None:
        """Send one message; return Twilio's message sid; raise SendFailed when it fails."""
        fields = self.fields(address, message)
        if not fields["Body"]:
            raise SendFailed("there is nothing to send", retry=False)
        self.limit.wait(segment_count(fields["Body"]))
        call = urllib.request.Request(
            self.url,
            data=urlencode(fields).encode("utf-8"),
            method="POST",
            headers={
                "Authorization": self._authorization,
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "User-Agent": "voicebox",
            },
        )
        try:
            with self._opener.open(call, timeout=self.timeout) as answer:
                payload = answer.read()
        except urllib.error.HTTPError as error:
            with error:
                body = error.read()
            raise failure_from_response(
                error.code, body, error.headers.get("Retry-After")
            ) from None
        except (OSError, ValueError) as error:  # refused, reset, timed out, bad URL
            raise SendFailed(f"could not reach Twilio: {type(error).__name__}") from None
        try:
            sid = json.loads(payload or b"{}").get("sid")
        except (ValueError, AttributeError):
            sid = None
        # Twilio took the message: a retry would send it twice, so no sid is still a success.
        return sid[:64] if isinstance(sid, str) and sid else None


def outbound_body(message: OutboundMessage) -> str:
    """A message as the Body of one outbound SMS: GSM-7, at most 1,600 characters."""
    return to_gsm7(message.as_text())[:MAX_OUTBOUND_CHARS]


def sender_rate(value: str | None) -> float:
    """Segments a second from VOICEBOX_TWILIO_RATE's value; 1 when unset or unusable."""
    if not value:
        return DEFAULT_RATE
    try:
        rate = float(value)
    except ValueError:
        rate = math.nan
    if not (rate > 0 and math.isfinite(rate)):
        log.warning(
            "VOICEBOX_TWILIO_RATE must be a number above 0 (segments a second); using %s",
            DEFAULT_RATE,
        )
        return DEFAULT_RATE
    return rate


def build_sender(services: Services) -> TwilioSender | None:
    """The outbox sender when account, token and sender are all set, else None."""
    options = services.options
    account, token, sender = (
        options.get("twilio_account_sid"),
        options.get("twilio_auth_token"),
        options.get("twilio_from"),
    )
    if not (account and token and sender):
        return None
    public = services.public_url
    return TwilioSender(
        account_sid=account,
        auth_token=token,
        sender=sender,
        api_url=options.get("twilio_api_url") or "https://api.twilio.com",
        status_callback=f"{public.rstrip('/')}{STATUS_PATH}" if public else None,
        rate=sender_rate(options.get("twilio_rate")),
    )
